"""The patient portal's own rows: one-time sign-in links and the link requests its rate limits count.

security.md "Input": patient links are single-purpose, unguessable, expiring tokens. A sign-in link's token is 256
random bits (``secrets.token_urlsafe(32)``) that exists only in the message sent to the patient; the row keeps its
SHA-256, like the questionnaire and appointment links. A link works once, dies after too many wrong dates of birth,
and expires after ``KETACLINIC_PORTAL_LINK_MINUTES``.

``SignInRequest`` records every request for a link, known address or not, as salted hashes of the address asked for and
of the client's network address: the rate limits count these rows in the database (every app server sees them), and
neither the address nor the IP is stored.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.patients.models import Patient


class SignInLink(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "Text message"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="portal_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    sent_to = models.CharField(max_length=60, blank=True, help_text="Masked address, e.g. j***@example.org.")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    dob_failures = models.PositiveSmallIntegerField(default=0)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Closed after too many wrong dates of birth (or a newer link was used)."
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["patient", "created_at"])]

    def __str__(self) -> str:
        return f"Portal sign-in link for patient {self.patient_id} ({self.created_at:%Y-%m-%d %H:%M} UTC)"

    def usable(self, now: dt.datetime | None = None) -> bool:
        moment = now or timezone.now()
        return self.used_at is None and self.closed_at is None and self.expires_at > moment


class SignInRequest(models.Model):
    address_hash = models.CharField(max_length=64, help_text="Salted hash of the e-mail address or phone number.")
    client_hash = models.CharField(max_length=64, help_text="Salted hash of the client's network address.")
    requested_at = models.DateTimeField(default=timezone.now)
    matched = models.BooleanField(default=False, help_text="A link was sent (never shown to the requester).")

    class Meta:
        ordering = ["-requested_at", "-pk"]
        indexes = [
            models.Index(fields=["address_hash", "requested_at"]),
            models.Index(fields=["client_hash", "requested_at"]),
        ]

    def __str__(self) -> str:
        return f"Portal link request at {self.requested_at:%Y-%m-%d %H:%M} UTC"


# --- secure messages with the care team (ketaclinic/portal/messaging/) -----------------------------------------------


class Thread(models.Model):
    """A conversation between one patient and the care team of their location. Nothing is deleted: a thread is
    closed (and may be reopened); ``waiting_since`` is the patient's oldest message no staff reply has followed yet
    (None when nobody is waiting), and ``first_reply_at`` the care team's first reply (the response-time measure)."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        WAITING = "waiting", "Waiting for the patient"
        CLOSED = "closed", "Closed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="message_threads")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="message_threads")
    subject = models.CharField(max_length=120)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    assignee = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="assigned_threads")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_message_at = models.DateTimeField(default=timezone.now)
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_reply_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The staff member who wrote first (None: the patient did); such a thread is left out of the "
        "response-time measure, which times the care team's answer to a patient.",
    )

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        indexes = [
            models.Index(fields=["location", "status", "last_message_at"]),
            models.Index(fields=["patient", "last_message_at"]),
        ]

    def __str__(self) -> str:
        return f"Message thread {self.pk} of patient {self.patient_id}"


class Message(models.Model):
    """One message: from the patient (``author`` None) or from a staff user. Never edited or deleted; one sent in
    error is marked so with a reason, hidden from the patient and shown struck through to staff."""

    thread = models.ForeignKey(Thread, on_delete=models.PROTECT, related_name="messages")
    author = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    text = models.TextField()
    sent_at = models.DateTimeField(default=timezone.now, editable=False)
    read_at = models.DateTimeField(null=True, blank=True, help_text="When the other side first read it.")
    entered_in_error = models.BooleanField(default=False)
    error_reason = models.CharField(max_length=500, blank=True)
    error_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["sent_at", "pk"]
        indexes = [models.Index(fields=["thread", "sent_at"])]

    def __str__(self) -> str:
        return f"Message {self.pk} in thread {self.thread_id}"

    @property
    def from_patient(self) -> bool:
        return self.author_id is None
