"""Users, clinics, locations, clinician licences and API tokens.

A custom User from the first migration (STYLE.md "Avoid"). Every user belongs to one clinic and to one or more of its
locations, and sees only the patients of those locations (ARCHITECTURE.md "Multi-clinic from day one").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import available_timezones

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone as django_timezone

from ketaclinic.accounts.roles import ROLE_CHOICES, Role
from ketaclinic.domain import outcomes as outcome_rules
from ketaclinic.domain import pain as pain_rules
from ketaclinic.domain.vocabulary import DEFAULT_JURISDICTION, JURISDICTION_CHOICES


def validate_timezone(value: str) -> None:
    if value not in available_timezones():
        raise ValidationError(f"{value!r} is not a known time zone (use an IANA name such as America/New_York).")


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York", validators=[validate_timezone])
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    def __str__(self) -> str:
        return self.name


class ClinicalSettings(models.Model):
    """A clinic's clinical settings (clinical-rules.md: "Every threshold is a ... clinic-configurable setting whose
    default is the cited value"). Changed only through ``outcomes.services.settings.save_clinical_settings``, which
    audits the change and recomputes what depends on it; a clinic without a row uses the defaults."""

    clinic = models.OneToOneField(Clinic, on_delete=models.PROTECT, related_name="clinical_settings")
    label_jurisdiction = models.CharField(
        "label jurisdiction",
        max_length=2,
        choices=JURISDICTION_CHOICES,
        default=DEFAULT_JURISDICTION,
        help_text="Which esketamine label the clinic follows: the US prescribing information (FDA), or the EU/UK "
        "summary of product characteristics. Each eligibility and dosing rule cites the document it comes from.",
    )
    madrs_remission_at_most = models.PositiveSmallIntegerField(
        "MADRS remission cut-off",
        choices=list(outcome_rules.MADRS_REMISSION_CUTOFFS.items()),
        default=outcome_rules.MADRS_REMISSION_AT_MOST,
        help_text="A MADRS total at or below this counts as remission on the outcome pages and dashboard.",
    )
    # CDC 2022 opioid clinical-decision-support implementation guide (Dowell et al., MMWR Recomm Rep 2022;71(RR-3);
    # Recommendations 4 and 5): the prompt fires at >= 50 MME/day and separates >= 90 MME/day. The exact 2022
    # guideline wording around 50 is unconfirmed in our knowledge base, so the page shows it as unconfirmed.
    mme_reassess_at = models.PositiveSmallIntegerField(
        "MME/day reassessment prompt",
        default=int(pain_rules.MME_REASSESS_AT),
        help_text="At or above this total MME/day the chart prompts to evaluate benefits and risks before increasing "
        "the dosage (CDC 2022, Recommendation 4).",
    )
    mme_high_at = models.PositiveSmallIntegerField(
        "MME/day high-dose prompt",
        default=int(pain_rules.MME_HIGH_AT),
        help_text="At or above this total MME/day the chart shows the stronger prompt to review continuing and not "
        "to taper abruptly (CDC 2022, Recommendation 5). Must be above the reassessment prompt.",
    )
    updated_at = models.DateTimeField(default=django_timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+", editable=False
    )

    class Meta:
        verbose_name_plural = "clinical settings"

    def __str__(self) -> str:
        return f"Clinical settings of {self.clinic}"


def clinical_settings_for(clinic_id: int | None) -> ClinicalSettings:
    """The clinic's settings row, or an unsaved one holding the cited defaults when the clinic never changed them."""
    if clinic_id is None:
        return ClinicalSettings()
    return ClinicalSettings.objects.filter(clinic_id=clinic_id).first() or ClinicalSettings(clinic_id=clinic_id)


class Location(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="locations")
    name = models.CharField(max_length=200)
    address = models.TextField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_active = models.BooleanField(default=True)
    inbox_email = models.EmailField(
        "inbox notification e-mail",
        blank=True,
        help_text="A new patient message in the portal sends a notice without its content to this address (for "
        "example the front desk's shared mailbox). Blank: no e-mail.",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["clinic", "name"], name="location_name_unique_per_clinic")]
        ordering = ["clinic__name", "name"]

    def __str__(self) -> str:
        return f"{self.clinic.name} — {self.name}"


