"""Plan adjustments: a prescriber's decision about a running plan after reviewing the outcomes (issue 8).

``adjust_plan`` is the one write path (views and any later API call it). It is keyword-only, atomic and audited, and
needs the ``plans.adjust`` capability and a current prescribing licence, like signing (security.md: licence expiry
disables signing). Every decision has a written reason and stores ``evidence``: a snapshot of the latest scores, the
change from baseline and the stop-signal suggestion as the prescriber saw them
(``followup.queries.trajectory.evidence``).

Kinds (``PlanAdjustment.Kind``):

- ``continue``: the plan stays as it is (the decision and its reason are recorded);
- ``booster_interval``: the maintenance interval in days (> 0);
- ``dose_change`` / ``route_change``: start a draft amendment of the signed version (``plans.services.amend`` on
  ``plan_input_from``) with the new dose or route. Signed means locked: the prescriber reviews and signs the draft as
  usual, and only then do the orders change. The plan evaluation's validation errors come back as field errors of
  this call and nothing is written;
- ``stop``: the plan is stopped, its open session orders are cancelled, and the outcome courses are refreshed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import PRESCRIBING_LICENCES, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.domain import protocols
from ketaclinic.followup.queries import trajectory
from ketaclinic.locking import lock
from ketaclinic.outcomes import services as outcomes
from ketaclinic.plans import hooks as plan_hooks
from ketaclinic.plans import services
from ketaclinic.plans.evaluation import ESKETAMINE_ROUTE, PlanInput
from ketaclinic.plans.models import PlanAdjustment, PlanVersion, SessionOrder, TreatmentPlan

Kind = PlanAdjustment.Kind

#: Where a plan-evaluation field error is shown on the adjustment form.
_FIELD_MAP = {
    "fixed_dose_mg": "new_dose_mg",
    "dose_mg_per_kg": "new_dose_mg_per_kg",
    "dose_mode": "new_dose_mg",
    "protocol_id": "new_route",
    "indication": "new_route",
    "change_reason": "reason",
}


def _require_prescriber(actor: User) -> None:
    if not role_can(actor.role, "plans.adjust"):
        raise PermissionDenied("Your role may not adjust treatment plans (plans.adjust).")
    if not any(actor.holds_current_licence(kind) for kind in PRESCRIBING_LICENCES):
        raise PermissionDenied(
            "Adjusting a plan needs a current prescribing licence on your account (an expired licence disables "
            "signing)."
        )


def _mapped(error: ValidationError) -> ValidationError:
    """The plan evaluation's errors, renamed to the adjustment's fields where there is one."""
    mapped: dict[str, list[str]] = {}
    for name, messages in error.message_dict.items():
        mapped.setdefault(_FIELD_MAP.get(name, name), []).extend(messages)
    return ValidationError(mapped)


def _protocol_for_route(route: str, indication: str, protocol_id: str) -> str:
    """The library protocol for ``route`` that covers the plan's indication (or the one named, if it fits)."""
    if protocol_id:
        try:
            chosen = protocols.get(protocol_id)
        except ValueError:
            raise ValidationError({"protocol_id": f"Unknown protocol {protocol_id!r}."}) from None
        if chosen.route != route:
            raise ValidationError({"protocol_id": f"{chosen.name} is a {chosen.route} protocol, not {route}."})
        return chosen.id
    matches = [p.id for p in protocols.all() if p.route == route and indication in p.indications]
    if not matches:
        raise ValidationError(
            {"new_route": f"No {route} protocol in the library covers {indication.replace('_', ' ')}."}
        )
    if len(matches) > 1:
        raise ValidationError({"protocol_id": f"Choose the protocol: {', '.join(matches)}."})
    return matches[0]


def _dose(data: PlanInput, new_dose_mg: Decimal | None, new_dose_mg_per_kg: Decimal | None, route: str) -> None:
    """Put the new dose on ``data``: mg/kg keeps weight-based dosing, mg makes it a fixed dose (esketamine: mg)."""
    if new_dose_mg is not None and new_dose_mg_per_kg is not None:
        raise ValidationError({"new_dose_mg": "Give the new dose either in mg or in mg/kg, not both."})
    if new_dose_mg_per_kg is not None:
        if route == ESKETAMINE_ROUTE:
            raise ValidationError({"new_dose_mg_per_kg": "Esketamine is dosed in mg (28 mg devices), not mg/kg."})
        data.dose_mode, data.dose_mg_per_kg, data.fixed_dose_mg = "mg_per_kg", new_dose_mg_per_kg, None
        return
    if new_dose_mg is None:
        raise ValidationError({"new_dose_mg": "Enter the new dose (mg, or mg/kg for weight-based dosing)."})
    data.dose_mode, data.fixed_dose_mg, data.dose_mg_per_kg = "fixed_mg", new_dose_mg, None


def _amendment_input(
    signed: PlanVersion,
    *,
    kind: str,
    new_dose_mg: Decimal | None,
    new_dose_mg_per_kg: Decimal | None,
    new_route: str,
    protocol_id: str,
    concentration_mg_per_ml: Decimal | None,
    bag_volume_ml: Decimal | None,
) -> PlanInput:
    data = services.plan_input_from(signed)
    data.start_date = max(signed.start_date, timezone.localdate())  # an amendment cannot start in the past
    data.overrides = {}  # findings at the new dose or route need the prescriber's own reasons again
    route = signed.route
    if kind == Kind.ROUTE_CHANGE:
        route = (new_route or "").strip()
        if not route:
            raise ValidationError({"new_route": "Choose the new route."})
        if route == signed.route:
            raise ValidationError({"new_route": f"The plan is already {route}."})
        data.protocol_id = _protocol_for_route(route, signed.indication, protocol_id)
        # The old route's session settings do not carry over: the new protocol's defaults apply.
        data.sessions_planned = data.sessions_per_week = data.infusion_duration_min = None
        data.dosing_weight_basis = ""
        if concentration_mg_per_ml is not None:
            data.concentration_mg_per_ml = concentration_mg_per_ml
        data.bag_volume_ml = bag_volume_ml if route == "iv" else None
    _dose(data, new_dose_mg, new_dose_mg_per_kg, route)
    return data


