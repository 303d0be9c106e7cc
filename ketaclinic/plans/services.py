"""Every write to plans, orders and protocol tuning: keyword-only, atomic, audited (ARCHITECTURE.md "services")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import PRESCRIBING_LICENCES, Clinic, Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import dosing, protocols
from ketaclinic.ledger.services import witnesses
from ketaclinic.locking import lock
from ketaclinic.outcomes import services as outcomes
from ketaclinic.patients.models import Patient
from ketaclinic.plans import hooks
from ketaclinic.plans.evaluation import ESKETAMINE_ROUTE, Evaluation, PlanInput, evaluate
from ketaclinic.plans.models import PlanVersion, ProtocolTuning, SessionOrder, TreatmentPlan


def _require(actor: User, capability: str) -> None:
    if not role_can(actor.role, capability):
        raise PermissionDenied(f"Your role may not do this ({capability}).")


def _require_prescribing_licence(actor: User) -> None:
    if not any(actor.holds_current_licence(kind) for kind in PRESCRIBING_LICENCES):
        raise PermissionDenied(
            "Signing needs a current prescribing licence on your account (an expired licence disables signing)."
        )


def cosigner_problem(cosigner: User, *, actor: User, location: Location, on: dt.date) -> str | None:
    """Why ``cosigner`` may not co-sign ``actor``'s plan for a patient at ``location``, or None: a different, active
    prescriber with a current prescribing licence who works there (clinical-rules.md §3 "Low-dose ceiling")."""
    if cosigner.pk == actor.pk:
        return "the co-signer must be a second prescriber, not the one signing"
    if not cosigner.is_active:
        return f"{cosigner.username}'s account is not active"
    if not role_can(cosigner.role, "plans.sign"):
        return f"{cosigner.username} is not a prescriber"
    if not any(cosigner.holds_current_licence(kind, on) for kind in PRESCRIBING_LICENCES):
        return f"{cosigner.username} holds no current prescribing licence"
    if not cosigner.locations.filter(pk=location.pk).exists():
        return f"{cosigner.username} does not work at {location.name}"
    return None


def cosigner_role_problem(cosigner: User) -> str | None:
    """Said before the password is checked, so a refusal never confirms the password (see ``witnesses.sign``)."""
    if role_can(cosigner.role, "plans.sign"):
        return None
    return f"{cosigner.username} is not a prescriber, and only a prescriber can co-sign a plan"


COSIGNER = witnesses.WitnessRule(
    purpose="plan.cosign", label="Co-signer", problem=cosigner_problem, role_problem=cosigner_role_problem
)
"""The ledger's witness re-authentication (password + one-time code), with the plan's rule for who may co-sign."""


# --- Protocol tuning -------------------------------------------------------------------------------------------------


@transaction.atomic
def tune_protocol(
    *, by: User, clinic: Clinic, protocol_id: str, overrides: dict[str, Any], reason: str
) -> ProtocolTuning:
    """A new version of the clinic's settings for a protocol, checked against its hard limits (domain.protocols)."""
    _require(by, "protocols.tune")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the protocol is changed (it is shown with its source)."})
    try:
        base = protocols.get(protocol_id)
        protocols.apply_overrides(base, overrides)
    except protocols.ProtocolError as exc:
        raise ValidationError({exc.field or "overrides": str(exc)}) from None
    except ValueError as exc:
        raise ValidationError({"protocol_id": str(exc)}) from None
    last = lock(ProtocolTuning).filter(clinic=clinic, protocol_id=protocol_id).order_by("-version").first()
    tuning = ProtocolTuning.objects.create(
        clinic=clinic,
        protocol_id=protocol_id,
        version=(last.version + 1 if last else 1),
        overrides=overrides,
        reason=reason.strip(),
        changed_by=by,
    )
    audit.record(
        actor=by,
        action="protocol.tune",
        obj=tuning,
        detail={"protocol": protocol_id, "version": tuning.version, "fields": sorted(overrides)},
    )
    return tuning


# --- Plans ------------------------------------------------------------------------------------------------------------


