"""Result types of :func:`~ketaclinic.domain.pk.simulate` and :func:`~ketaclinic.domain.pk.simulate_population`.

Concentrations are ng/mL, times minutes, AUC ng·h/mL. AUC is **analytic** (the exact integral of the solution
from 0 to ``t_end_min``), Cmax/Tmax come from the grid refined by one Newton step, and time above a threshold
interpolates linearly between grid points at each crossing. Arrays are read-only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["AUC_METHOD", "Exposure", "PKResult", "PopulationExposure", "PopulationResult", "time_above"]

FloatArray = NDArray[np.float64]

#: How AUCs are computed (shown beside them in the UI).
AUC_METHOD = "analytic"
SERIES = ("plasma", "effect_site", "metabolite")


def time_above(t_min: FloatArray, conc_ng_ml: FloatArray, threshold_ng_ml: float) -> FloatArray:
    """Minutes spent above ``threshold_ng_ml``, interpolating linearly at each crossing.

    Parameters
    ----------
    t_min : ndarray, shape (T,)
    conc_ng_ml : ndarray, shape (..., T)
    threshold_ng_ml : float

    Returns
    -------
    ndarray, shape (...)
        Time above the threshold (min).
    """
    y0, y1 = conc_ng_ml[..., :-1], conc_ng_ml[..., 1:]
    dt = np.diff(t_min)
    above0, above1 = y0 > threshold_ng_ml, y1 > threshold_ng_ml
    with np.errstate(divide="ignore", invalid="ignore"):
        frac_rising = np.where(above1 & ~above0, (y1 - threshold_ng_ml) / (y1 - y0), 0.0)
        frac_falling = np.where(above0 & ~above1, (y0 - threshold_ng_ml) / (y0 - y1), 0.0)
    frac = np.where(above0 & above1, 1.0, frac_rising + frac_falling)
    return np.asarray(np.sum(frac * dt, axis=-1), dtype=np.float64)


def _frozen(array: FloatArray | None) -> FloatArray | None:
    if array is not None:
        array.flags.writeable = False
    return array


@dataclass(frozen=True)
class Exposure:
    """Peak and exposure of one concentration series.

    Attributes
    ----------
    cmax_ng_ml : float
    tmax_min : float
    auc_ng_h_per_ml : float
        Analytic AUC from 0 to ``t_end_min``.
    """

    cmax_ng_ml: float
    tmax_min: float
    auc_ng_h_per_ml: float


@dataclass(frozen=True)
class PKResult:
    """Concentrations of one (typical) subject.

    Attributes
    ----------
    model : str
    t_min : ndarray, shape (T,)
        0 .. ``t_end_min`` every ``step_min`` (the last step may be shorter).
    plasma_ng_ml : ndarray, shape (T,)
        Parent drug plasma concentration.
    effect_site_ng_ml : ndarray, shape (T,) or None
        Effect-site concentration when a ke0 was given or derived; no model ships a default ke0.
    metabolite_ng_ml : ndarray, shape (T,) or None
        Norketamine (fanta2015) or noresketamine (perez_ruixo2021); units in ``models()[model].metabolite_units``.
    cmax_ng_ml, tmax_min, auc_ng_h_per_ml : float
        Plasma peak, its time, and the analytic AUC from 0 to ``t_end_min``.
    effect_site, metabolite : Exposure or None
        The same metrics for the effect site and the metabolite.
    ke0_per_min : float or None
    ke0_source : str or None
        Where ke0 came from: ``"given"`` or ``"derived from t_peak = … min"``.
    uncertain : bool
        True where the prediction misses a measured reference by more than 30 % or cannot be checked against one
        (pharmacokinetics §2: oral and sublingual racemic doses always; intranasal racemic; kamp2020 IV; oral
        esketamine); ``notes`` give the measured values.
    notes : tuple of str
        Caveats to show beside the prediction (model and route).
    auc_method : str
        ``"analytic"``.
    sampling_site : str or None
        ``"venous"`` or ``"arterial"`` blood, as the model was fitted; ``None`` where the source does not say.
        Arterial concentrations run well above venous ones early after IV dosing: charts must say which.
    metabolite_caveat : str or None
        Shown wherever the metabolite curve or its AUC is shown (perez_ruixo2021: noresketamine AUC ~45 % high).
    """

    model: str
    t_min: FloatArray
    plasma_ng_ml: FloatArray
    effect_site_ng_ml: FloatArray | None
    metabolite_ng_ml: FloatArray | None
    cmax_ng_ml: float
    tmax_min: float
    auc_ng_h_per_ml: float
    effect_site: Exposure | None
    metabolite: Exposure | None
    ke0_per_min: float | None
    ke0_source: str | None
    uncertain: bool
    notes: tuple[str, ...]
    auc_method: str = AUC_METHOD
    sampling_site: str | None = None
    metabolite_caveat: str | None = None

    def __post_init__(self) -> None:
        for array in (self.t_min, self.plasma_ng_ml, self.effect_site_ng_ml, self.metabolite_ng_ml):
            _frozen(array)

    def series(self, name: str = "plasma") -> FloatArray:
        """The concentration series ``"plasma"``, ``"effect_site"`` or ``"metabolite"`` (ValueError if absent)."""
        value = {"plasma": self.plasma_ng_ml, "effect_site": self.effect_site_ng_ml}.get(name, self.metabolite_ng_ml)
        if name not in SERIES or value is None:
            raise ValueError(f"series must be one of the simulated series (got {name!r})")
        return value

    def time_above_min(self, threshold_ng_ml: float, series: str = "plasma") -> float:
        """Minutes the series spends above ``threshold_ng_ml`` (crossings interpolated linearly)."""
        return float(time_above(self.t_min, self.series(series), threshold_ng_ml))


@dataclass(frozen=True)
class PopulationExposure:
    """Per-subject peak and exposure of one series; each attribute has shape (n,)."""

    cmax_ng_ml: FloatArray
    tmax_min: FloatArray
    auc_ng_h_per_ml: FloatArray

    def __post_init__(self) -> None:
        for array in (self.cmax_ng_ml, self.tmax_min, self.auc_ng_h_per_ml):
            _frozen(array)


@dataclass(frozen=True)
class PopulationResult:
    """Concentrations of ``n`` simulated subjects sharing one set of covariates.

    Attributes
    ----------
    model : str
    n : int
    seed : int
        Same seed, same inputs → identical arrays.
    t_min : ndarray, shape (T,)
    plasma_ng_ml : ndarray, shape (n, T)
    effect_site_ng_ml, metabolite_ng_ml : ndarray, shape (n, T), or None
    cmax_ng_ml, tmax_min, auc_ng_h_per_ml : ndarray, shape (n,)
        Plasma metrics per subject (AUC analytic, 0 .. ``t_end_min``).
    effect_site, metabolite : PopulationExposure or None
    parameters : dict of str to ndarray, shape (n,)
        Each subject's sampled parameters (L, L/min, min⁻¹, fractions).
    variability : str
        The variability used; ``variability_assumed`` is True when it is the assumed ω = 0.30.
    variability_assumed : bool
    ke0_per_min, ke0_source, uncertain, notes, auc_method, sampling_site, metabolite_caveat
        As in :class:`PKResult`.
    """

    model: str
    n: int
    seed: int
    t_min: FloatArray
    plasma_ng_ml: FloatArray
    effect_site_ng_ml: FloatArray | None
    metabolite_ng_ml: FloatArray | None
    cmax_ng_ml: FloatArray
    tmax_min: FloatArray
    auc_ng_h_per_ml: FloatArray
    effect_site: PopulationExposure | None
    metabolite: PopulationExposure | None
    parameters: dict[str, FloatArray]
    variability: str
    variability_assumed: bool
    ke0_per_min: float | None
    ke0_source: str | None
    uncertain: bool
    notes: tuple[str, ...]
    auc_method: str = AUC_METHOD
    sampling_site: str | None = None
    metabolite_caveat: str | None = None

    def __post_init__(self) -> None:
        arrays = (self.t_min, self.plasma_ng_ml, self.effect_site_ng_ml, self.metabolite_ng_ml, self.cmax_ng_ml)
        for array in (*arrays, self.tmax_min, self.auc_ng_h_per_ml, *self.parameters.values()):
            _frozen(array)

    def series(self, name: str = "plasma") -> FloatArray:
        """The (n, T) series ``"plasma"``, ``"effect_site"`` or ``"metabolite"`` (ValueError if absent)."""
        value = {"plasma": self.plasma_ng_ml, "effect_site": self.effect_site_ng_ml}.get(name, self.metabolite_ng_ml)
        if name not in SERIES or value is None:
            raise ValueError(f"series must be one of the simulated series (got {name!r})")
        return value

    def percentiles(self, q: ArrayLike, series: str = "plasma") -> FloatArray:
        """Percentile bands over subjects at every time point.

        Parameters
        ----------
        q : array_like of float, shape (k,)
            Percentiles in [0, 100], e.g. ``[5, 50, 95]``.
        series : str
            ``"plasma"``, ``"effect_site"`` or ``"metabolite"``.

        Returns
        -------
        ndarray, shape (k, T)
            Concentration (ng/mL); linear interpolation between order statistics (NumPy's default).
        """
        qs = np.atleast_1d(np.asarray(q, dtype=np.float64))
        if qs.ndim != 1 or np.any(~np.isfinite(qs)) or np.any((qs < 0) | (qs > 100)):
            raise ValueError(f"q must be percentiles between 0 and 100 (got {q!r})")
        return np.asarray(np.percentile(self.series(series), qs, axis=0), dtype=np.float64)

    def time_above_min(self, threshold_ng_ml: float, series: str = "plasma") -> FloatArray:
        """Minutes each subject spends above ``threshold_ng_ml``, shape (n,)."""
        return time_above(self.t_min, self.series(series), threshold_ng_ml)

    def summary_percentiles(self, q: Sequence[float] = (5, 50, 95)) -> dict[str, FloatArray]:
        """Percentiles over subjects of the plasma Cmax, Tmax and AUC: name → ndarray, shape (len(q),)."""
        return {
            "cmax_ng_ml": np.percentile(self.cmax_ng_ml, q),
            "tmax_min": np.percentile(self.tmax_min, q),
            "auc_ng_h_per_ml": np.percentile(self.auc_ng_h_per_ml, q),
        }
