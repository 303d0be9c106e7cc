"""Monitoring of a home programme: the bladder and alcohol screens sent from home, the stop suggestions, the stop."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.followup.services import home_screens, schedule
from ketaclinic.followup.services import questionnaires as links
from ketaclinic.homecare import monitoring, services
from ketaclinic.homecare.models import HomeCheckIn, HomeProgramme, TakeHomePrescription
from ketaclinic.outcomes.models import Measurement
from tests.homecare.conftest import GOOD

pytestmark = pytest.mark.django_db

NONE = [0, 0, 0, 0, 0]


def answer_screen(patient: Any, bladder: list[int], audit_c: list[int]) -> Any:
    link = links.issue_link(
        by=None,
        patient=patient,
        purpose="follow_up",
        scales=["bladder_symptoms", "audit_c"],
        schedule_key=f"test:{uuid.uuid4().hex}",
        due_on=dt.date.today(),
        expires_at=timezone.now() + dt.timedelta(hours=2),
    ).link
    return links.submit_for_patient(
        link_id=link.pk, patient_id=patient.pk, answers={"bladder_symptoms": bladder, "audit_c": audit_c}
    )


def codes(programme: Any) -> list[str]:
    return [s.code for s in monitoring.suggestions(programme)]


# --- the screens ----------------------------------------------------------------------------------------------------


def test_screens_are_scored_and_stored_from_the_portal(programme: Any) -> None:
    done = answer_screen(programme.patient, [0, 1, 0, 0, 0], [1, 1, 0])
    assert [(m.instrument, m.total) for m in done.measurements] == [("bladder_symptoms", 1.0), ("audit_c", 2.0)]
    assert all(m.context == "home" for m in done.measurements)


def test_a_partial_bladder_check_is_refused_and_nothing_is_stored(programme: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        answer_screen(programme.patient, [0, 1, 0, 0], [1, 1, 0])
    assert "item 5 (Pain over the bladder)" in str(refused.value)
    assert not Measurement.objects.exists()


def test_a_new_bladder_symptom_since_baseline_suggests_stopping(programme: Any) -> None:
    answer_screen(programme.patient, [1, 0, 0, 0, 0], [0, 0, 0])
    assert codes(programme) == []  # the baseline alone: nothing is "new"
    answer_screen(programme.patient, [1, 0, 0, 0, 0], [0, 0, 0])
    assert codes(programme) == []  # frequency was there at baseline
    answer_screen(programme.patient, [1, 0, 0, 1, 0], [0, 0, 0])
    found = monitoring.screens(programme)
    assert found.new_bladder_symptoms == ("Blood in the urine",)
    (suggestion,) = monitoring.suggestions(programme)
    assert (suggestion.code, suggestion.action) == ("bladder", "stop")


def test_audit_c_uses_the_patients_sex(programme: Any) -> None:
    answer_screen(programme.patient, NONE, [1, 1, 1])  # 3: positive for a woman (Pat), not for a man
    assert monitoring.screens(programme).audit_c_positive is True and codes(programme) == ["alcohol"]
    type(programme.patient).objects.filter(pk=programme.patient_id).update(sex="male")
    programme = HomeProgramme.objects.select_related("patient").get(pk=programme.pk)
    found = monitoring.screens(programme)
    assert (found.audit_c_positive, found.audit_c_cutoff) == (False, 4) and codes(programme) == []


def test_screens_before_enrolment_do_not_count(programme: Any) -> None:
    HomeProgramme.objects.filter(pk=programme.pk).update(recorded_at=timezone.now() + dt.timedelta(minutes=1))
    answer_screen(programme.patient, [1, 1, 1, 1, 1], [4, 4, 4])
    programme.refresh_from_db()
    found = monitoring.screens(programme)
    assert found.bladder_baseline is None and found.audit_c_latest is None


# --- facts from the diary -------------------------------------------------------------------------------------------


def test_check_ins_without_a_sober_monitor_count_as_rule_breaches(prescription: Any) -> None:
    services.check_in(by=None, prescription=prescription, **{**GOOD, "monitor_present": False})
    services.check_in(by=None, prescription=prescription, **{**GOOD, "symptoms": ["alcohol_today"]})
    services.check_in(by=None, prescription=prescription, **GOOD)
    assert monitoring.rule_breaches(prescription.programme) == 2
    assert "rules" in codes(prescription.programme)
    HomeCheckIn.objects.filter(monitor_present=False).update(entered_in_error=True)
    assert monitoring.rule_breaches(prescription.programme) == 1


def test_sedation_not_resolved_suggests_stopping(prescription: Any) -> None:
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    dose = services.take_dose(by=None, check_in=row)
    services.post_dose_check(by=None, dose=dose, sedation_resolved=False, side_effects="very drowsy")
    facts = monitoring.stop_facts(prescription.programme)
    assert facts.unresolved_sedation == 1 and "sedation" in codes(prescription.programme)


def test_course_complete_when_every_authorised_session_is_taken(prescription: Any) -> None:
    TakeHomePrescription.objects.filter(pk=prescription.pk).update(sessions=1, refills_authorised=0)
    assert not monitoring.stop_facts(prescription.programme).course_complete
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.take_dose(by=None, check_in=row)
    assert monitoring.stop_facts(prescription.programme).course_complete
    assert "course" in codes(prescription.programme)


def test_telehealth_only_after_the_dea_end_date(programme: Any) -> None:
    HomeProgramme.objects.filter(pk=programme.pk).update(in_person_evaluation_on=None)
    programme.refresh_from_db()
    assert "telehealth" not in codes(programme)
    with time_machine.travel(dt.datetime(2027, 1, 2, 18, tzinfo=dt.UTC)):
        assert "telehealth" in codes(programme)


# --- the scheduler --------------------------------------------------------------------------------------------------


def test_baseline_screen_is_issued_once_and_periodic_only_with_the_clinic_interval(
    programme: Any, dave: Any, clinic: Any
) -> None:
    first = schedule.run_schedule(base_url="https://clinic.example")
    key = f"home:{programme.pk}:baseline"
    assert key in first.issued
    link = QuestionnaireLink.objects.get(schedule_key=key)
    assert link.instruments == ["bladder_symptoms", "audit_c"] and link.sent_at is not None
    assert key not in schedule.run_schedule(base_url="https://clinic.example").issued
    later = timezone.now() + dt.timedelta(days=60)
    assert home_screens.due_home_screens(later) == []  # no interval set: baseline only
    services.save_settings(by=dave, clinic=clinic, screen_interval_days=30)
    (due,) = home_screens.due_home_screens(later)
    assert due.due.key.startswith(f"home:{programme.pk}:") and not due.due.baseline
    assert home_screens.due_home_screens(timezone.now() + dt.timedelta(days=10)) == []


def test_no_screen_for_a_stopped_programme(programme: Any, bob: Any) -> None:
    services.stop_programme(by=bob, programme=programme, reason="Patient moved away.")
    assert home_screens.due_home_screens(timezone.now()) == []


def test_the_screen_interval_is_validated(dave: Any, clinic: Any) -> None:
    with pytest.raises(ValidationError):
        services.save_settings(by=dave, clinic=clinic, screen_interval_days=0)


# --- stopping -------------------------------------------------------------------------------------------------------


def test_stop_needs_a_reason_and_writes_nothing_without_one(programme: Any, bob: Any) -> None:
    with pytest.raises(ServiceError, match="reason"):
        services.stop_programme(by=bob, programme=programme, reason="   ")
    with pytest.raises(ServiceError, match="under 1000"):
        services.stop_programme(by=bob, programme=programme, reason="x" * 1001)
    programme.refresh_from_db()
    assert programme.status == "active" and not AuditEvent.objects.filter(action="homecare.stop").exists()


def test_only_a_prescriber_stops(programme: Any, alice: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.stop_programme(by=alice, programme=programme, reason="Bladder symptoms.")


def test_stop_closes_the_prescriptions_so_no_dose_is_cleared(prescription: Any, bob: Any) -> None:
    programme = prescription.programme
    answer_screen(programme.patient, NONE, [0, 0, 0])
    answer_screen(programme.patient, [0, 0, 0, 0, 1], [0, 0, 0])
    stopped = services.stop_programme(by=bob, programme=programme, reason="New bladder pain since baseline.")
    assert (stopped.status, stopped.stopped_by, stopped.stop_reason) == (
        "stopped",
        bob,
        "New bladder pain since baseline.",
    )
    prescription.refresh_from_db()
    assert prescription.stopped_at is not None
    _, decision = services.check_in(by=None, prescription=prescription, **GOOD)
    assert not decision.cleared and "not active" in decision.reasons[0]
    event = AuditEvent.objects.get(action="homecare.stop")
    assert event.detail["suggestions_shown"] == ["bladder"] and event.detail["prescriptions_stopped"] == 1
    with pytest.raises(ServiceError, match="not active"):
        services.stop_programme(by=bob, programme=programme, reason="again")


# --- the pages ------------------------------------------------------------------------------------------------------


def test_programme_page_shows_screens_and_suggestions(client_as: Any, alice: Any, programme: Any) -> None:
    answer_screen(programme.patient, NONE, [2, 1, 0])
    answer_screen(programme.patient, [0, 1, 0, 0, 0], [2, 1, 0])
    page = client_as(alice).get(f"/homecare/patient/{programme.patient_id}/").content.decode()
    assert 'data-testid="stop-suggestions"' in page and "Sudden urge to pass urine" in page
    assert "AUDIT-C 3, positive (cut-off 3)" in page and "Bradley et al. 2007" in page
    assert "no periodic interval set (clinic policy)" in page
    assert 'data-testid="stop-form"' not in page  # nurses do not stop a programme


def test_stop_page_refuses_a_blank_reason_then_stops(client_as: Any, bob: Any, programme: Any) -> None:
    client = client_as(bob)
    url = f"/homecare/patient/{programme.patient_id}/stop/"
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and "This field is required" in refused.content.decode()
    programme.refresh_from_db()
    assert programme.status == "active"
    answer = client.post(url, {"reason": "Course complete; no reason to continue."})
    assert answer.status_code == 302
    page = client.get(f"/homecare/patient/{programme.patient_id}/").content.decode()
    assert 'data-testid="programme-stopped"' in page and "Course complete; no reason to continue." in page


def test_staff_send_the_screens_now_by_the_api(pat: Any, alice: Any) -> None:
    from django.test import Client

    from ketaclinic.accounts import services as accounts

    token = accounts.create_api_token(by=None, user=alice)
    sent = Client().post(
        f"/api/v1/outcomes/questionnaire-links/patient/{pat.pk}/send",
        {"instruments": ["audit_c", "bladder_symptoms"]},
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="screens-1",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert sent.status_code == 201 and sent.json()["instruments"] == ["bladder_symptoms", "audit_c"]
