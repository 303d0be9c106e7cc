"""The scheduler and `send_questionnaires`: links come from the plan, running twice (or racing) gives the same links,
sending records channel, masked address, attempts and errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from typing import Any
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.followup.services import questionnaires as service
from ketaclinic.followup.services import schedule as scheduler
from ketaclinic.outcomes import sms
from ketaclinic.patients import services as patients
from ketaclinic.plans.models import SessionOrder, TreatmentPlan
from tests.followup.questionnaire_factories import BASE, GAD7, PHQ9_CALM, signed_plan, token_from

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def locmem_sms(settings: Any) -> Any:
    settings.KETACLINIC_SMS_BACKEND = "ketaclinic.outcomes.sms.LocmemSmsBackend"
    sms.LocmemSmsBackend.outbox.clear()
    return sms.LocmemSmsBackend.outbox


@pytest.fixture
def plan(pat: Any, bob: Any) -> Any:
    return signed_plan(pat, bob)


def first_order(version: Any) -> Any:
    return version.orders.order_by("session_number").first()


def test_a_pre_session_link_for_the_first_session_and_running_twice_changes_nothing(plan: Any, pat: Any) -> None:
    order = first_order(plan)
    first = scheduler.run_schedule(base_url=BASE)
    assert f"pre:{order.pk}" in first.issued and len(first.sent) == len(first.issued)
    link = QuestionnaireLink.objects.get(schedule_key=f"pre:{order.pk}")
    assert (link.purpose, link.session_order, link.instruments) == ("pre_session", order, ["phq9", "gad7"])
    assert link.due_on == order.target_date and link.created_by is None
    zone = service.clinic_zone(pat)
    assert timezone.localtime(link.expires_at, zone) == dt.datetime.combine(
        order.target_date + dt.timedelta(days=1), dt.time.min, tzinfo=zone
    )  # closes when the session's day ends
    assert (link.channel, link.sent_to, link.send_attempts, link.last_error) == ("email", "p***@example.org", 1, "")
    assert mail.outbox[-1].to == ["pat@example.org"] and token_from(mail.outbox[-1].body)
    count, mails = QuestionnaireLink.objects.count(), len(mail.outbox)
    second = scheduler.run_schedule(base_url=BASE)
    assert second.issued == [] and f"pre:{order.pk}" in second.already and second.sent == []
    assert (QuestionnaireLink.objects.count(), len(mail.outbox)) == (count, mails)


def test_a_race_on_the_same_key_returns_the_winners_link_and_the_transaction_goes_on(pat: Any) -> None:
    kwargs = {
        "by": None,
        "patient": pat,
        "purpose": "follow_up",
        "scales": ("phq9",),
        "schedule_key": "fu:1:2026-01-01",
        "due_on": dt.date(2026, 1, 1),
        "expires_at": timezone.now() + dt.timedelta(hours=1),
    }
    winner = service.issue_link(**kwargs).link
    with transaction.atomic(), mock.patch.object(service, "_existing", return_value=None):
        # The other machine inserted between our look-up and our insert: the unique key refuses ours.
        loser = service.issue_link(**kwargs)
        assert (loser.link.pk, loser.created) == (winner.pk, False)
        assert QuestionnaireLink.objects.count() == 1  # the transaction is still usable after the savepoint
    assert QuestionnaireLink.objects.count() == 1


def test_a_stopped_plan_gets_no_questionnaires(plan: Any) -> None:
    TreatmentPlan.objects.filter(pk=plan.plan_id).update(status="stopped")
    assert scheduler.run_schedule(base_url=BASE).issued == []
    assert not QuestionnaireLink.objects.exists()


def test_after_the_series_a_follow_up_every_14_days_from_the_latest_score(plan: Any, pat: Any) -> None:
    last = plan.orders.order_by("-target_date").first().target_date
    plan.orders.update(status=SessionOrder.Status.GIVEN)
    zone = service.clinic_zone(pat)
    noon = dt.datetime.combine(last + dt.timedelta(days=13), dt.time(12), tzinfo=zone)
    with time_machine.travel(noon):
        assert scheduler.run_schedule(base_url=BASE).issued == []
    with time_machine.travel(noon + dt.timedelta(days=1), tick=False):
        report = scheduler.run_schedule(base_url=BASE)
        due = last + dt.timedelta(days=14)
        assert report.issued == [f"fu:{plan.plan_id}:{due.isoformat()}"]
        link = QuestionnaireLink.objects.get(purpose="follow_up")
        assert link.expires_at == timezone.now() + dt.timedelta(hours=72)
        assert scheduler.run_schedule(base_url=BASE).issued == []  # rerun before the patient answers
        service.submit_answers(token=token_from(mail.outbox[-1].body), answers={"phq9": PHQ9_CALM, "gad7": GAD7})
    with time_machine.travel(noon + dt.timedelta(days=15)):
        assert scheduler.run_schedule(base_url=BASE).issued == [f"fu:{plan.plan_id}:{(due + dt.timedelta(14))}"]


def test_a_pain_plan_adds_the_pain_score(pat: Any, bob: Any) -> None:
    version = signed_plan(
        pat,
        bob,
        indication="crps",
        protocol_id="crps_outpatient",
        dose_mg_per_kg=Decimal("1.2"),
        infusion_duration_min=240,
    )
    scheduler.run_schedule(base_url=BASE)
    assert QuestionnaireLink.objects.get(session_order=first_order(version)).instruments == ["phq9", "gad7", "pain_nrs"]


def test_without_an_email_address_the_link_goes_by_text_message(pat: Any, alice: Any, locmem_sms: Any) -> None:
    patients.update_patient(by=alice, patient=pat, changes={"email": ""})
    link = service.send_now(by=alice, patient=pat, scales=["phq9"], base_url=BASE).link
    assert link is not None and (link.channel, link.sent_to) == ("sms", "***-0123")
    (message,) = locmem_sms
    assert message.to == "(217) 555-0123" and token_from(message.body)
    assert "PHQ" not in message.body and "Rivera" not in message.body and "ketamine" not in message.body.lower()


def test_a_failed_delivery_is_recorded_and_retried_up_to_the_limit(pat: Any, alice: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = "tests.followup.test_questionnaire_schedule.BrokenEmail"
    delivery = service.send_now(by=alice, patient=pat, scales=["phq9"], base_url=BASE)
    # Only the exception's type is kept: a provider's message can carry the recipient's address.
    assert not delivery.sent and delivery.error == "Delivery failed (ConnectionError)."
    link = QuestionnaireLink.objects.get()
    assert (link.sent_at, link.send_attempts, service.link_status(link)) == (None, 1, "failed")
    assert scheduler.run_schedule(base_url=BASE).failed[0][0] == link.pk
    scheduler.run_schedule(base_url=BASE)
    assert scheduler.run_schedule(base_url=BASE).failed == []  # three attempts: the scheduler gives up
    link.refresh_from_db()
    assert link.send_attempts == service.MAX_SEND_ATTEMPTS and "SMTP down" not in link.last_error


def test_no_contact_details_is_recorded(pat: Any, alice: Any) -> None:
    patients.update_patient(by=alice, patient=pat, changes={"email": "", "phone": ""})
    delivery = service.send_now(by=alice, patient=pat, scales=["phq9"], base_url=BASE)
    assert not delivery.sent and delivery.link is not None and delivery.link.channel == "none"
    assert "No e-mail address or phone number" in delivery.link.last_error


def test_the_command_prints_what_it_did_and_dry_run_changes_nothing(plan: Any) -> None:
    order = first_order(plan)
    out = StringIO()
    call_command("send_questionnaires", "--dry-run", stdout=out)
    assert f"would issue pre:{order.pk}" in out.getvalue() and not QuestionnaireLink.objects.exists()
    out = StringIO()
    call_command("send_questionnaires", "--base-url", "https://clinic.example", stdout=out)
    assert f"issue pre:{order.pk}" in out.getvalue() and "sent link #" in out.getvalue()
    assert "https://clinic.example/q/" in mail.outbox[-1].body
    out = StringIO()
    call_command("send_questionnaires", "--dry-run", stdout=out)
    assert f"already issued pre:{order.pk}" in out.getvalue() and "would send 0" in out.getvalue()


def test_a_link_another_process_is_sending_is_skipped(pat: Any, alice: Any) -> None:
    link = service.issue_link(
        by=None,
        patient=pat,
        purpose="manual",
        scales=["phq9"],
        schedule_key="manual:x",
        due_on=timezone.localdate(),
        expires_at=timezone.now() + dt.timedelta(hours=1),
    ).link
    with mock.patch.object(QuestionnaireLink.objects, "select_for_update") as locked:
        locked.return_value.select_related.return_value.filter.return_value.first.return_value = None
        delivery = service.send_link(by=None, link=link, base_url=BASE)
    assert delivery.link is None and not delivery.sent and mail.outbox == []


class BrokenEmail:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionError("SMTP down")
