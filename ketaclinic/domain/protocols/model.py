"""The protocol as a value: the frozen :class:`Protocol` dataclass and its esketamine regimen.

One treatment protocol: dose range, default dose, infusion duration, ceilings (each with a severity),
series, vital-sign cadence, dosing-weight basis, discharge threshold, chair-side session settings and sources, as the
data files of this package give them (``shared/knowledge/clinical-rules.md`` §3-§4). Building and validating one is
:mod:`ketaclinic.domain.protocols.parsing` and :mod:`ketaclinic.domain.protocols.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ketaclinic.domain.protocols.limits import Severity

__all__ = ["EsketamineRegimen", "Protocol"]


@dataclass(frozen=True, kw_only=True)
class EsketamineRegimen:
    """The Spravato schedule and device rules (Spravato PI; clinical-rules.md §3, esketamine table). Hard rules."""

    device_mg: Decimal
    """28 mg per device."""
    device_interval_min: int
    """5 minutes between devices."""
    older_adult_age_years: int
    """The ≥ 65 column of the schedule."""
    older_adult_only_doses_mg: tuple[Decimal, ...]
    """28 mg is allowed only at ≥ 65."""
    day_one_dose_mg: Decimal
    """Day 1: 56 mg under 65."""
    day_one_dose_older_adult_mg: Decimal
    """Day 1: 28 mg at 65 and over."""
    induction_weeks: int
    """Weeks 1-4: induction."""
    induction_sessions_per_week: int
    """Twice weekly during induction."""
    early_maintenance_last_week: int
    """Weeks 5-8: once weekly."""
    early_maintenance_sessions_per_week: int
    """Once weekly in weeks 5-8."""
    maintenance_interval_weeks: tuple[int, ...]
    """Week 9 on: every 2 weeks or weekly."""
    suicidal_ideation_dose_mg: Decimal
    """MDD with acute suicidal ideation: 84 mg twice weekly for 4 weeks."""
    suicidal_ideation_reduced_dose_mg: Decimal
    """... may reduce to 56 mg (tolerability)."""
    suicidal_ideation_weeks: int
    """4 weeks."""
    suicidal_ideation_sessions_per_week: int
    """Twice weekly."""


@dataclass(frozen=True, kw_only=True)
class Protocol:
    """One treatment protocol. Decimal fields are mg, mg/kg, mg/kg/h or mg/h as their names say; None = not set.

    Dose: an mg/kg range (``dose_mg_per_kg_*``), a fixed mg range (``dose_mg_*``), a rate (``rate_mg_per_kg_per_h_
    default``, CRPS) or a set of ``allowed_doses_mg`` (esketamine). Limits (ceilings) each have a
    severity in ``limit_severity``. Series, cadence and discharge fields drive scheduling and monitoring.
    ``overridden`` lists the fields a clinic changed with :func:`apply_overrides`.
    """

    id: str
    name: str
    summary: str
    indications: tuple[str, ...]
    route: str
    regulatory: str
    dosing_weight_basis: str
    sources: tuple[str, ...]
    dose_mg_per_kg_min: Decimal | None = None
    dose_mg_per_kg_max: Decimal | None = None
    dose_mg_per_kg_default: Decimal | None = None
    dose_mg_min: Decimal | None = None
    dose_mg_max: Decimal | None = None
    dose_mg_default: Decimal | None = None
    rate_mg_per_kg_per_h_default: Decimal | None = None
    allowed_doses_mg: tuple[Decimal, ...] = ()
    infusion_duration_min: int | None = None
    infusion_mg_per_kg_per_h_max: Decimal | None = None
    bolus_mg_per_kg_max: Decimal | None = None
    rate_mg_per_kg_per_h_max: Decimal | None = None
    rate_mg_per_h_max: Decimal | None = None
    daily_mg_max: Decimal | None = None
    course_mg_max: Decimal | None = None
    absolute_bolus_mg_per_kg: Decimal | None = None
    """IV: a dose given at once at or above this is never signable (default 1 mg/kg, Ketalar US label §2.2)."""
    absolute_rate_mg_per_kg_per_min: Decimal | None = None
    """IV: an infusion at or above this rate is never signable (default 0.5 mg/kg/min, Ketalar US label §2.2)."""
    absolute_im_mg_per_kg: Decimal | None = None
    """IM: a dose at or above this is never signable (default 6.5 mg/kg, Ketalar US label §2.2)."""
    limit_severity: tuple[tuple[str, Severity], ...] = ()
    series_sessions: int | None = None
    series_sessions_per_week_min: int | None = None
    series_sessions_per_week_max: int | None = None
    series_weeks_min: int | None = None
    series_weeks_max: int | None = None
    booster_interval_weeks_min: int | None = None
    booster_interval_weeks_max: int | None = None
    vitals_during_infusion_every_min: int | None = None
    vitals_after_infusion_every_min: int | None = None
    vitals_checkpoints_min: tuple[int, ...] = ()
    continuous_pulse_oximetry: bool = False
    min_observation_min: int | None = None
    discharge_score_min: int
    esketamine: EsketamineRegimen | None = None
    fasting_food_min: int | None = None
    """No food for this many minutes before dosing (None: no fasting rule)."""
    fasting_liquids_min: int | None = None
    """No liquids for this many minutes before dosing (None: no rule)."""
    fasting_basis: str = "clinic_policy"
    """``label`` (esketamine, §3) or ``clinic_policy`` (racemic ketamine: no cited figure)."""
    pregnancy_test_required: bool = False
    """A negative pregnancy test on the day, for patients who could be pregnant, before dosing."""
    predose_measures: tuple[str, ...] = ()
    """Scales scored at check-in, before dosing (§5 measurement cadence); PHQ-9 item 9 ≥ 1 adds the C-SSRS screener."""
    sedation_scale: str = "moaas"
    respiratory_rate_with_vitals: bool = False
    """A scheduled reading also needs the respiratory rate (blood pressure, heart rate and SpO2 always)."""
    min_observation_basis: str = "clinic_policy"
    """``label`` (esketamine: at least 2 h, Spravato PI) or ``clinic_policy`` (IV and IM: no published minimum)."""
    """The sedation scale read with the vitals (MOAA/S or RASS)."""
    cadss_checks_min: tuple[int, ...] = ()
    """CADSS times in minutes from dosing (0 = before dosing): instruments.md "cadss" (~40 and ~90 min)."""
    no_driving_rule: str = "No driving or operating machinery on the day of treatment."
    """The discharge instruction on driving (§4 "Discharge")."""
    no_driving_basis: str = "clinic_policy"
    """``label`` (esketamine: not until the next day after sleep) or ``clinic_policy`` (ketamine: a clinic setting)."""
    overridden: tuple[str, ...] = ()

    def severity(self, limit: str) -> Severity:
        """The severity of ``limit`` (one of :data:`LIMIT_NAMES`) in this protocol; ValueError if it has none."""
        for name, severity in self.limit_severity:
            if name == limit:
                return severity
        raise ValueError(f"limit: protocol {self.id!r} sets no severity for {limit!r}")
