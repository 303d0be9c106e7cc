"""The audit log: written with every write and chart read, append-only, hash-chained, verifiable (security.md H4–H6)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from ketaclinic import cli
from ketaclinic.audit import guards, services
from ketaclinic.audit.models import AuditEvent
from tests.conftest import sign_in


def tamper(sql: str, params: list[Any]) -> None:
    """What an attacker with database access would do: drop the guard, change a row."""
    guards.remove(connection, "audit_auditevent")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_opening_a_chart_writes_an_audit_event(alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    client.get(reverse("patients:chart", args=[pat.pk]), HTTP_USER_AGENT="TabletBrowser/1.0", REMOTE_ADDR="10.1.2.3")
    event = AuditEvent.objects.filter(action="patient.view_chart").get()
    assert (event.actor, event.patient_id, event.object_id) == (alice, pat.pk, str(pat.pk))
    assert event.ip_address == "10.1.2.3" and event.user_agent == "TabletBrowser/1.0"
    assert event.outcome == "success"


def test_a_write_and_its_audit_event_commit_or_roll_back_together(alice: Any, pat: Any) -> None:
    from ketaclinic.patients import services as patients

    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        patients.add_allergy(by=alice, patient=pat, substance="latex")
        raise RuntimeError("the request failed after the write")
    assert AuditEvent.objects.count() == before
    assert not pat.allergies.exists()


def test_the_chain_verifies_when_intact(alice: Any, pat: Any) -> None:
    assert AuditEvent.objects.count() > 3
    assert services.verify() is None


def test_altering_one_stored_row_makes_verify_fail_and_name_it(alice: Any, pat: Any, capsys: Any) -> None:
    target = AuditEvent.objects.order_by("seq")[2]
    tamper("UPDATE audit_auditevent SET action = %s WHERE id = %s", ["patient.nothing_to_see", target.pk])
    broken = services.verify()
    assert broken is not None and broken.seq == target.seq and "altered" in broken.reason
    assert cli.main(["audit", "verify"]) == 1
    assert f"#{target.seq}" in capsys.readouterr().err


def test_deleting_a_row_is_detected(alice: Any, pat: Any) -> None:
    target = AuditEvent.objects.order_by("seq")[1]
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [target.pk])
    broken = services.verify()
    assert broken is not None and broken.seq == target.seq and "missing" in broken.reason


def test_deleting_the_newest_rows_is_detected(alice: Any, pat: Any) -> None:
    newest = AuditEvent.objects.order_by("-seq").first()
    tamper("DELETE FROM audit_auditevent WHERE id = %s", [newest.pk])
    broken = services.verify()
    assert broken is not None and broken.seq == newest.seq


def test_verify_command_says_intact(alice: Any, capsys: Any) -> None:
    assert cli.main(["audit", "verify"]) == 0
    assert "audit chain intact" in capsys.readouterr().out


@pytest.mark.parametrize("statement", ["UPDATE audit_auditevent SET action = 'x'", "DELETE FROM audit_auditevent"])
def test_the_database_refuses_updates_and_deletes(alice: Any, statement: str) -> None:
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)


def test_the_orm_cannot_delete_audit_rows_either(alice: Any) -> None:
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()


def test_secrets_are_masked_in_details(alice: Any) -> None:
    event = services.record(
        actor=alice,
        action="test.event",
        detail={"password": "hunter2", "nested": {"otp_token": "123456"}, "field": "ok"},
    )
    assert event.detail == {"password": "***", "nested": {"otp_token": "***"}, "field": "ok"}


def test_the_viewer_filters_by_user_action_patient_and_date(dave: Any, alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    client.get(reverse("patients:chart", args=[pat.pk]))
    sign_in(client, dave)
    page = client.get(
        reverse("audit:list"), {"user": alice.pk, "action": "patient.view", "mrn": pat.mrn}
    ).content.decode()
    assert "patient.view_chart" in page and "user.create" not in page
    page = client.get(reverse("audit:list"), {"date_from": "2001-01-02", "date_to": "2001-01-01"}).content.decode()
    assert "The end date is before the start date." in page


def test_csv_export_has_the_events_and_is_itself_audited(dave: Any, alice: Any, pat: Any, client: Any) -> None:
    sign_in(client, alice)
    client.get(reverse("patients:chart", args=[pat.pk]))
    sign_in(client, dave)
    response = client.get(reverse("audit:export"), {"action": "patient.view_chart"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:4] == ["seq", "occurred_at_utc", "user", "action"]
    assert [row[3] for row in rows[1:]] == ["patient.view_chart"]
    assert AuditEvent.objects.filter(action="audit.export", actor=dave).exists()


def test_a_denied_page_is_audited(carol: Any, client: Any) -> None:
    sign_in(client, carol)
    assert client.get(reverse("audit:list")).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor=carol, outcome="denied").exists()
