"""Side effects and adverse events, rescue medications, the infusion's rate changes and pauses, and its end.

The total dose delivered is computed from the rate history (``domain.sessions.dose_delivered_mg``), capped at the
ordered dose (the pump's volume to be infused). A rate above the order's needs a new order from the prescriber. Rescue
drugs are recorded exactly as entered: the knowledge file marks their doses VERIFY, so nothing suggests one.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.domain import allergies
from ketaclinic.domain import sessions as chairside
from ketaclinic.infusions.models import RateChange, RescueMedication, SideEffect, TreatmentSession
from ketaclinic.infusions.services.checkin import post_to_ledger
from ketaclinic.infusions.services.common import finish_write, moment, open_write, replayed
from ketaclinic.ledger.services import WitnessSignature
from ketaclinic.locking import lock
from ketaclinic.patients.queries import allergy_status

SIDE_EFFECT_FIELDS = ("effect", "other_text", "severity", "adverse_event", "action_taken", "outcome", "started_at")
RESCUE_FIELDS = (
    "drug",
    "drug_other",
    "dose",
    "route",
    "reason",
    "given_at",
    "side_effect",
    "allergy_override_reason",
)


def _clean(row: Any, exclude: list[str]) -> None:
    try:
        row.full_clean(exclude=exclude)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


@transaction.atomic
def record_side_effect(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    values: Mapping[str, Any],
    token: uuid.UUID | None = None,
) -> SideEffect:
    """A side effect or adverse event: type, severity, the action taken and the outcome."""
    locked, replay = open_write(by=by, session=session, version=version, token=token)
    if replay is not None:
        return replayed(SideEffect, replay)
    unknown = set(values) - set(SIDE_EFFECT_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    data: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    data["started_at"] = moment(data.get("started_at"), field="started_at")
    row = SideEffect(session=locked, recorded_by=by, **data)
    if row.effect == SideEffect.Effect.OTHER and not row.other_text:
        raise ValidationError({"other_text": "Describe the side effect."})
    if row.outcome == SideEffect.Outcome.RESOLVED:
        row.resolved_at = row.started_at
    _clean(row, ["session", "recorded_by"])
    row.save()
    finish_write(locked, token=token, kind="side_effect", obj=row)
    audit.record(
        actor=by,
        action="session.side_effect",
        obj=row,
        patient_id=locked.patient_id,
        detail={"effect": row.effect, "severity": row.severity, "adverse_event": row.adverse_event},
    )
    return row


@transaction.atomic
def update_side_effect(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    side_effect: SideEffect,
    outcome: str,
    action_taken: str = "",
    at: dt.datetime | None = None,
) -> SideEffect:
    """Record how a side effect ended (resolved, or transferred to emergency care), with the action taken."""
    locked, _ = open_write(by=by, session=session, version=version)
    row = lock(SideEffect).get(pk=side_effect.pk, session=locked)
    if row.entered_in_error:
        raise ValidationError({"__all__": "This entry was marked entered in error."})
    if outcome not in SideEffect.Outcome.values or outcome == SideEffect.Outcome.ONGOING:
        raise ValidationError({"outcome": "Choose resolved or transferred."})
    row.outcome = outcome
    row.resolved_at = moment(at, field="resolved_at", not_before=row.started_at, what="its start")
    if action_taken.strip():
        row.action_taken = (row.action_taken + "\n" + action_taken.strip()).strip()
    row.save(update_fields=["outcome", "resolved_at", "action_taken"])
    finish_write(locked)
    audit.record(
        actor=by,
        action="session.side_effect.update",
        obj=row,
        patient_id=locked.patient_id,
        detail={"outcome": outcome},
    )
    return row


@transaction.atomic
def record_rescue_medication(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    values: Mapping[str, Any],
    token: uuid.UUID | None = None,
) -> RescueMedication:
    """A rescue drug given: drug, dose and route as entered, why, and when."""
    locked, replay = open_write(by=by, session=session, version=version, token=token)
    if replay is not None:
        return replayed(RescueMedication, replay)
    unknown = set(values) - set(RESCUE_FIELDS)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "Unknown field."))
    data: dict[str, Any] = {k: (v.strip() if isinstance(v, str) else v) for k, v in values.items()}
    data["given_at"] = moment(data.get("given_at"), field="given_at")
    linked = data.get("side_effect")
    if linked is not None and linked.session_id != locked.pk:
        raise ValidationError({"side_effect": "That side effect belongs to another session."})
    row = RescueMedication(session=locked, recorded_by=by, **data)
    if row.drug == RescueMedication.Drug.OTHER and not row.drug_other:
        raise ValidationError({"drug_other": "Name the drug."})
    if not row.dose:
        raise ValidationError({"dose": "Enter the dose given, with its unit."})
    _check_allergies(by, locked, row)
    _clean(row, ["session", "recorded_by", "side_effect"])
    row.save()
    finish_write(locked, token=token, kind="rescue", obj=row)
    audit.record(
        actor=by,
        action="session.rescue_medication",
        obj=row,
        patient_id=locked.patient_id,
        detail={
            "drug": row.name,
            "route": row.route,
            **({"allergy_override": [m["code"] for m in row.allergy_matches]} if row.allergy_matches else {}),
        },
    )
    return row


def _check_allergies(by: User, session: TreatmentSession, row: RescueMedication) -> None:
    """Issue 15: a rescue drug that matches a recorded allergy (same ingredient or same class, domain.allergies) is a
    hard stop. Only a prescriber gives it anyway, with a written reason kept on the row; a nurse cannot."""
    matches = allergies.check(row.name, allergy_status(session.patient).recorded)
    reason = (row.allergy_override_reason or "").strip()
    if not matches:
        row.allergy_override_reason, row.allergy_matches = "", []
        return
    words = " ".join(m.message for m in matches)
    if not reason:
        raise ValidationError(
            {
                "allergy_override_reason": f"ALLERGY: do not give {row.name}. {words} Choose another drug, or a "
                "prescriber writes why it is given anyway."
            }
        )
    if not (by.is_superuser or by.role == "prescriber"):
        raise PermissionDenied(
            f"ALLERGY: {words} Only a prescriber can override an allergy stop; ask the prescriber.",
            field="allergy_override_reason",
        )
    row.allergy_override_reason = reason
    row.allergy_matches = [
        {"code": f"allergy:{m.drug}", "allergy": m.allergy.substance, "basis": m.basis, "message": m.message}
        for m in matches
    ]


# --- The infusion ---------------------------------------------------------------------------------------------------


def segments(session: TreatmentSession) -> list[chairside.RateSegment]:
    started = session.started_at
    if started is None:
        return []
    return [
        chairside.RateSegment((change.at - started).total_seconds() / 60, change.rate_mg_per_h)
        for change in session.rate_changes.order_by("at", "pk")
    ]


def delivered_mg(session: TreatmentSession, *, at: dt.datetime | None = None) -> Decimal:
    """The dose delivered so far (or at ``at``), from the rate history, capped at the ordered dose."""
    if not session.is_infusion or session.started_at is None:
        return session.dose_delivered_mg or Decimal(0)
    if session.infusion_ended_at is not None and session.dose_delivered_mg is not None:
        return session.dose_delivered_mg
    until = session.t_min(at or timezone.now()) or 0.0
    return chairside.dose_delivered_mg(segments(session), until_min=until, cap_mg=session.order.dose_mg)


def expected_end(session: TreatmentSession) -> dt.datetime | None:
    if not session.is_infusion or session.started_at is None or session.infusion_ended_at is not None:
        return None
    end_min = chairside.expected_end_min(segments(session), dose_mg=session.order.dose_mg)
    return None if end_min is None else session.started_at + dt.timedelta(minutes=float(end_min))


def current_rate(session: TreatmentSession) -> RateChange | None:
    return session.rate_changes.order_by("at", "pk").last()


def paused_since(session: TreatmentSession) -> dt.datetime | None:
    """When the running infusion was paused (its pump at 0 mg/h), or None when it is not paused: the chair's header
    and the floor board say "Infusion paused" instead of "Infusion running" (a paused pump delivers nothing)."""
    if session.status != TreatmentSession.Status.INFUSING:
        return None
    last = current_rate(session)
    return last.at if last is not None and last.rate_mg_per_h == 0 else None


@transaction.atomic
def change_rate(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    kind: str,
    reason: str,
    rate_mg_per_h: Decimal | None = None,
    at: dt.datetime | None = None,
    token: uuid.UUID | None = None,
) -> RateChange:
    """Change the infusion rate, pause it (rate 0) or resume it (the last running rate unless another is given). A
    reason is always recorded; a rate above the order's needs a new order."""
    locked, replay = open_write(
        by=by, session=session, version=version, token=token, statuses=[TreatmentSession.Status.INFUSING]
    )
    if replay is not None:
        return replayed(RateChange, replay)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the rate changes."})
    last = current_rate(locked)
    assert last is not None  # an infusing session has its START row
    when = moment(at, field="at", not_before=last.at, what="the last rate change")
    order = locked.order
    if kind == RateChange.Kind.PAUSE:
        if last.rate_mg_per_h == 0:
            raise ValidationError({"kind": "The infusion is already paused."})
        rate = Decimal(0)
    elif kind == RateChange.Kind.RESUME:
        if last.rate_mg_per_h != 0:
            raise ValidationError({"kind": "The infusion is running, not paused."})
        running = locked.rate_changes.exclude(rate_mg_per_h=0).order_by("at", "pk").last()
        rate = rate_mg_per_h or (running.rate_mg_per_h if running else order.rate_mg_per_h) or Decimal(0)
    elif kind == RateChange.Kind.CHANGE:
        if rate_mg_per_h is None or rate_mg_per_h <= 0:
            raise ValidationError({"rate_mg_per_h": "Enter the new rate in mg/h (pause to stop the pump)."})
        rate = rate_mg_per_h
    else:
        raise ValidationError({"kind": "Choose change, pause or resume."})
    if order.rate_mg_per_h is not None and rate > order.rate_mg_per_h:
        raise ValidationError(
            {"rate_mg_per_h": f"Above the ordered {order.rate_mg_per_h} mg/h: the prescriber writes a new order."}
        )
    pump = None
    if order.bag_volume_ml:
        pump = chairside.pump_rate_ml_per_h(rate, dose_mg=order.dose_mg, bag_volume_ml=order.bag_volume_ml)
    row = RateChange.objects.create(
        session=locked,
        kind=kind,
        at=when,
        rate_mg_per_h=rate.quantize(Decimal("0.1")),
        pump_rate_ml_per_h=pump,
        reason=reason.strip(),
        recorded_by=by,
    )
    finish_write(locked, token=token, kind="rate", obj=row)
    audit.record(
        actor=by,
        action="session.rate_change",
        obj=row,
        patient_id=locked.patient_id,
        detail={"kind": kind, "rate_mg_per_h": str(row.rate_mg_per_h)},
    )
    return row


