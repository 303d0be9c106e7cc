"""Submitting a questionnaire from home: all or nothing, the suicidality alert, crisis resources, honeypot, CSRF and
the per-address rate limit counted in the database."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent, RefusalTally
from ketaclinic.domain import instruments
from ketaclinic.followup.services import questionnaires as service
from ketaclinic.outcomes.models import Measurement, SafetyAlert
from ketaclinic.outcomes.services.safety import raise_for_screen
from ketaclinic.patients import services as patients
from tests.followup.questionnaire_factories import GAD7, PHQ9_CALM, PHQ9_ITEM9, form_data, send_link

pytestmark = pytest.mark.django_db


def fill_url(token: str) -> str:
    return reverse("questionnaire:fill", kwargs={"token": token})


@pytest.fixture
def pat_of_bob(pat: Any, alice: Any, bob: Any) -> Any:
    return patients.update_patient(by=alice, patient=pat, changes={"primary_clinician": bob})


def test_item_9_raises_an_alert_for_the_primary_clinician_and_the_thank_you_page_puts_crisis_first(
    pat_of_bob: Any, bob: Any, client: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.KETACLINIC_CRISIS_LINE = "988"
    settings.KETACLINIC_EMERGENCY_NUMBER = "112"
    bob.email = "bob@clinic.example"
    bob.save(update_fields=["email"])
    link, token = send_link(pat_of_bob)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(fill_url(token), form_data({"phq9": PHQ9_ITEM9, "gad7": GAD7}))
    assert response.status_code == 302 and response["Location"] == reverse("questionnaire:thanks")
    stored = {m.instrument: m for m in Measurement.objects.all()}
    assert set(stored) == {"phq9", "gad7"}
    assert stored["phq9"].context == "home" and stored["phq9"].recorded_by is None
    assert (stored["phq9"].source_type, stored["phq9"].source_id) == ("followup.questionnairelink", link.pk)
    assert stored["phq9"].total == 4 and stored["phq9"].flags == ["suicidality"]
    alert = SafetyAlert.objects.get()
    assert (alert.assigned_to, alert.severity, alert.instrument, alert.raised_by) == (bob, "unrated", "phq9", None)
    assert alert.recommended_action == " ".join(instruments.PHQ9_ITEM9_SAFETY_WORKFLOW)
    assert "from home" in alert.message and "Several days" in alert.message
    assert [m.to for m in mail.outbox] == [["bob@clinic.example"]]  # the alert e-mail, after commit
    assert pat_of_bob.family_name not in mail.outbox[0].body
    link.refresh_from_db()
    assert link.completed_at is not None
    thanks = client.get(response["Location"]).content.decode()
    assert thanks.index("Please reach out now") < thanks.index(">Thank you</h1>")
    assert 'href="tel:988"' in thanks and 'href="tel:112"' in thanks
    audit = AuditEvent.objects.filter(action="questionnaire.complete").get()
    assert audit.actor is None and audit.patient_id == pat_of_bob.pk


def test_without_suicidality_the_thank_you_page_has_crisis_resources_after_the_text(pat: Any, client: Any) -> None:
    _, token = send_link(pat)
    response = client.post(fill_url(token), form_data({"phq9": PHQ9_CALM, "gad7": GAD7}), follow=True)
    html = response.content.decode()
    assert "Please reach out now" not in html and html.index(">Thank you</h1>") < html.index("If you need help now")
    assert not SafetyAlert.objects.exists()


def test_crisis_resources_on_every_page_come_from_the_settings(pat: Any, client: Any, settings: Any) -> None:
    settings.KETACLINIC_CRISIS_LINE = "116 123"
    settings.KETACLINIC_CRISIS_LINE_NAME = "Samaritans"
    settings.KETACLINIC_EMERGENCY_NUMBER = "999"
    _, token = send_link(pat)
    for response in (client.get(fill_url(token)), client.get(fill_url("unknown-token"))):
        html = response.content.decode()
        assert "116 123" in html and "Samaritans" in html and "999" in html


@pytest.mark.parametrize(
    ("answers", "named"),
    [
        ({"phq9": PHQ9_CALM[:8], "gad7": GAD7}, "item 9 (Thoughts of death or self-harm)"),
        ({"phq9": PHQ9_CALM, "gad7": [*GAD7[:6], 4]}, "item 7"),
        ({"phq9": PHQ9_CALM}, "gad7"),
    ],
)
def test_partial_or_out_of_range_answers_are_refused_naming_the_item_and_nothing_is_stored(
    pat: Any, answers: dict[str, list[int]], named: str
) -> None:
    link, token = send_link(pat)
    with pytest.raises(ValidationError) as refused:
        service.submit_answers(token=token, answers=answers)
    assert named in str(refused.value.message_dict)
    assert not Measurement.objects.exists() and not SafetyAlert.objects.exists()
    link.refresh_from_db()
    assert link.completed_at is None


def test_a_skipped_question_on_the_page_is_shown_next_to_it_and_nothing_is_stored(pat: Any, client: Any) -> None:
    _, token = send_link(pat)
    data = form_data({"phq9": PHQ9_ITEM9, "gad7": GAD7})
    del data["phq9_9"]
    response = client.post(fill_url(token), data)
    assert response.status_code == 200
    assert response.context["form"].errors["phq9_9"] == ["Please choose an answer to this question."]
    assert not Measurement.objects.exists() and not SafetyAlert.objects.exists()


def test_the_page_is_accessible_radio_groups(pat: Any, client: Any) -> None:
    _, token = send_link(pat, scales=("phq9", "pain_nrs"))
    html = client.get(fill_url(token)).content.decode()
    assert html.count("<fieldset") == 11 and html.count("<legend>") == 11  # 10 PHQ-9 items + the pain score
    assert 'type="radio" name="phq9_9"' in html and '<label for="id_phq9_9_0"' in html
    assert "(optional)" in html  # the PHQ-9 difficulty question


def test_a_filled_honeypot_looks_like_success_and_stores_nothing(pat: Any, client: Any) -> None:
    link, token = send_link(pat)
    data = {**form_data({"phq9": PHQ9_ITEM9, "gad7": GAD7}), "website": "http://spam.example"}
    response = client.post(fill_url(token), data)
    assert response.status_code == 302 and response["Location"] == reverse("questionnaire:thanks")
    assert not Measurement.objects.exists() and not SafetyAlert.objects.exists()
    link.refresh_from_db()
    assert link.completed_at is None
    assert AuditEvent.objects.filter(action="questionnaire.public.honeypot", outcome="denied").exists()


def test_posts_need_the_csrf_token(pat: Any) -> None:
    _, token = send_link(pat)
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(fill_url(token), form_data({"phq9": PHQ9_CALM, "gad7": GAD7})).status_code == 403
    assert not Measurement.objects.exists()


def test_the_rate_limit_is_per_client_address_and_counted_in_the_database(pat: Any, settings: Any) -> None:
    settings.KETACLINIC_QUESTIONNAIRE_RATE_LIMIT = 3
    _, token = send_link(pat)
    one = Client(REMOTE_ADDR="198.51.100.7")
    # Patients sharing an address (guest Wi-Fi, carrier NAT) opening real links are not counted: only refusals are.
    assert [one.get(fill_url(token)).status_code for _ in range(5)] == [200] * 5
    assert [one.get(fill_url(f"guess{n}")).status_code for n in range(3)] == [404, 404, 404]
    limited = one.get(fill_url(token))
    assert limited.status_code == 429 and "try again" in limited.content.decode()
    assert one.post(fill_url(token), form_data({"phq9": PHQ9_CALM, "gad7": GAD7})).status_code == 429
    assert not Measurement.objects.exists()
    assert Client(REMOTE_ADDR="198.51.100.8").get(fill_url(token)).status_code == 200  # another address
    # The count is in the database (shared by every app server), not process memory, and keeps no address; repeats
    # within a minute are counted, not audited one by one (issue 13, defect 7).
    assert AuditEvent.objects.filter(action="questionnaire.rate_limited").count() == 1
    assert RefusalTally.objects.get(action="questionnaire.rate_limited").count == 2
    assert "198.51.100.7" not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_guesses_are_rate_limited(pat: Any, settings: Any) -> None:
    settings.KETACLINIC_QUESTIONNAIRE_RATE_LIMIT = 2
    guesser = Client(REMOTE_ADDR="203.0.113.9")
    assert [guesser.get(fill_url(f"guess{n}")).status_code for n in range(3)] == [404, 404, 429]


# --- the safety helper ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "severity", "action"),
    [
        ([True, False, None, None, None, False, None], "low", instruments.cssrs_recommended_action("low")),
        ([True, True, False, False, True, False, None], "high", instruments.cssrs_recommended_action("high")),
    ],
)
def test_a_positive_cssrs_raises_its_band_and_the_columbia_action(
    pat_of_bob: Any, alice: Any, bob: Any, answers: list[Any], severity: str, action: str
) -> None:
    score = instruments.score("cssrs_screener", answers)
    alert = raise_for_screen(by=alice, patient=pat_of_bob, score=score, source=pat_of_bob, where="at the chair")
    assert alert is not None
    assert (alert.severity, alert.recommended_action, alert.assigned_to) == (severity, action, bob)
    assert alert.message.startswith("C-SSRS screener at the chair")


def test_no_alert_for_a_negative_screen_a_calm_phq9_or_another_scale(pat: Any, alice: Any) -> None:
    for name, answers in (
        ("cssrs_screener", [False, False, None, None, None, False, None]),
        ("phq9", PHQ9_CALM),
        ("gad7", [3] * 7),
    ):
        score = instruments.score(name, answers)
        assert raise_for_screen(by=alice, patient=pat, score=score, source=pat, where="x") is None
    assert not SafetyAlert.objects.exists()


def test_an_open_alert_for_the_same_screen_is_not_stacked(pat: Any, alice: Any) -> None:
    score = instruments.score("phq9", PHQ9_ITEM9)
    assert raise_for_screen(by=alice, patient=pat, score=score, source=pat, where="x") is not None
    assert raise_for_screen(by=alice, patient=pat, score=score, source=pat, where="x") is None
    assert SafetyAlert.objects.count() == 1
