"""Filters of the progress letter: a score, a change from baseline and its classification (clinical rules §5)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def score(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


@register.filter
def reduction(percent: float | None) -> str:
    """A reduction from baseline as a change of the score: 60 % better → "−60 %", 10 % worse → "+10 %"."""
    if percent is None:
        return "—"
    rounded = round(percent)
    if rounded == 0:
        return "0 %"
    return f"−{rounded} %" if rounded > 0 else f"+{-rounded} %"


@register.filter
def classification(scale: dict[str, Any]) -> str:
    """Remission, response, partial response (depression and anxiety scales) or the IMMPACT improvement (pain)."""
    if not scale.get("follow_ups"):
        return "Baseline only: no later score yet"
    words = []
    if scale.get("remission"):
        words.append("remission")
    if scale.get("response"):
        words.append("response")
    elif scale.get("partial_response"):
        words.append("partial response")
    if scale.get("substantial_improvement"):
        words.append("substantial improvement")
    elif scale.get("moderate_improvement"):
        words.append("moderate improvement")
    return ", ".join(words).capitalize() if words else "No response yet"
