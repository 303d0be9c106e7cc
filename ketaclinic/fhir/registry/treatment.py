"""Treatment: Encounter (sessions), MedicationAdministration (the ketamine dose given, and the rescue drugs given in
the chair), Appointment (the calendar) and CarePlan (treatment plan versions)."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery

from ketaclinic.accounts.models import User
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE, ROUTE_CHOICES
from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.registry.base import (
    PATIENT_PARAM,
    PROVENANCE_TARGET,
    Include,
    ResourceType,
    Source,
    by_date,
    by_patient,
    fixed_tokens,
    references_at,
)
from ketaclinic.fhir.resources import care, orders, records
from ketaclinic.fhir.search import token
from ketaclinic.infusions.models import DrugAdministration, RescueMedication, SideEffect
from ketaclinic.infusions.queries import sessions_visible_to
from ketaclinic.plans.queries import plan_versions_visible_to
from ketaclinic.scheduling.queries import appointments_visible_to

ROUTE_LABELS = dict(ROUTE_CHOICES)


def _appointments(user: User) -> QuerySet[Any]:
    return appointments_visible_to(user).filter(patient__entered_in_error=False)


def _sessions(user: User) -> QuerySet[Any]:
    return sessions_visible_to(user).filter(patient__entered_in_error=False)


def with_product_ndc(sessions: QuerySet[Any]) -> QuerySet[Any]:
    """Sessions with ``product_ndc``: the NDC their draws recorded from the ledger's product, when every draw of the
    session came from the same product (else None: one medication concept cannot name two products). One subquery
    in the same statement, so a search page or an export chunk stays one query."""
    draws = (
        DrugAdministration.objects.filter(session=OuterRef("pk"))
        .values("session")
        .annotate(products=Count("ndc", distinct=True), first=Min("ndc"))
        .filter(products=1)
        .values("first")
    )
    annotated: QuerySet[Any] = sessions.annotate(product_ndc=Subquery(draws[:1]))
    return annotated


def _administrations(user: User) -> QuerySet[Any]:
    return with_product_ndc(_sessions(user).filter(started_at__isnull=False))


def _administration(row: Any) -> dict[str, Any]:
    return care.administration_to_fhir(
        row,
        route_label=ROUTE_LABELS.get(row.route, row.route),
        esketamine=row.route == ESKETAMINE_ROUTE,
        ndc=row.product_ndc,
    )


RESCUE_ROUTE_LABELS = dict(RescueMedication.Route.choices)


def _rescues(user: User) -> QuerySet[Any]:
    """Rescue drugs given in the sessions the user may see; withdrawn ones (entered in error) are not served."""
    return RescueMedication.objects.filter(
        session__in=sessions_visible_to(user),
        entered_in_error=False,
        session__patient__entered_in_error=False,
    ).annotate(patient_id=F("session__patient_id"))


def _rescue(row: Any) -> dict[str, Any]:
    route = None if row.route == RescueMedication.Route.OTHER else RESCUE_ROUTE_LABELS.get(row.route, row.route)
    return care.rescue_administration_to_fhir(row, route_label=route)


def _plan_versions(user: User) -> QuerySet[Any]:
    return plan_versions_visible_to(user).select_related("plan")


def _medication_request(row: Any) -> dict[str, Any]:
    return orders.medication_request_to_fhir(
        row, route_label=ROUTE_LABELS.get(row.route, row.route), esketamine=row.route == ESKETAMINE_ROUTE
    )


#: FHIR medicationrequest-status → the plan versions that have it (the others match nothing).
_REQUEST_STATUS = {
    "draft": Q(status="draft"),
    "active": Q(status="signed", plan__status="active"),
    "stopped": Q(status="superseded") | Q(status="signed", plan__status="stopped"),
}


def _request_status(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    for value in values:
        match = Q(pk__in=[])
        for part in value.split(","):
            system, code = token(part)
            if code not in orders.STATUSES or system not in (None, orders.STATUS_SYSTEM):
                raise FhirError(400, "invalid", f"status={part}: not a MedicationRequest status.")
            match |= _REQUEST_STATUS.get(code, Q(pk__in=[]))
        rows = rows.filter(match)
    return rows


def _side_effects(user: User) -> QuerySet[Any]:
    return SideEffect.objects.filter(
        session__in=sessions_visible_to(user), entered_in_error=False, session__patient__entered_in_error=False
    ).select_related("session")


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
        includes={
            "Encounter:practitioner": Include("Practitioner", references_at("participant.individual")),
            "Encounter:patient": Include("Patient", references_at("subject")),
            "Encounter:location": Include("Location", references_at("location.location")),
        },
        revincludes=PROVENANCE_TARGET,
    ),
    ResourceType(
        name="MedicationAdministration",
        versioned=True,
        capability="sessions.view",
        params={
            "patient": PATIENT_PARAM,
            "effective-time": ("date", "When ketamine dosing started, or when a rescue drug was given"),
        },
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
            Source(
                rows=_rescues,
                to_fhir=_rescue,
                patient_id=lambda row: row.patient_id,
                filters={
                    "patient": by_patient("session__patient_id"),
                    "effective-time": by_date("given_at", name="effective-time"),
                },
                id_prefix=care.RESCUE_ID_PREFIX,
                order=("given_at", "pk"),
            ),
        ),
        revincludes=PROVENANCE_TARGET,
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
        revincludes=PROVENANCE_TARGET,
    ),
    ResourceType(
        name="MedicationRequest",
        capability="plans.view",
        params={
            "patient": PATIENT_PARAM,
            "status": ("token", "active, draft or stopped (medicationrequest-status)"),
            "intent": ("token", "order (every plan version is an order)"),
        },
        sources=(
            Source(
                rows=_plan_versions,
                to_fhir=_medication_request,
                patient_id=lambda row: row.plan.patient_id,
                filters={
                    "patient": by_patient("plan__patient_id"),
                    "status": _request_status,
                    "intent": fixed_tokens(orders.INTENT_SYSTEM, ("order",)),
                },
            ),
        ),
        profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-medicationrequest",
        includes={
            "MedicationRequest:requester": Include("Practitioner", references_at("requester")),
            "MedicationRequest:patient": Include("Patient", references_at("subject")),
        },
        revincludes=PROVENANCE_TARGET,
    ),
    ResourceType(
        name="AdverseEvent",
        capability="sessions.view",
        params={
            "subject": ("reference", "The patient (Patient/<id>)"),
            "patient": PATIENT_PARAM,
            "date": ("date", "When the event began"),
        },
        sources=(
            Source(
                rows=_side_effects,
                to_fhir=records.adverse_event_to_fhir,
                patient_id=lambda row: row.session.patient_id,
                filters={
                    "subject": by_patient("session__patient_id"),
                    "patient": by_patient("session__patient_id"),
                    "date": by_date("started_at"),
                },
                order=("started_at", "pk"),
            ),
        ),
    ),
)
