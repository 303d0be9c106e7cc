"""Reading cadence: when the next set of vital signs is due, and whether it is overdue.

The cadence (IV: every 10 min during the infusion, every 15 min afterwards; esketamine: before dosing, at ~40 min,
then as indicated; clinical-rules.md §4 "Default vital-sign cadence") comes from the protocol data files
(:func:`cadence_for`). Times are plain minutes from the start of dosing or of the infusion (t = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaclinic.domain.monitoring.vitals import _is_number
from ketaclinic.domain.protocols import Protocol

__all__ = ["Cadence", "cadence_for", "is_overdue", "next_reading_due_min"]


@dataclass(frozen=True)
class Cadence:
    """When vital signs are due. Built from a protocol by :func:`cadence_for` (the numbers live in its data file).

    ``during_infusion_every_min``: interval while an IV infusion runs (None when the route does not infuse).
    ``after_infusion_every_min``: interval after the infusion ends, or after dosing for non-infused routes (None:
    "as indicated"). ``checkpoints_min``: fixed times after dosing (esketamine: 0 = before dosing, 40 = ~40 min).
    """

    during_infusion_every_min: int | None
    after_infusion_every_min: int | None
    checkpoints_min: tuple[int, ...] = ()


def cadence_for(protocol: Protocol) -> Cadence:
    """The reading cadence of ``protocol`` (clinical-rules.md §4 "Default vital-sign cadence")."""
    return Cadence(
        during_infusion_every_min=protocol.vitals_during_infusion_every_min,
        after_infusion_every_min=protocol.vitals_after_infusion_every_min,
        checkpoints_min=protocol.vitals_checkpoints_min,
    )


def _check_minutes(name: str, value: float) -> None:
    if not _is_number(value):
        raise ValueError(f"{name}: must be a finite number of minutes (got {value!r})")


def next_reading_due_min(
    cadence: Cadence, *, last_reading_min: float | None, infusion_end_min: float | None = None
) -> float | None:
    """Minute (from the start of dosing/infusion) at which the next reading is due, or ``None`` ("as indicated").

    No reading yet: due at 0 (the pre-dose baseline). A checkpoint at 0 is met by any reading at t ≤ 0. While the
    infusion runs (last reading before ``infusion_end_min``) the next reading is due ``during_infusion_every_min``
    after the last one, afterwards ``after_infusion_every_min`` after it; the earliest pending checkpoint wins.
    ``infusion_end_min`` is required when the cadence has a during-infusion interval.
    """
    if last_reading_min is None:
        return 0.0
    _check_minutes("last_reading_min", last_reading_min)
    candidates: list[float] = []
    pending = [c for c in cadence.checkpoints_min if c > max(last_reading_min, 0)]
    if pending:
        candidates.append(float(min(pending)))
    if cadence.during_infusion_every_min is not None:
        if infusion_end_min is None:
            raise ValueError("infusion_end_min: required for a cadence with a during-infusion interval")
        _check_minutes("infusion_end_min", infusion_end_min)
        if last_reading_min < infusion_end_min:
            candidates.append(float(last_reading_min + cadence.during_infusion_every_min))
        elif cadence.after_infusion_every_min is not None:
            candidates.append(float(last_reading_min + cadence.after_infusion_every_min))
    elif cadence.after_infusion_every_min is not None:
        candidates.append(float(last_reading_min + cadence.after_infusion_every_min))
    return min(candidates) if candidates else None


def is_overdue(
    cadence: Cadence,
    *,
    now_min: float,
    last_reading_min: float | None,
    infusion_end_min: float | None = None,
    grace_min: float = 0,
) -> bool:
    """True when ``now_min`` is past the next due time plus ``grace_min`` (default 0: no grace is cited)."""
    _check_minutes("now_min", now_min)
    _check_minutes("grace_min", grace_min)
    if grace_min < 0:
        raise ValueError(f"grace_min: must not be negative (got {grace_min!r})")
    due = next_reading_due_min(cadence, last_reading_min=last_reading_min, infusion_end_min=infusion_end_min)
    return due is not None and now_min > due + grace_min
