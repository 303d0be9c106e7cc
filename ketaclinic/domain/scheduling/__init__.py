"""The clinic calendar's pure rules: appointment kinds and their durations, booking rules, candidate slots.

No Django: ``ketaclinic.scheduling.services`` loads the facts and calls these (ARCHITECTURE.md, domain layer).
"""

from ketaclinic.domain.scheduling.kinds import (
    CHAIR_KINDS,
    DEFAULT_VISIT_MIN,
    ESKETAMINE_MIN_MONITORING_MIN,
    KINDS,
    REQUIRED_EQUIPMENT,
    ROUTE_FOR_KIND,
    VIRTUAL_KINDS,
    Duration,
    SessionTiming,
    booked_duration,
)
from ketaclinic.domain.scheduling.measures import (
    UTILISATION_SOURCE,
    WeekMeasures,
    closed_because,
    day_utilisation,
    week_measures,
    week_start,
)
from ketaclinic.domain.scheduling.rules import (
    RULES,
    BookingFacts,
    ChairFacts,
    Closure,
    Interval,
    OpenHours,
    Refusal,
    check,
    covered,
    overlaps,
)
from ketaclinic.domain.scheduling.series import candidate_days, min_gap_days, shifted_days
from ketaclinic.domain.scheduling.slots import candidate_starts, local_day_bounds

__all__ = [
    "CHAIR_KINDS",
    "DEFAULT_VISIT_MIN",
    "ESKETAMINE_MIN_MONITORING_MIN",
    "KINDS",
    "REQUIRED_EQUIPMENT",
    "ROUTE_FOR_KIND",
    "RULES",
    "UTILISATION_SOURCE",
    "VIRTUAL_KINDS",
    "BookingFacts",
    "ChairFacts",
    "Closure",
    "Duration",
    "Interval",
    "OpenHours",
    "Refusal",
    "SessionTiming",
    "WeekMeasures",
    "booked_duration",
    "candidate_days",
    "candidate_starts",
    "check",
    "closed_because",
    "covered",
    "day_utilisation",
    "local_day_bounds",
    "min_gap_days",
    "overlaps",
    "shifted_days",
    "week_measures",
    "week_start",
]
