"""Pain (BPI, PEG, NRS), dissociation (CADSS), recovery (Aldrete, PADSS) and sedation (MOAA/S, RASS) scales.

Reference values: shared/knowledge/instruments.md and clinical-rules.md §4 (discharge ≥ 9).
"""

from __future__ import annotations

import pytest

from ketaclinic.domain import instruments
from ketaclinic.domain.instruments import InvalidAnswers

# --- BPI ------------------------------------------------------------------------------------------------------------


def bpi_answers(severity_sum: int, interference=(None,) * 7) -> list[int | None]:
    severity = []
    remaining = severity_sum
    for _ in range(4):
        severity.append(min(10, remaining))
        remaining -= severity[-1]
    return severity + list(interference)


@pytest.mark.parametrize(
    ("severity_sum", "total"),
    [(0, 0.0), (19, 4.75), (20, 5.0), (27, 6.75), (28, 7.0), (40, 10.0)],
)
def test_bpi_total_and_severity_subscale_are_the_mean_of_the_four_items(severity_sum, total):
    result = instruments.score("bpi", bpi_answers(severity_sum))
    assert result.total == total
    assert type(result.total) is float
    assert result.subscales["severity"] == total


@pytest.mark.parametrize(
    ("worst", "band"),
    [(0, "none"), (1, "mild"), (4, "mild"), (5, "moderate"), (6, "moderate"), (7, "severe"), (10, "severe")],
)
def test_bpi_band_is_read_from_the_worst_pain_item(worst, band):
    """Serlin RC et al., Pain 1995;61:277-284: worst pain 0 none, 1–4 mild, 5–6 moderate, 7–10 severe.

    The other three severity items are 0, so the mean (worst / 4) would give another band for most values.
    """
    result = instruments.score("bpi", [worst, 0, 0, 0] + [None] * 7)
    assert result.band == band
    assert result.subscales["severity"] == worst / 4


def test_bpi_worst_pain_9_is_severe_even_when_the_mean_is_low():
    """Issue 16 item 9: worst 9, least 0, average 2, now 1 → mean 3.0 read "mild" before; Serlin 1995 bands the
    worst-pain item, 9 → severe. The mean stays as the severity subscale, without a band."""
    result = instruments.score("bpi", [9, 0, 2, 1] + [None] * 7)
    assert result.band == "severe"
    assert result.subscales["severity"] == pytest.approx(3.0)
    assert result.total == pytest.approx(3.0)


def test_bpi_total_is_the_mean_of_worst_least_average_and_now():
    result = instruments.score("bpi", [8, 2, 5, 4, 0, 0, 0, 0, 0, 0, 0])
    assert result.total == pytest.approx(4.75)
    assert result.band == "severe"  # worst 8


def test_bpi_interference_is_the_mean_of_all_seven_when_all_answered():
    result = instruments.score("bpi", [5, 5, 5, 5, 1, 2, 3, 4, 5, 6, 7])
    assert result.subscales["interference"] == pytest.approx(4.0)


def test_bpi_interference_with_exactly_four_of_seven_answered_is_their_mean():
    result = instruments.score("bpi", [5, 5, 5, 5, 1, None, 2, None, 3, None, 6])
    assert result.subscales["interference"] == pytest.approx(3.0)


def test_bpi_interference_with_three_of_seven_answered_is_none():
    result = instruments.score("bpi", [5, 5, 5, 5, 1, None, 2, None, 3, None, None])
    assert result.subscales["interference"] is None
    assert result.total == 5.0


def test_bpi_interference_with_none_answered_is_none():
    assert instruments.score("bpi", bpi_answers(20)).subscales["interference"] is None


def test_bpi_minimum_interference_answers_is_four():
    from ketaclinic.domain.instruments import bpi

    assert bpi.MIN_INTERFERENCE_ANSWERS == 4


def test_bpi_severity_items_are_required():
    with pytest.raises(InvalidAnswers, match=r"item 3 \(Pain on average\): is missing \(required\)"):
        instruments.score("bpi", [5, 5, None, 5] + [None] * 7)


def test_bpi_interference_values_are_range_checked():
    with pytest.raises(InvalidAnswers, match=r"item 11 \(Interference with enjoyment of life\): 11 is out of range"):
        instruments.score("bpi", [5, 5, 5, 5] + [None] * 6 + [11])


