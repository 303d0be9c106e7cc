"""The bulk export's cheap row reader (ketaclinic/fhir/raw_rows.py) gives what Django's values_list gives, or says it
cannot and leaves the conversion to Django."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import F, Value
from django.db.models.functions import Concat

from ketaclinic.fhir import raw_rows
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import Patient

pytestmark = pytest.mark.django_db


def _read(query: Any) -> list[dict[str, Any]]:
    how = raw_rows.plan(query)
    assert how is not None
    return [dict(zip(how.names, values, strict=True)) for values in raw_rows.fetch(query, how)]


def _django(query: Any, names: tuple[str, ...]) -> list[dict[str, Any]]:
    return [dict(zip(names, values, strict=True)) for values in query]


def test_scores_read_cheaply_equal_what_django_reads(chart: Any, session_with_vitals: Any) -> None:
    names = ("pk", "patient_id", "instrument", "total", "band", "answers", "taken_at", "recorded_at")
    query = Measurement.objects.order_by("pk").values_list(*names)
    cheap = _read(query)
    assert cheap == _django(query, names) and cheap
    assert cheap[0]["taken_at"].tzinfo is not None and isinstance(cheap[0]["answers"], list)


def test_the_columns_are_named_in_the_order_the_sql_selects_them(session_with_vitals: Any) -> None:
    query = TreatmentSession.objects.annotate(owning_clinic_id=F("location__clinic_id")).values_list(
        "owning_clinic_id", "pk", "checked_in_at", "route"
    )
    how = raw_rows.plan(query)
    assert how is not None and set(how.names) == {"pk", "checked_in_at", "route", "owning_clinic_id"}
    [row] = _read(query)
    assert row["owning_clinic_id"] == session_with_vitals.location.clinic_id
    assert row["checked_in_at"] == TreatmentSession.objects.get().checked_in_at


def test_booleans_are_booleans(chart: Any) -> None:
    query = Patient.objects.values_list("pk", "entered_in_error")
    assert _read(query) == [{"pk": chart.pk, "entered_in_error": False}]


def test_types_it_does_not_convert_are_left_to_django(session_with_vitals: Any) -> None:
    assert raw_rows.plan(TreatmentSession.objects.values_list("pk", "dose_delivered_mg")) is None  # a decimal
    assert raw_rows.plan(Patient.objects.values_list("pk", "date_of_birth")) is None  # a date
    extra = Patient.objects.extra(select={"one": "1"}).values_list("pk", "one")
    assert raw_rows.plan(extra) is None
    named = Patient.objects.annotate(label=Concat("family_name", Value("!"))).values_list("pk", "label")
    assert raw_rows.plan(named) is not None  # a text annotation is simple


def test_sqlite_text_datetimes_are_utc_unless_they_carry_an_offset() -> None:
    assert raw_rows._sqlite_datetime("2026-12-07 10:11:12.5") == dt.datetime(2026, 12, 7, 10, 11, 12, 500000, dt.UTC)
    offset = dt.timezone(dt.timedelta(hours=-5))
    assert raw_rows._sqlite_datetime("2026-12-07 10:11:12-05:00") == dt.datetime(2026, 12, 7, 10, 11, 12, tzinfo=offset)
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    assert raw_rows._sqlite_datetime(moment) is moment