class User(AbstractUser):
    role = models.CharField(max_length=20, choices=ROLE_CHOICES)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="users", null=True, blank=True)
    locations = models.ManyToManyField(Location, related_name="users", blank=True)
    title = models.CharField(max_length=40, blank=True, help_text="Credentials shown after the name, e.g. RN, MD, NP.")
    deactivated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[role.value for role in Role]) | models.Q(is_superuser=True),
                name="user_role_known",
            )
        ]

    @property
    def display_name(self) -> str:
        name = self.get_full_name() or self.username
        return f"{name}, {self.title}" if self.title else name

    @property
    def needs_mfa(self) -> bool:
        """security.md H7: every workforce user; front desk may be relaxed by the KETACLINIC_MFA_FRONT_DESK setting."""
        if self.role == Role.FRONT_DESK:
            return bool(settings.KETACLINIC_MFA_FRONT_DESK)
        return True

    def active_licences(self, on: dt.date | None = None) -> list[Licence]:
        day = on or django_timezone.localdate()
        return [lic for lic in self.licences.all() if lic.is_current(day)]

    def holds_current_licence(self, kind: str, on: dt.date | None = None) -> bool:
        return any(lic.kind == kind for lic in self.active_licences(on))


class Licence(models.Model):
    """A clinician's professional licence or DEA registration. Expiry disables signing (security.md)."""

    class Kind(models.TextChoices):
        MEDICAL = "medical", "State medical licence (MD/DO)"
        NURSE_PRACTITIONER = "nurse_practitioner", "Nurse practitioner licence"
        PHYSICIAN_ASSISTANT = "physician_assistant", "Physician assistant licence"
        REGISTERED_NURSE = "registered_nurse", "Registered nurse licence"
        CRNA = "crna", "Nurse anaesthetist (CRNA) licence"
        DEA = "dea", "DEA registration"

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="licences")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    number = models.CharField(max_length=40)
    state = models.CharField(max_length=2, help_text="Two-letter state code of the issuing board.")
    expires_on = models.DateField()
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "state", "number"], name="licence_number_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.state} {self.number} (expires {self.expires_on})"

    def is_current(self, on: dt.date) -> bool:
        return self.expires_on >= on


PRESCRIBING_LICENCES = (Licence.Kind.MEDICAL, Licence.Kind.NURSE_PRACTITIONER, Licence.Kind.PHYSICIAN_ASSISTANT)


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once (CONTRACTS §2)."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=8, help_text="First characters, to recognise a token in a list.")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=django_timezone.now, editable=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"

    @staticmethod
    def hash_token(raw: str) -> str:
        # The token is 256 random bits, so a fast hash is enough: there is nothing to brute-force.
        return hashlib.sha256(raw.encode()).hexdigest()

    def is_usable(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now) and self.user.is_active


class UserSession(models.Model):
    """The sessions a user has open, so deactivation can end them at once (security.md H12)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="open_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(default=django_timezone.now)

    def __str__(self) -> str:
        return f"session of {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class FormSubmission(models.Model):
    """A staff form that carried a one-time token (``accounts.forms.OnceForm``) and was saved. The same token again —
    the Back button and resubmit, a double click, a retried POST — changes nothing: ``errors.submitted`` finds this row
    and sends the user where the first submission went, saying it was already saved. The row commits in the same
    transaction as the write it guards. (Chair forms keep their session-scoped copy, ``infusions.FormSubmission``,
    which is checked under the session's row lock before its version check.)"""

    token = models.UUIDField(unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    form = models.CharField(max_length=60, help_text="The form class, for the record.")
    redirect_to = models.CharField(max_length=500, blank=True, help_text="Where the first submission went.")
    created_at = models.DateTimeField(default=django_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.form} {self.token}"
