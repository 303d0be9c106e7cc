"""What this server serves: each resource type, the capability its reader needs, its search parameters and the
access-scoped rows behind it (the apps' own ``*_visible_to(user)`` queries, so a token sees what its user sees).

A resource type is read from one or more *sources*: Observation comes from session vital-sign readings (one source
per vital sign), body measurements and rating-scale totals. Paging runs over the sources one after another, each in
a stable order, so a client that follows ``next`` links sees every row once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE, ROUTE_CHOICES
from ketaclinic.fhir.http import FhirError
from ketaclinic.fhir.resources import care, clinical, directory, observation, survey
from ketaclinic.fhir.resources import patient as patient_map
from ketaclinic.fhir.resources.common import INSTRUMENT_SYSTEM, LOINC, MRN_SYSTEM, OBSERVATION_CATEGORY
from ketaclinic.fhir.search import date_lookups, reference_id, token
from ketaclinic.infusions.models import VitalReading
from ketaclinic.infusions.queries import sessions_visible_to
from ketaclinic.intake.models import IntakeAssessment
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import Allergy, BodyMeasurement, Condition, Consent, Medication
from ketaclinic.patients.queries import patients_visible_to
from ketaclinic.plans.queries import plan_versions_visible_to
from ketaclinic.scheduling.queries import appointments_visible_to

ROUTE_LABELS = dict(ROUTE_CHOICES)

Filter = Callable[[QuerySet[Any], list[str]], QuerySet[Any] | None]


@dataclass(frozen=True)
class Source:
    """One table behind a resource type. ``id_prefix`` is empty when the type has a single source (ids are the
    row's primary key) and names the source otherwise (``bp-12``)."""

    rows: Callable[[User], QuerySet[Any]]
    to_fhir: Callable[[Any], dict[str, Any]]
    #: The patient a row belongs to (audited with the read); None for the clinic's directory (Practitioner …).
    patient_id: Callable[[Any], int | None]
    filters: Mapping[str, Filter]
    id_prefix: str = ""
    order: tuple[str, ...] = ("pk",)


@dataclass(frozen=True)
class ResourceType:
    name: str
    capability: str
    params: Mapping[str, tuple[str, str]]  # name → (FHIR search param type, what it matches)
    sources: tuple[Source, ...] = field(default_factory=tuple)
    profile: str | None = None
    #: Its resources carry ``meta.versionId`` (and reads an ``ETag``): the row keeps a version counter.
    versioned: bool = False


def _by_patient(path: str) -> Filter:
    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        for value in values:
            ids = [reference_id(part, "Patient", "patient") for part in value.split(",")]
            rows = rows.filter(**{f"{path}__in": ids})
        return rows

    return apply


def _by_date(path: str, *, as_date: bool = False, name: str = "date") -> Filter:
    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
        for value in values:
            rows = rows.filter(**date_lookups(path, value, name, as_date=as_date))
        return rows

    return apply


def _fixed_tokens(system: str, codes: tuple[str, ...]) -> Filter:
    """A source whose rows all carry the same code(s): it matches a token or it is left out entirely."""

    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
        return rows if rules_in(values) else None

    def rules_in(values: list[str]) -> bool:
        # repeats are AND; commas within one are OR
        return all(any(_matches(part, system, codes) for part in value.split(",")) for value in values)

    apply.rules_in = rules_in  # type: ignore[attr-defined]  # checked by ``filtered`` before any rows are built
    return apply


def _matches(value: str, system: str, codes: tuple[str, ...]) -> bool:
    wanted_system, code = token(value)
    return code in codes and wanted_system in (None, system)


def _score_codes(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
    for value in values:
        wanted: set[str] = set()
        for part in value.split(","):
            system, code = token(part)
            if system in (None, LOINC):
                wanted.update(observation.instruments_with_loinc_total(code))
            if system in (None, INSTRUMENT_SYSTEM):
                wanted.add(code)
        rows = rows.filter(instrument__in=sorted(wanted))
    return rows


def _patient_names(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any]:
    """FHIR string search: case-insensitive, the start of any name part (R4 search.html "string")."""
    for value in values:
        match = Q()
        for part in value.split(","):
            text = part.strip()
            match |= Q(given_name__istartswith=text) | Q(family_name__istartswith=text)
            match |= Q(preferred_name__istartswith=text)
        rows = rows.filter(match)
    return rows


def _patient_identifier(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
    for value in values:
        mrns = [code for system, code in map(token, value.split(",")) if system in (None, MRN_SYSTEM)]
        rows = rows.filter(mrn__in=mrns)
    return rows


def _chart_rows(model: type[Any]) -> Callable[[User], QuerySet[Any]]:
    def rows(user: User) -> QuerySet[Any]:
        found: QuerySet[Any] = model.objects.filter(patient__in=patients_visible_to(user), entered_in_error=False)
        return found

    return rows


def _vital_rows(vital: observation.VitalCode) -> Callable[[User], QuerySet[Any]]:
    present = {f"{name}__isnull": False for name in vital.fields}

    def rows(user: User) -> QuerySet[Any]:
        return VitalReading.objects.filter(
            session__patient__in=patients_visible_to(user), entered_in_error=False, **present
        ).select_related("session")

    return rows


def _vital_source(vital: observation.VitalCode) -> Source:
    return Source(
        rows=_vital_rows(vital),
        to_fhir=lambda row: observation.vital_to_fhir(
            vital, row, patient_id=row.session.patient_id, taken_at=row.taken_at, recorded_at=row.recorded_at
        ),
        patient_id=lambda row: row.session.patient_id,
        filters={
            "patient": _by_patient("session__patient_id"),
            "code": _fixed_tokens(LOINC, tuple(code for code, _ in vital.codes)),
            "category": _fixed_tokens(OBSERVATION_CATEGORY, (observation.VITAL_SIGNS,)),
            "date": _by_date("taken_at"),
        },
        id_prefix=vital.key,
        order=("taken_at", "pk"),
    )


def _body_source(vital: observation.VitalCode) -> Source:
    return Source(
        rows=_chart_rows(BodyMeasurement),
        to_fhir=lambda row: observation.vital_to_fhir(
            vital, row, patient_id=row.patient_id, taken_at=row.measured_at, recorded_at=row.recorded_at
        ),
        patient_id=lambda row: row.patient_id,
        filters={
            "patient": _by_patient("patient_id"),
            "code": _fixed_tokens(LOINC, tuple(code for code, _ in vital.codes)),
            "category": _fixed_tokens(OBSERVATION_CATEGORY, (observation.VITAL_SIGNS,)),
            "date": _by_date("measured_at"),
        },
        id_prefix=vital.key,
        order=("measured_at", "pk"),
    )


def _intake_rows(vital: observation.VitalCode) -> Callable[[User], QuerySet[Any]]:
    present = {f"{name}__isnull": False for name in vital.fields}

    def rows(user: User) -> QuerySet[Any]:
        return IntakeAssessment.objects.filter(
            patient__in=patients_visible_to(user),
            entered_in_error=False,
            status=IntakeAssessment.Status.SUBMITTED,
            vitals_at__isnull=False,
            **present,
        )

    return rows


def _intake_source(measured: observation.VitalCode) -> Source:
    """The vital signs taken at the intake assessment, once it is submitted (ids ``intake-bp-7`` …)."""
    vital = replace(measured, key=f"intake-{measured.key}")
    return Source(
        rows=_intake_rows(vital),
        to_fhir=lambda row: observation.vital_to_fhir(
            vital, row, patient_id=row.patient_id, taken_at=row.vitals_at, recorded_at=row.submitted_at
        ),
        patient_id=lambda row: row.patient_id,
        filters={
            "patient": _by_patient("patient_id"),
            "code": _fixed_tokens(LOINC, tuple(code for code, _ in vital.codes)),
            "category": _fixed_tokens(OBSERVATION_CATEGORY, (observation.VITAL_SIGNS,)),
            "date": _by_date("vitals_at"),
        },
        id_prefix=vital.key,
        order=("vitals_at", "pk"),
    )


SCORES = Source(
    rows=_chart_rows(Measurement),
    to_fhir=observation.score_to_fhir,
    patient_id=lambda row: row.patient_id,
    filters={
        "patient": _by_patient("patient_id"),
        "code": _score_codes,
        "category": _fixed_tokens(OBSERVATION_CATEGORY, (observation.SURVEY,)),
        "date": _by_date("taken_at"),
    },
    id_prefix="score",
    order=("taken_at", "pk"),
)


def _chart_source(model: type[Any], to_fhir: Callable[[Any], dict[str, Any]]) -> Source:
    return Source(
        rows=_chart_rows(model),
        to_fhir=to_fhir,
        patient_id=lambda row: row.patient_id,
        filters={"patient": _by_patient("patient_id")},
    )


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


PATIENT_PARAM = ("reference", "The patient (Patient/<id>)")


def _directory_source(
    rows: Callable[[User], QuerySet[Any]], to_fhir: Callable[[Any], dict[str, Any]], **filters: Filter
) -> Source:
    return Source(rows=rows, to_fhir=to_fhir, patient_id=lambda row: None, filters=filters, order=("name", "pk"))


DIRECTORY_TYPES = (
    ResourceType(
        name="Practitioner",
        capability="patient.view",
        params={
            "name": ("string", "Start of the given or family name (or user name), any case"),
            "identifier": ("token", f"NPI ({directory.NPI_SYSTEM}|<npi>)"),
        },
        sources=(
            Source(
                rows=directory.practitioners_visible_to,
                to_fhir=directory.practitioner_to_fhir,
                patient_id=lambda row: None,
                filters={"name": directory.practitioner_name, "identifier": directory.practitioner_identifier},
                order=("last_name", "first_name", "pk"),
            ),
        ),
        # No US Core profile claimed: US Core Practitioner wants an identifier and a family name, and a nurse without
        # an NPI on file (or a user without a surname) has neither.
    ),
    ResourceType(
        name="Organization",
        capability="patient.view",
        params={"name": ("string", "Start of the clinic's name, any case")},
        sources=(
            _directory_source(
                directory.organizations_visible_to, directory.organization_to_fhir, name=directory.organization_name
            ),
        ),
    ),
    ResourceType(
        name="Location",
        capability="patient.view",
        params={"name": ("string", "Start of the location's name, any case")},
        sources=(
            _directory_source(directory.locations_visible_to, directory.location_to_fhir, name=directory.location_name),
        ),
    ),
)

RESOURCE_TYPES: dict[str, ResourceType] = {
    rt.name: rt
    for rt in (
        ResourceType(
            name="Patient",
            versioned=True,
            capability="patient.view",
            params={
                "name": ("string", "Start of the given, family or preferred name, any case"),
                "birthdate": ("date", "Date of birth (prefixes eq, lt, gt, le, ge)"),
                "identifier": ("token", f"Medical record number ({MRN_SYSTEM}|<mrn>)"),
            },
            sources=(
                Source(
                    rows=patients_visible_to,
                    to_fhir=patient_map.to_fhir,
                    patient_id=lambda row: row.pk,
                    filters={
                        "name": _patient_names,
                        "birthdate": _by_date("date_of_birth", as_date=True, name="birthdate"),
                        "identifier": _patient_identifier,
                    },
                    order=("family_name", "given_name", "pk"),
                ),
            ),
            profile="http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
        ),
        ResourceType(
            name="Observation",
            capability="clinical.view",
            params={
                "patient": PATIENT_PARAM,
                "code": ("token", "LOINC code (system|code), or our instrument id"),
                "category": ("token", "vital-signs or survey"),
                "date": ("date", "When it was measured (prefixes eq, lt, gt, le, ge)"),
            },
            sources=(
                SCORES,
                *(_vital_source(vital) for vital in observation.SESSION_VITALS),
                *(_body_source(vital) for vital in observation.BODY),
                *(_intake_source(vital) for vital in observation.INTAKE_VITALS),
            ),
        ),
        ResourceType(
            name="QuestionnaireResponse",
            capability="clinical.view",
            params={"patient": PATIENT_PARAM},
            sources=(
                Source(
                    rows=_chart_rows(Measurement),
                    to_fhir=survey.response_to_fhir,
                    patient_id=lambda row: row.patient_id,
                    filters={"patient": _by_patient("patient_id")},
                    order=("taken_at", "pk"),
                ),
            ),
        ),
        ResourceType(
            name="Condition",
            capability="clinical.view",
            params={"patient": PATIENT_PARAM},
            sources=(_chart_source(Condition, clinical.condition_to_fhir),),
        ),
        ResourceType(
            name="AllergyIntolerance",
            capability="clinical.view",
            params={"patient": PATIENT_PARAM},
            sources=(_chart_source(Allergy, clinical.allergy_to_fhir),),
        ),
        ResourceType(
            name="MedicationStatement",
            capability="clinical.view",
            params={"patient": PATIENT_PARAM},
            sources=(
                _chart_source(
                    Medication,
                    lambda row: clinical.medication_to_fhir(row, today=timezone.localdate()),
                ),
            ),
        ),
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
                    filters={"patient": _by_patient("patient_id"), "date": _by_date("checked_in_at")},
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
                        "patient": _by_patient("patient_id"),
                        "effective-time": _by_date("started_at", name="effective-time"),
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
                    filters={"patient": _by_patient("patient_id"), "date": _by_date("starts_at")},
                    order=("starts_at", "pk"),
                ),
            ),
        ),
        ResourceType(
            name="Consent",
            capability="patient.view",
            params={"patient": PATIENT_PARAM},
            sources=(_chart_source(Consent, lambda row: care.consent_to_fhir(row, today=timezone.localdate())),),
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
                    filters={"patient": _by_patient("plan__patient_id")},
                ),
            ),
        ),
        *DIRECTORY_TYPES,
    )
}


