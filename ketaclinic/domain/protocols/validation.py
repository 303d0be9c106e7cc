"""Validation: the rules a whole protocol must satisfy, from a data file or after a clinic's overrides.

Identity (id, route and indications from the shared vocabulary, regulatory status), consistent dose ranges, route
specifics (IV low-dose ceilings, the esketamine label regimen), a severity for every limit set (with the floors of
``MIN_SEVERITY``), series and vital-sign cadence, and the chair-side session rules (the Spravato fasting and driving
rules are label rules). Sources: ``shared/knowledge/clinical-rules.md`` §3-§4; each failure names the field.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final, cast

from ketaclinic.domain.protocols.fields import _Parser
from ketaclinic.domain.protocols.limits import (
    ABSOLUTE_MAXIMA,
    ESKETAMINE_ALLOWED_DOSES_MG,
    ESKETAMINE_DEVICE_MG,
    ESKETAMINE_FASTING_FOOD_MIN,
    ESKETAMINE_FASTING_LIQUIDS_MIN,
    ESKETAMINE_MIN_OBSERVATION_MIN,
    LABEL_ANAESTHETIC_SOURCE,
    LIMIT_NAMES,
    LOW_DOSE_BOLUS_CEILING_MG_PER_KG,
    LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H,
    MIN_SEVERITY,
    PREDOSE_MEASURES,
    REGULATORY_STATUSES,
    RULE_BASES,
    SEDATION_SCALES,
    SEVERITIES,
    WEIGHT_BASES,
)
from ketaclinic.domain.protocols.model import Protocol
from ketaclinic.domain.vocabulary import DISCHARGE_SCORE_MAX, INDICATIONS, IV_ROUTE, ROUTES
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE as _ESKETAMINE_ROUTE

_SLUG: Final = re.compile(r"^[a-z][a-z0-9_]*$")


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
    _validate_absolute_maxima(p, parse)
    _validate_severities(p, parse)
    _validate_series_and_cadence(p, parse)
    _validate_session(p, parse)


def _validate_session(p: Protocol, parse: _Parser) -> None:
    for name in ("fasting_basis", "no_driving_basis", "min_observation_basis"):
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
    for name in ("fasting_basis", "no_driving_basis", "min_observation_basis"):
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


def _validate_route_specifics(p: Protocol, parse: _Parser) -> None:
    if p.route == IV_ROUTE:
        _validate_iv(p, parse)
    else:
        for name in (
            "infusion_duration_min",
            "infusion_mg_per_kg_per_h_max",
            "rate_mg_per_kg_per_h_default",
            "rate_mg_per_kg_per_h_max",
            "rate_mg_per_h_max",
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


def _validate_absolute_maxima(p: Protocol, parse: _Parser) -> None:
    """The never-signable doses: required for their route, at most the label's anaesthetic dose (a clinic may lower
    them, never raise them), and above the protocol's own default dose (Ketalar US label §2.2; clinical-rules.md §3)."""
    for name, (route, label_max) in ABSOLUTE_MAXIMA.items():
        value = getattr(p, name)
        if p.route != route:
            if value is not None:
                raise parse.fail(name, f"applies to the {route} route only (route is {p.route!r})")
            continue
        if value is None:
            raise parse.fail(name, f"is required for {route} protocols ({LABEL_ANAESTHETIC_SOURCE})")
        if value > label_max:
            raise parse.fail(
                name,
                f"{value} is above the label's anaesthetic dose {label_max} ({LABEL_ANAESTHETIC_SOURCE}): "
                "a clinic may lower this maximum, never raise it",
            )
    if p.route == IV_ROUTE:
        rate_max = cast(Decimal, p.absolute_rate_mg_per_kg_per_min)
        per_min = []
        if p.dose_mg_per_kg_default is not None:
            per_min.append(
                ("dose_mg_per_kg_default", p.dose_mg_per_kg_default / Decimal(cast(int, p.infusion_duration_min)))
            )
        if p.rate_mg_per_kg_per_h_default is not None:
            per_min.append(("rate_mg_per_kg_per_h_default", p.rate_mg_per_kg_per_h_default / 60))
        for name, rate in per_min:
            if rate >= rate_max:
                raise parse.fail(
                    "absolute_rate_mg_per_kg_per_min",
                    f"{rate_max} mg/kg/min would make the default ({name}) unsignable",
                )
    elif (
        p.absolute_im_mg_per_kg is not None
        and p.dose_mg_per_kg_default is not None
        and p.dose_mg_per_kg_default >= p.absolute_im_mg_per_kg
    ):
        raise parse.fail(
            "absolute_im_mg_per_kg",
            f"{p.absolute_im_mg_per_kg} mg/kg would make the default dose (dose_mg_per_kg_default) unsignable",
        )


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
