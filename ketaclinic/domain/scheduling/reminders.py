"""What a patient is told before a visit, and when (issue 17 "Patients"): the pre-visit checklist and which
messages are due.

Pure: the calendar's ``services/reminders.py`` loads the appointment and calls these. Sources (knowledge/scheduling.md
§5): esketamine fasting, nasal medicines and the ride home are the patient material of the US label
(spravato.com "Treatment with SPRAVATO" [S32]; PI §17 Patient Counseling, 2019 [S33]: "they will need someone to
drive them home after each treatment session"). A ride home after IV or IM ketamine is clinic/programme policy
(Journey Clinical [S34]); no published fasting rule exists for IV/IM ketamine (§5: VERIFY), so none is invented.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

#: The messages a booked appointment gets: a confirmation when booked, then two reminders.
CONFIRMATION, EARLY, DAY_BEFORE = "confirmation", "early", "day_before"
MESSAGE_KINDS = (CONFIRMATION, EARLY, DAY_BEFORE)

#: Defaults of SchedulingSettings (issue 17: reminders "48 h and the day before").
DEFAULT_EARLY_HOURS = 48
DEFAULT_DAY_BEFORE_HOURS = 24

#: Kinds given in the clinic that leave the patient unfit to drive (the ketamine sessions).
SEDATING_KINDS = frozenset({"infusion_iv", "im", "esketamine"})

#: Nasal corticosteroids and decongestants (generic names, lower case) the label says to take ≥ 1 h before esketamine.
NASAL_MEDICINES = frozenset(
    {
        "beclomethasone",
        "budesonide",
        "ciclesonide",
        "fluticasone",
        "mometasone",
        "triamcinolone",
        "oxymetazoline",
        "phenylephrine",
        "xylometazoline",
        "pseudoephedrine",
    }
)


#: What a checklist item asks of the patient: the patient portal asks them to confirm each topic that applies.
FASTING, MEDICINES, RIDE_HOME = "fasting", "medicines", "ride_home"


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    source: str
    topic: str = ""


def topics(items: Iterable[ChecklistItem]) -> frozenset[str]:
    """The topics (``FASTING``, ``MEDICINES``, ``RIDE_HOME``) a checklist asks the patient to confirm."""
    return frozenset(item.topic for item in items if item.topic)


#: Where a medicine hold comes from: the prescriber writes it on the plan (no published hold times exist).
HOLD_SOURCE = "Your prescriber's plan"


def checklist(
    kind: str,
    medications: Iterable[str] = (),
    holds: Iterable[tuple[str, str]] = (),
    *,
    holds_in_full: bool = True,
) -> tuple[ChecklistItem, ...]:
    """The pre-visit checklist for one appointment kind, in plain words, each item with its source.

    ``medications`` are the patient's current medicines (generic names); only nasal corticosteroids and decongestants
    matter here (esketamine label [S32]). ``holds`` are the (medicine, instruction) pairs the prescriber listed on the
    signed plan version the visit gives; they come first, in the prescriber's words (no hold time is invented here).
    With ``holds_in_full=False`` (an e-mail or SMS, which others may read) they become one line that sends the patient
    to their visit page, so a message never lists the patient's medicines."""
    hold_pairs = list(holds)
    if hold_pairs and not holds_in_full:
        count = len(hold_pairs)
        items = [
            ChecklistItem(
                f"Your prescriber has asked you to hold {count} medicine{'s' if count > 1 else ''} before this visit: "
                "the details are on your visit page (the link below).",
                HOLD_SOURCE,
            )
        ]
    else:
        items = [
            ChecklistItem(
                f"{medicine}: {instruction.rstrip()}{'' if instruction.rstrip()[-1:] in '.!?' else '.'}", HOLD_SOURCE
            )
            for medicine, instruction in hold_pairs
        ]
    if kind == "esketamine":
        items += [
            ChecklistItem("Do not eat anything for 2 hours before your visit.", "Label, spravato.com [S32]", FASTING),
            ChecklistItem("Do not drink anything, water included, for 30 minutes before your visit.", "[S32]", FASTING),
        ]
        nasal = sorted({name.strip().lower() for name in medications} & NASAL_MEDICINES)
        if nasal:
            items.append(
                ChecklistItem(
                    f"If you use {', '.join(nasal)}, take it at least 1 hour before your treatment, not later.",
                    "[S32]",
                    MEDICINES,
                )
            )
        items.append(
            ChecklistItem(
                "Bring someone to drive you home. Do not drive or use machines until the next day, after a night's "
                "sleep.",
                "Esketamine label §17 [S33], [S32]",
                RIDE_HOME,
            )
        )
    elif kind in SEDATING_KINDS:
        items.append(
            ChecklistItem(
                "Bring someone to take you home. Do not drive or use machines for the rest of the day.",
                "Clinic policy [S34]",
                RIDE_HOME,
            )
        )
    return tuple(items)


def due_messages(
    *,
    start: dt.datetime,
    booked_at: dt.datetime,
    now: dt.datetime,
    already: Iterable[str],
    early_hours: int,
    day_before_hours: int,
) -> tuple[str, ...]:
    """Which messages are due now for an appointment starting at ``start`` (none once it has started).

    The confirmation is due at once. A reminder is due from ``start - hours``; it is skipped when the appointment was
    booked inside that window (the confirmation already told the patient), so a late booking gets one message, not
    three. The confirmation goes first and alone; only the latest due reminder is sent: a job that was down for a
    day does not send both at once."""
    if now >= start:
        return ()
    done = set(already)
    if CONFIRMATION not in done:
        return (CONFIRMATION,)  # reminders wait for the next run: never two messages at once
    latest = ""
    for kind, hours in ((EARLY, early_hours), (DAY_BEFORE, day_before_hours)):
        opens = start - dt.timedelta(hours=hours)
        if now >= opens and booked_at < opens:
            latest = kind
    if latest and latest not in done and not (latest == EARLY and DAY_BEFORE in done):
        return (latest,)
    return ()
