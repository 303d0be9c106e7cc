"""Reconciliation against diversion: documented waste (witnessed), the clinician task a discrepancy opens, its review,
and withdrawing a wrong check-in or dose (entered in error, never deleted).

The running balance is dispensed − doses taken − documented waste (a CLINIC POLICY design, at-home.md §4: "discrepancy
≥ 1 dose → clinician task"; ASA 2025 asks prescribers to be "vigilant for diversion"). A count that differs from it by
at least the clinic's ``discrepancy_tolerance_doses``, or a balance below zero, opens one
:class:`~ketaclinic.homecare.models.HomeDiscrepancyReview` per prescription, addressed to the programme's prescriber;
it stays open on the programme page and the staff dashboard until a clinician reviews it with a note.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.homecare import queries
from ketaclinic.homecare.models import (
    HomeCheckIn,
    HomeDiscrepancyReview,
    HomeDose,
    HomeStockEntry,
    TakeHomePrescription,
)
from ketaclinic.ledger.services import witnesses
from ketaclinic.locking import lock
from ketaclinic.patients.models import clinic_date

# The second person for documented home waste: the ledger's witness rule (a licensed clinician of the location who
# re-authenticates), under its own purpose so a ledger signature cannot be replayed here.
HOME_WASTE = witnesses.WitnessRule(
    purpose="homecare.waste_witness",
    label="Witness",
    problem=witnesses.eligibility_problem,
    role_problem=witnesses.role_problem,
)


def _clinician(by: User) -> None:
    if not role_can(by.role, "clinical.record"):
        raise PermissionDenied("Only clinical staff may do this.")


def _doses(value: Decimal) -> str:
    """3, 2.5 (not 3.00, 2.50): how a number of doses is written in a task."""
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}".rstrip("0")


def review_if_needed(*, by: User | None, prescription: TakeHomePrescription) -> HomeDiscrepancyReview | None:
    """Open the clinician task when the balance shows a discrepancy and none is open (call inside the write)."""
    balance = queries.balance(prescription)
    if not balance.discrepancy:
        return None
    if HomeDiscrepancyReview.objects.filter(prescription=prescription, status="open").exists():
        return None
    if balance.expected < 0:
        reason = f"More doses taken and wasted than dispensed: the balance is {_doses(balance.expected)}."
    else:
        assert balance.counted is not None  # a discrepancy without a negative balance comes from a count
        reason = f"Count {_doses(balance.counted)} where {_doses(balance.expected)} doses are expected in hand."
    review = HomeDiscrepancyReview.objects.create(
        prescription=prescription,
        assigned_to=prescription.programme.prescriber,
        expected=balance.expected,
        counted=balance.counted,
        reason=reason,
    )
    audit.record(
        actor=by,
        action="homecare.discrepancy_opened",
        obj=review,
        patient_id=prescription.programme.patient_id,
        detail={"expected": str(balance.expected), "counted": str(balance.counted)},
    )
    return review


@transaction.atomic
def record_stock(
    *,
    by: User,
    prescription: TakeHomePrescription,
    kind: str,
    doses: object,
    note: str = "",
    witness: witnesses.WitnessSignature | None = None,
) -> HomeStockEntry:
    """Documented waste (doses wasted or handed back for destruction; witnessed) or a count of the doses held."""
    _clinician(by)
    if kind not in HomeStockEntry.Kind.values:
        raise ServiceError("Choose waste or count.", field="kind")
    try:
        amount = Decimal(str(doses))
    except InvalidOperation:
        raise ServiceError("Enter a number of doses.", field="doses") from None
    if not amount.is_finite() or amount < 0 or amount > 999 or amount != amount.quantize(Decimal("0.01")):
        raise ServiceError("Enter a number of doses from 0 to 999 (at most two decimals).", field="doses")
    if kind == HomeStockEntry.Kind.WASTE and amount == 0:
        raise ServiceError("Waste must be more than 0 doses.", field="doses")
    if len(note.strip()) > 300:
        raise ServiceError("At most 300 characters.", field="note")
    prescription = lock(TakeHomePrescription).select_related("programme__patient__location").get(pk=prescription.pk)
    patient = prescription.programme.patient
    signed_by = None
    if kind == HomeStockEntry.Kind.WASTE:
        if not note.strip():
            raise ServiceError("Say what happened to the doses (wasted how, or handed back).", field="note")
        signed_by = witnesses.accept(
            witness, actor=by, location=patient.location, on=clinic_date(patient), rule=HOME_WASTE
        )
    row = HomeStockEntry.objects.create(
        prescription=prescription,
        kind=kind,
        doses=amount,
        note=note.strip(),
        recorded_by=by,
        witness=signed_by,
        witness_method=witness.method if witness is not None and signed_by is not None else "",
    )
    audit.record(
        actor=by,
        action=f"homecare.{kind}",
        obj=row,
        patient_id=patient.pk,
        detail={"doses": str(amount), "witness": signed_by.username if signed_by else None},
    )
    review_if_needed(by=by, prescription=prescription)
    return row


@transaction.atomic
def review_discrepancy(*, by: User, review: HomeDiscrepancyReview, note: str) -> HomeDiscrepancyReview:
    """Close the task: a clinician says what was found and done (the note is required and audited)."""
    _clinician(by)
    review = lock(HomeDiscrepancyReview).select_related("prescription__programme").get(pk=review.pk)
    if review.status != HomeDiscrepancyReview.Status.OPEN:
        raise ServiceError("This discrepancy has already been reviewed.")
    text = note.strip()
    if not text:
        raise ServiceError("Say what the review found and what was done.", field="note")
    if len(text) > 2000:
        raise ServiceError("At most 2000 characters.", field="note")
    review.status = HomeDiscrepancyReview.Status.REVIEWED
    review.reviewed_by, review.reviewed_at, review.review_note = by, timezone.now(), text
    review.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note"])
    audit.record(
        actor=by,
        action="homecare.discrepancy_reviewed",
        obj=review,
        patient_id=review.prescription.programme.patient_id,
        detail={"note_chars": len(text)},
    )
    return review


def _withdraw(row: HomeCheckIn | HomeDose, by: User, reason: str) -> None:
    type(row).objects.filter(pk=row.pk).update(
        entered_in_error=True,
        entered_in_error_reason=reason,
        entered_in_error_by=by,
        entered_in_error_at=timezone.now(),
    )


def _locked(row: HomeCheckIn | HomeDose) -> HomeCheckIn | HomeDose:
    if isinstance(row, HomeCheckIn):
        return lock(HomeCheckIn).get(pk=row.pk)
    return lock(HomeDose).get(pk=row.pk)


@transaction.atomic
def mark_entered_in_error(*, by: User, row: HomeCheckIn | HomeDose, reason: str) -> None:
    """Withdraw a wrong check-in (with its dose) or a wrong dose: kept and shown struck through; the balance then
    leaves it out. Nothing is deleted."""
    _clinician(by)
    if not isinstance(row, HomeCheckIn | HomeDose):
        raise ValueError(f"{type(row).__name__} rows cannot be marked entered in error here")
    text = reason.strip()
    if not text:
        raise ServiceError("Say why this entry is wrong.", field="reason")
    if len(text) > 500:
        raise ServiceError("At most 500 characters.", field="reason")
    prescription = lock(TakeHomePrescription).select_related("programme").get(pk=row.prescription_id)
    row = _locked(row)
    if row.entered_in_error:
        raise ServiceError("This entry is already marked entered in error.")
    _withdraw(row, by, text)
    dose = None
    if isinstance(row, HomeCheckIn):
        dose = HomeDose.objects.filter(check_in=row, entered_in_error=False).first()
        if dose is not None:
            _withdraw(dose, by, text)
    audit.record(
        actor=by,
        action="homecare.entered_in_error",
        obj=row,
        patient_id=prescription.programme.patient_id,
        detail={"reason": text, "dose_withdrawn_too": dose is not None},
    )
    review_if_needed(by=by, prescription=prescription)
