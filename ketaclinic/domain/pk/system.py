"""The linear system every model compiles to: ``x' = A x + u(t)``, batched over subjects.

States are amounts (mg) in depots, central, peripheral, liver and metabolite compartments, plus an effect-site
concentration state (mg/L) when a ke0 is set (knowledge/pharmacokinetics.md §1). Inputs are boluses (an amount
added at one instant) and zero-order inputs (a constant rate on ``[start, start + duration)``). Outputs are linear
read-outs of the state in ng/mL.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

__all__ = ["Input", "LinearSystem", "SystemBuilder"]

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Input:
    """An amount delivered into one state.

    Attributes
    ----------
    state : int
        Index of the receiving state.
    start_min : float
        Time of the bolus, or start of the zero-order input (min).
    duration_min : float
        0 for a bolus; otherwise the amount is delivered at a constant rate over this many minutes.
    amount_mg : ndarray, shape (n,)
        Amount reaching the state per subject (mg), bioavailability already applied.
    """

    state: int
    start_min: float
    duration_min: float
    amount_mg: FloatArray


@dataclass(frozen=True)
class LinearSystem:
    """A batch of linear compartment systems sharing one structure.

    Attributes
    ----------
    states : tuple of str
        State names, in matrix order.
    a_per_min : ndarray, shape (n, S, S)
        System matrices (min⁻¹); ``a_per_min[i] @ x`` is the rate of change of subject ``i``'s state.
    inputs : tuple of Input
        Boluses and zero-order inputs.
    outputs : mapping of str to ndarray, shape (n, S)
        Read-out rows: ``outputs[name][i] @ x`` is that concentration (ng/mL) for subject ``i``.
    """

    states: tuple[str, ...]
    a_per_min: FloatArray
    inputs: tuple[Input, ...]
    outputs: Mapping[str, FloatArray]

    @property
    def n_subjects(self) -> int:
        return int(self.a_per_min.shape[0])


@dataclass
class SystemBuilder:
    """Assemble :class:`LinearSystem` from named states and first-order flows (a mutable helper).

    Parameters
    ----------
    n : int
        Number of subjects.
    states : sequence of str
        State names in matrix order.
    """

    n: int
    states: tuple[str, ...]
    _a: FloatArray = field(init=False, repr=False)
    _inputs: list[Input] = field(init=False, default_factory=list, repr=False)
    _outputs: dict[str, FloatArray] = field(init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        size = len(self.states)
        self._a = np.zeros((self.n, size, size))

    def index(self, state: str) -> int:
        return self.states.index(state)

    def flow(self, source: str, target: str | None, rate_per_min: FloatArray | float) -> None:
        """Move amount from ``source`` to ``target`` (``None``: out of the system) at ``rate_per_min × amount``."""
        i = self.index(source)
        self._a[:, i, i] -= rate_per_min
        if target is not None:
            self._a[:, self.index(target), i] += rate_per_min

    def drive(self, source: str, target: str, rate_per_min: FloatArray | float) -> None:
        """Let ``target`` rise at ``rate_per_min × source`` without removing anything from ``source``.

        Used for the effect site, which follows the plasma concentration but holds no mass.
        """
        self._a[:, self.index(target), self.index(source)] += rate_per_min

    def bolus(self, state: str, start_min: float, amount_mg: FloatArray | float) -> None:
        amount = np.broadcast_to(np.asarray(amount_mg, dtype=np.float64), (self.n,))
        self._inputs.append(Input(self.index(state), float(start_min), 0.0, amount))

    def zero_order(self, state: str, start_min: float, duration_min: float, amount_mg: FloatArray | float) -> None:
        amount = np.broadcast_to(np.asarray(amount_mg, dtype=np.float64), (self.n,))
        if duration_min <= 0:
            self._inputs.append(Input(self.index(state), float(start_min), 0.0, amount))
        else:
            self._inputs.append(Input(self.index(state), float(start_min), float(duration_min), amount))

    def output(self, name: str, state: str, ng_ml_per_unit: FloatArray | float) -> None:
        """Read ``state × ng_ml_per_unit`` as the concentration series ``name`` (ng/mL)."""
        row = np.zeros((self.n, len(self.states)))
        row[:, self.index(state)] = ng_ml_per_unit
        self._outputs[name] = row

    def build(self) -> LinearSystem:
        return LinearSystem(self.states, self._a, tuple(self._inputs), dict(self._outputs))
