"""The public entry points: :func:`simulate` (one typical subject) and :func:`simulate_population`."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from .catalogue import DEFAULT_MODEL, Model, get_model, sample_parameters
from .effect import ke0_from_t_peak
from .engine import DEFAULT_CHUNK_SIZE, Solution, solve
from .inputs import Dose, Subject, require_positive
from .results import Exposure, PKResult, PopulationExposure, PopulationResult

__all__ = ["MAX_TIME_POINTS", "simulate", "simulate_population", "time_grid"]

FloatArray = NDArray[np.float64]

#: Largest time grid accepted (guards against ``step_min`` typos that would exhaust memory).
MAX_TIME_POINTS = 1_000_001
MAX_SUBJECTS = 1_000_000


def time_grid(t_end_min: float, step_min: float) -> FloatArray:
    """Time points 0, step, 2·step, … up to and including ``t_end_min`` (the last step may be shorter).

    Raises
    ------
    ValueError
        Naming ``t_end_min`` or ``step_min`` when not positive, or ``step_min`` when the grid would be too large.
    """
    t_end = require_positive("t_end_min", t_end_min)
    step = require_positive("step_min", step_min)
    steps = math.ceil(t_end / step - 1e-9)
    if steps + 1 > MAX_TIME_POINTS:
        raise ValueError(f"step_min is too small for t_end_min: {steps + 1} points (at most {MAX_TIME_POINTS})")
    t = np.arange(steps + 1, dtype=np.float64) * step
    t[-1] = t_end
    return t


def _check_doses(doses: Sequence[Dose]) -> tuple[Dose, ...]:
    if isinstance(doses, Dose):
        doses = [doses]
    if not isinstance(doses, Sequence) or not doses or not all(isinstance(d, Dose) for d in doses):
        raise ValueError("doses must be a non-empty sequence of Dose")
    return tuple(doses)


def _ke0(
    ke0_per_min: float | None, ke0_t_peak_min: float | None, subject: Subject, model: str
) -> tuple[float | None, str | None]:
    if ke0_per_min is not None and ke0_t_peak_min is not None:
        raise ValueError("ke0_per_min and ke0_t_peak_min are exclusive: give one")
    if ke0_per_min is not None:
        return require_positive("ke0_per_min", ke0_per_min), "given"
    if ke0_t_peak_min is not None:
        t_peak = require_positive("ke0_t_peak_min", ke0_t_peak_min)
        return ke0_from_t_peak(t_peak, subject, model), f"derived from t_peak = {t_peak:g} min (IV bolus, typical)"
    return None, None


def _prepare(
    doses: Sequence[Dose],
    subject: Subject,
    model: str,
    t_end_min: float,
    step_min: float,
    ke0_per_min: float | None,
    ke0_t_peak_min: float | None,
) -> tuple[Model, tuple[Dose, ...], FloatArray, float | None, str | None]:
    if not isinstance(subject, Subject):
        raise ValueError("subject must be a Subject")
    chosen = get_model(model)
    checked = _check_doses(doses)
    chosen.check_doses(checked)
    t = time_grid(t_end_min, step_min)
    ke0, source = _ke0(ke0_per_min, ke0_t_peak_min, subject, model)
    return chosen, checked, t, ke0, source


def _notes(model: Model, doses: Sequence[Dose], subject: Subject) -> tuple[tuple[str, ...], bool]:
    route_notes, uncertain = model.route_notes(doses, subject)
    return (*model.info.notes, *route_notes), uncertain


def _exposure(solution: Solution, name: str, i: int) -> Exposure | None:
    if name not in solution.series:
        return None
    return Exposure(
        float(solution.cmax_ng_ml[name][i]),
        float(solution.tmax_min[name][i]),
        float(solution.auc_ng_min_per_ml[name][i] / 60.0),
    )


def simulate(
    doses: Sequence[Dose],
    subject: Subject,
    model: str = DEFAULT_MODEL,
    t_end_min: float = 1440.0,
    step_min: float = 1.0,
    ke0_per_min: float | None = None,
    *,
    ke0_t_peak_min: float | None = None,
) -> PKResult:
    """Concentrations a dose schedule produces in the typical subject with these covariates.

    Parameters
    ----------
    doses : sequence of Dose
        Any number of doses at any times, by any route the model supports.
    subject : Subject
        Covariates (weight scales volumes and clearances; see each model).
    model : str, default "kamp2020"
        Model id (see :func:`models`).
    t_end_min : float, default 1440
        End of the simulation (min), > 0.
    step_min : float, default 1
        Output grid spacing (min), > 0.
    ke0_per_min : float, optional
        Effect-site equilibration rate constant (min⁻¹). No model ships a default: without it (or
        ``ke0_t_peak_min``) ``effect_site_ng_ml`` is None.
    ke0_t_peak_min : float, optional
        Derive ke0 so the effect site peaks this many minutes after an IV bolus (:func:`ke0_from_t_peak`).

    Returns
    -------
    PKResult
        Concentrations on ``t_min`` (shape (T,)), Cmax/Tmax (grid + one Newton step), analytic AUC (ng·h/mL,
        0 .. ``t_end_min``), notes and the ``uncertain`` flag.

    Raises
    ------
    ValueError
        Naming the argument: unknown model, route the model does not support, ``t_end_min`` or ``step_min``
        not > 0, bad ke0, intranasal esketamine not in 28 mg devices.

    Examples
    --------
    >>> from ketaclinic.domain import pk
    >>> p = pk.simulate([pk.Dose("iv", 35, duration_min=40)], pk.Subject(weight_kg=70))
    >>> round(p.cmax_ng_ml), p.uncertain   # kamp2020 misses the venous 185 ng/mL measured (Zarate 2006)
    (253, True)
    >>> round(pk.simulate([pk.Dose("iv", 35, duration_min=40)], pk.Subject(weight_kg=70), "clements1981").cmax_ng_ml)
    177
    """
    chosen, checked, t, ke0, source = _prepare(doses, subject, model, t_end_min, step_min, ke0_per_min, ke0_t_peak_min)
    params = sample_parameters(chosen, subject, 1, None)
    solution = solve(chosen.assemble(params, checked, ke0), t)
    notes, uncertain = _notes(chosen, checked, subject)
    plasma = _exposure(solution, "plasma", 0)
    assert plasma is not None
    return PKResult(
        model=chosen.info.id,
        t_min=t,
        plasma_ng_ml=solution.series["plasma"][0],
        effect_site_ng_ml=solution.series["effect_site"][0] if ke0 is not None else None,
        metabolite_ng_ml=solution.series["metabolite"][0] if "metabolite" in solution.series else None,
        cmax_ng_ml=plasma.cmax_ng_ml,
        tmax_min=plasma.tmax_min,
        auc_ng_h_per_ml=plasma.auc_ng_h_per_ml,
        effect_site=_exposure(solution, "effect_site", 0),
        metabolite=_exposure(solution, "metabolite", 0),
        ke0_per_min=ke0,
        ke0_source=source,
        uncertain=uncertain,
        notes=notes,
        sampling_site=chosen.info.sampling_site,
        metabolite_caveat=chosen.info.metabolite_caveat,
    )


def _population_exposure(solution: Solution, name: str) -> PopulationExposure | None:
    if name not in solution.series:
        return None
    return PopulationExposure(
        solution.cmax_ng_ml[name], solution.tmax_min[name], solution.auc_ng_min_per_ml[name] / 60.0
    )


def simulate_population(
    doses: Sequence[Dose],
    subject: Subject,
    model: str = DEFAULT_MODEL,
    n: int = 1000,
    seed: int = 0,
    t_end_min: float = 1440.0,
    step_min: float = 1.0,
    ke0_per_min: float | None = None,
    *,
    ke0_t_peak_min: float | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> PopulationResult:
    """Concentrations of ``n`` subjects drawn from the model's between-subject variability.

    Every subject shares ``subject``'s covariates; η ~ MVN(0, Ω) is drawn from ``numpy.random.default_rng(seed)``
    (all at once, so the result does not depend on ``chunk_size``). Only parameter variability is sampled, not
    residual error. Models without published variability use an assumed ω = 0.30 on every volume and clearance
    (``variability_assumed``).

    Parameters
    ----------
    doses, subject, model, t_end_min, step_min, ke0_per_min, ke0_t_peak_min
        As in :func:`simulate`. A derived ke0 is computed once for the typical subject.
    n : int, default 1000
        Number of subjects, >= 1.
    seed : int, default 0
        RNG seed, >= 0: same seed and inputs → identical result.
    chunk_size : int, default 1000
        Subjects solved per batch (bounds memory).

    Returns
    -------
    PopulationResult
        ``plasma_ng_ml`` of shape (n, T), per-subject Cmax/Tmax/AUC (n,), sampled parameters and
        ``percentiles(q)`` (len(q), T).
    """
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or not 1 <= n <= MAX_SUBJECTS:
        raise ValueError(f"n must be an integer between 1 and {MAX_SUBJECTS} (got {n!r})")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer (got {seed!r})")
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer) or chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer (got {chunk_size!r})")
    chosen, checked, t, ke0, source = _prepare(doses, subject, model, t_end_min, step_min, ke0_per_min, ke0_t_peak_min)
    params = sample_parameters(chosen, subject, int(n), np.random.default_rng(int(seed)))
    solution = solve(chosen.assemble(params, checked, ke0), t, chunk_size=int(chunk_size))
    notes, uncertain = _notes(chosen, checked, subject)
    plasma = _population_exposure(solution, "plasma")
    assert plasma is not None
    return PopulationResult(
        model=chosen.info.id,
        n=int(n),
        seed=int(seed),
        t_min=t,
        plasma_ng_ml=solution.series["plasma"],
        effect_site_ng_ml=solution.series.get("effect_site"),
        metabolite_ng_ml=solution.series.get("metabolite"),
        cmax_ng_ml=plasma.cmax_ng_ml,
        tmax_min=plasma.tmax_min,
        auc_ng_h_per_ml=plasma.auc_ng_h_per_ml,
        effect_site=_population_exposure(solution, "effect_site"),
        metabolite=_population_exposure(solution, "metabolite"),
        parameters=params,
        variability=chosen.info.variability,
        variability_assumed=chosen.info.variability_assumed,
        ke0_per_min=ke0,
        ke0_source=source,
        uncertain=uncertain,
        notes=notes,
        sampling_site=chosen.info.sampling_site,
        metabolite_caveat=chosen.info.metabolite_caveat,
    )
