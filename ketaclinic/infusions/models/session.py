"""The treatment session: one patient in one chair for one order, from check-in to the signed note.

Lifecycle (``status``): check-in → (IV) infusion running → observation → discharged → signed (locked); a session that
does not go ahead is cancelled with a reason. Every write goes through ``infusions.services`` and bumps ``version``,
so a form filled in on a stale page is refused instead of silently overwriting someone else's change. Time is UTC.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from ketaclinic.accounts.models import Location
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE as ESKETAMINE_ROUTE
from ketaclinic.patients.models import PHONE, Patient
from ketaclinic.plans.models import SessionOrder
from ketaclinic.scheduling.models import Appointment


class TreatmentSession(models.Model):
    class Status(models.TextChoices):
        CHECK_IN = "check_in", "Checking in"
        INFUSING = "infusing", "Infusion running"
        OBSERVATION = "observation", "Observation"
        DISCHARGED = "discharged", "Discharged, note to sign"
        SIGNED = "signed", "Signed and locked"
        CANCELLED = "cancelled", "Not given"

    class PregnancyTest(models.TextChoices):
        NEGATIVE = "negative", "Negative"
        POSITIVE = "positive", "Positive"
        NOT_APPLICABLE = "not_applicable", "Not applicable (cannot be pregnant)"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_sessions")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="treatment_sessions")
    order = models.ForeignKey(SessionOrder, on_delete=models.PROTECT, related_name="treatment_sessions")
    protocol_id = models.CharField(max_length=60)
    protocol_tuning_version = models.PositiveIntegerField(default=0)
    route = models.CharField(max_length=30)
    chair = models.CharField(max_length=20, help_text="Where the patient sits, e.g. Chair 3.")
    # The calendar appointment the patient was checked in from (issue 17); empty for a walk-in from an open order.
    # The link sits here because infusions is above scheduling (docs/architecture.md).
    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="treatment_session"
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CHECK_IN)
    version = models.PositiveIntegerField(default=1, editable=False)

    checked_in_at = models.DateTimeField(default=timezone.now)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    last_food_at = models.DateTimeField(null=True, blank=True)
    last_liquids_at = models.DateTimeField(null=True, blank=True)
    escort_name = models.CharField("responsible adult", max_length=200, blank=True)
    escort_phone = models.CharField(max_length=30, blank=True, validators=[PHONE])
    ride_home_confirmed = models.BooleanField(default=False)
    pregnancy_test = models.CharField(max_length=16, choices=PregnancyTest.choices, blank=True)
    pregnancy_test_at = models.DateTimeField(null=True, blank=True)
    # Esketamine rule R1: pre-dose BP above 140/90 needs a prescriber's documented risk/benefit acknowledgement.
    risk_benefit_note = models.TextField(blank=True)
    risk_benefit_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    risk_benefit_at = models.DateTimeField(null=True, blank=True)
    # Allergy stop (issue 15): ketamine or esketamine matches a recorded allergy; only a prescriber overrides it, in
    # writing, at check-in (or in the signed plan). ``allergy_override_matches`` is what was overridden (a snapshot).
    allergy_override_note = models.TextField(blank=True)
    allergy_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allergy_override_at = models.DateTimeField(null=True, blank=True)
    allergy_override_matches = models.JSONField(default=list, blank=True)

    started_at = models.DateTimeField(null=True, blank=True, help_text="t = 0: the start of dosing or the infusion.")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    infusion_ended_at = models.DateTimeField(null=True, blank=True)
    dose_delivered_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)

    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discharge_escort_name = models.CharField(max_length=200, blank=True)
    discharge_instructions = models.TextField(blank=True)
    discharge_assessment = models.JSONField(default=dict, blank=True)
    # Discharge before the protocol's minimum observation after the end of dosing (IV and IM: a clinic policy) needs
    # the discharging prescriber's written reason (issue 15, item 6); a nurse alone cannot.
    early_discharge_reason = models.TextField(blank=True)

    note_text = models.TextField(blank=True)
    note_signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note_signed_at = models.DateTimeField(null=True, blank=True)

    cancelled_reason = models.TextField(blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)

    rems_due_on = models.DateField(null=True, blank=True)
    rems_submitted_at = models.DateTimeField(null=True, blank=True)
    rems_submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rems_confirmation = models.CharField("REMS confirmation reference", max_length=60, blank=True)
    rems_form = models.JSONField(default=dict, blank=True, help_text="The form as submitted (a snapshot).")

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-checked_in_at", "-pk"]
        indexes = [
            models.Index(fields=["location", "status"]),
            models.Index(fields=["patient", "checked_in_at"]),
            models.Index(fields=["route", "rems_submitted_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=~Q(status="cancelled"), name="infusions_one_session_per_order"
            ),
            models.CheckConstraint(
                condition=Q(status="check_in") | Q(status="cancelled") | Q(started_at__isnull=False),
                name="infusions_started_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="signed") | Q(note_signed_at__isnull=False), name="infusions_signed_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} ({self.order}) for patient {self.patient_id}"

    @property
    def is_esketamine(self) -> bool:
        return self.route == ESKETAMINE_ROUTE

    @property
    def is_infusion(self) -> bool:
        return self.route == "iv"

    @property
    def is_locked(self) -> bool:
        return self.status in (self.Status.SIGNED, self.Status.CANCELLED)

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.CHECK_IN, self.Status.INFUSING, self.Status.OBSERVATION)

    def t_min(self, moment: dt.datetime) -> float | None:
        """Minutes from the start of dosing (negative before it); None before the session starts."""
        if self.started_at is None:
            return None
        return (moment - self.started_at).total_seconds() / 60
