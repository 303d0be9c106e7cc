"""What the outcomes app needs to know from the apps above it, registered by them at start-up.

ARCHITECTURE.md "One direction": ``outcomes`` sits below ``plans`` and ``infusions`` (intake and the session check-in
record scores through it), yet a score and a course summary carry two facts only those apps know:

- how many treatment sessions the patient had started before a moment (the session markers on a trajectory and
  ``OutcomeCourse.sessions_given``) — ``infusions`` registers it;
- the indication, route and protocol of the patient's latest signed plan version (the dashboard's dimensions) —
  ``plans`` registers it.

Each is registered once, from the registering app's ``AppConfig.ready()``; asking before then is a configuration error
(both apps are always installed), never a silent zero.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

SessionCounter = Callable[[int, dt.datetime], int]
PlanDimensions = Callable[[int], dict[str, str]]

_session_counter: SessionCounter | None = None
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
