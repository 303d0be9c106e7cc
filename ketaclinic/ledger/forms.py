"""Forms for the ledger pages. They shape input only; every rule is in the services and models."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, cast
from zoneinfo import ZoneInfo

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.ledger.models import (
    Container,
    Inventory,
    LedgerPolicy,
    Product,
    Registrant,
    Supplier,
    TheftLossReport,
)
from ketaclinic.ledger.queries import (
    ExpiryWindow,
    containers_visible_to,
    due_for_destruction,
    expiry_window,
    ledger_locations,
    suppliers_for,
    usable,
    with_availability,
)
from ketaclinic.ledger.services import holds as holds_service
from ketaclinic.ledger.services.witnesses import WitnessCredentials
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import patients_visible_to

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
ML_HELP = "mL, up to two decimals (the ledger keeps mL exactly; mg follow from the concentration)."
BACKDATE_HELP = "Only when recording more than the clinic's limit after it happened: why it is late (flagged)."
USABLE = (Container.Status.SEALED, Container.Status.OPEN)
ON_HAND = (Container.Status.SEALED, Container.Status.OPEN, Container.Status.QUARANTINED)


def ml_field(
    label: str = "Quantity (mL)", *, required: bool = True, allow_negative: bool = False
) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=7,
        decimal_places=2,
        min_value=None if allow_negative else Decimal("0.01"),
        required=required,
        help_text=ML_HELP,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%dT%H:%M")


def expiry_mark(container: Container, window: ExpiryWindow | None) -> str:
    """ " · EXPIRED 2025-01-31" or " · expires in 12 days (…)" for a choice label; "" when in date."""
    if window is None:
        return ""
    label = container.expiry(window.today, window.soon_days).label
    return f" · {label}" if label else ""


def left_text(container: Container) -> str:
    """ "15.90 mL available · 4.10 mL in use at Chair 3 since 10:04" when a chair holds a draw from it (the queryset
    came through ``with_availability``); otherwise the book balance, "20.00 mL left"."""
    available = getattr(container, "available_ml", None)
    holds = getattr(container, "open_holds", None)
    if available is None or not holds:
        return f"{container.balance_ml} mL left"
    tz = ZoneInfo(container.location.clinic.timezone)
    return f"{Decimal(available).quantize(Decimal('0.01'))} mL available · " + "; ".join(
        holds_service.describe(h, tz) for h in holds
    )


class ContainerChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    window: ExpiryWindow | None = None  # set by the form: marks expired and soon-expiring containers

    def label_from_instance(self, obj: Any) -> str:
        product = obj.lot.product
        text = f"{obj.label} — {product.name} — {left_text(obj)} ({obj.get_status_display().lower()})"
        return text + expiry_mark(obj, self.window)


class ContainerMultipleChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    window: ExpiryWindow | None = None

    def label_from_instance(self, obj: Any) -> str:
        text = f"{obj.label} — {obj.lot.product.name}, lot {obj.lot.lot_number}: {left_text(obj)}"
        return text + expiry_mark(obj, self.window)


class PatientChoice(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.family_name}, {obj.given_name} — {obj.mrn} — born {obj.date_of_birth:%m/%d/%Y}"


def _containers(user: User, statuses: Iterable[str]) -> QuerySet[Container]:
    containers = containers_visible_to(user).filter(status__in=list(statuses), balance_ml__gt=0)
    return with_availability(containers.select_related("location__clinic")).order_by("label")


def _choose(form: forms.Form, name: str, user: User, containers: QuerySet[Container]) -> ExpiryWindow:
    """Give a container field its choices and the clinic's expiry window (so each choice shows its expiry mark)."""
    field = cast("ContainerChoice | ContainerMultipleChoice", form.fields[name])
    field.queryset = containers
    field.window = expiry_window(user.clinic)
    return field.window


