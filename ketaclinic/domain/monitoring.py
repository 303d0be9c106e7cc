"""Monitoring a ketamine session: vital-sign alerts, reading cadence and discharge readiness.

Every default comes from ``shared/knowledge/clinical-rules.md`` §4 ("Monitoring during the session"):

* the default alert table (alert versus stop-and-evaluate levels for blood pressure, BP rise from pre-dose, heart
  rate, SpO2, respiratory rate and sedation) lives in :class:`AlertThresholds`, whose defaults are the cited values
  and which a clinic may replace with its own;
* the esketamine blood-pressure rules R1-R3 (Spravato PI) are :func:`esketamine_predose_check` (R1) and the BP rows
  of :func:`check_vitals` (R2 = rise alert, R3 = stop and evaluate);
* the reading cadence (IV: every 10 min during the infusion, every 15 min afterwards; esketamine: before dosing,
  at ~40 min, then as indicated) comes from the protocol data files (:func:`cadence_for`);
* discharge: modified Aldrete ≥ 9 or PADSS ≥ 9; esketamine additionally ≥ 120 min after dosing, blood pressure
  falling and stable, no sedation, dissociation or respiratory depression (:func:`discharge_readiness`).

Impossible readings (a systolic of 400 mmHg, SpO2 of 120 %) are data-entry errors, not clinical events: they raise
:class:`ImplausibleVitals` (a ``ValueError``) naming the field, so they never produce an alert or silence one. The
plausibility bounds below are input validation chosen for this software, not clinical thresholds.

Times are plain minutes (``t_min``) measured from the start of dosing or of the infusion (t = 0); a pre-dose reading
has t ≤ 0. Callers convert datetimes with ``(reading_at - started_at).total_seconds() / 60``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:  # pragma: no cover - typing only; protocols imports this module at runtime
    from ketaclinic.domain.protocols import Protocol

__all__ = [
    "DISCHARGE_SCORE_MAX",
    "DISCHARGE_SCORE_THRESHOLD",
    "ESKETAMINE_MIN_OBSERVATION_MIN",
    "PLAUSIBLE_DIASTOLIC_MMHG",
    "PLAUSIBLE_HEART_RATE_PER_MIN",
    "PLAUSIBLE_MOAAS",
    "PLAUSIBLE_RASS",
    "PLAUSIBLE_RESPIRATORY_RATE_PER_MIN",
    "PLAUSIBLE_SPO2_PERCENT",
    "PLAUSIBLE_SYSTOLIC_MMHG",
    "PLAUSIBLE_TEMPERATURE_C",
    "Alert",
    "AlertLevel",
    "AlertThresholds",
    "Cadence",
    "DischargeReadiness",
    "ImplausibleVitals",
    "VitalSigns",
    "cadence_for",
    "check_vitals",
    "discharge_readiness",
    "esketamine_predose_check",
    "is_overdue",
    "next_reading_due_min",
]

AlertLevel = Literal["alert", "stop"]

# --- Data-entry plausibility bounds (inclusive) -------------------------------------------------------------------
# Input validation, NOT clinical thresholds: a value outside these ranges is a typing or device error and raises
# ImplausibleVitals. The bounds are deliberately wide so that a real emergency value (an SpO2 of 60 %, a respiratory
# rate of 0 in apnoea, a systolic of 60 mmHg) is always accepted and alerts.
PLAUSIBLE_SYSTOLIC_MMHG: Final = (40, 300)
"""Systolic BP accepted at data entry, mmHg (400 is a typing error)."""
PLAUSIBLE_DIASTOLIC_MMHG: Final = (20, 200)
"""Diastolic BP accepted at data entry, mmHg; it must also be below the systolic of the same reading."""
PLAUSIBLE_HEART_RATE_PER_MIN: Final = (20, 300)
"""Heart rate accepted at data entry, beats/min (0 and 400 are rejected)."""
PLAUSIBLE_SPO2_PERCENT: Final = (50, 100)
"""SpO2 accepted at data entry, %. Over 100 is impossible; finger oximeters are not credible below 50 % (re-seat the
probe and re-measure)."""
PLAUSIBLE_RESPIRATORY_RATE_PER_MIN: Final = (0, 80)
"""Respiratory rate accepted at data entry, breaths/min (0 = apnoea is real and must alert; over 80 is an error)."""
PLAUSIBLE_TEMPERATURE_C: Final = (25, 45)
"""Body temperature accepted at data entry, °C."""
PLAUSIBLE_MOAAS: Final = (0, 5)
"""MOAA/S range (Chernik 1990; knowledge/instruments.md "moaas")."""
PLAUSIBLE_RASS: Final = (-5, 4)
"""RASS range (Sessler 2002; knowledge/instruments.md "rass")."""

# --- Discharge -----------------------------------------------------------------------------------------------------
DISCHARGE_SCORE_THRESHOLD: Final = 9
"""Modified Aldrete ≥ 9 or PADSS ≥ 9 (clinical-rules.md §4 "Discharge"; Aldrete 1995, Chung 1995)."""
DISCHARGE_SCORE_MAX: Final = 10
"""Both the modified Aldrete and PADSS totals run 0-10 (knowledge/instruments.md)."""
ESKETAMINE_MIN_OBSERVATION_MIN: Final = 120
"""Esketamine: observe ≥ 2 h after dosing (clinical-rules.md §3-§4; Spravato PI / REMS). A label rule: protocols may
raise it, never lower it."""

_SOURCE_TABLE = "clinical-rules.md §4 default alert table (clinic-configurable)"
_SOURCE_BP_STOP = (
    "clinical-rules.md §4: treatment-emergent hypertension, SBP ≥ 180 and/or DBP ≥ 110 stop and evaluate "
    "(esketamine rule R3, Spravato PI)"
)
_SOURCE_BP_RISE = (
    "clinical-rules.md §4: rise of +40 systolic / +25 diastolic from pre-dose "
    "(Spravato PI reporting threshold; esketamine rule R2)"
)
_SOURCE_R1 = "clinical-rules.md §4 esketamine rule R1 (Spravato PI §2: weigh the short-term BP rise against benefit)"
_SOURCE_SEDATION = "clinical-rules.md §4; MOAA/S (Chernik 1990), RASS (Sessler 2002)"

_ACTION_STOP = "Stop the infusion or give no further doses, stay with the patient and have the prescriber evaluate now."
_ACTION_ALERT = "Repeat the reading, tell the prescriber and increase observation until it settles."


class ImplausibleVitals(ValueError):
    """A vital sign outside the data-entry plausibility bounds: a typing or device error, never an alert.

    ``field`` names the offending attribute (for a form or API error), ``value`` is what was entered.
    """

    def __init__(self, field: str, value: object, problem: str) -> None:
        super().__init__(f"{field}: {problem} (got {value!r})")
        self.field = field
        self.value = value


def _is_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return False
    return math.isfinite(value)


def _check_plausible(field: str, value: float | None, bounds: tuple[int, int]) -> None:
    if value is None:
        return
    if not _is_number(value):
        raise ImplausibleVitals(field, value, "must be a finite number")
    low, high = bounds
    if not low <= value <= high:
        raise ImplausibleVitals(field, value, f"outside the plausible range {low}-{high}; re-check the entry")


@dataclass(frozen=True)
class VitalSigns:
    """One set of readings; any field may be ``None`` when it was not measured this time.

    Validation (``ImplausibleVitals`` naming the field) happens at construction: see the ``PLAUSIBLE_*`` bounds.
    A diastolic at or above the systolic of the same reading is rejected as well.
    """

    systolic_mmhg: float | None = None
    diastolic_mmhg: float | None = None
    heart_rate_per_min: float | None = None
    spo2_percent: float | None = None
    respiratory_rate_per_min: float | None = None
    temperature_c: float | None = None
    moaas: int | None = None
    rass: int | None = None

    def __post_init__(self) -> None:
        _check_plausible("systolic_mmhg", self.systolic_mmhg, PLAUSIBLE_SYSTOLIC_MMHG)
        _check_plausible("diastolic_mmhg", self.diastolic_mmhg, PLAUSIBLE_DIASTOLIC_MMHG)
        _check_plausible("heart_rate_per_min", self.heart_rate_per_min, PLAUSIBLE_HEART_RATE_PER_MIN)
        _check_plausible("spo2_percent", self.spo2_percent, PLAUSIBLE_SPO2_PERCENT)
        _check_plausible("respiratory_rate_per_min", self.respiratory_rate_per_min, PLAUSIBLE_RESPIRATORY_RATE_PER_MIN)
        _check_plausible("temperature_c", self.temperature_c, PLAUSIBLE_TEMPERATURE_C)
        for name, value, bounds in (("moaas", self.moaas, PLAUSIBLE_MOAAS), ("rass", self.rass, PLAUSIBLE_RASS)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ImplausibleVitals(name, value, "must be a whole number on the scale")
            _check_plausible(name, value, bounds)
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ImplausibleVitals(
                "diastolic_mmhg", self.diastolic_mmhg, "must be below the systolic of the same reading"
            )


@dataclass(frozen=True)
class AlertThresholds:
    """Alert and stop levels; the defaults are clinical-rules.md §4 (clinic-configurable, pass your own).

    Names say the comparison: ``*_above_*`` fires when the value is strictly greater, ``*_at_or_above_*`` when it is
    greater or equal, ``*_below_*`` when strictly less, ``*_at_or_below`` when less or equal. Where an alert and a stop
    level overlap (the table has systolic alert > 180 but stop ≥ 180, heart rate alert < 50 and stop < 50), the stop
    wins and only one alert per code is reported.
    """

    systolic_stop_at_or_above_mmhg: float = 180
    """Stop and evaluate: treatment-emergent hypertension (§4 table; R3 Spravato PI)."""
    diastolic_stop_at_or_above_mmhg: float = 110
    """Stop and evaluate: diastolic ≥ 110 (§4 table; R3)."""
    systolic_alert_above_mmhg: float = 180
    """Alert: systolic > 180 (§4 table; unreachable with the default stop level, kept for clinics that change it)."""
    systolic_alert_below_mmhg: float = 90
    """Alert: systolic < 90 (§4 table)."""
    systolic_rise_alert_mmhg: float = 40
    """Alert: systolic ≥ 40 above the pre-dose value (§4; Spravato PI reporting threshold, R2)."""
    diastolic_rise_alert_mmhg: float = 25
    """Alert: diastolic ≥ 25 above the pre-dose value (§4; R2)."""
    heart_rate_stop_above_per_min: float = 150
    """Stop: heart rate > 150 (§4 table)."""
    heart_rate_stop_below_per_min: float = 50
    """Stop: heart rate < 50 (§4 table)."""
    heart_rate_alert_above_per_min: float = 120
    """Alert: heart rate > 120 (§4 table)."""
    heart_rate_alert_below_per_min: float = 50
    """Alert: heart rate < 50 (§4 table; the same level is a stop, which wins)."""
    spo2_stop_below_percent: float = 90
    """Stop: SpO2 < 90 % (§4 table)."""
    spo2_alert_below_percent: float = 92
    """Alert: SpO2 < 92 % (§4 table)."""
    respiratory_rate_stop_below_per_min: float = 10
    """Stop: respiratory rate < 10 (§4 table)."""
    respiratory_rate_stop_above_per_min: float = 30
    """Stop: respiratory rate > 30 (§4 table)."""
    respiratory_rate_alert_below_per_min: float = 10
    """Alert: respiratory rate < 10 (§4 table; the same level is a stop, which wins)."""
    respiratory_rate_alert_above_per_min: float = 25
    """Alert: respiratory rate > 25 (§4 table)."""
    moaas_stop_at_or_below: int = 0
    """Stop: MOAA/S 0 = loss of consciousness (§4 table; any drop below pre-dose is an alert)."""
    rass_stop_at_or_below: int = -3
    """Stop: RASS ≤ −3, moderate sedation or deeper (§4 table)."""
    esketamine_predose_systolic_above_mmhg: float = 140
    """Esketamine R1: pre-dose systolic > 140 needs a documented risk/benefit acknowledgement (§4; Spravato PI §2)."""
    esketamine_predose_diastolic_above_mmhg: float = 90
    """Esketamine R1: pre-dose diastolic > 90 (§4; Spravato PI §2)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not _is_number(value):
                raise ValueError(f"{f.name}: must be a finite number (got {value!r})")


