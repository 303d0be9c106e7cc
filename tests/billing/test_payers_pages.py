"""Payers (clinic admins, with the VERIFY rules shown unconfirmed until ticked) and coverage (front desk, admins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import Coverage, Payer
from ketaclinic.billing.services import payers

pytestmark = pytest.mark.django_db


def test_add_a_payer_and_confirm_a_rule(client_as: Any, dave: Any) -> None:
    client = client_as(dave)
    page = client.get("/billing/payers/").content.decode()
    assert "unconfirmed" in page and "Source:" in page
    response = client.post(
        "/billing/payers/",
        {"name": "Medicare B", "payer_id": "00952", "kind": "medicare", "filing_indicator": "MB", "is_active": "on"},
    )
    assert response.status_code == 302
    payer = Payer.objects.get()
    edit = client.get(f"/billing/payers/{payer.pk}/").content.decode()
    assert edit.count("unconfirmed") >= 5
    client.post(
        f"/billing/payers/{payer.pk}/",
        {
            "name": "Medicare B",
            "payer_id": "00952",
            "kind": "medicare",
            "filing_indicator": "MB",
            "is_active": "on",
            "confirmed_rules": ["medicare_g_code_excludes_em"],
        },
    )
    payer.refresh_from_db()
    assert payer.confirmed_rules == ["medicare_g_code_excludes_em"]
    assert AuditEvent.objects.filter(action="billing.payer.save").count() == 2


def test_payer_refusals(dave: Any, carol: Any) -> None:
    with pytest.raises(ServiceError, match="filing indicator"):
        payers.save_payer(by=dave, name="X", kind="medicare", filing_indicator="QQ")
    with pytest.raises(ServiceError, match="Unknown rule"):
        payers.save_payer(by=dave, name="X", kind="medicare", filing_indicator="MB", confirmed_rules=["nope"])
    with pytest.raises(PermissionDenied):
        payers.save_payer(by=carol, name="X", kind="medicare", filing_indicator="MB")
    payers.save_payer(by=dave, name="X", kind="medicare", filing_indicator="MB")
    with pytest.raises(ServiceError, match="already has"):
        payers.save_payer(by=dave, name="X", kind="commercial", filing_indicator="CI")
    assert Payer.objects.count() == 1


def test_coverage_is_added_with_clear_errors(client_as: Any, dave: Any, carol: Any, pat: Any) -> None:
    payer = payers.save_payer(by=dave, name="Acme", payer_id="A1", kind="commercial", filing_indicator="CI")
    client = client_as(carol)
    url = f"/billing/patients/{pat.pk}/coverage/"
    bad = client.post(url, {"payer": payer.pk, "member_id": "W 1*", "priority": "P", "effective_from": "2026-01-01"})
    assert bad.status_code == 422 and "member id" in bad.content.decode()
    backwards = client.post(
        url,
        {
            "payer": payer.pk,
            "member_id": "W1",
            "priority": "P",
            "effective_from": "2026-02-01",
            "effective_to": "2026-01-01",
        },
    )
    assert backwards.status_code == 422 and not Coverage.objects.exists()
    ok = client.post(url, {"payer": payer.pk, "member_id": "W1", "priority": "P", "effective_from": "2026-01-01"})
    assert ok.status_code == 302
    coverage = Coverage.objects.get()
    ended = payers.end_coverage(by=carol, coverage=coverage, effective_to=dt.date(2026, 6, 30), reason="Plan ended")
    assert ended.effective_to == dt.date(2026, 6, 30) and Coverage.objects.count() == 1
