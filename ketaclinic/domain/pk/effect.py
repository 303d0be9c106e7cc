"""Deriving ke0 from a time to peak effect (knowledge/pharmacokinetics.md §1, domino1984 "ke0").

No model ships a default ke0. Given a time to peak effect ``t_peak`` (e.g. the 1 min used by opentiva for
racemic ketamine), ke0 is the value for which the effect-site concentration after an IV bolus peaks at
``t_peak`` for the typical subject — the STANPUMP / Shafer & Gregg (1992) method. The effect site peaks where
``dCe/dt = ke0 (Cp − Ce) = 0``, i.e. where ``Ce(t_peak) = Cp(t_peak)``. With the bolus response
``Cp(t) = Σ a_i exp(λ_i t)`` (eigendecomposition of the model's system, so any structure works),

    Ce(t) = Σ a_i ke0 (exp(λ_i t) − exp(−ke0 t)) / (λ_i + ke0),

and ``Cp(t_peak) − Ce(t_peak)`` falls monotonically from positive (small ke0: the peak comes later) to negative
(large ke0: Ce tracks Cp closely and is past its peak), so ``brentq`` on log ke0 finds the unique root.

References
----------
Shafer SL, Gregg KM. Algorithms to rapidly achieve and maintain stable drug concentrations at the site of drug
effect with a computer-controlled infusion pump. J Pharmacokinet Biopharm 1992;20:147-169.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import brentq

from .catalogue import DEFAULT_MODEL, get_model, sample_parameters
from .inputs import Dose, Subject, require_positive

__all__ = ["KE0_RANGE_PER_MIN", "ke0_from_t_peak"]

#: Search interval for ke0 (min⁻¹).
KE0_RANGE_PER_MIN = (1e-5, 1e3)


def _bolus_modes(model_id: str, subject: Subject) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Amplitudes a_i (ng/mL per mg) and rates λ_i (min⁻¹) of the typical plasma response to a 1 mg IV bolus."""
    model = get_model(model_id)  # every model has an iv route
    params = sample_parameters(model, subject, 1, None)
    system = model.assemble(params, [Dose("iv", 1.0)], None)
    lam, vec = np.linalg.eig(system.a_per_min[0])
    lam, vec = np.real(lam), np.real(vec)
    bolus = np.zeros(len(system.states))
    bolus[system.inputs[0].state] = 1.0
    amplitudes = (system.outputs["plasma"][0] @ vec) * np.linalg.solve(vec, bolus)
    return amplitudes, lam


def _gap(ke0: float, t: float, amplitudes: NDArray[np.float64], lam: NDArray[np.float64]) -> float:
    """Cp(t) − Ce(t) after a bolus; sign of dCe/dt at t."""
    cp = ce = 0.0
    for a_i, lam_i in zip(amplitudes.tolist(), lam.tolist(), strict=True):
        mu = lam_i + ke0
        # (exp(λt) − exp(−ke0 t))/μ without overflow or cancellation: factor out the larger exponential
        if mu > 0:
            kernel = math.exp(lam_i * t) * -math.expm1(-mu * t) / mu
        elif mu < 0:
            kernel = math.exp(-ke0 * t) * math.expm1(mu * t) / mu
        else:
            kernel = t * math.exp(lam_i * t)
        cp += a_i * math.exp(lam_i * t)
        ce += a_i * ke0 * kernel
    return cp - ce


def ke0_from_t_peak(t_peak_min: float, subject: Subject, model: str = DEFAULT_MODEL) -> float:
    """ke0 (min⁻¹) that puts the effect-site peak after an IV bolus at ``t_peak_min`` for the typical subject.

    Parameters
    ----------
    t_peak_min : float
        Time of peak effect after a bolus (min), > 0.
    subject : Subject
        Covariates of the typical subject (population runs use this one ke0 for every subject).
    model : str
        Model id.

    Returns
    -------
    float
        ke0 (min⁻¹).

    Raises
    ------
    ValueError
        If ``t_peak_min`` is not positive or no ke0 in ``KE0_RANGE_PER_MIN`` gives that peak time.
    """
    t_peak = require_positive("t_peak_min", t_peak_min)
    amplitudes, lam = _bolus_modes(model, subject)
    lo, hi = (math.log(k) for k in KE0_RANGE_PER_MIN)

    def gap(log_ke0: float) -> float:
        return _gap(math.exp(log_ke0), t_peak, amplitudes, lam)

    if not gap(lo) > 0 > gap(hi):
        raise ValueError(f"t_peak_min = {t_peak:g} cannot be reached with ke0 in {KE0_RANGE_PER_MIN} min⁻¹")
    return math.exp(float(brentq(gap, lo, hi, xtol=1e-14, rtol=1e-13)))