def test_bpi_has_no_flags():
    assert instruments.score("bpi", [10] * 11).flags == frozenset()


# --- PEG ------------------------------------------------------------------------------------------------------------


def test_peg_total_is_the_unrounded_mean_and_band_is_none():
    result = instruments.score("peg", [4, 3, 3])
    assert result.total == pytest.approx(10 / 3)
    assert type(result.total) is float
    assert result.band is None
    assert result.flags == frozenset()


@pytest.mark.parametrize(("answers", "total"), [([0, 0, 0], 0.0), ([10, 10, 10], 10.0), ([6, 6, 6], 6.0)])
def test_peg_total_ends(answers, total):
    assert instruments.score("peg", answers).total == total


# --- Pain NRS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "band"),
    [(0, "none"), (1, "mild"), (4, "mild"), (5, "moderate"), (6, "moderate"), (7, "severe"), (10, "severe")],
)
def test_pain_nrs_band_boundaries(value, band):
    """Serlin RC et al., Pain 1995;61:277-284: 0 none, 1–4 mild, 5–6 moderate, 7–10 severe (4 is mild: the most used
    mild/moderate cut point, Woo 2015)."""
    result = instruments.score("pain_nrs", [value])
    assert (result.total, result.band) == (value, band)


# --- CADSS ----------------------------------------------------------------------------------------------------------


def test_cadss_subscale_map_covers_every_item_exactly_once():
    from ketaclinic.domain.instruments import cadss

    numbers = sorted(number for items in cadss.SUBSCALES.values() for number in items)
    assert numbers == list(range(1, 24))
    assert cadss.SUBSCALES["depersonalization"] == (3, 4, 5, 6, 7, 20, 23)
    assert cadss.SUBSCALES["derealization"] == (1, 2, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 21)
    assert cadss.SUBSCALES["amnesia"] == (14, 15, 22)


@pytest.mark.parametrize(
    ("subscale", "items"),
    [
        ("depersonalization", (3, 4, 5, 6, 7, 20, 23)),
        ("derealization", (1, 2, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 21)),
        ("amnesia", (14, 15, 22)),
    ],
)
def test_cadss_each_subscale_sums_only_its_own_items(subscale, items):
    answers = [4 if number in items else 0 for number in range(1, 24)]
    result = instruments.score("cadss", answers)
    assert result.subscales[subscale] == 4 * len(items)
    assert sum(value for name, value in result.subscales.items() if name != subscale) == 0
    assert result.total == 4 * len(items)


def test_cadss_total_is_the_sum_with_no_band():
    result = instruments.score("cadss", list(range(5)) * 4 + [4, 4, 4])
    assert result.total == 52
    assert result.band is None
    assert result.subscales["depersonalization"] + result.subscales["derealization"] + result.subscales["amnesia"] == 52


def test_cadss_maximum_is_92():
    assert instruments.score("cadss", [4] * 23).total == 92


# --- Aldrete and PADSS ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("instrument_id", ["aldrete", "padss"])
@pytest.mark.parametrize(("answers", "ready"), [([2, 2, 2, 1, 1], False), ([2, 2, 2, 2, 1], True), ([2] * 5, True)])
def test_discharge_ready_at_total_nine_or_more_by_default(instrument_id, answers, ready):
    result = instruments.score(instrument_id, answers)
    assert result.total == sum(answers)
    assert result.band is None
    assert (instruments.DISCHARGE_READY in result.flags) is ready


@pytest.mark.parametrize("instrument_id", ["aldrete", "padss"])
def test_a_protocol_can_raise_the_discharge_threshold(instrument_id):
    result = instruments.score(instrument_id, [2, 2, 2, 2, 1], discharge_threshold=10)
    assert result.flags == frozenset()
    assert instruments.score(instrument_id, [2] * 5, discharge_threshold=10).flags == {"discharge_ready"}


@pytest.mark.parametrize("instrument_id", ["aldrete", "padss"])
def test_a_protocol_can_lower_the_discharge_threshold(instrument_id):
    assert instruments.score(instrument_id, [2, 2, 2, 1, 1], discharge_threshold=8).flags == {"discharge_ready"}


