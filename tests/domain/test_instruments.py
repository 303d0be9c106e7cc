"""The instrument catalogue, the depression and anxiety scales, and answer validation.

Reference values come from shared/knowledge/instruments.md (bands, flags, codes, the published PHQ-9 example).
"""

from __future__ import annotations

import dataclasses
import re

import pytest

from ketaclinic.domain import instruments
from ketaclinic.domain.instruments import InvalidAnswers, UnknownInstrument

ALL_IDS = (
    "phq9",
    "gad7",
    "qids_sr16",
    "madrs",
    "cssrs_screener",
    "cadss",
    "bpi",
    "peg",
    "pain_nrs",
    "aldrete",
    "padss",
    "moaas",
    "rass",
    "audit_c",
    "bladder_symptoms",
)


def answers_for_total(total: int, *, items: int, high: int) -> list[int]:
    """Fill items from the first one, each up to ``high``, until they sum to ``total``."""
    answers = []
    remaining = total
    for _ in range(items):
        value = min(high, remaining)
        answers.append(value)
        remaining -= value
    assert remaining == 0
    return answers


# --- catalogue ------------------------------------------------------------------------------------------------------


def test_ids_lists_all_thirteen_instruments_in_knowledge_file_order():
    assert instruments.ids() == ALL_IDS


@pytest.mark.parametrize("instrument_id", ALL_IDS)
def test_every_definition_is_complete_and_numbered_in_published_order(instrument_id):
    definition = instruments.get(instrument_id)
    assert definition.id == instrument_id
    assert definition.name
    assert definition.source
    assert definition.licence_note
    assert [item.number for item in definition.items] == list(range(1, len(definition.items) + 1))
    assert len({item.key for item in definition.items}) == len(definition.items)
    for item in definition.items:
        assert item.text
        assert item.label
        assert item.options
        assert item.low == min(item.values)
        assert item.high == max(item.values)
    low, high = definition.total_range
    assert low <= high


@pytest.mark.parametrize("instrument_id", ALL_IDS)
def test_definitions_and_their_items_are_frozen(instrument_id):
    definition = instruments.get(instrument_id)
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.name = "changed"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        definition.items[0].code = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        definition.subscale_codes["x"] = "y"  # type: ignore[index]


def test_unknown_instrument_is_a_value_error_naming_the_id():
    with pytest.raises(UnknownInstrument, match="'phq8'") as error:
        instruments.get("phq8")
    assert isinstance(error.value, ValueError)
    with pytest.raises(ValueError, match="'phq8'"):
        instruments.score("phq8", [0] * 8)


def test_unhashable_instrument_id_is_an_unknown_instrument_not_a_type_error():
    with pytest.raises(UnknownInstrument):
        instruments.get(["phq9"])  # type: ignore[arg-type]


def test_band_names_list_every_band_in_order_of_severity():
    assert instruments.get("phq9").band_names == ("minimal", "mild", "moderate", "moderately severe", "severe")
    assert instruments.get("cssrs_screener").band_names == ("negative", "low", "moderate", "high")
    assert instruments.get("cadss").band_names == ()


# --- codes ----------------------------------------------------------------------------------------------------------


def test_phq9_loinc_codes_match_the_knowledge_file():
    definition = instruments.get("phq9")
    assert definition.loinc_panel == "44249-1"
    assert definition.loinc_total == "44261-6"
    assert definition.item_codes == (
        "44250-9",
        "44255-8",
        "44259-0",
        "44254-1",
        "44251-7",
        "44258-2",
        "44252-5",
        "44253-3",
        "44260-8",
        "69722-7",
    )
    assert definition.answer_codes == ((0, "LA6568-5"), (1, "LA6569-3"), (2, "LA6570-1"), (3, "LA6571-9"))
    assert definition.unverified_codes == frozenset({"LA6571-9"})


def test_gad7_item_six_is_irritable_69689_8_and_item_seven_is_afraid_69736_7_not_swapped():
    items = instruments.get("gad7").items
    assert [item.code for item in items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]
    assert "irritable" in items[5].text
    assert items[5].code == "69689-8"
    assert "afraid" in items[6].text.lower()
    assert items[6].code == "69736-7"


def test_gad7_total_and_unverified_panel_codes():
    definition = instruments.get("gad7")
    assert definition.loinc_total == "70274-6"
    assert definition.loinc_panel == "69737-5"
    assert "69737-5" in definition.unverified_codes