DEFAULT_THRESHOLDS: Final = AlertThresholds()


@dataclass(frozen=True)
class Alert:
    """One vital-sign alert: what crossed which threshold, how serious, what to do and why (the source)."""

    code: str
    level: AlertLevel
    parameter: str
    value: float
    threshold: float
    message: str
    action: str
    source: str
    acknowledgement_required: bool = False


_Op = Literal[">", ">=", "<", "<="]


@dataclass(frozen=True)
class _Rule:
    code: str
    level: AlertLevel
    parameter: str
    op: _Op
    threshold_field: str
    label: str
    source: str


# Table order is report order. Within a code, the stop row comes first; the first row that fires wins.
_RULES: Final = (
    _Rule(
        "systolic_high", "stop", "systolic_mmhg", ">=", "systolic_stop_at_or_above_mmhg", "Systolic BP", _SOURCE_BP_STOP
    ),
    _Rule("systolic_high", "alert", "systolic_mmhg", ">", "systolic_alert_above_mmhg", "Systolic BP", _SOURCE_TABLE),
    _Rule("systolic_low", "alert", "systolic_mmhg", "<", "systolic_alert_below_mmhg", "Systolic BP", _SOURCE_TABLE),
    _Rule(
        "diastolic_high",
        "stop",
        "diastolic_mmhg",
        ">=",
        "diastolic_stop_at_or_above_mmhg",
        "Diastolic BP",
        _SOURCE_BP_STOP,
    ),
    _Rule(
        "heart_rate_high",
        "stop",
        "heart_rate_per_min",
        ">",
        "heart_rate_stop_above_per_min",
        "Heart rate",
        _SOURCE_TABLE,
    ),
    _Rule(
        "heart_rate_high",
        "alert",
        "heart_rate_per_min",
        ">",
        "heart_rate_alert_above_per_min",
        "Heart rate",
        _SOURCE_TABLE,
    ),
    _Rule(
        "heart_rate_low",
        "stop",
        "heart_rate_per_min",
        "<",
        "heart_rate_stop_below_per_min",
        "Heart rate",
        _SOURCE_TABLE,
    ),
    _Rule(
        "heart_rate_low",
        "alert",
        "heart_rate_per_min",
        "<",
        "heart_rate_alert_below_per_min",
        "Heart rate",
        _SOURCE_TABLE,
    ),
    _Rule("spo2_low", "stop", "spo2_percent", "<", "spo2_stop_below_percent", "SpO2", _SOURCE_TABLE),
    _Rule("spo2_low", "alert", "spo2_percent", "<", "spo2_alert_below_percent", "SpO2", _SOURCE_TABLE),
    _Rule(
        "respiratory_rate_low",
        "stop",
        "respiratory_rate_per_min",
        "<",
        "respiratory_rate_stop_below_per_min",
        "Respiratory rate",
        _SOURCE_TABLE,
    ),
    _Rule(
        "respiratory_rate_low",
        "alert",
        "respiratory_rate_per_min",
        "<",
        "respiratory_rate_alert_below_per_min",
        "Respiratory rate",
        _SOURCE_TABLE,
    ),
    _Rule(
        "respiratory_rate_high",
        "stop",
        "respiratory_rate_per_min",
        ">",
        "respiratory_rate_stop_above_per_min",
        "Respiratory rate",
        _SOURCE_TABLE,
    ),
    _Rule(
        "respiratory_rate_high",
        "alert",
        "respiratory_rate_per_min",
        ">",
        "respiratory_rate_alert_above_per_min",
        "Respiratory rate",
        _SOURCE_TABLE,
    ),
    _Rule("moaas_sedation", "stop", "moaas", "<=", "moaas_stop_at_or_below", "MOAA/S", _SOURCE_SEDATION),
    _Rule("rass_sedation", "stop", "rass", "<=", "rass_stop_at_or_below", "RASS", _SOURCE_SEDATION),
)

