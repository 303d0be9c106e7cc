"""Request and response schemas of /api/v1/sessions (ketaclinic.infusions.api.sessions)."""

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field, Schema

from ketaclinic.api.schemas import BodyIn, DecimalText, Id, IsoDateTime, WitnessIn

Reading = Annotated[int, Field(ge=-100, le=1000, description="Checked for plausibility by domain.monitoring.")]
Version = Annotated[int, Field(ge=1, le=2**31 - 1)]
VERSION_HELP = "The session version you read; if the session changed since, the write is refused with 409."


class SessionOut(Schema):
    id: int
    patient_id: int
    location_id: int
    order_id: int
    protocol_id: str
    route: str
    chair: str
    status: str
    version: int
    checked_in_at: dt.datetime
    last_food_at: dt.datetime | None
    last_liquids_at: dt.datetime | None
    escort_name: str
    escort_phone: str
    ride_home_confirmed: bool
    pregnancy_test: str
    started_at: dt.datetime | None
    infusion_ended_at: dt.datetime | None
    dose_delivered_mg: DecimalText | None
    discharged_at: dt.datetime | None
    note_signed_at: dt.datetime | None
    cancelled_reason: str
    rems_due_on: dt.date | None
    rems_submitted_at: dt.datetime | None
    rems_confirmation: str


class CheckItemOut(Schema):
    code: str
    label: str
    ok: bool
    detail: str
    blocking: bool
    source: str


class AlertOut(Schema):
    id: int
    reading_id: int | None
    code: str
    level: str
    parameter: str
    value: float
    threshold: float
    message: str
    action: str
    source: str
    raised_at: dt.datetime
    acknowledged_by_id: int | None
    acknowledged_at: dt.datetime | None
    acknowledgement_note: str


class SessionDetailOut(SessionOut):
    checklist: list[CheckItemOut]
    next_vitals_due_at: dt.datetime | None
    vitals_overdue: bool
    cadss_due_min: int | None
    delivered_mg: DecimalText
    open_alerts: list[AlertOut]
    note_text: str


class SessionIn(BodyIn):
    order_id: Id
    chair: str = Field(min_length=1, max_length=20)


class CheckInPatch(BodyIn):
    """Only the fields given change. Null clears the last food and liquids times; no other field may be null."""

    expected_version: Version | None = Field(None, description=VERSION_HELP)
    chair: str = Field(None, min_length=1, max_length=20)  # type: ignore[assignment]
    last_food_at: IsoDateTime | None = None
    last_liquids_at: IsoDateTime | None = None
    escort_name: str = Field(None, max_length=200)  # type: ignore[assignment]
    escort_phone: str = Field(None, max_length=30)  # type: ignore[assignment]
    ride_home_confirmed: bool = None  # type: ignore[assignment]
    pregnancy_test: Literal["", "negative", "positive", "not_applicable"] = None  # type: ignore[assignment]


class VitalsIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    taken_at: IsoDateTime | None = Field(None, description="When measured (default: now). Not in the future.")
    systolic_mmhg: Reading | None = None
    diastolic_mmhg: Reading | None = None
    heart_rate_per_min: Reading | None = None
    spo2_percent: Reading | None = None
    respiratory_rate_per_min: Reading | None = None
    temperature_c: DecimalText | None = Field(None, ge=0, le=100, max_digits=4, decimal_places=1)
    moaas: int | None = Field(None, ge=-10, le=10)
    rass: int | None = Field(None, ge=-10, le=10)
    note: str = Field("", max_length=200)


class VitalOut(Schema):
    id: int
    taken_at: dt.datetime
    systolic_mmhg: int | None
    diastolic_mmhg: int | None
    heart_rate_per_min: int | None
    spo2_percent: int | None
    respiratory_rate_per_min: int | None
    temperature_c: DecimalText | None
    moaas: int | None
    rass: int | None
    note: str
    recorded_by_id: int
    recorded_at: dt.datetime
    entered_in_error: bool
    alerts: list[AlertOut]

    @staticmethod
    def resolve_alerts(obj: Any) -> list[Any]:
        if isinstance(obj, dict):  # a stored response replayed by the Idempotency-Key support
            return list(obj.get("alerts", []))
        return list(obj.alerts.all())


class AcknowledgeIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    note: str = Field("", max_length=2000)


class ScoreIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    instrument: Literal["phq9", "gad7", "qids_sr16", "pain_nrs", "peg", "bpi", "cssrs_screener", "cadss"]
    answers: list[int | bool | None] = Field(max_length=30, description="In the published item order.")
    taken_at: IsoDateTime | None = None


class ScoreOut(Schema):
    id: int
    instrument: str
    answers: list[Any]
    total: float
    band: str
    flags: list[str]
    taken_at: dt.datetime
    entered_in_error: bool


class RiskBenefitIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    note: str = Field(min_length=1, max_length=2000)


class CancelIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    reason: str = Field(min_length=1, max_length=500)


class DrawIn(BodyIn):
    container_id: Id
    drawn_ml: DecimalText = Field(gt=0, le=1000, max_digits=7, decimal_places=2)


class StartIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    containers: list[DrawIn] = Field(min_length=1, max_length=6)
    started_at: IsoDateTime | None = None


class SessionAdministrationOut(Schema):
    id: int
    container_id: int
    product_name: str
    ndc: str
    lot_number: str
    lot_expires_on: dt.date
    container_label: str
    concentration_mg_per_ml: DecimalText
    drawn_ml: DecimalText
    given_ml: DecimalText | None
    ledger_entry_id: int | None
    waste_entry_id: int | None


class SideEffectIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    effect: Literal[
        "dissociation",
        "nausea",
        "vomiting",
        "dizziness",
        "headache",
        "hallucinations",
        "anxiety_dysphoria",
        "emergence_reaction",
        "hypertension",
        "tachycardia",
        "sedation",
        "respiratory_depression",
        "other",
    ]
    other_text: str = Field("", max_length=200)
    severity: Literal["mild", "moderate", "severe"]
    adverse_event: bool = False
    action_taken: str = Field("", max_length=1000)
    outcome: Literal["ongoing", "resolved", "transferred"] = "ongoing"
    started_at: IsoDateTime | None = None


class SideEffectOut(Schema):
    id: int
    effect: str
    other_text: str
    severity: str
    adverse_event: bool
    action_taken: str
    outcome: str
    started_at: dt.datetime
    resolved_at: dt.datetime | None
    entered_in_error: bool


class RescueIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    drug: Literal["ondansetron", "promethazine", "midazolam", "lorazepam", "clonidine", "labetalol", "other"]
    drug_other: str = Field("", max_length=100)
    dose: str = Field(min_length=1, max_length=60, description="As given, with its unit. No dose is suggested.")
    route: Literal["iv", "im", "oral", "odt", "sublingual", "other"]
    reason: str = Field(min_length=1, max_length=200)
    side_effect_id: Id | None = None
    given_at: IsoDateTime | None = None
    allergy_override_reason: str = Field(
        "", max_length=2000, description="Prescriber only: why a drug matching a recorded allergy is given anyway."
    )


class RescueOut(Schema):
    id: int
    drug: str
    drug_other: str
    dose: str
    route: str
    reason: str
    side_effect_id: int | None
    given_at: dt.datetime
    allergy_override_reason: str
    entered_in_error: bool


class RateChangeIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    kind: Literal["change", "pause", "resume"]
    rate_mg_per_h: DecimalText | None = Field(None, gt=0, le=10000, max_digits=7, decimal_places=1)
    reason: str = Field(min_length=1, max_length=500)
    at: IsoDateTime | None = None


class RateChangeOut(Schema):
    id: int
    kind: str
    at: dt.datetime
    rate_mg_per_h: DecimalText
    pump_rate_ml_per_h: DecimalText | None
    reason: str


class EventsOut(Schema):
    side_effects: list[SideEffectOut]
    rescue_medications: list[RescueOut]
    rate_changes: list[RateChangeOut]
    delivered_mg: DecimalText


class EndInfusionIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    ended_at: IsoDateTime | None = None
    given_ml: DecimalText | None = Field(
        None, gt=0, le=1000, max_digits=7, decimal_places=2, description="Default: what the rate history says ran in."
    )
    witness: WitnessIn | None = Field(None, description="Needed when less was given than drawn (the waste).")
    waste_manner: str = Field("", max_length=200)
    early_end_reason: str = Field(
        "", max_length=1000, description="Required when less than the ordered dose was given: why the infusion ends."
    )


class DischargeIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    scale: Literal["aldrete", "padss"]
    answers: list[int] = Field(max_length=10, description="The scale's 5 items, 0-2 each, in order.")
    sedation: bool | None = None
    dissociation: bool | None = None
    respiratory_depression: bool | None = None
    escort_name: str = Field(min_length=1, max_length=200)
    instructions_given: bool
    discharged_at: IsoDateTime | None = None
    early_discharge_reason: str = Field(
        "",
        max_length=2000,
        description="Before the protocol's minimum observation after the end of dosing: the prescriber's reason "
        "(only a prescriber may discharge early).",
    )


class SignIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)


class RemsOut(Schema):
    session_id: int
    due_on: dt.date | None
    state: str | None
    days_left: int | None
    submitted_at: dt.datetime | None
    confirmation: str
    form: dict[str, Any]
    missing: list[str]


class RemsSubmitIn(BodyIn):
    expected_version: Version | None = Field(None, description=VERSION_HELP)
    confirmation: str = Field(min_length=1, max_length=60)
