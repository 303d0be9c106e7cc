"""The intake assessment: draft pre-filled from the chart, sections, trials with treatment resistance, medication
reconciliation with drug classes, scales scored item by item, safety alerts, submission and the lock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.intake.models import InstrumentResponse, IntakeAssessment
from ketaclinic.intake.services import assessment as intake
from ketaclinic.intake.services.assessment import IntakeLocked
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients import services as patients
from ketaclinic.patients.models import Condition, Medication
from tests.conftest import sign_in
from tests.intake.factories import CSSRS_NEGATIVE, GAD7_MILD, PHQ9_MILD, consultation_request, draft_intake


def test_a_draft_starts_from_the_chart(alice: Any, carol: Any, pat: Any) -> None:
    patients.add_condition(by=alice, patient=pat, description="Glaucoma", rule_code="elevated_intraocular_pressure")
    patients.add_medication(by=alice, patient=pat, generic_name="Clonazepam", dose="0.5 mg", frequency="bd")
    patients.record_measurement(by=alice, patient=pat, weight_kg=Decimal("70.5"), height_cm=Decimal("165"))
    draft = intake.start_assessment(by=alice, patient=pat)
    assert draft.condition_codes == ["elevated_intraocular_pressure"]
    assert (draft.weight_kg, draft.height_cm, draft.pregnancy) == (Decimal("70.5"), Decimal("165.0"), "")
    line = draft.medications.get()
    assert (line.generic_name, line.chart_medication is not None, line.drug_classes) == (
        "clonazepam",
        True,
        ["benzodiazepine"],
    )
    with pytest.raises(ValidationError, match="already has an intake in progress"):
        intake.start_assessment(by=alice, patient=pat)
    with pytest.raises(PermissionDenied):
        intake.start_assessment(by=carol, patient=pat)
    assert AuditEvent.objects.filter(action="intake.start", patient_id=pat.pk).count() == 1


def test_the_draft_links_the_consultation_request_the_patient_came_from(alice: Any, carol: Any, main_st: Any) -> None:
    from ketaclinic.intake.services import consultation

    request = consultation_request(main_st)
    consultation.change_status(by=carol, request=request, to_status="contacted")
    patient = consultation.convert_request(
        by=carol, request=request, location=main_st, data=consultation.patient_data_from(request)
    )
    assert intake.start_assessment(by=alice, patient=patient).consultation_request == request


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"systolic_mmhg": 120, "diastolic_mmhg": 130}, "diastolic_mmhg"),
        ({"systolic_mmhg": 120}, "diastolic_mmhg"),
        ({"systolic_mmhg": 400, "diastolic_mmhg": 80}, "systolic_mmhg"),
        ({"spo2_percent": 101}, "spo2_percent"),
        ({"weight_kg": Decimal("80")}, "height_cm"),
        ({"weight_kg": Decimal("7000"), "height_cm": Decimal("170")}, "weight_kg"),
        ({"routes": ["iv", "rectal"]}, "routes"),
        ({"condition_codes": ["broken_leg"]}, "condition_codes"),
        ({"indication": "hiccups"}, "indication"),
        ({"current_episode_onset": dt.date(2999, 1, 1)}, "current_episode_onset"),
        ({"vitals_at": timezone.now() + dt.timedelta(hours=2)}, "vitals_at"),
        ({"ride_home_phone": "call me"}, "ride_home_phone"),
        ({"psychiatric_history": "x" * 4001}, "psychiatric_history"),
        ({"nonsense": 1}, "nonsense"),
    ],
)
def test_bad_draft_changes_name_the_field_and_change_nothing(
    changes: dict[str, Any], field: str, alice: Any, pat: Any
) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    with pytest.raises(ValidationError) as caught:
        intake.update_assessment(by=alice, assessment=draft, changes=changes)
    assert field in caught.value.message_dict, caught.value.message_dict
    fresh = IntakeAssessment.objects.get(pk=draft.pk)
    assert (fresh.version, fresh.systolic_mmhg, fresh.routes) == (1, None, [])


def test_a_male_patient_cannot_be_recorded_pregnant(alice: Any, main_st: Any) -> None:
    from tests.conftest import make_patient

    sam = make_patient(main_st, given_name="Sam", sex="male")
    draft = intake.start_assessment(by=alice, patient=sam)
    assert draft.pregnancy == "not_applicable"
    with pytest.raises(ValidationError, match="male"):
        intake.update_assessment(by=alice, assessment=draft, changes={"pregnancy": "yes"})


def test_trials_compute_treatment_resistance(alice: Any, pat: Any, client: Any) -> None:
    draft = draft_intake(patient=pat, clinician=alice, failed_trials=1)
    intake.add_trial(
        by=alice,
        assessment=draft,
        drug="Escitalopram",
        dose="10 mg",
        weeks_at_dose=4,
        adequate_dose=True,
        outcome="no_response",
        current_episode=True,
    )
    sign_in(client, alice)
    page = client.get(reverse("intake:assessment", args=[draft.pk])).content.decode()
    assert "1 failed adequate trial(s) in the current episode: does not meet" in page
    assert "4 week(s) at dose: an adequate trial lasts ≥ 6 weeks." in page
    intake.add_trial(
        by=alice,
        assessment=draft,
        drug="venlafaxine",
        dose="225 mg",
        weeks_at_dose=10,
        adequate_dose=True,
        outcome="partial_response",
        current_episode=True,
    )
    page = client.get(reverse("intake:assessment", args=[draft.pk])).content.decode()
    assert "2 failed adequate trial(s) in the current episode: meets" in page
    assert draft.trials.get(drug="escitalopram")  # generic names are stored lower-case


@pytest.mark.parametrize(
    ("post", "field"),
    [
        ({"dose": "100 mg", "weeks_at_dose": "8", "outcome": "no_response"}, "drug"),
        ({"drug": "sertraline", "dose": "100 mg", "weeks_at_dose": "-1", "outcome": "no_response"}, "weeks_at_dose"),
        ({"drug": "sertraline", "dose": "100 mg", "weeks_at_dose": "600", "outcome": "no_response"}, "weeks_at_dose"),
        ({"drug": "sertraline", "dose": "100 mg", "weeks_at_dose": "8", "outcome": "cured"}, "outcome"),
        ({"drug": "sertraline", "weeks_at_dose": "8", "outcome": "no_response"}, "dose"),
    ],
)
def test_the_trial_form_shows_field_errors_and_writes_nothing(
    post: dict[str, str], field: str, alice: Any, pat: Any, client: Any
) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    response = client.post(reverse("intake:trial_create", args=[draft.pk]), post)
    assert response.status_code == 200 and field in response.context["form"].errors
    assert not draft.trials.exists()


def test_medication_reconciliation_resolves_drug_classes_and_records_not_taking(
    alice: Any, pat: Any, client: Any
) -> None:
    patients.add_medication(by=alice, patient=pat, generic_name="tramadol", dose="50 mg", frequency="prn")
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    url = reverse("intake:medications", args=[draft.pk])
    assert (
        client.post(
            url, {"action": "add", "generic_name": "Phenelzine", "dose": "15 mg", "frequency": "tid"}
        ).status_code
        == 302
    )
    bad = client.post(url, {"action": "add", "generic_name": "", "dose": "", "frequency": ""})
    assert bad.status_code == 200 and set(bad.context["form"].errors) == {"generic_name", "dose", "frequency"}
    chart_line = draft.medications.get(generic_name="tramadol")
    assert client.post(url, {"action": "taking", "line": chart_line.pk, "taking": "no"}).status_code == 302
    page = client.get(url).content.decode()
    assert "MAO inhibitor" in page and "Opioid" in page and ">maoi<" not in page
    chart_line.refresh_from_db()
    assert chart_line.taking is False and draft.medications.count() == 2
    assert client.post(url, {"action": "taking", "line": 999999, "taking": "no"}).status_code == 404


def test_scales_are_entered_item_by_item_and_scored_by_the_domain(alice: Any, pat: Any, client: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    url = reverse("intake:instrument", args=[draft.pk, "phq9"])
    page = client.get(url).content.decode()
    assert "Little interest or pleasure in doing things" in page and "Nearly every day" in page
    answers = {f"item_{n}": "2" for n in range(1, 10)} | {"item_9": "0"}
    assert client.post(url, answers).status_code == 302
    response = draft.responses.get(instrument="phq9")
    assert (response.total, response.band, response.flags) == (16.0, "moderately severe", [])
    assert response.answers[:9] == [2, 2, 2, 2, 2, 2, 2, 2, 0]
    # Entering it again replaces the entry; the old one is kept, marked entered in error.
    client.post(url, {f"item_{n}": "0" for n in range(1, 10)})
    assert InstrumentResponse.objects.filter(assessment=draft, instrument="phq9").count() == 2
    assert draft.responses.get(instrument="phq9", entered_in_error=False).total == 0


def test_a_missing_item_is_named_and_nothing_is_scored(alice: Any, pat: Any, client: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    answers = {f"item_{n}": "1" for n in range(1, 9)}
    response = client.post(reverse("intake:instrument", args=[draft.pk, "phq9"]), answers)
    assert response.status_code == 200 and "item_9" in response.context["form"].errors
    # The C-SSRS skip logic is the domain's: q3 answered while q2 is No is refused, naming item 3.
    cssrs = {"item_1": "no", "item_2": "no", "item_3": "yes", "item_6": "no"}
    response = client.post(reverse("intake:instrument", args=[draft.pk, "cssrs_screener"]), cssrs)
    assert response.status_code == 200
    assert "must be left unanswered (it is skipped) when item 2 is No" in str(response.context["form"].errors["item_3"])
    assert not draft.responses.exists()
    assert client.get(reverse("intake:instrument", args=[draft.pk, "madrs"])).status_code == 404


def test_phq9_item_9_alerts_the_primary_clinician_with_the_safety_workflow(
    alice: Any, bob: Any, pat: Any, django_capture_on_commit_callbacks: Any
) -> None:
    patients.update_patient(by=alice, patient=pat, changes={"primary_clinician": bob})
    bob.email = "bob@example.org"
    bob.save()
    draft = intake.start_assessment(by=alice, patient=pat)
    with django_capture_on_commit_callbacks(execute=True):
        intake.record_instrument(by=alice, assessment=draft, instrument="phq9", answers=[0, 0, 0, 0, 0, 0, 0, 0, 1])
    alert = SafetyAlert.objects.get()
    assert (alert.assigned_to, alert.assignment, alert.severity, alert.instrument) == (
        bob,
        "primary_clinician",
        "unrated",
        "phq9",
    )
    assert "Administer the C-SSRS screener." in alert.recommended_action
    assert "answered “Several days”" in alert.message
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["bob@example.org"]
    assert pat.family_name not in mail.outbox[0].body and pat.mrn not in mail.outbox[0].body  # no PHI by e-mail
    # Re-entering the same positive scale does not stack a second open alert.
    intake.record_instrument(by=alice, assessment=draft, instrument="phq9", answers=[0, 0, 0, 0, 0, 0, 0, 0, 2])
    assert SafetyAlert.objects.count() == 1


@pytest.mark.parametrize(
    ("answers", "severity", "action"),
    [
        ([True, False, None, None, None, False, None], "low", "Behavioural-health referral and crisis resources."),
        ([True, True, True, False, False, False, None], "moderate", "Care-team consult and safety plan."),
        ([True, True, False, True, False, False, None], "high", "Same-day psychiatric evaluation"),
        ([False, False, None, None, None, True, True], "high", "Same-day psychiatric evaluation"),
    ],
)
def test_a_positive_cssrs_screen_alerts_with_the_columbia_action(
    answers: list[Any], severity: str, action: str, alice: Any, pat: Any
) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    intake.record_instrument(by=alice, assessment=draft, instrument="cssrs_screener", answers=answers)
    alert = SafetyAlert.objects.get()
    assert alert.severity == severity and alert.recommended_action.startswith(action)
    # No primary clinician: the nurse who recorded the screen gets it (documented fallback).
    assert (alert.assigned_to, alert.assignment) == (alice, "recorder")


def test_a_negative_screen_raises_no_alert(alice: Any, pat: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    intake.record_instrument(by=alice, assessment=draft, instrument="cssrs_screener", answers=CSSRS_NEGATIVE)
    intake.record_instrument(by=alice, assessment=draft, instrument="phq9", answers=PHQ9_MILD)
    assert not SafetyAlert.objects.exists()


def test_submission_lists_everything_missing_then_writes_to_the_chart_and_locks(
    alice: Any, pat: Any, client: Any
) -> None:
    empty = intake.start_assessment(by=alice, patient=pat)
    with pytest.raises(ValidationError) as caught:
        intake.submit_assessment(by=alice, assessment=empty)
    assert set(caught.value.message_dict) == {
        "indication",
        "routes",
        "vitals",
        "body",
        "pregnancy",
        "phq9",
        "gad7",
        "cssrs_screener",
    }
    IntakeAssessment.objects.filter(pk=empty.pk).update(entered_in_error=True)  # clear the way for the real one
    draft = draft_intake(
        patient=pat,
        clinician=alice,
        indication="fibromyalgia",
        conditions=["elevated_intraocular_pressure"],
        medications=["lorazepam"],
        scales={"pain_nrs": [6]},
    )
    sign_in(client, alice)
    response = client.post(reverse("intake:assessment_submit", args=[draft.pk]))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.submitted_by == alice and draft.measurement is not None
    assert draft.measurement.weight_kg == Decimal("80.0")
    assert Condition.objects.filter(patient=pat, rule_code="elevated_intraocular_pressure").exists()
    assert Medication.objects.filter(patient=pat, generic_name="lorazepam").exists()
    assert AuditEvent.objects.filter(action="intake.submit", patient_id=pat.pk).exists()
    # Locked: services refuse, edit pages send back to the read-only intake.
    with pytest.raises(IntakeLocked):
        intake.update_assessment(by=alice, assessment=draft, changes={"ptsd": True})
    with pytest.raises(IntakeLocked):
        intake.record_instrument(by=alice, assessment=draft, instrument="gad7", answers=GAD7_MILD)
    edit = client.get(reverse("intake:assessment_vitals", args=[draft.pk]))
    assert edit.status_code == 302 and edit["Location"] == reverse("intake:assessment", args=[draft.pk])


def test_a_pain_intake_needs_a_pain_score(alice: Any, pat: Any) -> None:
    draft = draft_intake(patient=pat, clinician=alice, indication="crps", scales={})
    draft.responses.filter(instrument="pain_nrs").update(entered_in_error=True)
    assert intake.missing_for_submission(draft) == {"pain_score": "Enter a baseline pain score (NRS, BPI or PEG)."}


def test_the_background_and_vitals_forms_save_through_the_service(alice: Any, pat: Any, client: Any) -> None:
    draft = intake.start_assessment(by=alice, patient=pat)
    sign_in(client, alice)
    response = client.post(
        reverse("intake:assessment_background", args=[draft.pk]),
        {
            "indication": "treatment_resistant_depression",
            "routes": ["iv", "intranasal_esketamine"],
            "condition_codes": ["psychotic_disorder_history"],
            "pregnancy": "no",
            "psychiatric_history": "Recurrent MDD since 2015.",
            "version": draft.version,
        },
    )
    assert response.status_code == 302
    bad = client.post(
        reverse("intake:assessment_vitals", args=[draft.pk]), {"systolic_mmhg": "120", "diastolic_mmhg": "140"}
    )
    assert bad.status_code == 200 and "diastolic_mmhg" in bad.context["form"].errors
    draft.refresh_from_db()
    assert draft.routes == ["iv", "intranasal_esketamine"] and draft.systolic_mmhg is None
    stale = client.post(reverse("intake:assessment_background", args=[draft.pk]), {"indication": "crps", "version": 1})
    assert stale.status_code == 200 and "Someone else changed this intake" in stale.content.decode()


def test_a_wrong_trial_is_marked_entered_in_error_not_deleted(alice: Any, pat: Any, client: Any) -> None:
    draft = draft_intake(patient=pat, clinician=alice, failed_trials=2)
    trial = draft.trials.first()
    sign_in(client, alice)
    url = reverse("intake:line_entered_in_error", args=[draft.pk, "trial", trial.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "Wrong patient's history"}).status_code == 302
    trial.refresh_from_db()
    assert trial.entered_in_error and trial.entered_in_error_by == alice
    page = client.get(reverse("intake:assessment", args=[draft.pk])).content.decode()
    assert "Wrong patient&#x27;s history" in page and "1 failed adequate trial(s)" in page
    assert client.get(reverse("intake:line_entered_in_error", args=[draft.pk, "bogus", trial.pk])).status_code == 404


def test_a_patient_at_another_location_is_404(alice: Any, erin: Any, lake: Any, client: Any) -> None:
    draft = intake.start_assessment(by=erin, patient=lake)
    sign_in(client, alice)
    for url in (
        reverse("intake:patient_intakes", args=[lake.pk]),
        reverse("intake:assessment", args=[draft.pk]),
        reverse("intake:assessment_vitals", args=[draft.pk]),
        reverse("intake:instrument", args=[draft.pk, "phq9"]),
        reverse("intake:eligibility_review", args=[lake.pk]),
    ):
        assert client.get(url).status_code == 404, url
    with pytest.raises(PermissionDenied):
        intake.update_assessment(by=alice, assessment=draft, changes={"ptsd": True})
