"""Extravascular absorption defaults for the racemic models (knowledge/pharmacokinetics.md §2).

These are *derived* defaults: a bioavailability F from the literature and a first-order ka chosen so that Tmax
matches the observed value for that disposition model. ka depends strongly on the disposition model, so it is
calibrated per model (computed by the knowledge file's authors with an exact engine; ``tests/domain/pk`` re-checks
the resulting Tmax).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ABSORPTION", "KA_PER_MIN", "Absorption", "absorption"]


@dataclass(frozen=True)
class Absorption:
    """Default absorption of one extravascular route for one disposition model.

    Attributes
    ----------
    route : str
    bioavailability : float
        Fraction of the dose reaching the systemic circulation.
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


# route: (F, observed Tmax in min, source) — knowledge file §2, first table.
ABSORPTION: dict[str, tuple[float, float, str]] = {
    "im": (0.93, 20.0, "F 93 %, Tmax ~20 min: Clements 1982 (via secondary sources); BJA Education"),
    "intranasal": (
        0.45,
        15.0,
        "F ~45 % (Yanagihara 2003), Tmax 15 min (observed 14–23); a 2022 study found 17/13/11 % at 10/30/50 mg "
        "(dose-dependent)",
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


def absorption(model_id: str, route: str) -> Absorption:
    """Default F and ka of ``route`` for the racemic disposition model ``model_id``."""
    bioavailability, tmax, source = ABSORPTION[route]
    return Absorption(route, bioavailability, tmax, KA_PER_MIN[model_id][tmax], source)
