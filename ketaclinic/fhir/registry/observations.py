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
    Catalogue,
    Filter,
    ResourceType,
    Source,
    by_date,
    by_patient,
    chart_rows,
    fixed_tokens,
)
from ketaclinic.fhir.resources import observation, questionnaire, survey
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


def _item_rows(position: int) -> Callable[[User], QuerySet[Any]]:
    wanted = observation.instruments_with_item(position)

    def rows(user: User) -> QuerySet[Any]:
        return Measurement.objects.filter(
            patient__in=patients_visible_to(user), entered_in_error=False, instrument__in=wanted
        )

    return rows


def _item_codes(position: int) -> Filter:
    codes = observation.item_codes(position)

    def apply(rows: QuerySet[Any], values: list[str]) -> QuerySet[Any] | None:
        for value in values:
            wanted: set[str] = set()
            for part in value.split(","):
                system, code = token(part)
                wanted.update(i for (s, c), i in codes.items() if c == code and system in (None, s))
            if not wanted:
                return None
            rows = rows.filter(instrument__in=sorted(wanted))
        return rows

    return apply


def _item_source(position: int) -> Source:
    """Item ``position`` of every scale that has one (``item3-12``: item 3 of measurement 12)."""
    return Source(
        rows=_item_rows(position),
        to_fhir=lambda row: observation.item_to_fhir(row, position),
        patient_id=lambda row: row.patient_id,
        filters={
            "patient": by_patient("patient_id"),
            "code": _item_codes(position),
            "category": fixed_tokens(OBSERVATION_CATEGORY, (observation.SURVEY,)),
            "date": by_date("taken_at"),
        },
        id_prefix=f"item{position}",
        order=("taken_at", "pk"),
    )


#: A bulk export reads each score once and writes its total and its items (the item sources would read the same
#: row again for each of up to 23 item positions: 6.5 million item Observations from 1 million scores at scale).
SCORES_WITH_ITEMS = replace(SCORES, fan_out=observation.score_with_items_to_fhir)
VITAL_SOURCES = (
    *(_vital_source(vital) for vital in observation.SESSION_VITALS),
    *(_body_source(vital) for vital in observation.BODY),
    *(_intake_source(vital) for vital in observation.INTAKE_VITALS),
)


def _questionnaire_url(resource: dict[str, Any], values: list[str]) -> bool:
    return all(resource["url"] in value.split(",") for value in values)


def _questionnaire_code(resource: dict[str, Any], values: list[str]) -> bool:
    codes = [(c["system"], c["code"]) for c in resource.get("code", [])]
    return all(
        any(
            code == wanted and system in (None, own)
            for own, code in codes
            for system, wanted in map(token, v.split(","))
        )
        for v in values
    )


def _questionnaire_name(resource: dict[str, Any], values: list[str]) -> bool:
    words = [resource["name"].lower(), *(part.lower() for part in resource["title"].replace("(", " ").split())]
    return all(any(w.startswith(part.strip().lower()) for w in words for part in v.split(",")) for v in values)


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
            *VITAL_SOURCES,
            *(_item_source(position) for position in range(1, observation.item_positions() + 1)),
        ),
        export_sources=(SCORES_WITH_ITEMS, *VITAL_SOURCES),
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
    ResourceType(
        name="Questionnaire",
        capability="patient.view",
        params={
            "url": ("uri", f"The canonical url ({questionnaire.URL_PREFIX}<id>)"),
            "code": ("token", "The scale's LOINC panel code"),
            "name": ("string", "Start of the scale's name or of a word of its title, any case"),
        },
        catalogue=Catalogue(
            resources=questionnaire.questionnaires,
            filters={"url": _questionnaire_url, "code": _questionnaire_code, "name": _questionnaire_name},
        ),
    ),
)