class WitnessMixin:
    """The witness signs in the same form: username, password and the current one-time code (never stored)."""

    witness_prefixes: tuple[tuple[str, str], ...] = (("witness", "Witness"),)
    fields: dict[str, forms.Field]

    def add_witness_fields(self, *, required: bool) -> None:
        for prefix, label in self.witness_prefixes:
            self.fields[f"{prefix}_username"] = forms.CharField(
                label=f"{label}: username",
                max_length=150,
                required=required,
                widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}),
            )
            self.fields[f"{prefix}_password"] = forms.CharField(
                label=f"{label}: password",
                max_length=200,
                required=required,
                widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
            )
            self.fields[f"{prefix}_otp_token"] = forms.CharField(
                label=f"{label}: one-time code",
                max_length=8,
                required=required,
                widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9 ]*"}),
            )

    def witness_field_names(self) -> list[str]:
        return [f"{p}_{n}" for p, _ in self.witness_prefixes for n in ("username", "password", "otp_token")]

    def credentials(self, prefix: str = "witness") -> WitnessCredentials | None:
        data = cast("forms.Form", self).cleaned_data
        username = (data.get(f"{prefix}_username") or "").strip()
        if not username:
            return None
        return WitnessCredentials(
            username=username,
            password=data.get(f"{prefix}_password") or "",
            otp_token=data.get(f"{prefix}_otp_token") or "",
            prefix=prefix,
        )


class TimedForm(forms.Form):
    occurred_at = forms.DateTimeField(
        label="When it happened", widget=DATETIME, help_text="The actual date and time (clinic time), not today's."
    )
    backdate_reason = forms.CharField(
        label="Reason for late entry", required=False, max_length=500, help_text=BACKDATE_HELP
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].initial = now_local()


class ReceiptForm(TimedForm):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    product = forms.ModelChoiceField(queryset=Product.objects.none())
    supplier = forms.ModelChoiceField(queryset=Supplier.objects.none(), help_text="Name, address and DEA number.")
    container_count = forms.IntegerField(label="Number of containers", min_value=1, max_value=500)
    lot_number = forms.CharField(max_length=40)
    expires_on = forms.DateField(label="Lot expiry", widget=DATE)
    invoice_ref = forms.CharField(label="Invoice / packing-slip reference", max_length=100)
    quarantine_reason = forms.CharField(
        label="Receive into quarantine: reason",
        required=False,
        max_length=250,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed for a lot that has already expired (it is counted, never given, and destroyed or returned); "
        "optional for damaged or recalled stock. Leave empty for usable stock.",
    )
    labels = forms.CharField(
        label="Container ids (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="One per line, as written on the vials. Leave empty to number them automatically.",
    )
    field_order = [
        "location",
        "product",
        "supplier",
        "container_count",
        "lot_number",
        "expires_on",
        "quarantine_reason",
        "invoice_ref",
    ]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].label = "Received at"
        locations = ledger_locations(user)
        cast("forms.ModelChoiceField[Location]", self.fields["location"]).queryset = locations
        if locations.count() == 1:
            self.fields["location"].initial = locations.first()
        products = Product.objects.filter(clinic=user.clinic, is_active=True)
        cast("forms.ModelChoiceField[Product]", self.fields["product"]).queryset = products
        suppliers = suppliers_for(user).filter(is_active=True, is_reverse_distributor=False)
        cast("forms.ModelChoiceField[Supplier]", self.fields["supplier"]).queryset = suppliers

    def label_list(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("labels") or "").splitlines() if line.strip()]


