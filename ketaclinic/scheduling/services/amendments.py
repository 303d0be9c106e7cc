"""A signed amendment moves the booked sessions of the version it supersedes (plans.hooks.on_version_superseded).

Each future booked appointment of an old order goes to the new version's open order with the same session number
(session 3 stays session 3: the series keeps its place in the plan; an order with no counterpart — the amendment has
fewer sessions — has nowhere to go). It is re-checked by the booking rules at the same start and chair with the new
order's length and kind (the route or protocol may have changed, so the session can be longer, need other equipment
or a prescriber onsite). If every rule accepts it, the appointment now points at the new order; otherwise it is
cancelled with a reason naming the rule. It all runs in the signing transaction: a failure anywhere leaves the plan,
its orders and the calendar as they were.
"""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.audit import services as audit
from ketaclinic.domain import scheduling as rules
from ketaclinic.locking import lock
from ketaclinic.plans.models import PlanVersion, SessionOrder
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.services.booking import (
    Proposal,
    cancel_for_plan_change,
    facts_for,
    order_problem,
    timing_for,
)

__all__ = ["move_to_amendment"]

KIND_FOR_ROUTE = {route: kind for kind, route in rules.ROUTE_FOR_KIND.items()}


def _refusal(
    appointment: Appointment, number: int, new: SessionOrder | None, version: PlanVersion
) -> tuple[str, str] | None:
    """(rule, message) when the appointment cannot move onto ``new``, or None when it can."""
    if new is None:
        return "order_missing", f"Version {version.version} has no session {number}."
    kind = KIND_FOR_ROUTE.get(new.route)
    if kind is None:
        return "order_route", f"version {version.version} orders {new.route} sessions, which are not booked in a chair"
    location: Location = appointment.location
    duration = rules.booked_duration(kind, timing_for(kind, location, new))
    proposal = Proposal(
        kind=kind,
        location=location,
        start=appointment.starts_at,
        end=appointment.starts_at + duration.delta,
        chair=appointment.chair,
        patient=appointment.patient,
        order_problem=order_problem(kind, appointment.patient, new),
    )
    problems = rules.check(facts_for(proposal, exclude=appointment.pk))
    if problems:
        return problems[0].rule, " ".join(p.message for p in problems)
    return None


def move_to_amendment(*, by: User | None, old_order_ids: Sequence[int], new_version: PlanVersion) -> list[str]:
    """Move (or cancel, naming the rule) every future booked appointment of ``old_order_ids``; say what happened."""
    now = timezone.now()
    appointments = list(
        lock(
            Appointment.objects.filter(order_id__in=old_order_ids, status=Appointment.Status.BOOKED, starts_at__gte=now)
        )
        .select_related("order", "location__clinic", "chair", "patient")
        .order_by("starts_at", "pk")
    )
    if not appointments:
        return []
    for location_id in sorted({a.location_id for a in appointments}):
        lock(Location.objects.filter(pk=location_id)).get()  # bookings at the location wait (house lock order 4)
    targets = {
        o.session_number: o
        for o in SessionOrder.objects.filter(plan_version=new_version, status=SessionOrder.Status.OPEN).select_related(
            "plan_version__plan"
        )
    }
    moved, cancelled = 0, []
    for appointment in appointments:
        old = appointment.order
        assert old is not None  # selected by order_id
        new = targets.get(old.session_number)
        refusal = _refusal(appointment, old.session_number, new, new_version)
        local = appointment.starts_at.astimezone(ZoneInfo(appointment.location.clinic.timezone))
        when = f"session {old.session_number} on {local:%a %d %b %H:%M}"
        if refusal is not None or new is None:
            rule, message = refusal or ("order_missing", "")
            # On screen the rule's own sentence; its code stays in the audit detail.
            reason = f"Not moved to plan version {new_version.version}: {message}"
            cancel_for_plan_change(appointment, by=by, reason=reason, rule=rule)
            cancelled.append(f"{when} ({message})")
            continue
        kind = KIND_FOR_ROUTE[new.route]
        duration = rules.booked_duration(kind, timing_for(kind, appointment.location, new))
        Appointment.objects.filter(pk=appointment.pk).update(
            order=new,
            kind=kind,
            ends_at=appointment.starts_at + duration.delta,
            duration_basis=duration.basis[:200],
            version=appointment.version + 1,
        )
        audit.record(
            actor=by,
            action="schedule.move",
            obj=appointment,
            patient_id=appointment.patient_id,
            detail={
                "from_order": old.pk,
                "to_order": new.pk,
                "to_version": new_version.version,
                "kind": kind,
                "ends_at": (appointment.starts_at + duration.delta).isoformat(),
            },
        )
        moved += 1
    said = []
    if moved:
        said.append(f"{moved} appointment{'s' if moved != 1 else ''} moved to version {new_version.version}")
    if cancelled:
        said.append(f"{len(cancelled)} cancelled: " + "; ".join(cancelled))
    return ["; ".join(said) + "."]
