"""`ketaclinic ledger verify` (CONTRACTS §2): exit 0 when the chain and the books are intact; 1 naming the first
broken entry, or the balance that no longer matches."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from ketaclinic import cli
from ketaclinic.audit import guards
from ketaclinic.ledger import services
from ketaclinic.ledger.models import Container
from tests.ledger.conftest import receive

pytestmark = pytest.mark.django_db


def test_an_intact_ledger_exits_0(ledger: Any, main_st: Any, capsys: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    services.administer(by=ledger["nurse"], container=vial, patient=ledger["pat"], quantity_ml="4")
    assert cli.main(["ledger", "verify"]) == 0
    assert "ledger intact: 2 entries verified, 1 container balances" in capsys.readouterr().out


def test_an_empty_ledger_is_intact(db: Any, capsys: Any) -> None:
    assert cli.main(["ledger", "verify"]) == 0
    assert "0 entries verified" in capsys.readouterr().out


def test_tampering_is_named_with_exit_1(ledger: Any, main_st: Any, capsys: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    entry = services.administer(by=ledger["nurse"], container=vial, patient=ledger["pat"], quantity_ml="4").entry
    services.administer(by=ledger["nurse"], container=vial, patient=ledger["pat"], quantity_ml="1")
    guards.remove(connection, "ledger_ledgerentry")
    try:
        with connection.cursor() as cursor:  # someone "corrects" a dose in the database, without a reversal
            cursor.execute(
                "UPDATE ledger_ledgerentry SET quantity_ml = '-3.00', quantity_mg = '-30.00' WHERE id = %s", [entry.pk]
            )
    finally:
        guards.install(connection, "ledger_ledgerentry")
    assert cli.main(["ledger", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"ledger chain BROKEN at ledger entry #{entry.seq} (id {entry.pk})" in err
    assert "altered" in err
    assert "balance after is 16.00 mL but its container's entries sum to 17.00 mL" in err


def test_a_balance_changed_outside_the_ledger_exits_1(ledger: Any, main_st: Any, capsys: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    Container.objects.filter(pk=vial.pk).update(balance_ml="12.00")
    assert cli.main(["ledger", "verify"]) == 1
    err = capsys.readouterr().err
    assert "ledger chain BROKEN" not in err
    assert f"container {vial.label} (id {vial.pk}) holds 12.00 mL but its entries sum to 20.00 mL" in err