_OP_WORDS: Final = {">": "above", ">=": "at or above", "<": "below", "<=": "at or below"}
_UNITS: Final = {
    "systolic_mmhg": " mmHg",
    "diastolic_mmhg": " mmHg",
    "heart_rate_per_min": "/min",
    "spo2_percent": " %",
    "respiratory_rate_per_min": "/min",
    "moaas": "",
    "rass": "",
}


def _fires(value: float, op: _Op, threshold: float) -> bool:
    if op == ">":
        return value > threshold
    if op == ">=":
        return value >= threshold
    if op == "<":
        return value < threshold
    return value <= threshold


def _fmt(value: float) -> str:
    return f"{value:g}"


def check_vitals(
    reading: VitalSigns,
    *,
    baseline: VitalSigns | None = None,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
) -> tuple[Alert, ...]:
    """Alerts for one reading against the §4 table (and, with ``baseline``, the rise and MOAA/S-drop rules).

    ``baseline`` is the pre-dose reading. Returns every alert in table order, one per code; where an alert and a stop
    level both fire for the same code, only the stop is reported. Missing values are skipped. For esketamine the BP
    rows are rules R2 (rise alert) and R3 (stop); R1 is :func:`esketamine_predose_check`.
    """
    alerts: list[Alert] = []
    seen: set[str] = set()
    for rule in _RULES:
        value = getattr(reading, rule.parameter)
        if rule.code in seen or value is None:
            continue
        threshold = getattr(thresholds, rule.threshold_field)
        if not _fires(value, rule.op, threshold):
            continue
        seen.add(rule.code)
        unit = _UNITS[rule.parameter]
        what = "stop and evaluate" if rule.level == "stop" else "alert"
        message = f"{rule.label} {_fmt(value)}{unit} is {_OP_WORDS[rule.op]} {_fmt(threshold)}{unit} ({what})."
        if rule.code == "moaas_sedation":
            message = f"MOAA/S {value}: no response to painful stimulus, loss of consciousness (stop and evaluate)."
        action = _ACTION_STOP if rule.level == "stop" else _ACTION_ALERT
        alerts.append(Alert(rule.code, rule.level, rule.parameter, value, threshold, message, action, rule.source))
    if baseline is not None:
        alerts.extend(_baseline_alerts(reading, baseline, thresholds, seen))
    return tuple(alerts)


