"""Spravato reconciliation: does the documented dose agree with the REMS form, the controlled-substance ledger and the
claim, and was the REMS Patient Monitoring Form submitted in time?

* One Spravato device holds 28 mg (openFDA NDC directory, 50458-028: "VIAL, SINGLE-USE" 28 mg/0.2 mL).
* G2082 covers up to 56 mg, G2083 more than 56 mg (Highmark Wholecare policy HHO-DE-MP-1265, 2024).
* J0013 (S0013 before 2026) is billed per 1 mg (Osmind, SPRAVATO J Code, 2026).
* "A Patient Monitoring Form is submitted to the SPRAVATO REMS for every patient within 7 days following
  administration of every dose" (Janssen, SPRAVATO REMS Outpatient Healthcare Setting Enrollment Form, 08/20); the
  deadline is the shared :func:`ketaclinic.domain.sessions.rems_due_on` (7 calendar days after the session day).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from ketaclinic.domain.billing.claim_rules import ESKETAMINE_DEVICE_MG, G_CODE_SPLIT_MG
from ketaclinic.domain.sessions import rems_due_on

__all__ = [
    "DRUG_UNITS",
    "G_CODE_MISMATCH",
    "LEDGER_DEVICES",
    "REMS_DOSE",
    "REMS_LATE",
    "UNBILLED_DEVICES",
    "Mismatch",
    "SpravatoSessionFacts",
    "reconcile_spravato",
]

REMS_DOSE: Final = "rems_dose"
LEDGER_DEVICES: Final = "ledger_devices"
G_CODE_MISMATCH: Final = "g_code"
DRUG_UNITS: Final = "drug_units"
REMS_LATE: Final = "rems_late"
UNBILLED_DEVICES: Final = "unbilled_devices"


@dataclass(frozen=True)
class SpravatoSessionFacts:
    """One Spravato session as documented, on the REMS form, in the ledger and on the claim (code, units)."""

    session_id: int | str
    service_date: dt.date
    documented_dose_mg: int
    rems_form_dose_mg: int | None
    rems_submitted_on: dt.date | None
    ledger_devices: int
    claim_lines: tuple[tuple[str, Decimal | int], ...]
    today: dt.date


@dataclass(frozen=True)
class Mismatch:
    kind: str
    message: str


def _rems_deadline(facts: SpravatoSessionFacts) -> Mismatch | None:
    due = rems_due_on(facts.service_date)
    submitted = facts.rems_submitted_on
    if submitted is None and facts.today > due:
        return Mismatch(
            REMS_LATE,
            f"The REMS patient monitoring form for {facts.service_date:%d %b %Y} was due by {due:%d %b %Y} and has not"
            " been submitted.",
        )
    if submitted is not None and submitted > due:
        return Mismatch(
            REMS_LATE,
            f"The REMS patient monitoring form was submitted on {submitted:%d %b %Y}, after its deadline of"
            f" {due:%d %b %Y}.",
        )
    return None


def reconcile_spravato(facts: SpravatoSessionFacts) -> tuple[Mismatch, ...]:
    """Every disagreement between the session's records, in plain words; empty when all agree."""
    dose = facts.documented_dose_mg
    found: list[Mismatch] = []
    if facts.rems_form_dose_mg is not None and facts.rems_form_dose_mg != dose:
        found.append(
            Mismatch(REMS_DOSE, f"The chart says {dose} mg but the REMS form says {facts.rems_form_dose_mg} mg.")
        )
    ledger_mg = facts.ledger_devices * ESKETAMINE_DEVICE_MG
    if ledger_mg != dose:
        found.append(
            Mismatch(
                LEDGER_DEVICES,
                f"The ledger shows {facts.ledger_devices} device(s) of 28 mg ({ledger_mg} mg) but the chart says"
                f" {dose} mg.",
            )
        )
    for code, units in facts.claim_lines:
        if code == "G2082" and dose > G_CODE_SPLIT_MG:
            found.append(Mismatch(G_CODE_MISMATCH, f"G2082 is for up to 56 mg but {dose} mg was given: bill G2083."))
        elif code == "G2083" and dose <= G_CODE_SPLIT_MG:
            found.append(
                Mismatch(G_CODE_MISMATCH, f"G2083 is for more than 56 mg but {dose} mg was given: bill G2082.")
            )
        elif code in ("J0013", "S0013") and Decimal(units) != dose:
            found.append(
                Mismatch(DRUG_UNITS, f"{code} is billed per mg: the claim has {units} units but {dose} mg was given.")
            )
    if facts.ledger_devices > 0 and not facts.claim_lines:
        found.append(
            Mismatch(
                UNBILLED_DEVICES,
                f"The ledger shows {facts.ledger_devices} device(s) used but the session has no claim line.",
            )
        )
    late = _rems_deadline(facts)
    if late is not None:
        found.append(late)
    return tuple(found)
