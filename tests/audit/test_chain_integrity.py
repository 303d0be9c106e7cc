"""Issue 13: the audit chain resists an attacker with database access (security.md H5): a keyed chain, signed
checkpoints kept off-site, and no TRUNCATE on PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import override_settings

from ketaclinic import cli
from ketaclinic.audit import chain, checkpoints, guards, services
from ketaclinic.audit.models import AuditChainHead, AuditEvent


def recompute_without_key(from_seq: int = 1) -> None:
    """The attacker drops the guard and re-links every row from ``from_seq`` with plain SHA-256 (no key), then the
    head, as a tool that knows the old hashing would."""
    guards.remove(connection, "audit_auditevent")
    previous = AuditEvent.objects.get(seq=from_seq - 1).entry_hash if from_seq > 1 else chain.GENESIS_HASH
    for event in AuditEvent.objects.filter(seq__gte=from_seq).order_by("seq"):
        entry_hash = chain.link_hash(previous, event.hashed_content())
        AuditEvent.objects.filter(pk=event.pk).update(prev_hash=previous, entry_hash=entry_hash)
        previous = entry_hash
    AuditChainHead.objects.filter(pk=1).update(last_hash=previous)


def test_an_edited_row_rehashed_without_the_key_is_detected(alice: Any, pat: Any, capsys: Any) -> None:
    target = AuditEvent.objects.order_by("seq")[1]
    guards.remove(connection, "audit_auditevent")
    AuditEvent.objects.filter(pk=target.pk).update(action="patient.nothing_to_see")
    recompute_without_key()
    broken = services.verify()
    assert broken is not None and broken.seq == 1 and "without the chain key" in broken.reason
    assert cli.main(["audit", "verify"]) == 1
    assert "audit chain BROKEN at audit event #1" in capsys.readouterr().err


def test_moving_the_keyed_boundary_to_downgrade_the_chain_is_detected(alice: Any, pat: Any) -> None:
    last = AuditEvent.objects.order_by("-seq").first()
    recompute_without_key()
    # The attacker also claims every row predates the key: the marker's tag cannot be forged without it.
    AuditChainHead.objects.filter(pk=1).update(keyed_from_seq=last.seq + 1)
    broken = services.verify()
    assert broken is not None and "keyed-from marker" in broken.reason


def cut_off_newest(n: int) -> None:
    guards.remove(connection, "audit_auditevent")
    keep = AuditEvent.objects.order_by("-seq")[n]
    AuditEvent.objects.filter(seq__gt=keep.seq).delete()
    AuditChainHead.objects.filter(pk=1).update(last_seq=keep.seq, last_hash=keep.entry_hash)


def checkpoint_to(path: Path, capsys: Any) -> dict[str, Any]:
    assert cli.main(["audit", "checkpoint", "--append", str(path)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert json.loads(path.read_text().splitlines()[-1]) == printed
    return printed


def test_an_intact_chain_passes_its_checkpoints(alice: Any, pat: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "checkpoints.jsonl"
    first = checkpoint_to(path, capsys)
    assert first["chain"] == "audit" and first["count"] == AuditEvent.objects.order_by("-seq").first().seq
    services.record(actor=alice, action="test.later")
    checkpoint_to(path, capsys)
    assert cli.main(["audit", "verify", "--checkpoints", str(path)]) == 0
    out = capsys.readouterr().out
    assert "audit chain intact" in out and "no rewrite or truncation" in out


def test_cutting_off_the_newest_rows_passes_verify_but_not_the_checkpoints(
    alice: Any, pat: Any, tmp_path: Path, capsys: Any
) -> None:
    path = tmp_path / "checkpoints.jsonl"
    checkpoint = checkpoint_to(path, capsys)
    cut_off_newest(2)
    assert services.verify() is None  # the chain alone cannot tell: its head was moved back consistently
    assert cli.main(["audit", "verify", "--checkpoints", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"rewritten or truncated since the checkpoint at {checkpoint['taken_at']}" in err


def test_rows_cut_off_then_new_rows_written_are_detected(alice: Any, pat: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "checkpoints.jsonl"
    checkpoint_to(path, capsys)
    cut_off_newest(2)
    for _ in range(3):  # the clinic carries on: the count grows past the checkpoint again
        services.record(actor=alice, action="test.after_the_cut")
    assert services.verify() is None
    assert cli.main(["audit", "verify", "--checkpoints", str(path)]) == 1
    assert "no longer has the checkpointed hash" in capsys.readouterr().err


def test_a_forged_checkpoint_is_refused(alice: Any, pat: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "checkpoints.jsonl"
    genuine = checkpoint_to(path, capsys)
    forged = dict(genuine, count=genuine["count"] - 1)  # an edited line keeps the old signature
    with override_settings(KETACLINIC_CHAIN_KEY="another key that is at least thirty-two characters"):
        other_key = checkpoints.sign("audit", count=genuine["count"], head_hash=genuine["head_hash"]).to_line()
    path.write_text(json.dumps(forged) + "\n" + other_key + "\n")
    assert cli.main(["audit", "verify", "--checkpoints", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.count("bad signature") == 2 and "line 1" in err and "line 2" in err


def test_a_malformed_or_empty_checkpoint_file_is_an_error(alice: Any, tmp_path: Path, capsys: Any) -> None:
    path = tmp_path / "checkpoints.jsonl"
    path.write_text("not json\n")
    assert cli.main(["audit", "verify", "--checkpoints", str(path)]) == 1
    assert "line 1 is not a ketaclinic checkpoint" in capsys.readouterr().err
    path.write_text("")
    assert cli.main(["audit", "verify", "--checkpoints", str(path)]) == 1
    assert "holds no audit checkpoint" in capsys.readouterr().err


def test_a_broken_chain_is_never_checkpointed(alice: Any, pat: Any, tmp_path: Path, capsys: Any) -> None:
    guards.remove(connection, "audit_auditevent")
    AuditEvent.objects.filter(seq=2).update(action="x")
    assert cli.main(["audit", "checkpoint", "--append", str(tmp_path / "c.jsonl")]) == 1
    assert "no checkpoint taken" in capsys.readouterr().err
    assert not (tmp_path / "c.jsonl").exists()


def test_rows_from_before_the_key_still_verify_and_anchor_the_keyed_ones(alice: Any, pat: Any) -> None:
    """A database upgraded from the unkeyed scheme: rows before the head's marker keep plain SHA-256."""
    boundary = AuditEvent.objects.order_by("-seq").first().seq + 1
    recompute_without_key()  # stands in for rows written by the old version
    AuditChainHead.objects.filter(pk=1).update(
        keyed_from_seq=boundary, keyed_from_tag=chain.keyed_from_tag("audit", boundary)
    )
    guards.install(connection, "audit_auditevent")
    services.record(actor=alice, action="test.first_keyed")
    assert services.verify() is None
    guards.remove(connection, "audit_auditevent")
    AuditEvent.objects.filter(seq=1).update(action="x")  # an old row rewritten and re-hashed without the key
    recompute_without_key()
    broken = services.verify()
    assert broken is not None and broken.seq == boundary


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE")
@pytest.mark.django_db(transaction=True)  # no deferred trigger events pending, which PostgreSQL also refuses
def test_postgresql_refuses_truncate() -> None:
    for table in guards.APPEND_ONLY_TABLES:
        with (
            pytest.raises(DatabaseError, match="TRUNCATE refused"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"TRUNCATE {table} CASCADE")
