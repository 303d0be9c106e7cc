"""Treatment sessions (issue 7): the session and what is recorded in the chair."""

from ketaclinic.infusions.models.records import (
    DrugAdministration,
    FormSubmission,
    RateChange,
    RescueMedication,
    SessionAlert,
    SessionScore,
    SideEffect,
    VitalReading,
)
from ketaclinic.infusions.models.session import ESKETAMINE_ROUTE, TreatmentSession

__all__ = [
    "ESKETAMINE_ROUTE",
    "DrugAdministration",
    "FormSubmission",
    "RateChange",
    "RescueMedication",
    "SessionAlert",
    "SessionScore",
    "SideEffect",
    "TreatmentSession",
    "VitalReading",
]
