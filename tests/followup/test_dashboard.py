"""The clinic outcomes dashboard: statistics against hand-computed cases, groupings, scoping, filters, query count."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketaclinic.followup.queries import dashboard
from ketaclinic.outcomes.models import OutcomeCourse
from ketaclinic.patients.models import Patient

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 15, 12, 0, tzinfo=dt.UTC)


def patients(location: Any, count: int, start: int = 0) -> list[Patient]:
    return Patient.objects.bulk_create(
        [
            Patient(
                mrn=f"T{location.pk:02d}{start + number:06d}",
                given_name="Secret",
                family_name=f"Name{start + number}",
                sex="female",
                date_of_birth=dt.date(1980, 1, 1),
                location=location,
            )
            for number in range(count)
        ]
    )


def course(
    patient: Patient,
    *,
    instrument: str = "phq9",
    baseline: float | None = 20.0,
    latest: float | None = 15.0,
    follow_ups: int = 3,
    latest_at: dt.datetime = NOW,
    **flags: Any,
) -> OutcomeCourse:
    values = {
        "indication": "treatment_resistant_depression",
        "route": "iv",
        "protocol_id": "depression_iv",
        "response": False,
        "remission": False if instrument != "pain_nrs" else None,
    }
    values.update(flags)
    return OutcomeCourse.objects.create(
        patient=patient,
        instrument=instrument,
        location=patient.location,
        baseline_total=baseline,
        baseline_at=latest_at - dt.timedelta(days=30) if baseline is not None else None,
        latest_total=latest if follow_ups else None,
        latest_at=latest_at if follow_ups else None,
        measurements=follow_ups + (baseline is not None),
        follow_ups=follow_ups,
        **values,
    )


@pytest.fixture
def eight_at_main(main_st: Any) -> list[OutcomeCourse]:
    """8 evaluable PHQ-9 courses: 3 responders (2 of them in remission), 1 partial; and 2 courses that are not
    evaluable (no follow-up; no baseline) and must not count in any denominator."""
    people = patients(main_st, 10)
    rows = [
        course(people[index], response=True, remission=index < 2, latest=4 if index < 2 else 9) for index in range(3)
    ]
    rows.append(course(people[3], partial_response=True, latest=13))
    rows += [course(person) for person in people[4:8]]
    rows.append(course(people[8], follow_ups=0, response=False))
    rows.append(course(people[9], baseline=None, follow_ups=2, response=True))  # flags without a baseline: ignored
    return rows


def test_response_and_remission_are_wilson_intervals_of_the_evaluable(eight_at_main: Any, bob: Any) -> None:
    summary = dashboard.summarise(bob)
    overall = summary.overall
    assert (overall.courses, overall.evaluable) == (10, 8)
    # 3 responders of 8 by hand (Wilson, z = 1.959964, z² = 3.841459):
    #   p = 0.375; denominator = 1 + z²/n = 1.480182; centre = (p + z²/2n) / denominator = 0.615091 / 1.480182
    #   = 0.415551; half-width = z·√(p(1−p)/n + z²/4n²) / denominator = 1.959964·√(0.029297 + 0.015006) / 1.480182
    #   = 0.278707 → interval 0.136844 to 0.694258.
    assert overall.response.successes == 3 and overall.response.n == 8
    assert overall.response.rate == pytest.approx(0.375)
    assert overall.response.low == pytest.approx(0.136844, abs=1e-6)
    assert overall.response.high == pytest.approx(0.694258, abs=1e-6)
    # 2 of 8 in remission: p = 0.25; centre = (0.25 + 0.240091) / 1.480182 = 0.331102; half-width =
    # 1.959964·√(0.0234375 + 0.015006) / 1.480182 = 0.259623 → 0.071479 to 0.590725.
    assert overall.remission is not None
    assert (overall.remission.successes, overall.remission.n) == (2, 8)
    assert overall.remission.low == pytest.approx(0.071479, abs=1e-6)
    assert overall.remission.high == pytest.approx(0.590725, abs=1e-6)
    assert (overall.partial_response.successes, overall.partial_response.n) == (1, 8)
    assert summary.has_remission and summary.scale_name.endswith("(PHQ-9)")


def test_relapse_rate_counts_only_patients_who_ever_responded(main_st: Any, bob: Any) -> None:
    people = patients(main_st, 4)
    course(people[0], ever_response=True, relapse=True)
    course(people[1], ever_response=True, response=True)
    course(people[2], ever_response=False)
    course(people[3], ever_response=True, relapse=True, follow_ups=0)  # not evaluable
    relapse = dashboard.summarise(bob).overall.relapse
    assert (relapse.successes, relapse.n) == (1, 2)


def test_groups_by_indication_route_protocol_and_location(main_st: Any, lakeside: Any, dave: Any) -> None:
    main, lake = patients(main_st, 3), patients(lakeside, 2)
    course(main[0], response=True)
    course(main[1], route="intranasal_esketamine", protocol_id="esketamine", response=True, remission=True)
    course(main[2], indication="major_depression", route="im", protocol_id="depression_im")
    course(lake[0], response=True)
    course(lake[1], indication="", route="", protocol_id="")  # no signed plan yet
    summary = dashboard.summarise(dave)
    by = {
        dim: {row.key: (row.response.successes, row.evaluable) for row in summary.groups[dim]}
        for dim, _ in dashboard.DIMENSIONS
    }
    assert by["indication"] == {"treatment_resistant_depression": (3, 3), "major_depression": (0, 1), "": (0, 1)}
    assert by["route"] == {"iv": (2, 2), "intranasal_esketamine": (1, 1), "im": (0, 1), "": (0, 1)}
    assert by["protocol_id"] == {"depression_iv": (2, 2), "esketamine": (1, 1), "depression_im": (0, 1), "": (0, 1)}
    assert by["location"] == {str(main_st.pk): (2, 3), str(lakeside.pk): (1, 2)}
    labels = {row.key: row.label for row in summary.groups["location"]}
    assert labels == {str(main_st.pk): "Main", str(lakeside.pk): "Lakeside"}
    route_labels = {row.key: row.label for row in summary.groups["route"]}
    assert route_labels["intranasal_esketamine"].startswith("Esketamine") and route_labels[""] == "Not recorded"
    assert {row.key: row.label for row in summary.groups["protocol_id"]}["esketamine"].startswith("Esketamine")
    # Largest group first.
    assert summary.groups["indication"][0].key == "treatment_resistant_depression"


def test_figures_are_scoped_to_the_users_locations(main_st: Any, lakeside: Any, bob: Any, dave: Any) -> None:
    course(patients(main_st, 1)[0], response=True)
    for person in patients(lakeside, 3):
        course(person)
    assert dashboard.summarise(bob).overall.evaluable == 1  # bob works at Main only
    assert [row.key for row in dashboard.summarise(bob).groups["location"]] == [str(main_st.pk)]
    assert dashboard.summarise(dave).overall.evaluable == 4  # dave: Main and Lakeside
    only_lake = dashboard.summarise(dave, dashboard.Filters(location_id=lakeside.pk))
    assert (only_lake.overall.evaluable, only_lake.overall.response.successes) == (3, 0)


def test_date_range_filters_on_the_latest_score(main_st: Any, bob: Any) -> None:
    people = patients(main_st, 3)
    course(people[0], latest_at=dt.datetime(2026, 3, 1, 23, 59, tzinfo=dt.UTC), response=True)
    course(people[1], latest_at=dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.UTC))
    course(people[2], latest_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    march_1 = dashboard.Filters(date_from=dt.date(2026, 3, 1), date_to=dt.date(2026, 3, 1))
    assert dashboard.summarise(bob, march_1).overall.evaluable == 1
    from_march_2 = dashboard.Filters(date_from=dt.date(2026, 3, 2))
    assert dashboard.summarise(bob, from_march_2).overall.evaluable == 2
    until_march = dashboard.Filters(date_to=dt.date(2026, 3, 31))
    assert dashboard.summarise(bob, until_march).overall.response.successes == 1


def test_another_scale_and_pain_outcomes(main_st: Any, bob: Any) -> None:
    people = patients(main_st, 5)
    course(people[0], instrument="gad7", response=True, remission=True)
    # NRS 8 → 4 (−50 %: substantial and moderate), 8 → 5 (−37.5 %: moderate), 6 → 6 and 7 → 6 (neither).
    course(
        people[1],
        instrument="pain_nrs",
        baseline=8,
        latest=4,
        pain_moderate_improvement=True,
        pain_substantial_improvement=True,
        indication="crps",
    )
    course(people[2], instrument="pain_nrs", baseline=8, latest=5, pain_moderate_improvement=True, indication="crps")
    course(people[3], instrument="pain_nrs", baseline=6, latest=6, indication="fibromyalgia")
    course(people[4], instrument="pain_nrs", baseline=7, latest=6, indication="fibromyalgia")
    summary = dashboard.summarise(bob, dashboard.Filters(scale="gad7"))
    assert summary.overall.response.successes == 1 and summary.overall.evaluable == 1
    pain = summary.pain_overall
    assert (pain.moderate.successes, pain.substantial.successes, pain.evaluable) == (2, 1, 4)
    # Mean change (latest − baseline): (−4 − 3 + 0 − 1) / 4 = −2.0 points.
    assert pain.mean_change_points == pytest.approx(-2.0)
    by = {row.key: (row.moderate.successes, row.evaluable) for row in summary.pain_by_indication}
    assert by == {"crps": (2, 2), "fibromyalgia": (0, 2)}
    nrs = dashboard.summarise(bob, dashboard.Filters(scale="pain_nrs"))
    assert nrs.overall.remission is None and not nrs.has_remission


def test_empty_clinic_has_no_rates(bob: Any) -> None:
    summary = dashboard.summarise(bob)
    assert summary.overall.evaluable == 0 and summary.overall.response.rate is None
    assert summary.safety.sessions == 0 and summary.safety.alerts_per_session is None
    assert summary.pain_overall.mean_change_points is None


def test_parse_filters_names_the_bad_field(main_st: Any, lakeside: Any) -> None:
    ok = dashboard.parse_filters(
        {"scale": "gad7", "location": str(main_st.pk), "date_from": "2026-01-01", "date_to": "2026-02-01"},
        location_ids=[main_st.pk],
    )
    assert ok == dashboard.Filters("gad7", main_st.pk, dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    assert dashboard.parse_filters({}, location_ids=[]) == dashboard.Filters()
    cases = [
        ({"scale": "cssrs_screener"}, "scale"),
        ({"location": str(lakeside.pk)}, "location"),
        ({"location": "abc"}, "location"),
        ({"date_from": "01/02/2026"}, "date_from"),
        ({"date_from": "2026-02-02", "date_to": "2026-02-01"}, "date_to"),
    ]
    for data, field in cases:
        with pytest.raises(dashboard.FilterError) as caught:
            dashboard.parse_filters(data, location_ids=[main_st.pk])
        assert caught.value.field == field


def _queries(user: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        dashboard.summarise(user)
    return len(captured.captured_queries)


def test_query_count_does_not_grow_with_the_data(
    main_st: Any, lakeside: Any, dave: Any, django_assert_max_num_queries: Any
) -> None:
    course(patients(main_st, 1)[0], response=True)
    few = _queries(dave)
    routes = ["iv", "im", "intranasal_esketamine", "oral", "sublingual"]
    indications = ["treatment_resistant_depression", "major_depression", "depression_with_suicidal_ideation"]
    for index, person in enumerate(patients(main_st, 60, start=100) + patients(lakeside, 60, start=200)):
        course(
            person,
            route=routes[index % 5],
            indication=indications[index % 3],
            response=index % 2 == 0,
            protocol_id=f"p{index % 4}",
        )
        course(person, instrument="pain_nrs", baseline=8, latest=index % 8, pain_moderate_improvement=index % 3 == 0)
    many = _queries(dave)
    assert many == few
    with django_assert_max_num_queries(few):
        summary = dashboard.summarise(dave)
    assert summary.overall.evaluable == 121 and len(summary.groups["route"]) == 5


def test_csv_rows_hold_the_same_figures(eight_at_main: Any, bob: Any) -> None:
    rows = dashboard.csv_rows(dashboard.summarise(bob))
    header = rows.index(["section", "group", "measure", "successes", "n", "rate_pct", "ci95_low_pct", "ci95_high_pct"])
    body = rows[header + 1 :]
    assert ["overall", "All evaluable patients", "response", "3", "8", "37.5", "13.7", "69.4"] in body
    assert ["overall", "All evaluable patients", "remission", "2", "8", "25.0", "7.1", "59.1"] in body
    assert ["by_location", "Main", "response", "3", "8", "37.5", "13.7", "69.4"] in body
    assert ["safety", "sessions", "0"] in body
    assert any(row[:1] == ["ORKA-1, McInnes JAD 2022"] and row[-1] == "53.6 % / 28.9 %" for row in body)
    assert not any("Secret" in cell or "Name1" in cell for row in rows for cell in row)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"location": "²"}, "location"),
        ({"location": "١"}, "location"),
        ({"date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
    ],
)
def test_odd_filter_values_are_refused_by_name_not_a_crash(query: dict[str, str], field: str) -> None:
    from ketaclinic.followup.queries.dashboard import FilterError, parse_filters

    with pytest.raises(FilterError) as refused:
        parse_filters(query, location_ids=[1, 2])
    assert refused.value.field == field


def test_at_least_n_sessions_compares_like_with_like(main_st: Any, bob: Any) -> None:
    """The §6 benchmarks were measured after 4–8 infusions: mid-series patients can be left out of the rates."""
    people = patients(main_st, 3)
    course(people[0], sessions_given=6, response=True)
    course(people[1], sessions_given=4)
    course(people[2], sessions_given=2, response=True)  # mid-series: counted only without the filter
    everyone = dashboard.summarise(bob, dashboard.Filters())
    assert (everyone.overall.evaluable, everyone.overall.response.successes) == (3, 2)
    after_four = dashboard.summarise(bob, dashboard.parse_filters({"min_sessions": "4"}, location_ids=[main_st.pk]))
    assert (after_four.overall.evaluable, after_four.overall.response.successes) == (2, 1)
    for bad in ("-1", "4.5", "101", "four"):
        with pytest.raises(dashboard.FilterError) as refused:
            dashboard.parse_filters({"min_sessions": bad}, location_ids=[main_st.pk])
        assert refused.value.field == "min_sessions"
