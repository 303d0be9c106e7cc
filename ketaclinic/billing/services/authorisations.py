"""Prior authorisations: record, withdraw, count what has been used, list those running out, and warn the calendar.

Counting. An authorisation's sessions used are the patient's booked, checked-in or completed appointments of its kind
(esketamine; IV infusion) whose day, on the clinic's calendar, falls within its dates, plus any session of that
route given without an appointment (a walk-in from an open order). Esketamine devices: the order's devices, else its
dose ÷ 28 mg (one Spravato nasal spray device holds 28 mg: FDA NDC directory, 50458-028).

The calendar's warning. A booking warns when the patient has a prior authorisation on file for the payer of a
coverage in force on the day and the service booked, and the booking would go past its approved sessions or devices,
or falls outside its dates (after ``valid_to``, or before ``valid_from``). Having an authorisation on file is the
trigger: a payer's requirement is in its policy, which changes every quarter (billing.md §8), so the clinic shows it
by recording the approval. A prior authorisation caps bookings (issue 19): the calendar refuses such a booking unless
staff tick "the renewal is pending, book anyway" with a reason, and audits the override with the authorisation and
the numbers (``blocks_for``, registered as the calendar's booking block).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, fitted
from ketaclinic.accounts.models import Clinic, Location, User
from ketaclinic.accounts.roles import Role, role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Coverage, Payer, PriorAuthorisation, PriorAuthPolicy
from ketaclinic.domain.billing.claim_rules import ESKETAMINE_DEVICE_MG
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE, IV_ROUTE
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients.models import Patient
from ketaclinic.scheduling.hooks import BookingBlock, ProposedBooking
from ketaclinic.scheduling.models import Appointment

DEVICE_MG = ESKETAMINE_DEVICE_MG
"""One Spravato nasal spray device holds 28 mg (FDA NDC directory, 50458-028: "VIAL, SINGLE-USE" 28 mg/0.2 mL)."""

KIND_OF_SERVICE = {
    PriorAuthorisation.Service.ESKETAMINE: "esketamine",
    PriorAuthorisation.Service.IV_INFUSION: "infusion_iv",
}
ROUTE_OF_SERVICE = {
    PriorAuthorisation.Service.ESKETAMINE: ESKETAMINE_ROUTE,
    PriorAuthorisation.Service.IV_INFUSION: IV_ROUTE,
}
SERVICE_OF_KIND = {kind: service for service, kind in KIND_OF_SERVICE.items()}

TYPICAL_APPROVALS = (
    (
        "Cigna (Spravato)",
        "6 months for treatment-resistant depression; 2 months for MDD with acute suicidal ideation or behaviour",
        'Cigna Spravato criteria, Policy Vault summary; Cigna "Psychiatry – Spravato" change log, OpenPayer',
    ),
    ("eviCore (medical drug)", "6 months TRD / 2 months suicidality", "eviCore esketamine criteria, Verity summary"),
    (
        "UnitedHealthcare (commercial PA 2025 P 2168-10)",
        "12 months",
        "secondary summaries: Policy Vault; Lumin Health",
    ),
    ("QualChoice", "3 months, up to 23 nasal spray devices", "QualChoice medical policy Spravato BI734:00"),
    (
        "Western Health Advantage",
        "initial 3 months; reauthorisation 12 months",
        "Western Health Advantage Spravato PA criteria GL-145865",
    ),
)
"""What payers typically approve (billing.md §8): shown as context beside the form, never used as a default."""


def _zone(patient: Patient) -> ZoneInfo:
    return ZoneInfo(patient.location.clinic.timezone)


def today_at(location: Location) -> dt.date:
    return timezone.now().astimezone(ZoneInfo(location.clinic.timezone)).date()


def _span(patient: Patient, first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """``first`` 00:00 to the midnight after ``last``, on the clinic's calendar."""
    zone = _zone(patient)
    return (
        dt.datetime.combine(first, dt.time(0), tzinfo=zone),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone),
    )


def devices_for(dose_mg: Decimal | None, devices: int | None) -> int:
    """The order's devices, else its dose ÷ 28 mg rounded up (a part device is a whole device used)."""
    if devices:
        return devices
    if not dose_mg:
        return 0
    return int((Decimal(dose_mg) / DEVICE_MG).to_integral_value(rounding=ROUND_CEILING))


# Recording -----------------------------------------------------------------------------------------------------------


def _may_manage(by: User) -> None:
    if not role_can(by.role, "billing.manage"):
        raise PermissionDenied("Your role does not allow this (billing.manage).")


