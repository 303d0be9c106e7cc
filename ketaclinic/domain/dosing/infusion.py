"""Infusion arithmetic: weight-based dose, infusion rate, drug volume and pump rate.

Exact ``Decimal`` arithmetic from clinical-rules.md §3 ("Dosing"), rounded half-up to 0.1 mg, 0.01 mL, 0.1 mg/h and
0.1 mL/h. Worked example (clinical-rules.md §3): 80 kg × 0.5 mg/kg = 40 mg; over 40 min that is 60 mg/h; from 10 mg/mL
stock 4 mL; in a 100 mL bag over 40 min the pump runs at 150 mL/h (drug volume ignored unless the protocol says
otherwise). Contract: ``design/CONTRACTS.md`` §4.3.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from ketaclinic.domain.dosing.inputs import (
    _DOSE_Q,
    _MIN_PER_H,
    _RATE_Q,
    _VOLUME_Q,
    Number,
    _decimal,
    _fmt,
    _q,
    _weight,
)

__all__ = [
    "container_fit_problem",
    "drug_volume_ml",
    "infusion_rate_mg_per_h",
    "pump_rate_ml_per_h",
    "weight_based_dose_mg",
]


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


def container_fit_problem(
    dose_mg: Number,
    concentration_mg_per_ml: Number,
    container_ml: Number,
    *,
    strengths_mg_per_ml: tuple[Decimal, ...],
    container: str = "bag",
) -> str | None:
    """Why ``dose_mg`` at ``concentration_mg_per_ml`` cannot go into a ``container_ml`` bag or syringe, or None.

    Physical sense: the ketamine drawn up must fit the container it is given from. The message names the strengths
    of ``strengths_mg_per_ml`` that would fit, or the smallest container that would (at the strongest stock).
    410 mL of 10 mg/mL does not fit a 100 mL bag; 50 mg/mL (82 mL) would not either, 100 mg/mL (41 mL) would.
    """
    volume = drug_volume_ml(dose_mg, concentration_mg_per_ml)
    size = _decimal("container_ml", container_ml)
    if volume <= size:
        return None
    problem = (
        f"{volume} mL of {_fmt(_decimal('concentration_mg_per_ml', concentration_mg_per_ml))} mg/mL ketamine does not "
        f"fit a {_fmt(size)} mL {container}."
    )
    fitting = [(s, drug_volume_ml(dose_mg, s)) for s in sorted(strengths_mg_per_ml)]
    fits = [f"{_fmt(s)} mg/mL ({v} mL)" for s, v in fitting if v <= size]
    if fits:
        return f"{problem} It would fit at {' or '.join(fits)}."
    strongest, smallest = fitting[-1]
    advice = f"use a {container} of at least {smallest} mL"
    return f"{problem} No strength fits: even {_fmt(strongest)} mg/mL is {smallest} mL; {advice}."
