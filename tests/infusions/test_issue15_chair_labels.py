"""Issue 15 "should" items at the chair: an expired consent is named as expired at check-in, the session record's
revision no longer reads like a plan version, the C-SSRS skip items can be cleared once ticked, and the Aldrete items
show their criteria next to each score."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.patients import services as patients
from ketaclinic.patients.models import Consent
from tests.conftest import sign_in
from tests.infusions.conftest import check_in, fresh

pytestmark = pytest.mark.django_db
CLINIC_ZONE = ZoneInfo("America/Chicago")


def url(name: str, session: Any, **kwargs: Any) -> str:
    return reverse(f"infusions:{name}", kwargs={"session_id": session.pk, **kwargs})


def _expire_treatment_consent(pat: Any, by: Any) -> dt.date:
    """Withdraw the fixture's open-ended consent and put an expired one in its place."""
    current = Consent.objects.get(patient=pat, kind="treatment")
    patients.mark_entered_in_error(by=by, row=current, reason="test: replaced by the expired one")
    expired_on = timezone.now().astimezone(CLINIC_ZONE).date() - dt.timedelta(days=2)
    patients.record_consent(
        by=by,
        patient=pat,
        kind="treatment",
        version="2025",
        signed_at=timezone.now() - dt.timedelta(days=370),
        signed_by_name="Pat Rivera",
        expires_on=expired_on,
    )
    return expired_on


def test_check_in_names_an_expired_consent_as_expired(client: Any, alice: Any, bob: Any, iv_order: Any) -> None:
    expired_on = _expire_treatment_consent(iv_order.plan_version.plan.patient, bob)
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    page = client.get(url("session", session)).content.decode()
    item = re.search(r'data-testid="check-consent">(.*?)</li>', page, re.S)
    assert item is not None
    assert f"Expired: ketamine treatment consent (expired {expired_on:%Y-%m-%d})" in item.group(1)
    consents = re.search(r'data-testid="checkin-consents">(.*?)</ul>', page, re.S)
    assert consents is not None
    assert f'<span class="badge bad">Expired</span> on {expired_on:%Y-%m-%d}' in consents.group(1)
    assert "(Spravato) REMS patient enrolment v2026" in consents.group(1) and consents.group(1).count("Expired") == 1


def test_the_session_record_revision_does_not_read_like_a_plan_version(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    page = client.get(url("session", session)).content.decode()
    assert f"Version {fresh(session).version}." not in page
    assert re.search(r"Session record revision \d+ \(goes up with every save; the plan is version 1\)", page)


def test_a_ticked_cssrs_skip_item_can_be_cleared(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    page = client.get(url("scale", session, instrument="cssrs_screener")).content.decode()
    for item in (3, 4, 5, 7):  # the skip questions; 1, 2 and 6 are always asked
        assert re.search(rf'<input type="radio" name="item_{item}" value=""[^>]*>\s*Not asked', page), item
    for item in (1, 2, 6):
        assert not re.search(rf'name="item_{item}" value=""', page), item
    # Q2 "no" with Q3 ticked by mistake and then cleared with "Not asked": scored as the screener expects.
    answers = {"item_1": "yes", "item_2": "no", "item_3": "", "item_4": "", "item_5": "", "item_6": "no"}
    answers.update(item_7="")
    response = client.post(
        url("scale", session, instrument="cssrs_screener"),
        {"version": fresh(session).version, "token": str(uuid.uuid4()), **answers},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    score = fresh(session).scores.get(instrument="cssrs_screener")
    assert score.answers[2:5] == [None, None, None]


def test_required_scale_items_offer_no_clear_option(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    page = client.get(url("scale", session, instrument="phq9")).content.decode()
    assert not re.search(r'name="item_1" value=""', page)


def test_aldrete_items_show_the_criterion_for_each_score() -> None:
    from ketaclinic.infusions.forms import DischargeForm

    form = DischargeForm(scale="aldrete", esketamine=False)
    labels = {name: dict(field.choices) for name, field in form.fields.items() if name.startswith("item_")}
    assert labels["item_1"]["2"] == "2 · Moves 4 extremities voluntarily or on command"
    assert labels["item_2"]["0"] == "0 · Apnoeic"
    assert labels["item_4"]["1"] == "1 · Arousable on calling"
    for choices in labels.values():
        assert all(label != value for value, label in choices.items()), choices