def _count(value: int | None, *, field: str, what: str) -> int | None:
    if value is None:
        return None
    if value < 1:
        raise ValidationError({field: f"Approved {what}: at least 1, or leave it empty. Nothing was saved."})
    return value


@transaction.atomic
def record(
    *,
    by: User,
    patient: Patient,
    payer: Payer,
    reference: str,
    service: str,
    valid_from: dt.date,
    valid_to: dt.date,
    approved_sessions: int | None = None,
    approved_devices: int | None = None,
    note: str = "",
) -> PriorAuthorisation:
    """Record a payer's approval as the letter says it. Refused, with nothing written: another clinic's payer, no
    reference, an end before the start, a count below 1, devices on an IV approval, or the same reference twice."""
    _may_manage(by)
    if payer.clinic_id != patient.location.clinic_id or not payer.is_active:
        raise ValidationError({"payer": "Choose one of this clinic's active payers. Nothing was saved."})
    if service not in PriorAuthorisation.Service.values:
        raise ValidationError({"service": "Choose what was authorised. Nothing was saved."})
    reference = fitted(reference, field="reference", limit=50)
    if not reference:
        raise ValidationError({"reference": "Enter the payer's reference number. Nothing was saved."})
    if valid_to < valid_from:
        raise ValidationError({"valid_to": "The last day is before the first day. Nothing was saved."})
    sessions = _count(approved_sessions, field="approved_sessions", what="sessions")
    devices = _count(approved_devices, field="approved_devices", what="devices")
    if devices is not None and service != PriorAuthorisation.Service.ESKETAMINE:
        raise ValidationError({"approved_devices": "Devices are counted for esketamine only. Nothing was saved."})
    twin = PriorAuthorisation.objects.filter(patient=patient, payer=payer, reference__iexact=reference).exclude(
        status=PriorAuthorisation.Status.WITHDRAWN
    )
    if twin.exists():
        raise ValidationError(
            {"reference": f"Authorisation {reference} from {payer.name} is already on file. Nothing was saved."}
        )
    authorisation = PriorAuthorisation.objects.create(
        patient=patient,
        payer=payer,
        reference=reference,
        service=service,
        approved_sessions=sessions,
        approved_devices=devices,
        valid_from=valid_from,
        valid_to=valid_to,
        note=note.strip(),
        recorded_by=by,
    )
    audit.record(
        actor=by,
        action="billing.prior_auth_recorded",
        obj=authorisation,
        patient_id=patient.pk,
        detail={
            "payer": payer.pk,
            "reference": reference,
            "service": service,
            "approved_sessions": sessions,
            "approved_devices": devices,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat(),
        },
    )
    return authorisation


@transaction.atomic
def withdraw(*, by: User, authorisation: PriorAuthorisation, reason: str) -> PriorAuthorisation:
    """Withdraw an authorisation (recorded in error, or taken back by the payer), with the reason; it stays on file."""
    _may_manage(by)
    locked = PriorAuthorisation.objects.select_for_update().get(pk=authorisation.pk)
    if locked.status == PriorAuthorisation.Status.WITHDRAWN:
        raise ValidationError({"__all__": f"Authorisation {locked.reference} was already withdrawn."})
    reason = fitted(reason, field="reason", limit=500)
    if not reason:
        raise ValidationError({"reason": "Say why it is withdrawn. Nothing was saved."})
    locked.status = PriorAuthorisation.Status.WITHDRAWN
    locked.withdrawn_reason, locked.withdrawn_by, locked.withdrawn_at = reason, by, timezone.now()
    locked.save(update_fields=["status", "withdrawn_reason", "withdrawn_by", "withdrawn_at"])
    audit.record(
        actor=by,
        action="billing.prior_auth_withdrawn",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"reference": locked.reference, "reason": reason},
    )
    return locked


def policy_for(clinic: Clinic) -> PriorAuthPolicy | None:
    return PriorAuthPolicy.objects.filter(clinic=clinic).first()


@transaction.atomic
def save_policy(
    *, by: User, clinic: Clinic, running_out_days: int | None, running_out_left: int | None
) -> PriorAuthPolicy:
    """The clinic's "running out" window (clinic policy; empty = the user chooses on the page)."""
    if by.role != Role.CLINIC_ADMIN:  # a clinic setting, like the scheduling policy
        raise PermissionDenied("Only a clinic admin sets the clinic's policy.")
    if running_out_days is not None and not 1 <= running_out_days <= 366:
        raise ValidationError({"running_out_days": "Between 1 and 366 days, or empty. Nothing was saved."})
    if running_out_left is not None and running_out_left > 100:
        raise ValidationError({"running_out_left": "At most 100, or empty. Nothing was saved."})
    policy, _ = PriorAuthPolicy.objects.update_or_create(
        clinic=clinic,
        defaults={
            "running_out_days": running_out_days,
            "running_out_left": running_out_left,
            "updated_by": by,
            "updated_at": timezone.now(),
        },
    )
    audit.record(
        actor=by,
        action="billing.prior_auth_policy_saved",
        obj=policy,
        detail={"running_out_days": running_out_days, "running_out_left": running_out_left},
    )
    return policy


