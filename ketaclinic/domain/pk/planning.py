"""From a treatment plan's route and dose to the simulator's doses, and doses of equal exposure by other routes.

The plan screen (issue 6) previews one planned session. Routes use the eligibility vocabulary
(clinical-rules.md §1): racemic routes are simulated with the default disposition model ``kamp2020`` and its
calibrated absorption (pharmacokinetics.md §2); ``intranasal_esketamine`` with ``perez_ruixo2021``, devices of
28 mg given 5 minutes apart as the label says (clinical-rules.md §3; pharmacokinetics.md §1 perez_ruixo2021).

"Equivalent doses" across racemic routes are the doses that put the same amount of drug into the circulation:
``dose_route = dose_plan × F_plan / F_route`` with the bioavailabilities of pharmacokinetics.md §2 (IV 1.0, IM 0.93,
intranasal 0.45, sublingual 0.30, oral 0.20). They compare shapes of the curves (peak, timing), not clinical
equivalence: oral and sublingual predictions are uncertain (pharmacokinetics.md §4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .inputs import Dose
from .routes import ABSORPTION

__all__ = [
    "DEVICE_INTERVAL_MIN",
    "DEVICE_MG",
    "PLAN_ROUTES",
    "RACEMIC_COMPARISON_ROUTES",
    "EquivalentDose",
    "bioavailability",
    "equivalent_doses",
    "model_for",
    "session_doses",
]

PLAN_ROUTES: Final[dict[str, tuple[str, str]]] = {
    "iv": ("kamp2020", "iv"),
    "im": ("kamp2020", "im"),
    "intranasal": ("kamp2020", "intranasal"),
    "oral": ("kamp2020", "oral"),
    "sublingual": ("kamp2020", "sublingual"),
    "intranasal_esketamine": ("perez_ruixo2021", "intranasal"),
}
"""Plan route → (PK model, simulator route). kamp2020 is the default racemic model (pharmacokinetics.md §1)."""

DEVICE_MG: Final = 28.0
"""One esketamine device = 28 mg (clinical-rules.md §3)."""
DEVICE_INTERVAL_MIN: Final = 5.0
"""5 minutes between devices (clinical-rules.md §3)."""

RACEMIC_COMPARISON_ROUTES: Final = ("iv", "im", "intranasal", "sublingual", "oral")


def model_for(plan_route: str) -> tuple[str, str]:
    """(model id, simulator route) for a plan route; an unknown route raises ValueError naming it."""
    try:
        return PLAN_ROUTES[plan_route]
    except KeyError:
        raise ValueError(f"plan_route: unknown route {plan_route!r}") from None


def bioavailability(route: str) -> float:
    """F of a racemic route (pharmacokinetics.md §2); IV is 1 by definition."""
    if route == "iv":
        return 1.0
    try:
        return ABSORPTION[route][0]
    except KeyError:
        raise ValueError(f"route: no bioavailability for {route!r}") from None


def session_doses(plan_route: str, dose_mg: float, *, duration_min: float = 0.0) -> list[Dose]:
    """The simulator doses of one session: an IV infusion over ``duration_min`` (0 = bolus), one extravascular dose,
    or esketamine devices of 28 mg every 5 min."""
    _, route = model_for(plan_route)
    if dose_mg <= 0:
        raise ValueError(f"dose_mg: must be positive, not {dose_mg}")
    if plan_route == "intranasal_esketamine":
        devices = dose_mg / DEVICE_MG
        if devices != int(devices):
            raise ValueError(f"dose_mg: esketamine doses are whole devices of {DEVICE_MG:g} mg, not {dose_mg:g} mg")
        return [Dose(route=route, amount_mg=DEVICE_MG, start_min=i * DEVICE_INTERVAL_MIN) for i in range(int(devices))]
    if plan_route == "iv":
        return [Dose(route="iv", amount_mg=dose_mg, duration_min=duration_min)]
    if duration_min:
        raise ValueError(f"duration_min: only IV doses are infused (route {plan_route!r})")
    return [Dose(route=route, amount_mg=dose_mg)]


@dataclass(frozen=True)
class EquivalentDose:
    """A dose by ``route`` that delivers the same systemic amount as the plan's dose."""

    route: str
    dose_mg: float
    bioavailability: float


def equivalent_doses(plan_route: str, dose_mg: float) -> tuple[EquivalentDose, ...]:
    """Doses of equal systemic exposure for every racemic route (``dose × F_plan / F_route``).

    Esketamine (a different drug and model) has no racemic equivalent: an empty tuple.
    """
    if plan_route == "intranasal_esketamine":
        model_for(plan_route)
        return ()
    systemic_mg = dose_mg * bioavailability(plan_route)
    return tuple(
        EquivalentDose(route, round(systemic_mg / bioavailability(route), 1), bioavailability(route))
        for route in RACEMIC_COMPARISON_ROUTES
    )
