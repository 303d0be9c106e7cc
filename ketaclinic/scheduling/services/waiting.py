"""The waiting list: patients who want an earlier time, and offering them a freed chair (issue 17 "waiting list").

Staff who book put a patient on a location's list (``add``) and take them off with a reason (``withdraw``; the row
stays). When a chair is freed (a cancellation or a no-show) or staff pick a free time, ``matches`` names the open
entries that fit: the kind needs a chair, the patient's next open session order fits the time, the dates, weekdays and
times the patient asked for suit it (``domain.scheduling.waiting``), and the booking rules themselves accept it
(``rules.check`` on the same facts ``book`` loads: nothing is guessed). ``offer`` sends each chosen patient a message
with a one-time link; ``accept`` books the first one through ``booking.book`` (every rule re-checked, the same row
locks), and later ones are told the time has been taken and stay on the list.

Concurrency: ``accept`` locks the offer's ``SlotOffer`` row before booking, so two patients accepting the same time at
once are serialised on PostgreSQL (the second sees it taken); SQLite serialises writers anyway. Lock order (see
``ketaclinic.locking``): the patient's offer, the slot offer, the waiting-list entry, then what ``book`` takes.

Messages follow the reminders' privacy rules: the first name, "treatment visit", never the drug or the condition.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import refusals
from ketaclinic.audit import services as audit
from ketaclinic.domain import scheduling as rules
from ketaclinic.domain.scheduling import waiting as wishes_rules
from ketaclinic.locking import lock
from ketaclinic.outcomes import sms
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan
from ketaclinic.scheduling.models import Appointment, Chair, SlotOffer, WaitingListEntry, WaitingOffer
from ketaclinic.scheduling.queries import LIVE, settings_for
from ketaclinic.scheduling.services.booking import (
    BookingRefused,
    Proposal,
    book,
    facts_for,
    order_problem,
    timing_for,
)
from ketaclinic.scheduling.services.reminders import LinkUnavailable, _mask_email, _mask_phone, hash_token

__all__ = [
    "Freed",
    "LinkUnavailable",
    "Match",
    "Outcome",
    "accept",
    "add",
    "decline",
    "find_offer",
    "for_day",
    "freed_slots",
    "matches",
    "next_open_order",
    "offer",
    "when_words",
    "withdraw",
]

Status = WaitingListEntry.Status
NOTE_MAX_CHARS = 300
PUBLIC_ACTION = "schedule.offer_link.refused"


def _require_booker(by: User, location_id: int) -> None:
    if not role_can(by.role, "schedule.book"):
        raise PermissionDenied("Your role does not allow this (schedule.book).")
    if not by.locations.filter(pk=location_id).exists():
        raise PermissionDenied("You do not work at that location.")


# --- the list -----------------------------------------------------------------------------------------------------


def add(
    *,
    by: User,
    location: Location,
    patient: Patient,
    kind: str,
    earliest: dt.date,
    latest: dt.date,
    weekdays: Iterable[int] = (),
    not_before: dt.time | None = None,
    not_after: dt.time | None = None,
    note: str = "",
    plan_version: PlanVersion | None = None,
) -> WaitingListEntry:
    """Put a patient on a location's waiting list; every problem with the input is refused, nothing written."""
    _require_booker(by, location.pk)
    if not patients_visible_to(by).filter(pk=patient.pk).exists():
        raise PermissionDenied("That patient is not one you can see.")
    if kind not in rules.KINDS:
        raise ServiceError(f"Unknown appointment kind {kind!r}.", field="kind")
    if latest < earliest:
        raise ServiceError("The latest date is before the earliest date.", field="latest_date")
    if latest < timezone.now().astimezone(ZoneInfo(location.clinic.timezone)).date():
        raise ServiceError("The latest date has already passed.", field="latest_date")
    days = sorted(set(weekdays))
    if any(not 0 <= d <= 6 for d in days):
        raise ServiceError("Weekdays are 0 (Monday) to 6 (Sunday).", field="preferred_weekdays")
    if not_before is not None and not_after is not None and not_after <= not_before:
        raise ServiceError("'Over by' must be later than 'not before'.", field="not_after")
    note = note.strip()
    if len(note) > NOTE_MAX_CHARS:
        raise ServiceError(f"Please keep the note under {NOTE_MAX_CHARS} characters.", field="note")
    if kind in rules.CHAIR_KINDS:
        if plan_version is None:
            raise ServiceError("A treatment session needs the patient's signed plan.", field="plan_version")
        problem = _plan_problem(kind, patient, plan_version)
        if problem:
            raise ServiceError(problem, field="plan_version")
    elif plan_version is not None:
        raise ServiceError("Only a treatment session waits for a plan's session order.", field="plan_version")
    with transaction.atomic():
        entry = WaitingListEntry.objects.create(
            location=location,
            patient=patient,
            kind=kind,
            plan_version=plan_version,
            earliest_date=earliest,
            latest_date=latest,
            preferred_weekdays=",".join(str(d) for d in days),
            not_before=not_before,
            not_after=not_after,
            note=note,
            created_by=by,
        )
        audit.record(
            actor=by,
            action="schedule.waiting_add",
            obj=entry,
            patient_id=patient.pk,
            detail={"kind": kind, "earliest": earliest.isoformat(), "latest": latest.isoformat()},
        )
    return entry


