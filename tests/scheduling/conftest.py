"""Calendar fixtures built through the real services (STYLE.md): Main open 07:00–19:00 every day with two equipped
chairs and a room, a 1:2 nurse ratio, and alice (nurse) and bob (prescriber) rostered all of ``DAY``."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

CHI = ZoneInfo("America/Chicago")


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHI)


def a_future_day(days: int = 7) -> dt.date:
    return timezone.now().astimezone(CHI).date() + dt.timedelta(days=days)


def set_up_location(dave: Any, location: Any, *, ratio: int | None = 2) -> dict[str, Any]:
    from ketaclinic.scheduling import services

    services.save_settings(
        by=dave,
        clinic=location.clinic,
        patients_per_nurse=ratio,
        turnover_min=15,
        checkin_min=15,
        closed_on_federal_holidays=False,
    )
    for weekday in range(7):
        services.add_hours(by=dave, location=location, weekday=weekday, opens_at=dt.time(7), closes_at=dt.time(19))
    full = {"has_infusion_pump": True, "has_monitor": True, "has_pulse_oximeter": True, "is_recliner": True}
    return {
        "chair1": services.save_chair(by=dave, location=location, label="Chair 1", **full),
        "chair2": services.save_chair(by=dave, location=location, label="Chair 2", **full),
        "room": services.save_chair(by=dave, location=location, label="Room A", kind="room"),
    }


def roster(dave: Any, location: Any, day: dt.date, *people: Any) -> None:
    from ketaclinic.scheduling import services

    for person in people:
        services.add_shift(by=dave, user=person, location=location, starts_at=local(day, 7), ends_at=local(day, 19))


@pytest.fixture
def day() -> dt.date:
    return a_future_day()


@pytest.fixture
def floor(dave: Any, main_st: Any, alice: Any, bob: Any, day: dt.date) -> dict[str, Any]:
    chairs = set_up_location(dave, main_st)
    roster(dave, main_st, day, alice, bob)
    return chairs


@pytest.fixture
def ready(pat: Any, bob: Any) -> Any:
    from tests.infusions.conftest import make_ready_patient

    return make_ready_patient(pat, bob)


@pytest.fixture
def iv_order(ready: Any, bob: Any) -> Any:
    from tests.infusions.conftest import make_iv_order

    return make_iv_order(ready, bob)


@pytest.fixture
def esk_order(ready: Any, bob: Any) -> Any:
    from tests.infusions.conftest import make_esk_order

    return make_esk_order(ready, bob)
