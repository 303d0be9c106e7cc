"""Forms of the calendar pages. They only collect input; the services apply every rule (ARCHITECTURE.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet

from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import Role
from ketaclinic.domain.scheduling import CHAIR_KINDS
from ketaclinic.domain.scheduling.reminders import DEFAULT_DAY_BEFORE_HOURS, DEFAULT_EARLY_HOURS
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan
from ketaclinic.scheduling.models import KIND_CHOICES, WEEKDAY_CHOICES, Chair, SchedulingSettings
from ketaclinic.scheduling.services.resources import REMINDER_MAX_HOURS

LOCAL = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def open_orders(patients: QuerySet[Patient]) -> QuerySet[SessionOrder]:
    """Open session orders of signed versions of active plans, for the given patients."""
    return (
        SessionOrder.objects.filter(
            status=SessionOrder.Status.OPEN,
            plan_version__status=PlanVersion.Status.SIGNED,
            plan_version__plan__status=TreatmentPlan.Status.ACTIVE,
            plan_version__plan__patient__in=patients,
        )
        .select_related("plan_version__plan__patient")
        .order_by("plan_version__plan__patient__family_name", "plan_version_id", "session_number")
    )


class OrderChoice(forms.ModelChoiceField[SessionOrder]):
    def label_from_instance(self, obj: SessionOrder) -> str:
        patient = obj.plan_version.plan.patient
        return f"{patient.full_name} — session {obj.session_number} ({obj.route}, target {obj.target_date:%Y-%m-%d})"


class BookForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    kind = forms.ChoiceField(choices=KIND_CHOICES)
    start = forms.DateTimeField(
        widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"], help_text="Local time at the location."
    )
    chair = forms.ModelChoiceField(queryset=Chair.objects.none(), required=False, help_text="Sessions need a chair.")
    order = OrderChoice(
        queryset=SessionOrder.objects.none(),
        required=False,
        label="Session order",
        help_text="IV, IM and esketamine sessions are booked against an open order of the signed plan.",
    )
    override = forms.BooleanField(
        required=False,
        label="The renewal is pending — book anyway",
        help_text="Only when the booking goes past the patient's prior authorisation (its sessions, devices or dates).",
    )
    override_reason = forms.CharField(
        required=False, max_length=500, label="Why book anyway", help_text="Kept in the audit trail."
    )
    video_url = forms.CharField(
        required=False,
        max_length=500,
        label="Video link (telehealth)",
        help_text="A telehealth visit: the https:// meeting link from the clinic's video service (shown to the "
        "patient in the portal and the reminder).",
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )

    def __init__(self, *args: Any, location: Location, patients: QuerySet[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location = location
        patient_field, chair_field, order_field = (self.fields[name] for name in ("patient", "chair", "order"))
        assert isinstance(patient_field, forms.ModelChoiceField) and isinstance(chair_field, forms.ModelChoiceField)
        assert isinstance(order_field, forms.ModelChoiceField)
        patient_field.queryset = patients.filter(location=location).order_by("family_name", "given_name")
        chair_field.queryset = Chair.objects.filter(location=location, is_active=True)
        order_field.queryset = open_orders(patients.filter(location=location))
        if not self.is_bound:
            self.hide_override()

    def hide_override(self) -> None:
        """The override is offered only once a booking was refused for a prior authorisation (or was ticked)."""
        for name in ("override", "override_reason"):
            self.fields[name].widget = forms.HiddenInput()

    def clean_start(self) -> dt.datetime:
        """The browser sends wall-clock time; read it in the clinic's zone (a DST gap time moves forward)."""
        value: dt.datetime = self.cleaned_data["start"]
        return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(self.location.clinic.timezone))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") in CHAIR_KINDS and not data.get("order") and "order" not in self.errors:
            self.add_error("order", "Choose the session order this appointment is for.")
        if data.get("override") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", "Say why you book past the authorisation.")
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=300)


class SettingsForm(forms.ModelForm[SchedulingSettings]):
    class Meta:
        model = SchedulingSettings
        fields = [
            "patients_per_nurse",
            "turnover_min",
            "checkin_min",
            "slot_step_min",
            "closed_on_federal_holidays",
            "late_cancel_notice_h",
            "reminder_early_hours",
            "reminder_day_before_hours",
            "waitlist_offer_hours",
        ]
        labels = {
            "patients_per_nurse": "Patients per nurse",
            "closed_on_federal_holidays": "Closed on federal holidays",
            "late_cancel_notice_h": "Late-cancellation notice (hours)",
            "reminder_early_hours": "First reminder (hours before)",
            "reminder_day_before_hours": "Day-before reminder (hours before)",
            "waitlist_offer_hours": "Waiting-list offers stay open (hours)",
        }
        help_texts = {
            "reminder_early_hours": f"CLINIC POLICY, default {DEFAULT_EARLY_HOURS} h. Whole hours, more than the "
            f"day-before reminder, at most {REMINDER_MAX_HOURS} h. Reminders of any kind improve attendance (McLean "
            "et al., Patient Prefer Adherence 2016).",
            "reminder_day_before_hours": f"CLINIC POLICY, default {DEFAULT_DAY_BEFORE_HOURS} h. Whole hours, at "
            "least 1. A booking made inside a reminder's window gets the confirmation instead.",
        }
        widgets = {
            "reminder_early_hours": forms.NumberInput(attrs={"min": 1, "max": REMINDER_MAX_HOURS, "step": 1}),
            "reminder_day_before_hours": forms.NumberInput(attrs={"min": 1, "max": REMINDER_MAX_HOURS, "step": 1}),
        }


