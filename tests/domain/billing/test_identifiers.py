from __future__ import annotations

import pytest

from ketaclinic.domain.billing.identifiers import npi_problem, tax_id_problem


@pytest.mark.parametrize("npi", ["1234567893", "1245319599"])
def test_valid_npis_pass(npi: str) -> None:
    assert npi_problem(npi) is None


@pytest.mark.parametrize(
    ("npi", "words"),
    [("1234567890", "check digit"), ("123456789", "10 digits"), ("12345678a3", "10 digits")],
)
def test_invalid_npis_say_why(npi: str, words: str) -> None:
    problem = npi_problem(npi)
    assert problem is not None and words in problem


def test_tax_id_is_nine_digits() -> None:
    assert tax_id_problem("123456789") is None
    assert tax_id_problem("12-3456789") is not None
