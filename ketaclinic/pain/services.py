"""Every write to the pain plan: keyword-only, atomic, validated, audited. Nothing is deleted (entered in error)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.pain.models import MedicationManagementEntry, PainPlan, Referral
from ketaclinic.patients.models import ChartDocument, Medication, Patient, clinic_date

CAPABILITY = "pain.record"


def _require(actor: User, capability: str = CAPABILITY) -> None:
    if not (actor.is_superuser or role_can(actor.role, capability)):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


def _validated(row: models.Model, exclude: list[str]) -> None:
    try:
        row.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def current_plan(patient: Patient) -> PainPlan | None:
    return PainPlan.objects.filter(patient=patient, entered_in_error=False).first()


@transaction.atomic
def create_plan(*, by: User, patient: Patient, **values: Any) -> PainPlan:
    """Start the patient's pain plan (or a new one replacing the current: the older stays on record)."""
    _require(by)
    values["function_goals"] = str(values.get("function_goals") or "").strip()
    if not values["function_goals"]:
        raise ValidationError({"function_goals": "Write at least one function goal agreed with the patient."})
    plan = PainPlan(patient=patient, recorded_by=by, **values)
    _validated(plan, ["patient", "recorded_by"])
    plan.save(force_insert=True)
    audit.record(actor=by, action="pain.plan_create", obj=plan, patient_id=patient.pk)
    return plan


def _letters(plan: PainPlan, letters: Any) -> list[ChartDocument]:
    chosen = list(letters or [])
    for doc in chosen:
        if doc.patient_id != plan.patient_id or doc.entered_in_error:
            raise ValidationError({"letters": "A letter must be a current document on this patient's chart."})
    return chosen


@transaction.atomic
def add_referral(*, by: User, plan: PainPlan, letters: Any = (), **values: Any) -> Referral:
    """Record a referral sent to an external provider, with its letters from the chart's documents."""
    _require(by)
    if plan.entered_in_error:
        raise ValidationError({"__all__": "This pain plan was entered in error; use the current plan."})
    for name in ("provider_name", "provider_contact"):
        values[name] = str(values.get(name) or "").strip()
    sent_on = values.get("sent_on")
    if sent_on is not None and sent_on > clinic_date(plan.patient):  # the clinic's calendar, not the server's
        raise ValidationError({"sent_on": "The date sent cannot be in the future."})
    referral = Referral(plan=plan, recorded_by=by, **values)
    _validated(referral, ["plan", "recorded_by"])
    chosen = _letters(plan, letters)
    referral.save(force_insert=True)
    referral.letters.set(chosen)
    audit.record(
        actor=by,
        action="pain.referral_add",
        obj=referral,
        patient_id=plan.patient_id,
        detail={"kind": referral.kind, "letters": [d.pk for d in chosen]},
    )
    return referral


@transaction.atomic
def set_referral_status(*, by: User, referral: Referral, status: str) -> Referral:
    _require(by)
    if status not in Referral.Status.values:
        raise ValidationError({"status": f"{status!r} is not a referral status."})
    locked = Referral.objects.select_for_update().get(pk=referral.pk)
    if locked.entered_in_error:
        raise ValidationError({"__all__": "This referral was entered in error."})
    before = locked.status
    locked.status = status
    locked.status_changed_at = timezone.now()
    locked.save(update_fields=["status", "status_changed_at"])
    audit.record(
        actor=by,
        action="pain.referral_status",
        obj=locked,
        patient_id=locked.plan.patient_id,
        detail={"from": before, "to": status},
    )
    return locked


@transaction.atomic
def add_medication_entry(
    *, by: User, plan: PainPlan, medication: Medication | None = None, **values: Any
) -> MedicationManagementEntry:
    _require(by)
    if plan.entered_in_error:
        raise ValidationError({"__all__": "This pain plan was entered in error; use the current plan."})
    if medication is not None and medication.patient_id != plan.patient_id:
        raise ValidationError({"medication": "Choose a medication from this patient's list."})
    for name in ("change", "reason"):
        values[name] = str(values.get(name) or "").strip()
    entry = MedicationManagementEntry(plan=plan, medication=medication, recorded_by=by, **values)
    _validated(entry, ["plan", "recorded_by", "medication"])
    entry.save(force_insert=True)
    audit.record(actor=by, action="pain.medication_entry", obj=entry, patient_id=plan.patient_id)
    return entry


KINDS: dict[str, type[models.Model]] = {
    "plan": PainPlan,
    "referral": Referral,
    "medication_entry": MedicationManagementEntry,
}


def _patient_id(row: Any) -> int:
    return int(row.patient_id if isinstance(row, PainPlan) else row.plan.patient_id)


@transaction.atomic
def mark_entered_in_error(*, by: User, row: Any, reason: str) -> None:
    """Withdraw a wrong pain-plan row without deleting it: kept, struck through, with who, when and why."""
    _require(by)
    if not reason.strip():
        raise ValidationError({"reason": "Say why this entry is wrong."})
    if row.entered_in_error:
        raise ValidationError({"__all__": "This entry is already marked entered in error."})
    type(row).objects.filter(pk=row.pk).update(
        entered_in_error=True,
        entered_in_error_reason=reason.strip(),
        entered_in_error_by=by,
        entered_in_error_at=timezone.now(),
    )
    audit.record(
        actor=by,
        action="pain.entered_in_error",
        obj=row,
        patient_id=_patient_id(row),
        detail={"reason": reason.strip()},
    )
