"""Chair-side arithmetic of a treatment session: dose delivered from the rate history, the fasting window, when the
protocol's assessments (CADSS) fall due, the Spravato REMS form's blood-pressure points and its 7-day deadline.

Pure Python, no Django. Times are either plain minutes from the start of dosing (``t_min``; a pre-dose event has
t ≤ 0, as in :mod:`ketaclinic.domain.monitoring`) or aware datetimes where the caller compares wall-clock moments
(the fasting window). Drug amounts are ``Decimal`` mg (ARCHITECTURE.md "Money-like quantities are exact").

Sources:

* total dose = Σ rate × time at that rate; the pump stops at the ordered dose (its volume-to-be-infused), so the total
  is capped there. Pump rate for a bag: clinical-rules.md §3 "Infusion arithmetic" (the drug volume is ignored).
* fasting: clinical-rules.md §3 (esketamine: no food 2 h, no liquids 30 min before); the minutes come from the
  protocol (``domain.protocols``: ``fasting_food_min`` / ``fasting_liquids_min``), a clinic policy for racemic ketamine.
* CADSS: instruments.md "cadss" (change from pre-dose at ~40 and ~90 min); the times come from the protocol.
* REMS: clinical-rules.md §3: a Patient Monitoring Form after every esketamine session, within 7 calendar days, with
  the BP before dosing, at ~40 min and before leaving, and the total monitoring time.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, Literal

__all__ = [
    "REMS_FORM_WINDOW_DAYS",
    "BpPoint",
    "FastingCheck",
    "RateSegment",
    "RemsBloodPressure",
    "RemsStatus",
    "check_fasting",
    "checks_due",
    "dose_delivered_mg",
    "expected_end_min",
    "pump_rate_ml_per_h",
    "rems_blood_pressure",
    "rems_due_on",
    "rems_status",
]

REMS_FORM_WINDOW_DAYS: Final = 7
"""The Spravato REMS Patient Monitoring Form is due within 7 calendar days of the session (clinical-rules.md §3)."""

_MG: Final = Decimal("0.01")
_ML_PER_H: Final = Decimal("0.1")
_SIXTY: Final = Decimal(60)


def _finite(name: str, value: float | Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(f"{name}: must be a number (got {value!r})")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{name}: must be a finite number (got {value!r})")
    number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if not number.is_finite():
        raise ValueError(f"{name}: must be a finite number (got {value!r})")
    return number


# --- Dose delivered -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateSegment:
    """From ``start_min`` on, the pump runs at ``rate_mg_per_h`` (0 = paused) until the next segment starts."""

    start_min: float | Decimal
    rate_mg_per_h: Decimal


def _segments(segments: Sequence[RateSegment]) -> list[tuple[Decimal, Decimal]]:
    parsed: list[tuple[Decimal, Decimal]] = []
    for index, segment in enumerate(segments):
        start = _finite(f"segments[{index}].start_min", segment.start_min)
        rate = _finite(f"segments[{index}].rate_mg_per_h", segment.rate_mg_per_h)
        if rate < 0:
            raise ValueError(f"segments[{index}].rate_mg_per_h: must not be negative (got {rate})")
        if parsed and start < parsed[-1][0]:
            raise ValueError(f"segments[{index}].start_min: segments must be in time order")
        parsed.append((start, rate))
    return parsed


def dose_delivered_mg(
    segments: Sequence[RateSegment], *, until_min: float | Decimal, cap_mg: Decimal | None = None
) -> Decimal:
    """Total mg delivered from the first segment's start to ``until_min``: Σ rate × minutes / 60, capped at ``cap_mg``
    (the ordered dose: the pump stops when it has infused it). Rounded to 0.01 mg. No segments: 0."""
    parsed = _segments(segments)
    until = _finite("until_min", until_min)
    total = Decimal(0)
    for index, (start, rate) in enumerate(parsed):
        end = parsed[index + 1][0] if index + 1 < len(parsed) else until
        end = min(end, until)
        if end > start:
            total += rate * (end - start) / _SIXTY
    if cap_mg is not None:
        total = min(total, _finite("cap_mg", cap_mg))
    return total.quantize(_MG)


def expected_end_min(segments: Sequence[RateSegment], *, dose_mg: Decimal) -> Decimal | None:
    """When the ordered ``dose_mg`` will have run in at the current (last) rate, in minutes from the start; ``None``
    while the pump is paused or before it has started. Rounded to 0.1 min."""
    parsed = _segments(segments)
    if not parsed or parsed[-1][1] == 0:
        return None
    dose = _finite("dose_mg", dose_mg)
    start, rate = parsed[-1]
    before = dose_delivered_mg(segments, until_min=start)
    remaining = max(dose - before, Decimal(0))
    return (start + remaining * _SIXTY / rate).quantize(Decimal("0.1"))


def pump_rate_ml_per_h(rate_mg_per_h: Decimal, *, dose_mg: Decimal, bag_volume_ml: Decimal) -> Decimal:
    """The pump rate (mL/h) that delivers ``rate_mg_per_h`` from a bag holding ``dose_mg`` in ``bag_volume_ml``
    (clinical-rules.md §3: the drug volume is ignored). 60 mg/h of 40 mg in 100 mL → 150.0 mL/h."""
    rate = _finite("rate_mg_per_h", rate_mg_per_h)
    dose = _finite("dose_mg", dose_mg)
    bag = _finite("bag_volume_ml", bag_volume_ml)
    if dose <= 0 or bag <= 0 or rate < 0:
        raise ValueError("rate_mg_per_h: needs a positive dose and bag volume and a rate of 0 or more")
    return (rate * bag / dose).quantize(_ML_PER_H)


# --- Fasting --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FastingCheck:
    """``ok`` when every rule is met; ``unmet`` says what is not, in plain words; ``ready_at`` is the moment the last
    unmet window closes (None when a time is missing or nothing is unmet)."""

    ok: bool
    unmet: tuple[str, ...]
    ready_at: dt.datetime | None


def check_fasting(
    *,
    at: dt.datetime,
    last_food_at: dt.datetime | None,
    last_liquids_at: dt.datetime | None,
    food_min: int | None,
    liquids_min: int | None,
) -> FastingCheck:
    """Whether the fasting window of the protocol is met at ``at`` (aware datetimes). A rule set to None is not asked
    for. A recorded time after ``at`` is a typing error and raises ``ValueError`` naming the field."""
    unmet: list[str] = []
    ready: list[dt.datetime] = []
    missing = False
    for field, label, last, minutes in (
        ("last_food_at", "food", last_food_at, food_min),
        ("last_liquids_at", "liquids", last_liquids_at, liquids_min),
    ):
        if minutes is None:
            continue
        if last is None:
            unmet.append(f"The time of the last {label} is not recorded (the protocol asks for {minutes} min).")
            missing = True
            continue
        if last > at:
            raise ValueError(f"{field}: the time of the last {label} is in the future")
        elapsed = (at - last).total_seconds() / 60
        if elapsed < minutes:
            unmet.append(f"Last {label} {math.floor(elapsed)} min ago; the protocol asks for {minutes} min.")
            ready.append(last + dt.timedelta(minutes=minutes))
    ready_at = max(ready) if ready and not missing else None
    return FastingCheck(ok=not unmet, unmet=tuple(unmet), ready_at=ready_at)


# --- Assessments at the protocol's times ---------------------------------------------------------------------------


def checks_due(
    checks_min: Sequence[int], *, done_min: Sequence[float], now_min: float
) -> tuple[int | None, bool, tuple[int, ...]]:
    """Which of the protocol's assessment times are met: ``(next_due_min, overdue, met)``.

    Each recorded assessment counts for the scheduled time nearest to it (a tie goes to the earlier time); a time at
    0 is met only by a pre-dose assessment (t ≤ 0), and a pre-dose assessment meets only the time at 0. The next due
    time is the earliest scheduled time not met (None when all are met); it is overdue once ``now_min`` is past it.
    """
    checks = sorted(set(checks_min))
    met: set[int] = set()
    for t in done_min:
        if not math.isfinite(t):
            raise ValueError(f"done_min: must be finite (got {t!r})")
        if t <= 0:
            if 0 in checks:
                met.add(0)
            continue
        later = [c for c in checks if c > 0]
        if later:
            met.add(min(later, key=lambda c: (abs(c - t), c)))
    pending = [c for c in checks if c not in met]
    next_due = pending[0] if pending else None
    overdue = next_due is not None and now_min > next_due
    return next_due, overdue, tuple(sorted(met))


# --- REMS -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BpPoint:
    """One blood-pressure reading at ``t_min`` from dosing."""

    t_min: float
    systolic_mmhg: float
    diastolic_mmhg: float


@dataclass(frozen=True)
class RemsBloodPressure:
    """The three blood pressures the REMS Patient Monitoring Form asks for (None where none was taken)."""

    before_dosing: BpPoint | None
    near_checkpoint: BpPoint | None
    before_leaving: BpPoint | None


def rems_blood_pressure(readings: Sequence[BpPoint], *, checkpoint_min: int = 40) -> RemsBloodPressure:
    """Before dosing: the last reading at t ≤ 0. At ~``checkpoint_min``: the post-dose reading nearest to it (ties go
    to the earlier). Before leaving: the last post-dose reading, unless it is the only one and already used as the
    checkpoint reading (then None: take another reading before the patient leaves)."""
    ordered = sorted(readings, key=lambda r: r.t_min)
    before = [r for r in ordered if r.t_min <= 0]
    after = [r for r in ordered if r.t_min > 0]
    near = min(after, key=lambda r: (abs(r.t_min - checkpoint_min), r.t_min)) if after else None
    leaving = after[-1] if after and not (len(after) == 1 and after[-1] is near) else None
    return RemsBloodPressure(before_dosing=before[-1] if before else None, near_checkpoint=near, before_leaving=leaving)


def rems_due_on(session_date: dt.date, *, window_days: int = REMS_FORM_WINDOW_DAYS) -> dt.date:
    """The last day to submit the form: ``window_days`` calendar days after the session day."""
    if window_days < 1:
        raise ValueError(f"window_days: must be at least 1 (got {window_days!r})")
    return session_date + dt.timedelta(days=window_days)


@dataclass(frozen=True)
class RemsStatus:
    """``submitted``, ``due`` (``days_left`` ≥ 0, 0 = today is the last day) or ``overdue`` (``days_left`` < 0)."""

    state: Literal["submitted", "due", "overdue"]
    days_left: int


def rems_status(*, due_on: dt.date, today: dt.date, submitted: bool) -> RemsStatus:
    days_left = (due_on - today).days
    if submitted:
        return RemsStatus("submitted", days_left)
    return RemsStatus("due" if days_left >= 0 else "overdue", days_left)
