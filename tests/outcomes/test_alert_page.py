"""The safety alert page (issue 15): the patient's phone as a tel: link, a "Record C-SSRS now" action pointing at the
place the screener is recorded for that patient, and a red severity pill for a positive PHQ-9 item 9."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from ketaclinic.intake.models import IntakeAssessment
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients import services as patients
from tests.conftest import sign_in
from tests.intake.factories import draft_intake

PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]


def test_the_alert_page_offers_the_phone_and_the_cssrs_and_a_red_pill(alice: Any, pat: Any, client: Any) -> None:
    patients.update_patient(by=alice, patient=pat, changes={"phone": "(512) 555-0142"})
    draft_intake(patient=pat, clinician=alice, scales={"phq9": PHQ9_ITEM9})
    alert = SafetyAlert.objects.get()
    assert alert.severity == "unrated" and alert.severity_tone == "danger"
    draft = IntakeAssessment.objects.get(patient=pat)
    sign_in(client, alice)
    page = client.get(reverse("outcomes:alert_detail", args=[alert.pk])).content.decode()
    assert 'href="tel:5125550142"' in page and "(512) 555-0142" in page
    cssrs = reverse("intake:instrument", args=[draft.pk, "cssrs_screener"])
    assert f'href="{cssrs}" data-testid="record-cssrs">Record C-SSRS now' in page
    assert "tone-danger" in page and "tone-warning" not in page
    listing = client.get(reverse("outcomes:alert_list"), {"show": "all"}).content.decode()
    assert "severity-unrated tone-danger" in listing


def test_without_an_open_intake_the_action_starts_one(alice: Any, pat: Any, client: Any) -> None:
    draft_intake(patient=pat, clinician=alice, scales={"phq9": PHQ9_ITEM9})
    IntakeAssessment.objects.filter(patient=pat).update(status=IntakeAssessment.Status.SUBMITTED)
    alert = SafetyAlert.objects.get()
    sign_in(client, alice)
    page = client.get(reverse("outcomes:alert_detail", args=[alert.pk])).content.decode()
    assert f'href="{reverse("intake:patient_intakes", args=[pat.pk])}" data-testid="record-cssrs"' in page
    assert 'href="tel:2175550123"' in page  # the cast patient's number


def test_a_low_cssrs_band_is_amber_not_blue(alice: Any, pat: Any) -> None:
    draft_intake(patient=pat, clinician=alice, scales={"cssrs_screener": [True, False, None, None, None, False, None]})
    alert = SafetyAlert.objects.get()
    assert (alert.severity, alert.severity_tone) == ("low", "warning")