class ChairForm(forms.ModelForm[Chair]):
    class Meta:
        model = Chair
        fields = ["label", "kind", "has_infusion_pump", "has_monitor", "has_pulse_oximeter", "is_recliner"]
        labels = {
            "has_infusion_pump": "Infusion pump",
            "has_monitor": "Monitor",
            "has_pulse_oximeter": "Pulse oximeter",
            "is_recliner": "Recliner",
        }

    def validate_unique(self) -> None:
        """The service checks the label against the location's chairs (the form has no location)."""


class HoursForm(forms.Form):
    weekday = forms.TypedChoiceField(choices=WEEKDAY_CHOICES, coerce=int)
    opens_at = forms.TimeField(widget=TIME, label="Opens")
    closes_at = forms.TimeField(widget=TIME, label="Closes")


class ClosureForm(forms.Form):
    first_day = forms.DateField(widget=DATE)
    last_day = forms.DateField(widget=DATE)
    reason = forms.CharField(max_length=200)


class StaffChoice(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.display_name} ({obj.get_role_display()})"


class ShiftForm(forms.Form):
    user = StaffChoice(queryset=User.objects.none(), label="Staff member")
    starts_at = forms.DateTimeField(widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M"], label="Starts (local)")
    ends_at = forms.DateTimeField(widget=LOCAL, input_formats=["%Y-%m-%dT%H:%M"], label="Ends (local)")

    def __init__(self, *args: Any, location: Location, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.location = location
        staff = location.users.filter(is_active=True, role__in=[Role.NURSE, Role.PRESCRIBER, Role.FRONT_DESK])
        field = self.fields["user"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = staff.order_by("last_name", "first_name")

    def _local(self, name: str) -> dt.datetime | None:
        value = self.cleaned_data.get(name)
        if value is None:
            return None
        return value.replace(tzinfo=None).replace(tzinfo=ZoneInfo(self.location.clinic.timezone))  # type: ignore[no-any-return]

    def clean_starts_at(self) -> dt.datetime | None:
        return self._local("starts_at")

    def clean_ends_at(self) -> dt.datetime | None:
        return self._local("ends_at")


class PlanChoice(forms.ModelChoiceField[PlanVersion]):
    def label_from_instance(self, obj: PlanVersion) -> str:
        return f"{obj.plan.patient.full_name} — plan version {obj.version} ({obj.route})"


class WaitingForm(forms.Form):
    """Put a patient on the waiting list. The service checks the plan and the dates (ARCHITECTURE.md: forms collect)."""

    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    kind = forms.ChoiceField(choices=KIND_CHOICES, label="Waiting for")
    plan_version = PlanChoice(
        queryset=PlanVersion.objects.none(),
        required=False,
        label="Signed plan",
        help_text="For IV, IM and esketamine sessions: the plan's next open session is booked.",
    )
    earliest_date = forms.DateField(widget=DATE, label="Earliest date")
    latest_date = forms.DateField(widget=DATE, label="Latest date")
    weekdays = forms.TypedMultipleChoiceField(
        choices=WEEKDAY_CHOICES,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Preferred weekdays",
        help_text="Leave all unticked for any day.",
    )
    not_before = forms.TimeField(widget=TIME, required=False, label="Not starting before")
    not_after = forms.TimeField(widget=TIME, required=False, label="Over by")
    note = forms.CharField(max_length=300, required=False, widget=forms.TextInput)

    def __init__(self, *args: Any, location: Location, patients: QuerySet[Patient], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        at_location = patients.filter(location=location)
        patient_field, plan_field = self.fields["patient"], self.fields["plan_version"]
        assert isinstance(patient_field, forms.ModelChoiceField) and isinstance(plan_field, forms.ModelChoiceField)
        patient_field.queryset = at_location.order_by("family_name", "given_name")
        plan_field.queryset = (
            PlanVersion.objects.filter(
                status=PlanVersion.Status.SIGNED,
                plan__status=TreatmentPlan.Status.ACTIVE,
                plan__patient__in=at_location,
                orders__status=SessionOrder.Status.OPEN,
            )
            .distinct()
            .select_related("plan__patient")
            .order_by("plan__patient__family_name", "pk")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") in CHAIR_KINDS and not data.get("plan_version") and "plan_version" not in self.errors:
            self.add_error("plan_version", "Choose the signed plan this session is for.")
        return data


class VideoLinkForm(forms.Form):
    video_url = forms.CharField(
        required=False, max_length=500, label="Video link", widget=forms.URLInput(attrs={"placeholder": "https://"})
    )
