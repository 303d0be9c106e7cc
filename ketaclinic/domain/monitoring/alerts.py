"""Alert rules: one reading against the §4 alert table, the rise from pre-dose, and the esketamine pre-dose check.

:func:`check_vitals` reports every alert in table order, one per code (a stop wins over an alert of the same code);
with the pre-dose reading it adds the BP rise (esketamine rule R2) and the MOAA/S drop. The BP stop rows are rule R3
and :func:`esketamine_predose_check` is rule R1 (Spravato PI). Source: ``shared/knowledge/clinical-rules.md`` §4.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ketaclinic.domain.monitoring.thresholds import DEFAULT_THRESHOLDS, AlertThresholds
from ketaclinic.domain.monitoring.vitals import VitalSigns, _fmt

__all__ = ["Alert", "AlertLevel", "check_vitals", "esketamine_predose_check"]

AlertLevel = Literal["alert", "stop"]

_SOURCE_TABLE = "Clinic default alert limits (configurable)"
_SOURCE_BP_STOP = (
    "Treatment-emergent hypertension, SBP ≥ 180 and/or DBP ≥ 110: stop and evaluate "
    "(Spravato US prescribing information)"
)
_SOURCE_BP_RISE = (
    "Rise of +40 systolic / +25 diastolic from pre-dose (Spravato US prescribing information reporting threshold)"
)
_SOURCE_R1 = "Spravato US prescribing information §2: weigh the short-term BP rise against benefit"
_SOURCE_SEDATION = "MOAA/S (Chernik et al. 1990), RASS (Sessler et al. 2002)"

_ACTION_STOP = "Stop the infusion or give no further doses, stay with the patient and have the prescriber evaluate now."
_ACTION_ALERT = "Repeat the reading, tell the prescriber and increase observation until it settles."


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
