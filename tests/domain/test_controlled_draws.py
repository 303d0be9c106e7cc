"""The draw rules: what a container can still give, and when a draw needs a reason (CLINIC POLICY 10 %)."""

from decimal import Decimal

import pytest

from ketaclinic.domain.controlled import draws

D = Decimal


def test_available_is_the_balance_less_what_is_held() -> None:
    assert draws.available_ml(D("20.00"), D("4.10")) == D("15.90")
    assert draws.available_ml(D("4.10"), D("4.10")) == D("0")


def test_available_never_goes_below_zero() -> None:
    # Only a bug could hold more than the balance; the answer is still "nothing left", never a negative volume.
    assert draws.available_ml(D("1.00"), D("2.00")) == D("0")


@pytest.mark.parametrize(("balance", "held"), [(D("-1"), D("0")), (D("1"), D("-0.01"))])
def test_negative_volumes_are_refused(balance: Decimal, held: Decimal) -> None:
    with pytest.raises(ValueError, match="never negative"):
        draws.available_ml(balance, held)


def test_difference_is_signed_and_rounded() -> None:
    assert draws.difference_percent(D("4.51"), D("4.10")) == D("10.0")
    assert draws.difference_percent(D("3.69"), D("4.10")) == D("-10.0")
    assert draws.difference_percent(D("40.00"), D("4.10")) == D("875.6")


def test_difference_needs_an_order() -> None:
    with pytest.raises(ValueError, match="positive"):
        draws.difference_percent(D("1"), D("0"))


def test_within_the_tolerance_no_reason_is_needed() -> None:
    assert not draws.needs_reason(D("4.51"), D("4.10"), draws.TOLERANCE_PERCENT_DEFAULT)  # exactly 10.0 %
    assert not draws.needs_reason(D("3.69"), D("4.10"), draws.TOLERANCE_PERCENT_DEFAULT)
    assert not draws.needs_reason(D("4.10"), D("4.10"), D("0"))


def test_beyond_the_tolerance_a_reason_is_needed_either_way() -> None:
    assert draws.needs_reason(D("4.52"), D("4.10"), draws.TOLERANCE_PERCENT_DEFAULT)
    assert draws.needs_reason(D("3.68"), D("4.10"), draws.TOLERANCE_PERCENT_DEFAULT)
    assert draws.needs_reason(D("40.00"), D("4.10"), draws.TOLERANCE_PERCENT_DEFAULT)
    assert draws.needs_reason(D("4.11"), D("4.10"), D("0"))


@pytest.mark.parametrize("tolerance", [D("-1"), D("100.1")])
def test_a_tolerance_outside_0_to_100_is_refused(tolerance: Decimal) -> None:
    with pytest.raises(ValueError, match="between 0 and 100"):
        draws.needs_reason(D("1"), D("1"), tolerance)
