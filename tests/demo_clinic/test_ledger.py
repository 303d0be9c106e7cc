"""The demo clinic's ledger is consistent: the chain verifies, the books balance, and it tells a believable day."""

from __future__ import annotations

import pytest

from ketaclinic.ledger import services
from ketaclinic.ledger.models import Discrepancy, Inventory, Kind, LedgerEntry
from ketaclinic.ledger.services import witnesses

pytestmark = pytest.mark.django_db


def test_the_demo_ledger_verifies_and_balances() -> None:

    result = services.verify()
    assert result.intact, (result.chain_break, result.problems)
    kinds = set(LedgerEntry.objects.values_list("kind", flat=True))
    assert {Kind.RECEIPT, Kind.ADMINISTER, Kind.WASTE, Kind.INVENTORY_COUNT, Kind.ADJUSTMENT} <= kinds
    assert Inventory.objects.filter(kind="initial", status="finalised").count() == 2
    assert LedgerEntry.objects.filter(kind=Kind.ADMINISTER).values("location").distinct().count() == 2
    assert not LedgerEntry.objects.filter(backdated=True).exists()
    assert set(LedgerEntry.objects.exclude(witness=None).values_list("witness_method", flat=True)) == {
        witnesses.DEMO_LOADER
    }
    assert Discrepancy.objects.get().status == "annotated"
    for entry in LedgerEntry.objects.filter(kind=Kind.ADMINISTER).select_related("patient"):
        assert entry.patient is not None and entry.patient.location_id == entry.location_id
        assert entry.session_reference