def _apply(version: PlanVersion, data: PlanInput, result: Evaluation) -> None:
    version.indication = data.indication
    version.protocol_id = result.protocol.id
    version.protocol_tuning_version = result.tuning_version
    version.route = result.protocol.route
    version.dose_mode = "fixed_mg" if result.protocol.route == ESKETAMINE_ROUTE else data.dose_mode
    version.dose_mg_per_kg = data.dose_mg_per_kg if version.dose_mode == "mg_per_kg" else None
    version.fixed_dose_mg = data.fixed_dose_mg if version.dose_mode == "fixed_mg" else None
    version.dose_mg = result.dose_mg
    version.first_dose_mg = result.first_dose_mg
    version.infusion_duration_min = result.duration_min
    measurement = result.measurement
    version.weight_kg = measurement.weight_kg if measurement else None
    version.height_cm = measurement.height_cm if measurement else None
    version.sex = version.plan.patient.sex
    version.age_years = result.age_years
    version.dosing_weight_basis = result.weights.get(
        "basis", data.dosing_weight_basis or result.protocol.dosing_weight_basis
    )
    version.dosing_weights = result.weights
    version.dosing_weight_kg = result.dosing_weight_kg
    version.premedication = data.premedication.strip()
    version.sessions_planned = len(result.schedule)
    version.sessions_per_week = data.sessions_per_week
    version.start_date = data.start_date
    version.schedule = result.schedule
    version.concentration_mg_per_ml = data.concentration_mg_per_ml
    version.bag_volume_ml = data.bag_volume_ml if result.protocol.route == "iv" else None
    version.syringe_volume_ml = data.syringe_volume_ml if result.protocol.route == "im" else None
    version.findings = result.findings
    version.overrides = {f["code"]: f["override_reason"] for f in result.findings if f["override_reason"]}


@transaction.atomic
def save_draft(*, by: User, patient: Patient, data: PlanInput, version: PlanVersion | None = None) -> PlanVersion:
    """Create a plan with a draft version, or update a draft (a signed version never changes)."""
    _require(by, "plans.write")
    result = evaluate(patient=patient, clinic=by.clinic, data=data)
    if version is None:
        plan = TreatmentPlan.objects.create(patient=patient, created_by=by)
        version = PlanVersion(plan=plan, version=1, created_by=by)
        action = "plan.create"
    else:
        version = lock(PlanVersion).get(pk=version.pk)
        if version.is_locked:
            raise ValidationError({"__all__": "This plan version is signed and locked; amend it to change it."})
        action = "plan.update_draft"
    _apply(version, data, result)
    version.save()
    audit.record(
        actor=by,
        action=action,
        obj=version,
        patient_id=patient.pk,
        detail={"protocol": version.protocol_id, "dose_mg": str(version.dose_mg)},
    )
    return version


@transaction.atomic
def amend(*, by: User, signed: PlanVersion, data: PlanInput, reason: str) -> PlanVersion:
    """A change to a signed plan: a new draft version that points at the one it will replace."""
    _require(by, "plans.write")
    if not reason.strip():
        raise ValidationError({"change_reason": "Say why the plan changes."})
    signed = lock(PlanVersion).get(pk=signed.pk)
    if signed.status != PlanVersion.Status.SIGNED:
        raise ValidationError({"__all__": "Only the signed version of a plan can be amended."})
    if signed.plan.versions.filter(status=PlanVersion.Status.DRAFT).exists():
        raise ValidationError({"__all__": "This plan already has a draft amendment: finish or edit that one."})
    result = evaluate(patient=signed.plan.patient, clinic=by.clinic, data=data)
    version = PlanVersion(
        plan=signed.plan, version=signed.version + 1, supersedes=signed, created_by=by, change_reason=reason.strip()
    )
    _apply(version, data, result)
    version.medicine_holds = list(signed.medicine_holds)  # the holds carry over; the prescriber edits the draft
    version.save()
    audit.record(
        actor=by,
        action="plan.amend",
        obj=version,
        patient_id=signed.plan.patient_id,
        detail={"supersedes": signed.pk, "reason": reason.strip()},
    )
    return version


def plan_input_from(version: PlanVersion) -> PlanInput:
    """The inputs a version was made from (to re-evaluate it at signing, or to start an amendment)."""
    return PlanInput(
        indication=version.indication,
        protocol_id=version.protocol_id,
        start_date=version.start_date,
        dose_mode=version.dose_mode,
        dose_mg_per_kg=version.dose_mg_per_kg,
        fixed_dose_mg=version.fixed_dose_mg,
        dosing_weight_basis=version.dosing_weight_basis,
        infusion_duration_min=version.infusion_duration_min,
        premedication=version.premedication,
        sessions_planned=version.sessions_planned,
        sessions_per_week=version.sessions_per_week,
        concentration_mg_per_ml=version.concentration_mg_per_ml,
        bag_volume_ml=version.bag_volume_ml,
        syringe_volume_ml=version.syringe_volume_ml,
        overrides=dict(version.overrides),
    )


