"""Dose arithmetic, dosing weight, protocol dose checks and session schedules.

Figures come from ``shared/knowledge/clinical-rules.md`` §3 ("Dosing"); limits come from the protocol object
(:mod:`ketaclinic.domain.protocols`), so no limit is written twice. Contract: ``design/CONTRACTS.md`` §4.3.

Arithmetic is exact ``Decimal``; results are rounded half-up to 0.1 kg (weights), 0.1 mg (doses), 0.01 mL (volumes),
0.1 mg/h and 0.1 mL/h (rates). Inputs may be ``Decimal``, ``int`` or ``float`` (a float is read through its shortest
repr, so 0.1 means 0.1). Bad input (negative or zero weight, zero duration, unknown sex, basis or route) raises
``ValueError`` whose message starts with the argument's name.

Worked example (clinical-rules.md §3): 80 kg × 0.5 mg/kg = 40 mg; over 40 min that is 60 mg/h; from 10 mg/mL stock
4 mL; in a 100 mL bag over 40 min the pump runs at 150 mL/h (drug volume ignored unless the protocol says otherwise).

Dose checks return frozen :class:`DoseFinding` values with a severity from the protocol: ``hard_stop`` (label rules,
never overridable), ``override_allowed`` (blocks unless a prescriber records a written reason, which the caller audits)
or ``caution`` (informs).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Final, Literal

from ketaclinic.domain.eligibility import MAX_PLAUSIBLE_AGE_YEARS, SEXES, EligibilityThresholds
from ketaclinic.domain.protocols import WEIGHT_BASES, EsketamineRegimen, Protocol, Severity

__all__ = [
    "ADJUSTED_WEIGHT_FACTOR",
    "DEVINE_BASE_KG",
    "DEVINE_KG_PER_INCH_OVER_60",
    "DEVINE_MIN_HEIGHT_IN",
    "DOSE_FINDING_CODES",
    "IDEAL_WEIGHT_BMI_KG_PER_M2",
    "INCH_CM",
    "MAX_PLAUSIBLE_WEIGHT_KG",
    "PLAUSIBLE_HEIGHT_CM",
    "DoseCheck",
    "DoseFinding",
    "DosingWeights",
    "EsketamineAdministration",
    "EsketamineSession",
    "Number",
    "Phase",
    "adjusted_body_weight_kg",
    "check_dose",
    "check_esketamine_dose",
    "dosing_weight_kg",
    "dosing_weights",
    "drug_volume_ml",
    "esketamine_administration",
    "esketamine_allowed_doses_mg",
    "esketamine_schedule",
    "ideal_body_weight_kg",
    "induction_series_dates",
    "infusion_rate_mg_per_h",
    "pump_rate_ml_per_h",
    "weight_based_dose_mg",
]

Number = Decimal | int | float

# --- Constants (clinical-rules.md §3 "Dosing weight") ---------------------------------------------------------------
INCH_CM: Final = Decimal("2.54")
"""1 in = 2.54 cm."""
DEVINE_BASE_KG: Final[Mapping[str, Decimal]] = {"male": Decimal("50"), "female": Decimal("45.5")}
"""Devine IBW base: male 50 kg, female 45.5 kg (Devine 1974; clinical-rules.md §3)."""
DEVINE_KG_PER_INCH_OVER_60: Final = Decimal("2.3")
"""Devine IBW: + 2.3 kg per inch over 60 in (clinical-rules.md §3)."""
DEVINE_MIN_HEIGHT_IN: Final = Decimal("60")
"""Below 60 in (152.4 cm) Devine is not validated: IBW is the base value and TBW is recommended (§3)."""
ADJUSTED_WEIGHT_FACTOR: Final = Decimal("0.4")
"""AdjBW = IBW + 0.4 × (TBW − IBW) when TBW > IBW (clinical-rules.md §3)."""
IDEAL_WEIGHT_BMI_KG_PER_M2: Final = Decimal("30")
"""Sanacora 2017 suggests dosing on ideal body weight at BMI ≥ 30 (clinical-rules.md §3)."""

# Data-entry validation, not clinical thresholds: catches metres typed as centimetres and pounds beyond any record.
PLAUSIBLE_HEIGHT_CM: Final = (Decimal("50"), Decimal("275"))
"""Heights accepted, cm (the tallest recorded adult was 272 cm; below 50 cm a height in metres was probably typed)."""
MAX_PLAUSIBLE_WEIGHT_KG: Final = Decimal("650")
"""Weights accepted: above 0 and up to 650 kg (the heaviest recorded human was about 635 kg)."""

_WEIGHT_Q: Final = Decimal("0.1")
_DOSE_Q: Final = Decimal("0.1")
_VOLUME_Q: Final = Decimal("0.01")
_RATE_Q: Final = Decimal("0.1")
_PER_KG_Q: Final = Decimal("0.001")
_MIN_PER_H: Final = Decimal("60")

_SOURCE_LOW_DOSE: Final = "clinical-rules.md §3 Low-dose ceiling (Pennsylvania low-dose ketamine guideline 2020)"
_SOURCE_CRPS: Final = "clinical-rules.md §3 CRPS, outpatient (Schwartzman, Pain 2009)"
_SOURCE_PAIN_MIN: Final = "clinical-rules.md §3 Pain infusions, minimum (ASRA/AAPM/ASA 2018 as cited in NCT06916403)"
_SOURCE_ESKETAMINE: Final = "clinical-rules.md §3 esketamine schedule (Spravato PI)"

DOSE_FINDING_CODES: Final[Mapping[str, str]] = {
    "dose_below_range": "dose_range",
    "dose_above_range": "dose_range",
    "infusion_ceiling_exceeded": "infusion_mg_per_kg_per_h_max",
    "bolus_ceiling_exceeded": "bolus_mg_per_kg_max",
    "rate_per_kg_above_max": "rate_mg_per_kg_per_h_max",
    "rate_above_max": "rate_mg_per_h_max",
    "daily_total_above_max": "daily_mg_max",
    "course_total_above_max": "course_mg_max",
    "pain_infusion_too_short": "min_infusion_duration_min",
    "pain_infusion_total_too_low": "min_session_total_mg",
    "esketamine_dose_not_allowed": "allowed_doses_mg",
}
"""Every dose-finding code and the protocol limit (``protocols.LIMIT_NAMES``) whose severity it carries."""

_TRD: Final = "treatment_resistant_depression"
_SI: Final = "depression_with_suicidal_ideation"


# --- Input helpers --------------------------------------------------------------------------------------------------


def _decimal(name: str, value: object, *, allow_zero: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int | float):
        raise ValueError(f"{name}: must be a number (got {value!r})")
    number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name}: must be finite (got {value!r})")
    if number < 0 or (number == 0 and not allow_zero):
        bound = "zero or more" if allow_zero else "more than zero"
        raise ValueError(f"{name}: must be {bound} (got {value!r})")
    return number


def _weight(name: str, value: object) -> Decimal:
    weight = _decimal(name, value)
    if weight > MAX_PLAUSIBLE_WEIGHT_KG:
        raise ValueError(
            f"{name}: {value!r} kg is not a plausible weight (data entry: up to {MAX_PLAUSIBLE_WEIGHT_KG})"
        )
    return weight


def _height(value: object) -> Decimal:
    height = _decimal("height_cm", value)
    low, high = PLAUSIBLE_HEIGHT_CM
    if not low <= height <= high:
        raise ValueError(f"height_cm: {value!r} cm is not a plausible height (data entry: {low}-{high} cm)")
    return height


def _sex(value: object) -> str:
    if value not in SEXES:
        raise ValueError(f"sex: unknown value {value!r}; expected one of {', '.join(SEXES)}")
    return str(value)


def _q(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


# --- Body weight ----------------------------------------------------------------------------------------------------


def _ibw(height_cm: Decimal, sex: str) -> Decimal:
    inches = height_cm / INCH_CM
    base = DEVINE_BASE_KG[sex]
    if inches < DEVINE_MIN_HEIGHT_IN:
        return base
    return base + DEVINE_KG_PER_INCH_OVER_60 * (inches - DEVINE_MIN_HEIGHT_IN)


def _adjusted(tbw: Decimal, ibw: Decimal, factor: Decimal) -> Decimal:
    return tbw if tbw <= ibw else ibw + factor * (tbw - ibw)


def ideal_body_weight_kg(height_cm: Number, sex: str) -> Decimal:
    """Devine ideal body weight, kg (0.1 kg): male 50 / female 45.5 kg + 2.3 kg per inch over 60 in.

    Below 60 in (152.4 cm) the formula is not validated and the base value is returned (clinical-rules.md §3);
    :func:`dosing_weights` then warns and recommends total body weight. Example: male 180 cm = 70.866 in →
    50 + 2.3 × 10.866 = 74.99 → 75.0 kg.
    """
    return _q(_ibw(_height(height_cm), _sex(sex)), _WEIGHT_Q)


def adjusted_body_weight_kg(
    weight_kg: Number, height_cm: Number, sex: str, factor: Number = ADJUSTED_WEIGHT_FACTOR
) -> Decimal:
    """Adjusted body weight, kg (0.1 kg): IBW + ``factor`` × (TBW − IBW) when TBW > IBW, otherwise TBW.

    clinical-rules.md §3 defines AdjBW only when TBW > IBW and says the dosing weight is TBW when TBW < IBW; this
    function returns TBW in that case (adjustment only ever removes excess weight).
    """
    tbw = _weight("weight_kg", weight_kg)
    ibw = _ibw(_height(height_cm), _sex(sex))
    f = _decimal("factor", factor, allow_zero=True)
    if f > 1:
        raise ValueError(f"factor: must be between 0 and 1 (got {factor!r})")
    return _q(_adjusted(tbw, ibw, f), _WEIGHT_Q)


def _basis(value: object) -> str:
    if value not in WEIGHT_BASES:
        raise ValueError(f"basis: unknown value {value!r}; expected one of {', '.join(WEIGHT_BASES)}")
    return str(value)


def dosing_weight_kg(weight_kg: Number, height_cm: Number, sex: str, basis: str) -> Decimal:
    """The weight a mg/kg dose is computed on, kg (0.1 kg), for ``basis`` ``total`` | ``ideal`` | ``adjusted``.

    ``total``: TBW. ``ideal``: IBW, but TBW when TBW < IBW. ``adjusted``: AdjBW, but TBW when TBW < IBW
    (clinical-rules.md §3). Below 60 in the ideal weight is the Devine base value (see :func:`dosing_weights`).
    """
    return dosing_weights(weight_kg, height_cm, sex, basis).dosing_weight_kg


@dataclass(frozen=True)
class DosingWeights:
    """All three weights for the plan screen (clinical-rules.md §3), the chosen one, and warnings in plain words."""

    total_kg: Decimal
    ideal_kg: Decimal
    adjusted_kg: Decimal
    bmi_kg_per_m2: Decimal
    basis: str
    dosing_weight_kg: Decimal
    warnings: tuple[str, ...]


def dosing_weights(weight_kg: Number, height_cm: Number, sex: str, basis: str) -> DosingWeights:
    """Total, ideal and adjusted weight, BMI, the dosing weight for ``basis``, and warnings.

    Warnings: height below 60 in (Devine not validated: total body weight recommended); BMI ≥ 30 on the ``total``
    basis (Sanacora 2017 suggests ideal body weight). Both from clinical-rules.md §3.
    """
    tbw = _weight("weight_kg", weight_kg)
    height = _height(height_cm)
    sex = _sex(sex)
    basis = _basis(basis)
    ibw = _ibw(height, sex)
    adjusted = _adjusted(tbw, ibw, ADJUSTED_WEIGHT_FACTOR)
    chosen = {"total": tbw, "ideal": min(tbw, ibw), "adjusted": adjusted}[basis]
    bmi = tbw / (height / 100) ** 2
    warnings: list[str] = []
    if height / INCH_CM < DEVINE_MIN_HEIGHT_IN:
        warnings.append(
            "Height is below 60 in (152.4 cm): the Devine ideal-weight formula is not validated, so ideal weight is "
            "the base value; dose on total body weight."
        )
    if basis == "total" and bmi >= IDEAL_WEIGHT_BMI_KG_PER_M2:
        warnings.append("BMI is 30 or more: Sanacora 2017 suggests dosing on ideal body weight.")
    return DosingWeights(
        total_kg=_q(tbw, _WEIGHT_Q),
        ideal_kg=_q(ibw, _WEIGHT_Q),
        adjusted_kg=_q(adjusted, _WEIGHT_Q),
        bmi_kg_per_m2=_q(bmi, _WEIGHT_Q),
        basis=basis,
        dosing_weight_kg=_q(chosen, _WEIGHT_Q),
        warnings=tuple(warnings),
    )


# --- Arithmetic -----------------------------------------------------------------------------------------------------


def weight_based_dose_mg(mg_per_kg: Number, dosing_weight_kg: Number, max_mg: Number | None = None) -> Decimal:
    """``mg_per_kg`` × ``dosing_weight_kg``, capped at ``max_mg`` when given, mg (0.1 mg). 0.5 × 80 = 40.0 mg.

    Rounding never lifts a dose above ``max_mg``: a cap of 2.65 mg gives 2.6 mg, not 2.7 mg.
    """
    dose = _decimal("mg_per_kg", mg_per_kg) * _weight("dosing_weight_kg", dosing_weight_kg)
    if max_mg is None:
        return _q(dose, _DOSE_Q)
    cap = _decimal("max_mg", max_mg)
    rounded = _q(min(dose, cap), _DOSE_Q)
    return cap.quantize(_DOSE_Q, rounding=ROUND_FLOOR) if rounded > cap else rounded


def infusion_rate_mg_per_h(dose_mg: Number, duration_min: Number) -> Decimal:
    """Rate to give ``dose_mg`` over ``duration_min``, mg/h (0.1 mg/h). 40 mg over 40 min = 60.0 mg/h."""
    return _q(_decimal("dose_mg", dose_mg) * _MIN_PER_H / _decimal("duration_min", duration_min), _RATE_Q)


def drug_volume_ml(dose_mg: Number, concentration_mg_per_ml: Number) -> Decimal:
    """Volume of stock holding ``dose_mg``, mL (0.01 mL). 40 mg of 10 mg/mL = 4.00 mL."""
    return _q(_decimal("dose_mg", dose_mg) / _decimal("concentration_mg_per_ml", concentration_mg_per_ml), _VOLUME_Q)


def pump_rate_ml_per_h(bag_volume_ml: Number, duration_min: Number, *, added_volume_ml: Number = 0) -> Decimal:
    """Pump rate to run a bag over ``duration_min``, mL/h (0.1 mL/h). 100 mL over 40 min = 150.0 mL/h.

    The drug volume is ignored (clinical-rules.md §3) unless the protocol says otherwise: pass it as
    ``added_volume_ml`` to include it.
    """
    volume = _decimal("bag_volume_ml", bag_volume_ml) + _decimal("added_volume_ml", added_volume_ml, allow_zero=True)
    return _q(volume * _MIN_PER_H / _decimal("duration_min", duration_min), _RATE_Q)


# --- Dose checks ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DoseFinding:
    """A dose outside a protocol limit. ``value`` and ``limit`` are in ``unit``; ``limit`` is None for a set rule.

    ``override_reason`` holds the prescriber's written reason once an ``override_allowed`` finding is overridden.
    """

    code: str
    severity: Severity
    message: str
    value: Decimal
    limit: Decimal | None
    unit: str
    source: str
    override_reason: str | None = None

    @property
    def blocking(self) -> bool:
        """True for a hard stop, and for an override-allowed finding nobody has overridden yet."""
        if self.severity == "hard_stop":
            return True
        return self.severity == "override_allowed" and self.override_reason is None


@dataclass(frozen=True)
class DoseCheck:
    """The checked dose, what it works out to, and every finding (in check order)."""

    dose_mg: Decimal
    mg_per_kg: Decimal | None
    rate_mg_per_h: Decimal | None
    rate_mg_per_kg_per_h: Decimal | None
    findings: tuple[DoseFinding, ...]

    @property
    def blocked(self) -> bool:
        """True when any finding still blocks the order."""
        return any(finding.blocking for finding in self.findings)

    @property
    def requires_override(self) -> tuple[str, ...]:
        """Codes a prescriber could override (with a written reason) to unblock the order."""
        return tuple(f.code for f in self.findings if f.severity == "override_allowed" and f.override_reason is None)


_SEVERITY_WORDS: Final[Mapping[str, str]] = {
    "hard_stop": "Not allowed.",
    "override_allowed": "Needs a prescriber override with a written reason.",
    "caution": "Caution.",
}


def _finding(
    protocol: Protocol, code: str, text: str, value: Decimal, limit: Decimal | None, unit: str, source: str
) -> DoseFinding:
    severity = protocol.severity(DOSE_FINDING_CODES[code])
    return DoseFinding(code, severity, f"{text} {_SEVERITY_WORDS[severity]}", value, limit, unit, source)


def _fmt(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _range_findings(protocol: Protocol, dose: Decimal, mg_per_kg: Decimal | None) -> list[DoseFinding]:
    ranges: list[tuple[Decimal, Decimal, Decimal, str]] = []
    if protocol.dose_mg_per_kg_min is not None and protocol.dose_mg_per_kg_max is not None and mg_per_kg is not None:
        ranges.append((mg_per_kg, protocol.dose_mg_per_kg_min, protocol.dose_mg_per_kg_max, "mg/kg"))
    if protocol.dose_mg_min is not None and protocol.dose_mg_max is not None:
        ranges.append((dose, protocol.dose_mg_min, protocol.dose_mg_max, "mg"))
    if not ranges or any(low <= value <= high for value, low, high, _ in ranges):
        return []
    value, low, high, unit = ranges[0]
    accepted = " or ".join(f"{_fmt(lo)}–{_fmt(hi)} {u}" for _, lo, hi, u in ranges)
    below = value < low
    text = f"{_fmt(_q(value, _PER_KG_Q))} {unit} is {'below' if below else 'above'} the protocol range ({accepted})."
    code = "dose_below_range" if below else "dose_above_range"
    return [_finding(protocol, code, text, value, low if below else high, unit, protocol.sources[0])]


def _apply_overrides(findings: list[DoseFinding], overrides: Mapping[str, str] | None) -> tuple[DoseFinding, ...]:
    if not overrides:
        return tuple(findings)
    for code, given in overrides.items():
        if code not in DOSE_FINDING_CODES:
            raise ValueError(f"overrides: unknown finding code {code!r}")
        if not isinstance(given, str) or not given.strip():
            raise ValueError(f"overrides: the override of {code!r} needs a written reason")
    result: list[DoseFinding] = []
    for finding in findings:
        reason = overrides.get(finding.code)
        if reason is not None and finding.severity == "hard_stop":
            raise ValueError(f"overrides: {finding.code!r} is a hard stop and cannot be overridden")
        if reason is not None and finding.severity == "override_allowed":
            finding = replace(finding, override_reason=reason.strip())
        result.append(finding)
    return tuple(result)


def check_dose(
    protocol: Protocol,
    *,
    dose_mg: Number,
    dosing_weight_kg: Number | None = None,
    duration_min: Number | None = None,
    daily_mg_before: Number = 0,
    course_mg_before: Number = 0,
    overrides: Mapping[str, str] | None = None,
) -> DoseCheck:
    """Check one racemic-ketamine dose against ``protocol``'s limits (esketamine: :func:`check_esketamine_dose`).

    ``dosing_weight_kg`` is required when the protocol has any mg/kg rule. ``duration_min`` applies to IV protocols
    only (default: the protocol's infusion duration; 0 = IV bolus). ``daily_mg_before`` / ``course_mg_before`` are
    amounts already given today / in this course, for the daily and course caps. ``overrides`` maps finding codes to
    the prescriber's written reason: it clears ``override_allowed`` findings; overriding a hard stop, an unknown code
    or a blank reason raises ``ValueError``.

    Checks, in order: dose range (mg/kg and/or fixed mg; a dose inside either range passes), IV infusion low-dose
    ceiling (mg/kg/h) and the protocol's rate caps, or the bolus ceiling for a dose given at once, daily and course
    caps, and the pain-infusion minimums (duration and total).
    """
    if protocol.esketamine is not None:
        raise ValueError(f"protocol: {protocol.id!r} is esketamine; use check_esketamine_dose")
    dose = _decimal("dose_mg", dose_mg)
    per_kg_rules = (
        protocol.dose_mg_per_kg_min is not None and protocol.dose_mg_min is None,
        protocol.infusion_mg_per_kg_per_h_max is not None,
        protocol.bolus_mg_per_kg_max is not None,
        protocol.rate_mg_per_kg_per_h_max is not None,
    )
    weight = None if dosing_weight_kg is None else _weight("dosing_weight_kg", dosing_weight_kg)
    if weight is None and any(per_kg_rules):
        raise ValueError(f"dosing_weight_kg: required for protocol {protocol.id!r} (it has mg/kg limits)")
    if protocol.route == "iv":
        raw_duration = protocol.infusion_duration_min if duration_min is None else duration_min
        duration = _decimal("duration_min", raw_duration, allow_zero=True)
    elif duration_min is not None and duration_min != 0:
        raise ValueError(f"duration_min: only IV protocols infuse (route is {protocol.route!r})")
    else:
        duration = Decimal(0)
    daily_before = _decimal("daily_mg_before", daily_mg_before, allow_zero=True)
    course_before = _decimal("course_mg_before", course_mg_before, allow_zero=True)

    mg_per_kg = None if weight is None else dose / weight
    rate = dose * _MIN_PER_H / duration if duration > 0 else None
    rate_per_kg = None if rate is None or weight is None else rate / weight
    findings = _range_findings(protocol, dose, mg_per_kg)
    if rate is not None:
        findings.extend(_rate_findings(protocol, rate, rate_per_kg))
    elif (
        protocol.bolus_mg_per_kg_max is not None and mg_per_kg is not None and mg_per_kg > protocol.bolus_mg_per_kg_max
    ):
        shown, ceiling = _fmt(_q(mg_per_kg, _PER_KG_Q)), _fmt(protocol.bolus_mg_per_kg_max)
        text = f"A bolus of {shown} mg/kg is above the ceiling of {ceiling} mg/kg."
        findings.append(
            _finding(
                protocol,
                "bolus_ceiling_exceeded",
                text,
                mg_per_kg,
                protocol.bolus_mg_per_kg_max,
                "mg/kg",
                _SOURCE_LOW_DOSE,
            )
        )
    findings.extend(_total_findings(protocol, dose, duration, daily_before, course_before))
    return DoseCheck(
        dose_mg=_q(dose, _DOSE_Q),
        mg_per_kg=None if mg_per_kg is None else _q(mg_per_kg, _PER_KG_Q),
        rate_mg_per_h=None if rate is None else _q(rate, _RATE_Q),
        rate_mg_per_kg_per_h=None if rate_per_kg is None else _q(rate_per_kg, _PER_KG_Q),
        findings=_apply_overrides(findings, overrides),
    )


def _rate_findings(protocol: Protocol, rate: Decimal, rate_per_kg: Decimal | None) -> list[DoseFinding]:
    findings: list[DoseFinding] = []
    assert rate_per_kg is not None  # IV protocols always have per-kg ceilings, so check_dose required the weight
    shown = _fmt(_q(rate_per_kg, _PER_KG_Q))
    ceiling = protocol.infusion_mg_per_kg_per_h_max
    if ceiling is not None and rate_per_kg > ceiling:
        text = f"{shown} mg/kg/h is above the low-dose infusion ceiling of {_fmt(ceiling)} mg/kg/h."
        findings.append(
            _finding(protocol, "infusion_ceiling_exceeded", text, rate_per_kg, ceiling, "mg/kg/h", _SOURCE_LOW_DOSE)
        )
    per_kg_max = protocol.rate_mg_per_kg_per_h_max
    if per_kg_max is not None and rate_per_kg > per_kg_max:
        text = f"{shown} mg/kg/h is above the protocol rate of {_fmt(per_kg_max)} mg/kg/h."
        findings.append(
            _finding(protocol, "rate_per_kg_above_max", text, rate_per_kg, per_kg_max, "mg/kg/h", _SOURCE_CRPS)
        )
    rate_max = protocol.rate_mg_per_h_max
    if rate_max is not None and rate > rate_max:
        text = f"{_fmt(_q(rate, _RATE_Q))} mg/h is above the maximum of {_fmt(rate_max)} mg/h."
        findings.append(_finding(protocol, "rate_above_max", text, rate, rate_max, "mg/h", _SOURCE_CRPS))
    return findings


def _total_findings(
    protocol: Protocol, dose: Decimal, duration: Decimal, daily_before: Decimal, course_before: Decimal
) -> list[DoseFinding]:
    findings: list[DoseFinding] = []
    for code, cap, total, what in (
        ("daily_total_above_max", protocol.daily_mg_max, daily_before + dose, "today"),
        ("course_total_above_max", protocol.course_mg_max, course_before + dose, "this course"),
    ):
        if cap is not None and total > cap:
            text = f"{_fmt(total)} mg in total {what} is above the maximum of {_fmt(cap)} mg."
            findings.append(_finding(protocol, code, text, total, cap, "mg", _SOURCE_CRPS))
    min_duration = protocol.min_infusion_duration_min
    if min_duration is not None and duration < min_duration:
        text = f"A pain infusion of {_fmt(duration)} min is shorter than the {min_duration} min minimum."
        findings.append(
            _finding(
                protocol, "pain_infusion_too_short", text, duration, Decimal(min_duration), "min", _SOURCE_PAIN_MIN
            )
        )
    min_total = protocol.min_session_total_mg
    if min_total is not None and dose < min_total:
        text = f"A pain infusion of {_fmt(dose)} mg in total is below the {_fmt(min_total)} mg minimum."
        findings.append(
            _finding(protocol, "pain_infusion_total_too_low", text, dose, min_total, "mg", _SOURCE_PAIN_MIN)
        )
    return findings


# --- Esketamine -----------------------------------------------------------------------------------------------------


def _regimen(protocol: Protocol) -> EsketamineRegimen:
    if protocol.esketamine is None:
        raise ValueError(f"protocol: {protocol.id!r} is not an esketamine protocol")
    return protocol.esketamine


def _adult_age(age_years: object) -> int:
    adult = EligibilityThresholds().adult_age_years
    if isinstance(age_years, bool) or not isinstance(age_years, int) or not 0 <= age_years <= MAX_PLAUSIBLE_AGE_YEARS:
        raise ValueError(f"age_years: must be a whole number of years (got {age_years!r})")
    if age_years < adult:
        raise ValueError(f"age_years: esketamine dosing is defined for adults ({adult}+), got {age_years}")
    return age_years


def esketamine_allowed_doses_mg(
    protocol: Protocol, *, age_years: int, indication: str = _TRD, first_dose: bool = False
) -> tuple[Decimal, ...]:
    """Doses allowed for this patient and session (Spravato PI; clinical-rules.md §3 esketamine table).

    Under 65: day 1 56 mg, then 56 or 84 mg. 65 and over: day 1 28 mg, then 28, 56 or 84 mg. MDD with acute
    suicidal ideation: 84 mg (day 1), then 84 or 56 mg. The file gives no suicidal-ideation regimen for 65 and over
    ("—"), so that combination raises ``ValueError`` rather than inventing one.
    """
    regimen = _regimen(protocol)
    age = _adult_age(age_years)
    if indication not in protocol.indications:
        raise ValueError(f"indication: esketamine is dosed for {', '.join(protocol.indications)} (got {indication!r})")
    older = age >= regimen.older_adult_age_years
    if indication == _SI:
        if older:
            raise ValueError(
                f"age_years: no esketamine regimen for suicidal ideation at {regimen.older_adult_age_years} and over "
                "is given (clinical-rules.md §3); use the treatment-resistant depression schedule or decide clinically"
            )
        if first_dose:
            return (regimen.suicidal_ideation_dose_mg,)
        return tuple(sorted({regimen.suicidal_ideation_reduced_dose_mg, regimen.suicidal_ideation_dose_mg}))
    if first_dose:
        return (regimen.day_one_dose_older_adult_mg if older else regimen.day_one_dose_mg,)
    return tuple(d for d in protocol.allowed_doses_mg if older or d not in regimen.older_adult_only_doses_mg)


def check_esketamine_dose(
    protocol: Protocol, *, dose_mg: Number, age_years: int, indication: str = _TRD, first_dose: bool = False
) -> DoseCheck:
    """Validate an esketamine dose: anything outside :func:`esketamine_allowed_doses_mg` is a hard stop.

    Allowed doses are 28 (65 and over only), 56 and 84 mg; day 1 is 56 mg (< 65) or 28 mg (≥ 65); the
    suicidal-ideation regimen is 84 mg, reducible to 56 mg after day 1 (Spravato PI; clinical-rules.md §3).
    """
    dose = _decimal("dose_mg", dose_mg)
    allowed = esketamine_allowed_doses_mg(protocol, age_years=age_years, indication=indication, first_dose=first_dose)
    findings: list[DoseFinding] = []
    if dose not in allowed:
        choices = " or ".join(f"{_fmt(d)} mg" for d in allowed)
        if dose not in protocol.allowed_doses_mg:
            why = f"{_fmt(dose)} mg is not an esketamine dose (28, 56 or 84 mg only)."
        elif first_dose:
            why = f"The first esketamine dose for this patient is {choices}, not {_fmt(dose)} mg."
        elif indication == _SI:
            why = f"For depression with suicidal ideation the dose is {choices}, not {_fmt(dose)} mg."
        else:
            why = f"{_fmt(dose)} mg is only for patients 65 and over; this patient may have {choices}."
        findings.append(_finding(protocol, "esketamine_dose_not_allowed", why, dose, None, "mg", _SOURCE_ESKETAMINE))
    return DoseCheck(
        dose_mg=_q(dose, _DOSE_Q),
        mg_per_kg=None,
        rate_mg_per_h=None,
        rate_mg_per_kg_per_h=None,
        findings=tuple(findings),
    )


@dataclass(frozen=True)
class EsketamineAdministration:
    """How to give an esketamine dose: number of 28 mg devices and when each starts (minutes after the first)."""

    dose_mg: Decimal
    devices: int
    device_offsets_min: tuple[int, ...]


def esketamine_administration(protocol: Protocol, dose_mg: Number) -> EsketamineAdministration:
    """Devices = dose / 28 mg, one every 5 min (Spravato PI; clinical-rules.md §3). A dose not allowed raises."""
    regimen = _regimen(protocol)
    dose = _decimal("dose_mg", dose_mg)
    if dose not in protocol.allowed_doses_mg:
        raise ValueError(f"dose_mg: {_fmt(dose)} mg is not an esketamine dose (28, 56 or 84 mg only)")
    devices = int(dose / regimen.device_mg)
    offsets = tuple(i * regimen.device_interval_min for i in range(devices))
    return EsketamineAdministration(dose_mg=dose, devices=devices, device_offsets_min=offsets)


Phase = Literal["induction", "early_maintenance", "maintenance"]


@dataclass(frozen=True)
class EsketamineSession:
    """One scheduled esketamine session: its number, date, week (1-based), phase and allowed doses."""

    number: int
    date: date
    week: int
    phase: Phase
    allowed_doses_mg: tuple[Decimal, ...]


def _spread(per_week: int) -> tuple[int, ...]:
    """Days of a 7-day week for ``per_week`` evenly spread sessions: 1 → (0,), 2 → (0, 3), 3 → (0, 2, 4)."""
    return tuple(i * 7 // per_week for i in range(per_week))


def _offsets(name: str, offsets: tuple[int, ...], count: int) -> tuple[int, ...]:
    if (
        len(offsets) != count
        or list(offsets) != sorted(set(offsets))
        or any(isinstance(o, bool) or not isinstance(o, int) or not 0 <= o <= 6 for o in offsets)
    ):
        raise ValueError(f"{name}: needs {count} different days 0-6 of the week in increasing order (got {offsets!r})")
    return offsets


def esketamine_schedule(
    protocol: Protocol,
    start_date: date,
    *,
    age_years: int,
    indication: str = _TRD,
    through_week: int | None = None,
    maintenance_interval_weeks: int | None = None,
    twice_weekly_offsets_days: tuple[int, ...] = (0, 3),
) -> tuple[EsketamineSession, ...]:
    """Dated esketamine sessions with phase and allowed doses (Spravato PI; clinical-rules.md §3).

    Week n starts ``start_date + 7 (n − 1)`` days; session 1 is on ``start_date`` (day 1). Treatment-resistant
    depression: weeks 1-4 twice weekly (``twice_weekly_offsets_days`` within the week, default days 0 and 3),
    weeks 5-8 once weekly, week 9 on every ``maintenance_interval_weeks`` (1 or 2; default 2, the least frequent
    the label allows) through ``through_week`` (default 8: the fixed part of the label schedule; pass a later
    week to include maintenance). Suicidal ideation: twice weekly for 4 weeks only (``through_week`` ≤ 4).
    """
    regimen = _regimen(protocol)
    if not isinstance(start_date, date):
        raise ValueError(f"start_date: must be a date (got {start_date!r})")
    esketamine_allowed_doses_mg(protocol, age_years=age_years, indication=indication)  # validates age and indication
    si = indication == _SI
    last_allowed = regimen.suicidal_ideation_weeks if si else None
    week_limit = through_week if through_week is not None else (last_allowed or regimen.early_maintenance_last_week)
    if isinstance(week_limit, bool) or not isinstance(week_limit, int) or week_limit < 1:
        raise ValueError(f"through_week: must be a whole number ≥ 1 (got {through_week!r})")
    if last_allowed is not None and week_limit > last_allowed:
        raise ValueError(f"through_week: the suicidal-ideation regimen lasts {last_allowed} weeks (got {week_limit})")
    interval = (
        max(regimen.maintenance_interval_weeks) if maintenance_interval_weeks is None else maintenance_interval_weeks
    )
    if interval not in regimen.maintenance_interval_weeks:
        raise ValueError(
            f"maintenance_interval_weeks: must be one of {regimen.maintenance_interval_weeks} (got {interval!r})"
        )
    per_week_induction = regimen.suicidal_ideation_sessions_per_week if si else regimen.induction_sessions_per_week
    induction_weeks = regimen.suicidal_ideation_weeks if si else regimen.induction_weeks
    induction_offsets = _offsets("twice_weekly_offsets_days", twice_weekly_offsets_days, per_week_induction)
    weekly_offsets = _spread(regimen.early_maintenance_sessions_per_week)

    sessions: list[EsketamineSession] = []
    for week in range(1, week_limit + 1):
        phase: Phase
        if week <= induction_weeks:
            phase, offsets = "induction", induction_offsets
        elif week <= regimen.early_maintenance_last_week:
            phase, offsets = "early_maintenance", weekly_offsets
        elif (week - regimen.early_maintenance_last_week - 1) % interval == 0:
            phase, offsets = "maintenance", weekly_offsets
        else:
            continue
        for offset in offsets:
            first = not sessions
            allowed = esketamine_allowed_doses_mg(
                protocol, age_years=age_years, indication=indication, first_dose=first
            )
            day = start_date + timedelta(days=7 * (week - 1) + offset)
            sessions.append(EsketamineSession(len(sessions) + 1, day, week, phase, allowed))
    return tuple(sessions)


# --- Series ---------------------------------------------------------------------------------------------------------


def induction_series_dates(
    protocol: Protocol,
    start_date: date,
    *,
    sessions: int | None = None,
    sessions_per_week: int | None = None,
    week_offsets_days: tuple[int, ...] | None = None,
) -> tuple[date, ...]:
    """Dates of an induction series (depression IV: 6 infusions over 2-3 weeks, 2-3 a week; clinical-rules.md §3).

    ``sessions`` defaults to the protocol's series length; ``sessions_per_week`` to its maximum (the shortest series,
    e.g. 6 at 3 a week = 2 weeks) and must lie within the protocol's range. ``week_offsets_days`` are the days of
    each 7-day week (0 = the start date's weekday) with a session; the default spreads them evenly (2 a week: days 0
    and 3; 3 a week: days 0, 2 and 4).
    """
    low, high = protocol.series_sessions_per_week_min, protocol.series_sessions_per_week_max
    if low is None or high is None or protocol.series_sessions is None:
        raise ValueError(f"protocol: {protocol.id!r} defines no weekly induction series")
    if not isinstance(start_date, date):
        raise ValueError(f"start_date: must be a date (got {start_date!r})")
    count = protocol.series_sessions if sessions is None else sessions
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"sessions: must be a whole number ≥ 1 (got {sessions!r})")
    per_week = high if sessions_per_week is None else sessions_per_week
    if isinstance(per_week, bool) or not isinstance(per_week, int) or not low <= per_week <= high:
        raise ValueError(
            f"sessions_per_week: protocol {protocol.id!r} allows {low}-{high} a week (got {sessions_per_week!r})"
        )
    chosen = _spread(per_week) if week_offsets_days is None else week_offsets_days
    offsets = _offsets("week_offsets_days", chosen, per_week)
    weeks = math.ceil(count / per_week)
    dates = [start_date + timedelta(days=7 * week + offset) for week in range(weeks) for offset in offsets]
    return tuple(dates[:count])
