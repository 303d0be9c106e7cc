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
plausibility bounds (``PLAUSIBLE_*``) are input validation chosen for this software, not clinical thresholds.

Times are plain minutes (``t_min``) measured from the start of dosing or of the infusion (t = 0); a pre-dose reading
has t ≤ 0. Callers convert datetimes with ``(reading_at - started_at).total_seconds() / 60``.

The package is split by concept: ``vitals`` (one reading and its plausibility), ``thresholds`` (the alert table's
numbers), ``alerts`` (the alert rules), ``review`` (one alert per reading, unchanged sedation, the note a stop needs),
``cadence`` (when readings are due) and ``discharge``. The plausibility bounds
and the discharge score range live in :mod:`ketaclinic.domain.vocabulary`, the esketamine observation minimum with the
other Spravato limits in :mod:`ketaclinic.domain.protocols`; all are re-exported here.
"""

from __future__ import annotations

from ketaclinic.domain.monitoring.alerts import Alert, AlertLevel, check_vitals, esketamine_predose_check
from ketaclinic.domain.monitoring.cadence import Cadence, cadence_for, is_overdue, next_reading_due_min
from ketaclinic.domain.monitoring.discharge import (
    DISCHARGE_SCORE_THRESHOLD,
    OBSERVATION_SOURCES,
    DischargeReadiness,
    ObservationCheck,
    discharge_readiness,
    observation_check,
)
from ketaclinic.domain.monitoring.review import (
    NOTE_REQUIRED_LEVELS,
    SEDATION_CODES,
    AlertSummary,
    SedationState,
    acknowledgement_refusal,
    sedation_state,
    sedation_unchanged,
    summarise,
    without_sedation,
)
from ketaclinic.domain.monitoring.thresholds import DEFAULT_THRESHOLDS, AlertThresholds
from ketaclinic.domain.monitoring.vitals import (
    SCHEDULED_READING_FIELDS,
    SCHEDULED_READING_SOURCE,
    ImplausibleVitals,
    ReadingKind,
    VitalSigns,
    missing_for_scheduled,
    reading_kind,
)
from ketaclinic.domain.protocols import ESKETAMINE_MIN_OBSERVATION_MIN
from ketaclinic.domain.vocabulary import (
    DISCHARGE_SCORE_MAX,
    PLAUSIBLE_DIASTOLIC_MMHG,
    PLAUSIBLE_HEART_RATE_PER_MIN,
    PLAUSIBLE_MOAAS,
    PLAUSIBLE_RASS,
    PLAUSIBLE_RESPIRATORY_RATE_PER_MIN,
    PLAUSIBLE_SPO2_PERCENT,
    PLAUSIBLE_SYSTOLIC_MMHG,
    PLAUSIBLE_TEMPERATURE_C,
)

__all__ = [
    "DEFAULT_THRESHOLDS",
    "DISCHARGE_SCORE_MAX",
    "DISCHARGE_SCORE_THRESHOLD",
    "ESKETAMINE_MIN_OBSERVATION_MIN",
    "NOTE_REQUIRED_LEVELS",
    "OBSERVATION_SOURCES",
    "PLAUSIBLE_DIASTOLIC_MMHG",
    "PLAUSIBLE_HEART_RATE_PER_MIN",
    "PLAUSIBLE_MOAAS",
    "PLAUSIBLE_RASS",
    "PLAUSIBLE_RESPIRATORY_RATE_PER_MIN",
    "PLAUSIBLE_SPO2_PERCENT",
    "PLAUSIBLE_SYSTOLIC_MMHG",
    "PLAUSIBLE_TEMPERATURE_C",
    "SCHEDULED_READING_FIELDS",
    "SCHEDULED_READING_SOURCE",
    "SEDATION_CODES",
    "Alert",
    "AlertLevel",
    "AlertSummary",
    "AlertThresholds",
    "Cadence",
    "DischargeReadiness",
    "ImplausibleVitals",
    "ObservationCheck",
    "ReadingKind",
    "SedationState",
    "VitalSigns",
    "acknowledgement_refusal",
    "cadence_for",
    "check_vitals",
    "discharge_readiness",
    "esketamine_predose_check",
    "is_overdue",
    "missing_for_scheduled",
    "next_reading_due_min",
    "observation_check",
    "reading_kind",
    "sedation_state",
    "sedation_unchanged",
    "summarise",
    "without_sedation",
]
