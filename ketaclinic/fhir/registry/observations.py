"""Observation (vital signs from sessions, body measurements and the intake; rating-scale totals) and
QuestionnaireResponse (the answers behind a total)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.db.models import QuerySet

from ketaclinic.accounts.models import User
from ketaclinic.fhir.registry.base import (
    PATIENT_PARAM,
    ResourceType,
    Source,
    by_date,
    by_patient,
    chart_rows,
    fixed_tokens,
)
from ketaclinic.fhir.resources import observation, survey
from ketaclinic.fhir.resources.common import INSTRUMENT_SYSTEM, LOINC, OBSERVATION_CATEGORY
from ketaclinic.fhir.search import token
from ketaclinic.infusions.models import VitalReading
from ketaclinic.intake.models import IntakeAssessment
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import BodyMeasurement
from ketaclinic.patients.queries import patients_visible_to


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
            "patient": by_patient("session__patient_id"),
            "code": fixed_tokens(LOINC, tuple(code for code, _ in vital.codes)),
            "category": fixed_tokens(OBSERVATION_CATEGORY, (observation.VITAL_SIGNS,)),
            "date": by_date("taken_at"),
        },
        id_prefix=vital.key,
        order=("taken_at", "pk"),
    )


def _body_source(vital: observation.VitalCode) -> Source:
    return Source(
        rows=chart_rows(BodyMeasurement),
        to_fhir=lambda row: observation.vital_to_fhir(
            vital, row, patient_id=row.patient_id, taken_at=row.measured_at, recorded_at=row.recorded_at
        ),
        patient_id=lambda row: row.patient_id,
        filters={
            "patient": by_patient("patient_id"),
            "code": fixed_tokens(LOINC, tuple(code for code, _ in vital.codes)),
            "category": fixed_tokens(OBSERVATION_CATEGORY, (observation.VITAL_SIGNS,)),
            "date": by_date("measured_at"),
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
            "patient": by_patient("patient_id"),
            "code": fixed_tokens(LOINC, tuple(code for code, _ in vital.codes)),
            "category": fixed_tokens(OBSERVATION_CATEGORY, (observation.VITAL_SIGNS,)),
            "date": by_date("vitals_at"),
        },
        id_prefix=vital.key,
        order=("vitals_at", "pk"),
    )


SCORES = Source(
    rows=chart_rows(Measurement),
    to_fhir=observation.score_to_fhir,
    patient_id=lambda row: row.patient_id,
    filters={
        "patient": by_patient("patient_id"),
        "code": _score_codes,
        "category": fixed_tokens(OBSERVATION_CATEGORY, (observation.SURVEY,)),
        "date": by_date("taken_at"),
    },
    id_prefix="score",
    order=("taken_at", "pk"),
)


OBSERVATION_TYPES = (
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
                rows=chart_rows(Measurement),
                to_fhir=survey.response_to_fhir,
                patient_id=lambda row: row.patient_id,
                filters={"patient": by_patient("patient_id")},
                order=("taken_at", "pk"),
            ),
        ),
    ),
)
