"""Access matrix rows of the intake app (tests/test_access_matrix.py reads EXPECTED, make_world and url_kwargs)."""

from __future__ import annotations

from typing import Any

from tests.test_access_matrix import CLINICAL, FD, NURSE, PRESC, everyone, staff

TRIAGE = (FD, NURSE, PRESC)

EXPECTED: dict[str, dict[str, int]] = {
    # Public
    "consultation:request": everyone(200),
    "consultation:thanks": everyone(200),
    # Triage
    "intake:request_list": staff(allowed=TRIAGE),
    "intake:request_detail": staff(allowed=TRIAGE),
    "intake:request_convert": staff(allowed=TRIAGE),
    "intake:request_status": everyone(405),  # POST only
    "intake:request_note": everyone(405),
    "intake:request_review": everyone(405),
    "intake:request_link": everyone(405),
    # A referral's documents are clinical (like the chart's referral letters): nurses and prescribers.
    "intake:request_document": staff(allowed=CLINICAL),
    # Intake assessment
    "intake:patient_intakes": staff(allowed=CLINICAL),
    "intake:assessment": staff(allowed=CLINICAL),
    "intake:assessment_background": staff(allowed=CLINICAL),
    "intake:assessment_vitals": staff(allowed=CLINICAL),
    "intake:assessment_safety": staff(allowed=CLINICAL),
    "intake:trial_create": staff(allowed=CLINICAL),
    "intake:medications": staff(allowed=CLINICAL),
    "intake:line_entered_in_error": staff(allowed=CLINICAL),
    "intake:instrument": staff(allowed=CLINICAL),
    "intake:assessment_submit": everyone(405),
    # Eligibility
    "intake:eligibility_review": staff(allowed=CLINICAL),
    "intake:decision_detail": staff(allowed=CLINICAL),
    "intake:decision_entered_in_error": staff(allowed=(PRESC,)),
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.documents import files
    from ketaclinic.intake.models import ConsultationDocument
    from ketaclinic.intake.services import assessment as intake
    from ketaclinic.intake.services import consultation
    from tests.conftest import make_patient
    from tests.intake.factories import consultation_request, signed_decision

    pat, nurse, prescriber, front_desk = (
        world["pat"],
        world["cast"]["nurse"],
        world["cast"]["prescriber"],
        world["cast"]["front_desk"],
    )
    request = consultation_request(pat.location, given_name="Robin", family_name="Vale", email="robin@example.org")
    request = consultation.change_status(by=front_desk, request=request, to_status="contacted")
    decision = signed_decision(patient=pat, prescriber=prescriber, routes=["iv"])
    # The draft belongs to a second patient, so other apps' worlds can still sign decisions for ``pat``.
    drew = make_patient(pat.location, given_name="Drew", family_name="Draft")
    draft = intake.start_assessment(by=nurse, patient=drew)
    trial = intake.add_trial(
        by=nurse,
        assessment=draft,
        drug="sertraline",
        dose="100 mg",
        weeks_at_dose=8,
        adequate_dose=True,
        outcome="no_response",
        current_episode=True,
    )
    document = ConsultationDocument.objects.create(
        request=request,
        title="Referral letter",
        file_name=files.store(b"%PDF-1.4 matrix", extension="pdf"),
        sha256=files.sha256(b"%PDF-1.4 matrix"),
        content_type="application/pdf",
        size_bytes=15,
    )
    return {**world, "request": request, "decision": decision, "draft": draft, "trial": trial, "document": document}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "intake:request_document":
        return {"request_id": world["request"].pk, "document_id": world["document"].pk}
    if name.startswith("intake:request_"):
        return None if name == "intake:request_list" else {"request_id": world["request"].pk}
    if name in ("intake:patient_intakes", "intake:eligibility_review"):
        return {"patient_id": world["pat"].pk}
    if name in ("intake:decision_detail", "intake:decision_entered_in_error"):
        return {"decision_id": world["decision"].pk}
    if name == "intake:line_entered_in_error":
        return {"assessment_id": world["draft"].pk, "kind": "trial", "row_id": world["trial"].pk}
    if name == "intake:instrument":
        return {"assessment_id": world["draft"].pk, "instrument_id": "phq9"}
    if name.startswith("intake:"):
        return {"assessment_id": world["draft"].pk}
    return None
