"""The clinic calendar (issue 17; CONTRACTS.md §6): resources per location, rosters and appointments.

Times are stored in UTC (ARCHITECTURE.md "Data rules"); opening hours and closures are wall-clock times and dates of
the location, read in the clinic's time zone (``clinic.timezone``). The booking rules themselves live in
``ketaclinic.domain.scheduling``; ``services`` loads these rows into its facts and writes through one atomic, audited
path.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic, Location
from ketaclinic.accounts.roles import ROLE_CHOICES
from ketaclinic.domain.scheduling import KINDS
from ketaclinic.domain.scheduling.kinds import LONGEST_APPOINTMENT_MIN
from ketaclinic.patients.models import Patient

KIND_LABELS = {
    "consultation": "Consultation",
    "intake": "Intake",
    "infusion_iv": "IV infusion",
    "im": "IM injection",
    "esketamine": "Esketamine",
    "follow_up": "Follow-up",
    "integration": "Integration",
    "telehealth": "Telehealth",
    "home_dose_review": "Home-dose review",
}
KIND_CHOICES = [(kind, KIND_LABELS[kind]) for kind in KINDS]
WEEKDAY_CHOICES = list(enumerate(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")))


class SchedulingSettings(models.Model):
    """A clinic's own scheduling policy. Nothing here has a published standard (knowledge/scheduling.md §3-§4)."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="scheduling_settings")
    patients_per_nurse = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Most patients in chairs per rostered nurse (CLINIC POLICY). No published ratio exists: empty "
        "until the clinic enters its own, and chair sessions cannot be booked until then.",
    )
    turnover_min = models.PositiveSmallIntegerField(
        default=15, help_text="Chair cleaning and set-up after each session (clinic policy)."
    )
    checkin_min = models.PositiveSmallIntegerField(
        default=15, help_text="Esketamine check-in and pre-dose vitals before the first device (clinic policy)."
    )
    slot_step_min = models.PositiveSmallIntegerField(default=15, help_text="Offered start times, every N minutes.")
    closed_on_federal_holidays = models.BooleanField(default=True)
    late_cancel_notice_h = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="CLINIC POLICY: a cancellation less than this many hours before the start is recorded as late. No "
        "published standard exists: empty until the clinic enters its own, and until then no cancellation is counted "
        "as late.",
    )
    reminder_early_hours = models.PositiveSmallIntegerField(
        default=48, help_text="First reminder, hours before the appointment (clinic policy default: 48 h)."
    )
    reminder_day_before_hours = models.PositiveSmallIntegerField(
        default=24, help_text="The day-before reminder, hours before the appointment (clinic policy default: 24 h)."
    )
    waitlist_offer_hours = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="CLINIC POLICY: how many hours an offer of a freed time to the waiting list stays open. No "
        "published standard exists: empty until the clinic enters its own, and until then an offer lasts until the "
        "offered time starts.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Scheduling settings of {self.clinic}"


class Chair(models.Model):
    """A treatment chair or a consulting room at one location, with what it has."""

    class Kind(models.TextChoices):
        CHAIR = "chair", "Chair"
        ROOM = "room", "Room"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="chairs")
    label = models.CharField(max_length=40)
    kind = models.CharField(max_length=5, choices=Kind.choices, default=Kind.CHAIR)
    has_infusion_pump = models.BooleanField(default=False)
    has_monitor = models.BooleanField(default=False)
    has_pulse_oximeter = models.BooleanField(default=False)
    is_recliner = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location", "kind", "label"]
        constraints = [models.UniqueConstraint(fields=["location", "label"], name="chair_label_unique")]

    def __str__(self) -> str:
        return f"{self.label} ({self.location})"

    @property
    def equipment(self) -> frozenset[str]:
        flags = {
            "infusion_pump": self.has_infusion_pump,
            "monitor": self.has_monitor,
            "pulse_oximeter": self.has_pulse_oximeter,
            "recliner": self.is_recliner,
        }
        return frozenset(name for name, present in flags.items() if present)

    @property
    def equipment_labels(self) -> str:
        return ", ".join(sorted(name.replace("_", " ") for name in self.equipment))


