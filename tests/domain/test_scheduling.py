"""The calendar's pure rules (ketaclinic.domain.scheduling): durations, every refusal, slots across DST."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from ketaclinic.domain import scheduling as s

UTC = dt.UTC
CHI = "America/Chicago"
NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WEEKDAYS = [s.OpenHours(day, dt.time(8), dt.time(18)) for day in range(5)]
FULL_CHAIR = s.ChairFacts(
    location_id=1, equipment=frozenset({"infusion_pump", "monitor", "pulse_oximeter", "recliner"})
)


YEAR = s.Interval(dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC))


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    """A Chicago wall-clock time in 2026 as UTC."""
    from zoneinfo import ZoneInfo

    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZoneInfo(CHI)).astimezone(UTC)


def shift(start: dt.datetime, end: dt.datetime) -> s.Interval:
    return s.Interval(start, end)


def facts(**changes: Any) -> s.BookingFacts:
    """Tue 3 Mar 2026 10:00–12:10 Chicago, an IV session in a fully equipped chair, one nurse 1:2 all day."""
    base = s.BookingFacts(
        kind="infusion_iv",
        start=at(3, 10),
        end=at(3, 12, 10),
        now=NOW,
        location_id=1,
        time_zone=CHI,
        hours=WEEKDAYS,
        chair=FULL_CHAIR,
        nurse_shifts=[YEAR],
        prescriber_shifts=[YEAR],
        patients_per_nurse=2,
        rems_enrolled=True,
    )
    return dataclasses.replace(base, **changes)


def rules(problems: list[s.Refusal]) -> list[str]:
    return [p.rule for p in problems]


class TestDurations:
    def test_iv_is_infusion_plus_observation_plus_turnover(self) -> None:
        timing = s.SessionTiming(dosing_min=40, observation_min=30, turnover_min=15)
        assert s.booked_duration("infusion_iv", timing).minutes == 85

    def test_im_without_dosing_minutes_is_observation_and_turnover(self) -> None:
        assert s.booked_duration("im", s.SessionTiming(observation_min=30, turnover_min=10)).minutes == 40

    @pytest.mark.parametrize(("devices", "expected"), [(2, 15 + 5 + 120 + 15), (3, 15 + 10 + 120 + 15), (0, 150)])
    def test_esketamine_is_checkin_last_device_and_two_hours(self, devices: int, expected: int) -> None:
        """scheduling.md §2.2: 56 mg → devices at 0, 5; 84 mg → 0, 5, 10; ≥ 120 min after the last device."""
        timing = s.SessionTiming(devices=devices, checkin_min=15, turnover_min=15)
        duration = s.booked_duration("esketamine", timing)
        assert duration.minutes == expected and "REMS" in duration.basis
        assert duration.delta == dt.timedelta(minutes=expected)

    def test_esketamine_takes_a_longer_protocol_observation(self) -> None:
        assert s.booked_duration("esketamine", s.SessionTiming(devices=2, observation_min=150)).minutes == 155

    def test_visits_use_the_clinic_setting_or_the_labelled_default(self) -> None:
        assert s.booked_duration("consultation", s.SessionTiming()).minutes == 60
        assert s.booked_duration("follow_up", s.SessionTiming(), {"follow_up": 20}).minutes == 20
        assert "clinic policy" in s.booked_duration("telehealth", s.SessionTiming()).basis

    def test_unknown_kind(self) -> None:
        with pytest.raises(ValueError, match="unknown appointment kind"):
            s.booked_duration("massage", s.SessionTiming())


class TestIntervals:
    def test_back_to_back_do_not_overlap(self) -> None:
        a = shift(at(3, 9), at(3, 10))
        assert not s.overlaps(a, shift(at(3, 10), at(3, 11)))
        assert s.overlaps(a, shift(at(3, 9, 59), at(3, 11)))

    def test_covered_by_back_to_back_shifts_but_not_with_a_gap(self) -> None:
        window = shift(at(3, 9), at(3, 15))
        assert s.covered([shift(at(3, 12), at(3, 18)), shift(at(3, 8), at(3, 12))], window)
        assert not s.covered([shift(at(3, 8), at(3, 12)), shift(at(3, 12, 30), at(3, 18))], window)
        assert not s.covered([shift(at(3, 8), at(3, 14))], window)
        assert not s.covered([], window)


class TestCheck:
    def test_a_good_booking_passes(self) -> None:
        assert s.check(facts()) == []

    def test_in_the_past(self) -> None:
        problems = s.check(facts(now=at(3, 11)))
        assert rules(problems) == ["not_in_past"] and problems[0].field == "start"

    def test_outside_opening_hours_names_the_hours(self) -> None:
        problems = s.check(facts(start=at(3, 17), end=at(3, 19, 10)))
        assert rules(problems) == ["opening_hours"]
        assert "08:00–18:00" in problems[0].message and "opening hours" in problems[0].source

    def test_a_closed_weekday(self) -> None:
        problems = s.check(facts(start=at(7, 10), end=at(7, 12)))  # a Saturday
        assert rules(problems) == ["opening_hours"] and "closed that weekday" in problems[0].message

    def test_past_midnight(self) -> None:
        late = [s.OpenHours(1, dt.time(8), dt.time(23, 59))]
        assert rules(s.check(facts(hours=late, start=at(3, 23), end=at(4, 1)))) == ["opening_hours"]

    def test_before_opening_with_two_blocks(self) -> None:
        split = [s.OpenHours(1, dt.time(13), dt.time(18)), s.OpenHours(1, dt.time(8), dt.time(12))]
        assert rules(s.check(facts(hours=split))) == ["opening_hours"]  # 10:00–12:10 spans the lunch break
        assert s.check(facts(hours=split, start=at(3, 13), end=at(3, 15))) == []

    def test_a_closure(self) -> None:
        closure = s.Closure(dt.date(2026, 3, 2), dt.date(2026, 3, 4), "floor repairs")
        problems = s.check(facts(closures=[closure]))
        assert rules(problems) == ["closure"] and "floor repairs" in problems[0].message

    def test_a_closure_on_other_days_does_not_count(self) -> None:
        assert s.check(facts(closures=[s.Closure(dt.date(2026, 3, 9), dt.date(2026, 3, 9), "x")])) == []

    def test_a_federal_holiday_unless_the_clinic_opens(self) -> None:
        memorial = {"start": at(25, 10, month=5), "end": at(25, 12, month=5)}  # Memorial Day 2026
        problems = s.check(facts(**memorial))
        assert rules(problems) == ["federal_holiday"] and "6103" in problems[0].source
        assert s.check(facts(**memorial, closed_on_federal_holidays=False)) == []

    def test_telehealth_ignores_hours_and_takes_no_chair(self) -> None:
        evening = {"kind": "telehealth", "start": at(3, 19), "end": at(3, 19, 30)}
        assert s.check(facts(**evening, chair=None)) == []
        assert rules(s.check(facts(**evening))) == ["chair_not_for_kind"]

    def test_a_consultation_may_take_a_room_not_a_chair(self) -> None:
        room = s.ChairFacts(location_id=1, is_room=True)
        assert s.check(facts(kind="consultation", chair=room)) == []
        assert s.check(facts(kind="consultation", chair=None)) == []
        assert rules(s.check(facts(kind="consultation"))) == ["chair_not_for_kind"]

    def test_a_session_needs_a_chair(self) -> None:
        assert rules(s.check(facts(chair=None))) == ["chair_required"]
        room = s.ChairFacts(location_id=1, is_room=True, equipment=FULL_CHAIR.equipment)
        assert rules(s.check(facts(chair=room))) == ["chair_required"]

    def test_chair_of_another_location(self) -> None:
        other = dataclasses.replace(FULL_CHAIR, location_id=2)
        assert rules(s.check(facts(chair=other))) == ["chair_location"]

    def test_chair_out_of_service(self) -> None:
        assert rules(s.check(facts(chair=dataclasses.replace(FULL_CHAIR, active=False)))) == ["chair_inactive"]

    def test_equipment_each_missing_item_named(self) -> None:
        bare = s.ChairFacts(location_id=1)
        problems = s.check(facts(kind="esketamine", chair=bare))
        assert rules(problems) == ["equipment", "equipment"]
        assert "pulse oximeter" in problems[0].message and "REMS" in problems[0].message
        assert rules(s.check(facts(chair=bare))) == ["equipment", "equipment"]
        assert rules(s.check(facts(kind="im", chair=bare))) == ["equipment"]

    def test_one_patient_per_chair(self) -> None:
        problems = s.check(facts(chair_busy=[shift(at(3, 12), at(3, 13))]))
        assert rules(problems) == ["chair_free"] and "slot is gone" in problems[0].message
        assert s.check(facts(chair_busy=[shift(at(3, 12, 10), at(3, 13))])) == []

    def test_patient_not_in_two_places(self) -> None:
        assert rules(s.check(facts(patient_busy=[shift(at(3, 9), at(3, 10, 30))]))) == ["patient_free"]

    def test_a_session_without_a_signed_plan(self) -> None:
        problems = s.check(facts(order_problem="The plan is not signed."))
        assert rules(problems) == ["signed_plan"] and problems[0].field == "order"
        assert "signed plan" in str(problems[0])

    def test_the_ratio_must_be_set_by_the_clinic(self) -> None:
        problems = s.check(facts(patients_per_nurse=None))
        assert rules(problems) == ["nurse_ratio_unset"] and "no published" in problems[0].source

    def test_the_ratio_counts_patients_in_chairs_against_nurses_on_shift(self) -> None:
        busy = [shift(at(3, 9), at(3, 11)), shift(at(3, 11), at(3, 13))]
        assert s.check(facts(sessions_in_chairs=busy)) == []  # never more than 2 at once with 1 nurse at 1:2
        two_at_once = [*busy, shift(at(3, 11, 30), at(3, 12))]
        problems = s.check(facts(sessions_in_chairs=two_at_once))
        assert rules(problems) == ["nurse_ratio"] and "3 patient(s)" in problems[0].message

    def test_the_ratio_when_the_nurse_leaves_mid_session(self) -> None:
        problems = s.check(facts(nurse_shifts=[shift(at(3, 8), at(3, 11))]))
        assert rules(problems) == ["nurse_ratio"] and "0 nurse(s)" in problems[0].message
        relief = [shift(at(3, 8), at(3, 11)), shift(at(3, 11), at(3, 18))]
        assert s.check(facts(nurse_shifts=relief)) == []

    def test_esketamine_needs_rems_and_a_prescriber_for_the_whole_window(self) -> None:
        esk = {"kind": "esketamine", "start": at(3, 10), "end": at(3, 12, 35)}
        assert s.check(facts(**esk)) == []
        problems = s.check(facts(**esk, rems_enrolled=False, prescriber_shifts=[shift(at(3, 8), at(3, 12))]))
        assert rules(problems) == ["rems_enrolment", "prescriber_onsite"]
        assert all("REMS" in p.source for p in problems)

    def test_every_problem_at_once(self) -> None:
        problems = s.check(
            facts(now=at(4, 9), kind="esketamine", chair=None, rems_enrolled=False, prescriber_shifts=[])
        )
        assert rules(problems) == ["not_in_past", "chair_required", "rems_enrolment", "prescriber_onsite"]

    def test_every_rule_has_a_source(self) -> None:
        assert all(source for source in s.RULES.values())


class TestDaylightSaving:
    """2026 in America/Chicago: clocks go forward on Sun 8 Mar and back on Sun 1 Nov."""

    def test_opening_hours_are_local_on_both_sides_of_the_spring_change(self) -> None:
        sunday_open = [s.OpenHours(6, dt.time(8), dt.time(18)), *WEEKDAYS]
        before, after = at(7, 9, month=3), at(9, 9, month=3)
        assert before.hour == 15 and after.hour == 14  # CST = UTC-6, CDT = UTC-5
        for start in (before + dt.timedelta(days=1), after):
            end = start + dt.timedelta(hours=2)
            assert s.check(facts(hours=sunday_open, start=start, end=end, now=start - dt.timedelta(days=3))) == []
        # 17:00 UTC on Sun 8 Mar is noon CDT; 23:30 UTC is 18:30 CDT: after closing.
        late = dt.datetime(2026, 3, 8, 22, 0, tzinfo=UTC)
        problems = s.check(facts(hours=sunday_open, start=late, end=late + dt.timedelta(minutes=90), now=NOW))
        assert rules(problems) == ["opening_hours"] and "17:00–18:30" in problems[0].message

    def test_slots_stay_on_the_wall_clock(self) -> None:
        hours = [s.OpenHours(d, dt.time(9), dt.time(12)) for d in range(7)]
        for day, utc_hour in (
            (dt.date(2026, 3, 7), 15),
            (dt.date(2026, 3, 8), 14),
            (dt.date(2026, 10, 31), 14),
            (dt.date(2026, 11, 1), 15),
        ):
            starts = s.candidate_starts(day, CHI, hours, minutes=60, step_min=60)
            assert [t.hour for t in starts] == [utc_hour, utc_hour + 1, utc_hour + 2]

    def test_day_bounds_are_23_and_25_hours_on_change_days(self) -> None:
        spring = s.local_day_bounds(dt.date(2026, 3, 8), CHI)
        autumn = s.local_day_bounds(dt.date(2026, 11, 1), CHI)
        assert spring[1] - spring[0] == dt.timedelta(hours=23)
        assert autumn[1] - autumn[0] == dt.timedelta(hours=25)


class TestSlots:
    def test_steps_until_the_appointment_would_end_after_closing(self) -> None:
        starts = s.candidate_starts(dt.date(2026, 3, 3), CHI, WEEKDAYS, minutes=85, step_min=30)
        local = [t.astimezone(at(3, 0).tzinfo) for t in starts]
        assert len(starts) == 18 and starts[0] == at(3, 8) and starts[-1] == at(3, 16, 30)
        assert local == sorted(local)

    def test_closed_day_has_no_slots(self) -> None:
        assert s.candidate_starts(dt.date(2026, 3, 7), CHI, WEEKDAYS, minutes=30, step_min=15) == []

    def test_nonsense_steps_are_refused(self) -> None:
        with pytest.raises(ValueError, match="positive"):
            s.candidate_starts(dt.date(2026, 3, 3), CHI, WEEKDAYS, minutes=30, step_min=0)


class TestSeries:
    def test_the_plan_moves_to_the_chosen_start_keeping_its_rhythm(self) -> None:
        targets = [dt.date(2026, 12, 7), dt.date(2026, 12, 10), dt.date(2026, 12, 14)]  # Mon, Thu, Mon
        assert s.shifted_days(targets, dt.date(2026, 12, 8)) == [
            dt.date(2026, 12, 8),
            dt.date(2026, 12, 11),
            dt.date(2026, 12, 15),
        ]
        assert s.shifted_days([], dt.date(2026, 12, 8)) == []

    @pytest.mark.parametrize(("per_week", "gap"), [(3, 2), (2, 3), (1, 7), (7, 1), (None, 1), (0, 1)])
    def test_min_gap_from_the_most_sessions_a_week(self, per_week: int | None, gap: int) -> None:
        assert s.min_gap_days(per_week) == gap

    def test_candidate_days_best_first_within_the_spacing(self) -> None:
        day = dt.date(2026, 12, 10)
        assert s.candidate_days(day, previous=None, planned_gap_days=None, min_gap=2) == [
            day,
            dt.date(2026, 12, 11),
            dt.date(2026, 12, 9),
        ]
        # Previous on Mon 7th, planned gap 3, at least 3 days, slack 2: Thu 10th, Fri 11th, Sat 12th (gap ≤ 3 + 2).
        options = s.candidate_days(day, previous=dt.date(2026, 12, 7), planned_gap_days=3, min_gap=3, slack_days=2)
        assert options == [day, dt.date(2026, 12, 11), dt.date(2026, 12, 12)]
        assert s.candidate_days(day, previous=None, planned_gap_days=None, min_gap=1, not_before=day) == [
            day,
            dt.date(2026, 12, 11),
        ]


def test_no_appointment_is_longer_than_a_day() -> None:
    """The calendar's overlap reads rely on this bound (LONGEST_APPOINTMENT_MIN)."""
    from ketaclinic.domain.scheduling.kinds import LONGEST_APPOINTMENT_MIN, Duration

    assert Duration(LONGEST_APPOINTMENT_MIN, "a full day").minutes == 24 * 60
    with pytest.raises(ValueError, match="at most 24 hours"):
        Duration(LONGEST_APPOINTMENT_MIN + 1, "dosing 1441 min")
