"""Properties every instrument keeps, checked with Hypothesis over random answers.

- random valid answers never raise, and the score stays inside the instrument's declared range, bands and flags;
- random invalid answers (one bad value, or a wrong length) always raise ``InvalidAnswers`` naming the item;
- bands never go down as the total goes up.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaclinic.domain import instruments
from ketaclinic.domain.instruments import InvalidAnswers
from ketaclinic.domain.instruments._core import band_for

# No example database: the domain tests write nothing to the working tree.
PROPERTY = settings(database=None, max_examples=300, deadline=None)

INT_IDS = tuple(instrument_id for instrument_id in instruments.ids() if instrument_id != "cssrs_screener")
BANDED_IDS = tuple(instrument_id for instrument_id in INT_IDS if instruments.get(instrument_id).bands)


def int_item_answer(item):
    values = st.sampled_from(item.values)
    return values if item.required else st.one_of(st.none(), values)


@st.composite
def valid_int_answers(draw, instrument_id=None):
    instrument_id = instrument_id or draw(st.sampled_from(INT_IDS))
    definition = instruments.get(instrument_id)
    answers = [draw(int_item_answer(item)) for item in definition.items]
    if not definition.items[-1].scored and draw(st.booleans()):
        answers.pop()  # the PHQ-9 difficulty question may be left off
    return instrument_id, answers


@st.composite
def valid_cssrs_answers(draw):
    q1, q2, q6 = draw(st.booleans()), draw(st.booleans()), draw(st.booleans())
    follow_ups = [draw(st.booleans()) for _ in range(3)] if q2 else [None] * 3
    recent = draw(st.booleans()) if q6 else None
    return [q1, q2, *follow_ups, q6, recent]


def bad_value_for(item):
    """Values no item accepts: out of range both sides, bools, floats, strings."""
    return st.one_of(
        st.integers(max_value=item.low - 1),
        st.integers(min_value=item.high + 1),
        st.booleans(),
        st.floats(allow_nan=False),
        st.text(max_size=3),
    )


@st.composite
def invalid_int_answers(draw):
    instrument_id, answers = draw(valid_int_answers())
    definition = instruments.get(instrument_id)
    answers = answers + [None] * (len(definition.items) - len(answers))
    index = draw(st.integers(min_value=0, max_value=len(answers) - 1))
    item = definition.items[index]
    answers[index] = draw(bad_value_for(item) if not item.required else st.one_of(st.none(), bad_value_for(item)))
    return instrument_id, answers, item


def assert_score_is_well_formed(result, instrument_id):
    definition = instruments.get(instrument_id)
    low, high = definition.total_range
    assert result.instrument == instrument_id
    assert low <= result.total <= high
    if definition.band_names:
        assert result.band in definition.band_names
    else:
        assert result.band is None
    assert result.flags <= definition.flag_names
    assert set(result.subscales) == set(definition.subscale_names)


@PROPERTY
@given(valid_int_answers())
def test_random_valid_answers_never_raise_and_stay_in_range(case):
    instrument_id, answers = case
    result = instruments.score(instrument_id, answers)
    assert_score_is_well_formed(result, instrument_id)


@PROPERTY
@given(valid_cssrs_answers())
def test_random_valid_cssrs_screens_never_raise_and_flag_unless_negative(answers):
    result = instruments.score("cssrs_screener", answers)
    assert_score_is_well_formed(result, "cssrs_screener")
    assert ("suicidality" in result.flags) is (result.band != "negative")
    assert (result.band == "negative") is (not any(answers[:6]))


@PROPERTY
@given(invalid_int_answers())
def test_one_random_invalid_answer_always_raises_naming_the_item(case):
    instrument_id, answers, item = case
    try:
        instruments.score(instrument_id, answers)
    except InvalidAnswers as error:
        assert item.describe() in str(error)
    else:
        raise AssertionError(f"{instrument_id} accepted {answers!r}")


@PROPERTY
@given(valid_int_answers(), st.data())
def test_a_random_wrong_length_always_raises(case, data):
    instrument_id, answers = case
    definition = instruments.get(instrument_id)
    shortest = sum(1 for item in definition.items if item.scored)
    length = data.draw(
        st.one_of(st.integers(0, shortest - 1), st.integers(len(definition.items) + 1, len(definition.items) + 5))
    )
    padded = (answers * (length // max(len(answers), 1) + 1))[:length]
    try:
        instruments.score(instrument_id, padded)
    except InvalidAnswers:
        pass
    else:
        raise AssertionError(f"{instrument_id} accepted {length} answers")


@PROPERTY
@given(valid_cssrs_answers(), st.integers(0, 6), st.sampled_from([0, 1, "yes", 1.5]))
def test_a_non_bool_cssrs_answer_always_raises(answers, index, bad):
    answers[index] = bad
    try:
        instruments.score("cssrs_screener", answers)
    except InvalidAnswers as error:
        assert f"item {index + 1}" in str(error)
    else:
        raise AssertionError(f"accepted {answers!r}")


@PROPERTY
@given(valid_cssrs_answers(), st.sampled_from([2, 3, 4, 6]))
def test_flipping_a_cssrs_follow_up_against_its_gate_always_raises(answers, index):
    gate = 1 if index < 5 else 5
    answers[index] = None if answers[gate] else True
    try:
        instruments.score("cssrs_screener", answers)
    except InvalidAnswers as error:
        assert f"item {index + 1}" in str(error)
    else:
        raise AssertionError(f"accepted {answers!r}")


@PROPERTY
@given(st.data())
def test_bands_are_monotonic_in_the_total(data):
    instrument_id = data.draw(st.sampled_from(BANDED_IDS))
    definition = instruments.get(instrument_id)
    low, high = definition.total_range
    first = data.draw(st.floats(low, high))
    second = data.draw(st.floats(low, high))
    order = definition.band_names
    lower, upper = sorted((first, second))
    assert order.index(band_for(lower, definition.bands)) <= order.index(band_for(upper, definition.bands))


@PROPERTY
@given(st.data())
def test_scored_bands_are_monotonic_in_the_scored_total(data):
    instrument_id = data.draw(st.sampled_from(BANDED_IDS))
    order = instruments.get(instrument_id).band_names
    first = instruments.score(instrument_id, data.draw(valid_int_answers(instrument_id))[1])
    second = instruments.score(instrument_id, data.draw(valid_int_answers(instrument_id))[1])
    # The BPI band is read from the worst-pain item, not the total (Serlin 1995): order by that item.
    low, high = sorted(
        (first, second), key=lambda result: result.answers[0] if instrument_id == "bpi" else result.total
    )
    assert order.index(low.band) <= order.index(high.band)


def test_every_achievable_integer_total_has_a_band_and_bands_never_decrease():
    for instrument_id in BANDED_IDS:
        definition = instruments.get(instrument_id)
        low, high = (int(bound) for bound in definition.total_range)
        indexes = [definition.band_names.index(band_for(total, definition.bands)) for total in range(low, high + 1)]
        assert indexes == sorted(indexes)
        assert indexes[0] == 0
        assert indexes[-1] == len(definition.band_names) - 1


@PROPERTY
@given(valid_int_answers("qids_sr16"))
def test_qids_total_is_the_sum_of_its_domains_and_never_exceeds_the_item_sum(case):
    _, answers = case
    result = instruments.score("qids_sr16", answers)
    assert result.total == sum(result.subscales.values())
    assert result.total <= sum(answers)


@PROPERTY
@given(valid_int_answers("cadss"))
def test_cadss_subscales_add_up_to_the_total(case):
    _, answers = case
    result = instruments.score("cadss", answers)
    assert sum(result.subscales.values()) == result.total == sum(answers)


@PROPERTY
@given(valid_int_answers("bpi"))
def test_bpi_interference_is_none_exactly_when_fewer_than_four_are_answered(case):
    _, answers = case
    result = instruments.score("bpi", answers)
    answered = [value for value in answers[4:] if value is not None]
    assert (result.subscales["interference"] is None) is (len(answered) < 4)
    assert result.total == sum(answers[:4]) / 4


@PROPERTY
@given(st.sampled_from(["aldrete", "padss"]).flatmap(valid_int_answers), st.integers(0, 10))
def test_discharge_ready_exactly_when_total_reaches_the_threshold(case, threshold):
    instrument_id, answers = case
    result = instruments.score(instrument_id, answers, discharge_threshold=threshold)
    assert ("discharge_ready" in result.flags) is (result.total >= threshold)
