"""The dashboard page, its CSV export and /api/v1/outcomes/dashboard: figures, no names, scoping, errors, audit."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.demo import seed_outcomes
from ketaclinic.infusions.models import SideEffect, TreatmentSession
from ketaclinic.outcomes.models import OutcomeCourse, SafetyAlert
from tests.conftest import make_patient, sign_in

pytestmark = pytest.mark.django_db
API = "/api/v1/outcomes/dashboard/"


@pytest.fixture
def treated(main_st: Any, lakeside: Any, bob: Any, erin: Any) -> dict[str, Any]:
    """Two Main patients and one Lakeside patient with a seeded course (plans, sessions, scores, alerts, effects)."""
    main = [
        make_patient(main_st, given_name="Zelda", family_name="Quixote"),
        make_patient(main_st, given_name="Max", family_name="Mint"),
    ]
    lake = [make_patient(lakeside, given_name="Lee", family_name="Shore")]
    rng = random.Random(7)
    seed_outcomes.fill(
        batch=[seed_outcomes.SeedPatient(patient, 0) for patient in main], clinician=bob, rng=rng, now=timezone.now()
    )
    seed_outcomes.fill(
        batch=[seed_outcomes.SeedPatient(patient, 2) for patient in lake], clinician=bob, rng=rng, now=timezone.now()
    )
    return {"main": main, "lake": lake}


def test_page_shows_rates_benchmarks_and_safety_without_names(treated: Any, client: Any, bob: Any) -> None:
    sign_in(client, bob)
    response = client.get(reverse("dashboard:index"))
    assert response.status_code == 200
    html = response.content.decode()
    summary = response.context["summary"]
    assert summary.overall.evaluable == 2  # bob sees Main only
    assert f"{summary.overall.evaluable}</strong> evaluable" in html
    assert "ORKA-1, McInnes JAD 2022" in html and "53.6 % / 28.9 %" in html and "Sigtermans Pain 2009" in html
    assert "95 % CI" in html and "<svg" in html
    sessions = TreatmentSession.objects.filter(location__in=bob.locations.all()).count()
    assert summary.safety.sessions == sessions > 0
    assert f"{sessions} (not cancelled)" in html
    assert "Quixote" not in html and "Zelda" not in html and "Shore" not in html
    assert "style=" not in html and "<script>" not in html
    event = AuditEvent.objects.filter(action="dashboard.view").latest("seq")
    assert event.actor_id == bob.pk and event.detail["scale"] == "phq9"


def test_safety_figures_count_alerts_per_session_and_effects_by_type(treated: Any, dave: Any) -> None:
    from ketaclinic.followup.queries import dashboard

    summary = dashboard.summarise(dave)
    sessions = TreatmentSession.objects.exclude(status="cancelled").count()
    alerts = SafetyAlert.objects.count()
    assert summary.safety.sessions == sessions
    assert summary.safety.safety_alerts == alerts
    assert summary.safety.alerts_per_session == pytest.approx(alerts / sessions)
    effects = SideEffect.objects.filter(entered_in_error=False)
    by_type = {row.key: row.count for row in summary.safety.side_effects_by_type}
    assert sum(by_type.values()) == effects.count() == summary.safety.side_effects
    first = effects.first()
    assert first is not None and by_type[first.effect] == effects.filter(effect=first.effect).count()
    # An effect entered in error and a cancelled session's figures drop out.
    SideEffect.objects.filter(pk=first.pk).update(entered_in_error=True)
    TreatmentSession.objects.filter(pk=first.session_id).update(status="cancelled")
    again = dashboard.summarise(dave)
    assert again.safety.side_effects == summary.safety.side_effects - 1
    assert again.safety.sessions == sessions - 1


def test_filters_on_the_page_and_a_bad_filter_is_a_clear_400(
    treated: Any, client: Any, dave: Any, lakeside: Any
) -> None:
    sign_in(client, dave)
    response = client.get(reverse("dashboard:index"), {"scale": "pain_nrs", "location": lakeside.pk})
    assert response.status_code == 200
    assert response.context["summary"].overall.evaluable == 1  # the Lakeside CRPS patient
    bad = client.get(reverse("dashboard:index"), {"date_from": "tomorrow"})
    assert bad.status_code == 400 and "Enter the date as YYYY-MM-DD" in bad.content.decode()
    assert bad.context["summary"] is None


def test_location_filter_outside_ones_locations_is_refused(treated: Any, client: Any, bob: Any, lakeside: Any) -> None:
    sign_in(client, bob)
    response = client.get(reverse("dashboard:index"), {"location": lakeside.pk})
    assert response.status_code == 400 and "Choose one of your locations" in response.content.decode()
    assert client.get(reverse("dashboard:export_csv"), {"location": lakeside.pk}).status_code == 400


def test_csv_export_is_the_same_figures_and_audited(treated: Any, client: Any, bob: Any) -> None:
    sign_in(client, bob)
    response = client.get(reverse("dashboard:export_csv"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'filename="outcomes-phq9-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    evaluable = OutcomeCourse.objects.filter(
        instrument="phq9", location__in=bob.locations.all(), baseline_total__isnull=False, follow_ups__gt=0
    )
    responders = evaluable.filter(response=True).count()
    overall = next(row for row in rows if row[:3] == ["overall", "All evaluable patients", "response"])
    assert overall[3:5] == [str(responders), str(evaluable.count())]
    assert not any("Quixote" in cell for row in rows for cell in row)
    assert AuditEvent.objects.filter(action="dashboard.export", actor=bob).exists()


def test_api_returns_the_summary(treated: Any, client: Any, dave: Any) -> None:
    token = accounts.create_api_token(by=None, user=dave)
    response = client.get(API, {"scale": "phq9"}, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["filters"] == {
        "scale": "phq9",
        "location_id": None,
        "date_from": None,
        "date_to": None,
        "min_sessions": 0,
    }
    assert body["overall"]["evaluable"] == 3 and body["has_remission"] is True
    assert body["overall"]["response"]["n"] == 3
    assert {row["key"] for row in body["by_route"]} <= {"iv", "intranasal_esketamine", "im", "sublingual", "oral"}
    assert len(body["by_location"]) == 2
    assert body["safety"]["sessions"] == TreatmentSession.objects.count()
    assert body["benchmarks"][0]["values"] == "53.6 % / 28.9 %"
    assert "Quixote" not in response.content.decode()
    assert AuditEvent.objects.filter(action="api.dashboard.read", actor=dave).exists()


def test_api_errors(treated: Any, client: Any, alice: Any, bob: Any, lakeside: Any) -> None:
    assert client.get(API).status_code == 401
    nurse = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=alice)}"}
    assert client.get(API, **nurse).status_code == 403
    prescriber = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=bob)}"}
    outside = client.get(API, {"location": lakeside.pk}, **prescriber)
    assert outside.status_code == 422 and "location" in outside.json()["detail"]
    assert client.get(API, {"scale": "nope"}, **prescriber).status_code == 422
    backwards = client.get(API, {"date_from": "2026-02-02", "date_to": "2026-02-01"}, **prescriber)
    assert backwards.status_code == 422 and backwards.json()["detail"].startswith("date_to")
    assert client.post(API, **prescriber).status_code == 405


def test_api_is_in_the_openapi_document(client: Any) -> None:
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"][API.rstrip("/") + "/"]["get"] if API in document["paths"] else None
    assert operation is not None
    assert set(operation["responses"]) >= {"200", "401", "403", "422"}


def test_page_query_count_is_the_same_with_few_and_many_patients(
    treated: Any, client: Any, dave: Any, bob: Any, main_st: Any, lakeside: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sign_in(client, dave)
    client.get(reverse("dashboard:index"))  # warm: the session row exists
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("dashboard:index")).status_code == 200
    batch = [
        seed_outcomes.SeedPatient(make_patient(main_st if n % 2 else lakeside, given_name=f"More{n}"), n % 4)
        for n in range(30)
    ]
    seed_outcomes.fill(batch=batch, clinician=bob, rng=random.Random(9), now=timezone.now())
    assert OutcomeCourse.objects.count() == 2 * 33
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("dashboard:index"))
    # Every seeded patient has a PHQ-9 course (depression: PHQ-9 + GAD-7; pain: NRS + PHQ-9): 3 + 30.
    assert response.status_code == 200 and response.context["summary"].overall.courses == 33


def test_csv_export_neutralises_formula_text(treated: Any, client: Any, bob: Any, main_st: Any) -> None:
    """OWASP "CSV Injection" (issue 13, defect 6): a location name chosen by an admin is a group label in the CSV."""
    import re

    from ketaclinic.csv_safe import FORMULA_STARTS

    type(main_st).objects.filter(pk=main_st.pk).update(name='=HYPERLINK("http://evil.example","x")')
    sign_in(client, bob)
    response = client.get(reverse("dashboard:export_csv"))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [cell for row in rows for cell in row]
    assert '\'=HYPERLINK("http://evil.example","x")' in cells
    assert [c for c in cells if c.startswith(FORMULA_STARTS) and not re.fullmatch(r"-?\d+(\.\d+)?", c)] == []
