"""Intake test data built through the real services (STYLE.md): consultation requests, submitted intakes, signed
decisions. Other apps' tests (treatment plans) use ``signed_decision``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from ketaclinic.intake.services import assessment as intake
from ketaclinic.intake.services import consultation, decisions

PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 1, 0]  # 8, mild, item 9 = 0
GAD7_MILD = [1, 1, 1, 1, 1, 1, 1]  # 7, mild
CSSRS_NEGATIVE = [False, False, None, None, None, False, None]
NRS_SEVERE = [7]

REQUEST = {
    "given_name": "Jordan",
    "family_name": "Avery",
    "date_of_birth": dt.date(1986, 6, 14),
    "sex": "female",
    "email": "jordan.avery@example.org",
    "phone": "(217) 555-0177",
    "preferred_contact_method": "phone",
    "preferred_contact_time": "morning",
    "concern": "depression",
    "pain_type": "",
    "details": "Three antidepressants have not helped.",
    "antidepressants_tried": "two_or_more",
    "in_psychiatric_care": True,
    "in_medical_care": False,
    "contraindications": [],
    "pregnancy": "no",
    "consent_to_contact": True,
}


def consultation_request(location: Any, *, client_ip: str = "203.0.113.7", **overrides: Any) -> Any:
    """A request as the public form would store it."""
    submission = consultation.submit_request(data={**REQUEST, **overrides}, location=location, client_ip=client_ip)
    return submission.request


def draft_intake(
    *,
    patient: Any,
    clinician: Any,
    indication: str = "treatment_resistant_depression",
    routes: Iterable[str] = ("iv",),
    systolic: int = 124,
    diastolic: int = 78,
    failed_trials: int = 2,
    conditions: Iterable[str] = (),
    medications: Iterable[str] = (),
    scales: Mapping[str, list[Any]] | None = None,
    **changes: Any,
) -> Any:
    """A complete draft (ready to submit): background, vitals, trials, medications and the baseline scales."""
    assessment = intake.start_assessment(by=clinician, patient=patient)
    values = {
        "indication": indication,
        "routes": list(routes),
        "condition_codes": list(conditions),
        "pregnancy": "not_applicable" if patient.sex == "male" else "no",
        "systolic_mmhg": systolic,
        "diastolic_mmhg": diastolic,
        "heart_rate_per_min": 72,
        "spo2_percent": 98,
        "weight_kg": Decimal("80.0"),
        "height_cm": Decimal("170.0"),
        **changes,
    }
    assessment = intake.update_assessment(by=clinician, assessment=assessment, changes=values)
    drugs = ("sertraline", "venlafaxine", "bupropion", "mirtazapine")[:failed_trials]
    for number, drug in enumerate(drugs):
        intake.add_trial(
            by=clinician,
            assessment=assessment,
            drug=drug,
            dose=f"{100 + number * 50} mg a day",
            weeks_at_dose=8,
            adequate_dose=True,
            outcome="no_response",
            current_episode=True,
        )
    for name in medications:
        intake.add_medication(by=clinician, assessment=assessment, generic_name=name, dose="1 mg", frequency="daily")
    chosen = {"phq9": PHQ9_MILD, "gad7": GAD7_MILD, "cssrs_screener": CSSRS_NEGATIVE}
    if indication not in ("treatment_resistant_depression", "major_depression", "depression_with_suicidal_ideation"):
        chosen["pain_nrs"] = NRS_SEVERE
    chosen.update(scales or {})
    for instrument, answers in chosen.items():
        intake.record_instrument(by=clinician, assessment=assessment, instrument=instrument, answers=answers)
    return assessment


def submitted_intake(*, patient: Any, clinician: Any, **kwargs: Any) -> Any:
    return intake.submit_assessment(
        by=clinician, assessment=draft_intake(patient=patient, clinician=clinician, **kwargs)
    )


def signed_decision(
    *,
    patient: Any,
    prescriber: Any,
    routes: Iterable[str] = ("iv",),
    outcome: str = "eligible",
    conditions_text: str = "",
    overrides: Mapping[str, str] | None = None,
    amendment_reason: str = "",
    **intake_kwargs: Any,
) -> Any:
    """A submitted intake for ``routes`` (TRD, two failed adequate trials, BP 124/78) and a signed decision on it."""
    from ketaclinic.intake.queries import current_decision_for

    routes = list(routes)
    if current_decision_for(patient) is not None and not amendment_reason:
        amendment_reason = "Re-assessed on a new intake."
    assessment = submitted_intake(patient=patient, clinician=prescriber, routes=routes, **intake_kwargs)
    return decisions.sign_decision(
        by=prescriber,
        assessment=assessment,
        routes=routes,
        outcome=outcome,
        conditions_text=conditions_text,
        overrides=overrides or {},
        amendment_reason=amendment_reason,
    )
