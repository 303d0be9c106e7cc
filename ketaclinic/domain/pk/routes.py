"""Extravascular absorption defaults for the racemic models (knowledge/pharmacokinetics.md §2).

These are *derived* defaults: a bioavailability F from the literature and a first-order ka chosen so that Tmax
matches the observed value for that disposition model. ka depends strongly on the disposition model, so it is
calibrated per model (computed by the knowledge file's authors with an exact engine; ``tests/domain/pk`` re-checks
the resulting Tmax).

Intranasal racemic F is dose-dependent: 17 / 13 / 11 % at 10 / 30 / 50 mg with an IV reference (Pharmacotherapy
2022;42:298, n = 7–10 per arm), interpolated linearly between those doses and held at the end values outside them.
It replaces the 45 % of Yanagihara 2003 (n = 3), which over-stated intranasal exposure 3.5-fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ABSORPTION",
    "INTRANASAL_F_BY_DOSE",
    "KA_PER_MIN",
    "Absorption",
    "absorption",
    "bioavailability",
    "intranasal_bioavailability",
]


@dataclass(frozen=True)
class Absorption:
    """Default absorption of one extravascular route for one disposition model.

    Attributes
    ----------
    route : str
    bioavailability : float
        Fraction of the dose reaching the systemic circulation (for intranasal: at the dose asked for, or at the
        middle studied dose, 30 mg, when no dose is given).
    tmax_target_min : float
        Observed Tmax the ka was calibrated to (min).
    ka_per_min : float
        First-order absorption rate constant (min⁻¹).
    source : str
        Where F and Tmax come from.
    """

    route: str
    bioavailability: float
    tmax_target_min: float
    ka_per_min: float
    source: str


#: Intranasal racemic ketamine: (dose mg, F) measured against an IV reference (Pharmacotherapy 2022;42:298).
INTRANASAL_F_BY_DOSE: tuple[tuple[float, float], ...] = ((10.0, 0.17), (30.0, 0.13), (50.0, 0.11))

# route: (F, observed Tmax in min, source) — knowledge file §2, first table. Intranasal F here is the 30 mg value;
# the dose-dependent F is :func:`intranasal_bioavailability`.
ABSORPTION: dict[str, tuple[float, float, str]] = {
    "im": (0.93, 20.0, "F 93 %, Tmax ~20 min: Clements 1982 (via secondary sources); BJA Education"),
    "intranasal": (
        0.13,
        15.0,
        "F dose-dependent, 17 / 13 / 11 % at 10 / 30 / 50 mg (Pharmacotherapy 2022;42:298, IV reference), "
        "interpolated and held at the end values outside 10–50 mg; Tmax 15 min (observed 14–23)",
    ),
    "oral": (0.20, 60.0, "F 20 % (Chong 2006: 23 ± 9 %, Tmax 0.96 h; classic 17–20 %)"),
    "sublingual": (0.30, 45.0, "F 30 % (Chong 2006: 32 ± 17 %, Tmax 0.76 h; Rolan 2014: 29 %, 0.75 h)"),
}

# model: {Tmax target (min): ka (min⁻¹)} — knowledge file §2, second table.
KA_PER_MIN: dict[str, dict[float, float]] = {
    "kamp2020": {15.0: 0.031, 20.0: 0.023, 45.0: 0.012, 60.0: 0.009},
    "herd2007": {15.0: 0.050, 20.0: 0.034, 45.0: 0.017, 60.0: 0.013},
    "clements1981": {15.0: 0.133, 20.0: 0.086, 45.0: 0.024, 60.0: 0.015},
    "domino1984": {15.0: 0.016, 20.0: 0.011, 45.0: 0.0065, 60.0: 0.0057},
}


def intranasal_bioavailability(amount_mg: float) -> float:
    """F of racemic intranasal ketamine at this dose: 0.17 / 0.13 / 0.11 at 10 / 30 / 50 mg.

    Measured against an IV reference (Pharmacotherapy 2022;42:298); linear between the studied doses, held at
    0.17 below 10 mg and 0.11 above 50 mg (beyond the studied range: an extrapolation).
    """
    doses, fractions = zip(*INTRANASAL_F_BY_DOSE, strict=True)
    return float(np.interp(amount_mg, doses, fractions))


def bioavailability(route: str, amount_mg: float | None = None) -> float:
    """F of a racemic route at this dose (IV 1 by definition; intranasal dose-dependent when a dose is given)."""
    if route == "iv":
        return 1.0
    if route == "intranasal" and amount_mg is not None:
        return intranasal_bioavailability(amount_mg)
    try:
        return ABSORPTION[route][0]
    except KeyError:
        raise ValueError(f"route: no bioavailability for {route!r}") from None


def absorption(model_id: str, route: str, amount_mg: float | None = None) -> Absorption:
    """Default F and ka of ``route`` for the racemic disposition model ``model_id`` (F at ``amount_mg`` if given)."""
    _, tmax, source = ABSORPTION[route]
    return Absorption(route, bioavailability(route, amount_mg), tmax, KA_PER_MIN[model_id][tmax], source)