class OpeningHours(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAY_CHOICES)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["location", "weekday", "opens_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(opens_at__lt=models.F("closes_at")), name="hours_open_first"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="hours_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Closure(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="closures")
    first_day = models.DateField()
    last_day = models.DateField()
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["location", "first_day"]
        constraints = [
            models.CheckConstraint(condition=models.Q(first_day__lte=models.F("last_day")), name="closure_order"),
        ]

    def __str__(self) -> str:
        return f"Closed {self.first_day}–{self.last_day}: {self.reason}"


#: A roster shift is at most 16 hours (``services.resources.add_shift`` refuses longer ones).
LONGEST_SHIFT = dt.timedelta(hours=16)
#: No appointment is longer than a day (``Duration`` refuses longer ones).
LONGEST_APPOINTMENT = dt.timedelta(minutes=LONGEST_APPOINTMENT_MIN)


class ShiftQuerySet(models.QuerySet["RosterShift"]):
    def overlapping(self, start: dt.datetime, end: dt.datetime) -> ShiftQuerySet:
        """Shifts that overlap [start, end). The lower bound on ``starts_at`` (a shift is at most ``LONGEST_SHIFT``)
        lets the database walk the (location, starts_at) or (user, starts_at) index over a day, not all history."""
        return self.filter(starts_at__lt=end, ends_at__gt=start, starts_at__gt=start - LONGEST_SHIFT)


class RosterShift(models.Model):
    """Who works where and when. ``role`` is copied from the user when the shift is entered."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="shifts")
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ShiftQuerySet.as_manager()

    class Meta:
        ordering = ["location", "starts_at"]
        indexes = [models.Index(fields=["location", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(starts_at__lt=models.F("ends_at")), name="shift_order"),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) {self.starts_at:%Y-%m-%d %H:%M}–{self.ends_at:%H:%M} UTC"


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def overlapping(self, start: dt.datetime, end: dt.datetime) -> AppointmentQuerySet:
        """Appointments that overlap [start, end). The lower bound on ``starts_at`` (no appointment is longer than
        ``LONGEST_APPOINTMENT``) lets the database walk the (location|chair|patient, starts_at) index over the window
        and a day before it, instead of every earlier appointment: the day view at 200,000 appointments (issue 17)."""
        return self.filter(starts_at__lt=end, ends_at__gt=start, starts_at__gt=start - LONGEST_APPOINTMENT)


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    LIVE = (Status.BOOKED, Status.CHECKED_IN, Status.COMPLETED)  # hold their chair and their patient

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, null=True, blank=True, related_name="appointments")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.BOOKED)
    order = models.ForeignKey(
        "plans.SessionOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="appointments"
    )
    duration_basis = models.CharField(max_length=200, blank=True, help_text="How the length was worked out.")
    cancel_reason = models.CharField(max_length=300, blank=True, help_text="Why it was cancelled or missed.")
    late_cancellation = models.BooleanField(
        default=False,
        help_text="Cancelled inside the clinic's notice window (SchedulingSettings.late_cancel_notice_h).",
    )
    cancelled_at = models.DateTimeField(null=True, blank=True, help_text="When it was cancelled or marked a no-show.")
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)
    # A telehealth visit's meeting link on the clinic's own video service (https only; domain.scheduling.video).
    video_url = models.URLField("video link", max_length=500, blank=True)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["location", "starts_at"]),
            models.Index(fields=["chair", "starts_at"]),
            models.Index(fields=["patient", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(starts_at__lt=models.F("ends_at")), name="appointment_order"),
            # One live appointment per session order (a second booking of session 3 is a mistake).
            models.UniqueConstraint(
                fields=["order"],
                condition=models.Q(status__in=["booked", "checked_in", "completed"]),
                name="appointment_one_per_order",
            ),
            models.CheckConstraint(
                condition=models.Q(video_url="") | models.Q(kind="telehealth", video_url__startswith="https://"),
                name="appointment_video_link_telehealth_https",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for patient {self.patient_id} at {self.starts_at:%Y-%m-%d %H:%M} UTC"


class AppointmentMessage(models.Model):
    """One confirmation or reminder sent to a patient about one appointment (services/reminders.py).

    ``(appointment, kind)`` is unique: two job runners cannot both send the same reminder. The message carries a
    one-time link to confirm or ask to reschedule; the database keeps only the SHA-256 of its token (like
    questionnaire links, followup/models.py), and the link expires when the appointment starts."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", "Booking confirmation"
        EARLY = "early", "First reminder"
        DAY_BEFORE = "day_before", "Day-before reminder"
        PORTAL = "portal", "Answered in the patient portal"

    class Response(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed"
        RESCHEDULE = "reschedule", "Asked to reschedule"
        CANCEL = "cancel", "Asked to cancel"

    #: The answers that put the patient in the front desk's queue ("Patients asking for another time").
    REQUESTS = (Response.RESCHEDULE, Response.CANCEL)

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    channel = models.CharField(max_length=8, blank=True, help_text="email, sms or none")
    sent_to = models.CharField(max_length=60, blank=True, help_text="Masked address.")
    sent_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    response = models.CharField(max_length=12, choices=Response.choices, blank=True)
    patient_note = models.CharField(max_length=300, blank=True)
    handled_at = models.DateTimeField(null=True, blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["appointment", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind"], name="appointment_message_once"),
        ]
        indexes = [models.Index(fields=["response", "handled_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for appointment {self.appointment_id}"


class CalendarFeed(models.Model):
    """A staff member's private calendar feed (``/schedule/feed/<token>.ics``, CONTRACTS.md §6).

    Only the SHA-256 of the token is stored: the token (256 random bits) is shown once, when it is made. Revoking sets
    ``revoked_at``; a user has at most one live feed (making a new one revokes the old)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user"], condition=models.Q(revoked_at=None), name="one_live_feed_per_user")
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user} ({'revoked' if self.revoked_at else 'live'})"


class WaitingListEntry(models.Model):
    """A patient waiting for an earlier time at one location (issue 17 "waiting list").

    ``kind`` says what they wait for; a treatment session also names the signed plan version whose next open session
    order is booked when a chair is offered and accepted. The entry is never deleted: ``waiting`` until ``offered`` a
    freed time, then ``booked`` (``appointment``) or back to ``waiting`` when someone else took the time; ``withdrawn``
    with a reason."""

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered a time"
        BOOKED = "booked", "Booked"
        WITHDRAWN = "withdrawn", "Withdrawn"

    OPEN = (Status.WAITING, Status.OFFERED)  # still on the list

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="waiting_list")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="waiting_list_entries")
    kind = models.CharField(max_length=20, choices=KIND_CHOICES)
    plan_version = models.ForeignKey(
        "plans.PlanVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For a treatment session: the signed plan whose next open session order is booked.",
    )
    earliest_date = models.DateField()
    latest_date = models.DateField()
    preferred_weekdays = models.CharField(
        max_length=13, blank=True, help_text="Weekdays that suit (Monday = 0), comma-separated; empty = any."
    )
    not_before = models.TimeField(null=True, blank=True, help_text="Not starting before (local time).")
    not_after = models.TimeField(null=True, blank=True, help_text="Over by (local time).")
    note = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+", help_text="When booked."
    )
    withdraw_reason = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["location", "status", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(earliest_date__lte=models.F("latest_date")), name="waiting_dates_order"
            ),
        ]

    def __str__(self) -> str:
        return f"Waiting-list entry {self.pk} ({self.get_kind_display()}) for patient {self.patient_id}"

    @property
    def weekdays(self) -> frozenset[int]:
        return frozenset(int(d) for d in self.preferred_weekdays.split(",") if d.strip().isdigit())

    @property
    def weekday_names(self) -> str:
        names = dict(WEEKDAY_CHOICES)
        return ", ".join(names[d][:3] for d in sorted(self.weekdays)) or "any day"


class SlotOffer(models.Model):
    """A freed chair time offered to one or more waiting patients; the first to accept is booked (``appointment``)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        TAKEN = "taken", "Taken"

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    freed_by = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The cancelled or missed appointment whose chair this is, if any.",
    )
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.OPEN)
    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(starts_at__lt=models.F("ends_at")), name="slot_offer_order"),
        ]

    def __str__(self) -> str:
        return f"Offer of {self.chair_id} at {self.starts_at:%Y-%m-%d %H:%M} UTC"


class WaitingOffer(models.Model):
    """The message offering one ``SlotOffer`` to one waiting patient, with its one-time link (only the SHA-256 of the
    token is stored, like appointment messages)."""

    class Outcome(models.TextChoices):
        BOOKED = "booked", "Accepted and booked"
        TAKEN = "taken", "Too late: taken"
        DECLINED = "declined", "Declined"

    slot = models.ForeignKey(SlotOffer, on_delete=models.PROTECT, related_name="offers")
    entry = models.ForeignKey(WaitingListEntry, on_delete=models.PROTECT, related_name="offers")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(max_length=8, blank=True, help_text="email, sms or none")
    sent_to = models.CharField(max_length=60, blank=True, help_text="Masked address.")
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slot", "pk"]
        constraints = [models.UniqueConstraint(fields=["slot", "entry"], name="waiting_offer_once")]

    def __str__(self) -> str:
        return f"Offer of slot {self.slot_id} to waiting-list entry {self.entry_id}"


class PreVisitConfirmation(models.Model):
    """The patient's answers to the pre-visit checklist (domain/scheduling/reminders.py), given in the patient portal
    and shown at the chair's check-in as "confirmed by the patient at …".

    One per appointment; an answer that does not apply (no fasting rule for this kind of visit, no nasal medicine) is
    empty. ``checklist`` keeps the words the patient was shown, so the record says what was confirmed even if the
    checklist's wording changes later."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="previsit")
    confirmed_at = models.DateTimeField(default=timezone.now)
    checklist = models.JSONField(default=list, help_text="The checklist items the patient was shown.")
    fasting_as_instructed = models.BooleanField(null=True, blank=True)
    medicines_held = models.BooleanField(null=True, blank=True)
    ride_home_name = models.CharField(max_length=100, blank=True)
    ride_home_phone = models.CharField(max_length=30, blank=True)

    def __str__(self) -> str:
        return f"Pre-visit checklist confirmed for appointment {self.appointment_id}"
