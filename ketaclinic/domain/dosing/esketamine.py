"""Esketamine: the allowed doses for a patient and session, the dose check, devices, and the dated schedule.

The Spravato label, by label jurisdiction (``shared/knowledge/clinical-rules.md`` §3, esketamine table):

- ``us`` (FDA prescribing information, the default): any adult age, day 1 56 mg, then 56 or 84 mg; the suicidal-ideation
  regimen (84 mg, reducible to 56 mg) has no age limit in the US text.
- ``eu`` (EU/UK SmPC §4.2): under 65 as the US label; at 65 and over day 1 is 28 mg, then 28, 56 or 84 mg, and the
  suicidal-ideation regimen was not studied (no regimen is offered).

One 28 mg device every 5 min; weeks 1-4 twice weekly, weeks 5-8 weekly, then every 1 or 2 weeks. The numbers come from
the protocol's ``[esketamine]`` regimen table; a dose outside the allowed set is a hard stop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Final, Literal

from ketaclinic.domain.dosing.checks import DoseCheck, DoseFinding, _finding
from ketaclinic.domain.dosing.inputs import _DOSE_Q, Number, _decimal, _fmt, _q
from ketaclinic.domain.dosing.series import _offsets, _spread
from ketaclinic.domain.eligibility import EligibilityThresholds
from ketaclinic.domain.protocols import EsketamineRegimen, Protocol
from ketaclinic.domain.vocabulary import DEFAULT_JURISDICTION, JURISDICTIONS, MAX_PLAUSIBLE_AGE_YEARS
from ketaclinic.domain.vocabulary import DEPRESSION_WITH_SUICIDAL_IDEATION as _SI
from ketaclinic.domain.vocabulary import TREATMENT_RESISTANT_DEPRESSION as _TRD

__all__ = [
    "EsketamineAdministration",
    "EsketamineSession",
    "Phase",
    "check_esketamine_dose",
    "esketamine_administration",
    "esketamine_allowed_doses_mg",
    "esketamine_schedule",
    "esketamine_source",
]

_SOURCE_BY_JURISDICTION: Final = {
    "us": "Spravato US prescribing information (FDA) §2: doses and schedule",
    "eu": "Spravato EU/UK SmPC §4.2: doses and schedule (28 mg start at 65 and over)",
}


def _regimen(protocol: Protocol) -> EsketamineRegimen:
    if protocol.esketamine is None:
        raise ValueError(f"protocol: {protocol.id!r} is not an esketamine protocol")
    return protocol.esketamine


def _adult_age(age_years: object) -> int:
    adult = EligibilityThresholds().adult_age_years
    if isinstance(age_years, bool) or not isinstance(age_years, int) or not 0 <= age_years <= MAX_PLAUSIBLE_AGE_YEARS:
        raise ValueError(f"age_years: must be a whole number of years (got {age_years!r})")
    if age_years < adult:
        raise ValueError(f"age_years: esketamine dosing is defined for adults ({adult}+), got {age_years}")
    return age_years


def _jurisdiction(jurisdiction: object) -> str:
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"jurisdiction: must be one of {', '.join(JURISDICTIONS)} (got {jurisdiction!r})")
    return str(jurisdiction)


def esketamine_source(jurisdiction: str = DEFAULT_JURISDICTION) -> str:
    """The document the esketamine dose rules come from under ``jurisdiction`` (shown with every dose finding)."""
    return _SOURCE_BY_JURISDICTION[_jurisdiction(jurisdiction)]


def esketamine_allowed_doses_mg(
    protocol: Protocol,
    *,
    age_years: int,
    indication: str = _TRD,
    first_dose: bool = False,
    jurisdiction: str = DEFAULT_JURISDICTION,
) -> tuple[Decimal, ...]:
    """Doses allowed for this patient and session, under the clinic's label (clinical-rules.md §3 esketamine table).

    US label (default): any adult age, day 1 56 mg, then 56 or 84 mg. EU/UK SmPC: the same under 65; at 65 and over
    day 1 28 mg, then 28, 56 or 84 mg. MDD with acute suicidal ideation: 84 mg (day 1), then 84 or 56 mg; the SmPC has
    no suicidal-ideation regimen at 65 and over, so under ``eu`` that combination raises ``ValueError`` rather than
    inventing one (the US text has no age limit).
    """
    regimen = _regimen(protocol)
    age = _adult_age(age_years)
    label = _jurisdiction(jurisdiction)
    if indication not in protocol.indications:
        raise ValueError(f"indication: esketamine is dosed for {', '.join(protocol.indications)} (got {indication!r})")
    # The ≥ 65 column exists only in the EU/UK SmPC; the US label doses every adult alike.
    older = label == "eu" and age >= regimen.older_adult_age_years
    if indication == _SI:
        if older:
            raise ValueError(
                f"age_years: the EU/UK SmPC gives no esketamine regimen for suicidal ideation at "
                f"{regimen.older_adult_age_years} and over; use the treatment-resistant depression schedule or decide "
                "clinically"
            )
        if first_dose:
            return (regimen.suicidal_ideation_dose_mg,)
        return tuple(sorted({regimen.suicidal_ideation_reduced_dose_mg, regimen.suicidal_ideation_dose_mg}))
    if first_dose:
        return (regimen.day_one_dose_older_adult_mg if older else regimen.day_one_dose_mg,)
    return tuple(d for d in protocol.allowed_doses_mg if older or d not in regimen.older_adult_only_doses_mg)


def check_esketamine_dose(
    protocol: Protocol,
    *,
    dose_mg: Number,
    age_years: int,
    indication: str = _TRD,
    first_dose: bool = False,
    jurisdiction: str = DEFAULT_JURISDICTION,
) -> DoseCheck:
    """Validate an esketamine dose: anything outside :func:`esketamine_allowed_doses_mg` is a hard stop.

    US label: 56 and 84 mg at any adult age, day 1 56 mg. EU/UK SmPC: 28 mg also allowed at 65 and over, whose day 1
    is 28 mg. Suicidal ideation: 84 mg, reducible to 56 mg after day 1. The finding cites the document of the
    clinic's jurisdiction.
    """
    dose = _decimal("dose_mg", dose_mg)
    allowed = esketamine_allowed_doses_mg(
        protocol, age_years=age_years, indication=indication, first_dose=first_dose, jurisdiction=jurisdiction
    )
    findings: list[DoseFinding] = []
    if dose not in allowed:
        choices = " or ".join(f"{_fmt(d)} mg" for d in allowed)
        if dose not in protocol.allowed_doses_mg:
            why = f"{_fmt(dose)} mg is not an esketamine dose (28, 56 or 84 mg only)."
        elif first_dose:
            why = f"The first esketamine dose for this patient is {choices}, not {_fmt(dose)} mg."
        elif indication == _SI:
            why = f"For depression with suicidal ideation the dose is {choices}, not {_fmt(dose)} mg."
        elif jurisdiction == "eu":
            why = f"{_fmt(dose)} mg is only for patients 65 and over (EU/UK SmPC); this patient may have {choices}."
        else:
            why = f"{_fmt(dose)} mg is not a US-label dose (28 mg is an EU/UK SmPC dose at 65 and over); use {choices}."
        source = esketamine_source(jurisdiction)
        findings.append(_finding(protocol, "esketamine_dose_not_allowed", why, dose, None, "mg", source))
    return DoseCheck(
        dose_mg=_q(dose, _DOSE_Q),
        mg_per_kg=None,
        rate_mg_per_h=None,
        rate_mg_per_kg_per_h=None,
        findings=tuple(findings),
    )


@dataclass(frozen=True)
class EsketamineAdministration:
    """How to give an esketamine dose: number of 28 mg devices and when each starts (minutes after the first)."""

    dose_mg: Decimal
    devices: int
    device_offsets_min: tuple[int, ...]


def esketamine_administration(protocol: Protocol, dose_mg: Number) -> EsketamineAdministration:
    """Devices = dose / 28 mg, one every 5 min (Spravato PI; clinical-rules.md §3). A dose not allowed raises."""
    regimen = _regimen(protocol)
    dose = _decimal("dose_mg", dose_mg)
    if dose not in protocol.allowed_doses_mg:
        raise ValueError(f"dose_mg: {_fmt(dose)} mg is not an esketamine dose (28, 56 or 84 mg only)")
    devices = int(dose / regimen.device_mg)
    offsets = tuple(i * regimen.device_interval_min for i in range(devices))
    return EsketamineAdministration(dose_mg=dose, devices=devices, device_offsets_min=offsets)


Phase = Literal["induction", "early_maintenance", "maintenance"]


@dataclass(frozen=True)
class EsketamineSession:
    """One scheduled esketamine session: its number, date, week (1-based), phase and allowed doses."""

    number: int
    date: date
    week: int
    phase: Phase
    allowed_doses_mg: tuple[Decimal, ...]


def esketamine_schedule(
    protocol: Protocol,
    start_date: date,
    *,
    age_years: int,
    indication: str = _TRD,
    through_week: int | None = None,
    maintenance_interval_weeks: int | None = None,
    twice_weekly_offsets_days: tuple[int, ...] = (0, 3),
    jurisdiction: str = DEFAULT_JURISDICTION,
) -> tuple[EsketamineSession, ...]:
    """Dated esketamine sessions with phase and allowed doses (Spravato PI; clinical-rules.md §3).

    Week n starts ``start_date + 7 (n − 1)`` days; session 1 is on ``start_date`` (day 1). Treatment-resistant
    depression: weeks 1-4 twice weekly (``twice_weekly_offsets_days`` within the week, default days 0 and 3),
    weeks 5-8 once weekly, week 9 on every ``maintenance_interval_weeks`` (1 or 2; default 2, the least frequent
    the label allows) through ``through_week`` (default 8: the fixed part of the label schedule; pass a later
    week to include maintenance). Suicidal ideation: twice weekly for 4 weeks only (``through_week`` ≤ 4).
    """
    regimen = _regimen(protocol)
    if not isinstance(start_date, date):
        raise ValueError(f"start_date: must be a date (got {start_date!r})")
    # validates age, indication and jurisdiction
    esketamine_allowed_doses_mg(protocol, age_years=age_years, indication=indication, jurisdiction=jurisdiction)
    si = indication == _SI
    last_allowed = regimen.suicidal_ideation_weeks if si else None
    week_limit = through_week if through_week is not None else (last_allowed or regimen.early_maintenance_last_week)
    if isinstance(week_limit, bool) or not isinstance(week_limit, int) or week_limit < 1:
        raise ValueError(f"through_week: must be a whole number ≥ 1 (got {through_week!r})")
    if last_allowed is not None and week_limit > last_allowed:
        raise ValueError(f"through_week: the suicidal-ideation regimen lasts {last_allowed} weeks (got {week_limit})")
    interval = (
        max(regimen.maintenance_interval_weeks) if maintenance_interval_weeks is None else maintenance_interval_weeks
    )
    if interval not in regimen.maintenance_interval_weeks:
        raise ValueError(
            f"maintenance_interval_weeks: must be one of {regimen.maintenance_interval_weeks} (got {interval!r})"
        )
    per_week_induction = regimen.suicidal_ideation_sessions_per_week if si else regimen.induction_sessions_per_week
    induction_weeks = regimen.suicidal_ideation_weeks if si else regimen.induction_weeks
    induction_offsets = _offsets("twice_weekly_offsets_days", twice_weekly_offsets_days, per_week_induction)
    weekly_offsets = _spread(regimen.early_maintenance_sessions_per_week)

    sessions: list[EsketamineSession] = []
    for week in range(1, week_limit + 1):
        phase: Phase
        if week <= induction_weeks:
            phase, offsets = "induction", induction_offsets
        elif week <= regimen.early_maintenance_last_week:
            phase, offsets = "early_maintenance", weekly_offsets
        elif (week - regimen.early_maintenance_last_week - 1) % interval == 0:
            phase, offsets = "maintenance", weekly_offsets
        else:
            continue
        for offset in offsets:
            first = not sessions
            allowed = esketamine_allowed_doses_mg(
                protocol, age_years=age_years, indication=indication, first_dose=first, jurisdiction=jurisdiction
            )
            day = start_date + timedelta(days=7 * (week - 1) + offset)
            sessions.append(EsketamineSession(len(sessions) + 1, day, week, phase, allowed))
    return tuple(sessions)
