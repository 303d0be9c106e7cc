"""The chair's container choice (issue 15, item 5): expired and quarantined stock is never offered or started from,
what expires soon is marked, and expiry is judged on the clinic's calendar day (Chicago), not UTC's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.infusions import forms, services
from ketaclinic.infusions.queries import containers_for
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import Lot
from ketaclinic.ledger.queries import expiry_window
from tests.infusions.conftest import check_in, complete_check_in, fresh, start_esk
from tests.ledger.conftest import receive

D = Decimal
pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")


def test_the_chair_offers_a_vial_through_its_expiry_day_in_the_clinics_zone(
    alice: Any, iv_order: Any, stock: Any, main_st: Any
) -> None:
    session = check_in(iv_order, alice)
    today = dt.datetime.now(CHICAGO).date()
    day = today + dt.timedelta(days=5)
    (vial,) = receive(alice, main_st, stock["products"]["k10"], stock["supplier"], lot_number="SOON", expires_on=day)
    form = forms.StartForm(containers=containers_for(session), drawn_ml=None, window=expiry_window(main_st.clinic))
    labels = dict(form.fields["containers"].choices)
    assert labels[vial.pk].endswith(f"· expires in 5 days ({day:%Y-%m-%d})")
    assert "expires" not in labels[stock["vials"][0].pk]
    evening = dt.datetime.combine(day, dt.time(22, 30), tzinfo=CHICAGO)  # already tomorrow in UTC
    with time_machine.travel(evening, tick=False):
        assert vial in containers_for(session)
    with time_machine.travel(evening + dt.timedelta(hours=2), tick=False):
        assert vial not in containers_for(session)
        assert stock["vials"][0] in containers_for(session)


def test_quarantined_stock_is_never_offered_at_the_chair(alice: Any, iv_order: Any, stock: Any) -> None:
    session = check_in(iv_order, alice)
    vial = stock["vials"][1]
    ledger.quarantine(by=alice, container=vial, reason="cracked")
    assert vial not in containers_for(session)


def test_starting_from_an_expired_device_is_refused_and_changes_nothing(alice: Any, esk_order: Any, stock: Any) -> None:
    session = complete_check_in(check_in(esk_order, alice), alice)
    Lot.objects.filter(pk=stock["devices"][0].lot_id).update(expires_on=dt.date(2025, 2, 1))  # expired on the shelf
    with pytest.raises(ServiceError, match=r"expired on 2025-02-01.*never given"):
        start_esk(session, alice, stock)
    session = fresh(session)
    assert session.status == "check_in" and not session.administrations.exists()


def test_starting_from_a_quarantined_vial_is_refused(alice: Any, iv_order: Any, stock: Any) -> None:
    session = complete_check_in(check_in(iv_order, alice), alice)
    vial = stock["vials"][0]
    ledger.quarantine(by=alice, container=vial, reason="recalled lot")
    with pytest.raises(ServiceError, match=r"quarantined \(recalled lot\)"):
        services.start(by=alice, session=session, version=None, draws=[services.Draw(vial, D("4.00"))])
    assert fresh(session).status == "check_in"
