"""/api/v1/outcomes: the outcome series and course summaries, clinical roles only, scoped to the caller's locations
(another location's patient is 404), paginated, every read audited."""

from __future__ import annotations

from typing import Any

from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain import instruments
from ketaclinic.outcomes import services as outcomes
from ketaclinic.outcomes.models import Measurement

URL = "/api/v1/outcomes/measurements"


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}


def score(patient: Any, by: Any, instrument: str, answers: list[Any], context: str) -> Measurement:
    # The patient row stands in for the source (like the access-matrix world's alert): one per scale and context.
    source = patient if context == "baseline" else by
    return outcomes.record_measurement(
        by=by, patient=patient, score=instruments.score(instrument, answers), context=context, source=source
    )


def test_needs_credentials_and_a_clinical_role(carol: Any, dave: Any) -> None:
    assert Client().get(URL).status_code == 401
    assert Client().get(URL, **bearer(carol)).status_code == 403
    assert Client().get(URL, **bearer(dave)).status_code == 403
    assert Client().get("/api/v1/outcomes/patients/1/courses", **bearer(dave)).status_code == 403


def test_lists_measurements_at_the_callers_locations_with_filters(alice: Any, erin: Any, pat: Any, lake: Any) -> None:
    baseline = score(pat, alice, "phq9", [2] * 9, "baseline")  # 18
    later = score(pat, alice, "phq9", [1] * 9, "pre_session")  # 9
    gad = score(pat, alice, "gad7", [1] * 7, "pre_session")
    score(lake, erin, "phq9", [3] * 9, "baseline")  # Lakeside: alice never sees it
    body = Client().get(URL, **bearer(alice)).json()
    assert body["count"] == 3 and {item["id"] for item in body["items"]} == {baseline.pk, later.pk, gad.pk}
    first = next(item for item in body["items"] if item["id"] == baseline.pk)
    assert (first["patient_id"], first["instrument"], first["context"]) == (pat.pk, "phq9", "baseline")
    assert first["total"] == 18
    assert first["answers"][:9] == [2] * 9 and first["recorded_by_id"] == alice.pk
    only = Client().get(URL, {"patient_id": pat.pk, "instrument": "phq9", "context": "pre_session"}, **bearer(alice))
    assert [item["id"] for item in only.json()["items"]] == [later.pk]
    page = Client().get(URL, {"limit": 1, "offset": 1}, **bearer(alice)).json()
    assert page["count"] == 3 and len(page["items"]) == 1
    assert Client().get(URL, {"context": "nonsense"}, **bearer(alice)).status_code == 422
    event = AuditEvent.objects.filter(action="api.measurement.list", actor=alice, patient_id=pat.pk).get()
    assert event.detail == {"instrument": "phq9", "context": "pre_session"}


def test_another_locations_patient_is_404(alice: Any, erin: Any, lake: Any) -> None:
    score(lake, erin, "phq9", [3] * 9, "baseline")
    assert Client().get(URL, {"patient_id": lake.pk}, **bearer(alice)).status_code == 404
    assert Client().get(f"/api/v1/outcomes/patients/{lake.pk}/courses", **bearer(alice)).status_code == 404
    assert Client().get("/api/v1/outcomes/patients/999999/courses", **bearer(alice)).status_code == 404


def test_entered_in_error_measurements_are_not_listed(alice: Any, pat: Any) -> None:
    row = score(pat, alice, "phq9", [2] * 9, "baseline")
    outcomes.withdraw_measurements_of(by=alice, source=pat, reason="wrong patient")
    assert row.pk not in [item["id"] for item in Client().get(URL, **bearer(alice)).json()["items"]]


def test_courses_report_response_and_remission(alice: Any, pat: Any) -> None:
    score(pat, alice, "phq9", [2] * 9, "baseline")  # 18
    score(pat, alice, "phq9", [0, 0, 0, 0, 1, 1, 1, 0, 0], "pre_session")  # 3: 83 % reduction, < 5 remission
    response = Client().get(f"/api/v1/outcomes/patients/{pat.pk}/courses", **bearer(alice))
    assert response.status_code == 200
    (course,) = response.json()["items"]
    assert (course["instrument"], course["baseline_total"], course["latest_total"]) == ("phq9", 18, 3)
    assert round(course["reduction_pct"], 1) == 83.3
    assert course["response"] and course["remission"] and not course["relapse"] and course["evaluable"]
    assert course["location_id"] == pat.location_id and course["follow_ups"] == 1
    assert AuditEvent.objects.filter(action="api.outcome_course.list", patient_id=pat.pk, actor=alice).exists()


def test_undeclared_methods_are_405(alice: Any, pat: Any) -> None:
    assert Client().post(URL, {}, content_type="application/json", **bearer(alice)).status_code == 405
    path = f"/api/v1/outcomes/patients/{pat.pk}/courses"
    assert Client().delete(path, **bearer(alice)).status_code == 405