class AdministrationForm(WitnessMixin, TimedForm):
    patient = PatientChoice(queryset=Patient.objects.none())
    container = ContainerChoice(queryset=Container.objects.none())
    quantity_ml = ml_field("Administered (mL)")
    drawn_ml = ml_field("Drawn up (mL)", required=False)
    session_reference = forms.CharField(
        label="Session reference",
        max_length=100,
        required=False,
        help_text="For a dose given outside a chair session (chair sessions post themselves): the appointment or "
        "note that identifies it.",
    )
    waste_manner = forms.CharField(
        label="How the remainder was wasted",
        max_length=200,
        required=False,
        initial="syringe remainder into the drug-waste container",
    )
    field_order = ["patient", "container", "quantity_ml", "drawn_ml", "occurred_at", "session_reference"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].label = "Given at"
        self.fields["drawn_ml"].help_text = (
            "If you drew up more than you gave, enter what you drew: the difference is wasted now, "
            "and needs a witness below. Leave empty when nothing is left in the syringe."
        )
        patients = patients_visible_to(user).filter(location__in=ledger_locations(user))
        cast("forms.ModelChoiceField[Patient]", self.fields["patient"]).queryset = patients.order_by(
            "family_name", "given_name"
        )
        # Expired stock is never offered (42 CFR 482.25(b)(3)); the service refuses it too.
        window = expiry_window(user.clinic)
        _choose(self, "container", user, usable(_containers(user, USABLE), window.today))
        self.fields["container"].help_text = (
            "Sealed or open, in-date containers only: expired and quarantined stock is never given "
            "(42 CFR 482.25(b)(3): outdated drugs are not available for patient use)."
        )
        self.add_witness_fields(required=False)


