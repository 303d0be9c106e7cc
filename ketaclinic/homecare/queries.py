"""Reads of the home programme: the running balance per prescription and the doses taken today."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from ketaclinic.accounts.models import User
from ketaclinic.domain import homecare as rules
from ketaclinic.homecare.models import (
    HomeDiscrepancyReview,
    HomeDose,
    HomeProgramme,
    HomeSettings,
    HomeStockEntry,
    TakeHomePrescription,
)
from ketaclinic.patients.models import Patient, clinic_date
from ketaclinic.patients.queries import patients_visible_to


def settings_for(clinic_id: int) -> HomeSettings:
    """The clinic's row, or an unsaved empty one: nothing set means no home dose is released."""
    return HomeSettings.objects.filter(clinic_id=clinic_id).first() or HomeSettings(clinic_id=clinic_id)


def thresholds_for(clinic_id: int) -> rules.ReleaseThresholds:
    row = settings_for(clinic_id)
    return rules.ReleaseThresholds(
        max_systolic_mmhg=row.max_systolic_mmhg,
        max_diastolic_mmhg=row.max_diastolic_mmhg,
        max_heart_rate_per_min=row.max_heart_rate_per_min,
        doses_per_day=row.doses_per_day,
    )


def active_programme(patient: Patient) -> HomeProgramme | None:
    return (
        HomeProgramme.objects.filter(patient=patient, status="active", entered_in_error=False)
        .select_related("prescriber", "patient__location__clinic")
        .first()
    )


def current_prescription(programme: HomeProgramme) -> TakeHomePrescription | None:
    return programme.prescriptions.filter(entered_in_error=False, stopped_at__isnull=True).first()


def doses_taken_today(patient: Patient) -> int:
    today = clinic_date(patient)
    doses = HomeDose.objects.filter(prescription__programme__patient=patient, entered_in_error=False)
    return sum(1 for taken_at in doses.values_list("taken_at", flat=True) if clinic_date(patient, taken_at) == today)


@dataclass(frozen=True)
class Balance:
    dispensed: Decimal
    taken: Decimal
    wasted: Decimal
    expected: Decimal
    counted: Decimal | None
    discrepancy: bool | None  # None: the clinic has not set the tolerance, or nothing counted yet
    sessions_remaining: int


def _sum(rows: object, field: str) -> Decimal:
    return Decimal(rows.aggregate(total=Sum(field))["total"] or 0)  # type: ignore[attr-defined]


def balance(prescription: TakeHomePrescription) -> Balance:
    """dispensed − doses taken − documented waste, compared with the latest count (CLINIC POLICY design)."""
    dispensed = _sum(prescription.dispenses.filter(entered_in_error=False), "doses")
    taken = Decimal(prescription.doses.filter(entered_in_error=False).count())
    stock = prescription.stock_entries.filter(entered_in_error=False)
    wasted = _sum(stock.filter(kind=HomeStockEntry.Kind.WASTE), "doses")
    expected = rules.balance(dispensed, taken, wasted)
    count = stock.filter(kind=HomeStockEntry.Kind.COUNT).order_by("-recorded_at", "-pk").first()
    tolerance = settings_for(prescription.programme.patient.location.clinic_id).discrepancy_tolerance_doses
    counted = count.doses if count is not None else expected
    flag = rules.discrepancy(expected, counted, tolerance) if count is not None or expected < 0 else None
    return Balance(
        dispensed=dispensed,
        taken=taken,
        wasted=wasted,
        expected=expected,
        counted=count.doses if count else None,
        discrepancy=flag,
        sessions_remaining=prescription.sessions_authorised - int(taken),
    )


def open_reviews(prescriptions: object) -> list[HomeDiscrepancyReview]:
    """Open discrepancy tasks of these prescriptions (a queryset or list), oldest first."""
    return list(
        HomeDiscrepancyReview.objects.filter(prescription__in=prescriptions, status="open")
        .select_related("assigned_to", "prescription")
        .order_by("opened_at")
    )


def open_reviews_for(user: User) -> list[HomeDiscrepancyReview]:
    """The staff dashboard's list: open discrepancy tasks of patients the user may see (their locations)."""
    return list(
        HomeDiscrepancyReview.objects.filter(
            status="open", prescription__programme__patient__in=patients_visible_to(user)
        )
        .select_related("assigned_to", "prescription__programme__patient")
        .order_by("opened_at")[:20]
    )
