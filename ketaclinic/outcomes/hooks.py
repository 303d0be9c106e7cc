"""What the outcomes app needs to know from the apps above it, registered by them at start-up.

ARCHITECTURE.md "One direction": ``outcomes`` sits below ``plans`` and ``infusions`` (intake and the session check-in
record scores through it), yet a score and a course summary carry two facts only those apps know:

- how many treatment sessions the patient had started before a moment (the session markers on a trajectory and
  ``OutcomeCourse.sessions_given``) — ``infusions`` registers it;
- the indication, route and protocol of the patient's latest signed plan version (the dashboard's dimensions) —
  ``plans`` registers it;
- where a C-SSRS screener can be recorded for the patient right now (the alert page's "Record C-SSRS now") —
  ``infusions`` (the session in the chair) and ``intake`` (the open intake) register one place each.

Each is registered once, from the registering app's ``AppConfig.ready()``; asking before then is a configuration error
(both apps are always installed), never a silent zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

SessionCounter = Callable[[int, dt.datetime], int]
PlanDimensions = Callable[[int], dict[str, str]]


@dataclass(frozen=True)
class CssrsPlace:
    """Where a clinician records the C-SSRS screener for a patient: the page, what it is, and the capability the page
    needs (the alert page shows the action only to a role that has it)."""

    url: str
    label: str
    capability: str


CssrsFinder = Callable[[int], CssrsPlace | None]

_session_counter: SessionCounter | None = None
_cssrs_finders: dict[str, tuple[int, CssrsFinder]] = {}
_plan_dimensions: PlanDimensions | None = None


def register_session_counter(counter: SessionCounter) -> None:
    """``counter(patient_id, moment)``: sessions (not cancelled) the patient had started before ``moment``."""
    global _session_counter
    _session_counter = counter


def register_plan_dimensions(dimensions: PlanDimensions) -> None:
    """``dimensions(patient_id)``: ``indication``, ``route`` and ``protocol_id`` of the latest signed plan version
    (an empty dict when the patient has none)."""
    global _plan_dimensions
    _plan_dimensions = dimensions


def sessions_started_before(patient_id: int, moment: dt.datetime) -> int:
    if _session_counter is None:
        raise ImproperlyConfigured("No session counter registered: is ketaclinic.infusions in INSTALLED_APPS?")
    return _session_counter(patient_id, moment)


def plan_dimensions(patient_id: int) -> dict[str, str]:
    if _plan_dimensions is None:
        raise ImproperlyConfigured("No plan dimensions registered: is ketaclinic.plans in INSTALLED_APPS?")
    return _plan_dimensions(patient_id)


def register_cssrs_place(name: str, finder: CssrsFinder, *, priority: int) -> None:
    """``finder(patient_id)``: the page where the C-SSRS screener can be recorded for the patient now, or ``None``.
    The lowest ``priority`` that answers wins (the session in the chair before the intake). Registering the same
    ``name`` again replaces it."""
    _cssrs_finders[name] = (priority, finder)


def cssrs_place(patient_id: int) -> CssrsPlace | None:
    """The first place a registered app offers for recording the C-SSRS screener, or ``None``."""
    for _, finder in sorted(_cssrs_finders.values(), key=lambda entry: entry[0]):
        place = finder(patient_id)
        if place is not None:
            return place
    return None