def test_default_discharge_threshold_is_nine():
    from ketaclinic.domain.instruments import aldrete, padss

    assert instruments.DISCHARGE_THRESHOLD == aldrete.DISCHARGE_THRESHOLD == padss.DISCHARGE_THRESHOLD == 9


@pytest.mark.parametrize("threshold", [-1, 11, True, 9.0, "9"])
def test_a_discharge_threshold_outside_0_to_10_is_refused(threshold):
    with pytest.raises(ValueError, match="discharge_threshold must be a whole number 0–10"):
        instruments.score("aldrete", [2] * 5, discharge_threshold=threshold)


def test_a_discharge_threshold_for_an_instrument_without_one_is_refused():
    with pytest.raises(ValueError, match="discharge_threshold applies only to aldrete and padss, not to 'phq9'"):
        instruments.score("phq9", [0] * 9, discharge_threshold=9)


def test_padss_bleeding_left_none_scores_its_default_of_two():
    result = instruments.score("padss", [2, 2, 2, None, 2])
    assert result.total == 10
    assert result.answers == (2, 2, 2, 2, 2)
    assert "discharge_ready" in result.flags


def test_padss_bleeding_can_still_be_scored_when_given():
    assert instruments.score("padss", [2, 2, 2, 0, 2]).total == 8


def test_padss_other_items_are_required():
    with pytest.raises(InvalidAnswers, match=r"item 1 \(Vital signs\): is missing \(required\)"):
        instruments.score("padss", [None, 2, 2, 2, 2])


def test_aldrete_anchors_from_the_knowledge_file():
    items = instruments.get("aldrete").items
    assert dict(items[2].options)[2] == "BP within ±20 mmHg of pre-procedure"
    assert dict(items[4].options)[0] == "SpO2 < 90 % even with O2"


def test_aldrete_activity_respiration_and_consciousness_carry_their_criteria():
    """Issue 15: items 1, 2 and 4 showed bare 0/1/2; each score now says what it means (Aldrete & Kroulik 1970,
    unchanged in Aldrete 1995)."""
    items = instruments.get("aldrete").items
    assert dict(items[0].options) == {
        0: "Moves no extremity voluntarily or on command",
        1: "Moves 2 extremities voluntarily or on command",
        2: "Moves 4 extremities voluntarily or on command",
    }
    assert dict(items[1].options) == {
        0: "Apnoeic",
        1: "Dyspnoea, shallow or limited breathing",
        2: "Breathes deeply and coughs freely",
    }
    assert dict(items[3].options) == {0: "Not responding", 1: "Arousable on calling", 2: "Fully awake"}
    assert all(label != str(value) for item in items for value, label in item.options)
    assert "Kroulik" in instruments.get("aldrete").source


# --- MOAA/S and RASS ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "band"),
    [(0, "unresponsive"), (1, "sedated"), (4, "sedated"), (5, "alert")],
)
def test_moaas_band_boundaries(value, band):
    result = instruments.score("moaas", [value])
    assert (result.total, result.band) == (value, band)


def test_moaas_is_a_single_item():
    with pytest.raises(InvalidAnswers, match=r"expected 1 answers, got 2"):
        instruments.score("moaas", [5, 5])


RASS_BANDS = {
    4: "combative",
    3: "very agitated",
    2: "agitated",
    1: "restless",
    0: "alert and calm",
    -1: "drowsy",
    -2: "light sedation",
    -3: "moderate sedation",
    -4: "deep sedation",
    -5: "unarousable",
}


@pytest.mark.parametrize(("value", "band"), sorted(RASS_BANDS.items()))
def test_rass_every_value_has_its_own_band(value, band):
    result = instruments.score("rass", [value])
    assert (result.total, result.band) == (value, band)


@pytest.mark.parametrize("value", [-6, 5])
def test_rass_outside_minus_five_to_plus_four_is_refused(value):
    with pytest.raises(InvalidAnswers, match=rf"item 1 \(Agitation/sedation\): {value} is out of range -5–4"):
        instruments.score("rass", [value])


def test_rass_options_are_labelled_with_the_band_names():
    assert dict(instruments.get("rass").items[0].options) == RASS_BANDS
