"""Anonymous refusals cannot fill the undeletable audit log (issue 13, defect 7; ketaclinic.audit.refusals).

The first refusal of each (action, address, minute) is audited as it happens; repeats are counted and written as one
summary once the minute is over. So junk traffic costs a bounded number of rows, and the rows still add up to every
refusal. Failed sign-ins against a real account are still audited one by one (security.md H4).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

import time_machine
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from ketaclinic.audit import refusals
from ketaclinic.audit.models import AuditEvent
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.services import consultation
from tests.conftest import PASSWORD

START = dt.datetime(2026, 3, 2, 9, 0, 30, tzinfo=dt.UTC)
HONEYPOT = "consultation.honeypot"
LIMITED = "consultation.rate_limited"


def refusals_in_log(actions: Iterable[str]) -> int:
    """Every refusal the log accounts for: one per first-of-bucket row plus the repeats of each summary."""
    names = set(actions)
    firsts = AuditEvent.objects.filter(action__in=names).count()
    summaries = AuditEvent.objects.filter(action=refusals.SUMMARY_ACTION)
    return firsts + sum(event.detail["repeats"] for event in summaries if event.detail["action"] in names)


def honeypot_post(address: str) -> int:
    """What the form and the API do with a honeypot hit (the service; the pages are tested below and in
    tests/intake, and rendering 10,000 pages would only measure the template engine)."""
    try:
        consultation.submit_request(data={}, location=None, client_ip=address, honeypot="http://spam.example")
    except consultation.RateLimited:
        return 429
    return 302


def test_ten_thousand_junk_posts_write_a_bounded_number_of_rows_that_add_up(db: Any) -> None:
    limit = settings.KETACLINIC_CONSULTATION_RATE_LIMIT
    statuses: dict[int, int] = {}
    with time_machine.travel(START, tick=False) as clock:
        for number in range(10_000):
            if number == 5_000:
                clock.shift(dt.timedelta(minutes=1))  # a second minute: the first one's repeats are summarised
            status = honeypot_post("203.0.113.50" if number % 10 else "203.0.113.51")
            statuses[status] = statuses.get(status, 0) + 1
        clock.shift(dt.timedelta(minutes=1))
        call_command("flush_refusals", stdout=io.StringIO())  # the cron job
    # The honeypot is rate-limited like a real request: past the limit the robot gets 429 too.
    assert statuses == {302: 2 * limit, 429: 10_000 - 2 * limit}
    rows = AuditEvent.objects.filter(action__in=[HONEYPOT, LIMITED, refusals.SUMMARY_ACTION])
    # 2 addresses × 2 minutes × 2 actions × (first row + summary) at most.
    assert rows.count() <= 16
    assert AuditEvent.objects.count() == rows.count()
    assert refusals_in_log([HONEYPOT, LIMITED]) == 10_000
    assert refusals_in_log([HONEYPOT]) == 2 * limit
    assert not ConsultationRequest.objects.exists()
    assert "203.0.113.5" not in str(list(rows.values_list("detail", flat=True)))
    assert refusals.flush() == 0  # every repeat is reported exactly once


def test_honeypot_hits_count_toward_the_same_limit_as_real_requests(main_st: Any, settings: Any) -> None:
    settings.KETACLINIC_CONSULTATION_RATE_LIMIT = 2
    robot = Client(REMOTE_ADDR="198.51.100.30")
    assert robot.post("/consultation/", {"website": "http://spam.example"}).status_code == 302
    assert robot.post("/consultation/", {"website": "http://spam.example"}).status_code == 302
    person = {
        "location": main_st.pk,
        "given_name": "Jordan",
        "family_name": "Avery",
        "date_of_birth": "1986-06-14",
        "sex": "female",
        "phone": "(217) 555-0177",
        "preferred_contact_method": "phone",
        "preferred_contact_time": "morning",
        "concern": "depression",
        "antidepressants_tried": "two_or_more",
        "in_psychiatric_care": "yes",
        "in_medical_care": "no",
        "pregnancy": "no",
        "consent_to_contact": "on",
    }
    assert robot.post("/consultation/", person).status_code == 429
    assert not ConsultationRequest.objects.exists()
    assert Client(REMOTE_ADDR="198.51.100.31").post("/consultation/", person).status_code == 302


def test_guessed_questionnaire_tokens_are_counted_not_written_one_by_one(db: Any, settings: Any) -> None:
    settings.KETACLINIC_QUESTIONNAIRE_RATE_LIMIT = 30
    guesser = Client(REMOTE_ADDR="192.0.2.77")
    with time_machine.travel(START, tick=False) as clock:
        codes = [
            guesser.get(reverse("questionnaire:fill", kwargs={"token": f"guess{n}"})).status_code for n in range(300)
        ]
        clock.shift(dt.timedelta(minutes=1))
        refusals.flush()
    assert codes == [404] * 30 + [429] * 270
    actions = ["questionnaire.public.refused", "questionnaire.rate_limited"]
    assert AuditEvent.objects.filter(action__in=actions).count() == 2
    assert AuditEvent.objects.filter(action=refusals.SUMMARY_ACTION).count() == 2
    assert refusals_in_log(actions) == 300


def test_made_up_usernames_are_aggregated_but_real_accounts_are_audited_one_by_one(alice: Any) -> None:
    robot = Client(REMOTE_ADDR="192.0.2.90")
    with time_machine.travel(START, tick=False) as clock:
        for number in range(40):
            robot.post(reverse("accounts:login"), {"username": f"nobody{number}", "password": "x" * 12})
        for _ in range(3):
            robot.post(reverse("accounts:login"), {"username": alice.username, "password": PASSWORD + "-wrong"})
        clock.shift(dt.timedelta(minutes=1))
        refusals.flush()
    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.filter(object_id=str(alice.pk)).count() == 3  # H4: each failure against a real account
    assert failed.exclude(object_id=str(alice.pk)).count() == 1
    assert refusals_in_log(["auth.login_failed"]) == 43


def test_lockout_retries_are_counted_per_username(alice: Any, bob: Any, settings: Any) -> None:
    robot = Client(REMOTE_ADDR="192.0.2.91")
    with time_machine.travel(START, tick=False) as clock:
        for user in (alice, bob):
            for _ in range(settings.AXES_FAILURE_LIMIT + 20):
                robot.post(reverse("accounts:login"), {"username": user.username, "password": "not the password"})
        clock.shift(dt.timedelta(minutes=1))
        refusals.flush()
    lockouts = AuditEvent.objects.filter(action="auth.lockout")
    assert sorted(lockouts.values_list("actor_username", flat=True)) == ["alice", "bob"]  # one row each, not 40
    failures = AuditEvent.objects.filter(action="auth.login_failed").count()
    assert failures < 2 * settings.AXES_FAILURE_LIMIT  # each failure against a real account, until the lockout
    # Every request is accounted for: an audited failure, or a lockout (first row or a summary's repeats).
    assert failures + refusals_in_log(["auth.lockout"]) == 2 * (settings.AXES_FAILURE_LIMIT + 20)
