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

The package is split by concept: ``inputs`` (number reading, bounds and rounding), ``weights`` (dosing weight),
``infusion`` (dose, rate, volume and pump arithmetic), ``checks`` (protocol dose checks), ``esketamine`` (allowed doses,
devices and the label schedule) and ``series`` (induction series dates).
"""

from __future__ import annotations

from ketaclinic.domain.dosing.checks import (
    ABSOLUTE_FINDING_CODES,
    COSIGN_FINDING_CODES,
    DOSE_FINDING_CODES,
    DoseCheck,
    DoseFinding,
    check_dose,
)
from ketaclinic.domain.dosing.esketamine import (
    EsketamineAdministration,
    EsketamineSession,
    Phase,
    check_esketamine_dose,
    esketamine_administration,
    esketamine_allowed_doses_mg,
    esketamine_schedule,
    esketamine_source,
)
from ketaclinic.domain.dosing.infusion import (
    container_fit_problem,
    drug_volume_ml,
    infusion_rate_mg_per_h,
    pump_rate_ml_per_h,
    weight_based_dose_mg,
)
from ketaclinic.domain.dosing.inputs import MAX_PLAUSIBLE_WEIGHT_KG, PLAUSIBLE_HEIGHT_CM, Number
from ketaclinic.domain.dosing.series import induction_series_dates
from ketaclinic.domain.dosing.weights import (
    ADJUSTED_WEIGHT_FACTOR,
    DEVINE_BASE_KG,
    DEVINE_KG_PER_INCH_OVER_60,
    DEVINE_MIN_HEIGHT_IN,
    IDEAL_WEIGHT_BMI_KG_PER_M2,
    INCH_CM,
    DosingWeights,
    adjusted_body_weight_kg,
    dosing_weight_kg,
    dosing_weights,
    ideal_body_weight_kg,
)

__all__ = [
    "ABSOLUTE_FINDING_CODES",
    "ADJUSTED_WEIGHT_FACTOR",
    "COSIGN_FINDING_CODES",
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
    "container_fit_problem",
    "dosing_weight_kg",
    "dosing_weights",
    "drug_volume_ml",
    "esketamine_administration",
    "esketamine_allowed_doses_mg",
    "esketamine_schedule",
    "esketamine_source",
    "ideal_body_weight_kg",
    "induction_series_dates",
    "infusion_rate_mg_per_h",
    "pump_rate_ml_per_h",
    "weight_based_dose_mg",
]
