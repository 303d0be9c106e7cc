"""Token security of questionnaire links (security.md "Input"): only the SHA-256 is stored, 256 random bits,
expiring, one purpose, one use, revocable, and a guessed token finds nothing and changes nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent, RefusalTally
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.followup.services import questionnaires as service
from ketaclinic.outcomes.models import Measurement
from tests.followup.questionnaire_factories import GAD7, PHQ9_CALM, form_data, send_link

pytestmark = pytest.mark.django_db
GENERIC = "This link cannot be used"


def fill_url(token: str) -> str:
    return reverse("questionnaire:fill", kwargs={"token": token})


def test_only_the_hash_of_a_256_bit_token_is_stored_and_it_is_never_logged(pat: Any) -> None:
    link, token = send_link(pat)
    assert len(token) >= 43  # token_urlsafe(32): 32 random bytes = 256 bits (≥ 128 required)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = QuestionnaireLink.objects.filter(pk=link.pk).values().get()
    assert not any(token in str(value) for value in row.values())
    for event in AuditEvent.objects.all():
        assert token not in str(event.detail) and token not in event.object_id
    assert "Pat" not in mail.outbox[-1].body and "Rivera" not in mail.outbox[-1].body  # no identifiers in the message


def test_tokens_differ_between_links(pat: Any) -> None:
    tokens = {send_link(pat)[1] for _ in range(3)}
    assert len(tokens) == 3


def test_a_guessed_token_is_404_and_changes_no_link_or_score(pat: Any, client: Any) -> None:
    send_link(pat)
    before = list(QuestionnaireLink.objects.values())
    guess = secrets.token_urlsafe(32)
    page = client.get(fill_url(guess))
    assert page.status_code == 404 and GENERIC in page.content.decode()
    posted = client.post(fill_url(guess), form_data({"phq9": PHQ9_CALM, "gad7": GAD7}))
    assert posted.status_code == 404
    assert list(QuestionnaireLink.objects.values()) == before
    assert not Measurement.objects.exists()
    # Both refusals are counted; within one minute only the first gets its own audit row (issue 13, defect 7).
    assert AuditEvent.objects.filter(action="questionnaire.public.refused", outcome="denied").count() == 1
    assert RefusalTally.objects.get(action="questionnaire.public.refused").count == 2


def test_an_expired_link_is_410_with_the_same_words(pat: Any, client: Any) -> None:
    link, token = send_link(pat, expires_in=dt.timedelta(hours=1))
    with time_machine.travel(link.expires_at + dt.timedelta(seconds=1)):
        page = client.get(fill_url(token))
        assert page.status_code == 410 and GENERIC in page.content.decode()
        with pytest.raises(service.LinkUnavailable) as refused:
            service.submit_answers(token=token, answers={"phq9": PHQ9_CALM, "gad7": GAD7})
    assert refused.value.gone and not Measurement.objects.exists()


def test_a_completed_link_cannot_be_used_again(pat: Any, client: Any) -> None:
    _, token = send_link(pat)
    assert client.post(fill_url(token), form_data({"phq9": PHQ9_CALM, "gad7": GAD7})).status_code == 302
    assert Measurement.objects.count() == 2
    assert client.get(fill_url(token)).status_code == 410
    again = client.post(fill_url(token), form_data({"phq9": [3] * 9, "gad7": [3] * 7}))
    assert again.status_code == 410 and GENERIC in again.content.decode()
    assert Measurement.objects.count() == 2


def test_a_revoked_link_is_410(pat: Any, alice: Any, client: Any) -> None:
    link, token = send_link(pat)
    service.revoke_link(by=alice, link=link, reason="Sent to an old e-mail address")
    assert client.get(fill_url(token)).status_code == 410


def test_a_link_opens_only_its_own_scales(pat: Any, client: Any) -> None:
    _, token = send_link(pat, scales=("gad7",))
    page = client.get(fill_url(token)).content.decode()
    assert 'name="gad7_1"' in page and 'name="phq9_1"' not in page
    done = service.submit_answers(token=token, answers={"gad7": GAD7, "phq9": [3] * 9})
    assert [m.instrument for m in done.measurements] == ["gad7"]


def test_sending_again_mints_a_new_token_and_the_old_one_stops_working(pat: Any, alice: Any, client: Any) -> None:
    link, old = send_link(pat)
    # The scheduler never sends a sent link twice (another cron run may have listed it before this one sent it) ...
    assert service.send_link(by=None, link=link, base_url="http://testserver") == service.Delivery(None, False)
    assert mail.outbox[-1].body.split("/q/")[1].split("/")[0] == old
    # ... a clinician's resend does, with a new token.
    service.send_link(by=alice, link=link, base_url="http://testserver")
    new = mail.outbox[-1].body.split("/q/")[1].split("/")[0]
    assert new != old
    assert client.get(fill_url(old)).status_code == 404
    assert client.get(fill_url(new)).status_code == 200


def test_the_page_shows_no_patient_identifiers_and_opening_is_recorded(pat: Any, client: Any) -> None:
    link, token = send_link(pat)
    page = client.get(fill_url(token))
    html = page.content.decode()
    for identifier in (pat.given_name, pat.family_name, pat.mrn, "1980-04-30", pat.email, "0123"):
        assert not re.search(rf"\b{re.escape(identifier)}\b", html), identifier
    assert page["Referrer-Policy"] == "same-origin"
    link.refresh_from_db()
    assert link.opened_at is not None and service.link_status(link) == "opened"
