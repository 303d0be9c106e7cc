"""Token rows past their expiry and the retention window (ketaclinic/portal/retention.py): sign-in links, link
requests and the form double-submit guards are deleted; visit links and waiting-list offer links are closed (their
row stays for the front desk's queue and the offer's outcome); the audit log keeps the counts, never a token."""

from __future__ import annotations

import datetime as dt
import uuid
from io import StringIO
from typing import Any

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from ketaclinic.accounts.models import FormSubmission
from ketaclinic.audit.models import AuditEvent
from ketaclinic.cli import SCHEDULED_JOBS
from ketaclinic.portal import retention
from ketaclinic.portal.models import SignInLink, SignInRequest
from ketaclinic.scheduling.models import AppointmentMessage, WaitingOffer
from ketaclinic.scheduling.services import reminders
from tests.portal.conftest import ask_for_link
from tests.scheduling.conftest import iv_order  # noqa: F401  (fixture used here)
from tests.scheduling.test_waiting import offer_both, scene  # noqa: F401  (fixture used here)
from tests.scheduling.waiting_scene import Scene

pytestmark = pytest.mark.django_db


def test_fresh_rows_stay_and_old_ones_go(client: Any, pat: Any, visit: Any, settings: Any) -> None:
    settings.KETACLINIC_TOKEN_RETENTION_DAYS = 30
    ask_for_link(client, pat.email)
    reminders.run_reminders(base_url="https://clinic.example")
    FormSubmission.objects.create(token=uuid.uuid4(), form="PatientForm")
    message = AppointmentMessage.objects.get()
    assert SignInLink.objects.count() == 1 and SignInRequest.objects.count() == 1
    assert retention.purge_tokens() == retention.Purged(0, 0, 0, 0, 0, 0)
    assert not AuditEvent.objects.filter(action="tokens.purge").exists()

    later = message.expires_at + dt.timedelta(days=31)
    result = retention.purge_tokens(now=later)
    assert result == retention.Purged(1, 1, 1, 0, 1, 0)
    assert not SignInLink.objects.exists() and not SignInRequest.objects.exists()
    assert not FormSubmission.objects.exists()
    message.refresh_from_db()  # the row stays (what was sent, the patient's answer), its link does not
    assert message.token_hash == f"{retention.PURGED}{message.pk}" and message.sent_at is not None
    event = AuditEvent.objects.get(action="tokens.purge")
    assert event.detail["sign_in_links"] == 1 and event.detail["retention_days"] == 30
    assert retention.purge_tokens(now=later) == retention.Purged(0, 0, 0, 0, 0, 0)  # idempotent


def test_inside_the_window_nothing_goes(client: Any, pat: Any, settings: Any) -> None:
    settings.KETACLINIC_TOKEN_RETENTION_DAYS = 30
    ask_for_link(client, pat.email)
    link = SignInLink.objects.get()
    assert retention.purge_tokens(now=link.expires_at + dt.timedelta(days=29)).sign_in_links == 0
    assert SignInLink.objects.exists() and SignInRequest.objects.exists()


def test_a_closed_waiting_list_offer_link_opens_nothing(carol: Any, main_st: Any, scene: Scene) -> None:  # noqa: F811
    slot = offer_both(carol, main_st, scene)
    token = mail.outbox[0].body.split("/a/o/")[1].split("/")[0]
    result = retention.purge_tokens(now=slot.expires_at + dt.timedelta(days=31))
    assert result.waiting_offers == 2 and WaitingOffer.objects.count() == 2
    assert all(o.token_hash.startswith(retention.PURGED) for o in WaitingOffer.objects.all())
    from ketaclinic.scheduling.services import waiting

    with pytest.raises(reminders.LinkUnavailable):
        waiting.find_offer(token, client="test")


def test_the_command_runs_with_the_scheduled_jobs(pat: Any) -> None:
    assert ("purge_tokens",) in SCHEDULED_JOBS
    out = StringIO()
    call_command("purge_tokens", stdout=out)
    assert "portal sign-in links deleted: 0" in out.getvalue()
    assert timezone.now()
