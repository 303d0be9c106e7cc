"""Forms at the chair. Every write form carries the session ``version`` it was filled in on (a stale one is refused by
the service) and create forms carry a one-time ``token`` (a double tap records once). Times are a time of day in the
clinic's zone, blank meaning now. Rules live in the services and ``ketaclinic.domain``, not here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.accounts.forms import OnceForm
from ketaclinic.domain import instruments
from ketaclinic.infusions.models import RateChange, RescueMedication, SideEffect, TreatmentSession
from ketaclinic.ledger.forms import WitnessMixin, expiry_mark, left_text
from ketaclinic.ledger.models import Container
from ketaclinic.ledger.queries import ExpiryWindow

NUMERIC = {"inputmode": "numeric", "autocomplete": "off"}
DECIMAL = {"inputmode": "decimal", "autocomplete": "off"}
TIME_HELP = "Blank = now."


class TimeOfDayField(forms.TimeField):
    """A time of day (HH:MM) in the clinic's zone, made into an aware datetime today. With ``yesterday_if_later``, a
    time later than now means yesterday evening (the last meal before a morning session)."""

    widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

    def __init__(self, *args: Any, yesterday_if_later: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", TIME_HELP)
        super().__init__(*args, **kwargs)
        self.yesterday_if_later = yesterday_if_later

    def clean(self, value: Any) -> dt.datetime | None:
        time = super().clean(value)
        if time is None:
            return None
        now = timezone.localtime()
        moment = now.replace(hour=time.hour, minute=time.minute, second=0, microsecond=0)
        if self.yesterday_if_later and moment > now:
            moment -= dt.timedelta(days=1)
        return moment


def local_time(value: dt.datetime | None) -> str:
    return "" if value is None else f"{timezone.localtime(value):%H:%M}"


class SessionForm(forms.Form):
    """Every write form: the version the page was showing."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class CreateForm(OnceForm, SessionForm):
    """A form that creates a record: also the one-time token of every create form (``accounts.forms.OnceForm``), so a
    double tap or a retry records once; here it is required and the services check it under the session lock."""

    once_required = True


class CheckInOrderForm(forms.Form):
    chair = forms.CharField(max_length=20, widget=forms.TextInput(attrs={"placeholder": "e.g. Chair 3"}))


