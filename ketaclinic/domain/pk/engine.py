"""Exact solution of batched linear compartment systems (knowledge/pharmacokinetics.md §3).

Between two events (a bolus, the start or end of a zero-order input) the input is constant, so each subject's
state is known exactly. With ``A = V diag(λ) V⁻¹`` and modal coordinates ``z = V⁻¹ x``, a segment that starts at
``t_s`` with modal state ``z_s`` and constant modal input rate ``ρ = V⁻¹ r`` gives

    z_j(t) = z_sj · exp(λ_j (t − t_s)) + ρ_j · expm1(λ_j (t − t_s)) / λ_j,

which is the sum of exponentials of every earlier bolus and infusion, evaluated segment by segment (``expm1``
keeps the infusion term exact when ``λ_j (t − t_s)`` is small). All subjects of a chunk are evaluated with
batched eigendecompositions and matrix products; chunks (``chunk_size`` subjects, time blocks of at most
``block_elements`` values) bound memory.

When two eigenvalues coincide or nearly do (ka equal to ke0 or to a disposition eigenvalue) the eigenvector matrix
is singular and the closed form is silently wrong. Subjects whose eigenvector matrix has a 2-norm condition number
above ``cond_limit`` (or complex eigenvalues) are solved instead by exact zero-order-hold stepping: for a step
``Δ`` the matrix exponential of the augmented matrix ``[[A Δ, I Δ], [0, 0]]`` (``scipy.linalg.expm``) gives both
``exp(A Δ)`` and ``∫₀^Δ exp(A s) ds``, which propagate the state exactly under a constant input; every event time
is a step boundary.

Exposure metrics, per output and subject:

- AUC from 0 to the last time point, **analytic** (the integral of the exponentials above; on the fallback path an
  integrator state ``q' = c·x`` carried through the same exact steps), in ng·min/mL.
- Cmax/Tmax: the largest of the grid values and of the values just after each event, refined by one Newton step on
  the analytic first and second derivatives around the grid maximum (kept only if it is higher, and only within the
  neighbouring grid interval and the same event segment).

References
----------
Moler C, Van Loan C. Nineteen dubious ways to compute the exponential of a matrix, twenty-five years later.
SIAM Rev 2003;45:3-49 (eigenvector method and its failure for near-defective matrices).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import scipy.linalg
from numpy.typing import NDArray

from .system import LinearSystem

__all__ = ["DEFAULT_CHUNK_SIZE", "DEFAULT_COND_LIMIT", "Solution", "solve"]

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

DEFAULT_CHUNK_SIZE = 1000
#: Condition number of the eigenvector matrix above which the expm fallback is used (knowledge file §3: ~1e8).
DEFAULT_COND_LIMIT = 1e8
DEFAULT_BLOCK_ELEMENTS = 2_000_000  # 16 MB per temporary array


@dataclass(frozen=True)
class Solution:
    """Concentrations and exposure metrics of a solved :class:`LinearSystem`.

    Attributes
    ----------
    t_min : ndarray, shape (T,)
    series : mapping of str to ndarray, shape (n, T)
        Concentration (ng/mL) of each output, tiny negative round-off clipped to 0.
    cmax_ng_ml, tmax_min, auc_ng_min_per_ml : mapping of str to ndarray, shape (n,)
        Per output: peak (ng/mL), time of the peak (min) and analytic AUC from 0 to ``t_min[-1]`` (ng·min/mL).
    fallback : ndarray of bool, shape (n,)
        Subjects solved by the matrix-exponential fallback.
    """

    t_min: FloatArray
    series: Mapping[str, FloatArray]
    cmax_ng_ml: Mapping[str, FloatArray]
    tmax_min: Mapping[str, FloatArray]
    auc_ng_min_per_ml: Mapping[str, FloatArray]
    fallback: BoolArray


@dataclass(frozen=True)
class _Schedule:
    """Event segments: input is constant on ``[starts[s], ends[s])``; boluses land at ``starts[s]``."""

    starts: FloatArray
    ends: FloatArray
    bolus: FloatArray  # (nseg, n, S) amount added at each segment start (mg)
    rate: FloatArray  # (nseg, n, S) constant input rate during each segment (mg/min)
    has_rate: tuple[bool, ...]
    slices: tuple[tuple[int, int], ...]  # grid indices of each segment


def _schedule(system: LinearSystem, t: FloatArray) -> _Schedule:
    t_end = float(t[-1])
    points = {0.0}
    for item in system.inputs:
        if item.start_min <= t_end:
            points.add(item.start_min)
        end = item.start_min + item.duration_min
        if item.duration_min > 0 and end < t_end:
            points.add(end)
    starts = np.array(sorted(points))
    ends = np.append(starts[1:], t_end)
    n, size = system.n_subjects, len(system.states)
    bolus = np.zeros((len(starts), n, size))
    rate = np.zeros((len(starts), n, size))
    has_rate = [False] * len(starts)
    for item in system.inputs:
        if item.duration_min == 0:
            if item.start_min <= t_end:
                s = int(np.searchsorted(starts, item.start_min))
                bolus[s, :, item.state] += item.amount_mg
            continue
        for s, start in enumerate(starts):
            if item.start_min <= start < item.start_min + item.duration_min:
                rate[s, :, item.state] += item.amount_mg / item.duration_min
                has_rate[s] = True
    slices = []
    for s in range(len(starts)):
        i0 = int(np.searchsorted(t, starts[s], side="left"))
        i1 = len(t) if s == len(starts) - 1 else int(np.searchsorted(t, ends[s], side="left"))
        slices.append((i0, i1))
    return _Schedule(starts, ends, bolus, rate, tuple(has_rate), tuple(slices))


def _phi1(lam: FloatArray, dt: FloatArray | float) -> FloatArray:
    """∫₀^dt exp(λ s) ds = expm1(λ dt)/λ, exact for λ → 0 (value dt)."""
    x = lam * dt
    zero = lam == 0
    safe = np.where(zero, 1.0, lam)
    return np.where(zero, np.broadcast_to(dt, x.shape), np.expm1(x) / safe)


def _phi2(lam: FloatArray, dt: float) -> FloatArray:
    """∫₀^dt expm1(λ s)/λ ds = (expm1(λ dt) − λ dt)/λ², by its series where λ dt is small (no cancellation)."""
    x = lam * dt
    small = np.abs(x) < 1e-2
    safe = np.where(small, 1.0, x)
    direct = (np.expm1(safe) - safe) / safe**2
    series = 0.5 + x * (1 / 6 + x * (1 / 24 + x * (1 / 120 + x * (1 / 720 + x * (1 / 5040)))))
    return np.asarray(np.where(small, series, direct) * dt * dt, dtype=np.float64)


def _rows(m: int) -> NDArray[np.intp]:
    return np.arange(m)


def _segment_of(schedule: _Schedule, t_points: FloatArray) -> NDArray[np.intp]:
    return np.asarray(np.searchsorted(schedule.starts, t_points, side="right") - 1, dtype=np.intp)


def _newton_window(
    t: FloatArray, idx: NDArray[np.intp], seg: NDArray[np.intp], schedule: _Schedule
) -> tuple[FloatArray, FloatArray]:
    lo = np.maximum(t[np.maximum(idx - 1, 0)], schedule.starts[seg])
    hi = np.minimum(t[np.minimum(idx + 1, len(t) - 1)], schedule.ends[seg])
    return lo, hi


class _Peaks:
    """Running Cmax/Tmax per subject and output."""

    def __init__(self, y: FloatArray, t: FloatArray) -> None:  # y: (m, O, T)
        idx = np.argmax(y, axis=2)
        self.idx = idx
        self.cmax = np.take_along_axis(y, idx[:, :, None], axis=2)[:, :, 0]
        self.tmax = t[idx]

    def offer(self, value: FloatArray, time: FloatArray | float) -> None:
        better = value > self.cmax
        self.cmax = np.where(better, value, self.cmax)
        self.tmax = np.where(better, time, self.tmax)


def _solve_eigen(
    lam: FloatArray,
    vec: FloatArray,
    out: FloatArray,
    sched: _Schedule,
    sub: slice | NDArray[np.intp],
    t: FloatArray,
    y: FloatArray,
    block_elements: int,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Closed form for subjects ``sub`` with eigenpairs ``lam`` (m, S), ``vec`` (m, S, S); fills ``y`` (m, O, T).

    Returns AUC (ng·min/mL), Cmax (ng/mL) and Tmax (min), each of shape (m, O).
    """
    m, size = lam.shape
    vinv = np.linalg.inv(vec)
    w = out @ vec  # (m, O, S): output of each mode
    nseg = len(sched.starts)
    z_start = np.zeros((nseg, m, size))
    rho_all = np.zeros((nseg, m, size))
    auc = np.zeros(out.shape[:2])
    z = np.zeros((m, size))
    block = max(1, block_elements // max(1, m * size))
    for s in range(nseg):
        bolus = sched.bolus[s, sub]
        if np.any(bolus):
            z = z + np.einsum("mij,mj->mi", vinv, bolus)
        rho = np.einsum("mij,mj->mi", vinv, sched.rate[s, sub]) if sched.has_rate[s] else None
        z_start[s] = z
        if rho is not None:
            rho_all[s] = rho
        i0, i1 = sched.slices[s]
        wz = w * z[:, None, :]
        wr = w * rho[:, None, :] if rho is not None else None
        for k0 in range(i0, i1, block):
            k1 = min(i1, k0 + block)
            x = lam[:, :, None] * (t[k0:k1] - sched.starts[s])[None, None, :]
            y[:, :, k0:k1] = wz @ np.exp(x)
            if wr is not None:
                y[:, :, k0:k1] += wr @ _phi1(lam[:, :, None], (t[k0:k1] - sched.starts[s])[None, None, :])
        length = float(sched.ends[s] - sched.starts[s])
        p1 = _phi1(lam, length)
        auc += np.einsum("mos,ms->mo", w, z * p1)
        z = z * np.exp(lam * length)
        if rho is not None:
            auc += np.einsum("mos,ms->mo", w, rho * _phi2(lam, length))
            z = z + rho * p1

    peaks = _Peaks(y, t)
    for s in range(nseg):  # values just after each event (boluses make jumps between grid points)
        peaks.offer(np.einsum("mos,ms->mo", w, z_start[s]), sched.starts[s])
    # One Newton step on the analytic derivatives around each grid maximum.
    rows = _rows(m)[:, None]
    t_i = t[peaks.idx]  # (m, O)
    seg = _segment_of(sched, t_i)
    z0, rho = z_start[seg, rows], rho_all[seg, rows]  # (m, O, S)
    lam_o = lam[:, None, :]
    dt = t_i - sched.starts[seg]
    zi = z0 * np.exp(lam_o * dt[..., None]) + rho * _phi1(lam_o, dt[..., None])
    d1 = lam_o * zi + rho
    y1 = np.sum(w * d1, axis=2)
    y2 = np.sum(w * lam_o * d1, axis=2)
    lo, hi = _newton_window(t, peaks.idx, seg, sched)
    with np.errstate(divide="ignore", invalid="ignore"):
        t_star = np.clip(np.where(y2 < 0, t_i - y1 / y2, t_i), lo, hi)
    dt_star = (t_star - sched.starts[seg])[..., None]
    y_star = np.sum(w * (z0 * np.exp(lam_o * dt_star) + rho * _phi1(lam_o, dt_star)), axis=2)
    peaks.offer(y_star, t_star)
    return auc, peaks.cmax, peaks.tmax


def _transition(a: FloatArray, dt: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exact one-step propagators for steps ``dt`` (shape (f,)): ``exp(A dt)`` and ``∫₀^dt exp(A s) ds``."""
    f, size = a.shape[0], a.shape[1]
    aug = np.zeros((f, 2 * size, 2 * size))
    aug[:, :size, :size] = a * dt[:, None, None]
    aug[:, :size, size:] = np.eye(size)[None] * dt[:, None, None]
    big = scipy.linalg.expm(aug)
    return big[:, :size, :size], big[:, :size, size:]


def _solve_expm(
    a: FloatArray, out: FloatArray, sched: _Schedule, sub: NDArray[np.intp], t: FloatArray, y: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Zero-order-hold stepping with expm for subjects ``sub``; fills ``y`` (f, O, T); returns auc, cmax, tmax."""
    f, size = a.shape[0], a.shape[1]
    n_out = out.shape[1]
    full = size + n_out  # integrator states q' = c·x carry the AUC exactly
    aug = np.zeros((f, full, full))
    aug[:, :size, :size] = a
    aug[:, size:, :size] = out
    cache: dict[float, tuple[FloatArray, FloatArray]] = {}

    def step(x: FloatArray, r: FloatArray, dt: float) -> FloatArray:
        key = float(f"{dt:.12g}")
        if key not in cache:
            cache[key] = _transition(aug, np.full(f, dt))
        phi, gamma = cache[key]
        return np.asarray(np.einsum("fij,fj->fi", phi, x) + np.einsum("fij,fj->fi", gamma, r))

    nseg = len(sched.starts)
    x = np.zeros((f, full))
    x_grid = np.zeros((f, full, len(t)))
    x_start = np.zeros((nseg, f, full))
    rates = np.zeros((nseg, f, full))
    for s in range(nseg):
        x = x.copy()
        x[:, :size] += sched.bolus[s][sub]
        rates[s, :, :size] = sched.rate[s][sub]
        x_start[s] = x
        now = float(sched.starts[s])
        i0, i1 = sched.slices[s]
        for i in range(i0, i1):
            if t[i] > now:
                x = step(x, rates[s], float(t[i]) - now)
                now = float(t[i])
            x_grid[:, :, i] = x
        if s < nseg - 1 and sched.ends[s] > now:
            x = step(x, rates[s], float(sched.ends[s]) - now)
    y[:] = np.einsum("fos,fst->fot", out, x_grid[:, :size, :])
    auc = x_grid[:, size:, -1]

    peaks = _Peaks(y, t)
    for s in range(nseg):
        peaks.offer(np.einsum("fos,fs->fo", out, x_start[s, :, :size]), sched.starts[s])
    rows = _rows(f)
    for o in range(n_out):
        idx = peaks.idx[:, o]
        t_i = t[idx]
        seg = _segment_of(sched, t_i)
        xi = x_grid[rows, :size, idx]
        r = rates[seg, rows, :size]
        d1 = np.einsum("fij,fj->fi", a, xi) + r
        y1 = np.einsum("fs,fs->f", out[:, o], d1)
        y2 = np.einsum("fs,fs->f", out[:, o], np.einsum("fij,fj->fi", a, d1))
        lo, hi = _newton_window(t, idx, seg, sched)
        with np.errstate(divide="ignore", invalid="ignore"):
            t_star = np.clip(np.where(y2 < 0, t_i - y1 / y2, t_i), lo, hi)
        # propagate forward from the last known state at or before t*: grid point i-1, i, or the segment start
        prev = np.maximum(idx - 1, 0)
        use_i = t_star >= t_i
        base_t = np.where(use_i, t_i, np.maximum(t[prev], sched.starts[seg]))
        from_start = ~use_i & (t[prev] < sched.starts[seg])
        base_x = np.where(use_i[:, None], xi, x_grid[rows, :size, prev])
        base_x = np.where(from_start[:, None], x_start[seg, rows, :size], base_x)
        phi, gamma = _transition(a, t_star - base_t)
        x_star = np.einsum("fij,fj->fi", phi, base_x) + np.einsum("fij,fj->fi", gamma, r)
        y_star = np.einsum("fs,fs->f", out[:, o], x_star)
        better = y_star > peaks.cmax[:, o]
        peaks.cmax[:, o] = np.where(better, y_star, peaks.cmax[:, o])
        peaks.tmax[:, o] = np.where(better, t_star, peaks.tmax[:, o])
    return auc, peaks.cmax, peaks.tmax


def _eigen(a: FloatArray, cond_limit: float) -> tuple[FloatArray, FloatArray, BoolArray]:
    """Eigenpairs of each ``A`` and whether the closed form is safe (real spectrum, cond₂(V) ≤ ``cond_limit``)."""
    lam, vec = np.linalg.eig(a)
    ok = np.ones(a.shape[0], dtype=bool)
    if np.iscomplexobj(lam):
        ok &= np.all(lam.imag == 0, axis=1)
        lam, vec = lam.real, vec.real
    sv = np.linalg.svd(vec, compute_uv=False)
    with np.errstate(divide="ignore", invalid="ignore"):
        cond = sv[:, 0] / sv[:, -1]
    ok &= cond <= cond_limit  # NaN and inf fail
    return np.asarray(lam, dtype=np.float64), np.asarray(vec, dtype=np.float64), ok


def solve(
    system: LinearSystem,
    t_min: FloatArray | Sequence[float],
    *,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    cond_limit: float = DEFAULT_COND_LIMIT,
    method: str = "auto",
    block_elements: int = DEFAULT_BLOCK_ELEMENTS,
) -> Solution:
    """Solve ``x' = A x + u(t)`` exactly on a time grid for every subject of ``system``.

    Parameters
    ----------
    system : LinearSystem
        ``n`` subjects, ``S`` states, ``O`` outputs.
    t_min : array_like, shape (T,)
        Increasing time points (min), starting at 0.
    chunk_size : int, default 1000
        Subjects per chunk; with ``block_elements`` this bounds the temporary memory.
    cond_limit : float, default 1e8
        Eigenvector-matrix condition number above which a subject takes the expm fallback.
    method : {"auto", "eigen", "expm"}
        ``"expm"`` forces the fallback for every subject (for testing); ``"eigen"`` never falls back.
    block_elements : int
        Largest temporary array (float64 values) in the closed-form evaluation.

    Returns
    -------
    Solution
        Concentrations (n, T) per output, Cmax, Tmax and analytic AUC per subject.
    """
    if method not in ("auto", "eigen", "expm"):
        raise ValueError(f"method must be auto, eigen or expm (got {method!r})")
    t = np.asarray(t_min, dtype=np.float64)
    if t.ndim != 1 or len(t) == 0 or t[0] != 0 or np.any(np.diff(t) <= 0):
        raise ValueError("t_min must be a strictly increasing 1-D grid starting at 0")
    names = tuple(system.outputs)
    out_all = np.stack([system.outputs[name] for name in names], axis=1)  # (n, O, S)
    sched = _schedule(system, t)
    n, n_out = system.n_subjects, len(names)
    series = np.zeros((n_out, n, len(t)))
    auc = np.zeros((n, n_out))
    cmax = np.zeros((n, n_out))
    tmax = np.zeros((n, n_out))
    fallback = np.zeros(n, dtype=bool)
    chunk = max(1, chunk_size)
    for c0 in range(0, n, chunk):
        c1 = min(n, c0 + chunk)
        a = system.a_per_min[c0:c1]
        if method == "expm":
            lam, vec, ok = np.empty(0), np.empty(0), np.zeros(c1 - c0, dtype=bool)
        else:
            lam, vec, ok = _eigen(a, cond_limit if method == "auto" else np.inf)
            if method == "eigen":
                ok[:] = True
        fallback[c0:c1] = ~ok
        if ok.all():  # the common case: write straight into the result arrays
            view = series[:, c0:c1].transpose(1, 0, 2)
            auc[c0:c1], cmax[c0:c1], tmax[c0:c1] = _solve_eigen(
                lam, vec, out_all[c0:c1], sched, slice(c0, c1), t, view, block_elements
            )
            continue
        good = np.flatnonzero(ok)
        if len(good):
            y = np.empty((len(good), n_out, len(t)))
            res = _solve_eigen(lam[good], vec[good], out_all[good + c0], sched, good + c0, t, y, block_elements)
            _store(series, auc, cmax, tmax, good + c0, y, res)
        bad = np.flatnonzero(~ok) + c0
        y = np.empty((len(bad), n_out, len(t)))
        res = _solve_expm(system.a_per_min[bad], out_all[bad], sched, bad, t, y)
        _store(series, auc, cmax, tmax, bad, y, res)
    np.maximum(series, 0.0, out=series)  # round-off can leave -1e-17 where the true value is 0
    return Solution(
        t_min=t,
        series={name: series[o] for o, name in enumerate(names)},
        cmax_ng_ml={name: np.maximum(cmax[:, o], 0.0) for o, name in enumerate(names)},
        tmax_min={name: tmax[:, o] for o, name in enumerate(names)},
        auc_ng_min_per_ml={name: auc[:, o] for o, name in enumerate(names)},
        fallback=fallback,
    )


def _store(
    series: FloatArray,
    auc: FloatArray,
    cmax: FloatArray,
    tmax: FloatArray,
    rows: NDArray[np.intp],
    y: FloatArray,
    res: tuple[FloatArray, FloatArray, FloatArray],
) -> None:
    for o in range(series.shape[0]):
        series[o, rows] = y[:, o, :]
    auc[rows], cmax[rows], tmax[rows] = res
