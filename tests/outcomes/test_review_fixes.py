"""Safety properties found in review: a pre-session link closes once its session starts; a failing alert e-mail never
turns a stored answer into an error page; only clinicians at the patient's location acknowledge an alert."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import Client

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.followup.services import questionnaires as service
from ketaclinic.followup.services import schedule as scheduler
from ketaclinic.outcomes.models import Measurement, SafetyAlert
from ketaclinic.outcomes.services import acknowledge_alert
from ketaclinic.patients import services as patients
from ketaclinic.plans.models import SessionOrder
from tests.followup.questionnaire_factories import BASE, GAD7, form_data, signed_plan, token_from

pytestmark = pytest.mark.django_db

PHQ9_ITEM9 = [1, 1, 1, 1, 0, 0, 0, 0, 1]


def _fill_url(token: str) -> str:
    from django.urls import reverse

    return reverse("questionnaire:fill", kwargs={"token": token})


def _pre_session_link(pat: Any, bob: Any) -> tuple[QuestionnaireLink, str, SessionOrder]:
    version = signed_plan(pat, bob)
    order = version.orders.order_by("session_number").first()
    scheduler.run_schedule(base_url=BASE)
    link = QuestionnaireLink.objects.get(schedule_key=f"pre:{order.pk}")
    return link, token_from(mail.outbox[-1].body), order


def test_a_pre_session_link_closes_when_its_session_starts(pat: Any, bob: Any) -> None:
    _, token, order = _pre_session_link(pat, bob)
    assert Client().get(_fill_url(token)).status_code == 200
    SessionOrder.objects.filter(pk=order.pk).update(status=SessionOrder.Status.GIVEN)  # the session started
    assert Client().get(_fill_url(token)).status_code == 410
    answered = Client().post(_fill_url(token), form_data({"phq9": [0] * 9, "gad7": GAD7}))
    assert answered.status_code == 410 and not Measurement.objects.filter(context="home").exists()


def test_a_cancelled_order_is_neither_sent_nor_fillable(pat: Any, bob: Any) -> None:
    link, token, order = _pre_session_link(pat, bob)
    SessionOrder.objects.filter(pk=order.pk).update(status=SessionOrder.Status.CANCELLED)  # the plan was stopped
    QuestionnaireLink.objects.filter(pk=link.pk).update(sent_at=None)
    assert link.pk not in scheduler.run_schedule(base_url=BASE).sent
    assert Client().get(_fill_url(token)).status_code == 410


class _FailingEmail:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise ConnectionError("SMTP down")


def test_a_failing_alert_email_does_not_hide_the_crisis_page(pat: Any, bob: Any, alice: Any, settings: Any) -> None:
    patients.update_patient(by=alice, patient=pat, changes={"primary_clinician": bob})
    _, token, _ = _pre_session_link(pat, bob)
    settings.EMAIL_BACKEND = "tests.outcomes.test_review_fixes._FailingEmail"
    response = Client().post(_fill_url(token), form_data({"phq9": PHQ9_ITEM9, "gad7": GAD7}), follow=True)
    assert response.status_code == 200 and settings.KETACLINIC_CRISIS_LINE in response.content.decode()
    assert SafetyAlert.objects.get().assigned_to == bob  # stored and on bob's dashboard even though the mail failed


def test_acknowledging_needs_the_patients_location(pat: Any, bob: Any, erin: Any) -> None:
    _, token, _ = _pre_session_link(pat, bob)
    service.submit_answers(token=token, answers={"phq9": PHQ9_ITEM9, "gad7": GAD7})
    alert = SafetyAlert.objects.get()
    with pytest.raises(PermissionDenied):
        acknowledge_alert(by=erin, alert=alert, follow_up_note="Called her.")  # erin works at Lakeside only
    alert.refresh_from_db()
    assert alert.acknowledged_at is None
