"""Monitoring of a supervised home programme: the screens it sends and when the prescriber should consider stopping.

Pure Python. Sources (supervised at-home ketamine reference, §5–§7; labels as there):

* Bladder: "baseline + periodic PUF or GUPI … new frequency/urgency, dysuria, haematuria or suprapubic pain → clinician
  review and consider stopping" — a CLINIC POLICY suggestion; "no retrieved source sets a screening interval for
  therapeutic users", so the interval is a clinic setting with no default (unset = baseline screen only). The screen
  used is the five-symptom check of ``instruments.bladder_symptoms`` (PUF/GUPI scoring is not in the reference files).
  "The most important step in the management of ketamine-associated LUTS … is the discontinuation of ketamine use"
  (Sci Rep 2019;9:7240).
* Alcohol: AUDIT-C is the clinic's choice of screen (no ketamine source mandates one); positive at ≥ 4 for men, ≥ 3
  for women (Bradley et al. 2007). "Serial ketamine infusions should not be undertaken in patients with an active
  substance abuse problem" (ASRA/AAPM/ASA 2018); "Careful consideration is advised … history of substance use
  disorder, including alcohol. Monitoring for signs of abuse and dependence is recommended" (Spravato PI).
* When to stop (or pause) home dosing: the triggers of the reference's §7, each with its basis and its label
  (STANDARD, PROGRAMME or literature). They are **suggestions to the prescriber**, never automatic stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from ketaclinic.domain.homecare import DEA_TELEMEDICINE_FLEXIBILITIES_END
from ketaclinic.domain.instruments import audit_c, bladder_symptoms

__all__ = [
    "SCREEN_INSTRUMENTS",
    "DueScreen",
    "ScreenState",
    "StopFacts",
    "Suggestion",
    "baseline_key",
    "due_screen",
    "new_bladder_symptoms",
    "periodic_key",
    "stop_suggestions",
]

#: The scales a home-programme screen opens, in order: the bladder symptom check and AUDIT-C.
SCREEN_INSTRUMENTS: Final = ("bladder_symptoms", "audit_c")

Action = Literal["stop", "review", "space"]
Label = Literal["STANDARD", "PROGRAMME", "literature"]


def new_bladder_symptoms(baseline: Sequence[object], current: Sequence[object]) -> tuple[str, ...]:
    """The short labels of the bladder symptoms answered "yes" now and "no" at the baseline check, in item order.

    Raises
    ------
    InvalidAnswers
        Either answer list is not a complete, valid bladder symptom check.
    """
    before = bladder_symptoms.score(baseline).answers
    now = bladder_symptoms.score(current).answers
    return tuple(
        item.label
        for item, was, is_ in zip(bladder_symptoms.DEFINITION.items, before, now, strict=True)
        if is_ and not was
    )


# --- when a screen is due -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScreenState:
    """What the scheduler knows about one active home programme.

    ``last_screen_on``: the later of the due date of the programme's latest screen link and the day of its latest
    completed bladder check (``None`` before any). ``interval_days``: the clinic's periodic interval (CLINIC POLICY,
    ``None`` = not set: baseline only).
    """

    programme_id: int
    enrolled_on: dt.date
    baseline_issued: bool
    last_screen_on: dt.date | None
    interval_days: int | None

    def __post_init__(self) -> None:
        if self.interval_days is not None and (isinstance(self.interval_days, bool) or self.interval_days < 1):
            raise ValueError(f"interval_days must be a whole number of days, 1 or more (got {self.interval_days!r})")


@dataclass(frozen=True)
class DueScreen:
    key: str
    due_on: dt.date
    baseline: bool


def baseline_key(programme_id: int) -> str:
    return f"home:{programme_id}:baseline"


def periodic_key(programme_id: int, due_on: dt.date) -> str:
    return f"home:{programme_id}:{due_on.isoformat()}"


def due_screen(state: ScreenState, *, today: dt.date) -> DueScreen | None:
    """The screen due today, if any: the baseline once after enrolment, then one every ``interval_days`` after the
    last screen (issued or answered). The key makes issuing idempotent."""
    if not state.baseline_issued:
        return DueScreen(baseline_key(state.programme_id), today, True)
    if state.interval_days is None:
        return None
    due_on = (state.last_screen_on or state.enrolled_on) + dt.timedelta(days=state.interval_days)
    if today < due_on:
        return None
    return DueScreen(periodic_key(state.programme_id, due_on), due_on, False)


# --- stop / pause suggestions ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StopFacts:
    """The facts about one home programme that the stop triggers read.

    ``course_complete``: every authorised session of the current prescription has been taken. ``unresolved_sedation``:
    doses whose post-dose check said sedation had not resolved. ``rule_breaches``: check-ins without a sober monitor
    present, or on a day with alcohol or interacting sedatives. ``audit_c_total`` / ``sex``: the latest AUDIT-C and the
    sex assigned at birth (``None`` = no AUDIT-C yet). ``phq9_response``: the latest PHQ-9 is a response (≥ 50 %
    reduction from baseline); ``None`` = no baseline or no follow-up score.
    """

    today: dt.date
    course_complete: bool = False
    unresolved_sedation: int = 0
    new_bladder_symptoms: tuple[str, ...] = ()
    discrepancy: bool = False
    rule_breaches: int = 0
    audit_c_total: int | None = None
    sex: str | None = None
    phq9_response: bool | None = None
    in_person_evaluation_on: dt.date | None = None

    def __post_init__(self) -> None:
        for name in ("unresolved_sedation", "rule_breaches"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number, 0 or more (got {value!r})")
        if self.audit_c_total is not None:
            audit_c.positive(self.audit_c_total, self.sex)  # validates 0–12


@dataclass(frozen=True)
class Suggestion:
    """One suggestion to the prescriber: ``action`` stop, review or space (doses); the reason in plain words; the
    basis quoted; the source (author/year or document); the label of that source."""

    code: str
    action: Action
    reason: str
    basis: str
    source: str
    label: Label


ASA_2025: Final = "ASA, Guidance on the Safe Use of Ketamine Outside of Acute Pain Management (Feb 2025)"


def stop_suggestions(facts: StopFacts) -> tuple[Suggestion, ...]:
    """Every stop/pause trigger the facts meet, most serious first; empty when none is met."""
    found: list[Suggestion] = []
    if facts.new_bladder_symptoms:
        found.append(
            Suggestion(
                "bladder",
                "stop",
                "New since the baseline check: " + ", ".join(s.lower() for s in facts.new_bladder_symptoms) + ".",
                "Discontinuing ketamine is the most important step in managing ketamine-associated lower urinary "
                "tract symptoms; they improved after cessation in 83.5 % (mostly recreational users).",
                "Sci Rep 2019;9:7240",
                "literature",
            )
        )
    if facts.unresolved_sedation:
        found.append(
            Suggestion(
                "sedation",
                "stop",
                f"{facts.unresolved_sedation} post-dose check(s) reported that sedation had not resolved.",
                "Ketamine should not be given in doses that produce excessive sedation, unconsciousness or "
                "unresponsiveness.",
                ASA_2025,
                "STANDARD",
            )
        )
    if facts.discrepancy:
        found.append(
            Suggestion(
                "discrepancy",
                "review",
                "The dose count differs from the running balance by at least the clinic's tolerance.",
                "Be vigilant for diversion to non-medical purposes (the tolerance is clinic policy).",
                ASA_2025,
                "STANDARD",
            )
        )
    if facts.in_person_evaluation_on is None and facts.today > DEA_TELEMEDICINE_FLEXIBILITIES_END:
        found.append(
            Suggestion(
                "telehealth",
                "stop",
                "Telehealth-only patient without an in-person evaluation after the DEA telemedicine flexibilities "
                f"ended ({DEA_TELEMEDICINE_FLEXIBILITIES_END:%d %b %Y}).",
                "Effective 1 January 2026 through 31 December 2026; re-check the rule's status.",
                "DEA/HHS fourth temporary extension, 90 FR 61301 (31 Dec 2025)",
                "STANDARD",
            )
        )
    if facts.rule_breaches:
        found.append(
            Suggestion(
                "rules",
                "review",
                f"{facts.rule_breaches} check-in(s) without a sober monitor present, or on a day with alcohol or "
                "sedatives.",
                "One programme disqualifies from further treatment under a zero-tolerance policy.",
                "Choose Ketamine, Remote Treatment Agreement",
                "PROGRAMME",
            )
        )
    if facts.audit_c_total is not None and audit_c.positive(facts.audit_c_total, facts.sex):
        found.append(
            Suggestion(
                "alcohol",
                "review",
                f"AUDIT-C {facts.audit_c_total}, positive (cut-off {audit_c.cutoff_for(facts.sex)}).",
                "Serial ketamine should not be undertaken with an active substance abuse problem; careful "
                "consideration with a history of substance use disorder, including alcohol.",
                "ASRA/AAPM/ASA 2018 (Cohen et al.); Spravato PI; " + audit_c.CUTOFF_SOURCE,
                "STANDARD",
            )
        )
    if facts.course_complete:
        found.append(
            Suggestion(
                "course",
                "review",
                "Every authorised session of the current prescription has been taken.",
                "Ketamine treatment should have a therapeutic endpoint and a defined treatment course: stop, or "
                "document the reason to continue with a new prescription.",
                ASA_2025,
                "STANDARD",
            )
        )
    if facts.phq9_response:
        found.append(
            Suggestion(
                "response",
                "space",
                "The latest PHQ-9 is a response (a reduction of 50 % or more from baseline).",
                "Patients who respond are encouraged to begin spacing out their doses.",
                "Joyous, Information for Providers",
                "PROGRAMME",
            )
        )
    return tuple(found)
