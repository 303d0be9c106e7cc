"""C-SSRS screener: triage bands, skip logic, flags and recommended actions (shared/knowledge/instruments.md)."""

from __future__ import annotations

import pytest

from ketaclinic.domain import instruments
from ketaclinic.domain.instruments import InvalidAnswers

Y, N, SKIP = True, False, None


def screen(q1=N, q2=N, q3=SKIP, q4=SKIP, q5=SKIP, q6=N, q6_recent=SKIP):
    return instruments.score("cssrs_screener", [q1, q2, q3, q4, q5, q6, q6_recent])


def test_all_no_is_negative_without_flags():
    result = screen()
    assert (result.band, result.total, result.flags) == ("negative", 0, frozenset())


@pytest.mark.parametrize(
    ("answers", "band"),
    [
        ({"q1": Y}, "low"),
        ({"q2": Y, "q3": N, "q4": N, "q5": N}, "low"),
        ({"q1": Y, "q2": Y, "q3": N, "q4": N, "q5": N}, "low"),
        ({"q2": Y, "q3": Y, "q4": N, "q5": N}, "moderate"),
        ({"q6": Y, "q6_recent": N}, "moderate"),
        ({"q1": Y, "q6": Y, "q6_recent": N}, "moderate"),
        ({"q2": Y, "q3": N, "q4": Y, "q5": N}, "high"),
        ({"q2": Y, "q3": N, "q4": N, "q5": Y}, "high"),
        ({"q6": Y, "q6_recent": Y}, "high"),
        ({"q2": Y, "q3": Y, "q4": N, "q5": N, "q6": Y, "q6_recent": Y}, "high"),
    ],
)
def test_triage_is_the_highest_positive_item(answers, band):
    result = screen(**answers)
    assert result.band == band
    assert result.flags == {"suicidality"}


def test_total_counts_yes_answers_among_q1_to_q6_only():
    result = screen(q1=Y, q2=Y, q3=Y, q4=Y, q5=Y, q6=Y, q6_recent=Y)
    assert result.total == 6
    assert result.band == "high"


def test_answers_are_kept_as_given():
    assert screen(q1=Y).answers == (Y, N, SKIP, SKIP, SKIP, N, SKIP)


# --- skip logic -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("index", [2, 3, 4])
def test_answering_a_follow_up_of_item_two_when_item_two_is_no_is_invalid(index):
    answers = [N, N, SKIP, SKIP, SKIP, N, SKIP]
    answers[index] = N
    item = instruments.get("cssrs_screener").items[index]
    with pytest.raises(
        InvalidAnswers,
        match=rf"item {index + 1} \({item.label}\): must be left unanswered \(it is skipped\) when item 2",
    ):
        instruments.score("cssrs_screener", answers)


@pytest.mark.parametrize("index", [2, 3, 4])
def test_skipping_a_follow_up_of_item_two_when_item_two_is_yes_is_invalid(index):
    answers = [N, Y, N, N, N, N, SKIP]
    answers[index] = SKIP
    with pytest.raises(InvalidAnswers, match=rf"item {index + 1} .*: is missing \(required when item 2 is Yes\)"):
        instruments.score("cssrs_screener", answers)


def test_the_within_3_months_question_is_required_when_item_six_is_yes():
    with pytest.raises(
        InvalidAnswers,
        match=r"item 7 \(Suicidal behaviour within the past 3 months\): is missing \(required when item 6 is Yes\)",
    ):
        screen(q6=Y)


def test_the_within_3_months_question_must_be_skipped_when_item_six_is_no():
    with pytest.raises(InvalidAnswers, match=r"item 7 .*: must be left unanswered \(it is skipped\) when item 6 is No"):
        screen(q6=N, q6_recent=N)


@pytest.mark.parametrize(
    ("index", "label"),
    [(0, "Wish to be dead"), (1, "Non-specific active suicidal thoughts"), (5, "Suicidal behaviour ever")],
)
def test_items_one_two_and_six_are_required(index, label):
    answers = [N, N, SKIP, SKIP, SKIP, N, SKIP]
    answers[index] = SKIP
    with pytest.raises(InvalidAnswers, match=rf"item {index + 1} \({label}\): is missing \(required\)"):
        instruments.score("cssrs_screener", answers)


def test_follow_ups_are_not_judged_when_their_gate_is_missing():
    with pytest.raises(InvalidAnswers) as error:
        instruments.score("cssrs_screener", [N, SKIP, Y, Y, Y, SKIP, Y])
    assert [problem.item.number for problem in error.value.problems] == [2, 6]


@pytest.mark.parametrize("bad", [1, 0, "yes", 1.0])
def test_a_screener_answer_must_be_a_bool_or_none(bad):
    with pytest.raises(InvalidAnswers, match=r"item 1 \(Wish to be dead\): must be True \(yes\), False \(no\) or None"):
        instruments.score("cssrs_screener", [bad, N, SKIP, SKIP, SKIP, N, SKIP])


@pytest.mark.parametrize("length", [0, 6, 8])
def test_the_screener_needs_exactly_seven_answers(length):
    with pytest.raises(InvalidAnswers, match="expected 7 answers"):
        instruments.score("cssrs_screener", [N, N, SKIP, SKIP, SKIP, N, SKIP, SKIP][:length])


def test_a_short_answer_list_reports_only_the_length_not_the_skip_logic():
    with pytest.raises(InvalidAnswers) as error:
        instruments.score("cssrs_screener", [N, Y])
    assert len(error.value.problems) == 1
    assert "item 3 (Suicidal thoughts with method): is missing (expected 7 answers, got 2)" in str(error.value)


# --- actions --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("band", "words"),
    [
        ("low", ("behavioural-health referral", "crisis resources")),
        ("moderate", ("care-team consult", "safety plan")),
        ("high", ("same-day psychiatric evaluation", "safety precautions")),
    ],
)
def test_recommended_action_per_band(band, words):
    action = instruments.cssrs_recommended_action(band)
    assert action is not None
    for word in words:
        assert word in action.lower()
    assert instruments.CSSRS_RECOMMENDED_ACTIONS[band] == action


def test_a_negative_screen_has_no_recommended_action():
    assert instruments.cssrs_recommended_action("negative") is None


def test_an_unknown_band_is_a_value_error():
    with pytest.raises(ValueError, match="unknown C-SSRS band 'severe'"):
        instruments.cssrs_recommended_action("severe")


def test_every_scored_band_has_an_action_or_is_negative():
    for band in instruments.get("cssrs_screener").band_names:
        assert (instruments.cssrs_recommended_action(band) is None) is (band == "negative")