@transaction.atomic
def sign(*, by: User, version: PlanVersion, cosignature: witnesses.WitnessSignature | None = None) -> PlanVersion:
    """Sign (lock) a draft after re-checking it now; supersede the previous signed version; derive the orders.

    A dose above the protocol's range or ceilings (overridden with a written reason) also needs ``cosignature``: a
    second prescriber who re-authenticated with ``witnesses.sign(..., rule=COSIGNER)`` (clinical-rules.md §3). A dose
    at or above the label's anaesthetic dose is a hard stop and is never signed."""
    _require(by, "plans.sign")
    _require_prescribing_licence(by)
    version = lock(PlanVersion).select_related("plan__patient").get(pk=version.pk)
    if version.is_locked:
        raise ValidationError({"__all__": "This version is already signed."})
    result = evaluate(patient=version.plan.patient, clinic=by.clinic, data=plan_input_from(version))
    if not result.signable:
        problems = "; ".join(f["message"] for f in result.blocking)
        raise ValidationError({"__all__": f"Cannot sign: {problems}"})
    cosigner = None
    if result.needs_cosignature:
        if cosignature is None:
            raise ValidationError(
                {
                    "cosigner_username": "Above the protocol's range: a second prescriber must co-sign with their "
                    "username, password and one-time code."
                }
            )
        cosigner = witnesses.accept(
            cosignature,
            actor=by,
            location=version.plan.patient.location,
            on=timezone.localdate(),
            field="cosigner_username",
            rule=COSIGNER,
        )
    _apply(version, plan_input_from(version), result)
    version.eligibility_decision_id_at_signing = result.eligibility_decision_id
    previous = lock(PlanVersion).get(pk=version.supersedes_id) if version.supersedes_id else None
    if previous is not None:
        previous.status = PlanVersion.Status.SUPERSEDED
        previous.save(update_fields=["status"])
    version.status = PlanVersion.Status.SIGNED
    version.signed_by = by
    version.signed_at = timezone.now()
    version.cosigned_by = cosigner
    version.cosigned_at = version.signed_at if cosigner else None
    version.save()
    orders = [_order_for(version, entry) for entry in version.schedule]
    SessionOrder.objects.bulk_create(orders)
    if previous is not None:
        # The new orders exist first, so the calendar can move each booked session onto its counterpart; what it
        # cannot move is cancelled by it with the rule, and anything left on a cancelled order is released below.
        open_orders = SessionOrder.objects.filter(plan_version=previous, status=SessionOrder.Status.OPEN)
        cancelled_ids = list(open_orders.values_list("pk", flat=True))
        open_orders.update(status=SessionOrder.Status.CANCELLED)
        said = hooks.version_superseded(by=by, old_order_ids=cancelled_ids, new_version=version)
        hooks.orders_cancelled(
            by=by,
            order_ids=cancelled_ids,
            reason=f"Plan version {previous.version} was superseded by version {version.version}.",
        )
        version.calendar_changes = said
        version.save(update_fields=["calendar_changes"])
    audit.record(
        actor=by,
        action="plan.sign",
        obj=version,
        patient_id=version.plan.patient_id,
        detail={
            "orders": len(orders),
            "overrides": sorted(version.overrides),
            "reasons": dict(version.overrides),
            "cosigned_by": cosigner.username if cosigner else None,
            "calendar": list(version.calendar_changes),
        },
    )
    if cosigner is not None:
        audit.record(
            actor=cosigner,
            action="plan.cosign",
            obj=version,
            patient_id=version.plan.patient_id,
            detail={
                "signed_by": by.username,
                "findings": sorted(f["code"] for f in result.findings if f.get("cosign")),
                "reasons": dict(version.overrides),
            },
        )
    # The outcome courses take their indication, route and protocol from the latest signed plan (issue 8).
    outcomes.refresh_courses_for_patient(version.plan.patient)
    return version


# --- Medicines to hold before each visit ------------------------------------------------------------------------------

HOLD_MEDICINE_MAX = 100
HOLD_INSTRUCTION_MAX = 200
HOLDS_MAX = 20


def _draft_for_holds(by: User, version: PlanVersion) -> PlanVersion:
    _require(by, "plans.write")
    locked = lock(PlanVersion).select_related("plan__patient").get(pk=version.pk)
    if locked.is_locked:
        raise ValidationError({"__all__": "This plan version is signed and locked; amend it to change the holds."})
    return locked