def _plan_problem(kind: str, patient: Patient, version: PlanVersion) -> str | None:
    if version.plan.patient_id != patient.pk:
        return "That plan belongs to another patient."
    if version.status != PlanVersion.Status.SIGNED or version.plan.status != TreatmentPlan.Status.ACTIVE:
        return "That plan version is not a signed version of an active plan."
    if version.route != rules.ROUTE_FOR_KIND[kind]:
        return f"That plan is for route {version.route!r}, not for {kind!r}."
    if next_open_order(version) is None:
        return "That plan has no open session left to book."
    return None


def next_open_order(version: PlanVersion) -> SessionOrder | None:
    """The plan version's first open session order that no live appointment holds."""
    return (
        SessionOrder.objects.filter(plan_version=version, status=SessionOrder.Status.OPEN)
        .exclude(appointments__status__in=LIVE)
        .select_related("plan_version__plan")
        .order_by("session_number")
        .first()
    )


def withdraw(*, by: User, entry: WaitingListEntry, reason: str) -> WaitingListEntry:
    """Take a patient off the list with a reason; the entry stays (nothing on a patient's record is deleted)."""
    _require_booker(by, entry.location_id)
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the patient leaves the waiting list.", field="reason")
    with transaction.atomic():
        current = lock(WaitingListEntry.objects.filter(pk=entry.pk)).get()
        if current.status not in WaitingListEntry.OPEN:
            raise ServiceError(f"The entry is {current.get_status_display().lower()}; it cannot be withdrawn.")
        current.status, current.withdraw_reason = Status.WITHDRAWN, reason[:300]
        current.withdrawn_at, current.withdrawn_by = timezone.now(), by
        current.version += 1
        current.save()
        audit.record(
            actor=by,
            action="schedule.waiting_withdraw",
            obj=current,
            patient_id=current.patient_id,
            detail={"reason": reason},
        )
    return current


# --- who fits a free chair time -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    entry: WaitingListEntry
    start: dt.datetime
    end: dt.datetime
    order: SessionOrder | None
    problems: tuple[str, ...]  # empty when it fits

    @property
    def fits(self) -> bool:
        return not self.problems


def _wishes(entry: WaitingListEntry) -> wishes_rules.Wishes:
    return wishes_rules.Wishes(
        earliest=entry.earliest_date,
        latest=entry.latest_date,
        weekdays=entry.weekdays,
        not_before=entry.not_before,
        not_after=entry.not_after,
    )


def check_entry(entry: WaitingListEntry, chair: Chair, start: dt.datetime, end: dt.datetime) -> Match:
    """Does the entry fit the chair from ``start`` within ``[start, end)``? Every reason it does not."""
    location = entry.location
    if entry.kind not in rules.CHAIR_KINDS:
        return Match(entry, start, start, None, ("does not need a chair",))
    order = next_open_order(entry.plan_version) if entry.plan_version else None
    if order is None:
        return Match(entry, start, start, None, ("no open session order left in the plan",))
    duration = rules.booked_duration(entry.kind, timing_for(entry.kind, location, order))
    finish = start + duration.delta
    problems: list[str] = []
    if finish > end:
        problems.append(f"needs {duration.minutes} min, only {int((end - start).total_seconds() // 60)} min free")
    zone = ZoneInfo(location.clinic.timezone)
    problems += wishes_rules.wish_problems(_wishes(entry), start.astimezone(zone), finish.astimezone(zone))
    if not problems:
        proposal = Proposal(
            kind=entry.kind,
            location=location,
            start=start,
            end=finish,
            chair=chair,
            patient=entry.patient,
            order_problem=order_problem(entry.kind, entry.patient, order),
        )
        problems += [refusal.message for refusal in rules.check(facts_for(proposal))]
    return Match(entry, start, finish, order, tuple(problems))


