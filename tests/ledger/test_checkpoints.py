"""Issue 13 for the ledger (controlled-substances.md invariant 9): a keyed chain, signed checkpoints kept off-site,
`ketaclinic ledger checkpoint` and `ketaclinic ledger verify --checkpoints FILE`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from ketaclinic import cli
from ketaclinic.audit import chain, checkpoints, guards
from ketaclinic.ledger import services
from ketaclinic.ledger.models import LedgerChainHead, LedgerEntry
from tests.ledger.conftest import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(ledger: Any, main_st: Any) -> list[LedgerEntry]:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    for ml in ("4", "1", "2"):
        services.administer(by=ledger["nurse"], container=vial, patient=ledger["pat"], quantity_ml=ml)
    return list(LedgerEntry.objects.order_by("seq"))


def checkpoint_to(path: Path, capsys: Any) -> dict[str, Any]:
    assert cli.main(["ledger", "checkpoint", "--append", str(path)]) == 0
    return dict(json.loads(capsys.readouterr().out))


def test_an_intact_ledger_passes_its_checkpoints(entries: list[LedgerEntry], tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "offsite.jsonl"
    checkpoint = checkpoint_to(path, capsys)
    assert (checkpoint["chain"], checkpoint["count"]) == ("ledger", entries[-1].seq)
    assert checkpoint["head_hash"] == entries[-1].entry_hash
    assert cli.main(["ledger", "verify", "--checkpoints", str(path)]) == 0
    assert "ledger intact: 4 entries verified" in capsys.readouterr().out


def test_a_dose_edited_and_rehashed_without_the_key_is_detected(entries: list[LedgerEntry], capsys: Any) -> None:
    guards.remove(connection, "ledger_ledgerentry")
    LedgerEntry.objects.filter(pk=entries[1].pk).update(actor_name="Someone Else")
    previous = chain.GENESIS_HASH
    for entry in LedgerEntry.objects.order_by("seq"):  # the attacker re-links everything with plain SHA-256
        entry_hash = chain.link_hash(previous, entry.hashed_content())
        LedgerEntry.objects.filter(pk=entry.pk).update(prev_hash=previous, entry_hash=entry_hash)
        previous = entry_hash
    LedgerChainHead.objects.filter(pk=1).update(last_hash=previous)
    assert cli.main(["ledger", "verify"]) == 1
    assert "ledger chain BROKEN at ledger entry #1" in capsys.readouterr().err


def test_cutting_off_the_newest_entries_is_caught_by_a_checkpoint(
    ledger: Any, entries: list[LedgerEntry], tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "offsite.jsonl"
    checkpoint = checkpoint_to(path, capsys)
    guards.remove(connection, "ledger_ledgerentry")
    # The last dose is made to vanish: the entry, the head and the container balance are all put back consistently.
    last = entries[-1]
    LedgerEntry.objects.filter(pk=last.pk).delete()
    LedgerChainHead.objects.filter(pk=1).update(last_seq=entries[-2].seq, last_hash=entries[-2].entry_hash)
    last.container.__class__.objects.filter(pk=last.container_id).update(balance_ml=entries[-2].balance_after_ml)
    assert services.verify().intact  # the chain and the books alone cannot tell
    assert cli.main(["ledger", "verify", "--checkpoints", str(path)]) == 1
    err = capsys.readouterr().err
    assert "ledger checkpoint FAILED" in err
    assert f"rewritten or truncated since the checkpoint at {checkpoint['taken_at']}" in err


def test_a_forged_ledger_checkpoint_is_refused(entries: list[LedgerEntry], tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "offsite.jsonl"
    with override_settings(KETACLINIC_CHAIN_KEY="an attacker's own key, thirty-two characters or more"):
        forged = checkpoints.sign("ledger", count=1, head_hash=entries[0].entry_hash)
    path.write_text(forged.to_line() + "\n")
    assert cli.main(["ledger", "verify", "--checkpoints", str(path)]) == 1
    assert "bad signature" in capsys.readouterr().err


def test_audit_checkpoints_in_the_same_file_are_left_to_audit_verify(
    entries: list[LedgerEntry], tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "offsite.jsonl"
    assert cli.main(["audit", "checkpoint", "--append", str(path)]) == 0
    capsys.readouterr()
    checkpoint_to(path, capsys)
    assert cli.main(["ledger", "verify", "--checkpoints", str(path)]) == 0
    assert cli.main(["audit", "verify", "--checkpoints", str(path)]) == 0
