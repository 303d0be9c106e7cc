"""Shared helpers for the PK tests: an independent reference solution with scipy's solve_ivp.

The reference integrates each subject's ``x' = A x + u(t)`` piecewise between event times (never a switch inside
one solver call, which makes adaptive solvers step over the discontinuity), with DOP853 at rtol 1e-10, as
knowledge/pharmacokinetics.md §4.1 asks.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy.integrate import solve_ivp

from ketaclinic.domain.pk.system import LinearSystem

FloatArray = NDArray[np.float64]
ReferenceSolve = Callable[[LinearSystem, FloatArray], dict[str, FloatArray]]


def reference_solve(system: LinearSystem, t: FloatArray) -> dict[str, FloatArray]:
    """Concentrations (n, T) per output, integrated with DOP853 between events."""
    n, size = system.n_subjects, len(system.states)
    t_end = float(t[-1])
    events = {0.0, t_end}
    for item in system.inputs:
        events.add(item.start_min)
        events.add(item.start_min + item.duration_min)
    times = sorted(e for e in events if e <= t_end)
    result = {name: np.zeros((n, len(t))) for name in system.outputs}
    for i in range(n):
        a = system.a_per_min[i]
        scale = max(float(np.max(item.amount_mg)) for item in system.inputs) if system.inputs else 1.0
        x = np.zeros(size)
        states = np.zeros((size, len(t)))
        for k, t0 in enumerate(times):
            t1 = times[k + 1] if k + 1 < len(times) else None
            rate = np.zeros(size)
            for item in system.inputs:
                if item.duration_min == 0 and item.start_min == t0:
                    x[item.state] += item.amount_mg[i]
                elif item.duration_min > 0 and item.start_min <= t0 < item.start_min + item.duration_min:
                    rate[item.state] += item.amount_mg[i] / item.duration_min
            inside = (t >= t0) & ((t < t1) if t1 is not None else (t <= t0))
            if t1 is None:
                states[:, inside] = x[:, None]
                break
            sol = solve_ivp(
                lambda _t, y, a=a, rate=rate: a @ y + rate,
                (t0, t1),
                x,
                method="DOP853",
                rtol=1e-12,
                atol=1e-15 * scale,
                t_eval=np.append(t[inside], t1),  # the last point carries the state into the next interval
            )
            assert sol.success, sol.message
            states[:, inside] = sol.y[:, :-1]
            x = sol.y[:, -1].copy()
        for name, rows in system.outputs.items():
            result[name][i] = rows[i] @ states
    return result


@pytest.fixture
def reference() -> ReferenceSolve:
    return reference_solve