def open_entries(location: Location) -> list[WaitingListEntry]:
    return list(
        WaitingListEntry.objects.filter(location=location, status__in=WaitingListEntry.OPEN)
        .select_related("patient", "plan_version__plan", "location__clinic")
        .order_by("created_at", "pk")
    )


def matches(*, location: Location, chair: Chair, start: dt.datetime, end: dt.datetime) -> list[Match]:
    """The open entries of the location that fit the chair time, in order of joining the list."""
    if chair.location_id != location.pk:
        raise ServiceError("That chair is at another location.", field="chair")
    if end <= start:
        raise ServiceError("The end of the free time is not after its start.", field="end")
    found = [check_entry(entry, chair, start, end) for entry in open_entries(location)]
    return [m for m in found if m.fits]


@dataclass(frozen=True)
class Freed:
    appointment: Appointment
    chair: Chair
    start: dt.datetime
    end: dt.datetime
    matches: list[Match]
    offers: list[SlotOffer]
    booked: Appointment | None = None  # filled from the waiting list
    rebooked: bool = False  # booked again some other way


@dataclass(frozen=True)
class WaitingDay:
    """What the day view shows of the waiting list: the freed chair times and how many are waiting."""

    freed: list[Freed]
    count: int


def for_day(location: Location, day_start: dt.datetime, day_end: dt.datetime) -> WaitingDay:
    return WaitingDay(
        freed=freed_slots(location, day_start, day_end),
        count=WaitingListEntry.objects.filter(location=location, status__in=WaitingListEntry.OPEN).count(),
    )


def freed_slots(location: Location, day_start: dt.datetime, day_end: dt.datetime) -> list[Freed]:
    """Chair times of the day freed by a cancellation or a no-show that are still ahead and still free, each with the
    waiting-list entries that fit it (none are looked up when nobody is waiting)."""
    now = timezone.now()
    step = settings_for(location).slot_step_min
    freed = (
        Appointment.objects.overlapping(max(day_start, now), day_end)
        .filter(
            location=location,
            chair__isnull=False,
            status__in=[Appointment.Status.CANCELLED, Appointment.Status.NO_SHOW],
        )
        .select_related("chair", "patient")
        .order_by("starts_at", "pk")
    )
    waiting = open_entries(location)
    if not waiting and not SlotOffer.objects.filter(location=location, starts_at__lt=day_end, ends_at__gt=now).exists():
        return []  # nobody to offer a freed chair to (and no offer to report): the day view stays as fast as it was
    out: list[Freed] = []
    for appointment in freed:
        assert appointment.chair is not None
        window = wishes_rules.freed_window(start=appointment.starts_at, end=appointment.ends_at, now=now, step_min=step)
        if window is None:
            continue
        taken = Appointment.objects.overlapping(window.start, window.end).filter(
            chair=appointment.chair, status__in=LIVE
        )
        offers = list(
            SlotOffer.objects.filter(freed_by=appointment)
            .select_related("appointment__patient")
            .prefetch_related("offers__entry__patient")
        )
        rebooked = taken.exists()
        if rebooked and not offers:
            continue  # booked again already, not from the list
        booked = next((s.appointment for s in offers if s.appointment is not None), None)
        fits = (
            []
            if rebooked
            else [m for m in (check_entry(e, appointment.chair, window.start, window.end) for e in waiting) if m.fits]
        )
        out.append(Freed(appointment, appointment.chair, window.start, window.end, fits, offers, booked, rebooked))
    return out


# --- offering -----------------------------------------------------------------------------------------------------


def when_words(start: dt.datetime, location: Location) -> str:
    local = start.astimezone(ZoneInfo(location.clinic.timezone))
    return f"{local:%A} {local.day} {local:%B} at {local:%H:%M}"


def offer_url(base_url: str, token: str) -> str:
    return base_url.rstrip("/") + reverse("visit:offer", kwargs={"token": token})


