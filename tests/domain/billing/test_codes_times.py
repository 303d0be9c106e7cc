from __future__ import annotations

import datetime as dt

import pytest

from ketaclinic.domain.billing.codes import CODES, code_in_effect, label_for
from ketaclinic.domain.billing.times import em_code_for_time, iv_infusion_codes, prolonged_units

EXPECTED = [
    "96365",
    "96366",
    "96374",
    "96372",
    "99202",
    "99203",
    "99204",
    "99205",
    "99212",
    "99213",
    "99214",
    "99215",
    "99417",
    "G2212",
    "99415",
    "99416",
    "G2082",
    "G2083",
    "S0013",
    "J0013",
    "J3490",
    "90791",
    "90792",
    "90833",
    "90836",
    "90838",
]


def test_every_code_is_there_with_a_label_and_source() -> None:
    assert set(CODES) == set(EXPECTED)
    for code in CODES.values():
        assert code.label and code.source and code.system in ("CPT", "HCPCS")
        assert len(code.label) < 70  # our own short words, not descriptor text


def test_labels_are_our_own_words() -> None:
    assert label_for("96365") == "IV infusion, first hour"
    assert "Intravenous infusion, for therapy" not in " ".join(c.label for c in CODES.values())
    with pytest.raises(KeyError, match="not a billing code"):
        label_for("99999")


@pytest.mark.parametrize(
    ("code", "day", "valid"),
    [
        ("S0013", dt.date(2025, 12, 31), True),
        ("S0013", dt.date(2026, 1, 1), False),
        ("J0013", dt.date(2025, 12, 31), False),
        ("J0013", dt.date(2026, 1, 1), True),
        ("G2082", dt.date(2019, 12, 31), False),
        ("96365", dt.date(2010, 1, 1), True),
        ("T1503", dt.date(2026, 1, 1), False),
    ],
)
def test_code_in_effect(code: str, day: dt.date, valid: bool) -> None:
    assert code_in_effect(code, day) is valid


@pytest.mark.parametrize(
    ("minutes", "codes"),
    [
        (1, [("96374", 1)]),
        (15, [("96374", 1)]),
        (16, [("96365", 1)]),
        (40, [("96365", 1)]),
        (60, [("96365", 1)]),
        (90, [("96365", 1)]),
        (91, [("96365", 1), ("96366", 1)]),
        (120, [("96365", 1), ("96366", 1)]),
        (150, [("96365", 1), ("96366", 1)]),
        (151, [("96365", 1), ("96366", 2)]),
        (240, [("96365", 1), ("96366", 3)]),
    ],
)
def test_iv_infusion_codes(minutes: int, codes: list[tuple[str, int]]) -> None:
    assert iv_infusion_codes(minutes) == codes


def test_iv_infusion_needs_a_time() -> None:
    with pytest.raises(ValueError, match="at least 1 minute"):
        iv_infusion_codes(0)


@pytest.mark.parametrize(
    ("minutes", "new", "code"),
    [
        (9, False, None),
        (10, False, "99212"),
        (20, False, "99213"),
        (25, False, "99213"),
        (30, False, "99214"),
        (40, False, "99215"),
        (200, False, "99215"),
        (14, True, None),
        (15, True, "99202"),
        (30, True, "99203"),
        (45, True, "99204"),
        (60, True, "99205"),
    ],
)
def test_em_code_for_time(minutes: int, new: bool, code: str | None) -> None:
    assert em_code_for_time(minutes, new) == code


def test_em_time_cannot_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        em_code_for_time(-1, False)


@pytest.mark.parametrize(
    ("em", "minutes", "payer", "result"),
    [
        ("99215", 54, "commercial", None),
        ("99215", 55, "commercial", ("99417", 1)),
        ("99215", 69, "commercial", ("99417", 1)),
        ("99215", 70, "commercial", ("99417", 2)),
        ("99205", 74, "self_pay", None),
        ("99205", 75, "medicaid", ("99417", 1)),
        ("99215", 68, "medicare", None),
        ("99215", 69, "medicare", ("G2212", 1)),
        ("99215", 84, "medicare", ("G2212", 2)),
        ("99205", 89, "medicare", ("G2212", 1)),
        ("99214", 200, "commercial", None),
    ],
)
def test_prolonged_units(em: str, minutes: int, payer: str, result: tuple[str, int] | None) -> None:
    assert prolonged_units(em, minutes, payer) == result


def test_prolonged_unknown_payer() -> None:
    with pytest.raises(ValueError, match="Unknown payer kind"):
        prolonged_units("99215", 60, "aetna")
