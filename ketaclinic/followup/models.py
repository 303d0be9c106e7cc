"""Questionnaire links: how a patient fills PHQ-9, GAD-7 and pain measures from home without logging in.

security.md "Input": patient links are single-purpose, unguessable (≥ 128-bit), expiring tokens. The raw token is
256 random bits (``secrets.token_urlsafe(32)``) that only ever exists in the message sent to the patient; the database
keeps its SHA-256, so a copy of the database cannot be turned into working links. One link opens one set of scales for
one patient, once: after it is completed, revoked or past ``expires_at`` it shows nothing.

``schedule_key`` makes sending idempotent: the scheduler derives one key per due questionnaire (for example the
session order it precedes, or the follow-up date), and a unique constraint guarantees that running
``send_questionnaires`` twice, or from two machines at once, creates one link.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.patients.models import ChartDocument, EnteredInError, Patient


class QuestionnaireLink(models.Model):
    class Purpose(models.TextChoices):
        PRE_SESSION = "pre_session", "Before a treatment session"
        FOLLOW_UP = "follow_up", "Follow-up"
        MANUAL = "manual", "Sent by a clinician"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        SMS = "sms", "Text message"
        NONE = "none", "Not sent (no contact details)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="questionnaire_links")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    instruments = models.JSONField(help_text="The scales this link opens, in order.")
    schedule_key = models.CharField(max_length=120, unique=True)
    session_order = models.ForeignKey(
        "plans.SessionOrder", on_delete=models.PROTECT, null=True, blank=True, related_name="questionnaire_links"
    )
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the scheduler created it.",
    )
    expires_at = models.DateTimeField()
    channel = models.CharField(max_length=8, choices=Channel.choices, blank=True)
    sent_to = models.CharField(max_length=60, blank=True, help_text="Masked address, e.g. j***@example.org.")
    sent_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        # The table keeps the name it had when this model lived in ``outcomes`` (migrations moved the model, not
        # the rows: followup 0001 and outcomes 0003 change Django's state only).
        db_table = "outcomes_questionnairelink"
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["patient", "created_at"]),
            models.Index(fields=["sent_at", "expires_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} questionnaire for patient {self.patient_id} due {self.due_on}"

    def usable(self, now: object = None) -> bool:
        """Open for answers: not completed, not revoked, not expired."""
        moment = now or timezone.now()
        return self.completed_at is None and self.revoked_at is None and self.expires_at > moment  # type: ignore[operator]


class ProgressLetter(EnteredInError):
    """A letter to the referring clinician about the patient's treatment (issue 20 "Progress letters out").

    A draft holds the recipient and the prescriber's plan going forward; what the letter reports (indication, the
    signed sessions, scores, response and remission, adverse events) is gathered from the chart each time the draft is
    shown. Signing freezes that into ``content``, renders the PDF onto the chart (``document``) and locks the letter:
    a signed letter is never edited or deleted; a wrong one is marked entered in error (and a new letter written).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SIGNED = "signed", "Signed"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="progress_letters")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT, editable=False)
    recipient_name = models.CharField("to (referring clinician)", max_length=200)
    recipient_npi = models.CharField("recipient's NPI", max_length=10, blank=True)
    recipient_contact = models.CharField("recipient's address, phone or e-mail", max_length=300, blank=True)
    plan_text = models.TextField("the plan going forward", blank=True)
    # Frozen at signing: what the letter says (the JSON the PDF and the FHIR document are made from).
    content = models.JSONField(default=dict, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    document = models.OneToOneField(
        ChartDocument, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    # Frozen at signing: the FHIR document Bundle (``Composition/{id}/$document``, ``Bundle/letter-<id>``), so a later
    # change to the chart (the patient's new address) never changes a signed document. Empty for letters signed before
    # it was frozen: those are still assembled when asked for.
    document_bundle = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status="signed") | models.Q(signed_at__isnull=False, document__isnull=False),
                name="followup_signed_letter_has_pdf",
            )
        ]

    def __str__(self) -> str:
        return f"Progress letter {self.pk} for patient {self.patient_id} ({self.status})"

    @property
    def is_signed(self) -> bool:
        return self.status == self.Status.SIGNED


class LetterAddendum(EnteredInError):
    """An addendum to a signed progress letter: what the prescriber adds after signing, and why (issue 20).

    A signed letter is never edited; an addendum is the one way to add to it. It is signed by its author as it is
    written (there is no draft), its PDF ("Addendum to the progress letter of <date> to <recipient>") goes onto the
    chart, and from then on it is locked like the letter (``guards.ADDENDUM_LOCK``): a wrong one is marked entered in
    error, never edited or deleted. In FHIR it is its own Composition that ``appends`` the letter's.
    """

    letter = models.ForeignKey(ProgressLetter, on_delete=models.PROTECT, related_name="addenda", editable=False)
    text = models.TextField("addendum", editable=False)
    reason = models.TextField("why it is added", editable=False)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    signed_at = models.DateTimeField(default=timezone.now, editable=False)
    document = models.OneToOneField(ChartDocument, on_delete=models.PROTECT, related_name="+", editable=False)

    class Meta:
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"Addendum {self.pk} to progress letter {self.letter_id}"
