"""Demo multimodal pain plan: a CRPS patient at Main Street (the one with the longest pain NRS history) gets an opioid
list with daily doses (→ an MME figure on the chart, CDC 2022 table), a pain plan with PEG and function goals, two
referrals (physical therapy with a letter, psychology/CBT) and a medication-management entry. Synthetic data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, Q

from ketaclinic.accounts.models import User
from ketaclinic.pain import services as pain
from ketaclinic.pain.models import PainPlan
from ketaclinic.patients import services as patients
from ketaclinic.patients import uploads
from ketaclinic.patients.models import Patient, clinic_date

CRPS_ICD10 = "G90.529"


def _letter_pdf(patient: Patient, provider: str) -> bytes:
    import weasyprint  # loads pango: only when the demo is built

    html = (
        "<h1>Referral: physical therapy</h1>"
        f"<p>To {provider}. Re: {patient.given_name} {patient.family_name}, born {patient.date_of_birth:%Y-%m-%d}.</p>"
        "<p>Complex regional pain syndrome type I, left foot. Please assess and treat: graded exercise and "
        "desensitisation. Goals: walk 1 km, return to part-time work. (Synthetic demo letter.)</p>"
    )
    return weasyprint.HTML(string=html).write_pdf()  # type: ignore[no-any-return]


def load(*, users: dict[str, User]) -> PainPlan | None:
    """Called once from ``demo.clinic.load`` after the outcomes demo; returns the plan (None if no CRPS patient)."""
    patient = (
        Patient.objects.filter(
            location__name="Main Street", conditions__icd10_code=CRPS_ICD10, conditions__entered_in_error=False
        )
        .annotate(pain_scores=Count("outcome_measurements", filter=Q(outcome_measurements__instrument="pain_nrs")))
        .order_by("-pain_scores", "pk")
        .first()
    )
    if patient is None:
        return None
    prescriber = users["prescriber"]
    today = clinic_date(patient)
    patients.add_medication(
        by=prescriber,
        patient=patient,
        generic_name="oxycodone ER",
        dose="20 mg",
        frequency="twice daily",
        daily_dose=Decimal("40"),
        daily_dose_unit="mg/day",
        started_on=today - dt.timedelta(days=400),
    )
    patients.add_medication(
        by=prescriber,
        patient=patient,
        generic_name="hydrocodone/acetaminophen",
        dose="5/325 mg",
        frequency="up to twice daily as needed",
        daily_dose=Decimal("10"),
        daily_dose_unit="mg/day",
        started_on=today - dt.timedelta(days=200),
    )
    plan = pain.create_plan(
        by=prescriber,
        patient=patient,
        peg_baseline=Decimal("7.33"),
        peg_target=Decimal("4.5"),
        function_goals="Walk to the end of the street and back without stopping\nReturn to part-time work\n"
        "Sleep at least six hours most nights",
        notes="CRPS I, left foot. Ketamine infusions per the signed plan; multimodal care alongside.",
    )
    provider = "Springfield Physical Therapy, Dr Ana Ruiz PT"
    letter = uploads.upload_by_staff(
        by=prescriber,
        patient=patient,
        content=_letter_pdf(patient, provider),
        kind="referral_letter",
        title="Referral letter to physical therapy",
        document_date=today - dt.timedelta(days=21),
    )
    physio = pain.add_referral(
        by=prescriber,
        plan=plan,
        kind="physical_therapy",
        provider_name=provider,
        provider_contact="(217) 555-0140, fax (217) 555-0141",
        sent_on=today - dt.timedelta(days=21),
        reason="Graded exercise and desensitisation for CRPS I.",
        letters=[letter],
    )
    pain.set_referral_status(by=prescriber, referral=physio, status="in_progress")
    pain.add_referral(
        by=prescriber,
        plan=plan,
        kind="psychology",
        provider_name="Lakeview Psychology, Dr Sam Okafor PhD",
        provider_contact="(217) 555-0150",
        sent_on=today - dt.timedelta(days=7),
        reason="CBT for chronic pain: pacing, sleep, fear of movement.",
    )
    pain.add_medication_entry(
        by=prescriber,
        plan=plan,
        change="Hydrocodone limited to twice daily as needed (was four times daily).",
        reason="Agreed with the patient as function improves; slow reduction, no abrupt stop (CDC 2022 Rec 5).",
    )
    return plan