#: An input bound, not a clinical figure: a year between boosters is the longest interval the form accepts; the
#: protocol's own booster range (domain.protocols, e.g. depression_iv: 1–12 weeks) is checked as well.
BOOSTER_INTERVAL_INPUT_MAX_DAYS = 365


def _check_booster_against_protocol(protocol_id: str, days: int) -> None:
    """The plan's protocol may bound the maintenance interval (``booster_interval_weeks_min/max``)."""
    try:
        protocol = protocols.get(protocol_id)
    except (KeyError, ValueError):
        return
    low, high = protocol.booster_interval_weeks_min, protocol.booster_interval_weeks_max
    if (low is not None and days < low * 7) or (high is not None and days > high * 7):
        bounds = f"{low if low is not None else 0}–{high if high is not None else '…'} weeks"
        message = f"The {protocol.name} protocol sets boosters {bounds} apart; {days} days is outside."
        raise ValidationError({"booster_interval_days": message})


@transaction.atomic
def adjust_plan(
    *,
    by: User,
    plan: TreatmentPlan,
    kind: str,
    reason: str,
    booster_interval_days: int | None = None,
    new_dose_mg: Decimal | None = None,
    new_dose_mg_per_kg: Decimal | None = None,
    new_route: str = "",
    protocol_id: str = "",
    concentration_mg_per_ml: Decimal | None = None,
    bag_volume_ml: Decimal | None = None,
) -> PlanAdjustment:
    """Record a prescriber's decision about ``plan`` and carry it out (see the module docstring for each kind).

    Raises ``PermissionDenied`` (role, licence, location) or ``ValidationError`` naming the field; nothing changes then.
    """
    _require_prescriber(by)
    plan = lock(TreatmentPlan).select_related("patient").get(pk=plan.pk)
    if not by.locations.filter(pk=plan.patient.location_id).exists():
        raise PermissionDenied("This patient is not at one of your locations.")
    if kind not in Kind.values:
        raise ValidationError({"kind": "Choose what to do with the plan."})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why (the reason is kept with the decision)."})
    if plan.status != TreatmentPlan.Status.ACTIVE:
        raise ValidationError({"__all__": "This plan is stopped: it cannot be adjusted."})
    signed = plan.versions.filter(status=PlanVersion.Status.SIGNED).order_by("-version").first()
    if signed is None:
        raise ValidationError({"__all__": "This plan has no signed version yet: edit and sign the draft instead."})
    evidence = trajectory.evidence(plan.patient)
    adjustment = PlanAdjustment(
        plan=plan, kind=kind, reason=reason, from_version=signed, decided_by=by, evidence=evidence
    )
    detail: dict[str, Any] = {"kind": kind, "from_version": signed.version}
    if kind == Kind.BOOSTER_INTERVAL:
        if booster_interval_days is None or not 0 < booster_interval_days <= BOOSTER_INTERVAL_INPUT_MAX_DAYS:
            raise ValidationError(
                {"booster_interval_days": f"Enter the interval in days (1 to {BOOSTER_INTERVAL_INPUT_MAX_DAYS})."}
            )
        _check_booster_against_protocol(signed.protocol_id, booster_interval_days)
        adjustment.booster_interval_days = booster_interval_days
        detail["booster_interval_days"] = booster_interval_days
    elif kind in (Kind.DOSE_CHANGE, Kind.ROUTE_CHANGE):
        data = _amendment_input(
            signed,
            kind=kind,
            new_dose_mg=new_dose_mg,
            new_dose_mg_per_kg=new_dose_mg_per_kg,
            new_route=new_route,
            protocol_id=protocol_id,
            concentration_mg_per_ml=concentration_mg_per_ml,
            bag_volume_ml=bag_volume_ml,
        )
        try:
            draft = services.amend(by=by, signed=signed, data=data, reason=reason)
        except ValidationError as error:
            raise _mapped(error) from None
        adjustment.draft_version = draft
        adjustment.new_dose_mg = draft.dose_mg
        adjustment.new_route = draft.route if kind == Kind.ROUTE_CHANGE else ""
        detail.update(draft_version=draft.version, new_dose_mg=str(draft.dose_mg), new_route=draft.route)
    elif kind == Kind.STOP:
        plan.status = TreatmentPlan.Status.STOPPED
        plan.save(update_fields=["status"])
        open_orders = SessionOrder.objects.filter(plan_version__plan=plan, status=SessionOrder.Status.OPEN)
        cancelled_ids = list(open_orders.values_list("pk", flat=True))
        cancelled = open_orders.update(status=SessionOrder.Status.CANCELLED)
        detail["orders_cancelled"] = cancelled
        plan_hooks.orders_cancelled(by=by, order_ids=cancelled_ids, reason="The treatment plan was stopped.")
    adjustment.save()
    audit.record(actor=by, action="plan.adjust", obj=adjustment, patient_id=plan.patient_id, detail=detail)
    if kind == Kind.STOP:
        outcomes.refresh_courses_for_patient(plan.patient)
    return adjustment


__all__ = ["Kind", "adjust_plan"]
