"""Writes of the home programme: each in ``transaction.atomic()`` with its audit event (ARCHITECTURE.md)."""

from ketaclinic.homecare.services.dispensing import clinic_stock, dispense
from ketaclinic.homecare.services.doses import check_in, post_dose_check, take_dose
from ketaclinic.homecare.services.enrolment import enrol, prescribe, save_settings
from ketaclinic.homecare.services.monitoring import stop_programme
from ketaclinic.homecare.services.reconciliation import (
    HOME_WASTE,
    mark_entered_in_error,
    record_stock,
    review_discrepancy,
    review_if_needed,
)

__all__ = [
    "HOME_WASTE",
    "check_in",
    "clinic_stock",
    "dispense",
    "enrol",
    "mark_entered_in_error",
    "post_dose_check",
    "prescribe",
    "record_stock",
    "review_discrepancy",
    "review_if_needed",
    "save_settings",
    "stop_programme",
    "take_dose",
]
