"""Home-programme monitoring: AUDIT-C, the bladder symptom check, when a screen is due and the stop suggestions."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from ketaclinic.domain import home_monitoring as hm
from ketaclinic.domain import instruments
from ketaclinic.domain.instruments import audit_c, bladder_symptoms

TODAY = dt.date(2026, 6, 1)

# --- AUDIT-C (Bush 1998; cut-offs Bradley 2007: >= 4 men, >= 3 women) ------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "total"),
    [([0, 0, 0], 0), ([1, 0, 0], 1), ([1, 1, 1], 3), ([2, 1, 1], 4), ([4, 4, 4], 12), ([4, 0, 2], 6)],
)
def test_audit_c_total_is_the_sum_of_the_three_items(answers: list[int], total: int) -> None:
    score = instruments.score("audit_c", answers)
    assert (score.total, score.band, score.flags, score.answers) == (total, None, frozenset(), tuple(answers))


def test_audit_c_items_are_the_who_consumption_questions_scored_0_to_4() -> None:
    definition = instruments.get("audit_c")
    assert [item.key for item in definition.items] == ["frequency", "typical_quantity", "heavy_episodes"]
    assert all(item.values == (0, 1, 2, 3, 4) for item in definition.items)
    assert definition.items[1].options[4] == (4, "10 or more")
    assert definition.total_range == (0, 12)


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([1, 1], "item 3 (Six or more drinks on one occasion): is missing"),
        ([1, 5, 1], "item 2 (Drinks on a typical day): 5 is out of range 0–4"),
        ([1, None, 1], "item 2 (Drinks on a typical day): is missing (required)"),
        ([True, 1, 1], "got the bool True"),
        ([1, 1, 1, 1], "there is no item 4"),
    ],
)
def test_audit_c_refuses_bad_answers_naming_the_item(answers: list[object], message: str) -> None:
    with pytest.raises(instruments.InvalidAnswers, match=re.escape(message)):
        instruments.score("audit_c", answers)


@pytest.mark.parametrize(
    ("total", "sex", "positive"),
    [
        (3, "male", False),
        (4, "male", True),
        (2, "female", False),
        (3, "female", True),
        (2, "unknown", False),
        (3, "unknown", True),  # the lower, women's cut-off when sex is not male or female
        (3, None, True),
        (0, "female", False),
        (12, "male", True),
    ],
)
def test_audit_c_positive_uses_the_sex_specific_cut_off(total: int, sex: str | None, positive: bool) -> None:
    assert audit_c.positive(total, sex) is positive


@pytest.mark.parametrize("total", [-1, 13, 3.0, True, None, "4"])
def test_audit_c_positive_refuses_a_total_outside_0_to_12(total: object) -> None:
    with pytest.raises(ValueError, match="AUDIT-C total"):
        audit_c.positive(total, "male")  # type: ignore[arg-type]


def test_audit_c_cut_offs_cite_bradley() -> None:
    assert (audit_c.cutoff_for("male"), audit_c.cutoff_for("female"), audit_c.cutoff_for(None)) == (4, 3, 3)
    assert "Bradley" in audit_c.CUTOFF_SOURCE


# --- bladder symptom check ------------------------------------------------------------------------------------------


def test_bladder_check_counts_the_symptoms_answered_yes() -> None:
    assert instruments.score("bladder_symptoms", [0, 0, 0, 0, 0]).total == 0
    score = instruments.score("bladder_symptoms", [1, 1, 0, 1, 0])
    assert (score.total, score.band) == (3, None)
    assert [item.key for item in bladder_symptoms.DEFINITION.items] == [
        "frequency",
        "urgency",
        "dysuria",
        "haematuria",
        "suprapubic_pain",
    ]


@pytest.mark.parametrize(("answers", "message"), [([0, 0, 0, 0], "item 5"), ([0, 2, 0, 0, 0], "item 2")])
def test_bladder_check_refuses_incomplete_or_out_of_range_answers(answers: list[int], message: str) -> None:
    with pytest.raises(instruments.InvalidAnswers, match=message):
        instruments.score("bladder_symptoms", answers)


def test_new_bladder_symptoms_are_yes_now_and_no_at_baseline() -> None:
    assert hm.new_bladder_symptoms([0, 0, 0, 0, 0], [0, 0, 0, 0, 0]) == ()
    assert hm.new_bladder_symptoms([1, 0, 0, 0, 0], [1, 0, 0, 0, 0]) == ()  # present at baseline: not new
    assert hm.new_bladder_symptoms([1, 0, 0, 0, 1], [1, 1, 0, 1, 0]) == (
        "Sudden urge to pass urine",
        "Blood in the urine",
    )


def test_new_bladder_symptoms_refuses_an_incomplete_check() -> None:
    with pytest.raises(instruments.InvalidAnswers):
        hm.new_bladder_symptoms([0, 0, 0, 0], [0, 0, 0, 0, 0])


# --- when a screen is due -------------------------------------------------------------------------------------------


def state(**kwargs: object) -> hm.ScreenState:
    values: dict[str, object] = {
        "programme_id": 7,
        "enrolled_on": dt.date(2026, 5, 1),
        "baseline_issued": True,
        "last_screen_on": None,
        "interval_days": None,
    }
    values.update(kwargs)
    return hm.ScreenState(**values)  # type: ignore[arg-type]


def test_baseline_screen_is_due_at_once_after_enrolment() -> None:
    due = hm.due_screen(state(baseline_issued=False, interval_days=30), today=TODAY)
    assert due == hm.DueScreen("home:7:baseline", TODAY, True)


def test_no_periodic_screen_without_the_clinic_interval() -> None:
    assert hm.due_screen(state(last_screen_on=dt.date(2025, 1, 1)), today=TODAY) is None


def test_periodic_screen_falls_due_interval_days_after_the_last_screen() -> None:
    last = dt.date(2026, 5, 2)
    assert hm.due_screen(state(last_screen_on=last, interval_days=30), today=dt.date(2026, 5, 31)) is None
    due = hm.due_screen(state(last_screen_on=last, interval_days=30), today=dt.date(2026, 6, 1))
    assert due == hm.DueScreen("home:7:2026-06-01", dt.date(2026, 6, 1), False)
    late = hm.due_screen(state(last_screen_on=last, interval_days=30), today=dt.date(2026, 7, 9))
    assert late is not None and late.key == "home:7:2026-06-01"  # same key: re-running issues nothing new


def test_periodic_screen_counts_from_enrolment_before_any_screen() -> None:
    due = hm.due_screen(state(interval_days=31), today=dt.date(2026, 6, 1))
    assert due is not None and due.due_on == dt.date(2026, 6, 1)


@pytest.mark.parametrize("interval", [0, -3, True])
def test_screen_interval_must_be_a_positive_number_of_days(interval: object) -> None:
    with pytest.raises(ValueError, match="interval_days"):
        state(interval_days=interval)


# --- stop suggestions ------------------------------------------------------------------------------------------------


def codes(facts: hm.StopFacts) -> list[str]:
    return [s.code for s in hm.stop_suggestions(facts)]


def test_no_suggestion_when_no_trigger_is_met() -> None:
    assert hm.stop_suggestions(hm.StopFacts(today=TODAY)) == ()
    quiet = hm.StopFacts(today=TODAY, audit_c_total=3, sex="male", phq9_response=False, in_person_evaluation_on=None)
    assert hm.stop_suggestions(quiet) == ()


def test_every_trigger_with_its_basis_and_label() -> None:
    facts = hm.StopFacts(
        today=dt.date(2027, 1, 1),
        course_complete=True,
        unresolved_sedation=2,
        new_bladder_symptoms=("Blood in the urine",),
        discrepancy=True,
        rule_breaches=1,
        audit_c_total=3,
        sex="female",
        phq9_response=True,
        in_person_evaluation_on=None,
    )
    found = {s.code: s for s in hm.stop_suggestions(facts)}
    assert list(found) == ["bladder", "sedation", "discrepancy", "telehealth", "rules", "alcohol", "course", "response"]
    assert found["bladder"].action == "stop" and "blood in the urine" in found["bladder"].reason
    assert found["bladder"].label == "literature" and "Sci Rep 2019" in found["bladder"].source
    assert found["sedation"].reason.startswith("2 post-dose") and found["sedation"].label == "STANDARD"
    assert "ASA" in found["discrepancy"].source and found["discrepancy"].action == "review"
    assert "90 FR 61301" in found["telehealth"].source and "31 Dec 2026" in found["telehealth"].reason
    assert found["rules"].label == "PROGRAMME" and "Choose Ketamine" in found["rules"].source
    assert found["alcohol"].reason == "AUDIT-C 3, positive (cut-off 3)." and "Bradley" in found["alcohol"].source
    assert "defined treatment course" in found["course"].basis
    assert found["response"].action == "space" and found["response"].label == "PROGRAMME"


def test_telehealth_trigger_only_after_the_end_date_and_without_an_in_person_evaluation() -> None:
    end = dt.date(2026, 12, 31)
    assert codes(hm.StopFacts(today=end)) == []
    assert codes(hm.StopFacts(today=end + dt.timedelta(days=1))) == ["telehealth"]
    assert codes(hm.StopFacts(today=end + dt.timedelta(days=1), in_person_evaluation_on=dt.date(2026, 3, 1))) == []


def test_alcohol_trigger_at_the_sex_specific_cut_off() -> None:
    assert codes(hm.StopFacts(today=TODAY, audit_c_total=4, sex="male")) == ["alcohol"]
    assert codes(hm.StopFacts(today=TODAY, audit_c_total=3, sex="male")) == []
    assert codes(hm.StopFacts(today=TODAY, audit_c_total=3, sex="female")) == ["alcohol"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"unresolved_sedation": -1}, "unresolved_sedation"),
        ({"rule_breaches": True}, "rule_breaches"),
        ({"rule_breaches": 1.5}, "rule_breaches"),
        ({"audit_c_total": 13}, "AUDIT-C total"),
    ],
)
def test_stop_facts_refuse_impossible_values(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        hm.StopFacts(today=TODAY, **kwargs)  # type: ignore[arg-type]
