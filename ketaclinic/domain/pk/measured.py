"""Measured references every racemic prediction is checked against (knowledge/pharmacokinetics.md §2).

A model's typical-value prediction for a typical 70 kg adult must come within 30 % of each measured mean for the
route; otherwise the prediction is flagged ``uncertain`` and the measured values are shown beside the curve
(:func:`route_check`). The comparisons are computed with the model itself, once per model and route, so a model
that meets a reference is never flagged for it and one that misses always is.

References (all racemic ketamine, adults):

- IV 0.5 mg/kg over 40 min, end of infusion: 185 ng/mL in **venous** blood (Zarate 2006, via Zanos 2018 Pharmacol
  Rev Table 1); 100–250 ng/mL (Krystal 1994).
- Intranasal 10 / 30 / 50 mg: Cmax 22.9 / 60.8 / 77.6 ng/mL, Tmax 23 / 14 / 16 min (Pharmacotherapy 2022;42:298,
  with an IV reference giving F 17 / 13 / 11 %).
- Oral 25 mg: Cmax 22.8 ng/mL at 0.96 h; sublingual 25 mg: 28.6 ng/mL at 0.76 h (Chong 2006). Oral 0.5 mg/kg:
  45 ± 10 ng/mL (Grant 1981; 35 mg for 70 kg).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .engine import solve
from .inputs import Dose, Subject
from .model import Model, sample_parameters

__all__ = ["MEASURED", "TOLERANCE", "Comparison", "MeasuredReference", "compare", "route_check"]

#: A typical-value prediction within 30 % of a measured mean meets it (knowledge file §2).
TOLERANCE = 0.30
REFERENCE_SUBJECT = Subject(weight_kg=70.0)
_GRID_MIN = np.arange(0.0, 721.0)


@dataclass(frozen=True)
class MeasuredReference:
    """One measured mean concentration for racemic ketamine.

    Attributes
    ----------
    route : str
    dose : Dose
        What was given (for a typical 70 kg adult where the dose was per kg).
    measured_ng_ml : float
        The measured mean.
    at_min : float or None
        The time the value was measured (end of infusion); None compares the peak (Cmax).
    description : str
        The dose and what was measured, for the notes.
    source : str
        Author/year (or journal) of the measurement.
    """

    route: str
    dose: Dose
    measured_ng_ml: float
    at_min: float | None
    description: str
    source: str


MEASURED: tuple[MeasuredReference, ...] = (
    MeasuredReference(
        "iv",
        Dose("iv", 35.0, duration_min=40.0),
        185.0,
        40.0,
        "0.5 mg/kg over 40 min, end of infusion, venous",
        "Zarate 2006, via Zanos 2018 Pharmacol Rev Table 1; 100–250 ng/mL in Krystal 1994",
    ),
    MeasuredReference(
        "intranasal", Dose("intranasal", 10.0), 22.9, None, "10 mg, Cmax (Tmax 23 min)", "Pharmacotherapy 2022;42:298"
    ),
    MeasuredReference(
        "intranasal", Dose("intranasal", 30.0), 60.8, None, "30 mg, Cmax (Tmax 14 min)", "Pharmacotherapy 2022;42:298"
    ),
    MeasuredReference(
        "intranasal", Dose("intranasal", 50.0), 77.6, None, "50 mg, Cmax (Tmax 16 min)", "Pharmacotherapy 2022;42:298"
    ),
    MeasuredReference("oral", Dose("oral", 25.0), 22.8, None, "25 mg, Cmax (Tmax 0.96 h)", "Chong 2006"),
    MeasuredReference("oral", Dose("oral", 35.0), 45.0, None, "0.5 mg/kg (35 mg at 70 kg), Cmax 45 ± 10", "Grant 1981"),
    MeasuredReference("sublingual", Dose("sublingual", 25.0), 28.6, None, "25 mg, Cmax (Tmax 0.76 h)", "Chong 2006"),
)


@dataclass(frozen=True)
class Comparison:
    """A model's typical-value prediction next to one measured reference."""

    reference: MeasuredReference
    predicted_ng_ml: float

    @property
    def ratio(self) -> float:
        """Predicted / measured."""
        return self.predicted_ng_ml / self.reference.measured_ng_ml

    @property
    def meets(self) -> bool:
        """Within ±30 % of the measured mean."""
        return abs(self.ratio - 1.0) <= TOLERANCE + 1e-12

    def describe(self) -> str:
        ref = self.reference
        return (
            f"{ref.description}: measured {ref.measured_ng_ml:g} ng/mL ({ref.source}); "
            f"this model {self.predicted_ng_ml:.0f} ng/mL ({self.ratio - 1.0:+.0%})"
        )


_CACHE: dict[tuple[str, str], tuple[Comparison, ...]] = {}


def compare(model: Model, route: str) -> tuple[Comparison, ...]:
    """The model's typical 70 kg predictions against every measured reference of ``route`` (cached).

    Only racemic-ketamine models are compared (the references are racemic); others give an empty tuple.
    """
    key = (model.info.id, route)
    if key not in _CACHE:
        found: list[Comparison] = []
        if model.info.drug == "racemic ketamine" and route in model.info.routes:
            params = sample_parameters(model, REFERENCE_SUBJECT, 1, None)
            for ref in (r for r in MEASURED if r.route == route):
                solution = solve(model.assemble(params, (ref.dose,), None), _GRID_MIN)
                if ref.at_min is None:
                    predicted = float(solution.cmax_ng_ml["plasma"][0])
                else:
                    predicted = float(np.interp(ref.at_min, _GRID_MIN, solution.series["plasma"][0]))
                found.append(Comparison(ref, predicted))
        _CACHE[key] = tuple(found)
    return _CACHE[key]


def route_check(model: Model, route: str, *, reason: str | None = None) -> tuple[tuple[str, ...], bool]:
    """Notes with the measured values for ``route`` and whether the prediction is flagged uncertain.

    Flagged when the model misses any measured mean of the route by more than 30 %, or whenever ``reason`` is
    given (a structural reason, e.g. no first-pass metabolism); the note names the measured values either way.
    """
    comparisons = compare(model, route)
    missed = any(not c.meets for c in comparisons)
    if not missed and reason is None:
        return (), False
    why = reason or "this model misses a measured value by more than 30 %"
    measured = "; ".join(c.describe() for c in comparisons)
    return (f"Uncertain ({route}): {why}. Measured: {measured}.",), True