class CheckInForm(SessionForm):
    chair = forms.CharField(max_length=20)
    last_food_at = TimeOfDayField(label="Last food at", yesterday_if_later=True, help_text="A later time = yesterday.")
    last_liquids_at = TimeOfDayField(
        label="Last liquids at", yesterday_if_later=True, help_text="A later time = yesterday."
    )
    escort_name = forms.CharField(label="Responsible adult (ride home)", max_length=200, required=False)
    escort_phone = forms.CharField(label="Their phone", max_length=30, required=False)
    ride_home_confirmed = forms.BooleanField(label="Ride home confirmed with them", required=False)
    pregnancy_test = forms.ChoiceField(
        label="Pregnancy test today",
        choices=[("", "—"), *TreatmentSession.PregnancyTest.choices],
        required=False,
    )

    def __init__(self, *args: Any, session: TreatmentSession, pregnancy: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.update(
                version=session.version,
                chair=session.chair,
                last_food_at=local_time(session.last_food_at),
                last_liquids_at=local_time(session.last_liquids_at),
                escort_name=session.escort_name,
                escort_phone=session.escort_phone,
                ride_home_confirmed=session.ride_home_confirmed,
                pregnancy_test=session.pregnancy_test,
            )
        if session.appointment_id is not None:  # the chair is the appointment's (issue 17): not typed here
            self.initial["chair"] = session.chair
            self.fields["chair"].disabled = True
            self.fields["chair"].help_text = "From the appointment; move the appointment on the calendar to change it."
        if not pregnancy:
            del self.fields["pregnancy_test"]

    def changes(self) -> dict[str, Any]:
        data = self.cleaned_data
        changes = {name: data[name] for name in self.fields if name != "version"}
        for name in ("last_food_at", "last_liquids_at"):
            if changes[name] is None:
                changes.pop(name)  # blank keeps what is recorded
        return changes


class VitalsForm(CreateForm):
    """Large numeric fields for one-handed entry; plausibility is checked by ``domain.monitoring`` (the service), so
    an impossible value gets the domain's message naming the field."""

    systolic_mmhg = forms.IntegerField(label="Systolic", required=False, widget=forms.TextInput(attrs=NUMERIC))
    diastolic_mmhg = forms.IntegerField(label="Diastolic", required=False, widget=forms.TextInput(attrs=NUMERIC))
    heart_rate_per_min = forms.IntegerField(label="Heart rate", required=False, widget=forms.TextInput(attrs=NUMERIC))
    spo2_percent = forms.IntegerField(label="SpO2 %", required=False, widget=forms.TextInput(attrs=NUMERIC))
    respiratory_rate_per_min = forms.IntegerField(
        label="Resp. rate", required=False, widget=forms.TextInput(attrs=NUMERIC)
    )
    moaas = forms.TypedChoiceField(
        label="MOAA/S",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")]
        + [(str(v), f"{v} {label}") for v, label in ((5, "alert"), (4, ""), (3, ""), (2, ""), (1, ""), (0, "unresp."))],
    )
    rass = forms.TypedChoiceField(
        label="RASS",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "—")] + [(str(v), f"{v:+d}") for v in range(4, -6, -1)],
    )
    taken_at = TimeOfDayField(label="Time")

    VALUES = ("systolic_mmhg", "diastolic_mmhg", "heart_rate_per_min", "spo2_percent", "respiratory_rate_per_min")

    def __init__(self, *args: Any, sedation_scale: str = "moaas", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["rass" if sedation_scale == "moaas" else "moaas"]
        self.sedation_scale = sedation_scale

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in (*self.VALUES, self.sedation_scale)}


NOT_ASKED = ""  # the value of the "Not asked" radio button: the same as leaving the item blank


def scale_form_class(instrument_id: str) -> type[CreateForm]:
    """A form with one radio group per item of the instrument, in the published order (``domain.instruments``)."""
    definition = instruments.get(instrument_id)
    fields: dict[str, forms.Field] = {}
    for item in definition.items:
        choices = [(_encode(value), _option_label(value, label)) for value, label in item.options]
        if not item.required:
            # A ticked radio button cannot be unticked: an item that may stay unanswered (the C-SSRS skip questions,
            # the PHQ-9 difficulty question) offers "Not asked" to clear it again, without JavaScript. It is what an
            # unanswered item shows.
            choices = [*choices, (NOT_ASKED, "Not asked")]
        fields[f"item_{item.number}"] = forms.ChoiceField(
            label=f"{item.number}. {item.text}",
            choices=choices,
            required=item.required and instrument_id != "cssrs_screener",
            widget=forms.RadioSelect,
        )

    def answers(self: CreateForm) -> list[object]:
        result: list[object] = []
        for item in definition.items:
            raw = self.cleaned_data.get(f"item_{item.number}")
            result.append(_decode(raw))
        return result

    attrs: dict[str, Any] = {**fields, "answers": answers, "instrument": instrument_id}
    return cast("type[CreateForm]", type(f"{instrument_id.title()}Form", (CreateForm,), attrs))


def _option_label(value: object, label: str) -> str:
    if isinstance(value, bool) or label == str(value):
        return label
    return f"{value} · {label}"


def _encode(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _decode(raw: str | None) -> object:
    if raw in (None, "", NOT_ASKED):
        return None
    if raw == "yes":
        return True
    if raw == "no":
        return False
    return int(str(raw))


class NoteForm(SessionForm):
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False)


class RiskAckForm(SessionForm):
    note = forms.CharField(
        label="Risk/benefit reasoning",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Esketamine rule R1: why the benefit of dosing today outweighs the risk of a short-term BP rise.",
    )


