"""Secure messages' rules (ketaclinic/domain/messaging.py): limits refused with the count, markup refused, the
nearest-rank median and 90th percentile of time to first reply."""

from __future__ import annotations

import datetime as dt

import pytest

from ketaclinic.domain import messaging as rules

T0 = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


class TestText:
    def test_empty_is_asked_for_unless_optional(self) -> None:
        assert rules.text_problem("", label="Your message", limit=10) == "Your message: please write something."
        assert rules.text_problem("", label="Note", limit=10, required=False) == ""

    def test_over_the_limit_says_the_count_and_the_limit(self) -> None:
        said = rules.text_problem("x" * 100_000, label="Your message", limit=rules.TEXT_MAX_CHARS)
        assert "100,000 characters" in said and "5,000" in said and "Nothing was sent" in said

    def test_the_limit_itself_is_fine(self) -> None:
        assert rules.text_problem("x" * rules.TEXT_MAX_CHARS, label="M", limit=rules.TEXT_MAX_CHARS) == ""

    @pytest.mark.parametrize(
        "text", ["<script>alert(1)</script>", "hi <b>there</b>", "</p>", "<!-- x -->", "<img src=x>"]
    )
    def test_markup_is_refused(self, text: str) -> None:
        assert "plain text" in rules.text_problem(text, label="M", limit=100)

    @pytest.mark.parametrize("text", ["I feel better <3", "dose a < b and c > d", "5 < 6"])
    def test_angle_brackets_in_plain_words_pass(self, text: str) -> None:
        assert rules.text_problem(text, label="M", limit=100) == ""


class TestPercentiles:
    def test_nearest_rank(self) -> None:
        values = [15, 20, 35, 40, 50]
        assert rules.nearest_rank(values, 0.5) == 35
        assert rules.nearest_rank(values, 0.9) == 50
        assert rules.nearest_rank([7], 0.9) == 7
        assert rules.nearest_rank(list(range(1, 11)), 0.9) == 9

    @pytest.mark.parametrize(("values", "fraction"), [([], 0.5), ([1], 0), ([1], 1.5)])
    def test_bad_arguments(self, values: list[float], fraction: float) -> None:
        with pytest.raises(ValueError):
            rules.nearest_rank(values, fraction)

    def test_response_times(self) -> None:
        pairs = [(T0, T0 + dt.timedelta(minutes=m)) for m in (30, 60, 90, 120, 600)] + [(T0, None)]
        times = rules.response_times(pairs)
        assert times == rules.ResponseTimes(answered=5, median_min=90, p90_min=600, unanswered=1)

    def test_nothing_answered(self) -> None:
        assert rules.response_times([(T0, None)]) == rules.ResponseTimes(0, None, None, 1)
        assert rules.response_times([]) == rules.ResponseTimes(0, None, None, 0)


@pytest.mark.parametrize(
    ("minutes", "words"),
    [
        (None, "–"),
        (0.4, "0 min"),
        (59, "59 min"),
        (60, "1 h"),
        (95, "1 h 35 min"),
        (48 * 60, "2 d"),
        (50 * 60, "2 d 2 h"),
    ],
)
def test_duration_words(minutes: float | None, words: str) -> None:
    assert rules.duration_words(minutes) == words
