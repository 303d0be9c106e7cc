"""The protocol library: treatment protocols as TOML data files, loaded into validated frozen dataclasses.

Each ``*.toml`` file next to this module is one protocol (depression IV, depression IM, esketamine, CRPS outpatient,
fibromyalgia test dose, oral, sublingual). A protocol carries its dose range, default dose, infusion duration,
ceilings and minimums (each with a severity: ``hard_stop``, ``override_allowed`` or ``caution``), series, vital-sign
cadence, dosing-weight basis, discharge threshold, chair-side session settings (``[session]``: fasting window,
pregnancy test, pre-dose measures, sedation scale, CADSS times, the no-driving rule) and sources. All figures come from
``shared/knowledge/clinical-rules.md`` §3-§4 and instruments.md; each file cites the rows it uses. Where the knowledge
files give no figure (the fasting window and the no-driving rule for racemic ketamine), the value is a **clinic
policy** default, marked ``*_basis = "clinic_policy"`` and shown as such.

    from ketaclinic.domain import protocols
    protocols.all()                         # every shipped protocol, sorted by id
    p = protocols.get("depression_iv")      # unknown id -> ValueError
    clinic_p = protocols.apply_overrides(p, {"infusion_duration_min": 45})

Clinic overrides are re-validated with the same rules as the files plus the **hard limits** below, which no clinic
setting can loosen:

* IV low-dose ceiling: infusion ≤ 1 mg/kg/h, bolus ≤ 0.5 mg/kg (Pennsylvania low-dose ketamine guideline 2020;
  clinical-rules.md §3). A clinic may lower them; their severity is at least ``override_allowed`` (a prescriber may
  exceed them only with a written, audited reason).
* Esketamine (Spravato PI; clinical-rules.md §3): doses only 28, 56 or 84 mg, one device = 28 mg, the allowed-dose
  rule is a ``hard_stop``, observation ≥ 120 min, no food for 2 h and no liquids for 30 min before dosing (a clinic
  may ask for longer), the label regimen itself cannot be overridden.
* Identity (id, route, indications, regulatory status, sources) cannot be overridden.

A malformed file (bad TOML, unknown key, wrong type, inconsistent values) raises :class:`ProtocolError` (a
``ValueError``) naming the file and the field.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from types import MappingProxyType
from typing import Final, Literal, cast

from ketaclinic.domain.eligibility import INDICATIONS, ROUTES
from ketaclinic.domain.monitoring import DISCHARGE_SCORE_MAX, ESKETAMINE_MIN_OBSERVATION_MIN

__all__ = [
    "ESKETAMINE_ALLOWED_DOSES_MG",
    "ESKETAMINE_DEVICE_MG",
    "ESKETAMINE_FASTING_FOOD_MIN",
    "ESKETAMINE_FASTING_LIQUIDS_MIN",
    "LIMIT_NAMES",
    "LOW_DOSE_BOLUS_CEILING_MG_PER_KG",
    "LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H",
    "MIN_SEVERITY",
    "NOT_OVERRIDABLE",
    "PREDOSE_MEASURES",
    "REGULATORY_STATUSES",
    "RULE_BASES",
    "SEDATION_SCALES",
    "SEVERITIES",
    "WEIGHT_BASES",
    "EsketamineRegimen",
    "Protocol",
    "ProtocolError",
    "Severity",
    "all",
    "apply_overrides",
    "get",
    "ids",
    "loads",
]

Severity = Literal["caution", "override_allowed", "hard_stop"]
SEVERITIES: Final[tuple[Severity, ...]] = ("caution", "override_allowed", "hard_stop")
"""Least to most blocking: ``caution`` informs; ``override_allowed`` blocks unless a prescriber records a reason;
``hard_stop`` blocks (label rules)."""

WEIGHT_BASES: Final = ("total", "ideal", "adjusted")
"""Dosing-weight bases (clinical-rules.md §3 "Dosing weight")."""

REGULATORY_STATUSES: Final = ("label", "off_label")
"""``label``: FDA label rules (esketamine), encoded as hard stops; ``off_label``: consensus defaults (§ intro)."""

LIMIT_NAMES: Final = (
    "dose_range",
    "infusion_mg_per_kg_per_h_max",
    "bolus_mg_per_kg_max",
    "rate_mg_per_kg_per_h_max",
    "rate_mg_per_h_max",
    "daily_mg_max",
    "course_mg_max",
    "min_infusion_duration_min",
    "min_session_total_mg",
    "allowed_doses_mg",
)
"""The limits a protocol may set; each one present needs a severity in ``limit_severity``."""

LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H: Final = Decimal("1")
"""Hard ceiling for IV infusion protocols: ≤ 1 mg/kg/h (Pennsylvania low-dose ketamine guideline 2020; §3)."""
LOW_DOSE_BOLUS_CEILING_MG_PER_KG: Final = Decimal("0.5")
"""Hard ceiling for an IV bolus: ≤ 0.5 mg/kg (Pennsylvania low-dose ketamine guideline 2020; §3)."""
ESKETAMINE_DEVICE_MG: Final = Decimal("28")
"""One Spravato device = 28 mg (one spray per nostril) (Spravato PI; §3)."""
ESKETAMINE_ALLOWED_DOSES_MG: Final = (Decimal("28"), Decimal("56"), Decimal("84"))
"""The only esketamine doses (Spravato PI; §3): 28 mg (≥ 65 only), 56 mg, 84 mg; anything else is rejected."""

MIN_SEVERITY: Final[Mapping[str, Severity]] = MappingProxyType(
    {
        "infusion_mg_per_kg_per_h_max": "override_allowed",
        "bolus_mg_per_kg_max": "override_allowed",
        "allowed_doses_mg": "hard_stop",
    }
)
"""Severity floors: the low-dose ceiling blocks unless overridden (§3); esketamine doses are a label hard stop."""

ESKETAMINE_FASTING_FOOD_MIN: Final = 120
"""Esketamine: no food for 2 h before dosing (Spravato PI; clinical-rules.md §3). Protocols may ask for longer."""
ESKETAMINE_FASTING_LIQUIDS_MIN: Final = 30
"""Esketamine: no liquids for 30 min before dosing (Spravato PI; clinical-rules.md §3)."""

PREDOSE_MEASURES: Final = ("phq9", "gad7", "qids_sr16", "pain_nrs", "peg", "bpi")
"""Scales a protocol may ask for before each session (clinical-rules.md §5 "Measurement cadence": PHQ-9, GAD-7, a pain
score for pain patients). Their scoring is ``domain.instruments``."""

SEDATION_SCALES: Final = ("moaas", "rass")
"""The sedation scale read with each set of vitals: MOAA/S (Chernik 1990) or RASS (Sessler 2002) (§4 alert table)."""

RULE_BASES: Final = ("label", "clinic_policy")
"""Where a session rule comes from: ``label`` (the Spravato PI, cited) or ``clinic_policy`` (no cited figure in the
knowledge files: a default the clinic sets for itself, shown as such)."""

NOT_OVERRIDABLE: Final = frozenset({"id", "route", "regulatory", "indications", "sources", "esketamine"})
"""Fields a clinic override may not change (identity, and the Spravato label regimen)."""

_SLUG: Final = re.compile(r"^[a-z][a-z0-9_]*$")
_SECTIONS: Final = ("dose", "limits", "series", "monitoring", "discharge", "session")
"""TOML tables that only group keys; their keys are protocol fields."""
_ESKETAMINE_ROUTE: Final = "intranasal_esketamine"


class ProtocolError(ValueError):
    """A protocol file or override is malformed; ``origin`` is the file (or override), ``field`` the bad field."""

    def __init__(self, origin: str, field: str | None, problem: str) -> None:
        where = f"{origin}: {field}" if field else origin
        super().__init__(f"{where}: {problem}")
        self.origin = origin
        self.field = field


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
    default``, CRPS) or a set of ``allowed_doses_mg`` (esketamine). Limits (ceilings and minimums) each have a
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
    min_infusion_duration_min: int | None = None
    min_session_total_mg: Decimal | None = None
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


# --- Parsing --------------------------------------------------------------------------------------------------------

_TEXT: Final = ("id", "name", "summary", "route", "regulatory", "dosing_weight_basis")
_OPTIONAL_TEXT: Final = ("fasting_basis", "sedation_scale", "no_driving_rule", "no_driving_basis")
_TEXTS: Final = ("indications", "sources")
_DECIMALS: Final = (
    "dose_mg_per_kg_min",
    "dose_mg_per_kg_max",
    "dose_mg_per_kg_default",
    "dose_mg_min",
    "dose_mg_max",
    "dose_mg_default",
    "rate_mg_per_kg_per_h_default",
    "infusion_mg_per_kg_per_h_max",
    "bolus_mg_per_kg_max",
    "rate_mg_per_kg_per_h_max",
    "rate_mg_per_h_max",
    "daily_mg_max",
    "course_mg_max",
    "min_session_total_mg",
)
_INTS: Final = (
    "infusion_duration_min",
    "min_infusion_duration_min",
    "series_sessions",
    "series_sessions_per_week_min",
    "series_sessions_per_week_max",
    "series_weeks_min",
    "series_weeks_max",
    "booster_interval_weeks_min",
    "booster_interval_weeks_max",
    "vitals_during_infusion_every_min",
    "vitals_after_infusion_every_min",
    "min_observation_min",
    "fasting_food_min",
    "fasting_liquids_min",
)
_FIELD_NAMES: Final = frozenset(f.name for f in fields(Protocol)) - {"overridden"}
_REGIMEN_DECIMALS: Final = (
    "device_mg",
    "day_one_dose_mg",
    "day_one_dose_older_adult_mg",
    "suicidal_ideation_dose_mg",
    "suicidal_ideation_reduced_dose_mg",
)
_REGIMEN_DECIMAL_LISTS: Final = ("older_adult_only_doses_mg",)
_REGIMEN_INT_LISTS: Final = ("maintenance_interval_weeks",)
_REGIMEN_FIELDS: Final = frozenset(f.name for f in fields(EsketamineRegimen))


class _Parser:
    """Type checks for one origin, raising ProtocolError naming the field."""

    def __init__(self, origin: str) -> None:
        self.origin = origin

    def fail(self, field: str | None, problem: str) -> ProtocolError:
        return ProtocolError(self.origin, field, problem)

    def text(self, field: str, value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(field, f"must be a non-empty string (got {value!r})")
        return value.strip()

    def texts(self, field: str, value: object) -> tuple[str, ...]:
        if not isinstance(value, list | tuple) or not value:
            raise self.fail(field, f"must be a non-empty list of strings (got {value!r})")
        return tuple(self.text(field, item) for item in value)

    def decimal(self, field: str, value: object) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise self.fail(field, f"must be a number (got {value!r})")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise self.fail(field, f"must be a number (got {value!r})") from None
        if not number.is_finite() or number <= 0:
            raise self.fail(field, f"must be a positive number (got {value!r})")
        return number

    def integer(self, field: str, value: object, *, low: int = 1) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(field, f"must be a whole number ≥ {low} (got {value!r})")
        return value

    def decimals(self, field: str, value: object) -> tuple[Decimal, ...]:
        if not isinstance(value, list | tuple):
            raise self.fail(field, f"must be a list of numbers (got {value!r})")
        return tuple(self.decimal(field, item) for item in value)

    def integers(self, field: str, value: object, *, low: int) -> tuple[int, ...]:
        if not isinstance(value, list | tuple):
            raise self.fail(field, f"must be a list of whole numbers (got {value!r})")
        return tuple(self.integer(field, item, low=low) for item in value)

    def table(self, field: str, value: object) -> Mapping[str, object]:
        if not isinstance(value, Mapping):
            raise self.fail(field, f"must be a table (got {value!r})")
        return cast("Mapping[str, object]", value)


def _build(raw: Mapping[str, object], *, origin: str, overridden: tuple[str, ...] = ()) -> Protocol:
    parse = _Parser(origin)
    unknown = sorted(set(raw) - _FIELD_NAMES)
    if unknown:
        raise parse.fail(unknown[0], "unknown protocol field")
    values: dict[str, object] = {}
    for name in _TEXT:
        if name not in raw:
            raise parse.fail(name, "is required")
        values[name] = parse.text(name, raw[name])
    for name in _TEXTS:
        values[name] = parse.texts(name, raw.get(name))
    for name in _DECIMALS:
        value = raw.get(name)
        values[name] = None if value is None else parse.decimal(name, value)
    for name in _INTS:
        value = raw.get(name)
        values[name] = None if value is None else parse.integer(name, value)
    values["allowed_doses_mg"] = parse.decimals("allowed_doses_mg", raw.get("allowed_doses_mg", ()))
    values["vitals_checkpoints_min"] = parse.integers(
        "vitals_checkpoints_min", raw.get("vitals_checkpoints_min", ()), low=0
    )
    oximetry = raw.get("continuous_pulse_oximetry", False)
    if not isinstance(oximetry, bool):
        raise parse.fail("continuous_pulse_oximetry", f"must be true or false (got {oximetry!r})")
    values["continuous_pulse_oximetry"] = oximetry
    _parse_session(parse, raw, values)
    if "discharge_score_min" not in raw:
        raise parse.fail("discharge_score_min", "is required")
    values["discharge_score_min"] = parse.integer("discharge_score_min", raw["discharge_score_min"])
    values["limit_severity"] = _parse_severity(parse, raw.get("limit_severity", {}))
    regimen = raw.get("esketamine")
    values["esketamine"] = None if regimen is None else _parse_regimen(parse, regimen)
    protocol = Protocol(**values, overridden=overridden)  # type: ignore[arg-type]
    _validate(protocol, parse)
    return protocol


def _parse_session(parse: _Parser, raw: Mapping[str, object], values: dict[str, object]) -> None:
    """The chair-side settings (``[session]``); absent keys keep the dataclass defaults."""
    for name in _OPTIONAL_TEXT:
        if name in raw:
            values[name] = parse.text(name, raw[name])
    pregnancy = raw.get("pregnancy_test_required", False)
    # A clinic's tuning form sends text, so "true"/"false" are accepted here as well as TOML booleans.
    if pregnancy in ("true", "false"):
        pregnancy = pregnancy == "true"
    if not isinstance(pregnancy, bool):
        raise parse.fail("pregnancy_test_required", f"must be true or false (got {pregnancy!r})")
    values["pregnancy_test_required"] = pregnancy
    measures = raw.get("predose_measures", ())
    empty = isinstance(measures, list | tuple) and not measures
    values["predose_measures"] = () if empty else parse.texts("predose_measures", measures)
    values["cadss_checks_min"] = parse.integers("cadss_checks_min", raw.get("cadss_checks_min", ()), low=0)


def _parse_severity(parse: _Parser, value: object) -> tuple[tuple[str, Severity], ...]:
    table = parse.table("limit_severity", value)
    pairs: list[tuple[str, Severity]] = []
    for limit in sorted(table):
        severity = table[limit]
        if limit not in LIMIT_NAMES:
            raise parse.fail("limit_severity", f"unknown limit {limit!r}; expected one of {', '.join(LIMIT_NAMES)}")
        if severity not in SEVERITIES:
            raise parse.fail("limit_severity", f"{limit}: unknown severity {severity!r}")
        pairs.append((limit, severity))
    return tuple(pairs)


def _parse_regimen(parse: _Parser, value: object) -> EsketamineRegimen:
    table = parse.table("esketamine", value)
    unknown = sorted(set(table) - _REGIMEN_FIELDS)
    if unknown:
        raise parse.fail("esketamine", f"unknown field {unknown[0]!r}")
    missing = sorted(_REGIMEN_FIELDS - set(table))
    if missing:
        raise parse.fail("esketamine", f"{missing[0]} is required")
    values: dict[str, object] = {}
    for name in sorted(_REGIMEN_FIELDS):
        label = f"esketamine.{name}"
        if name in _REGIMEN_DECIMALS:
            values[name] = parse.decimal(label, table[name])
        elif name in _REGIMEN_DECIMAL_LISTS:
            values[name] = parse.decimals(label, table[name])
        elif name in _REGIMEN_INT_LISTS:
            values[name] = parse.integers(label, table[name], low=1)
        else:
            values[name] = parse.integer(label, table[name])
    return EsketamineRegimen(**values)  # type: ignore[arg-type]


# --- Validation -----------------------------------------------------------------------------------------------------


def _validate(p: Protocol, parse: _Parser) -> None:
    if not _SLUG.match(p.id):
        raise parse.fail("id", f"{p.id!r} must be lower-case letters, digits and underscores")
    if p.route not in ROUTES:
        raise parse.fail("route", f"unknown route {p.route!r}")
    for indication in p.indications:
        if indication not in INDICATIONS:
            raise parse.fail("indications", f"unknown indication {indication!r}")
    if len(set(p.indications)) != len(p.indications):
        raise parse.fail("indications", "lists an indication twice")
    if p.regulatory not in REGULATORY_STATUSES:
        raise parse.fail("regulatory", f"must be one of {', '.join(REGULATORY_STATUSES)} (got {p.regulatory!r})")
    if p.dosing_weight_basis not in WEIGHT_BASES:
        raise parse.fail("dosing_weight_basis", f"must be one of {', '.join(WEIGHT_BASES)}")
    if p.discharge_score_min > DISCHARGE_SCORE_MAX:
        raise parse.fail("discharge_score_min", f"Aldrete and PADSS run 0-{DISCHARGE_SCORE_MAX}")
    _validate_doses(p, parse)
    _validate_route_specifics(p, parse)
    _validate_severities(p, parse)
    _validate_series_and_cadence(p, parse)
    _validate_session(p, parse)


def _validate_session(p: Protocol, parse: _Parser) -> None:
    for name in ("fasting_basis", "no_driving_basis"):
        if getattr(p, name) not in RULE_BASES:
            raise parse.fail(name, f"must be one of {', '.join(RULE_BASES)} (got {getattr(p, name)!r})")
    if p.sedation_scale not in SEDATION_SCALES:
        raise parse.fail("sedation_scale", f"must be one of {', '.join(SEDATION_SCALES)} (got {p.sedation_scale!r})")
    for measure in p.predose_measures:
        if measure not in PREDOSE_MEASURES:
            raise parse.fail("predose_measures", f"unknown scale {measure!r}; expected {', '.join(PREDOSE_MEASURES)}")
    if len(set(p.predose_measures)) != len(p.predose_measures):
        raise parse.fail("predose_measures", "lists a scale twice")
    if list(p.cadss_checks_min) != sorted(set(p.cadss_checks_min)):
        raise parse.fail("cadss_checks_min", "must be increasing, each listed once")
    if p.route != _ESKETAMINE_ROUTE:
        return
    # The Spravato label: no food 2 h, no liquids 30 min before; no driving until the next day (§3, §4).
    for name, floor in (
        ("fasting_food_min", ESKETAMINE_FASTING_FOOD_MIN),
        ("fasting_liquids_min", ESKETAMINE_FASTING_LIQUIDS_MIN),
    ):
        value = getattr(p, name)
        if value is None or value < floor:
            raise parse.fail(name, f"esketamine needs at least {floor} min (Spravato PI)")
    for name in ("fasting_basis", "no_driving_basis"):
        if getattr(p, name) != "label":
            raise parse.fail(name, "esketamine follows its FDA label")


def _validate_range(
    parse: _Parser, prefix: str, low: Decimal | None, high: Decimal | None, default: Decimal | None
) -> None:
    if (low is None) != (high is None):
        missing = f"{prefix}_min" if low is None else f"{prefix}_max"
        raise parse.fail(missing, f"is required when {prefix}_min/_max is set")
    if low is None or high is None:
        if default is not None:
            raise parse.fail(f"{prefix}_default", f"needs {prefix}_min and {prefix}_max")
        return
    if low > high:
        raise parse.fail(f"{prefix}_max", f"{high} is below {prefix}_min {low}")
    if default is not None and not low <= default <= high:
        raise parse.fail(f"{prefix}_default", f"{default} is outside {low}-{high}")


def _validate_doses(p: Protocol, parse: _Parser) -> None:
    _validate_range(parse, "dose_mg_per_kg", p.dose_mg_per_kg_min, p.dose_mg_per_kg_max, p.dose_mg_per_kg_default)
    _validate_range(parse, "dose_mg", p.dose_mg_min, p.dose_mg_max, p.dose_mg_default)
    if (
        p.dose_mg_per_kg_min is None
        and p.dose_mg_min is None
        and p.rate_mg_per_kg_per_h_default is None
        and not p.allowed_doses_mg
    ):
        raise parse.fail("dose_mg_per_kg_min", "the protocol defines no dose (mg/kg range, mg range, rate or doses)")
    rate_max, rate_default = p.rate_mg_per_kg_per_h_max, p.rate_mg_per_kg_per_h_default
    if rate_max is not None and rate_default is not None and rate_default > rate_max:
        raise parse.fail(
            "rate_mg_per_kg_per_h_default", f"is above rate_mg_per_kg_per_h_max {p.rate_mg_per_kg_per_h_max}"
        )
    if (
        p.min_infusion_duration_min is not None
        and p.infusion_duration_min is not None
        and p.infusion_duration_min < p.min_infusion_duration_min
    ):
        raise parse.fail("infusion_duration_min", f"is below min_infusion_duration_min {p.min_infusion_duration_min}")


def _validate_route_specifics(p: Protocol, parse: _Parser) -> None:
    if p.route == "iv":
        _validate_iv(p, parse)
    else:
        for name in (
            "infusion_duration_min",
            "infusion_mg_per_kg_per_h_max",
            "rate_mg_per_kg_per_h_default",
            "rate_mg_per_kg_per_h_max",
            "rate_mg_per_h_max",
            "min_infusion_duration_min",
            "vitals_during_infusion_every_min",
        ):
            if getattr(p, name) is not None:
                raise parse.fail(name, f"applies to IV infusions only (route is {p.route!r})")
    if p.route == _ESKETAMINE_ROUTE:
        _validate_esketamine(p, parse)
    else:
        if p.esketamine is not None:
            raise parse.fail("esketamine", f"only the {_ESKETAMINE_ROUTE} route has an esketamine regimen")
        if p.allowed_doses_mg:
            raise parse.fail("allowed_doses_mg", f"only the {_ESKETAMINE_ROUTE} route doses from a fixed set")


def _validate_iv(p: Protocol, parse: _Parser) -> None:
    for name, ceiling in (
        ("infusion_mg_per_kg_per_h_max", LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H),
        ("bolus_mg_per_kg_max", LOW_DOSE_BOLUS_CEILING_MG_PER_KG),
    ):
        value = getattr(p, name)
        if value is None:
            raise parse.fail(name, "is required for IV protocols (low-dose ceiling, Pennsylvania guideline 2020)")
        if value > ceiling:
            raise parse.fail(
                name, f"{value} is above the hard low-dose ceiling {ceiling} (Pennsylvania guideline 2020)"
            )
    if p.infusion_duration_min is None:
        raise parse.fail("infusion_duration_min", "is required for IV protocols")
    if p.vitals_during_infusion_every_min is None:
        raise parse.fail("vitals_during_infusion_every_min", "is required for IV protocols")
    infusion_max = cast(Decimal, p.infusion_mg_per_kg_per_h_max)
    hours = Decimal(p.infusion_duration_min) / 60
    if p.dose_mg_per_kg_default is not None and p.dose_mg_per_kg_default / hours > infusion_max:
        raise parse.fail(
            "dose_mg_per_kg_default",
            f"{p.dose_mg_per_kg_default} mg/kg over {p.infusion_duration_min} min exceeds "
            f"infusion_mg_per_kg_per_h_max {infusion_max} mg/kg/h",
        )
    if p.rate_mg_per_kg_per_h_default is not None and p.rate_mg_per_kg_per_h_default > infusion_max:
        raise parse.fail("rate_mg_per_kg_per_h_default", f"exceeds infusion_mg_per_kg_per_h_max {infusion_max}")


def _validate_esketamine(p: Protocol, parse: _Parser) -> None:
    regimen = p.esketamine
    if regimen is None:
        raise parse.fail("esketamine", "the esketamine route needs its [esketamine] regimen table")
    if p.regulatory != "label":
        raise parse.fail("regulatory", "esketamine follows its FDA label")
    if not p.allowed_doses_mg:
        raise parse.fail("allowed_doses_mg", "is required for esketamine")
    for dose in p.allowed_doses_mg:
        if dose not in ESKETAMINE_ALLOWED_DOSES_MG:
            raise parse.fail("allowed_doses_mg", f"{dose} mg is not an esketamine dose (only 28, 56 or 84 mg)")
    if list(p.allowed_doses_mg) != sorted(set(p.allowed_doses_mg)):
        raise parse.fail("allowed_doses_mg", "must be listed once each, in increasing order")
    if p.min_observation_min is None or p.min_observation_min < ESKETAMINE_MIN_OBSERVATION_MIN:
        raise parse.fail("min_observation_min", f"esketamine needs at least {ESKETAMINE_MIN_OBSERVATION_MIN} min")
    if regimen.device_mg != ESKETAMINE_DEVICE_MG:
        raise parse.fail("esketamine.device_mg", f"one device is {ESKETAMINE_DEVICE_MG} mg")
    needed = {
        "esketamine.day_one_dose_mg": (regimen.day_one_dose_mg,),
        "esketamine.day_one_dose_older_adult_mg": (regimen.day_one_dose_older_adult_mg,),
        "esketamine.suicidal_ideation_dose_mg": (regimen.suicidal_ideation_dose_mg,),
        "esketamine.suicidal_ideation_reduced_dose_mg": (regimen.suicidal_ideation_reduced_dose_mg,),
        "esketamine.older_adult_only_doses_mg": regimen.older_adult_only_doses_mg,
    }
    for name, doses in needed.items():
        for dose in doses:
            if dose not in p.allowed_doses_mg:
                raise parse.fail(name, f"{dose} mg must be one of allowed_doses_mg")
    if regimen.early_maintenance_last_week <= regimen.induction_weeks:
        raise parse.fail("esketamine.early_maintenance_last_week", "must come after the induction weeks")
    for name in (
        "induction_sessions_per_week",
        "early_maintenance_sessions_per_week",
        "suicidal_ideation_sessions_per_week",
    ):
        if getattr(regimen, name) > 7:
            raise parse.fail(f"esketamine.{name}", "cannot exceed 7 sessions a week")
    if not regimen.maintenance_interval_weeks:
        raise parse.fail("esketamine.maintenance_interval_weeks", "needs at least one interval")


def _present_limits(p: Protocol) -> list[str]:
    present = [name for name in LIMIT_NAMES[1:-1] if getattr(p, name) is not None]
    if p.dose_mg_per_kg_min is not None or p.dose_mg_min is not None:
        present.insert(0, "dose_range")
    if p.allowed_doses_mg:
        present.append("allowed_doses_mg")
    return present


def _validate_severities(p: Protocol, parse: _Parser) -> None:
    severities = dict(p.limit_severity)
    for limit in _present_limits(p):
        if limit not in severities:
            raise parse.fail("limit_severity", f"{limit} is set but has no severity")
        floor = MIN_SEVERITY.get(limit)
        if floor is not None and SEVERITIES.index(severities[limit]) < SEVERITIES.index(floor):
            raise parse.fail("limit_severity", f"{limit} must be at least {floor!r} (got {severities[limit]!r})")


def _validate_pair(parse: _Parser, low_name: str, low: int | None, high_name: str, high: int | None) -> None:
    if (low is None) != (high is None):
        raise parse.fail(low_name if low is None else high_name, f"{low_name} and {high_name} go together")
    if low is not None and high is not None and low > high:
        raise parse.fail(high_name, f"{high} is below {low_name} {low}")


def _validate_series_and_cadence(p: Protocol, parse: _Parser) -> None:
    _validate_pair(
        parse,
        "series_sessions_per_week_min",
        p.series_sessions_per_week_min,
        "series_sessions_per_week_max",
        p.series_sessions_per_week_max,
    )
    if p.series_sessions_per_week_max is not None and p.series_sessions_per_week_max > 7:
        raise parse.fail("series_sessions_per_week_max", "cannot exceed 7 sessions a week")
    _validate_pair(parse, "series_weeks_min", p.series_weeks_min, "series_weeks_max", p.series_weeks_max)
    _validate_pair(
        parse,
        "booster_interval_weeks_min",
        p.booster_interval_weeks_min,
        "booster_interval_weeks_max",
        p.booster_interval_weeks_max,
    )
    checkpoints = p.vitals_checkpoints_min
    if list(checkpoints) != sorted(set(checkpoints)):
        raise parse.fail("vitals_checkpoints_min", "must be increasing, each listed once")
    if (
        p.vitals_during_infusion_every_min is None
        and p.vitals_after_infusion_every_min is None
        and not p.vitals_checkpoints_min
    ):
        raise parse.fail("vitals_after_infusion_every_min", "the protocol defines no vital-sign cadence")


# --- Loading --------------------------------------------------------------------------------------------------------


def loads(text: str, *, origin: str = "<string>") -> Protocol:
    """Parse and validate one protocol from TOML text; ``origin`` names it in error messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProtocolError(origin, None, f"not valid TOML: {exc}") from None
    raw: dict[str, object] = {}
    for key, value in data.items():
        if key in _SECTIONS:
            if not isinstance(value, dict):
                raise ProtocolError(origin, key, "must be a table")
            items = list(value.items())
        else:
            items = [(key, value)]
        for name, item in items:
            if name in raw:
                raise ProtocolError(origin, name, "is given twice")
            raw[name] = item
    return _build(raw, origin=origin)


