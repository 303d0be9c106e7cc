"""Secure messages between a patient and the care team: the limits on what may be sent, and the response-time maths.

Pure Python. The limits are clinic policy (no published source sets them): a message of at most
``TEXT_MAX_CHARS`` characters and a subject of at most ``SUBJECT_MAX_CHARS``. Over the limit is refused with the
count, never cut. Messages are plain text: something that looks like an HTML tag is refused with words that say
what to do (pages escape everything anyway).

The response-time measure is the time from a thread's first patient message to the first staff reply, over the
threads a location received in a window; the median and the 90th percentile use the nearest-rank method, so each is
a time that actually happened.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: CLINIC POLICY: the longest message, in characters (about two pages of text).
TEXT_MAX_CHARS = 5000
#: CLINIC POLICY: the longest subject, in characters.
SUBJECT_MAX_CHARS = 120
#: CLINIC POLICY: the longest reason for marking a message sent in error.
REASON_MAX_CHARS = 500
#: The window of the response-time measure, in days (clinic policy).
RESPONSE_WINDOW_DAYS = 30

_TAG = re.compile(r"</?[a-zA-Z!?]")


def looks_like_markup(text: str) -> bool:
    """True for text with something shaped like an HTML tag (``<b>``, ``</p>``, ``<!--``); ``<3`` and ``a < b`` pass."""
    return bool(_TAG.search(text))


def text_problem(text: str, *, label: str, limit: int, required: bool = True) -> str:
    """What is wrong with a piece of text the patient or staff typed ("" when nothing is), in words that say what to
    do. ``text`` is already stripped."""
    if not text:
        return f"{label}: please write something." if required else ""
    if len(text) > limit:
        return (
            f"{label} is {len(text):,} characters long; the limit is {limit:,}. "
            "Shorten it (or send it in parts). Nothing was sent."
        )
    if looks_like_markup(text):
        return f"{label}: please write plain text, without HTML tags such as <b> or <script>."
    return ""


def nearest_rank(values: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0 < fraction ≤ 1): the smallest value with at least that fraction
    of the values at or below it."""
    if not values:
        raise ValueError("no values")
    if not 0 < fraction <= 1:
        raise ValueError("fraction must be in (0, 1]")
    ordered = sorted(values)
    rank = max(math.ceil(fraction * len(ordered)), 1)
    return ordered[rank - 1]


@dataclass(frozen=True)
class ResponseTimes:
    """Time to first staff reply over a window: how many threads were answered, the median and 90th percentile in
    minutes (None with no answered thread), and how many are still waiting for a first reply."""

    answered: int
    median_min: float | None
    p90_min: float | None
    unanswered: int


def response_times(pairs: Sequence[tuple[dt.datetime, dt.datetime | None]]) -> ResponseTimes:
    """``pairs``: (first patient message, first staff reply or None) for each thread."""
    minutes = [(replied - asked).total_seconds() / 60 for asked, replied in pairs if replied is not None]
    waiting = sum(1 for _asked, replied in pairs if replied is None)
    if not minutes:
        return ResponseTimes(answered=0, median_min=None, p90_min=None, unanswered=waiting)
    return ResponseTimes(
        answered=len(minutes),
        median_min=nearest_rank(minutes, 0.5),
        p90_min=nearest_rank(minutes, 0.9),
        unanswered=waiting,
    )


def duration_words(minutes: float | None) -> str:
    """``95`` → "1 h 35 min"; days for long waits; "–" for None."""
    if minutes is None:
        return "–"
    whole = round(minutes)
    if whole < 60:
        return f"{whole} min"
    hours, mins = divmod(whole, 60)
    if hours < 48:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