def _deliver(patient: Patient, location: Location, slot: SlotOffer, url: str) -> tuple[str, str]:
    clinic = location.clinic.name
    when = when_words(slot.starts_at, location)
    closes = when_words(slot.expires_at, location)
    call = f"Questions? Call {clinic} on {location.phone}." if location.phone else f"Questions? Call {clinic}."
    opening = f"An earlier time for your treatment visit has opened: {when} at {location.name}."
    email = "\n".join(
        [
            f"Hello {patient.given_name},",
            "",
            f"This is {clinic}. {opening}",
            "",
            "If you would like it, please say so here (the first to answer gets it):",
            url,
            f"The offer closes {closes}. If you cannot take it, you stay on our waiting list.",
            "",
            call,
            "",
        ]
    )
    short = f"Hello {patient.given_name}, {clinic}: {opening} First to answer gets it: {url} {call}"
    if patient.email:
        send_mail(f"An earlier time at {clinic}: {when}", email, settings.DEFAULT_FROM_EMAIL, [patient.email])
        return "email", _mask_email(patient.email)
    if patient.phone:
        sms.get_backend().send(patient.phone, short)
        return "sms", _mask_phone(patient.phone)
    return "none", ""


def offer(
    *,
    by: User,
    location: Location,
    chair: Chair,
    start: dt.datetime,
    end: dt.datetime,
    entries: Sequence[WaitingListEntry],
    base_url: str,
    freed_by: Appointment | None = None,
) -> SlotOffer:
    """Offer the chair time to the chosen patients: each must still fit (re-checked now), each gets a message with a
    one-time link. The offer closes after the clinic's ``waitlist_offer_hours`` (CLINIC POLICY, none by default: then
    when the time starts)."""
    _require_booker(by, location.pk)
    if not entries:
        raise ServiceError("Choose at least one patient to offer the time to.", field="entries")
    if chair.location_id != location.pk:
        raise ServiceError("That chair is at another location.", field="chair")
    now = timezone.now()
    if start <= now:
        raise ServiceError("That time has already started.", field="start")
    with transaction.atomic():
        slot = SlotOffer.objects.create(
            location=location,
            chair=chair,
            starts_at=start,
            ends_at=end,
            freed_by=freed_by,
            expires_at=wishes_rules.offer_expires_at(
                slot_start=start, now=now, offer_hours=settings_for(location).waitlist_offer_hours
            ),
            created_by=by,
        )
        chosen: list[WaitingListEntry] = []
        for pk in sorted({e.pk for e in entries}):  # every one is checked before anyone is sent anything
            entry = lock(WaitingListEntry.objects.filter(pk=pk, location=location)).select_related("patient").get()
            if entry.status not in WaitingListEntry.OPEN:
                raise ServiceError(f"{entry.patient.full_name} is no longer waiting.", field="entries")
            found = check_entry(entry, chair, start, end)
            if not found.fits:
                raise ServiceError(f"{entry.patient.full_name}: {found.problems[0]}.", field="entries")
            chosen.append(entry)
        for entry in chosen:
            token = secrets.token_urlsafe(32)
            message = WaitingOffer.objects.create(slot=slot, entry=entry, token_hash=hash_token(token))
            try:
                channel, address = _deliver(entry.patient, location, slot, offer_url(base_url, token))
            except Exception as exc:  # any provider failure is recorded and shown; staff can call instead
                channel, address, error = "", "", f"Delivery failed ({type(exc).__name__})."
            else:
                error = "" if channel != "none" else "No e-mail address or phone number on file."
            message.channel, message.sent_to, message.last_error = channel, address, error
            message.sent_at = now if not error else None
            message.save()
            entry.status = Status.OFFERED
            entry.version += 1
            entry.save(update_fields=["status", "version"])
            audit.record(
                actor=by,
                action="schedule.waiting_offer",
                obj=entry,
                patient_id=entry.patient_id,
                outcome="success" if not error else "failure",
                detail={"slot": slot.pk, "start": start.isoformat(), "channel": channel, "error": error[:120]},
            )
    return slot


# --- the patient's link -------------------------------------------------------------------------------------------