class WasteForm(WitnessMixin, TimedForm):
    container = ContainerChoice(queryset=Container.objects.none())
    close = forms.BooleanField(label="Waste the whole remainder and close the container", required=False, initial=False)
    quantity_ml = ml_field("Wasted (mL)", required=False)
    manner = forms.CharField(
        label="Manner of disposal", max_length=200, initial="into the drug-waste container (non-retrievable)"
    )
    reason = forms.CharField(max_length=500, initial="remainder of an opened vial")
    field_order = ["container", "close", "quantity_ml", "manner", "reason", "occurred_at"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choose(self, "container", user, _containers(user, ON_HAND))
        self.fields["container"].help_text = (
            "Expired containers are marked: the remainder of an opened vial may be wasted here; a whole expired "
            "container is destroyed (DEA Form 41) or returned to a reverse distributor instead."
        )
        self.fields["quantity_ml"].help_text = "Leave empty when closing: the whole remainder is wasted."
        self.add_witness_fields(required=True)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("close") and not data.get("quantity_ml"):
            self.add_error("quantity_ml", "Enter the quantity wasted, or tick to waste the whole remainder.")
        return data


class QuarantineForm(forms.Form):
    reason = forms.CharField(max_length=300, help_text="e.g. expired, damaged, opened vial to be destroyed.")


class AdjustmentForm(WitnessMixin, TimedForm):
    container = ContainerChoice(queryset=Container.objects.none())
    quantity_ml = ml_field("Adjustment (mL, + or −)", allow_negative=True)
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["container", "quantity_ml", "reason", "occurred_at"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        containers = containers_visible_to(user).exclude(status=Container.Status.DISPOSED).order_by("label")
        _choose(self, "container", user, containers)
        self.add_witness_fields(required=True)


class ReversalForm(WitnessMixin, forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 2}), help_text="What is wrong with the entry."
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_witness_fields(required=True)


class TransferForm(TimedForm):
    containers = ContainerMultipleChoice(queryset=Container.objects.none(), widget=forms.CheckboxSelectMultiple)
    reverse_distributor = forms.ModelChoiceField(queryset=Supplier.objects.none())
    reference = forms.CharField(
        label="Transfer reference", max_length=100, help_text="The reverse distributor's form or shipment number."
    )
    field_order = ["containers", "reverse_distributor", "reference", "occurred_at"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].label = "Handed over at"
        _choose(self, "containers", user, _containers(user, ON_HAND))
        if not self.fields["containers"].queryset.exists():  # type: ignore[attr-defined]
            self.fields["containers"].help_text = "Nothing on hand at your locations."
        rds = suppliers_for(user).filter(is_active=True, is_reverse_distributor=True)
        cast("forms.ModelChoiceField[Supplier]", self.fields["reverse_distributor"]).queryset = rds


class DestructionForm(WitnessMixin, TimedForm):
    witness_prefixes = (("witness", "First witness"), ("second_witness", "Second witness"))
    containers = ContainerMultipleChoice(queryset=Container.objects.none(), widget=forms.CheckboxSelectMultiple)
    method = forms.CharField(max_length=200, initial="chemical drug-waste neutraliser (rendered non-retrievable)")
    place = forms.CharField(max_length=300, required=False, help_text="Where it was destroyed (default: the location).")
    notes = forms.CharField(max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["containers", "method", "place", "occurred_at", "notes"]

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["occurred_at"].label = "Destroyed at"
        window = expiry_window(user.clinic)
        _choose(self, "containers", user, due_for_destruction(_containers(user, ON_HAND), window.today))
        self.fields[
            "containers"
        ].help_text = "Quarantined and expired containers (set any other container aside from its page first)."
        if not self.fields["containers"].queryset.exists():  # type: ignore[attr-defined]
            self.fields[
                "containers"
            ].help_text = "Nothing is quarantined or expired at your locations: set a container aside first."
        self.add_witness_fields(required=True)


class TheftLossForm(forms.Form):
    kind = forms.ChoiceField(choices=TheftLossReport.Kind.choices)
    discovered_at = forms.DateTimeField(label="Discovered at", widget=DATETIME)
    container = ContainerChoice(queryset=Container.objects.none())
    quantity_ml = ml_field("Quantity missing (mL)")
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)
    backdate_reason = forms.CharField(
        label="Reason for late entry", required=False, max_length=500, help_text=BACKDATE_HELP
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["discovered_at"].initial = now_local()
        _choose(self, "container", user, _containers(user, ON_HAND))


class NoticeForm(forms.Form):
    sent_at = forms.DateTimeField(label="Written notice sent to the DEA at", widget=DATETIME)


class Form106Form(forms.Form):
    filed_at = forms.DateTimeField(label="DEA Form 106 filed at", widget=DATETIME)
    reference = forms.CharField(label="Form 106 confirmation number", max_length=60)


class InventoryStartForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none())
    kind = forms.ChoiceField(choices=Inventory.Kind.choices)
    taken_at = forms.DateTimeField(label="Count taken at", widget=DATETIME)
    business_timing = forms.ChoiceField(label="Opening or close of business", choices=Inventory.Timing.choices)
    notes = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = ledger_locations(user)
        cast("forms.ModelChoiceField[Location]", self.fields["location"]).queryset = locations
        if locations.count() == 1:
            self.fields["location"].initial = locations.first()
        self.fields["taken_at"].initial = now_local()


class CountForm(forms.Form):
    """One row per inventory line: counted mL, and an estimate flag with its reason."""

    def __init__(self, *args: Any, lines: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            counted = forms.DecimalField(
                label=f"{line.container.label} counted (mL)",
                max_digits=7,
                decimal_places=2,
                min_value=Decimal("0"),
                required=False,
                initial=line.counted_ml,
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )
            self.fields[f"counted_{line.pk}"] = counted
            self.fields[f"estimated_{line.pk}"] = forms.BooleanField(
                label="Estimated", required=False, initial=line.estimated
            )
            self.fields[f"reason_{line.pk}"] = forms.CharField(
                label="Why estimated", required=False, max_length=300, initial=line.estimation_reason
            )

    def rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField, forms.BoundField]]:
        return [
            (line, self[f"counted_{line.pk}"], self[f"estimated_{line.pk}"], self[f"reason_{line.pk}"])
            for line in self.lines
        ]


class AnnotateForm(WitnessMixin, forms.Form):
    annotation = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    adjust_books = forms.BooleanField(
        label="Also bring the books to the count (a witnessed adjustment)", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_witness_fields(required=False)


class EscalateForm(forms.Form):
    kind = forms.ChoiceField(choices=TheftLossReport.Kind.choices, initial=TheftLossReport.Kind.LOSS)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=4000)


