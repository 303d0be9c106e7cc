"""Appointment kinds (CONTRACTS.md §6) and how long each books a chair, a room or staff time.

Sources (keys of knowledge/scheduling.md §8):

- Esketamine (Spravato): devices 5 min apart (56 mg = 2 devices, 84 mg = 3) [S8]; monitoring at least 2 h and until
  sedation, dissociation and respiratory depression resolve [S1], [S14]. The label does not say whether the 2-hour
  clock starts at the first or the last device (scheduling.md §1.3, VERIFY): the calendar takes the conservative end,
  last device + 120 min, after the clinic's check-in time (pre-dose vitals; clinic-defined, scheduling.md §2.2).
- IV and IM racemic ketamine: the order's infusion minutes plus the protocol's minimum observation (clinic policy,
  no published minimum; scheduling.md §3) plus a turnover buffer (no published standard, LeanTaaS [S30]; a setting).
- Consultation, intake, follow-up, integration, home-dose review: staff time, no chair; telehealth: no room either.
  Their lengths are clinic policy (the defaults below are labelled so, the clinic may change them).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

__all__ = [
    "CHAIR_KINDS",
    "DEFAULT_VISIT_MIN",
    "ESKETAMINE_MIN_MONITORING_MIN",
    "KINDS",
    "LONGEST_APPOINTMENT_MIN",
    "REQUIRED_EQUIPMENT",
    "ROUTE_FOR_KIND",
    "VIRTUAL_KINDS",
    "Duration",
    "SessionTiming",
    "booked_duration",
]

#: No appointment holds its chair, room or staff longer than a day: the calendar is drawn a day at a time, and the
#: bound lets every "what overlaps this window" read use the (location, start) index from the window's start less this
#: much, instead of scanning every earlier appointment (issue 17's speed target). Protocols' hard limits keep real
#: sessions far shorter (the longest, a CRPS infusion, is about 4 h; pain.md).
LONGEST_APPOINTMENT_MIN = 24 * 60

KINDS = (
    "consultation",
    "intake",
    "infusion_iv",
    "im",
    "esketamine",
    "follow_up",
    "integration",
    "telehealth",
    "home_dose_review",
)

# A treatment session: it sits in a chair and needs a signed plan with an open session order of the matching route.
CHAIR_KINDS = frozenset({"infusion_iv", "im", "esketamine"})
ROUTE_FOR_KIND = {"infusion_iv": "iv", "im": "im", "esketamine": "intranasal_esketamine"}
# No room at the location at all.
VIRTUAL_KINDS = frozenset({"telehealth"})

ESKETAMINE_MIN_MONITORING_MIN = 120  # REMS [S1]: "monitored for at least two hours"

# What a chair must have for a kind, and why.
REQUIRED_EQUIPMENT: dict[str, tuple[tuple[str, str], ...]] = {
    "esketamine": (
        ("pulse_oximeter", "Spravato REMS (FDA, 2024): a pulse oximeter to monitor patients onsite"),
        ("recliner", "esketamine is taken sitting back in a recliner (Spravato patient information)"),
    ),
    "infusion_iv": (
        ("infusion_pump", "an IV infusion runs on a pump at the ordered rate (session order pump_rate_ml_per_h)"),
        ("monitor", "ASA 2025 ketamine guidance: IV ketamine only in a monitored setting"),
    ),
    "im": (("monitor", "ASA 2025 ketamine guidance: IM ketamine only in a monitored setting"),),
}

# Clinic policy defaults, minutes (no published standard; scheduling.md §3). The clinic's settings replace them.
DEFAULT_VISIT_MIN = {
    "consultation": 60,
    "intake": 60,
    "follow_up": 30,
    "integration": 60,
    "telehealth": 30,
    "home_dose_review": 30,
}


@dataclass(frozen=True)
class SessionTiming:
    """What a session's length depends on. Minutes throughout; ``devices`` only for esketamine."""

    dosing_min: int = 0  # IV/IM: the order's infusion (or injection) minutes
    observation_min: int = 0  # the protocol's minimum observation after dosing
    devices: int = 0  # esketamine: 28 mg devices
    device_interval_min: int = 5  # esketamine: "wait 5 minutes after each device" [S8]
    checkin_min: int = 0  # clinic setting: check-in and pre-dose vitals
    turnover_min: int = 0  # clinic setting: chair cleaning and set-up


@dataclass(frozen=True)
class Duration:
    minutes: int
    basis: str  # how the number was made, shown next to the booking

    def __post_init__(self) -> None:
        if self.minutes > LONGEST_APPOINTMENT_MIN:
            raise ValueError(
                f"An appointment holds its chair or staff at most {LONGEST_APPOINTMENT_MIN // 60} hours; this one "
                f"would take {self.minutes} minutes ({self.basis}). Check the protocol's and the order's minutes."
            )

    @property
    def delta(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.minutes)


def booked_duration(kind: str, timing: SessionTiming, visit_min: dict[str, int] | None = None) -> Duration:
    """How long an appointment of ``kind`` holds its chair (sessions) or its staff (visits)."""
    if kind not in KINDS:
        raise ValueError(f"unknown appointment kind {kind!r}; one of {', '.join(KINDS)}")
    if kind == "esketamine":
        last_device = max(timing.devices - 1, 0) * timing.device_interval_min
        observe = max(timing.observation_min, ESKETAMINE_MIN_MONITORING_MIN)
        minutes = timing.checkin_min + last_device + observe + timing.turnover_min
        basis = (
            f"check-in {timing.checkin_min} + last device at {last_device} + monitoring ≥ {observe} "
            f"+ turnover {timing.turnover_min} min (REMS S1, label S8)"
        )
        return Duration(minutes, basis)
    if kind in CHAIR_KINDS:
        minutes = timing.dosing_min + timing.observation_min + timing.turnover_min
        basis = (
            f"dosing {timing.dosing_min} + observation {timing.observation_min} + turnover {timing.turnover_min} min "
            "(protocol; turnover is a clinic setting)"
        )
        return Duration(minutes, basis)
    minutes = (visit_min or {}).get(kind, DEFAULT_VISIT_MIN[kind])
    return Duration(minutes, f"{minutes} min visit (clinic policy)")
