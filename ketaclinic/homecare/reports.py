"""The home programme's reports: the diary of one patient and the clinic's list of active programmes (pages + CSV).

The diary lists every check-in (cleared or refused, with the reasons shown to the patient), dose, post-dose check,
fill, documented waste and count in time order with the running balance (dispensed − taken − documented waste,
at-home.md §4) after each; entered-in-error rows stay listed, marked, and move no balance. The clinic list shows
every active programme of the user's locations with the in-person evaluation status against the end of the DEA
telemedicine flexibilities (31 Dec 2026, 90 FR 61301).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Max
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare import queries
from ketaclinic.homecare.models import HomeCheckIn, HomeDiscrepancyReview, HomeDose, HomeProgramme
from ketaclinic.patients.models import clinic_date
from ketaclinic.patients.queries import patients_visible_to

REFUSED_WINDOW_DAYS = 30  # the clinic report's look-back for refused check-ins (a reporting window, not a rule)


@dataclass(frozen=True)
class DiaryRow:
    at: dt.datetime
    prescription: str
    event: str
    detail: str
    change: Decimal | None  # doses moved (+ fill, − dose or waste); None for a check-in, a post-dose check, a count
    balance: Decimal | None  # the running balance after this row; None for an entered-in-error row
    entered_in_error: str  # the reason, or ""


PATIENT_CSV_HEADER = (
    "when (UTC)",
    "prescription",
    "event",
    "detail",
    "doses moved",
    "balance after",
    "entered in error",
)


def _check_in_detail(row: HomeCheckIn) -> str:
    vitals = f"BP {row.systolic_mmhg}/{row.diastolic_mmhg} mmHg, pulse {row.heart_rate_per_min}"
    monitor = "monitor present" if row.monitor_present else "monitor absent"
    return f"{vitals}, {monitor}" + ("" if row.cleared else ": " + " ".join(row.reasons))


def diary(programme: HomeProgramme) -> list[DiaryRow]:
    """Every row of every prescription of the programme, oldest first."""
    rows: list[tuple[dt.datetime, int, DiaryRow]] = []
    tz = ZoneInfo(programme.patient.location.clinic.timezone)
    for rx in programme.prescriptions.all().order_by("issued_on", "pk"):
        label = f"{rx.get_route_display()} {rx.dose_mg} mg (#{rx.pk})"
        movements: list[tuple[dt.datetime, int, str, str, Decimal | None, str, str]] = []
        for fill in rx.dispenses.select_related("ledger_entry"):
            at = dt.datetime.combine(fill.dispensed_on, dt.time(0), tzinfo=tz)
            who = f"{fill.dispenser}, Rx {fill.rx_number}" if fill.source == "pharmacy" else fill.dispenser
            if fill.ledger_entry is not None:
                who += f", ledger entry #{fill.ledger_entry.seq}"
            kind = "refill" if fill.is_refill else "fill"
            movements.append(
                (at, 0, f"{kind} ({fill.get_source_display().lower()})", who, Decimal(fill.doses), "dispense",
                 fill.entered_in_error_reason if fill.entered_in_error else "")
            )  # fmt: skip
        for check in rx.check_ins.all():
            event = "check-in: cleared" if check.cleared else "check-in: refused"
            reason = check.entered_in_error_reason if check.entered_in_error else ""
            movements.append((check.at, 1, event, _check_in_detail(check), None, "", reason))
        for dose in rx.doses.all():
            reason = dose.entered_in_error_reason if dose.entered_in_error else ""
            movements.append((dose.taken_at, 2, "dose taken", f"{dose.dose_mg} mg", Decimal(-1), "dose", reason))
            if dose.post_checked_at is not None:
                state = "back to usual" if dose.sedation_resolved else "not yet back to usual"
                if dose.side_effects:
                    state += f"; {dose.side_effects}"
                movements.append((dose.post_checked_at, 3, "post-dose check", state, None, "", reason))
        for entry in rx.stock_entries.all():
            reason = entry.entered_in_error_reason if entry.entered_in_error else ""
            if entry.kind == "waste":
                witness = f" (witness {entry.witness.display_name})" if entry.witness else ""
                movements.append(
                    (entry.recorded_at, 4, "documented waste", entry.note + witness, -entry.doses, "waste", reason)
                )
            else:
                movements.append((entry.recorded_at, 4, "count", f"{entry.doses} doses counted", None, "count", reason))
        balance = Decimal(0)
        for at, order, event, detail, change, kind, withdrawn in sorted(movements, key=lambda item: item[:2]):
            after: Decimal | None = None
            if not withdrawn:
                if change is not None:
                    balance += change
                after = balance if kind else None
            rows.append((at, order, DiaryRow(at, label, event, detail, change, after, withdrawn)))
    return [row for _, _, row in sorted(rows, key=lambda item: item[:2])]


def patient_csv_rows(rows: list[DiaryRow]) -> list[tuple[object, ...]]:
    return [
        (
            row.at.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M"),
            row.prescription,
            row.event,
            row.detail,
            row.change if row.change is not None else "",
            row.balance if row.balance is not None else "",
            row.entered_in_error,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class ClinicRow:
    programme: HomeProgramme
    route: str
    last_dose: dt.datetime | None
    balance: Decimal | None
    open_reviews: int
    refused_30_days: int
    in_person: str
    in_person_warning: bool


CLINIC_CSV_HEADER = (
    "patient",
    "MRN",
    "location",
    "route",
    "last dose (UTC)",
    "balance (doses)",
    "open discrepancies",
    f"refused check-ins, last {REFUSED_WINDOW_DAYS} days",
    "in-person evaluation",
)


def clinic_programmes(user: User) -> list[ClinicRow]:
    """Active programmes of the patients the user may see (their locations only)."""
    since = timezone.now() - dt.timedelta(days=REFUSED_WINDOW_DAYS)
    programmes = (
        HomeProgramme.objects.filter(status="active", entered_in_error=False, patient__in=patients_visible_to(user))
        .select_related("patient__location__clinic")
        .order_by("patient__family_name", "patient__given_name", "pk")
    )
    result = []
    for programme in programmes:
        last = HomeDose.objects.filter(prescription__programme=programme, entered_in_error=False).aggregate(
            last=Max("taken_at")
        )["last"]
        current = queries.current_prescription(programme)
        today = clinic_date(programme.patient)
        warning = rules.telehealth_warning(in_person_evaluation_on=programme.in_person_evaluation_on, today=today)
        result.append(
            ClinicRow(
                programme=programme,
                route=programme.get_route_display(),
                last_dose=last,
                balance=queries.balance(current).expected if current is not None else None,
                open_reviews=HomeDiscrepancyReview.objects.filter(
                    prescription__programme=programme, status="open"
                ).count(),
                refused_30_days=HomeCheckIn.objects.filter(
                    prescription__programme=programme, cleared=False, entered_in_error=False, at__gte=since
                ).count(),
                in_person=rules.in_person_status(
                    in_person_evaluation_on=programme.in_person_evaluation_on, today=today
                ),
                in_person_warning=warning is not None,
            )
        )
    return result


def clinic_csv_rows(rows: list[ClinicRow]) -> list[tuple[object, ...]]:
    return [
        (
            row.programme.patient.full_name,
            row.programme.patient.mrn,
            row.programme.patient.location.name,
            row.route,
            row.last_dose.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M") if row.last_dose else "",
            row.balance if row.balance is not None else "",
            row.open_reviews,
            row.refused_30_days,
            row.in_person,
        )
        for row in rows
    ]
