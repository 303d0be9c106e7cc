"""Parsing: raw TOML (or clinic override) values into a :class:`~ketaclinic.domain.protocols.model.Protocol`.

Every field is read with its type (text, numbers as exact ``Decimal``, whole numbers, lists, the severity table and the
``[esketamine]`` regimen table); an unknown, missing or mistyped field raises ``ProtocolError`` naming it. The built
protocol is then validated as a whole (:mod:`ketaclinic.domain.protocols.validation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Final

from ketaclinic.domain.protocols.fields import _Parser
from ketaclinic.domain.protocols.limits import LIMIT_NAMES, SEVERITIES, Severity
from ketaclinic.domain.protocols.model import EsketamineRegimen, Protocol
from ketaclinic.domain.protocols.validation import _validate

_TEXT: Final = ("id", "name", "summary", "route", "regulatory", "dosing_weight_basis")
_OPTIONAL_TEXT: Final = (
    "fasting_basis",
    "sedation_scale",
    "no_driving_rule",
    "no_driving_basis",
    "min_observation_basis",
)
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
    "absolute_bolus_mg_per_kg",
    "absolute_rate_mg_per_kg_per_min",
    "absolute_im_mg_per_kg",
)
_INTS: Final = (
    "infusion_duration_min",
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
    for name in ("pregnancy_test_required", "respiratory_rate_with_vitals"):
        flag = raw.get(name, False)
        # A clinic's tuning form sends text, so "true"/"false" are accepted here as well as TOML booleans.
        if flag in ("true", "false"):
            flag = flag == "true"
        if not isinstance(flag, bool):
            raise parse.fail(name, f"must be true or false (got {flag!r})")
        values[name] = flag
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
