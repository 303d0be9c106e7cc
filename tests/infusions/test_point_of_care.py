"""Safe at the point of care (issue 15, items 6 and 7): a paused infusion says so in the chair's header and on the
floor board; a scheduled reading needs the vital signs, not only a sedation score; an infusion ended short of its
ordered dose says why; IV and IM patients are observed for the protocol's minimum after the end of dosing unless a
prescriber writes why they may leave earlier."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketaclinic.infusions import services
from ketaclinic.infusions.services import events
from tests.conftest import sign_in
from tests.infusions.conftest import check_in, complete_check_in, fresh, start_iv


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def infusing(alice: Any, iv_order: Any, stock: Any, clock: Any) -> Any:
    return start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)


@pytest.fixture
def long_idle(settings: Any) -> None:
    settings.KETACLINIC_IDLE_TIMEOUT_S = 24 * 3600


def local_hm(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


# --- A paused infusion is not "running" -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_paused_infusion_says_paused_since_when_in_the_header_and_on_the_board(
    client: Any, alice: Any, infusing: Any, clock: Any, long_idle: None
) -> None:
    assert events.paused_since(fresh(infusing)) is None
    clock.shift(dt.timedelta(minutes=12))
    pause = services.change_rate(by=alice, session=fresh(infusing), version=None, kind="pause", reason="nausea")
    assert events.paused_since(fresh(infusing)) == pause.at
    sign_in(client, alice)
    with timezone.override(infusing.location.clinic.timezone):
        since = f"Infusion paused since {local_hm(pause.at)}"
    for page in (
        client.get(reverse("infusions:session", args=[infusing.pk])),
        client.get(reverse("infusions:status", args=[infusing.pk])),
        client.get(reverse("infusions:board_rows")),
    ):
        text = page.content.decode()
        assert since in text and "Infusion running" not in text
    clock.shift(dt.timedelta(minutes=3))
    services.change_rate(by=alice, session=fresh(infusing), version=None, kind="resume", reason="settled")
    assert events.paused_since(fresh(infusing)) is None
    assert "Infusion running" in client.get(reverse("infusions:board_rows")).content.decode()