def resource_type(name: str) -> ResourceType:
    found = RESOURCE_TYPES.get(name)
    if found is None:
        raise FhirError(
            400,
            "not-supported",
            f"Unknown or unsupported resource type: {name}. This server serves "
            f"{', '.join(sorted(RESOURCE_TYPES))} (see /fhir/r4/metadata).",
        )
    return found


def source_for_id(rt: ResourceType, resource_id: str) -> tuple[Source, int] | None:
    """The source and primary key an id names, or None when it names none (a 404)."""
    for source in rt.sources:
        if source.id_prefix:
            prefix, _, pk = resource_id.rpartition("-")
            if prefix == source.id_prefix and pk.isdigit():
                return source, int(pk)
        elif resource_id.isdigit():
            return source, int(resource_id)
    return None


def filtered(source: Source, user: User, query: QueryDict) -> QuerySet[Any] | None:
    """The source's rows the search asks for, or None when the source cannot match (another code or category)."""
    for name, apply in source.filters.items():
        # A fixed code or category rules a source out before its rows are built (building a query costs ~2 ms,
        # and Observation?code= would otherwise build all eleven sources to use one).
        rules_in = getattr(apply, "rules_in", None)
        values = query.getlist(name)
        if rules_in is not None and values and not rules_in(values):
            return None
    rows: QuerySet[Any] | None = source.rows(user)
    ids = query.getlist("_id")
    if ids:
        wanted: list[int] = []
        for value in ids:
            for part in value.split(","):
                found = _own_pk(source, part)
                if found is not None:
                    wanted.append(found)
        if not wanted:
            return None
        rows = rows.filter(pk__in=wanted)  # type: ignore[union-attr]
    for name, apply in source.filters.items():
        values = query.getlist(name)
        if values and rows is not None:
            rows = apply(rows, values)
    return rows.order_by(*source.order) if rows is not None else None


def _own_pk(source: Source, resource_id: str) -> int | None:
    if source.id_prefix:
        prefix, _, pk = resource_id.rpartition("-")
        return int(pk) if prefix == source.id_prefix and pk.isdigit() else None
    return int(resource_id) if resource_id.isdigit() else None
