"""The questionnaire scheduler (clinical-rules.md §5 "Measurement cadence defaults"), against hand-worked calendars."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ketaclinic.domain import questionnaires as q

CHICAGO = ZoneInfo("America/Chicago")
D = dt.date
DEFAULT = q.Cadence()  # lead 24 h, links 72 h, every 14 days, no early interval


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def plan(**changes: object) -> q.PlanState:
    values: dict[str, object] = {"plan_id": 7, "active": True, "indication": "treatment_resistant_depression"}
    values.update(changes)
    return q.PlanState(**values)  # type: ignore[arg-type]


def due(plans: list[q.PlanState], now: dt.datetime, cadence: q.Cadence = DEFAULT) -> tuple[q.DueQuestionnaire, ...]:
    return q.due_questionnaires(plans, now=now, tz=CHICAGO, cadence=cadence)


def test_scales_are_phq9_and_gad7_plus_pain_nrs_for_pain_indications() -> None:
    assert q.instruments_for("major_depression") == ("phq9", "gad7")
    assert q.instruments_for("crps") == ("phq9", "gad7", "pain_nrs")
    assert q.instruments_for("fibromyalgia") == ("phq9", "gad7", "pain_nrs")


def test_a_pre_session_questionnaire_opens_lead_hours_before_the_day_and_closes_when_the_day_ends() -> None:
    p = plan(open_orders=((11, D(2026, 3, 10)), (12, D(2026, 3, 12))))
    assert due([p], at(D(2026, 3, 8), 23, 59)) == ()  # 24 h before 10 March 00:00 is 9 March 00:00
    (first,) = due([p], at(D(2026, 3, 9), 0, 0))
    assert first == q.DueQuestionnaire(
        key="pre:11",
        purpose="pre_session",
        instruments=("phq9", "gad7"),
        due_on=D(2026, 3, 10),
        closes_at=at(D(2026, 3, 11), 0),
        order_id=11,
    )
    assert [d.key for d in due([p], at(D(2026, 3, 10), 23, 59))] == ["pre:11"]
    assert [d.key for d in due([p], at(D(2026, 3, 11), 0, 0))] == ["pre:12"]  # session 10 March's link is closed
    assert due([p], at(D(2026, 3, 13), 0, 0)) == ()  # an order left open after its day gets nothing


def test_two_orders_inside_a_long_lead_are_both_due_in_date_order() -> None:
    p = plan(open_orders=((12, D(2026, 3, 12)), (11, D(2026, 3, 10))))
    keys = [d.key for d in due([p], at(D(2026, 3, 9)), q.Cadence(lead_hours=96))]
    assert keys == ["pre:11", "pre:12"]


def test_stopped_plans_get_nothing() -> None:
    stopped = plan(active=False, open_orders=((11, D(2026, 3, 10)),), series_ended_on=D(2026, 1, 1))
    assert due([stopped], at(D(2026, 3, 10))) == ()


def test_no_session_given_and_no_open_order_means_nothing_to_follow_up() -> None:
    assert due([plan()], at(D(2026, 3, 10))) == ()


def test_follow_up_every_14_days_from_the_latest_score() -> None:
    p = plan(series_ended_on=D(2026, 3, 1), last_measured_on=D(2026, 3, 5), indication="crps")
    assert due([p], at(D(2026, 3, 18), 23, 59)) == ()  # 5 March + 14 days = 19 March
    (item,) = due([p], at(D(2026, 3, 19), 8))
    assert item.key == "fu:7:2026-03-19" and item.purpose == "follow_up" and item.order_id is None
    assert item.instruments == ("phq9", "gad7", "pain_nrs")
    assert item.closes_at == at(D(2026, 3, 19), 8) + dt.timedelta(hours=72)  # open 72 h from when it is issued


def test_the_same_key_on_a_rerun_the_same_day_before_the_patient_answers() -> None:
    p = plan(series_ended_on=D(2026, 3, 1), last_measured_on=D(2026, 3, 5))
    first = due([p], at(D(2026, 3, 19), 8))
    again = due([p], at(D(2026, 3, 19), 8, 5))
    assert [d.key for d in first] == [d.key for d in again] == ["fu:7:2026-03-19"]


def test_an_issued_follow_up_moves_the_anchor_so_an_unanswered_link_is_not_repeated_daily() -> None:
    p = plan(series_ended_on=D(2026, 3, 1), last_measured_on=D(2026, 3, 5), last_follow_up_due_on=D(2026, 3, 19))
    assert due([p], at(D(2026, 3, 20))) == ()
    assert [d.key for d in due([p], at(D(2026, 4, 2)))] == ["fu:7:2026-04-02"]


def test_an_overdue_follow_up_is_due_today_not_a_backlog() -> None:
    p = plan(series_ended_on=D(2026, 1, 1))
    (item,) = due([p], at(D(2026, 3, 1), 0, 30))
    assert item.due_on == D(2026, 3, 1) and item.key == "fu:7:2026-03-01"
    assert item.closes_at == at(D(2026, 3, 1), 0, 30) + dt.timedelta(hours=72)


def test_before_the_day_starts_in_the_clinic_zone_the_link_is_open_from_the_start_of_the_due_day() -> None:
    p = plan(series_ended_on=D(2026, 1, 1))
    now_utc = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)  # 06:00 in Chicago
    (item,) = q.due_questionnaires([p], now=now_utc, tz=CHICAGO, cadence=q.Cadence(link_hours=1))
    assert item.closes_at == now_utc + dt.timedelta(hours=1)


def test_early_interval_during_the_early_window_then_the_usual_interval() -> None:
    cadence = q.Cadence(early_interval_days=7, early_window_days=28)
    ended = D(2026, 3, 1)
    assert [d.due_on for d in due([plan(series_ended_on=ended)], at(D(2026, 3, 8)), cadence)] == [D(2026, 3, 8)]
    assert due([plan(series_ended_on=ended)], at(D(2026, 3, 7)), cadence) == ()
    inside = plan(series_ended_on=ended, last_measured_on=D(2026, 3, 28))  # 27 days after: still early
    assert [d.due_on for d in due([inside], at(D(2026, 4, 4)), cadence)] == [D(2026, 4, 4)]
    after = plan(series_ended_on=ended, last_measured_on=D(2026, 3, 29))  # 28 days after: usual 14 days
    assert due([after], at(D(2026, 4, 11)), cadence) == ()
    assert [d.due_on for d in due([after], at(D(2026, 4, 12)), cadence)] == [D(2026, 4, 12)]


def test_several_plans_each_give_their_own_keys() -> None:
    induction = plan(plan_id=1, open_orders=((5, D(2026, 3, 10)),))
    follow = plan(plan_id=2, series_ended_on=D(2026, 1, 1))
    assert [d.key for d in due([induction, follow], at(D(2026, 3, 9)))] == ["pre:5", "fu:2:2026-03-09"]


def test_keys() -> None:
    assert q.pre_session_key(3) == "pre:3"
    assert q.follow_up_key(4, D(2026, 1, 2)) == "fu:4:2026-01-02"


@pytest.mark.parametrize(
    "changes",
    [
        {"lead_hours": 0},
        {"link_hours": 0},
        {"follow_up_interval_days": 0},
        {"early_window_days": 0},
        {"early_interval_days": -1},
    ],
)
def test_a_cadence_refuses_nonsense(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="must be"):
        q.Cadence(**changes)


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        q.due_questionnaires([], now=dt.datetime(2026, 1, 1), tz=CHICAGO, cadence=DEFAULT)