def _baseline_alerts(
    reading: VitalSigns, baseline: VitalSigns, thresholds: AlertThresholds, seen: set[str]
) -> list[Alert]:
    alerts: list[Alert] = []
    for code, parameter, limit, label in (
        ("systolic_rise", "systolic_mmhg", thresholds.systolic_rise_alert_mmhg, "Systolic BP"),
        ("diastolic_rise", "diastolic_mmhg", thresholds.diastolic_rise_alert_mmhg, "Diastolic BP"),
    ):
        now, before = getattr(reading, parameter), getattr(baseline, parameter)
        if now is None or before is None or now - before < limit:
            continue
        alerts.append(
            Alert(
                code,
                "alert",
                parameter,
                now - before,
                limit,
                f"{label} has risen {_fmt(now - before)} mmHg from the pre-dose {_fmt(before)} to {_fmt(now)} mmHg "
                f"(alert at +{_fmt(limit)}).",
                "Repeat the reading; if it persists, tell the prescriber (the rise is reportable for esketamine).",
                _SOURCE_BP_RISE,
            )
        )
    now_moaas, before_moaas = reading.moaas, baseline.moaas
    if "moaas_sedation" not in seen and now_moaas is not None and before_moaas is not None and now_moaas < before_moaas:
        alerts.append(
            Alert(
                "moaas_sedation",
                "alert",
                "moaas",
                now_moaas,
                before_moaas,
                f"MOAA/S {now_moaas} is below the pre-dose value {before_moaas}: the patient is sedated.",
                "Stay with the patient, keep pulse oximetry on and reassess responsiveness until back to pre-dose.",
                _SOURCE_SEDATION,
            )
        )
    return alerts


