"""Reviewing alerts at the chair without alert fatigue (issue 15): one reading is one alert, an unchanged sedation state
raises nothing new, and a stop-and-evaluate alert is acknowledged only with a written note.

* :func:`summarise` folds every finding of one reading into one alert: the highest level, every finding's message,
  the action of that level and each source once. A reading of 186/114 mmHg after a pre-dose 120/75 crosses the
  systolic and diastolic stop levels (SBP ≥ 180 and/or DBP ≥ 110) and both rise levels (+40/+25): four findings, one
  alert, one acknowledgement.
* :func:`sedation_unchanged` says when a sedation finding repeats the state the session's last sedation alert was
  raised for (MOAA/S, Chernik 1990; RASS, Sessler 2002): nothing new happened, so no new alert.
* :func:`acknowledgement_refusal` is the rule that a stop-and-evaluate alert (the highest level of the default alert
  table) needs a note saying what was done.

The levels and numbers themselves are :mod:`ketaclinic.domain.monitoring.alerts` and its thresholds: the Spravato
(esketamine) US prescribing information for the esketamine BP rules, and for racemic ketamine the clinic-configurable
defaults under the consensus statement of Sanacora et al., JAMA Psychiatry 2017;74:399.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ketaclinic.domain.monitoring.alerts import Alert, AlertLevel
from ketaclinic.domain.monitoring.vitals import VitalSigns

__all__ = [
    "NOTE_REQUIRED_LEVELS",
    "SEDATION_CODES",
    "AlertSummary",
    "SedationState",
    "acknowledgement_refusal",
    "sedation_state",
    "sedation_unchanged",
    "summarise",
    "without_sedation",
]

SEDATION_CODES: Final = frozenset({"moaas_sedation", "rass_sedation"})
"""The findings about sedation (MOAA/S below pre-dose or 0; RASS ≤ −3)."""

NOTE_REQUIRED_LEVELS: Final[frozenset[AlertLevel]] = frozenset({"stop"})
"""Levels whose acknowledgement needs a written note: stop and evaluate, the highest level of the alert table."""

_LEVEL_LABELS: Final[dict[AlertLevel, str]] = {"stop": "Stop and evaluate", "alert": "Alert"}


@dataclass(frozen=True)
class AlertSummary:
    """One reading's alert: its level (the highest of its findings), each finding's message in table order, what to
    do (the action of that level, each distinct action once), and each source once."""

    level: AlertLevel
    label: str
    messages: tuple[str, ...]
    action: str
    sources: tuple[str, ...]

    @property
    def note_required(self) -> bool:
        return self.level in NOTE_REQUIRED_LEVELS


def summarise(findings: Sequence[Alert]) -> AlertSummary:
    """Fold the findings of one reading into one alert. At least one finding is required (``ValueError`` otherwise).

    A stop finding makes the whole alert a stop: its action (stop, stay, prescriber evaluates now) covers the lesser
    ones, so only the actions of stop findings are listed; otherwise each distinct action is listed once.
    """
    if not findings:
        raise ValueError("findings: a reading's alert needs at least one finding")
    level: AlertLevel = "stop" if any(f.level == "stop" for f in findings) else "alert"
    actions = tuple(dict.fromkeys(f.action for f in findings if f.level == level))
    return AlertSummary(
        level=level,
        label=_LEVEL_LABELS[level],
        messages=tuple(f.message for f in findings),
        action=" ".join(actions),
        sources=tuple(dict.fromkeys(f.source for f in findings)),
    )


@dataclass(frozen=True)
class SedationState:
    """The sedation scores of one reading (either may be missing)."""

    moaas: int | None
    rass: int | None


def sedation_state(signs: VitalSigns) -> SedationState | None:
    """The reading's sedation state, or ``None`` when it recorded no sedation score (it says nothing about sedation)."""
    if signs.moaas is None and signs.rass is None:
        return None
    return SedationState(moaas=signs.moaas, rass=signs.rass)


def sedation_unchanged(
    current: SedationState, *, last_alerted: SedationState | None, since: Sequence[SedationState] = ()
) -> bool:
    """True when ``current`` is the state the session's last sedation alert (open or acknowledged) was raised for and
    every sedation score recorded since then was the same: the alert on record already covers it.

    A deeper or lighter score, or a recovery in between (the patient woke up and is sedated again), is a change and
    raises a new alert. With no earlier sedation alert there is nothing to repeat.
    """
    if last_alerted is None or current != last_alerted:
        return False
    return all(state == last_alerted for state in since)


def without_sedation(findings: Sequence[Alert]) -> tuple[Alert, ...]:
    """The findings other than sedation (what is left to raise when the sedation state is unchanged)."""
    return tuple(f for f in findings if f.code not in SEDATION_CODES)


def acknowledgement_refusal(level: AlertLevel, note: str) -> str | None:
    """Why an acknowledgement is refused, or ``None`` when it may go ahead.

    A stop-and-evaluate alert means the treatment was stopped and the prescriber evaluated the patient: the record must
    say what was found and done, so a blank note is refused. A lesser alert may be acknowledged without one.
    """
    if level in NOTE_REQUIRED_LEVELS and not note.strip():
        return (
            "A stop-and-evaluate alert needs a written note: say what was done (who evaluated the patient, what was "
            "found, what changed). Nothing was acknowledged."
        )
    return None