def test_other_codes_from_the_knowledge_file():
    assert instruments.get("pain_nrs").items[0].code == "72514-3"
    assert instruments.get("pain_nrs").loinc_total == "72514-3"
    assert instruments.get("bpi").subscale_codes == {"interference": "77565-0"}
    assert instruments.get("cssrs_screener").band_code == "93374-7"


def test_qids_has_no_loinc_codes_so_items_use_their_keys_locally():
    definition = instruments.get("qids_sr16")
    assert definition.item_codes == (None,) * 16
    assert definition.loinc_total is None


# --- licensing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", ["madrs", "cadss", "bpi"])
def test_licensed_instruments_carry_only_short_labels(instrument_id):
    for item in instruments.get(instrument_id).items:
        assert item.text == item.label
        assert len(item.text) <= 60


def test_cssrs_items_carry_short_labels_and_the_skip_rule_not_the_licensed_wording():
    for item in instruments.get("cssrs_screener").items:
        assert len(item.text) <= 90
        assert item.label in item.text.replace(",", "").replace(";", "") or item.number == 7


def test_free_instruments_carry_the_published_item_text():
    assert instruments.get("phq9").items[8].text == (
        "Thoughts that you would be better off dead or of hurting yourself in some way"
    )
    assert instruments.get("gad7").items[0].text == "Feeling nervous, anxious, or on edge"
    qids = instruments.get("qids_sr16")
    assert qids.items[11].options[3][1].startswith("I think of suicide or death several times a day")
    assert qids.recall_period == "last 7 days"
    assert instruments.get("phq9").recall_period == "last 2 weeks"


def test_phq9_options_are_the_published_frequency_anchors():
    assert instruments.get("phq9").items[0].options == (
        (0, "Not at all"),
        (1, "Several days"),
        (2, "More than half the days"),
        (3, "Nearly every day"),
    )


# --- PHQ-9 ----------------------------------------------------------------------------------------------------------


def test_phq9_published_example_scores_five_mild_without_flags():
    result = instruments.score("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0])
    assert result.instrument == "phq9"
    assert result.total == 5
    assert type(result.total) is int
    assert result.band == "mild"
    assert result.flags == frozenset()
    assert dict(result.subscales) == {}


def test_phq9_contract_example():
    result = instruments.score("phq9", [0, 1, 0, 1, 1, 0, 0, 1, 0])
    assert (result.total, result.band, result.flags) == (4, "minimal", frozenset())


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_boundaries(total, band):
    answers = answers_for_total(total, items=9, high=3)
    result = instruments.score("phq9", answers)
    assert (result.total, result.band) == (total, band)


def test_phq9_item9_of_one_flags_suicidality_even_when_total_minimal():
    result = instruments.score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.band == "minimal"
    assert result.flags == {"suicidality"}


def test_phq9_item9_of_zero_does_not_flag_suicidality_even_when_total_severe():
    result = instruments.score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert result.band == "severe"
    assert "suicidality" not in result.flags


def test_phq9_accepts_the_optional_difficulty_answer_without_scoring_it():
    without = instruments.score("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0])
    with_difficulty = instruments.score("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0, 3])
    left_blank = instruments.score("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0, None])
    assert without.total == with_difficulty.total == left_blank.total == 5
    assert with_difficulty.answers[9] == 3
    assert without.answers[9] is None


def test_phq9_difficulty_answer_is_still_range_checked():
    with pytest.raises(InvalidAnswers, match=r"item 10 \(Difficulty caused by these problems\): 4 is out of range"):
        instruments.score("phq9", [0] * 9 + [4])


def test_phq9_safety_workflow_starts_cssrs_alerts_clinician_and_shows_crisis_resources():
    steps = instruments.PHQ9_ITEM9_SAFETY_WORKFLOW
    assert len(steps) == 3
    assert "C-SSRS" in steps[0]
    assert "primary clinician" in steps[1]
    assert "crisis resources" in steps[2]


# --- GAD-7 ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_boundaries(total, band):
    result = instruments.score("gad7", answers_for_total(total, items=7, high=3))
    assert (result.total, result.band, result.flags) == (total, band, frozenset())


# --- QIDS-SR16 ------------------------------------------------------------------------------------------------------

QIDS_DOMAIN_ITEMS = (1, 5, 6, 10, 11, 13, 14, 15, 12)  # one item per domain, suicidal ideation last


def qids_answers_for_total(total: int) -> list[int]:
    answers = [0] * 16
    for number, value in zip(QIDS_DOMAIN_ITEMS, answers_for_total(total, items=9, high=3), strict=True):
        answers[number - 1] = value
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "none"),
        (5, "none"),
        (6, "mild"),
        (10, "mild"),
        (11, "moderate"),
        (15, "moderate"),
        (16, "severe"),
        (20, "severe"),
        (21, "very severe"),
        (27, "very severe"),
    ],
)
def test_qids_band_boundaries(total, band):
    result = instruments.score("qids_sr16", qids_answers_for_total(total))
    assert (result.total, result.band) == (total, band)


def test_qids_is_not_a_plain_sum_each_domain_takes_its_highest_item():
    # sleep items 1-4 = 3, 1, 2, 0 -> sleep 3; appetite/weight 6-9 = 0, 2, 1, 2 -> 2; psychomotor 15-16 = 1, 3 -> 3
    answers = [3, 1, 2, 0, 1, 0, 2, 1, 2, 1, 2, 0, 1, 2, 1, 3]
    result = instruments.score("qids_sr16", answers)
    assert dict(result.subscales) == {
        "sleep": 3,
        "mood": 1,
        "appetite_weight": 2,
        "concentration": 1,
        "self_view": 2,
        "suicidal_ideation": 0,
        "interest": 1,
        "energy": 2,
        "psychomotor": 3,
    }
    assert result.total == 15
    assert sum(answers) == 22
    assert result.band == "moderate"


def test_qids_subscale_names_are_the_nine_domains():
    assert instruments.get("qids_sr16").subscale_names == (
        "sleep",
        "mood",
        "appetite_weight",
        "concentration",
        "self_view",
        "suicidal_ideation",
        "interest",
        "energy",
        "psychomotor",
    )


def test_qids_item12_of_one_flags_suicidality_even_when_total_none():
    answers = [0] * 16
    answers[11] = 1
    result = instruments.score("qids_sr16", answers)
    assert result.band == "none"
    assert result.flags == {"suicidality"}
    assert result.subscales["suicidal_ideation"] == 1


def test_qids_item12_of_zero_does_not_flag_suicidality():
    answers = [3] * 16
    answers[11] = 0
    assert instruments.score("qids_sr16", answers).flags == frozenset()


# --- MADRS ----------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "normal"),
        (6, "normal"),
        (7, "mild"),
        (19, "mild"),
        (20, "moderate"),
        (34, "moderate"),
        (35, "severe"),
        (60, "severe"),
    ],
)
def test_madrs_band_boundaries(total, band):
    result = instruments.score("madrs", answers_for_total(total, items=10, high=6))
    assert (result.total, result.band) == (total, band)