@transaction.atomic
def add_medicine_hold(*, by: User, version: PlanVersion, medicine: str, instruction: str) -> PlanVersion:
    """Add a medicine the patient holds before each visit, in the prescriber's words (e.g. "clonazepam": "skip the
    evening dose before the visit"). Only holds are listed; no published hold times exist for ketamine or esketamine
    visits (clinical-rules.md lists the interactions, not holds), so nothing is filled in for the prescriber."""
    locked = _draft_for_holds(by, version)
    medicine, instruction = " ".join(medicine.split()), " ".join(instruction.split())
    errors: dict[str, str] = {}
    if not medicine:
        errors["medicine"] = "Name the medicine (or class) to hold."
    elif len(medicine) > HOLD_MEDICINE_MAX:
        errors["medicine"] = f"Keep the medicine to {HOLD_MEDICINE_MAX} characters."
    if not instruction:
        errors["instruction"] = "Say what the patient does and for how long (e.g. skip the evening dose before)."
    elif len(instruction) > HOLD_INSTRUCTION_MAX:
        errors["instruction"] = f"Keep the instruction to {HOLD_INSTRUCTION_MAX} characters."
    holds = list(locked.medicine_holds)
    if medicine and any(h["medicine"].lower() == medicine.lower() for h in holds):
        errors["medicine"] = f"{medicine} is already listed: remove it first to change its instruction."
    if len(holds) >= HOLDS_MAX:
        errors["__all__"] = f"At most {HOLDS_MAX} medicines can be listed."
    if errors:
        raise ValidationError(errors)
    holds.append({"medicine": medicine, "instruction": instruction})
    locked.medicine_holds = holds
    locked.save(update_fields=["medicine_holds"])
    audit.record(
        actor=by,
        action="plan.hold_add",
        obj=locked,
        patient_id=locked.plan.patient_id,
        detail={"medicine": medicine, "instruction": instruction},
    )
    return locked


@transaction.atomic
def remove_medicine_hold(*, by: User, version: PlanVersion, index: int) -> PlanVersion:
    """Take a medicine off the draft's hold list (the audit log keeps what it said)."""
    locked = _draft_for_holds(by, version)
    holds = list(locked.medicine_holds)
    if not 0 <= index < len(holds):
        raise ValidationError({"__all__": "That medicine is no longer on the list."})
    removed = holds.pop(index)
    locked.medicine_holds = holds
    locked.save(update_fields=["medicine_holds"])
    audit.record(actor=by, action="plan.hold_remove", obj=locked, patient_id=locked.plan.patient_id, detail=removed)
    return locked


@transaction.atomic
def mark_order_given(*, by: User, order: SessionOrder) -> SessionOrder:
    """A treatment session gave this order (issue 7: the infusions app calls this when dosing starts). Only an open
    order of the signed, current version can be given; the row is locked so two sessions cannot both give it."""
    _require(by, "sessions.record")
    locked = lock(SessionOrder).select_related("plan_version__plan").get(pk=order.pk)
    if locked.status != SessionOrder.Status.OPEN:
        raise ValidationError({"__all__": f"This order is {locked.get_status_display().lower()}, not open."})
    if locked.plan_version.status != PlanVersion.Status.SIGNED:
        raise ValidationError({"__all__": "This order's plan version is no longer the signed, current one."})
    locked.status = SessionOrder.Status.GIVEN
    locked.save(update_fields=["status"])
    audit.record(
        actor=by,
        action="plan.order_given",
        obj=locked,
        patient_id=locked.plan_version.plan.patient_id,
        detail={"session_number": locked.session_number, "dose_mg": str(locked.dose_mg)},
    )
    return locked


def _order_for(version: PlanVersion, entry: dict[str, Any]) -> SessionOrder:
    """One session's order: dose in mg, volume from the product strength, rate and pump rate (clinical-rules §3)."""
    dose = Decimal(entry["dose_mg"])
    order = SessionOrder(
        plan_version=version,
        session_number=entry["number"],
        target_date=dt.date.fromisoformat(entry["date"]),
        route=version.route,
        dose_mg=dose,
    )
    if version.route == ESKETAMINE_ROUTE:
        order.devices = int(dose / Decimal(28))
        return order
    if version.concentration_mg_per_ml:
        order.concentration_mg_per_ml = version.concentration_mg_per_ml
        order.drug_volume_ml = dosing.drug_volume_ml(dose, version.concentration_mg_per_ml)
    if version.route == "iv" and version.infusion_duration_min:
        order.duration_min = version.infusion_duration_min
        order.rate_mg_per_h = dosing.infusion_rate_mg_per_h(dose, version.infusion_duration_min)
        if version.bag_volume_ml:
            order.bag_volume_ml = version.bag_volume_ml
            order.pump_rate_ml_per_h = dosing.pump_rate_ml_per_h(version.bag_volume_ml, version.infusion_duration_min)
    return order


__all__ = [
    "COSIGNER",
    "PlanInput",
    "add_medicine_hold",
    "amend",
    "cosigner_problem",
    "mark_order_given",
    "plan_input_from",
    "remove_medicine_hold",
    "save_draft",
    "sign",
    "tune_protocol",
]
