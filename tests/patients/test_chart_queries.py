"""The patient chart's query count does not grow with the chart (issue 8 "Speed": a patient chart p95 < 150 ms at
10,000 patients and 1,000,000 scores is measured in benchmarks/outcomes_bench.py; this checks the shape)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketaclinic.patients import services
from tests.conftest import make_patient, sign_in


def _fill(patient: Any, by: Any, rows: int) -> None:
    for number in range(rows):
        condition = services.add_condition(
            by=by, patient=patient, description=f"Condition {number}", icd10_code="F33.2"
        )
        services.add_medication(by=by, patient=patient, generic_name=f"drug{number}", dose="10 mg", frequency="daily")
        services.add_allergy(by=by, patient=patient, substance=f"substance {number}", reaction="rash")
        services.record_measurement(
            by=by,
            patient=patient,
            height_cm=Decimal("170"),
            weight_kg=Decimal("70") + number,
            measured_at=timezone.now() - dt.timedelta(days=number),
        )
        if number % 2:
            services.mark_entered_in_error(by=by, row=condition, reason="Wrong patient")


def test_the_chart_costs_the_same_queries_with_one_row_or_twenty(
    main_st: Any, bob: Any, client: Any, django_assert_max_num_queries: Any
) -> None:
    small, large = make_patient(main_st, given_name="Sam"), make_patient(main_st, given_name="Lee")
    _fill(small, bob, 1)
    _fill(large, bob, 20)
    sign_in(client, bob)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("patients:chart", args=[small.pk])).status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("patients:chart", args=[large.pk]))
    assert page.status_code == 200 and "Condition 19" in page.content.decode()