# Counting ------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    authorisation: PriorAuthorisation
    sessions_used: int
    devices_used: int
    status: str

    @property
    def sessions_left(self) -> int | None:
        approved = self.authorisation.approved_sessions
        return None if approved is None else approved - self.sessions_used

    @property
    def devices_left(self) -> int | None:
        approved = self.authorisation.approved_devices
        return None if approved is None else approved - self.devices_used

    @property
    def least_left(self) -> int | None:
        counts = [n for n in (self.sessions_left, self.devices_left) if n is not None]
        return min(counts) if counts else None


def _used(authorisation: PriorAuthorisation) -> tuple[int, int]:
    """(sessions, devices) used within the authorisation's dates: live appointments of its kind, and walk-ins."""
    patient = authorisation.patient
    start, end = _span(patient, authorisation.valid_from, authorisation.valid_to)
    appointments = Appointment.objects.filter(
        patient=patient,
        kind=KIND_OF_SERVICE[PriorAuthorisation.Service(authorisation.service)],
        status__in=Appointment.LIVE,
        starts_at__gte=start,
        starts_at__lt=end,
    ).select_related("order")
    walk_ins = (
        TreatmentSession.objects.filter(
            patient=patient,
            route=ROUTE_OF_SERVICE[PriorAuthorisation.Service(authorisation.service)],
            appointment__isnull=True,
            checked_in_at__gte=start,
            checked_in_at__lt=end,
        )
        .exclude(status=TreatmentSession.Status.CANCELLED)
        .select_related("order")
    )
    orders = [a.order for a in appointments] + [s.order for s in walk_ins]
    esketamine = authorisation.service == PriorAuthorisation.Service.ESKETAMINE
    devices = sum(devices_for(o.dose_mg, o.devices) for o in orders if o is not None) if esketamine else 0
    return len(orders), devices


def usage(authorisation: PriorAuthorisation, today: dt.date) -> Usage:
    sessions, devices = _used(authorisation)
    return Usage(authorisation, sessions, devices, authorisation.status_on(today))


def for_patient(patient: Patient, today: dt.date) -> list[Usage]:
    rows = PriorAuthorisation.objects.filter(patient=patient).select_related("payer", "recorded_by", "patient")
    return [usage(a, today) for a in rows]


def running_out(
    patients: Iterable[Patient] | Any, *, today: dt.date, days: int | None, left: int | None
) -> list[Usage]:
    """Active authorisations of these patients ending within ``days`` (from ``today``), or, when ``left`` is given,
    with that many approved sessions or devices left or fewer; soonest end first."""
    if days is None and left is None:
        return []
    candidates = PriorAuthorisation.objects.filter(
        patient__in=patients, status=PriorAuthorisation.Status.ACTIVE, valid_to__gte=today
    ).select_related("payer", "patient__location__clinic")
    found = []
    for authorisation in candidates.order_by("valid_to", "pk"):
        ending = days is not None and authorisation.valid_to <= today + dt.timedelta(days=days)
        if not ending and left is None:
            continue
        row = usage(authorisation, today)
        if ending or (row.least_left is not None and left is not None and row.least_left <= left):
            found.append(row)
    return found


# The calendar's warning ----------------------------------------------------------------------------------------------


def payers_on(patient: Patient, day: dt.date) -> set[int]:
    """The payers of the patient's coverages in force on ``day``."""
    coverages = Coverage.objects.filter(patient=patient, effective_from__lte=day).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=day)
    )
    return set(coverages.values_list("payer_id", flat=True))


def _pick(candidates: Sequence[PriorAuthorisation], day: dt.date) -> PriorAuthorisation:
    """The authorisation covering ``day``; else the latest one ending before it; else the first one starting after."""
    covering = [a for a in candidates if a.valid_from <= day <= a.valid_to]
    if covering:
        return covering[0]
    before = [a for a in candidates if a.valid_to < day]
    return max(before, key=lambda a: a.valid_to) if before else min(candidates, key=lambda a: a.valid_from)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _short(day: dt.date) -> str:
    return f"{day.day} {day:%b %Y}"


def warnings_for(patient: Patient, proposals: Sequence[ProposedBooking]) -> list[str]:
    """The sentences of ``blocks_for``: what the calendar says beside the booking."""
    return [block.message for block in blocks_for(patient, proposals)]


