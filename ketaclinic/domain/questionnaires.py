"""When a patient's questionnaires from home fall due (measurement-based care).

Pure Python, no Django: plain values in (dates, order tuples, cadence settings), frozen dataclasses out.

Sources:

* clinical-rules.md §5 "Measurement cadence defaults": PHQ-9 (and GAD-7, a pain score for pain patients) before every
  session during induction; then every 14 days (the file's alternative: every 7 days for the first 28 days). Those
  figures are the defaults of the settings ``KETACLINIC_FOLLOW_UP_INTERVAL_DAYS`` (14),
  ``KETACLINIC_FOLLOW_UP_EARLY_INTERVAL_DAYS`` (0 = off; 7 per the file) and
  ``KETACLINIC_FOLLOW_UP_EARLY_WINDOW_DAYS`` (28), passed in as a :class:`Cadence`.
* Pain indications: clinical-rules.md §1 (the indication vocabulary: CRPS and the chronic pain indications).
* Clinic policy, not clinical figures (no source gives them, so they are settings too): how many hours before a
  session's day its questionnaire is sent (``KETACLINIC_QUESTIONNAIRE_LEAD_HOURS``) and how long a follow-up link stays
  open (``KETACLINIC_QUESTIONNAIRE_LINK_HOURS``). A pre-session link closes when the session's day ends.

Every due questionnaire carries a schedule key derived only from what it is for (``pre:<order_id>`` for a session
order, ``fu:<plan_id>:<due date>`` for a follow-up), so a rerun of the scheduler derives the same key and the database's
unique constraint turns a second issue into a no-op.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ketaclinic.domain.vocabulary import PAIN_INDICATIONS

__all__ = [
    "BASE_INSTRUMENTS",
    "PAIN_INDICATIONS",
    "PAIN_INSTRUMENT",
    "Cadence",
    "DueQuestionnaire",
    "PlanState",
    "due_questionnaires",
    "follow_up_key",
    "instruments_for",
    "pre_session_key",
]

#: PHQ-9 and GAD-7 at every scheduled questionnaire (clinical-rules.md §5 "Measurement cadence defaults").
BASE_INSTRUMENTS: Final[tuple[str, ...]] = ("phq9", "gad7")
#: The pain score added for pain patients (clinical-rules.md §5; instruments.md § pain_nrs).
PAIN_INSTRUMENT: Final = "pain_nrs"

Purpose = Literal["pre_session", "follow_up"]


@dataclass(frozen=True)
class Cadence:
    """The cadence settings (see the module docstring for where each default comes from)."""

    lead_hours: int = 24
    link_hours: int = 72
    follow_up_interval_days: int = 14
    early_interval_days: int = 0
    early_window_days: int = 28

    def __post_init__(self) -> None:
        for name in ("lead_hours", "link_hours", "follow_up_interval_days", "early_window_days"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.early_interval_days < 0:
            raise ValueError("early_interval_days must be 0 (off) or more")


@dataclass(frozen=True)
class PlanState:
    """What the scheduler knows about one treatment plan of a patient.

    ``open_orders`` are ``(order_id, target_date)`` of the signed version's orders still open; ``series_ended_on`` is
    the target date of the last session given (``None`` before the first); ``last_measured_on`` the day of the
    patient's latest outcome score; ``last_follow_up_due_on`` the due date of the plan's latest follow-up link (so an
    unanswered link is not issued again and again).
    """

    plan_id: int
    active: bool
    indication: str
    open_orders: tuple[tuple[int, dt.date], ...] = ()
    series_ended_on: dt.date | None = None
    last_measured_on: dt.date | None = None
    last_follow_up_due_on: dt.date | None = None


@dataclass(frozen=True)
class DueQuestionnaire:
    key: str
    purpose: Purpose
    instruments: tuple[str, ...]
    due_on: dt.date
    closes_at: dt.datetime
    order_id: int | None = None


def pre_session_key(order_id: int) -> str:
    return f"pre:{order_id}"


def follow_up_key(plan_id: int, due_on: dt.date) -> str:
    return f"fu:{plan_id}:{due_on.isoformat()}"


def instruments_for(indication: str) -> tuple[str, ...]:
    """PHQ-9 and GAD-7, plus the pain NRS for a pain indication (clinical-rules.md §5)."""
    if indication in PAIN_INDICATIONS:
        return (*BASE_INSTRUMENTS, PAIN_INSTRUMENT)
    return BASE_INSTRUMENTS


def _day_start(day: dt.date, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=tz)


def _pre_session(
    plan: PlanState, now: dt.datetime, tz: dt.tzinfo, cadence: Cadence, scales: tuple[str, ...]
) -> list[DueQuestionnaire]:
    due = []
    for order_id, target in sorted(plan.open_orders, key=lambda order: (order[1], order[0])):
        opens = _day_start(target, tz) - dt.timedelta(hours=cadence.lead_hours)
        closes = _day_start(target + dt.timedelta(days=1), tz)
        if opens <= now < closes:
            due.append(DueQuestionnaire(pre_session_key(order_id), "pre_session", scales, target, closes, order_id))
    return due


def _follow_up(
    plan: PlanState, now: dt.datetime, tz: dt.tzinfo, cadence: Cadence, scales: tuple[str, ...]
) -> list[DueQuestionnaire]:
    if plan.series_ended_on is None:
        return []  # no session given yet: nothing to follow up
    anchor = max(d for d in (plan.series_ended_on, plan.last_measured_on, plan.last_follow_up_due_on) if d is not None)
    early = cadence.early_interval_days > 0 and (anchor - plan.series_ended_on).days < cadence.early_window_days
    interval = cadence.early_interval_days if early else cadence.follow_up_interval_days
    today = now.astimezone(tz).date()
    due_on = anchor + dt.timedelta(days=interval)
    if due_on > today:
        return []
    # Overdue (the scheduler was not run, or the last link went unanswered): due today, not a backlog of past dates.
    due_on = today
    closes = max(_day_start(due_on, tz), now) + dt.timedelta(hours=cadence.link_hours)
    return [DueQuestionnaire(follow_up_key(plan.plan_id, due_on), "follow_up", scales, due_on, closes)]


def due_questionnaires(
    plans: Sequence[PlanState], *, now: dt.datetime, tz: dt.tzinfo, cadence: Cadence
) -> tuple[DueQuestionnaire, ...]:
    """Everything due at ``now`` (an aware datetime) for a patient's plans, dates read in the clinic's zone ``tz``.

    * Stopped plans get nothing.
    * A plan with open session orders is in its induction series: one pre-session questionnaire per open order, from
      ``lead_hours`` before the start of the order's day until that day ends.
    * An active plan with no open order left is in follow-up: one questionnaire ``follow_up_interval_days`` after the
      latest of the last session, the latest score and the latest follow-up link, or ``early_interval_days`` after it
      while that anchor is within ``early_window_days`` of the last session (when the early interval is not 0).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    due: list[DueQuestionnaire] = []
    for plan in plans:
        if not plan.active:
            continue
        scales = instruments_for(plan.indication)
        if plan.open_orders:
            due += _pre_session(plan, now, tz, cadence, scales)
        else:
            due += _follow_up(plan, now, tz, cadence, scales)
    return tuple(due)