def esketamine_predose_check(
    pre_dose: VitalSigns, *, thresholds: AlertThresholds = DEFAULT_THRESHOLDS
) -> tuple[Alert, ...]:
    """Esketamine rule R1: pre-dose SBP > 140 or DBP > 90 → documented risk/benefit acknowledgement before dosing.

    Returns one alert (``acknowledgement_required=True``) or nothing. The pre-dose blood pressure is required by the
    Spravato REMS monitoring form, so a reading without it raises ``ValueError`` naming the missing field.
    Source: clinical-rules.md §4 "Esketamine BP rules as data"; Spravato PI §2.
    """
    sbp, dbp = pre_dose.systolic_mmhg, pre_dose.diastolic_mmhg
    if sbp is None:
        raise ValueError("systolic_mmhg: a pre-dose blood pressure is required before esketamine dosing")
    if dbp is None:
        raise ValueError("diastolic_mmhg: a pre-dose blood pressure is required before esketamine dosing")
    s_limit = thresholds.esketamine_predose_systolic_above_mmhg
    d_limit = thresholds.esketamine_predose_diastolic_above_mmhg
    if sbp > s_limit:
        parameter, value, limit = "systolic_mmhg", sbp, s_limit
    elif dbp > d_limit:
        parameter, value, limit = "diastolic_mmhg", dbp, d_limit
    else:
        return ()
    return (
        Alert(
            "esketamine_predose_bp_high",
            "alert",
            parameter,
            value,
            limit,
            f"Pre-dose blood pressure {_fmt(sbp)}/{_fmt(dbp)} mmHg is above {_fmt(s_limit)}/{_fmt(d_limit)} mmHg.",
            "Before dosing, the prescriber documents that the benefit outweighs the risk of a short-term BP rise "
            "(or defers the session).",
            _SOURCE_R1,
            acknowledgement_required=True,
        ),
    )