class UpperCaseField(forms.CharField):
    """Letters typed in lower case are what was meant in upper case (DEA numbers: "ab1234563" → "AB1234563")."""

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()


class RegistrantForm(forms.ModelForm[Registrant]):
    dea_number = UpperCaseField(label="DEA registration number", max_length=9)

    class Meta:
        model = Registrant
        fields = ["registrant_name", "dea_number", "schedules", "address", "expires_on"]
        widgets = {"expires_on": DATE, "address": forms.Textarea(attrs={"rows": 2})}


class ProductForm(forms.ModelForm[Product]):
    class Meta:
        model = Product
        fields = [
            "name",
            "substance",
            "ndc",
            "rxnorm_code",
            "form",
            "concentration_mg_per_ml",
            "container_volume_ml",
            "container_kind",
            "containers_per_package",
            "is_active",
        ]


class SupplierForm(forms.ModelForm[Supplier]):
    dea_number = UpperCaseField(label="DEA registration number", max_length=9)

    class Meta:
        model = Supplier
        fields = ["name", "address", "dea_number", "is_reverse_distributor", "is_active"]
        widgets = {"address": forms.Textarea(attrs={"rows": 2})}


class PolicyForm(forms.ModelForm[LedgerPolicy]):
    class Meta:
        model = LedgerPolicy
        fields = [
            "backdate_limit_hours",
            "inventory_interval_months",
            "retention_years",
            "inventory_alert_days",
            "expiry_warning_days",
            "draw_tolerance_percent",
            "significant_discrepancy_mg",
            "significant_discrepancy_percent",
            "discrepancy_pattern_count",
            "discrepancy_pattern_days",
            "extra_holidays",
        ]
        widgets = {"extra_holidays": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Added after clinics had saved settings: a form (or client) that does not send it keeps the current value.
        self.fields["expiry_warning_days"].required = False
        self.fields["draw_tolerance_percent"].required = False

    def clean_expiry_warning_days(self) -> int:
        value = self.cleaned_data.get("expiry_warning_days")
        return int(value) if value is not None else int(self.instance.expiry_warning_days)

    def clean_draw_tolerance_percent(self) -> Decimal:
        value = self.cleaned_data.get("draw_tolerance_percent")
        return value if value is not None else self.instance.draw_tolerance_percent


class ReportFilterForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.none(), required=False, empty_label=None)
    date_from = forms.DateField(label="From", widget=DATE, required=False)
    date_to = forms.DateField(label="To", widget=DATE, required=False)
    patient = PatientChoice(queryset=Patient.objects.none(), required=False, label="Patient (optional)")
    inventory = forms.ModelChoiceField(queryset=Inventory.objects.none(), required=False)
    theft_loss = forms.ModelChoiceField(
        queryset=TheftLossReport.objects.none(), required=False, label="Theft/loss report"
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locations = ledger_locations(user)
        cast("forms.ModelChoiceField[Location]", self.fields["location"]).queryset = locations
        cast("forms.ModelChoiceField[Patient]", self.fields["patient"]).queryset = patients_visible_to(user).order_by(
            "family_name", "given_name"
        )
        cast("forms.ModelChoiceField[Inventory]", self.fields["inventory"]).queryset = Inventory.objects.filter(
            location__in=locations, status=Inventory.Status.FINALISED
        ).order_by("-taken_at")
        cast(
            "forms.ModelChoiceField[TheftLossReport]", self.fields["theft_loss"]
        ).queryset = TheftLossReport.objects.filter(location__in=locations).order_by("-discovered_at")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return data

    def period(self) -> tuple[dt.date, dt.date]:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        end = data.get("date_to") or today
        start = data.get("date_from") or end - dt.timedelta(days=30)
        return start, end
