"""The demo clinic has a FHIR referral in and a signed progress letter back to the referrer, with one addendum and its
FHIR document frozen at signing (issue 20)."""

from __future__ import annotations

from typing import Any

from ketaclinic.accounts.models import User
from ketaclinic.followup.models import ProgressLetter
from ketaclinic.intake.models import ConsultationRequest
from tests.fhir.conftest import validate


def test_the_demo_has_a_referral_in_and_a_signed_letter_out(fhir_get: Any) -> None:
    letter = ProgressLetter.objects.get()
    assert letter.is_signed and letter.recipient_name == "Dr. Priya Shah" and letter.document is not None
    assert letter.content["treatment"]["count"] >= 6 and letter.content["scales"]
    referral = ConsultationRequest.objects.get(source="fhir")
    assert referral.patient == letter.patient and referral.status == "converted"
    response = fhir_get(f"Composition/{letter.pk}/$document", User.objects.get(username="prescriber"))
    assert response.status_code == 200
    validate(response.json())
    assert letter.document_bundle == response.json()
    addendum = letter.addenda.get()
    assert addendum.signed_by == letter.signed_by and addendum.document is not None
    appended = fhir_get(f"Composition/addendum-{addendum.pk}", User.objects.get(username="prescriber")).json()
    validate(appended)
    assert appended["relatesTo"][0]["targetReference"]["reference"] == f"Composition/{letter.pk}"
