"""The trajectory page and chart: access, audit, flags, the stop-signal box, and a query count that does not grow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from ketaclinic.audit.models import AuditEvent
from ketaclinic.followup.queries import trajectory
from tests.conftest import make_patient, sign_in
from tests.followup.trajectory_factories import T0, iv_series, score, signed_iv_plan, started_session

pytestmark = pytest.mark.django_db


def page(client: Any, patient: Any, **params: str) -> Any:
    return client.get(reverse("trajectory:patient", kwargs={"patient_id": patient.pk}), params)


def test_stop_signal_not_suggested_at_infusion_2(client: Any, pat: Any, bob: Any, alice: Any) -> None:
    iv_series(pat, bob, alice, [20, 20])
    view = trajectory.load(pat)
    assert view.stop is not None and view.stop.applies and not view.stop.suggest_stop
    assert view.stop.signal is not None and view.stop.signal.infusions == 2
    sign_in(client, alice)
    html = page(client, pat).content.decode()
    assert "No stop suggested." in html and "Consider stopping" not in html
    assert escape(view.stop.reason) in html and "not suggested before infusion 3" in html


def test_stop_signal_suggested_at_infusion_4_under_20_percent(client: Any, pat: Any, bob: Any, alice: Any) -> None:
    # 20 → 19, 14, 15, 17: 15 % after infusion 4 (< 20 %, clinical-rules.md §5).
    iv_series(pat, bob, alice, [19, 14, 15, 17])
    view = trajectory.load(pat)
    assert view.stop is not None and view.stop.suggest_stop
    assert view.stop.signal is not None and view.stop.signal.rule == "under_min_improvement_after_decision_infusion"
    sign_in(client, bob)
    html = page(client, pat).content.decode()
    assert "Consider stopping the series." in html and escape(view.stop.reason) in html
    assert 'data-testid="adjust-plan"' in html  # the prescriber can act on it


def test_responder_has_flags_and_no_stop_signal(client: Any, pat: Any, bob: Any, alice: Any) -> None:
    iv_series(pat, bob, alice, [15, 11, 8, 4])
    view = trajectory.load(pat)
    assert view.stop is not None and not view.stop.suggest_stop
    assert view.course is not None and view.course.response and view.course.remission
    sign_in(client, alice)
    html = page(client, pat).content.decode()
    assert "Response</span>" in html and "Remission</span>" in html and "Consider stopping" not in html
    assert 'data-testid="adjust-plan"' not in html  # nurses do not adjust plans
    # The table: every score with its change from baseline (20 → 4 = −80 %), the sessions with route and dose.
    assert "−80 %" in html and html.count("<td>IV</td>") == 4 and "40 mg" in html


def test_no_stop_signal_for_a_non_iv_plan_or_a_non_depression_scale(pat: Any, bob: Any, alice: Any) -> None:
    iv_series(pat, bob, alice, [20, 20, 20, 20])
    from ketaclinic.domain import instruments
    from ketaclinic.outcomes import services

    services.record_measurement(
        by=alice, patient=pat, score=instruments.score("gad7", [2] * 7), context="home", source=pat, taken_at=T0
    )
    view = trajectory.load(pat, scale="gad7")
    assert view.stop is not None and not view.stop.applies and "depression scales" in view.stop.reason
    assert [label for _, label in view.scales] == ["PHQ-9", "GAD-7"]


def test_page_without_scores_or_plan(client: Any, pat: Any, alice: Any) -> None:
    sign_in(client, alice)
    response = page(client, pat)
    assert response.status_code == 200
    html = response.content.decode()
    assert "No scores recorded yet." in html and "trajectory-chart" not in html
    assert trajectory.load(pat).stop_note == "No scores yet."


def test_a_stopped_plan_shows_no_stop_signal(pat: Any, bob: Any, alice: Any) -> None:
    from ketaclinic.followup.services.adjustments import adjust_plan

    version = iv_series(pat, bob, alice, [19, 19, 19])
    adjust_plan(by=bob, plan=version.plan, kind="stop", reason="No response after 3 infusions.")
    view = trajectory.load(pat)
    assert view.stop is None and view.stop_note == "The treatment plan is stopped."
    assert [a.kind for a in view.adjustments] == ["stop"]


def test_chart_svg(client: Any, pat: Any, bob: Any, alice: Any) -> None:
    iv_series(pat, bob, alice, [18, 12])
    sign_in(client, alice)
    response = client.get(reverse("trajectory:chart_svg", kwargs={"patient_id": pat.pk}), {"scale": "phq9"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    svg = response.content.decode()
    assert svg.count("<svg") == 1 and 'role="img"' in svg and "<title" in svg and "<desc" in svg
    # Session markers with route and dose, the reference lines of clinical-rules.md §5 (baseline 20, 50 % → 10,
    # remission < 5), and the axis label naming the scale.
    assert "#1 IV 40 mg" in svg and "#2 IV 40 mg" in svg
    assert "Baseline 20" in svg and "Response (50 % of baseline)" in svg and "Remission &lt; 5" in svg
    assert "PHQ-9 total (0–27)" in svg
    assert AuditEvent.objects.filter(action="trajectory.chart", patient_id=pat.pk).count() == 1
    # The phone variant is square and labels the sessions by number only (route and dose are in the table).
    narrow = client.get(reverse("trajectory:chart_svg", kwargs={"patient_id": pat.pk}), {"size": "narrow"})
    text = narrow.content.decode()
    assert 'width="259.2pt" height="259.2pt"' in text  # 3.6 in × 72 pt
    assert "#1 IV 40 mg" not in text and ">#1<" in text


def test_chart_without_scores_is_an_empty_chart(client: Any, pat: Any, alice: Any) -> None:
    sign_in(client, alice)
    response = client.get(reverse("trajectory:chart_svg", kwargs={"patient_id": pat.pk}))
    assert response.status_code == 200 and "No scores yet" in response.content.decode()


def test_other_location_patient_is_404_and_reads_are_audited(client: Any, alice: Any, lake: Any, pat: Any) -> None:
    sign_in(client, alice)
    assert page(client, lake).status_code == 404
    assert client.get(reverse("trajectory:chart_svg", kwargs={"patient_id": lake.pk})).status_code == 404
    assert page(client, pat).status_code == 200
    event = AuditEvent.objects.filter(action="trajectory.view").get()
    assert (event.patient_id, event.actor_id) == (pat.pk, alice.pk)


def test_patient_chart_links_to_outcomes_for_clinicians(client: Any, pat: Any, alice: Any, carol: Any) -> None:
    chart = reverse("patients:chart", kwargs={"patient_id": pat.pk})
    sign_in(client, alice)
    html = client.get(chart).content.decode()
    assert reverse("trajectory:patient", kwargs={"patient_id": pat.pk}) in html
    assert reverse("questionnaires:patient_links", kwargs={"patient_id": pat.pk}) in html
    client.logout()
    sign_in(client, carol)
    html = client.get(chart).content.decode()
    assert 'data-testid="chart-outcomes"' not in html and 'data-testid="chart-questionnaires"' not in html


def _busy_patient(main_st: Any, bob: Any, alice: Any, scores: int, sessions: int) -> Any:
    patient = make_patient(main_st, given_name="Busy", family_name=f"Patient{scores}")
    version = signed_iv_plan(patient, bob)
    orders = list(version.orders.order_by("session_number"))
    score(patient, alice, 20, T0, context="baseline")
    for index in range(sessions):
        started_session(orders[index], alice, T0 + dt.timedelta(days=2 * index + 1))
    for index in range(scores - 1):
        score(patient, alice, 10 + index % 10, T0 + dt.timedelta(days=1, hours=6 * index + 1))
    return patient


def test_query_count_does_not_grow_with_scores_and_sessions(
    client: Any, main_st: Any, bob: Any, alice: Any, django_assert_max_num_queries: Any
) -> None:
    small = _busy_patient(main_st, bob, alice, scores=3, sessions=1)
    large = _busy_patient(main_st, bob, alice, scores=40, sessions=6)
    from ketaclinic.followup.services.adjustments import adjust_plan

    for patient in (small, large):
        plan = patient.treatment_plans.get()
        adjust_plan(by=bob, plan=plan, kind="continue", reason="Keep going.")
        adjust_plan(by=bob, plan=plan, kind="booster_interval", reason="Maintenance.", booster_interval_days=21)
    sign_in(client, bob)
    with CaptureQueriesContext(connection) as baseline:
        assert page(client, small).status_code == 200
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = page(client, large)
    # 40 scores of this test plus the intake baseline that signing eligibility recorded.
    assert response.status_code == 200 and len(trajectory.load(large).scores) == 41
    with CaptureQueriesContext(connection) as chart_small:
        client.get(reverse("trajectory:chart_svg", kwargs={"patient_id": small.pk}))
    with django_assert_max_num_queries(len(chart_small.captured_queries)):
        client.get(reverse("trajectory:chart_svg", kwargs={"patient_id": large.pk}))
