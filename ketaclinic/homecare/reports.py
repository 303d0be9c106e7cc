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
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.db.models import Max
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare import queries
from ketaclinic.homecare.models import (
    HomeCheckIn,
    HomeDiscrepancyReview,
    HomeDose,
    HomeProgramme,
    TakeHomePrescription,
)
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


class _Move(NamedTuple):
    at: dt.datetime
    order: int  # same moment: fill, check-in, dose, post-dose check, waste/count
    event: str
    detail: str
    change: Decimal | None  # doses moved, signed (shown); None when nothing moves
    kind: str  # the balance rule's event kind ("" for a row that is not one)
    doses: Decimal  # the doses the balance rule is given (a count: the doses counted)
    withdrawn: str  # the entered-in-error reason, or ""


def _moves(rx: TakeHomePrescription, tz: dt.tzinfo) -> list[_Move]:
    moves: list[_Move] = []
    zero = Decimal(0)
    for fill in rx.dispenses.select_related("ledger_entry"):
        who = f"{fill.dispenser}, Rx {fill.rx_number}" if fill.source == "pharmacy" else fill.dispenser
        if fill.ledger_entry is not None:
            who += f", ledger entry #{fill.ledger_entry.seq}"
        event = f"{'refill' if fill.is_refill else 'fill'} ({fill.get_source_display().lower()})"
        at = dt.datetime.combine(fill.dispensed_on, dt.time(0), tzinfo=tz)
        amount = Decimal(fill.doses)
        moves.append(_Move(at, 0, event, who, amount, "dispense", amount, fill.entered_in_error_reason))
    for check in rx.check_ins.all():
        event = "check-in: cleared" if check.cleared else "check-in: refused"
        moves.append(_Move(check.at, 1, event, _check_in_detail(check), None, "", zero, check.entered_in_error_reason))
    for dose in rx.doses.all():
        reason = dose.entered_in_error_reason
        moves.append(
            _Move(dose.taken_at, 2, "dose taken", f"{dose.dose_mg} mg", Decimal(-1), "dose", Decimal(1), reason)
        )
        if dose.post_checked_at is not None:
            state = "back to usual" if dose.sedation_resolved else "not yet back to usual"
            if dose.side_effects:
                state += f"; {dose.side_effects}"
            moves.append(_Move(dose.post_checked_at, 3, "post-dose check", state, None, "", zero, reason))
    for entry in rx.stock_entries.all():
        reason = entry.entered_in_error_reason
        if entry.kind == "waste":
            witness = f" (witness {entry.witness.display_name})" if entry.witness else ""
            note = entry.note + witness
            moves.append(
                _Move(entry.recorded_at, 4, "documented waste", note, -entry.doses, "waste", entry.doses, reason)
            )
        else:
            detail = f"{entry.doses} doses counted"
            moves.append(_Move(entry.recorded_at, 4, "count", detail, None, "count", entry.doses, reason))
    return sorted(moves, key=lambda move: (move.at, move.order))


def diary(programme: HomeProgramme) -> list[DiaryRow]:
    """Every row of every prescription of the programme, oldest first."""
    rows: list[tuple[dt.datetime, int, DiaryRow]] = []
    tz = ZoneInfo(programme.patient.location.clinic.timezone)
    for rx in programme.prescriptions.all().order_by("issued_on", "pk"):
        label = f"{rx.get_route_display()} {rx.dose_mg} mg (#{rx.pk})"
        ordered = _moves(rx, tz)
        # The running balance after each fill, dose, waste and count (entered-in-error rows move nothing): the pure
        # rule of domain.homecare, fed in time order so that rows at the same moment keep the diary's order.
        moving = [index for index, move in enumerate(ordered) if move.kind and not move.withdrawn]
        points = rules.balance_over_time(
            [rules.DiaryEvent(ordered[i].at, ordered[i].kind, ordered[i].doses) for i in moving]
        )
        after = dict(zip(moving, points, strict=True))
        for index, move in enumerate(ordered):
            point = after.get(index)
            detail = move.detail
            if point is not None and point.difference:
                detail += f" ({_fewer_or_more(point.difference)} than the balance)"
            balance = point.expected if point is not None else None
            row = DiaryRow(move.at, label, move.event, detail, move.change, balance, move.withdrawn)
            rows.append((move.at, move.order, row))
    return [row for _, _, row in sorted(rows, key=lambda item: item[:2])]


def _fewer_or_more(difference: Decimal) -> str:
    amount = f"{abs(difference).normalize():f}"
    return f"{amount} fewer" if difference < 0 else f"{amount} more"


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