def suggested_given_ml(session: TreatmentSession, *, at: dt.datetime | None = None) -> Decimal | None:
    """The volume the rate history says ran in by ``at`` (mg ÷ the vial's strength), at most what was drawn."""
    administration = session.administrations.first()
    if administration is None:
        return None
    ml = (delivered_mg(session, at=at) / administration.concentration_mg_per_ml).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return min(ml, administration.drawn_ml)


def is_short_of_order(given_ml: Decimal, *, concentration_mg_per_ml: Decimal, dose_mg: Decimal) -> bool:
    """Less than the ordered dose given: the volume is below the order's volume at the pump's 0.01 mL resolution."""
    ordered_ml = (dose_mg / concentration_mg_per_ml).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return given_ml < ordered_ml


@transaction.atomic
def end_infusion(
    *,
    by: User,
    session: TreatmentSession,
    version: int | None,
    ended_at: dt.datetime | None = None,
    given_ml: Decimal | None = None,
    witness: WitnessSignature | None = None,
    waste_manner: str = "",
    early_end_reason: str = "",
    token: uuid.UUID | None = None,
) -> TreatmentSession:
    """End the infusion: post what was given to the ledger (with the witnessed waste of what was drawn and not given)
    and record the dose delivered. ``given_ml`` defaults to what the rate history says ran in. Ending with less than
    the ordered dose given needs ``early_end_reason`` (kept on the END row of the rate history and audited): an
    infusion stopped at a fraction of its dose must say why on the record (issue 15, item 6)."""
    locked, replay = open_write(
        by=by, session=session, version=version, token=token, statuses=[TreatmentSession.Status.INFUSING]
    )
    if replay is not None:
        return locked
    last = current_rate(locked)
    assert last is not None
    when = moment(ended_at, field="ended_at", not_before=last.at, what="the last rate change")
    administration = locked.administrations.select_related("container").first()
    if administration is None:
        raise ServiceError("No container was recorded at the start.")  # pragma: no cover - start() records one
    computed = suggested_given_ml(locked, at=when) or Decimal(0)
    given = computed if given_ml is None else given_ml
    if given <= 0:
        raise ValidationError({"given_ml": "Nothing ran in: enter the volume given (mL)."})
    if given > administration.drawn_ml:
        raise ValidationError({"given_ml": f"More than the {administration.drawn_ml} mL drawn."})
    order = locked.order
    given_mg = (given * administration.concentration_mg_per_ml).quantize(Decimal("0.01"))
    early = is_short_of_order(
        given, concentration_mg_per_ml=administration.concentration_mg_per_ml, dose_mg=order.dose_mg
    )
    early_end_reason = early_end_reason.strip()
    if early and not early_end_reason:
        raise ValidationError(
            {
                "early_end_reason": f"{given_mg.quantize(Decimal('0.1'))} of the ordered {order.dose_mg} mg given: "
                "say why the infusion ends before the ordered dose. Nothing was saved."
            }
        )
    post_to_ledger(
        by=by, session=locked, administration=administration, given_ml=given, witness=witness, waste_manner=waste_manner
    )
    reason = (
        f"Ended early ({given_mg.quantize(Decimal('0.1'))} of {order.dose_mg} mg): {early_end_reason}" if early else ""
    )
    RateChange.objects.create(
        session=locked, kind=RateChange.Kind.END, at=when, rate_mg_per_h=Decimal(0), reason=reason, recorded_by=by
    )
    locked.infusion_ended_at = when
    locked.dose_delivered_mg = given_mg
    locked.status = TreatmentSession.Status.OBSERVATION
    finish_write(
        locked, token=token, kind="end", obj=locked, fields=["infusion_ended_at", "dose_delivered_mg", "status"]
    )
    audit.record(
        actor=by,
        action="session.end_infusion",
        obj=locked,
        patient_id=locked.patient_id,
        detail={
            "given_ml": str(given),
            "computed_ml": str(computed),
            "wasted_ml": str(administration.drawn_ml - given),
            "early": early,
            "early_end_reason": early_end_reason if early else "",
        },
    )
    return locked


__all__ = [
    "change_rate",
    "current_rate",
    "delivered_mg",
    "end_infusion",
    "expected_end",
    "is_short_of_order",
    "paused_since",
    "record_rescue_medication",
    "record_side_effect",
    "segments",
    "suggested_given_ml",
    "update_side_effect",
]
