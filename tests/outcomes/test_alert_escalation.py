"""Escalation of safety alerts nobody acknowledged in time: once, after KETACLINIC_ALERT_ESCALATION_MINUTES, to the
active clinic admins at the patient's location (in-app, and e-mail after commit without patient identifiers); with
nobody to address it is still recorded. Clinic admins read escalated alerts; acknowledging stays clinical."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.outcomes import services
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.outcomes.services.alerts import escalate_overdue_alerts
from tests.conftest import make_user, sign_in

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def minutes(settings: Any) -> int:
    settings.KETACLINIC_ALERT_ESCALATION_MINUTES = 60
    return 60


def raise_one(patient: Any, by: Any, *, at: dt.datetime = START) -> SafetyAlert:
    with time_machine.travel(at, tick=False):
        return services.raise_alert(
            by=by,
            patient=patient,
            kind="suicidality",
            severity="high",
            instrument="cssrs_screener",
            score_total=4,
            score_band="high",
            source=patient,
            message="C-SSRS screener at intake: high risk.",
            recommended_action="Same-day psychiatric evaluation.",
        )


def at(minutes_after: float) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes_after)


def test_escalates_after_the_setting_not_before(minutes: int, alice: Any, dave: Any, erin: Any, pat: Any) -> None:
    alert = raise_one(pat, alice)
    assert escalate_overdue_alerts(now=at(minutes - 1)) == []
    alert.refresh_from_db()
    assert alert.escalated_at is None and not alert.escalated_to.exists()
    with time_machine.travel(at(minutes), tick=False):
        done = escalate_overdue_alerts()  # the clock, not `now`
    assert [(item.alert_id, item.minutes_open, item.escalated_to) for item in done] == [(alert.pk, 60, ("dave",))]
    alert.refresh_from_db()
    assert alert.escalated_at == at(minutes)
    assert list(alert.escalated_to.all()) == [dave]  # neither alice (assigned) nor erin (nurse)
    assert alert.acknowledged_at is None  # still open: acknowledging stays a clinical action
    event = AuditEvent.objects.get(action="alert.escalate")
    assert event.patient_id == pat.pk and event.detail["escalated_to"] == [dave.pk] and event.detail["nobody"] is False


def test_the_setting_is_honoured(settings: Any, alice: Any, dave: Any, pat: Any) -> None:
    settings.KETACLINIC_ALERT_ESCALATION_MINUTES = 15
    raise_one(pat, alice)
    assert escalate_overdue_alerts(now=at(14)) == []
    assert len(escalate_overdue_alerts(now=at(15))) == 1


def test_never_twice(minutes: int, alice: Any, dave: Any, pat: Any) -> None:
    alert = raise_one(pat, alice)
    assert len(escalate_overdue_alerts(now=at(61))) == 1
    assert escalate_overdue_alerts(now=at(120)) == []
    assert escalate_overdue_alerts(now=at(24 * 60)) == []
    alert.refresh_from_db()
    assert alert.escalated_at == at(61)
    assert AuditEvent.objects.filter(action="alert.escalate").count() == 1


def test_acknowledged_alerts_never_escalate(minutes: int, alice: Any, dave: Any, pat: Any) -> None:
    alert = raise_one(pat, alice)
    services.acknowledge_alert(by=alice, alert=alert, follow_up_note="Called her; safety plan in place.")
    assert escalate_overdue_alerts(now=at(10 * minutes)) == []
    alert.refresh_from_db()
    assert alert.escalated_at is None


def test_nobody_to_address_is_still_recorded(minutes: int, clinic: Any, alice: Any, dave: Any, pat: Any) -> None:
    dave.is_active = False  # the only clinic admin has left
    dave.save(update_fields=["is_active"])
    alert = raise_one(pat, alice)
    done = escalate_overdue_alerts(now=at(90))
    assert [(item.alert_id, item.escalated_to) for item in done] == [(alert.pk, ())]
    alert.refresh_from_db()
    assert alert.escalated_at == at(90) and not alert.escalated_to.exists()
    event = AuditEvent.objects.get(action="alert.escalate", object_id=str(alert.pk))
    assert event.detail["nobody"] is True and event.detail["escalated_to"] == []
    assert escalate_overdue_alerts(now=at(200)) == []  # recorded: not retried forever


def test_an_admin_at_another_location_is_not_addressed(
    minutes: int, clinic: Any, lakeside: Any, alice: Any, dave: Any, pat: Any, client: Any
) -> None:
    fiona = make_user("fiona", "clinic_admin", clinic, [lakeside], email="fiona@clinic.example")
    alert = raise_one(pat, alice)  # pat is at Main; fiona only at Lakeside
    escalate_overdue_alerts(now=at(61))
    assert list(alert.escalated_to.all()) == [dave]
    sign_in(client, fiona)
    assert client.get(reverse("outcomes:alert_detail", args=[alert.pk])).status_code == 404
    assert client.get(reverse("outcomes:alert_list"), {"show": "all"}).context["page"].paginator.count == 0


def test_the_email_goes_after_commit_without_patient_identifiers(
    minutes: int, alice: Any, dave: Any, pat: Any, django_capture_on_commit_callbacks: Any
) -> None:
    accounts_email = "dave@clinic.example"
    type(dave).objects.filter(pk=dave.pk).update(email=accounts_email)
    alert = raise_one(pat, alice)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        escalate_overdue_alerts(now=at(75))
    assert mail.outbox == []  # nothing leaves before the transaction commits
    for callback in callbacks:
        callback()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [accounts_email]
    text = f"{message.subject}\n{message.body}"
    assert f"alert #{alert.pk}" in text and "75 minutes" in text
    for identifier in (pat.given_name, pat.family_name, pat.mrn, pat.email, pat.phone, "1980-04-30", "04/30/1980"):
        assert identifier not in text


def test_the_command_is_idempotent(minutes: int, alice: Any, dave: Any, pat: Any) -> None:
    alert = raise_one(pat, alice)
    first, second = StringIO(), StringIO()
    call_command("escalate_alerts", "--now", at(61).isoformat(), stdout=first)
    call_command("escalate_alerts", "--now", at(62).isoformat(), stdout=second)
    assert f"Escalated alert #{alert.pk} (open 61 min) to dave." in first.getvalue()
    assert "1 alert escalated" in first.getvalue()
    assert "0 alerts escalated" in second.getvalue()
    assert pat.family_name not in first.getvalue() and pat.mrn not in first.getvalue()
    assert AuditEvent.objects.filter(action="alert.escalate").count() == 1


def test_the_command_without_now_uses_the_clock(minutes: int, alice: Any, dave: Any, pat: Any) -> None:
    raise_one(pat, alice, at=timezone.now() - dt.timedelta(minutes=minutes + 5))
    out = StringIO()
    call_command("escalate_alerts", stdout=out)
    assert "1 alert escalated" in out.getvalue()


def test_clinic_admin_reads_escalated_alerts_only_and_cannot_acknowledge(
    minutes: int, alice: Any, bob: Any, dave: Any, pat: Any, client: Any
) -> None:
    escalated = raise_one(pat, alice)
    escalate_overdue_alerts(now=at(65))
    recent = raise_one(pat, alice, at=at(30))  # not yet overdue at 65
    sign_in(client, dave)
    listing = client.get(reverse("outcomes:alert_list"))
    assert [alert.pk for alert in listing.context["page"].object_list] == [escalated.pk]
    page = listing.content.decode()
    assert "Escalated safety alerts" in page and "escalated 65 minutes after it was raised, to Dave Test" in page
    detail_url = reverse("outcomes:alert_detail", args=[escalated.pk])
    detail = client.get(detail_url).content.decode()
    assert "Escalated 65 minutes after it was raised" in detail
    assert "It is assigned to <strong>Alice Test" in detail and "Acknowledge alert" not in detail
    assert client.post(detail_url, {"follow_up_note": "I called."}).status_code == 409
    escalated.refresh_from_db()
    assert escalated.acknowledged_at is None
    assert client.get(reverse("outcomes:alert_detail", args=[recent.pk])).status_code == 404
    dashboard = client.get(reverse("web:dashboard")).content.decode()
    assert "Escalated safety alerts, not yet acknowledged (1)" in dashboard
    assert "escalated 65 minutes after it was raised; assigned to Alice Test" in dashboard
    assert reverse("outcomes:alert_list") in dashboard and "Escalated alerts</a>" in dashboard
    assert f'href="{reverse("dashboard:index")}">Outcomes dashboard</a>' in dashboard  # dashboard.view
    # Once a clinician acknowledges it, it leaves the admin's dashboard but stays in the list of all escalated.
    services.acknowledge_alert(by=alice, alert=escalated, follow_up_note="Saw her; psychiatry today.")
    assert "Escalated safety alerts, not yet acknowledged" not in client.get(reverse("web:dashboard")).content.decode()
    assert client.get(reverse("outcomes:alert_list"), {"show": "all"}).context["page"].paginator.count == 1


def test_clinicians_see_the_escalation_state(minutes: int, alice: Any, dave: Any, pat: Any, client: Any) -> None:
    alert = raise_one(pat, alice)
    sign_in(client, alice)
    url = reverse("outcomes:alert_detail", args=[alert.pk])
    assert "Not escalated yet" in client.get(url).content.decode()
    escalate_overdue_alerts(now=at(60))
    detail = client.get(url).content.decode()
    assert "Escalated 60 minutes after it was raised" in detail and "Dave Test" in detail
    assert "Acknowledge alert" in detail  # the clinician still acknowledges
    assert "Outcomes dashboard" not in detail and ">Alerts</a>" in detail  # a nurse has no dashboard.view
    rows = client.get(reverse("outcomes:alert_list")).content.decode()
    assert 'data-testid="escalated"' in rows and "escalated 60 minutes after it was raised, to Dave Test" in rows


def test_the_alerts_api_shows_escalation_and_lets_admins_list_escalated(
    minutes: int, alice: Any, dave: Any, pat: Any
) -> None:
    escalated = raise_one(pat, alice)
    escalate_overdue_alerts(now=at(61))
    raise_one(pat, alice, at=at(50))
    admin = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=dave)}"}
    body = Client().get("/api/v1/alerts/", {"show": "all"}, **admin).json()
    assert [item["id"] for item in body["items"]] == [escalated.pk]
    item = body["items"][0]
    assert item["escalated_to_ids"] == [dave.pk] and item["escalated_after_min"] == 61 and item["escalated_at"]
    assert Client().get(f"/api/v1/alerts/{escalated.pk}", **admin).status_code == 200
    refused = Client().post(
        f"/api/v1/alerts/{escalated.pk}/acknowledge",
        {"follow_up_note": "x"},
        content_type="application/json",
        **admin,
    )
    assert refused.status_code == 403
    nurse = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=alice)}"}
    clinician_view = Client().get("/api/v1/alerts/", {"show": "all"}, **nurse).json()
    assert clinician_view["count"] == 2
    assert {row["escalated_after_min"] for row in clinician_view["items"]} == {61, None}


@pytest.mark.django_db(transaction=True)
def test_two_cron_runs_at_once_escalate_each_alert_once(alice: Any, dave: Any, pat: Any) -> None:
    """Two runs on separate connections at the same moment (PostgreSQL: SKIP LOCKED; SQLite serialises writers)."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL for concurrent runs on separate connections")
    alerts = [raise_one(pat, alice) for _ in range(5)]
    barrier = threading.Barrier(2)
    results: list[list[Any]] = []

    def run() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait(5)
            results.append(escalate_overdue_alerts(now=at(24 * 60)))
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    escalated = sorted(item.alert_id for result in results for item in result)
    assert len(results) == 2 and escalated == sorted(alert.pk for alert in alerts)
    assert AuditEvent.objects.filter(action="alert.escalate").count() == 5