def find_offer(token: str, *, client: str, now: dt.datetime | None = None) -> WaitingOffer:
    """The offer this link opens, if it can still be used: unknown, used, expired or withdrawn → LinkUnavailable."""
    moment = now or timezone.now()
    found = (
        WaitingOffer.objects.select_related("slot__location__clinic", "slot__chair", "entry__patient")
        .filter(token_hash=hash_token(token), sent_at__isnull=False)
        .first()
    )
    if (
        found is None
        or found.used_at is not None
        or found.slot.expires_at <= moment
        or found.entry.status not in WaitingListEntry.OPEN
    ):
        refusals.note(action=PUBLIC_ACTION, client=client, detail={"client": client})
        raise LinkUnavailable()
    return found


@dataclass(frozen=True)
class Outcome:
    offer: WaitingOffer
    booked: Appointment | None  # None: the time was taken (or can no longer be booked); still on the list


def accept(*, token: str, client: str) -> Outcome:
    """The patient takes the offered time: the first one is booked through ``book`` (every rule re-checked); a later
    one, or one the rules now refuse, is told it is taken and stays on the list. A refused link changes nothing."""
    found = find_offer(token, client=client)
    with transaction.atomic():
        message = lock(WaitingOffer.objects.filter(pk=found.pk)).get()
        slot = lock(SlotOffer.objects.filter(pk=message.slot_id)).select_related("location__clinic", "chair").get()
        entry = lock(WaitingListEntry.objects.filter(pk=message.entry_id)).select_related("patient").get()
        now = timezone.now()
        if message.used_at is not None or slot.expires_at <= now or entry.status not in WaitingListEntry.OPEN:
            raise LinkUnavailable()
        appointment = None
        refusal = ""
        if slot.status == SlotOffer.Status.OPEN:
            order = next_open_order(entry.plan_version) if entry.plan_version else None
            try:
                appointment = book(
                    by=slot.created_by,
                    patient=entry.patient,
                    kind=entry.kind,
                    location=slot.location,
                    start=slot.starts_at,
                    chair=slot.chair,
                    order=order,
                )
            except BookingRefused as refused:
                refusal = refused.message
                if refused.slot_gone:
                    slot.status = SlotOffer.Status.TAKEN
                    slot.save(update_fields=["status"])
            except ServiceError as refused:  # e.g. the staff member who offered it has since left the location
                refusal = refused.message
        else:
            refusal = "taken by another patient"
        message.used_at = now
        message.outcome = WaitingOffer.Outcome.BOOKED if appointment else WaitingOffer.Outcome.TAKEN
        message.save(update_fields=["used_at", "outcome"])
        if appointment is not None:
            slot.status, slot.appointment = SlotOffer.Status.TAKEN, appointment
            slot.save(update_fields=["status", "appointment"])
            entry.status, entry.appointment = Status.BOOKED, appointment
            # Everyone else offered this time goes back to waiting: the time is gone.
            others = WaitingOffer.objects.filter(slot=slot, used_at__isnull=True).values_list("entry_id", flat=True)
            WaitingListEntry.objects.filter(pk__in=list(others), status=Status.OFFERED).update(status=Status.WAITING)
        else:
            entry.status = Status.WAITING
        entry.version += 1
        entry.save(update_fields=["status", "appointment", "version"])
        audit.record(
            actor=None,
            action="schedule.waiting_accept" if appointment else "schedule.waiting_too_late",
            obj=entry,
            patient_id=entry.patient_id,
            detail={"client": client, "slot": slot.pk, "appointment": appointment.pk if appointment else None}
            | ({"refused": refusal[:200]} if refusal else {}),
        )
    return Outcome(message, appointment)


def decline(*, token: str, client: str) -> WaitingOffer:
    """The patient does not want this time; they stay on the list."""
    found = find_offer(token, client=client)
    with transaction.atomic():
        message = lock(WaitingOffer.objects.filter(pk=found.pk)).get()
        entry = lock(WaitingListEntry.objects.filter(pk=message.entry_id)).get()
        if message.used_at is not None or entry.status not in WaitingListEntry.OPEN:
            raise LinkUnavailable()
        message.used_at, message.outcome = timezone.now(), WaitingOffer.Outcome.DECLINED
        message.save(update_fields=["used_at", "outcome"])
        if entry.status == Status.OFFERED:
            entry.status, entry.version = Status.WAITING, entry.version + 1
            entry.save(update_fields=["status", "version"])
        audit.record(
            actor=None,
            action="schedule.waiting_decline",
            obj=entry,
            patient_id=entry.patient_id,
            detail={"client": client, "slot": message.slot_id},
        )
    return message
