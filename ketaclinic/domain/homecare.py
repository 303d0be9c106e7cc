"""Supervised at-home ketamine: the pre-dose release rule, the dose reconciliation and the Schedule III refill limit.

No published consensus standard sets home-dosing cut-offs (at-home.md). What is sourced:

* Blood pressure / heart rate: the only published hard stop is one programme's ("Do not proceed with a remote session
  if your blood pressure is above 160/90 or your heart rate is above 100" — Choose Ketamine, Remote Treatment
  Agreement). That is a programme practice, not a standard, so every threshold here is a CLINIC POLICY setting with no
  default: an unset threshold means **not cleared** ("the clinic has not set …").
* The monitor: a peer treatment monitor aged 18 or older (Mindbloom, Peer Treatment Monitor help-centre page) —
  programme practice, used as the clinic's rule.
* Suicidality item in the daily check-in (Joyous, Information for Providers) and interacting sedatives (Spravato REMS
  Patient Monitoring Form: benzodiazepines, sedative hypnotics; alcohol) — asked before every dose.
* Refills: "no prescription for a controlled substance listed in Schedule III or IV shall be filled or refilled more
  than six months after the date on which such prescription was issued and no such prescription authorized to be
  refilled may be refilled more than five times" (21 CFR 1306.22(a)).
* Telemedicine: the DEA/HHS fourth temporary extension lets practitioners prescribe controlled medications by
  telemedicine without a prior in-person evaluation through 31 Dec 2026 (90 FR 61301, 31 Dec 2025).
* Reconciliation (balance = dispensed − doses taken − documented waste; discrepancy → clinician task) is a CLINIC
  POLICY design: no published requirement for home dose diaries was found (ASA 2025 asks prescribers to "take steps to
  ensure that the ketamine therapy is being used as prescribed" and to be "vigilant for diversion").

The plausibility bounds for readings are the chair's (``vocabulary.PLAUSIBLE_*`` through
:class:`~ketaclinic.domain.monitoring.vitals.VitalSigns`): an impossible reading raises ``ImplausibleVitals`` naming
the field — it is a typing error, never a clearance decision.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from ketaclinic.domain.monitoring.vitals import ImplausibleVitals, VitalSigns

__all__ = [
    "DEA_TELEMEDICINE_FLEXIBILITIES_END",
    "MAX_SCHEDULE_III_REFILLS",
    "MIN_MONITOR_AGE_YEARS",
    "REFILL_WINDOW_MONTHS",
    "TELEHEALTH_WARNING_DAYS",
    "BalancePoint",
    "ClinicDispenseProblem",
    "DiaryEvent",
    "ImplausibleVitals",
    "PreDoseCheckIn",
    "Release",
    "ReleaseThresholds",
    "balance",
    "balance_over_time",
    "clinic_dispense_form",
    "discrepancy",
    "dispense_volume_ml",
    "in_person_status",
    "monitor_problems",
    "refill_problems",
    "refill_window_ends",
    "release",
    "telehealth_warning",
]

#: 21 CFR 1306.22(a): a Schedule III prescription may be refilled at most five times …
MAX_SCHEDULE_III_REFILLS: Final = 5
#: … and not filled or refilled more than six months after the date it was issued (21 CFR 1306.22(a)).
REFILL_WINDOW_MONTHS: Final = 6
#: DEA/HHS fourth temporary extension of the COVID-19 telemedicine flexibilities, 90 FR 61301 (31 Dec 2025):
#: "effective January 1, 2026 through December 31, 2026".
DEA_TELEMEDICINE_FLEXIBILITIES_END: Final = date(2026, 12, 31)
#: How long before that end date the programme page starts warning: a reminder window chosen for this software.
TELEHEALTH_WARNING_DAYS: Final = 90
#: Peer treatment monitor "must be 18+" (Mindbloom, Important Safety Information) — programme practice.
MIN_MONITOR_AGE_YEARS: Final = 18


@dataclass(frozen=True)
class ReleaseThresholds:
    """The clinic's release thresholds (CLINIC POLICY; ``None`` = not set, which blocks every release).

    A reading strictly **above** a maximum blocks the dose ("above 160/90" is the one published programme wording).
    ``doses_per_day`` is the protocol's allowance of home doses per calendar day.
    """

    max_systolic_mmhg: int | None = None
    max_diastolic_mmhg: int | None = None
    max_heart_rate_per_min: int | None = None
    doses_per_day: int | None = None


@dataclass(frozen=True)
class PreDoseCheckIn:
    """What the patient reports before a home dose (today's reading from the home cuff and the safety questions)."""

    systolic_mmhg: float
    diastolic_mmhg: float
    heart_rate_per_min: float
    monitor_present: bool
    monitor_sober: bool
    no_alcohol_today: bool
    no_interacting_sedatives_today: bool
    suicidal_thoughts: bool
    doses_taken_today: int
    prescription_active: bool
    sessions_remaining: int

    def __post_init__(self) -> None:
        if self.systolic_mmhg is None or self.diastolic_mmhg is None or self.heart_rate_per_min is None:
            missing = next(
                name
                for name in ("systolic_mmhg", "diastolic_mmhg", "heart_rate_per_min")
                if getattr(self, name) is None
            )
            raise ImplausibleVitals(missing, None, "a reading is required before a home dose")
        VitalSigns(
            systolic_mmhg=self.systolic_mmhg,
            diastolic_mmhg=self.diastolic_mmhg,
            heart_rate_per_min=self.heart_rate_per_min,
        )
        for name in ("doses_taken_today", "sessions_remaining"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}: must be a whole number of doses, 0 or more (got {value!r})")


@dataclass(frozen=True)
class Release:
    """The answer: ``cleared`` only when ``reasons`` is empty; each reason is a plain sentence for the patient."""

    cleared: bool
    reasons: tuple[str, ...]
    suicidality: bool = False


def _limit(reasons: list[str], value: float, limit: int | None, what: str, unit: str) -> None:
    if limit is None:
        reasons.append(f"The clinic has not set its limit for the {what}, so no home dose can be released yet.")
    elif value > limit:
        reasons.append(f"Your {what}, {value:g} {unit}, is above the clinic's limit of {limit} {unit}.")


def release(check_in: PreDoseCheckIn, thresholds: ReleaseThresholds) -> Release:
    """Decide whether a home dose may be taken now. Every failed condition is reported, not just the first."""
    reasons: list[str] = []
    if not check_in.prescription_active:
        reasons.append("Your take-home prescription is not active: contact the clinic.")
    elif check_in.sessions_remaining <= 0:
        reasons.append("Your prescription has no doses left: contact the clinic for a renewal.")
    if thresholds.doses_per_day is None:
        reasons.append("The clinic has not set how many home doses a day the protocol allows.")
    elif check_in.doses_taken_today >= thresholds.doses_per_day:
        reasons.append(
            f"You have already taken {check_in.doses_taken_today} dose(s) today; "
            f"your protocol allows {thresholds.doses_per_day} a day."
        )
    _limit(
        reasons, check_in.systolic_mmhg, thresholds.max_systolic_mmhg, "top blood-pressure number (systolic)", "mmHg"
    )
    _limit(
        reasons,
        check_in.diastolic_mmhg,
        thresholds.max_diastolic_mmhg,
        "bottom blood-pressure number (diastolic)",
        "mmHg",
    )
    _limit(reasons, check_in.heart_rate_per_min, thresholds.max_heart_rate_per_min, "pulse", "beats a minute")
    if not check_in.monitor_present:
        reasons.append("Your treatment monitor must be with you for the whole session.")
    elif not check_in.monitor_sober:
        reasons.append("Your treatment monitor must be sober.")
    if not check_in.no_alcohol_today:
        reasons.append("No dose on a day you have had alcohol.")
    if not check_in.no_interacting_sedatives_today:
        reasons.append("No dose on a day you have taken sedatives such as sleeping pills, benzodiazepines or opioids.")
    if check_in.suicidal_thoughts:
        reasons.append(
            "You told us you have had thoughts of harming yourself: your care team has been alerted. "
            "If you are in danger now, use the crisis line or emergency number on this page."
        )
    return Release(cleared=not reasons, reasons=tuple(reasons), suicidality=check_in.suicidal_thoughts)


def balance(dispensed: Decimal, taken: Decimal, wasted: Decimal) -> Decimal:
    """Doses that should be in the patient's hands: dispensed − doses taken − documented waste (CLINIC POLICY)."""
    for name, value in (("dispensed", dispensed), ("taken", taken), ("wasted", wasted)):
        if value < 0:
            raise ValueError(f"{name}: cannot be negative (got {value})")
    return dispensed - taken - wasted


def discrepancy(expected: Decimal, counted: Decimal, tolerance: Decimal | None) -> bool | None:
    """Whether a count differs from the running balance by at least ``tolerance`` doses (a clinic setting).

    ``None`` when the clinic has not set the tolerance (the page says so instead of guessing). A negative expected
    balance (more taken and wasted than dispensed) is always a discrepancy.
    """
    if expected < 0:
        return True
    if tolerance is None:
        return None
    if tolerance <= 0:
        raise ValueError(f"tolerance: must be more than 0 doses (got {tolerance})")
    return abs(expected - counted) >= tolerance


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def refill_window_ends(issued_on: date) -> date:
    """The last day a Schedule III prescription may be filled or refilled: six months after issue (21 CFR 1306.22)."""
    return _add_months(issued_on, REFILL_WINDOW_MONTHS)


def refill_problems(*, issued_on: date, today: date, refills_authorised: int, refills_used: int) -> list[str]:
    """Why a refill may not be dispensed today (empty = allowed), per 21 CFR 1306.22(a)."""
    problems: list[str] = []
    if refills_authorised > MAX_SCHEDULE_III_REFILLS:
        problems.append(
            f"A Schedule III prescription may be refilled at most {MAX_SCHEDULE_III_REFILLS} times (21 CFR 1306.22)."
        )
    if refills_used >= refills_authorised:
        problems.append(f"All {refills_authorised} authorised refill(s) have been dispensed.")
    if today > refill_window_ends(issued_on):
        problems.append(
            f"More than six months have passed since the prescription was issued on {issued_on:%d %b %Y} "
            "(21 CFR 1306.22): a new prescription is needed."
        )
    return problems


def monitor_problems(*, age_years: int, is_the_patient: bool, phone: str, email: str) -> list[str]:
    """Why a named peer treatment monitor cannot serve (empty = acceptable)."""
    problems: list[str] = []
    if is_the_patient:
        problems.append("The treatment monitor cannot be the patient.")
    if age_years < MIN_MONITOR_AGE_YEARS:
        problems.append(f"The treatment monitor must be {MIN_MONITOR_AGE_YEARS} or older.")
    if not phone.strip() and not email.strip():
        problems.append("Give a phone number or an e-mail address for the treatment monitor.")
    return problems


def telehealth_warning(*, in_person_evaluation_on: date | None, today: date) -> str | None:
    """A warning for a patient with no in-person evaluation as the DEA telemedicine flexibilities end, or ``None``."""
    if in_person_evaluation_on is not None:
        return None
    end = DEA_TELEMEDICINE_FLEXIBILITIES_END
    if today > end:
        return (
            f"No in-person evaluation recorded: the DEA telemedicine flexibilities ended on {end:%d %b %Y} "
            "(90 FR 61301). Re-check the rule before prescribing again."
        )
    days = (end - today).days
    if days <= TELEHEALTH_WARNING_DAYS:
        return (
            f"No in-person evaluation recorded: the DEA telemedicine flexibilities end on {end:%d %b %Y} "
            f"({days} days; 90 FR 61301). Book an in-person evaluation."
        )
    return None


# A clinic dispensing draws from the controlled-substance ledger, which keeps solutions and nasal-spray devices in mL
# (controlled-substances.md "Data model": mL authoritative, mg derived). Which ledger form serves which take-home route
# is this software's mapping: an oral dose is measured from a solution, an intranasal one from a nasal-spray device;
# troches are compounded units the ledger does not stock, so they are dispensed by a pharmacy.
CLINIC_DISPENSE_FORMS: Final[dict[str, str]] = {"oral": "injection", "intranasal_racemic": "nasal_spray"}


class ClinicDispenseProblem(ValueError):
    """Why a take-home fill cannot come from the clinic's ledger stock (a plain sentence for the form)."""


def clinic_dispense_form(route: str) -> str:
    """The ledger product form a clinic fill of ``route`` is drawn from; ``ClinicDispenseProblem`` when none is."""
    form = CLINIC_DISPENSE_FORMS.get(route)
    if form is None:
        raise ClinicDispenseProblem(
            "The clinic's controlled-substance ledger stocks solutions and nasal-spray devices only: "
            "this route is dispensed by a pharmacy."
        )
    return form


def dispense_volume_ml(*, doses: int, dose_mg: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """The ledger volume of ``doses`` take-home doses: doses × dose (mg) ÷ concentration (mg/mL), exact to 0.01 mL.

    A volume the ledger cannot record exactly (finer than 0.01 mL) is refused rather than rounded, as the ledger does.
    """
    if isinstance(doses, bool) or not isinstance(doses, int) or doses < 1:
        raise ClinicDispenseProblem("Dispense at least one whole dose.")
    if dose_mg <= 0 or concentration_mg_per_ml <= 0:
        raise ClinicDispenseProblem("The dose and the product's concentration must be more than 0.")
    volume = Decimal(doses) * dose_mg / concentration_mg_per_ml
    try:
        exact = volume.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ClinicDispenseProblem("That quantity is too large for one fill.") from None
    if exact != volume:
        raise ClinicDispenseProblem(
            f"{doses} × {dose_mg.normalize():f} mg at {concentration_mg_per_ml.normalize():f} mg/mL is "
            f"{volume.normalize():f} mL, which the ledger cannot record to 0.01 mL: choose another product."
        )
    return exact


@dataclass(frozen=True)
class DiaryEvent:
    """One movement of a prescription's doses: ``kind`` is dispense, dose, waste or count (a count moves nothing)."""

    at: datetime
    kind: str
    doses: Decimal


@dataclass(frozen=True)
class BalancePoint:
    at: datetime
    kind: str
    doses: Decimal
    expected: Decimal  # dispensed − taken − wasted so far
    difference: Decimal | None  # a count minus the expected balance (negative = fewer in hand than expected)


_SIGN: Final = {"dispense": 1, "dose": -1, "waste": -1, "count": 0}


def balance_over_time(events: list[DiaryEvent]) -> list[BalancePoint]:
    """The running balance after each event, in time order (same moment: in the order given)."""
    expected = Decimal(0)
    points: list[BalancePoint] = []
    for event in sorted(events, key=lambda item: item.at):
        if event.kind not in _SIGN:
            raise ValueError(f"unknown diary event {event.kind!r}")
        if event.doses < 0:
            raise ValueError(f"{event.kind}: doses cannot be negative (got {event.doses})")
        difference = None
        if event.kind == "count":
            difference = event.doses - expected  # a count moves nothing
        else:
            expected += _SIGN[event.kind] * event.doses
        points.append(BalancePoint(event.at, event.kind, event.doses, expected, difference))
    return points


def in_person_status(*, in_person_evaluation_on: date | None, today: date) -> str:
    """The clinic report's column: the in-person evaluation, or the days left to the DEA date (90 FR 61301)."""
    end = DEA_TELEMEDICINE_FLEXIBILITIES_END
    if in_person_evaluation_on is not None:
        return f"in-person evaluation {in_person_evaluation_on:%Y-%m-%d}"
    if today > end:
        return f"none: telemedicine flexibilities ended {end:%d %b %Y}"
    return f"none: {(end - today).days} days to {end:%d %b %Y}"
