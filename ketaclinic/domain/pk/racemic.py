"""The five mammillary models of racemic ketamine (knowledge/pharmacokinetics.md §1, §2).

``domino1984``, ``clements1981`` and ``hijazi2003`` are published as a central volume per kg and micro-constants;
the peripheral volumes and clearances are derived from them (``V2 = V1·k12/k21`` …), never hard-coded.
``kamp2020`` (the default) and ``herd2007`` are published per 70 kg. Extravascular routes go through one
first-order depot per route with the per-model defaults of :mod:`.routes`. None of these models has a metabolite:
oral and sublingual doses form much norketamine before reaching the circulation, which they do not predict.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from .inputs import EXTRAVASCULAR_ROUTES, ROUTES, Dose, Subject
from .measured import route_check
from .model import ASSUMED_OMEGA, Model, ModelInfo, Parameters, RandomEffects, add_effect_site, register
from .routes import absorption
from .system import LinearSystem, SystemBuilder

__all__ = ["Mammillary"]

FloatArray = NDArray[np.float64]

_ASSUMED = (
    "assumed: log-normal ω = 0.30 on every volume and clearance (no between-subject variability was published "
    "for this model)"
)
UNCERTAIN_ROUTES = ("oral", "sublingual")


def _from_micro(
    v1_l: float, k10: float, k12: float, k21: float, k13: float = 0.0, k31: float = 0.0
) -> dict[str, float]:
    """Volumes (L) and clearances (L/min) from a central volume and micro-constants (min⁻¹)."""
    params = {
        "v1_l": v1_l,
        "v2_l": v1_l * k12 / k21,
        "cl_l_per_min": v1_l * k10,
        "q2_l_per_min": v1_l * k12,
    }
    if k13:
        params["v3_l"] = v1_l * k13 / k31
        params["q3_l_per_min"] = v1_l * k13
    return params


def _per_70kg(
    subject: Subject, volumes: dict[str, float], clearances_l_per_h: dict[str, float], exponent: float
) -> dict[str, float]:
    """Volumes × (WT/70); clearances (given in L/h) × (WT/70)^exponent, returned in L/min."""
    ratio = subject.weight_kg / 70.0
    params = {name: value * ratio for name, value in volumes.items()}
    params.update({name: value / 60.0 * ratio**exponent for name, value in clearances_l_per_h.items()})
    return params


class Mammillary(Model):
    """Two- or three-compartment mammillary model with first-order depots for extravascular routes.

    Parameters
    ----------
    info : ModelInfo
    typical : callable
        ``Subject -> {"v1_l", "v2_l", ["v3_l"], "cl_l_per_min", "q2_l_per_min", ["q3_l_per_min"]}``.
    random_effects : RandomEffects
    """

    def __init__(
        self, info: ModelInfo, typical: Callable[[Subject], dict[str, float]], random_effects: RandomEffects
    ) -> None:
        self.info = info
        self._typical = typical
        self.random_effects = random_effects

    def typical(self, subject: Subject) -> dict[str, float]:
        return self._typical(subject)

    def clearance_l_per_min(self, params: Parameters) -> FloatArray:
        return np.asarray(params["cl_l_per_min"], dtype=np.float64)

    def central_volume_l(self, params: Parameters) -> FloatArray:
        return np.asarray(params["v1_l"], dtype=np.float64)

    def assemble(self, params: Parameters, doses: Sequence[Dose], ke0_per_min: float | None) -> LinearSystem:
        self.check_doses(doses)
        used = {dose.route for dose in doses}
        depots = tuple(f"depot_{route}" for route in EXTRAVASCULAR_ROUTES if route in used)
        three = "v3_l" in params
        states = (
            *depots,
            "central",
            "peripheral1",
            *(("peripheral2",) if three else ()),
            *(("effect",) if ke0_per_min is not None else ()),
        )
        v1 = params["v1_l"]
        b = SystemBuilder(len(v1), states)
        b.flow("central", None, params["cl_l_per_min"] / v1)
        b.flow("central", "peripheral1", params["q2_l_per_min"] / v1)
        b.flow("peripheral1", "central", params["q2_l_per_min"] / params["v2_l"])
        if three:
            b.flow("central", "peripheral2", params["q3_l_per_min"] / v1)
            b.flow("peripheral2", "central", params["q3_l_per_min"] / params["v3_l"])
        for route in EXTRAVASCULAR_ROUTES:
            if route in used:
                b.flow(f"depot_{route}", "central", absorption(self.info.id, route).ka_per_min)
        add_effect_site(b, "central", ke0_per_min)
        for dose in doses:
            if dose.route == "iv":
                b.zero_order("central", dose.start_min, dose.duration_min, dose.amount_mg)
            else:
                # F at this dose: intranasal F falls with the dose (Pharmacotherapy 2022;42:298)
                b.bolus(
                    f"depot_{dose.route}",
                    dose.start_min,
                    absorption(self.info.id, dose.route, dose.amount_mg).bioavailability * dose.amount_mg,
                )
        b.output("plasma", "central", 1000.0 / v1)
        if ke0_per_min is not None:
            b.output("effect_site", "effect", 1000.0 / v1)
        return b.build()

    def route_notes(self, doses: Sequence[Dose], subject: Subject) -> tuple[tuple[str, ...], bool]:
        """Absorption defaults per route, and the measured references of each route (pharmacokinetics §2).

        A route is flagged uncertain when this model misses one of its measured means by more than 30 %
        (:func:`.measured.route_check`); oral and sublingual always are, because these models have no first-pass
        metabolism and no norketamine.
        """
        notes: list[str] = []
        uncertain = False
        used = [route for route in ROUTES if route in {dose.route for dose in doses}]
        for route in used:
            if route != "iv":
                default = absorption(self.info.id, route)
                if route == "intranasal":
                    given = sorted({d.amount_mg for d in doses if d.route == route})
                    f_text = ", ".join(
                        f"{absorption(self.info.id, route, mg).bioavailability:.2f} at {mg:g} mg" for mg in given
                    )
                else:
                    f_text = f"{default.bioavailability:.2f}"
                notes.append(
                    f"{route}: derived default absorption F = {f_text}, ka = {default.ka_per_min} min⁻¹ "
                    f"(calibrated so Tmax ≈ {default.tmax_target_min:.0f} min with this model; {default.source})."
                )
            reason = (
                "no first-pass metabolism in this model, and it does not predict norketamine, whose exposure after "
                "oral dosing is several times the parent's"
                if route in UNCERTAIN_ROUTES
                else None
            )
            route_notes, flagged = route_check(self, route, reason=reason)
            notes.extend(route_notes)
            uncertain = uncertain or flagged
        if self.info.id == "domino1984" and any(route != "iv" for route in used):
            notes.append("domino1984 has a tiny V1: extravascular peaks are unrealistically early and high.")
        return tuple(notes), uncertain


_RACEMIC_ROUTES = ("iv", "im", "intranasal", "oral", "sublingual")
_NO_ABSORPTION = "iv only: the model was built from intravenous data and has no absorption defaults."


def _assumed_effects(names: Sequence[str]) -> RandomEffects:
    return RandomEffects.diagonal(dict.fromkeys(names, ASSUMED_OMEGA))


_THREE = ("v1_l", "v2_l", "v3_l", "cl_l_per_min", "q2_l_per_min", "q3_l_per_min")
_TWO = ("v1_l", "v2_l", "cl_l_per_min", "q2_l_per_min")

register(
    Mammillary(
        ModelInfo(
            id="domino1984",
            title="Racemic ketamine, adults, 3-compartment (STANPUMP / TCI pumps)",
            citation="Domino EF et al. Clin Pharmacol Ther 1984;36:645 (as used by STANPUMP and TCI pumps)",
            drug="racemic ketamine",
            population="adults",
            sampling_site=None,
            routes=_RACEMIC_ROUTES,
            metabolite=None,
            metabolite_units=None,
            parameter_source="paper micro-constants: V1 0.063 L/kg; k10 0.438, k12 0.592, k21 0.247, k13 0.590, "
            "k31 0.0146 min⁻¹ (V2, V3 and clearances derived)",
            variability=_ASSUMED,
            variability_assumed=True,
            notes=("Kept for TCI parity, not as the default: its tiny V1 gives unrealistic early peaks.",),
        ),
        lambda s: _from_micro(0.063 * s.weight_kg, 0.438, 0.592, 0.247, 0.590, 0.0146),
        _assumed_effects(_THREE),
    )
)

register(
    Mammillary(
        ModelInfo(
            id="clements1981",
            title="Racemic ketamine, 250 µg/kg IV bolus, 2-compartment",
            citation="Clements JA, Nimmo WS. Br J Anaesth 1981;53:27 (as coded in opentiva)",
            drug="racemic ketamine",
            population="adults",
            sampling_site="venous",
            routes=_RACEMIC_ROUTES,
            metabolite=None,
            metabolite_units=None,
            parameter_source="as coded in opentiva: V1 1.7522 L/kg; k10 0.0109, k12 0.0186, k21 0.0137 min⁻¹",
            variability=_ASSUMED,
            variability_assumed=True,
        ),
        lambda s: _from_micro(1.7522 * s.weight_kg, 0.0109, 0.0186, 0.0137),
        _assumed_effects(_TWO),
    )
)

register(
    Mammillary(
        ModelInfo(
            id="hijazi2003",
            title="Racemic ketamine, ICU patients with brain or spinal injury, 2-compartment",
            citation="Hijazi Y et al. Br J Anaesth 2003;90:155 (as coded in opentiva)",
            drug="racemic ketamine",
            population="ICU patients with brain or spinal cord injury",
            sampling_site=None,
            routes=("iv",),
            metabolite=None,
            metabolite_units=None,
            parameter_source="as coded in opentiva: V1 1.08 L/kg; k10 0.0333, k12 0.0088, k21 0.0030 min⁻¹ "
            "(paper: CL 36 mL/min/kg, t½ 4.9 h)",
            variability=_ASSUMED,
            variability_assumed=True,
            notes=(
                _NO_ABSORPTION,
                "Unverified, for research use only, never in the plan preview: as coded, clearance is 36 mL/min/kg "
                "(about 151 L/h at 70 kg), above hepatic blood flow (about 90 L/h) for a drug cleared by the liver; "
                "the parameters still have to be checked against Hijazi 2003's table.",
            ),
        ),
        lambda s: _from_micro(1.08 * s.weight_kg, 0.0333, 0.0088, 0.0030),
        _assumed_effects(_TWO),
    )
)

register(
    Mammillary(
        ModelInfo(
            id="kamp2020",
            title="Racemic ketamine, meta-analytic 3-compartment (default)",
            citation="Kamp J et al. Anesthesiology 2020;133:1192 (as coded in opentiva)",
            drug="racemic ketamine",
            population="adults (meta-analysis of published studies)",
            sampling_site=None,
            routes=_RACEMIC_ROUTES,
            metabolite=None,
            metabolite_units=None,
            parameter_source="as coded in opentiva, per 70 kg with linear weight scaling: V1 25, V2 56, V3 157 L; "
            "CL 84, Q2 161, Q3 79 L/h (paper's meta-analytic means: CL 79 L/h, V 252 L per 70 kg)",
            variability=_ASSUMED,
            variability_assumed=True,
        ),
        lambda s: _per_70kg(
            s,
            {"v1_l": 25.0, "v2_l": 56.0, "v3_l": 157.0},
            {"cl_l_per_min": 84.0, "q2_l_per_min": 161.0, "q3_l_per_min": 79.0},
            exponent=1.0,
        ),
        _assumed_effects(_THREE),
    )
)

register(
    Mammillary(
        ModelInfo(
            id="herd2007",
            title="Racemic ketamine, children in emergency-department sedation, 2-compartment",
            citation="Herd DW et al. 2007 (children, emergency-department sedation)",
            drug="racemic ketamine",
            population="children",
            sampling_site=None,
            routes=_RACEMIC_ROUTES,
            metabolite=None,
            metabolite_units=None,
            parameter_source="per 70 kg, allometric (volumes × WT/70, clearances × (WT/70)^0.75): V1 38.7, "
            "V2 102 L; CL 90, Q 215 L/h",
            variability="published CV: V1 64 %, V2 51.7 %, CL 38.1 %, Q 19 % (ω = CV/100, log-normal)",
            variability_assumed=False,
            notes=("Derived in children: extrapolating to adults is uncertain.",),
        ),
        lambda s: _per_70kg(
            s, {"v1_l": 38.7, "v2_l": 102.0}, {"cl_l_per_min": 90.0, "q2_l_per_min": 215.0}, exponent=0.75
        ),
        RandomEffects.diagonal({"v1_l": 0.64, "v2_l": 0.517, "cl_l_per_min": 0.381, "q2_l_per_min": 0.19}),
    )
)
