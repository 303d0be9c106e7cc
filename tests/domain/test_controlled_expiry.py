"""Expired and soon-expiring lots, judged on the clinic's calendar day."""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaclinic.domain.controlled import expiry as e

D = dt.date


def test_a_lot_is_usable_through_its_printed_date_and_expired_the_day_after() -> None:
    assert not e.is_expired(D(2026, 2, 28), D(2026, 2, 28))
    assert e.is_expired(D(2026, 2, 28), D(2026, 3, 1))


@pytest.mark.parametrize(
    ("expires_on", "state", "days_left", "label"),
    [
        (D(2026, 3, 1), e.EXPIRED, -1, "EXPIRED 2026-03-01"),
        (D(2026, 3, 2), e.SOON, 0, "expires today (2026-03-02)"),
        (D(2026, 3, 3), e.SOON, 1, "expires in 1 day (2026-03-03)"),
        (D(2026, 4, 1), e.SOON, 30, "expires in 30 days (2026-04-01)"),
        (D(2026, 4, 2), e.IN_DATE, 31, ""),
    ],
)
def test_states_around_the_default_30_day_warning(expires_on: D, state: str, days_left: int, label: str) -> None:
    result = e.expiry(expires_on, D(2026, 3, 2))
    assert (result.state, result.days_left, result.label) == (state, days_left, label)
    assert result.expired == (state == e.EXPIRED)
    assert result.soon == (state == e.SOON)


def test_the_warning_window_is_the_clinics_choice() -> None:
    assert e.expiry(D(2026, 3, 12), D(2026, 3, 2), soon_days=7).state == e.IN_DATE
    assert e.expiry(D(2026, 3, 2), D(2026, 3, 2), soon_days=0).state == e.SOON
    with pytest.raises(ValueError, match="soon_days"):
        e.expiry(D(2026, 3, 2), D(2026, 3, 2), soon_days=-1)
    with pytest.raises(ValueError, match="soon_days"):
        e.expiry(D(2026, 3, 2), D(2026, 3, 2), soon_days=e.SOON_DAYS_MAX + 1)


def test_an_expired_lot_is_received_only_into_quarantine_with_a_reason() -> None:
    with pytest.raises(e.ExpiryError, match="expired on 2024-05-31"):
        e.check_receipt(D(2024, 5, 31), D(2026, 3, 2), quarantine_reason="  ")
    assert e.check_receipt(D(2024, 5, 31), D(2026, 3, 2), quarantine_reason="shipped in error; for return") is True
    assert e.check_receipt(D(2027, 5, 31), D(2026, 3, 2), quarantine_reason="") is False
    assert e.check_receipt(D(2027, 5, 31), D(2026, 3, 2), quarantine_reason="carton crushed") is True


@given(st.dates(), st.dates(), st.integers(min_value=0, max_value=e.SOON_DAYS_MAX))
def test_expired_exactly_when_the_day_is_past_the_printed_date(expires_on: D, on: D, soon_days: int) -> None:
    result = e.expiry(expires_on, on, soon_days=soon_days)
    assert result.expired == e.is_expired(expires_on, on) == (on > expires_on)
    assert result.days_left == (expires_on - on).days
