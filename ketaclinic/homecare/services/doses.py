"""A home dose: the pre-dose check-in (release decision), the dose itself and the post-dose check.

``by`` is ``None`` when the patient acts from the portal (the audit event then names the patient as subject).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare import queries
from ketaclinic.homecare.models import HomeCheckIn, HomeDose, TakeHomePrescription
from ketaclinic.homecare.services import reconciliation
from ketaclinic.locking import lock
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.outcomes.services.alerts import raise_alert
from ketaclinic.patients.models import Patient

# What the patient can report before a dose ("symptoms" of the check-in, CONTRACTS §10): each code is a "yes".
SYMPTOMS = {
    "monitor_not_sober": "My monitor has been drinking or is not sober",
    "alcohol_today": "I have had alcohol today",
    "sedatives_today": "I have taken a sleeping pill, benzodiazepine or opioid today",
    "suicidal_thoughts": "I have had thoughts of harming or killing myself",
    "chest_pain": "Chest pain",
    "headache": "Severe headache",
    "nausea": "Nausea",
    "bladder_pain": "Pain or burning when passing urine",
}
SUICIDALITY_ACTION = (
    "Contact the patient today; give the C-SSRS screener; if imminent risk, emergency services. "
    "The home dose was not released."
)


def _whole(field: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ServiceError("Enter the number from the home monitor.", field=field)
    return float(value)


@transaction.atomic
def check_in(
    *,
    by: User | None,
    prescription: TakeHomePrescription,
    systolic_mmhg: object,
    diastolic_mmhg: object,
    heart_rate_per_min: object,
    monitor_present: bool,
    symptoms: Sequence[str],
) -> tuple[HomeCheckIn, rules.Release]:
    """Record a pre-dose check-in and decide the release (domain rule). Implausible input writes nothing."""
    prescription = lock(TakeHomePrescription).select_related("programme__patient__location").get(pk=prescription.pk)
    patient: Patient = prescription.programme.patient
    unknown = [code for code in symptoms if code not in SYMPTOMS]
    if unknown:
        raise ServiceError(f"Unknown symptom {unknown[0]!r}.", field="symptoms")
    readings = {
        "systolic_mmhg": _whole("systolic_mmhg", systolic_mmhg),
        "diastolic_mmhg": _whole("diastolic_mmhg", diastolic_mmhg),
        "heart_rate_per_min": _whole("heart_rate_per_min", heart_rate_per_min),
    }
    balance = queries.balance(prescription)
    active = (
        prescription.stopped_at is None
        and not prescription.entered_in_error
        and prescription.programme.status == "active"
        and not prescription.programme.entered_in_error
    )
    try:
        reading = rules.PreDoseCheckIn(
            **readings,
            monitor_present=bool(monitor_present),
            monitor_sober="monitor_not_sober" not in symptoms,
            no_alcohol_today="alcohol_today" not in symptoms,
            no_interacting_sedatives_today="sedatives_today" not in symptoms,
            suicidal_thoughts="suicidal_thoughts" in symptoms,
            doses_taken_today=queries.doses_taken_today(patient),
            prescription_active=active,
            sessions_remaining=max(balance.sessions_remaining, 0),
        )
    except rules.ImplausibleVitals as error:
        raise ServiceError(
            f"That reading does not look right ({error.value!r}): measure again and re-enter it. Nothing was saved.",
            field=error.field,
        ) from None
    decision = rules.release(reading, queries.thresholds_for(patient.location.clinic_id))
    row = HomeCheckIn.objects.create(
        prescription=prescription,
        recorded_by=by,
        systolic_mmhg=round(reading.systolic_mmhg),
        diastolic_mmhg=round(reading.diastolic_mmhg),
        heart_rate_per_min=round(reading.heart_rate_per_min),
        monitor_present=reading.monitor_present,
        symptoms=list(symptoms),
        cleared=decision.cleared,
        reasons=list(decision.reasons),
    )
    audit.record(
        actor=by,
        action="homecare.check_in",
        obj=row,
        patient_id=patient.pk,
        detail={"cleared": decision.cleared, "reasons": len(decision.reasons)},
    )
    if decision.suicidality:
        raise_alert(
            by=by,
            patient=Patient.objects.select_related("primary_clinician").get(pk=patient.pk),
            kind=SafetyAlert.Kind.SUICIDALITY,
            severity=SafetyAlert.Severity.UNRATED,
            instrument="Home pre-dose check-in",
            score_total=None,
            score_band="",
            source=row,
            message="Home pre-dose check-in from home: the patient answered yes to thoughts of harming or "
            "killing themselves.",
            recommended_action=SUICIDALITY_ACTION,
        )
    return row, decision


@transaction.atomic
def take_dose(*, by: User | None, check_in: HomeCheckIn) -> HomeDose:
    """Release the dose of a cleared check-in (once); a refused check-in releases nothing."""
    row = lock(HomeCheckIn).select_related("prescription__programme__patient__location").get(pk=check_in.pk)
    lock(TakeHomePrescription).filter(pk=row.prescription_id).first()  # serialises doses per prescription
    if row.entered_in_error:
        raise ServiceError("This check-in was withdrawn by the clinic: check in again before the dose.")
    if not row.cleared:
        raise ServiceError("This check-in did not clear a dose: " + " ".join(row.reasons))
    if HomeDose.objects.filter(check_in=row).exists():
        raise ServiceError("The dose of this check-in has already been recorded.")
    if (timezone.now() - row.at).total_seconds() > 3600:
        raise ServiceError("This check-in is more than an hour old: check in again before the dose.")
    # Re-checked at the dose: two check-ins cleared before either dose must not release two doses.
    patient = row.prescription.programme.patient
    allowance = queries.thresholds_for(patient.location.clinic_id).doses_per_day
    taken_today = queries.doses_taken_today(patient)
    if allowance is None or taken_today >= allowance:
        raise ServiceError(
            f"You have already taken {taken_today} dose(s) today; your protocol allows {allowance} a day."
        )
    if queries.balance(row.prescription).sessions_remaining <= 0:
        raise ServiceError("Your prescription has no doses left: contact the clinic for a renewal.")
    dose = HomeDose.objects.create(check_in=row, prescription=row.prescription, dose_mg=row.prescription.dose_mg)
    audit.record(
        actor=by,
        action="homecare.dose",
        obj=dose,
        patient_id=row.prescription.programme.patient_id,
        detail={"dose_mg": str(dose.dose_mg)},
    )
    reconciliation.review_if_needed(by=by, prescription=row.prescription)  # more taken than dispensed
    return dose


@transaction.atomic
def post_dose_check(*, by: User | None, dose: HomeDose, sedation_resolved: bool, side_effects: str) -> HomeDose:
    dose = lock(HomeDose).select_related("prescription__programme").get(pk=dose.pk)
    if dose.post_checked_at is not None:
        raise ServiceError("The post-dose check has already been recorded.")
    if len(side_effects.strip()) > 1000:
        raise ServiceError("At most 1000 characters.", field="side_effects")
    dose.post_checked_at = timezone.now()
    dose.sedation_resolved = sedation_resolved
    dose.side_effects = side_effects.strip()
    dose.save(update_fields=["post_checked_at", "sedation_resolved", "side_effects"])
    audit.record(
        actor=by,
        action="homecare.post_dose",
        obj=dose,
        patient_id=dose.prescription.programme.patient_id,
        detail={"sedation_resolved": sedation_resolved, "side_effects": bool(dose.side_effects)},
    )
    return dose
