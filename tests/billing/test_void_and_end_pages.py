"""A superbill is voided, and a coverage ended, from their pages with a reason (audited); refusals write nothing and
nothing is deleted."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import Coverage, Superbill
from ketaclinic.billing.services import payers, superbills
from tests.billing.claims_world import FEES, billing_fixture, cover, session  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_superbill_is_voided_from_its_page_with_a_reason(
    client_as: Any, carol: Any, bob: Any, alice: Any, pat: Any, billing: Any
) -> None:
    bill = superbills.generate_superbill(by=carol, sessions=[session(pat, bob, "iv", "40", infusion_min=40)], fees=FEES)
    client = client_as(carol)
    page = client.get(f"/billing/superbills/{bill.pk}/").content.decode()
    assert "Void superbill" in page and f"/billing/superbills/{bill.pk}.pdf" in page
    url = f"/billing/superbills/{bill.pk}/void/"
    refused = client.post(url, {"reason": "   "})
    assert refused.status_code == 422 and "This field is required." in refused.content.decode()
    assert Superbill.objects.get().void_reason == ""
    done = client.post(url, {"reason": "Wrong date of service"}, follow=True)
    text = done.content.decode()
    assert "Superbill 1 is void." in text.replace(str(bill.pk), "1") and "Wrong date of service" in text
    assert "Void superbill" not in text
    assert Superbill.objects.get().void_reason == "Wrong date of service"
    event = AuditEvent.objects.get(action="billing.superbill.void")
    assert event.actor == carol and event.detail == {"reason": "Wrong date of service"}
    again = client.post(url, {"reason": "again"})
    assert again.status_code == 422 and "already void" in again.content.decode()
    # the new-superbill page lists it as void and links to its page
    listing = client.get(f"/billing/superbills/new/{bill.sessions.get().pk}/").content.decode()
    assert f"/billing/superbills/{bill.pk}/" in listing and "(void)" in listing
    nurse = client_as(alice)  # reads the superbill, cannot void it
    assert "Void superbill" not in nurse.get(f"/billing/superbills/{bill.pk}/").content.decode()
    assert nurse.post(url, {"reason": "x"}).status_code == 403


def test_a_coverage_is_ended_from_the_coverage_page_with_a_reason(
    client_as: Any, carol: Any, pat: Any, billing: Any
) -> None:
    coverage = cover(carol, pat, billing["acme"])
    end = coverage.effective_from + dt.timedelta(days=30)
    client = client_as(carol)
    page = client.get(f"/billing/patients/{pat.pk}/coverage/").content.decode()
    assert "End this coverage" in page and f"/billing/coverage/{coverage.pk}/end/" in page
    url = f"/billing/coverage/{coverage.pk}/end/"
    no_reason = client.post(url, {"effective_to": end.isoformat(), "reason": ""})
    assert no_reason.status_code == 422 and "Not ended:" in no_reason.content.decode()
    before_start = client.post(url, {"effective_to": "1999-01-01", "reason": "Plan ended"})
    assert before_start.status_code == 422 and "ends after it starts" in before_start.content.decode()
    assert Coverage.objects.get().effective_to is None and not AuditEvent.objects.filter(action="billing.coverage.end")
    done = client.post(url, {"effective_to": end.isoformat(), "reason": "Card says the plan ended"}, follow=True)
    text = done.content.decode()
    assert f"ends on {end.isoformat()}" in text and "ended: Card says the plan ended" in text
    ended = Coverage.objects.get()
    assert (ended.effective_to, ended.end_reason) == (end, "Card says the plan ended")
    event = AuditEvent.objects.get(action="billing.coverage.end")
    assert event.detail["reason"] == "Card says the plan ended" and event.detail["was"] is None
    later = client.post(url, {"effective_to": (end + dt.timedelta(days=1)).isoformat(), "reason": "Moved"})
    assert later.status_code == 422 and "only moved earlier" in later.content.decode()
    assert Coverage.objects.get().effective_to == end


def test_the_end_coverage_service_needs_a_reason(carol: Any, pat: Any, billing: Any) -> None:
    coverage = cover(carol, pat, billing["acme"])
    with pytest.raises(ServiceError, match="Say why"):
        payers.end_coverage(by=carol, coverage=coverage, effective_to=dt.date.today(), reason=" ")
    with pytest.raises(ServiceError, match="at most 500"):
        payers.end_coverage(by=carol, coverage=coverage, effective_to=dt.date.today(), reason="x" * 501)
    assert Coverage.objects.get().effective_to is None
