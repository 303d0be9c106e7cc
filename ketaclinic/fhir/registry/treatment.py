"""Treatment: Encounter (sessions), MedicationAdministration (the dose given), Appointment (the calendar) and CarePlan
(treatment plan versions)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE, ROUTE_CHOICES
from ketaclinic.fhir.registry.base import PATIENT_PARAM, ResourceType, Source, by_date, by_patient
from ketaclinic.fhir.resources import care
from ketaclinic.infusions.queries import sessions_visible_to
from ketaclinic.plans.queries import plan_versions_visible_to
from ketaclinic.scheduling.queries import appointments_visible_to

ROUTE_LABELS = dict(ROUTE_CHOICES)


def _appointments(user: User) -> QuerySet[Any]:
    return appointments_visible_to(user).filter(patient__entered_in_error=False)


def _sessions(user: User) -> QuerySet[Any]:
    return sessions_visible_to(user).filter(patient__entered_in_error=False)


def _administrations(user: User) -> QuerySet[Any]:
    return _sessions(user).filter(started_at__isnull=False)


def _administration(row: Any) -> dict[str, Any]:
    return care.administration_to_fhir(
        row, route_label=ROUTE_LABELS.get(row.route, row.route), esketamine=row.route == ESKETAMINE_ROUTE
    )


def _plan_versions(user: User) -> QuerySet[Any]:
    return plan_versions_visible_to(user).select_related("plan")


TREATMENT_TYPES = (
    ResourceType(
        name="Encounter",
        versioned=True,
        capability="sessions.view",
        params={"patient": PATIENT_PARAM, "date": ("date", "When the session began (check-in)")},
        sources=(
            Source(
                rows=_sessions,
                to_fhir=care.encounter_to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={"patient": by_patient("patient_id"), "date": by_date("checked_in_at")},
                order=("checked_in_at", "pk"),
            ),
        ),
    ),
    ResourceType(
        name="MedicationAdministration",
        versioned=True,
        capability="sessions.view",
        params={"patient": PATIENT_PARAM, "effective-time": ("date", "When dosing started")},
        sources=(
            Source(
                rows=_administrations,
                to_fhir=_administration,
                patient_id=lambda row: row.patient_id,
                filters={
                    "patient": by_patient("patient_id"),
                    "effective-time": by_date("started_at", name="effective-time"),
                },
                order=("started_at", "pk"),
            ),
        ),
    ),
    ResourceType(
        name="Appointment",
        versioned=True,
        capability="schedule.view",
        params={"patient": PATIENT_PARAM, "date": ("date", "When the appointment starts")},
        sources=(
            Source(
                rows=_appointments,
                to_fhir=care.appointment_to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={"patient": by_patient("patient_id"), "date": by_date("starts_at")},
                order=("starts_at", "pk"),
            ),
        ),
    ),
    ResourceType(
        name="CarePlan",
        capability="plans.view",
        params={"patient": PATIENT_PARAM},
        sources=(
            Source(
                rows=_plan_versions,
                to_fhir=care.careplan_to_fhir,
                patient_id=lambda row: row.plan.patient_id,
                filters={"patient": by_patient("plan__patient_id")},
            ),
        ),
    ),
)