# --- Cadence --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    """When vital signs are due. Built from a protocol by :func:`cadence_for` (the numbers live in its data file).

    ``during_infusion_every_min``: interval while an IV infusion runs (None when the route does not infuse).
    ``after_infusion_every_min``: interval after the infusion ends, or after dosing for non-infused routes (None:
    "as indicated"). ``checkpoints_min``: fixed times after dosing (esketamine: 0 = before dosing, 40 = ~40 min).
    """

    during_infusion_every_min: int | None
    after_infusion_every_min: int | None
    checkpoints_min: tuple[int, ...] = ()


def cadence_for(protocol: Protocol) -> Cadence:
    """The reading cadence of ``protocol`` (clinical-rules.md §4 "Default vital-sign cadence")."""
    return Cadence(
        during_infusion_every_min=protocol.vitals_during_infusion_every_min,
        after_infusion_every_min=protocol.vitals_after_infusion_every_min,
        checkpoints_min=protocol.vitals_checkpoints_min,
    )


def _check_minutes(name: str, value: float) -> None:
    if not _is_number(value):
        raise ValueError(f"{name}: must be a finite number of minutes (got {value!r})")


def next_reading_due_min(
    cadence: Cadence, *, last_reading_min: float | None, infusion_end_min: float | None = None
) -> float | None:
    """Minute (from the start of dosing/infusion) at which the next reading is due, or ``None`` ("as indicated").

    No reading yet: due at 0 (the pre-dose baseline). A checkpoint at 0 is met by any reading at t ≤ 0. While the
    infusion runs (last reading before ``infusion_end_min``) the next reading is due ``during_infusion_every_min``
    after the last one, afterwards ``after_infusion_every_min`` after it; the earliest pending checkpoint wins.
    ``infusion_end_min`` is required when the cadence has a during-infusion interval.
    """
    if last_reading_min is None:
        return 0.0
    _check_minutes("last_reading_min", last_reading_min)
    candidates: list[float] = []
    pending = [c for c in cadence.checkpoints_min if c > max(last_reading_min, 0)]
    if pending:
        candidates.append(float(min(pending)))
    if cadence.during_infusion_every_min is not None:
        if infusion_end_min is None:
            raise ValueError("infusion_end_min: required for a cadence with a during-infusion interval")
        _check_minutes("infusion_end_min", infusion_end_min)
        if last_reading_min < infusion_end_min:
            candidates.append(float(last_reading_min + cadence.during_infusion_every_min))
        elif cadence.after_infusion_every_min is not None:
            candidates.append(float(last_reading_min + cadence.after_infusion_every_min))
    elif cadence.after_infusion_every_min is not None:
        candidates.append(float(last_reading_min + cadence.after_infusion_every_min))
    return min(candidates) if candidates else None


def is_overdue(
    cadence: Cadence,
    *,
    now_min: float,
    last_reading_min: float | None,
    infusion_end_min: float | None = None,
    grace_min: float = 0,
) -> bool:
    """True when ``now_min`` is past the next due time plus ``grace_min`` (default 0: no grace is cited)."""
    _check_minutes("now_min", now_min)
    _check_minutes("grace_min", grace_min)
    if grace_min < 0:
        raise ValueError(f"grace_min: must not be negative (got {grace_min!r})")
    due = next_reading_due_min(cadence, last_reading_min=last_reading_min, infusion_end_min=infusion_end_min)
    return due is not None and now_min > due + grace_min


# --- Discharge ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DischargeReadiness:
    """``ready`` is True only when ``unmet`` (plain-English criteria still to meet) is empty."""

    ready: bool
    unmet: tuple[str, ...]


def _check_score(name: str, value: int | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DISCHARGE_SCORE_MAX:
        raise ValueError(f"{name}: must be a whole number 0-{DISCHARGE_SCORE_MAX} (got {value!r})")


def discharge_readiness(
    *,
    aldrete_total: int | None = None,
    padss_total: int | None = None,
    score_threshold: int = DISCHARGE_SCORE_THRESHOLD,
    esketamine: bool = False,
    minutes_since_dosing: float | None = None,
    bp_readings: Sequence[VitalSigns] = (),
    sedation: bool | None = None,
    dissociation: bool | None = None,
    respiratory_depression: bool | None = None,
    min_observation_min: int = ESKETAMINE_MIN_OBSERVATION_MIN,
    thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
) -> DischargeReadiness:
    """Whether the patient may leave, with every unmet criterion in plain words (clinical-rules.md §4 "Discharge").

    All routes: modified Aldrete ≥ ``score_threshold`` or PADSS ≥ ``score_threshold`` (default 9; either scale
    suffices). A sedation, dissociation or respiratory-depression flag that is True blocks discharge on any route.

    Esketamine (``esketamine=True``) additionally needs, per the Spravato PI:

    * ``minutes_since_dosing`` ≥ ``min_observation_min`` (120; a label minimum that cannot be lowered);
    * blood pressure falling and stable. Our reading of that phrase: ``bp_readings`` (time order, each with
      systolic and diastolic) has at least two readings, the last is not higher than the one before it in either
      systolic or diastolic (so it is at or below the session peak and not rising), and the last is not at a
      stop-and-evaluate level of ``thresholds`` (SBP ≥ 180 or DBP ≥ 110 by default);
    * sedation, dissociation and respiratory depression each assessed (not None) and absent.
    """
    _check_score("aldrete_total", aldrete_total)
    _check_score("padss_total", padss_total)
    valid_threshold = isinstance(score_threshold, int) and not isinstance(score_threshold, bool)
    if not valid_threshold or not 0 < score_threshold <= DISCHARGE_SCORE_MAX:
        raise ValueError(f"score_threshold: must be a whole number 1-{DISCHARGE_SCORE_MAX} (got {score_threshold!r})")
    unmet: list[str] = []
    scores = [(name, s) for name, s in (("Modified Aldrete", aldrete_total), ("PADSS", padss_total)) if s is not None]
    if not scores:
        unmet.append(
            f"No modified Aldrete or PADSS score has been recorded (discharge needs {score_threshold} or more)."
        )
    elif max(s for _, s in scores) < score_threshold:
        recorded = " and ".join(f"{name} {s}" for name, s in scores)
        unmet.append(f"{recorded}: below the discharge score of {score_threshold}.")
    if esketamine:
        if min_observation_min < ESKETAMINE_MIN_OBSERVATION_MIN:
            raise ValueError(
                f"min_observation_min: esketamine observation cannot be shorter than "
                f"{ESKETAMINE_MIN_OBSERVATION_MIN} min (got {min_observation_min!r})"
            )
        unmet.extend(_esketamine_unmet(minutes_since_dosing, bp_readings, min_observation_min, thresholds))
    for flag, present, words in (
        (sedation, "The patient is still sedated.", "Sedation"),
        (dissociation, "The patient is still dissociated.", "Dissociation"),
        (respiratory_depression, "Respiratory depression has not resolved.", "Respiratory depression"),
    ):
        if flag is True:
            unmet.append(present)
        elif flag is None and esketamine:
            unmet.append(f"{words} has not been assessed before discharge.")
    return DischargeReadiness(ready=not unmet, unmet=tuple(unmet))


def _esketamine_unmet(
    minutes_since_dosing: float | None,
    bp_readings: Sequence[VitalSigns],
    min_observation_min: int,
    thresholds: AlertThresholds,
) -> list[str]:
    unmet: list[str] = []
    if minutes_since_dosing is None:
        unmet.append("The time since esketamine dosing is not recorded.")
    else:
        _check_minutes("minutes_since_dosing", minutes_since_dosing)
        if minutes_since_dosing < 0:
            raise ValueError(f"minutes_since_dosing: must not be negative (got {minutes_since_dosing!r})")
        if minutes_since_dosing < min_observation_min:
            unmet.append(
                f"Only {_fmt(minutes_since_dosing)} min since esketamine dosing; observe at least "
                f"{min_observation_min} min."
            )
    pairs: list[tuple[float, float]] = []
    for reading in bp_readings:
        if reading.systolic_mmhg is None or reading.diastolic_mmhg is None:
            raise ValueError("bp_readings: every reading needs both systolic_mmhg and diastolic_mmhg")
        pairs.append((reading.systolic_mmhg, reading.diastolic_mmhg))
    if len(pairs) < 2:
        unmet.append("At least two blood-pressure readings after dosing are needed to show it is falling and stable.")
        return unmet
    (p_s, p_d), (l_s, l_d) = pairs[-2], pairs[-1]
    if l_s > p_s or l_d > p_d:
        unmet.append(f"Blood pressure is still rising ({_fmt(p_s)}/{_fmt(p_d)} → {_fmt(l_s)}/{_fmt(l_d)} mmHg).")
    if l_s >= thresholds.systolic_stop_at_or_above_mmhg or l_d >= thresholds.diastolic_stop_at_or_above_mmhg:
        unmet.append(f"The last blood pressure {_fmt(l_s)}/{_fmt(l_d)} mmHg is at a stop-and-evaluate level.")
    return unmet