class AllergyOverrideForm(SessionForm):
    note = forms.CharField(
        label="Why dose despite the allergy (prescriber)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text="Kept with the session and shown on the check-in list; a nurse cannot override an allergy stop.",
    )


class ReasonForm(SessionForm):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=500)


class ContainerChoice(forms.ModelMultipleChoiceField):  # type: ignore[type-arg]
    window: ExpiryWindow | None = None  # the clinic's day and "expires soon" setting (the ledger's)

    def label_from_instance(self, obj: Any) -> str:
        text = (
            f"{obj.label} · {obj.lot.product.name} · lot {obj.lot.lot_number} (exp {obj.lot.expires_on:%Y-%m-%d}) · "
            f"{left_text(obj)}"
        )
        return text + expiry_mark(obj, self.window)


class StartForm(CreateForm):
    containers = ContainerChoice(
        label="Container(s) used", queryset=Container.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    drawn_ml = forms.DecimalField(
        label="Volume drawn per container (mL)",
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.TextInput(attrs=DECIMAL),
    )
    draw_reason = forms.CharField(
        label="Why does the drawn volume differ from the order?",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    started_at = TimeOfDayField(label="Start time")

    def __init__(
        self,
        *args: Any,
        containers: QuerySet[Container],
        drawn_ml: Decimal | None,
        window: ExpiryWindow | None = None,
        tolerance_percent: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if tolerance_percent is not None:
            self.fields["draw_reason"].help_text = (
                f"Needed when the draw is more than {tolerance_percent} % above or below the ordered volume (clinic "
                "policy; set in the ledger settings). Kept on the record."
            )
        field = cast(ContainerChoice, self.fields["containers"])
        field.queryset = containers  # usable stock only: expired and quarantined containers are never offered
        field.window = window
        field.help_text = "Open vials first, then the earliest expiry; expired and quarantined stock is never listed."
        if drawn_ml is not None and not self.is_bound:
            self.initial["drawn_ml"] = drawn_ml


class RateForm(CreateForm):
    kind = forms.ChoiceField(
        choices=[(k, label) for k, label in RateChange.Kind.choices if k in ("change", "pause", "resume")]
    )
    rate_mg_per_h = forms.DecimalField(
        label="New rate (mg/h)",
        required=False,
        max_digits=7,
        decimal_places=1,
        min_value=Decimal("0.1"),
        widget=forms.TextInput(attrs=DECIMAL),
    )
    reason = forms.CharField(max_length=500)
    at = TimeOfDayField(label="Time")


class CorrectDrawForm(WitnessMixin, CreateForm):
    """A wrong drawn volume, corrected while the infusion runs, with a second licensed person's signature."""

    drawn_ml = forms.DecimalField(
        label="Volume actually drawn (mL)",
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        widget=forms.TextInput(attrs=DECIMAL),
    )
    reason = forms.CharField(
        label="What was wrong with the recorded volume?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept on the record and in the audit log with the witness's name.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_witness_fields(required=True)


class EndInfusionForm(WitnessMixin, CreateForm):
    ended_at = TimeOfDayField(label="Ended at")
    given_ml = forms.DecimalField(
        label="Volume given (mL)",
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        widget=forms.TextInput(attrs=DECIMAL),
        help_text="From the pump. Blank = what the rate history says ran in.",
    )
    waste_manner = forms.CharField(label="How the remainder was wasted", max_length=200, required=False)
    early_end_reason = forms.CharField(
        label="Why does the infusion end before the ordered dose?",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Required when less than the ordered dose was given; kept on the record.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_witness_fields(required=False)
        for name in self.witness_field_names():
            self.fields[name].help_text = "Only when less was given than drawn: the remainder is wasted, witnessed."
            break


class SideEffectForm(CreateForm):
    effect = forms.ChoiceField(choices=SideEffect.Effect.choices)
    other_text = forms.CharField(label="Describe (other)", max_length=200, required=False)
    severity = forms.ChoiceField(choices=SideEffect.Severity.choices, widget=forms.RadioSelect)
    adverse_event = forms.BooleanField(label="Adverse event (to review and report)", required=False)
    action_taken = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), max_length=1000, required=False)
    outcome = forms.ChoiceField(choices=SideEffect.Outcome.choices, initial="ongoing", widget=forms.RadioSelect)
    started_at = TimeOfDayField(label="Time")

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name not in ("version", "token")}


class ResolveForm(SessionForm):
    outcome = forms.ChoiceField(
        choices=[(k, v) for k, v in SideEffect.Outcome.choices if k != "ongoing"], initial="resolved"
    )
    action_taken = forms.CharField(max_length=1000, required=False)
    at = TimeOfDayField(label="Time")


class RescueForm(CreateForm):
    drug = forms.ChoiceField(choices=RescueMedication.Drug.choices)
    drug_other = forms.CharField(label="Drug name (other)", max_length=100, required=False)
    dose = forms.CharField(
        max_length=60,
        help_text="As given, with its unit. Doses are set by your medical director (the clinic formulary).",
    )
    route = forms.ChoiceField(choices=RescueMedication.Route.choices)
    reason = forms.CharField(max_length=200)
    side_effect = forms.ModelChoiceField(queryset=SideEffect.objects.none(), required=False, label="For side effect")
    given_at = TimeOfDayField(label="Given at")
    allergy_override_reason = forms.CharField(
        label="Allergy override: why give it anyway (prescriber only)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        required=False,
        help_text="Only if the drug matches a recorded allergy and the prescriber gives it anyway: say why.",
    )

    def __init__(self, *args: Any, session: TreatmentSession, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelChoiceField[SideEffect]", self.fields["side_effect"])
        field.queryset = session.side_effects.filter(entered_in_error=False)

    def values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name not in ("version", "token")}


SEVERITY_CHOICES = [("no", "Absent"), ("yes", "Present")]


class DischargeForm(CreateForm):
    sedation = forms.ChoiceField(choices=SEVERITY_CHOICES, widget=forms.RadioSelect, required=False)
    dissociation = forms.ChoiceField(choices=SEVERITY_CHOICES, widget=forms.RadioSelect, required=False)
    respiratory_depression = forms.ChoiceField(choices=SEVERITY_CHOICES, widget=forms.RadioSelect, required=False)
    escort_name = forms.CharField(label="Leaving with (responsible adult)", max_length=200, required=False)
    instructions_given = forms.BooleanField(label="Discharge instructions given (listed above)", required=False)
    discharged_at = TimeOfDayField(label="Discharge time")
    early_discharge_reason = forms.CharField(
        label="Prescriber's reason for discharge before the minimum observation",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Only a prescriber may discharge early; the reason goes on the session record.",
    )

    def __init__(self, *args: Any, scale: str, esketamine: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scale = scale
        for name, field in scale_form_class(scale).base_fields.items():
            if name.startswith("item_"):
                self.fields[name] = field
        for name in ("sedation", "dissociation", "respiratory_depression"):
            self.fields[name].required = esketamine

    def answers(self) -> list[object]:
        return [_decode(self.cleaned_data.get(name)) for name in sorted(self.fields) if name.startswith("item_")]

    def flag(self, name: str) -> bool | None:
        value = self.cleaned_data.get(name)
        return None if not value else value == "yes"


class RemsForm(SessionForm):
    confirmation = forms.CharField(label="REMS confirmation reference", max_length=60)


__all__ = [
    "CheckInForm",
    "CheckInOrderForm",
    "CreateForm",
    "DischargeForm",
    "EndInfusionForm",
    "NoteForm",
    "RateForm",
    "ReasonForm",
    "RemsForm",
    "RescueForm",
    "ResolveForm",
    "RiskAckForm",
    "SessionForm",
    "SideEffectForm",
    "StartForm",
    "VitalsForm",
    "scale_form_class",
]
