"""Writes of the home programme: each in ``transaction.atomic()`` with its audit event (ARCHITECTURE.md)."""

from ketaclinic.homecare.services.doses import check_in, post_dose_check, record_stock, take_dose
from ketaclinic.homecare.services.enrolment import dispense, enrol, prescribe, save_settings
from ketaclinic.homecare.services.monitoring import stop_programme

__all__ = [
    "check_in",
    "dispense",
    "enrol",
    "post_dose_check",
    "prescribe",
    "record_stock",
    "save_settings",
    "stop_programme",
    "take_dose",
]