def test_madrs_item10_of_four_flags_suicidality_even_when_total_normal():
    result = instruments.score("madrs", [0] * 9 + [4])
    assert result.band == "normal"
    assert result.flags == {"suicidality"}


def test_madrs_item10_of_three_does_not_flag_suicidality():
    assert instruments.score("madrs", [6] * 9 + [3]).flags == frozenset()


# --- validation (every integer-valued instrument) -------------------------------------------------------------------

INT_IDS = tuple(instrument_id for instrument_id in ALL_IDS if instrument_id != "cssrs_screener")


def valid_answers(instrument_id):
    return [item.low for item in instruments.get(instrument_id).items if item.scored]


def test_invalid_answers_is_a_value_error():
    assert issubclass(InvalidAnswers, ValueError)


@pytest.mark.parametrize("instrument_id", INT_IDS)
def test_lowest_answers_score_without_error(instrument_id):
    result = instruments.score(instrument_id, valid_answers(instrument_id))
    assert result.instrument == instrument_id


@pytest.mark.parametrize("instrument_id", INT_IDS)
def test_one_answer_too_few_names_the_missing_item(instrument_id):
    answers = valid_answers(instrument_id)
    missing = instruments.get(instrument_id).items[len(answers) - 1]
    with pytest.raises(
        InvalidAnswers, match=rf"item {missing.number} \({re.escape(missing.label)}\): is missing"
    ) as error:
        instruments.score(instrument_id, answers[:-1])
    assert error.value.instrument == instrument_id
    assert error.value.problems[0].item == missing


@pytest.mark.parametrize("instrument_id", INT_IDS)
def test_one_answer_too_many_is_refused(instrument_id):
    count = len(instruments.get(instrument_id).items)
    answers = [instruments.get(instrument_id).items[0].low] * (count + 1)
    with pytest.raises(InvalidAnswers, match=rf"got {count + 1}: there is no item {count + 1}"):
        instruments.score(instrument_id, answers)


