"""Consent documents the clinic publishes, electronic signatures of them, and scans of paper consents.

A signature always creates the chart's ``patients.Consent`` row as well (the kind mapped), so check-in and the chart
read one table whatever the way the consent was given. A published document is locked: a change is a new version
that supersedes it (ARCHITECTURE.md "Signed means locked"). Nothing here is deleted.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketaclinic.accounts.models import Clinic
from ketaclinic.patients.models import Consent, Patient


class ConsentDocument(models.Model):
    class Kind(models.TextChoices):
        TREATMENT = "treatment", "Ketamine treatment informed consent"
        ESKETAMINE_REMS = "esketamine_rems", "Esketamine (Spravato) REMS counselling acknowledgement"
        HOME_PROGRAMME = "home_programme", "At-home programme agreement"
        TELEHEALTH = "telehealth", "Telehealth consent"
        FINANCIAL_POLICY = "financial_policy", "Financial policy acknowledgement"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        SUPERSEDED = "superseded", "Superseded"

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="consent_documents")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    version = models.PositiveIntegerField(editable=False)
    title = models.CharField(max_length=200)
    body = models.TextField(
        help_text="The full text the patient reads and signs. Plain text; blank lines separate paragraphs."
    )
    effective_on = models.DateField(help_text="The first day this version is in use.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False)
    text_sha256 = models.CharField(max_length=64, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    superseded_by = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "kind", "version"], name="consent_document_version_unique"),
            models.UniqueConstraint(
                fields=["clinic", "kind"],
                condition=models.Q(status="published"),
                name="consent_document_one_published_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.version})"

    @property
    def signed_text(self) -> str:
        """The exact text the patient is shown and signs: the title, a blank line, the body."""
        return f"{self.title}\n\n{self.body}"

    @staticmethod
    def hash_text(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


# What each document kind is on the chart (check-in reads the chart's Consent rows).
CHART_KIND = {
    ConsentDocument.Kind.TREATMENT: Consent.Kind.TREATMENT,
    ConsentDocument.Kind.ESKETAMINE_REMS: Consent.Kind.ESKETAMINE_REMS,
    ConsentDocument.Kind.HOME_PROGRAMME: Consent.Kind.HOME_PROGRAMME,
    ConsentDocument.Kind.TELEHEALTH: Consent.Kind.TELEHEALTH,
    ConsentDocument.Kind.FINANCIAL_POLICY: Consent.Kind.FINANCIAL_POLICY,
}


class ElectronicSignature(models.Model):
    """The record of an electronic signature (ESIGN Act, 15 U.S.C. §7001; UETA §§7, 9, 12): who signed (typed name,
    optional drawing), that they agreed (the ticked box), exactly what (the document version and the SHA-256 of the
    text shown), when (UTC), from where (IP address and user agent), and the signed PDF kept unchanged."""

    class Channel(models.TextChoices):
        TABLET = "tablet", "In the clinic, on a staff tablet"
        PORTAL = "portal", "Patient portal"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="electronic_signatures")
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="signatures")
    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="electronic_signature")
    document_version = models.PositiveIntegerField()
    text_sha256 = models.CharField("SHA-256 of the text signed", max_length=64)
    typed_name = models.CharField(max_length=200)
    agreed = models.BooleanField()
    drawn_signature = models.TextField(blank=True, help_text="The drawn signature as a PNG data URL, if any.")
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    witnessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    pdf_name = models.CharField(max_length=80, unique=True, editable=False)
    pdf_sha256 = models.CharField(max_length=64, editable=False)
    pdf_size = models.PositiveIntegerField(editable=False)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "document"], name="esignature_once_per_document_version")
        ]

    def __str__(self) -> str:
        return f"{self.document} signed {self.signed_at:%Y-%m-%d}"


class PaperConsentScan(models.Model):
    """The scan of a consent signed on paper, kept with the chart's Consent row it backs."""

    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="paper_scan")
    file_name = models.CharField(max_length=80, unique=True, editable=False)
    content_type = models.CharField(max_length=40, editable=False)
    size_bytes = models.PositiveIntegerField(editable=False)
    sha256 = models.CharField(max_length=64, editable=False)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"scan of {self.consent}"

    @property
    def extension(self) -> str:
        return {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(self.content_type, "bin")
