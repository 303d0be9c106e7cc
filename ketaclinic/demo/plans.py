"""Demo treatment plans: a signed IV plan for every demo patient with a signed eligibility decision for IV."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.intake.models import EligibilityDecision
from ketaclinic.intake.queries import current_decision_for
from ketaclinic.patients.models import Patient
from ketaclinic.plans import services
from ketaclinic.plans.evaluation import PlanInput


def load(*, users: dict[str, User]) -> None:
    """Called once from ``demo.clinic.load`` after the intake demo data exists."""
    prescriber = users["prescriber"]
    patients = {decision.patient for decision in EligibilityDecision.objects.select_related("patient")}
    for patient in sorted(patients, key=lambda p: p.pk):
        decision = current_decision_for(patient)
        if decision is None or decision.outcome == "not_eligible" or "iv" not in decision.routes:
            continue
        sign_iv_plan(prescriber, patient, decision.indication)


def sign_iv_plan(prescriber: User, patient: Patient, indication: str = "treatment_resistant_depression") -> None:
    """The demo's IV plan: 0.5 mg/kg over 40 min, signed unless a finding blocks it."""
    data = PlanInput(
        indication=indication,
        protocol_id="depression_iv",
        start_date=timezone.localdate(),
        dose_mode="mg_per_kg",
        dose_mg_per_kg=Decimal("0.5"),
        infusion_duration_min=40,
        concentration_mg_per_ml=Decimal("10"),
        bag_volume_ml=Decimal("100"),
        premedication="Ondansetron if nauseous (clinic formulary).",
    )
    draft = services.save_draft(by=prescriber, patient=patient, data=data)
    if not [finding for finding in draft.findings if finding["blocking"]]:
        services.sign(by=prescriber, version=draft)