@pytest.mark.parametrize("instrument_id", INT_IDS)
def test_empty_answers_name_the_first_item_as_missing(instrument_id):
    first = instruments.get(instrument_id).items[0]
    with pytest.raises(InvalidAnswers, match=rf"item 1 \({re.escape(first.label)}\): is missing"):
        instruments.score(instrument_id, [])


@pytest.mark.parametrize("instrument_id", INT_IDS)
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (True, "got the bool True"),
        (False, "got the bool False"),
        (1.0, r"got 1\.0 \(float\)"),
        ("1", r"got '1' \(str\)"),
    ],
)
def test_a_non_integer_answer_names_the_item(instrument_id, bad, message):
    answers = valid_answers(instrument_id)
    answers[-1] = bad
    item = instruments.get(instrument_id).items[len(answers) - 1]
    with pytest.raises(
        InvalidAnswers, match=rf"item {item.number} \({re.escape(item.label)}\): must be a whole number .*{message}"
    ):
        instruments.score(instrument_id, answers)


@pytest.mark.parametrize("instrument_id", INT_IDS)
@pytest.mark.parametrize("side", ["below", "above"])
def test_an_out_of_range_answer_names_the_item(instrument_id, side):
    answers = valid_answers(instrument_id)
    item = instruments.get(instrument_id).items[0]
    answers[0] = item.low - 1 if side == "below" else item.high + 1
    with pytest.raises(InvalidAnswers, match=rf"item 1 \({re.escape(item.label)}\): {answers[0]} is out of range"):
        instruments.score(instrument_id, answers)


@pytest.mark.parametrize("instrument_id", [i for i in INT_IDS if i not in ("bpi", "padss")])
def test_a_required_answer_left_none_names_the_item(instrument_id):
    answers = valid_answers(instrument_id)
    answers[0] = None
    label = instruments.get(instrument_id).items[0].label
    with pytest.raises(InvalidAnswers, match=rf"item 1 \({re.escape(label)}\): is missing \(required\)"):
        instruments.score(instrument_id, answers)


def test_every_problem_is_reported_not_only_the_first():
    with pytest.raises(InvalidAnswers) as error:
        instruments.score("phq9", [4, 0, True, 0, 0, None, 0, 0, 0])
    assert [problem.item.number for problem in error.value.problems] == [1, 3, 6]
    assert "item 1 (Little interest or pleasure)" in str(error.value)
    assert "item 3 (Sleep problems)" in str(error.value)
    assert "item 6 (Feeling bad about yourself)" in str(error.value)


def test_too_few_answers_are_reported_together_with_bad_values():
    with pytest.raises(InvalidAnswers) as error:
        instruments.score("gad7", [0, 9, 0])
    messages = [str(problem) for problem in error.value.problems]
    assert messages[0].startswith("item 4 (Trouble relaxing): is missing (expected 7 answers, got 3)")
    assert messages[1] == "item 2 (Cannot stop or control worrying): 9 is out of range 0–3"


@pytest.mark.parametrize("not_a_list", ["000000000", b"000000000", 0, None, {0: 0}])
def test_answers_must_be_a_list_or_tuple(not_a_list):
    with pytest.raises(InvalidAnswers, match="answers must be a list or tuple in item order"):
        instruments.score("phq9", not_a_list)


def test_a_tuple_of_answers_is_accepted():
    assert instruments.score("gad7", (0, 0, 0, 0, 0, 0, 1)).total == 1


def test_integer_like_answers_are_accepted_as_whole_numbers():
    class IntLike:
        def __init__(self, value):
            self.value = value

        def __index__(self):
            return self.value

    result = instruments.score("gad7", [IntLike(3)] + [0] * 6)
    assert result.total == 3
    assert result.answers[0] == 3


# --- Score ----------------------------------------------------------------------------------------------------------


def test_scores_are_frozen_and_their_subscales_read_only():
    result = instruments.score("qids_sr16", [1] * 16)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.subscales["sleep"] = 0  # type: ignore[index]


def test_a_score_built_from_a_dict_does_not_change_when_the_dict_does():
    subscales = {"a": 1.0}
    result = instruments.Score("x", 1, None, frozenset(), subscales)
    subscales["a"] = 2.0
    assert result.subscales["a"] == 1.0


def test_equal_scores_are_equal_and_hashable():
    first = instruments.score("qids_sr16", [1] * 16)
    second = instruments.score("qids_sr16", [1] * 16)
    assert first == second
    assert hash(first) == hash(second)


def test_a_problem_without_an_item_prints_only_its_message():
    assert str(instruments.Problem(None, "answers must be a list")) == "answers must be a list"
