"""From a treatment plan's route and dose to the simulator's doses, and doses of equal exposure by other routes.

The plan screen (issue 6) previews one planned session. Each racemic route is simulated with the model
:func:`preview_model` chooses for it, the one that meets the measured references of pharmacokinetics §2 best:
``clements1981`` (venous sampling; Clements & Nimmo 1981) for every racemic route. At 0.5 mg/kg over 40 min it gives
177 ng/mL at the end of the infusion against 185 ng/mL measured in venous blood (Zarate 2006), and its population
5–95 % band (assumed ω = 0.30) contains that mean; ``kamp2020`` gives 253 ng/mL (+37 %) and its band does not.
One disposition model for every racemic route also keeps the route comparison a comparison of routes, not of
models. ``hijazi2003`` is never offered (as coded its clearance, ~151 L/h at 70 kg, exceeds hepatic blood flow;
unverified). Intranasal, oral and sublingual racemic predictions stay flagged ``uncertain``: no model here meets the
measured intranasal peaks (Pharmacotherapy 2022;42:298) or has the first-pass metabolism of the oral routes (Chong
2006, Grant 1981). ``intranasal_esketamine`` uses ``perez_ruixo2021``, devices of 28 mg given 5 minutes apart as the
label says (clinical-rules.md §3; pharmacokinetics.md §1 perez_ruixo2021).

"Equivalent doses" across racemic routes are the doses that put the same amount of drug into the circulation:
``F_route(dose_route) × dose_route = F_plan(dose_plan) × dose_plan`` with the bioavailabilities of
pharmacokinetics.md §2 (IV 1.0, IM 0.93, sublingual 0.30, oral 0.20, and the measured dose-dependent intranasal F,
0.17 / 0.13 / 0.11 at 10 / 30 / 50 mg, Pharmacotherapy 2022;42:298). They compare shapes of the curves (peak,
timing), not clinical equivalence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .inputs import Dose
from .routes import INTRANASAL_F_BY_DOSE, intranasal_bioavailability
from .routes import bioavailability as _route_bioavailability

__all__ = [
    "DEVICE_INTERVAL_MIN",
    "DEVICE_MG",
    "NOT_IN_PREVIEW",
    "PLAN_ROUTES",
    "PREVIEW_MODELS",
    "RACEMIC_COMPARISON_ROUTES",
    "EquivalentDose",
    "bioavailability",
    "equivalent_doses",
    "model_for",
    "preview_model",
    "sampling_site_label",
    "session_doses",
]

PREVIEW_MODELS: Final[dict[str, str]] = {
    "iv": "clements1981",
    "im": "clements1981",
    "intranasal": "clements1981",
    "oral": "clements1981",
    "sublingual": "clements1981",
}
"""Racemic route → the model the plan preview uses (see the module docstring for why)."""

NOT_IN_PREVIEW: Final[dict[str, str]] = {
    "hijazi2003": "as coded, clearance 36 mL/min/kg (~151 L/h at 70 kg) exceeds hepatic blood flow (~90 L/h); "
    "unverified against Hijazi 2003's table",
}
"""Models the preview never uses, and why."""


def preview_model(route: str) -> str:
    """The model id the plan preview uses for a racemic ``route`` (``iv``, ``im``, ``intranasal``, ``oral``,
    ``sublingual``); ValueError naming ``route`` otherwise.

    ``clements1981`` for every route: venous, 177 ng/mL at the end of 0.5 mg/kg over 40 min against 185 ng/mL
    measured (Zarate 2006). Its extravascular predictions carry ``uncertain`` where pharmacokinetics §2 says so.
    """
    try:
        return PREVIEW_MODELS[route]
    except (KeyError, TypeError):
        raise ValueError(
            f"route: no preview model for {route!r} (racemic routes: {', '.join(PREVIEW_MODELS)})"
        ) from None


PLAN_ROUTES: Final[dict[str, tuple[str, str]]] = {
    **{route: (preview_model(route), route) for route in PREVIEW_MODELS},
    "intranasal_esketamine": ("perez_ruixo2021", "intranasal"),
}
"""Plan route → (PK model, simulator route)."""


def sampling_site_label(site: str | None) -> str:
    """How a chart names the blood its concentrations are in."""
    if site in ("venous", "arterial"):
        return f"{site} plasma"
    return "plasma (sampling site not stated by the model's source)"


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


def bioavailability(route: str, dose_mg: float | None = None) -> float:
    """F of a racemic route at ``dose_mg`` (pharmacokinetics §2); IV is 1 by definition; intranasal F is
    dose-dependent (0.17 / 0.13 / 0.11 at 10 / 30 / 50 mg, Pharmacotherapy 2022;42:298; 0.13 when no dose)."""
    return _route_bioavailability(route, dose_mg)


def _intranasal_dose_for(systemic_mg: float) -> float:
    """The intranasal dose D with ``F(D) × D = systemic_mg`` (F(D) × D rises with D, so one D; bisection)."""
    low, high = 0.0, systemic_mg / min(f for _, f in INTRANASAL_F_BY_DOSE) + 1.0
    for _ in range(200):
        mid = 0.5 * (low + high)
        if intranasal_bioavailability(mid) * mid < systemic_mg:
            low = mid
        else:
            high = mid
    return 0.5 * (low + high)


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
    """Doses of equal systemic exposure for every racemic route: ``F_route(D) × D = F_plan(dose) × dose``.

    Intranasal uses the measured dose-dependent F (Pharmacotherapy 2022;42:298): 35 mg IV is ≈ 318 mg intranasal
    (F 0.11, beyond the studied 10–50 mg), not the ≈ 78 mg the withdrawn 45 % gave. Esketamine (a different drug and
    model) has no racemic equivalent: an empty tuple.
    """
    if plan_route == "intranasal_esketamine":
        model_for(plan_route)
        return ()
    systemic_mg = dose_mg * bioavailability(plan_route, dose_mg)
    equivalents = []
    for route in RACEMIC_COMPARISON_ROUTES:
        dose = _intranasal_dose_for(systemic_mg) if route == "intranasal" else systemic_mg / bioavailability(route)
        equivalents.append(EquivalentDose(route, round(dose, 1), round(bioavailability(route, dose), 4)))
    return tuple(equivalents)