def _load_directory(root: Traversable) -> Mapping[str, Protocol]:
    found: dict[str, Protocol] = {}
    for entry in sorted(root.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        protocol = loads(entry.read_text(encoding="utf-8"), origin=entry.name)
        if f"{protocol.id}.toml" != entry.name:
            raise ProtocolError(entry.name, "id", f"{protocol.id!r} must match the file name")
        found[protocol.id] = protocol
    return MappingProxyType(found)


@cache
def _library() -> Mapping[str, Protocol]:
    return _load_directory(resources.files(__name__))


# The contract names this ``all``; it shadows the builtin inside this module only, where the builtin is not used.
def all() -> tuple[Protocol, ...]:
    """Every shipped protocol, sorted by id."""
    return tuple(_library().values())


def ids() -> tuple[str, ...]:
    """The ids of the shipped protocols, sorted."""
    return tuple(_library())


def get(protocol_id: str) -> Protocol:
    """The shipped protocol ``protocol_id``; an unknown id raises ``ValueError`` naming it."""
    library = _library()
    if protocol_id not in library:
        raise ValueError(f"protocol_id: unknown protocol {protocol_id!r}; known: {', '.join(library)}")
    return library[protocol_id]


def _as_raw(protocol: Protocol) -> dict[str, object]:
    raw: dict[str, object] = {f.name: getattr(protocol, f.name) for f in fields(protocol) if f.name != "overridden"}
    raw["limit_severity"] = dict(protocol.limit_severity)
    raw["esketamine"] = None if protocol.esketamine is None else asdict(protocol.esketamine)
    return raw


def apply_overrides(protocol: Protocol, overrides: Mapping[str, object]) -> Protocol:
    """A copy of ``protocol`` with a clinic's settings applied and re-validated (hard limits included).

    ``overrides`` maps field names to new values (numbers may be int, float, str or Decimal; ``None`` clears an
    optional limit; ``limit_severity`` is merged into the existing table). Unknown or protected fields and values that
    break a rule raise :class:`ProtocolError` naming the field. The result lists the changed fields in ``overridden``.
    """
    origin = f"{protocol.id} (clinic overrides)"
    raw = _as_raw(protocol)
    for name, value in overrides.items():
        if name not in _FIELD_NAMES:
            raise ProtocolError(origin, name, "unknown protocol field")
        if name in NOT_OVERRIDABLE:
            raise ProtocolError(origin, name, "cannot be overridden by a clinic")
        if name == "limit_severity":
            value = {**dict(protocol.limit_severity), **_Parser(origin).table(name, value)}
        raw[name] = value
    changed = tuple(sorted(set(protocol.overridden) | set(overrides)))
    return _build(raw, origin=origin, overridden=changed)
