"""Treatment resistance from a trial history (clinical-rules.md §2: adequate = ≥ 6 weeks at an adequate dose;
TRD = ≥ 2 failed adequate trials in the current episode)."""

from __future__ import annotations

import pytest

from ketaclinic.domain.treatment_resistance import (
    OUTCOMES,
    InvalidTrial,
    Trial,
    TrialThresholds,
    summarise,
)


def trial(**overrides: object) -> Trial:
    values: dict[str, object] = {
        "drug": "sertraline",
        "weeks_at_dose": 8,
        "adequate_dose": True,
        "outcome": "no_response",
        "current_episode": True,
    }
    values.update(overrides)
    return Trial(**values)  # type: ignore[arg-type]


def test_two_failed_adequate_trials_in_the_current_episode_are_treatment_resistance() -> None:
    result = summarise([trial(), trial(drug="venlafaxine", outcome="partial_response", weeks_at_dose=6)])
    assert result.failed_adequate_trials == 2 and result.treatment_resistant
    assert [v.reason for v in result.verdicts] == ["failed_adequate", "failed_adequate"]
    assert all(v.counts for v in result.verdicts)
    assert "meets the definition" in result.explanation and "≥ 2 failed trials of ≥ 6 weeks" in result.explanation
    assert result.verdicts[1].explanation == "Partial response after 6 weeks at an adequate dose."


def test_one_failed_trial_is_not_enough() -> None:
    result = summarise([trial()])
    assert result.failed_adequate_trials == 1 and not result.treatment_resistant
    assert "does not meet" in result.explanation


def test_an_empty_history_is_zero() -> None:
    result = summarise([])
    assert (result.failed_adequate_trials, result.treatment_resistant, result.verdicts) == (0, False, ())


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"current_episode": False}, "previous_episode"),
        ({"outcome": "response"}, "responded"),
        ({"outcome": "not_tolerated"}, "not_tolerated"),
        ({"outcome": "ongoing"}, "ongoing"),
        ({"adequate_dose": False}, "dose"),
        ({"weeks_at_dose": 5}, "too_short"),
        ({"weeks_at_dose": 6}, "failed_adequate"),
    ],
)
def test_each_reason_a_trial_does_or_does_not_count(overrides: dict[str, object], reason: str) -> None:
    verdict = summarise([trial(**overrides)]).verdicts[0]
    assert verdict.reason == reason
    assert verdict.counts is (reason == "failed_adequate")
    assert verdict.explanation


def test_the_six_week_boundary_is_a_setting() -> None:
    history = [trial(weeks_at_dose=4), trial(weeks_at_dose=4)]
    assert summarise(history).failed_adequate_trials == 0
    relaxed = TrialThresholds(adequate_trial_min_weeks=4, trd_min_failed_trials=3)
    result = summarise(history, relaxed)
    assert result.failed_adequate_trials == 2 and not result.treatment_resistant
    assert "≥ 3 failed trials of ≥ 4 weeks" in result.explanation


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "6"])
def test_thresholds_must_be_positive_whole_numbers(bad: object) -> None:
    with pytest.raises(ValueError, match="adequate_trial_min_weeks"):
        TrialThresholds(adequate_trial_min_weeks=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"drug": "  "}, "drug"),
        ({"drug": None}, "drug"),
        ({"weeks_at_dose": -1}, "weeks_at_dose"),
        ({"weeks_at_dose": 521}, "weeks_at_dose"),
        ({"weeks_at_dose": True}, "weeks_at_dose"),
        ({"weeks_at_dose": 6.5}, "weeks_at_dose"),
        ({"outcome": "cured"}, "outcome"),
        ({"adequate_dose": "yes"}, "adequate_dose"),
        ({"current_episode": 1}, "current_episode"),
    ],
)
def test_bad_trials_name_the_field(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidTrial) as caught:
        trial(**overrides)
    assert caught.value.field == field and str(caught.value).startswith(f"{field}: ")


def test_every_outcome_is_accepted() -> None:
    assert {trial(outcome=outcome).outcome for outcome in OUTCOMES} == set(OUTCOMES)