def blocks_for(patient: Patient, proposals: Sequence[ProposedBooking]) -> list[BookingBlock]:
    """The calendar's hook (``scheduling.hooks.register_booking_blocks``): one block per authorisation these bookings
    would go past (sessions, devices) or outside (its dates), naming it and the numbers."""
    zone = _zone(patient)
    said: list[BookingBlock] = []
    by_service: dict[str, list[tuple[ProposedBooking, dt.date]]] = {}
    for proposal in proposals:
        wanted = SERVICE_OF_KIND.get(proposal.kind)
        if wanted is not None:
            by_service.setdefault(wanted, []).append((proposal, proposal.starts_at.astimezone(zone).date()))
    for service, items in by_service.items():
        on_file = list(
            PriorAuthorisation.objects.filter(patient=patient, service=service)
            .exclude(status=PriorAuthorisation.Status.WITHDRAWN)
            .select_related("payer", "patient__location__clinic")
            .order_by("valid_from", "pk")
        )
        if not on_file:
            continue
        groups: dict[int, list[tuple[ProposedBooking, dt.date]]] = {}
        outside: list[tuple[PriorAuthorisation, dt.date]] = []
        for proposal, day in items:
            payers = payers_on(patient, day)
            candidates = [a for a in on_file if a.payer_id in payers]
            if not candidates:
                continue
            chosen = _pick(candidates, day)
            if chosen.valid_from <= day <= chosen.valid_to:
                groups.setdefault(chosen.pk, []).append((proposal, day))
            else:
                outside.append((chosen, day))
        said += _outside_blocks(outside)
        by_pk = {a.pk: a for a in on_file}
        for pk, inside in groups.items():
            said += _count_blocks(by_pk[pk], [p for p, _ in inside])
    return said


def _about(authorisation: PriorAuthorisation, problem: str, **numbers: Any) -> dict[str, Any]:
    return {
        "authorisation": authorisation.pk,
        "reference": authorisation.reference,
        "payer": authorisation.payer.name,
        "problem": problem,
        "valid_from": authorisation.valid_from.isoformat(),
        "valid_to": authorisation.valid_to.isoformat(),
        **numbers,
    }


def _outside_blocks(outside: Sequence[tuple[PriorAuthorisation, dt.date]]) -> list[BookingBlock]:
    said = []
    for authorisation in dict.fromkeys(a for a, _ in outside):
        days = sorted(day for a, day in outside if a == authorisation)
        when = _short(days[0]) if len(days) == 1 else f"{len(days)} sessions from {_short(days[0])}"
        booked = [day.isoformat() for day in days]
        if days[0] > authorisation.valid_to:
            text = (
                f"Authorisation {authorisation.reference} ({authorisation.payer.name}) ended on "
                f"{_short(authorisation.valid_to)}; this booking ({when}) falls after it: ask the payer for a renewal."
            )
            said.append(BookingBlock(text, _about(authorisation, "after_end", days=booked)))
        else:
            text = (
                f"Authorisation {authorisation.reference} ({authorisation.payer.name}) starts on "
                f"{_short(authorisation.valid_from)}; this booking ({when}) falls before it."
            )
            said.append(BookingBlock(text, _about(authorisation, "before_start", days=booked)))
    return said


def _count_blocks(authorisation: PriorAuthorisation, proposals: Sequence[ProposedBooking]) -> list[BookingBlock]:
    sessions, devices = _used(authorisation)
    what = "series" if len(proposals) > 1 else "booking"
    name = f"Authorisation {authorisation.reference} ({authorisation.payer.name})"
    until = _short(authorisation.valid_to)
    said = []
    approved = authorisation.approved_sessions
    if approved is not None and sessions + len(proposals) > approved:
        text = (
            f"{name} allows {_n(approved, 'session')} until {until}; {sessions} booked or "
            f"done so far, this {what} would make {sessions + len(proposals)}."
        )
        numbers = {"approved": approved, "used": sessions, "would_make": sessions + len(proposals)}
        said.append(BookingBlock(text, _about(authorisation, "sessions", **numbers)))
    if authorisation.approved_devices is not None:
        more = sum(devices_for(p.dose_mg, p.devices) for p in proposals)
        if devices + more > authorisation.approved_devices:
            text = (
                f"{name} allows {_n(authorisation.approved_devices, 'device')} (28 mg each) until {until}; {devices} "
                f"booked or used so far, this {what} would make {devices + more}."
            )
            numbers = {"approved": authorisation.approved_devices, "used": devices, "would_make": devices + more}
            said.append(BookingBlock(text, _about(authorisation, "devices", **numbers)))
    return said
