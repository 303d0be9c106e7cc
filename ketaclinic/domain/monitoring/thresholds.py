"""The alert table's numbers: :class:`AlertThresholds`, whose defaults are clinical-rules.md §4 (clinic-configurable).

The default alert table of ``shared/knowledge/clinical-rules.md`` §4 ("Monitoring during the session"): alert versus
stop-and-evaluate levels for blood pressure, BP rise from pre-dose, heart rate, SpO2, respiratory rate and sedation,
and the esketamine pre-dose blood-pressure rule R1 (Spravato PI §2). A clinic may replace them with its own.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final

from ketaclinic.domain.monitoring.vitals import _is_number

__all__ = ["DEFAULT_THRESHOLDS", "AlertThresholds"]


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
