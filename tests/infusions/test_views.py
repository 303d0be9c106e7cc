"""The chair pages through Django's test client: forms, the double tap, the stale page, impossible readings, the pages
that need a session in a given state, the floor board's background polling, and object-level access (404)."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.middleware import LAST_SEEN
from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services
from ketaclinic.infusions.models import TreatmentSession, VitalReading
from tests.conftest import sign_in
from tests.infusions.conftest import ALDRETE_10, check_in, complete_check_in, fresh, start_esk, start_iv

VITALS = {
    "systolic_mmhg": "126",
    "diastolic_mmhg": "80",
    "heart_rate_per_min": "74",
    "spo2_percent": "98",
    "respiratory_rate_per_min": "14",
    "moaas": "5",
}


def url(name: str, session: Any, **kwargs: Any) -> str:
    return reverse(f"infusions:{name}", kwargs={"session_id": session.pk, **kwargs})


def post_vitals(client: Any, session: Any, **changes: Any) -> Any:
    data = {**VITALS, "version": fresh(session).version, "token": str(uuid.uuid4()), **changes}
    return client.post(url("vitals_create", session), data)


@pytest.mark.django_db
def test_checking_in_from_todays_list(client: Any, alice: Any, iv_order: Any) -> None:
    sign_in(client, alice)
    page = client.get(reverse("infusions:today"))
    assert page.status_code == 200 and "Ready to check in" in page.content.decode()
    response = client.post(reverse("infusions:check_in", args=[iv_order.pk]), {"chair": "Chair 4"})
    session = TreatmentSession.objects.get()
    assert response.status_code == 302 and response["Location"] == url("session", session)
    page = client.get(response["Location"]).content.decode()
    assert "Cannot start yet: 4 items missing" in page and "clinic policy" in page
    again = client.post(reverse("infusions:check_in", args=[iv_order.pk]), {"chair": "Chair 5"})
    assert "A session for this order already exists." in again.content.decode()


@pytest.fixture
def long_idle(settings: Any) -> None:
    """These tests move the clock further than the idle timeout, which is tested on its own."""
    settings.KETACLINIC_IDLE_TIMEOUT_S = 24 * 3600
    settings.KETACLINIC_SESSION_MAX_S = 48 * 3600


@pytest.mark.django_db
def test_check_in_facts_through_the_form(client: Any, alice: Any, iv_order: Any, long_idle: None) -> None:
    from zoneinfo import ZoneInfo

    session = check_in(iv_order, alice)
    afternoon = timezone.now().astimezone(ZoneInfo("America/Chicago")).replace(hour=15, minute=0, second=0)
    with time_machine.travel(afternoon, tick=False), timezone.override(ZoneInfo("America/Chicago")):
        # Signed in at the travelled-to time: before 03:00 in Chicago, 15:00 is more than the 12 h session lifetime
        # away, and a sign-in made before the jump would have expired (the test failed only at night).
        sign_in(client, alice)
        response = client.post(
            url("checkin_update", session),
            {
                "version": session.version,
                "chair": "Chair 3",
                "last_food_at": "11:30",
                "last_liquids_at": "23:10",
                "escort_name": "Sam Rivera",
                "escort_phone": "(217) 555-0101",
                "ride_home_confirmed": "on",
            },
        )
        assert response.status_code == 302
        session = fresh(session)
        local_food = timezone.localtime(session.last_food_at)
        assert (local_food.hour, local_food.minute) == (11, 30)
        # 23:10 is later than now (15:00 here): the evening before.
        assert timezone.localtime(session.last_liquids_at).date() == timezone.localdate() - dt.timedelta(days=1)
        assert session.ride_home_confirmed and session.escort_phone == "(217) 555-0101"


@pytest.mark.django_db
def test_a_double_tap_on_save_vitals_records_one_reading(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    data = {**VITALS, "version": session.version, "token": str(uuid.uuid4())}
    first = client.post(url("vitals_create", session), data)
    second = client.post(url("vitals_create", session), data)  # the same form, sent again
    assert (first.status_code, second.status_code) == (302, 302)
    assert VitalReading.objects.filter(session=session).count() == 1


@pytest.mark.django_db
def test_a_stale_page_cannot_overwrite_and_says_so(client: Any, alice: Any, bob: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    seen = session.version
    services.update_checkin(by=bob, session=session, version=seen, changes={"escort_name": "Sam Rivera"})
    sign_in(client, alice)
    response = client.post(
        url("checkin_update", session), {"version": seen, "chair": "Chair 3", "escort_name": "Someone Else"}
    )
    assert response.status_code == 409
    assert "Someone else changed this session" in response.content.decode()
    assert fresh(session).escort_name == "Sam Rivera"
    response = post_vitals(client, session, version=seen)
    assert response.status_code == 409 and not VitalReading.objects.exists()
    status = client.get(url("status", session) + f"?v={seen}").content.decode()
    assert "Someone else changed this session since this page was loaded" in status


@pytest.mark.django_db
def test_impossible_vitals_get_a_clear_message_and_nothing_is_saved(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    response = post_vitals(client, session, systolic_mmhg="400")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Systolic BP 400: outside the plausible range 40-300; re-check the entry. Nothing was saved." in page
    assert 'value="400"' in page  # what was typed is kept for correction
    response = post_vitals(client, session, spo2_percent="ninety")
    assert "Enter a whole number." in response.content.decode()
    assert not VitalReading.objects.exists() and fresh(session).version == session.version


@pytest.mark.django_db
def test_scoring_a_scale_on_its_page(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    page = client.get(url("scale", session, instrument="phq9")).content.decode()
    assert "Little interest or pleasure in doing things" in page
    incomplete = client.post(
        url("scale", session, instrument="phq9"),
        {"version": session.version, "token": str(uuid.uuid4()), **{f"item_{i}": "1" for i in range(1, 9)}},
    )
    assert "This field is required." in incomplete.content.decode()
    response = client.post(
        url("scale", session, instrument="phq9"),
        {"version": session.version, "token": str(uuid.uuid4()), **{f"item_{i}": "1" for i in range(1, 10)}},
    )
    assert response.status_code == 302 and fresh(session).scores.get().total == 9
    assert client.get(url("scale", session, instrument="madrs")).status_code == 404


@pytest.mark.django_db
def test_start_end_discharge_sign_and_print_through_the_pages(
    client: Any, alice: Any, bob: Any, iv_order: Any, stock: Any, long_idle: None
) -> None:
    session = complete_check_in(check_in(iv_order, alice), alice)
    sign_in(client, alice)
    start_page = client.get(url("start", session)).content.decode()
    assert "150.0 mL/h" in start_page and stock["vials"][0].label in start_page
    response = client.post(
        url("start", session),
        {
            "version": fresh(session).version,
            "token": str(uuid.uuid4()),
            "containers": [stock["vials"][0].pk],
            "drawn_ml": "4.00",
        },
    )
    assert response.status_code == 302 and fresh(session).status == "infusing"
    assert client.get(url("start", session)).status_code == 302
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=30), tick=False):
        end_page = client.get(url("end_infusion", session)).content.decode()
        assert "3.00 mL" in end_page  # 30 of 40 min ran in
        refused = client.post(
            url("end_infusion", session),
            {
                "version": fresh(session).version,
                "token": str(uuid.uuid4()),
                "witness_username": "bob",
                "witness_password": "not-his-password",
                "witness_otp_token": "123456",
                "early_end_reason": "nausea",
            },
        )
        page = refused.content.decode()
        assert "Witness: that username and password do not match" in page and "not-his-password" not in page
        assert fresh(session).status == "infusing"
        response = client.post(
            url("end_infusion", session),
            {"version": fresh(session).version, "token": str(uuid.uuid4()), "given_ml": "4.00"},
        )
        assert response.status_code == 302 and fresh(session).dose_delivered_mg == Decimal("40.00")
    # The protocol's minimum observation after the end of the infusion (clinic policy: 30 min).
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=60), tick=False):
        assert client.get(url("discharge", session)).status_code == 200
        form = {
            "version": fresh(session).version,
            "token": str(uuid.uuid4()),
            "scale": "aldrete",
            "escort_name": "Sam Rivera",
            "instructions_given": "on",
        }
        form.update({f"item_{i}": str(v) for i, v in enumerate(ALDRETE_10, start=1)})
        assert client.post(url("discharge", session), form).status_code == 302
    session = fresh(session)
    assert session.status == "discharged"
    note = client.get(url("note", session)).content.decode()
    assert "DRAFT" in note and "TREATMENT SESSION NOTE" in note
    assert AuditEvent.objects.filter(action="session.note.print", object_id=str(session.pk)).exists()
    client.post(url("sign", session), {"version": session.version})
    assert fresh(session).status == "signed"
    assert "DRAFT" not in client.get(url("note", session)).content.decode()


@pytest.mark.django_db
def test_side_effects_rescue_medications_and_corrections_through_the_pages(
    client: Any, alice: Any, iv_order: Any, stock: Any
) -> None:
    session = start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)
    sign_in(client, alice)
    response = client.post(
        url("side_effect_create", session),
        {
            "version": fresh(session).version,
            "token": str(uuid.uuid4()),
            "effect": "nausea",
            "severity": "moderate",
            "outcome": "ongoing",
            "action_taken": "ondansetron",
        },
    )
    assert response.status_code == 302
    effect = fresh(session).side_effects.get()
    rescue_page = client.get(url("rescue_create", session)).content.decode()
    assert "does not suggest doses" in rescue_page
    client.post(
        url("rescue_create", session),
        {
            "version": fresh(session).version,
            "token": str(uuid.uuid4()),
            "drug": "ondansetron",
            "dose": "4 mg",
            "route": "iv",
            "reason": "nausea",
            "side_effect": effect.pk,
        },
    )
    assert fresh(session).rescue_medications.get().dose == "4 mg"
    client.post(
        url("side_effect_resolve", session, side_effect_id=effect.pk),
        {"version": fresh(session).version, "outcome": "resolved"},
    )
    assert fresh(session).side_effects.get().outcome == "resolved"
    reading = fresh(session).readings.first()
    response = client.post(
        url("entered_in_error", session, kind="reading", row_id=reading.pk),
        {"version": fresh(session).version, "reason": "Wrong patient's cuff"},
    )
    assert response.status_code == 302 and VitalReading.objects.get(pk=reading.pk).entered_in_error
    assert client.get(url("entered_in_error", session, kind="ledger", row_id=1)).status_code == 404


@pytest.mark.django_db
def test_the_rems_pages_of_an_esketamine_session(
    client: Any, alice: Any, carol: Any, esk_order: Any, stock: Any
) -> None:
    session = start_esk(complete_check_in(check_in(esk_order, alice), alice), alice, stock)
    sign_in(client, alice)
    page = client.get(url("rems", session)).content.decode()
    assert "Spravato REMS Patient Monitoring Form" in page and "ESK7" in page and "7 day(s) left" in page
    tracker = client.get(reverse("infusions:rems_tracker")).content.decode()
    assert "Rivera, Pat" in tracker
    refused = client.post(url("rems", session), {"version": fresh(session).version, "confirmation": "R-1"})
    assert "observation" in refused.content.decode() and not fresh(session).rems_confirmation
    sign_in(client, carol)
    assert client.get(url("rems", session)).status_code == 403


@pytest.mark.django_db
def test_the_floor_board_polls_in_the_background(client: Any, alice: Any, erin: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice, chair="Chair 7")
    sign_in(client, alice)
    board = client.get(reverse("infusions:board")).content.decode()
    assert "Chair 7" in board and 'hx-trigger="every 15s"' in board and "KC-Background" in board
    stored = client.session
    stored[LAST_SEEN] = time.time() - 60  # a minute ago: past the resolution at which activity is stored
    stored.save()
    stamp = client.session[LAST_SEEN]
    rows = client.get(reverse("infusions:board_rows"), HTTP_HX_REQUEST="true", HTTP_KC_BACKGROUND="1")
    assert rows.status_code == 200 and "Chair 7" in rows.content.decode()
    assert client.session[LAST_SEEN] == stamp  # a poll is not the user's activity (idle timeout, security.md H2)
    client.get(reverse("infusions:board"))
    assert client.session[LAST_SEEN] > stamp
    sign_in(client, erin)  # Lakeside sees its own chairs only
    assert "Chair 7" not in client.get(reverse("infusions:board_rows")).content.decode()
    assert client.get(url("session", session)).status_code == 404
    assert client.get(url("status", session)).status_code == 404


@pytest.mark.django_db
def test_a_background_poll_after_the_idle_timeout_is_401(client: Any, alice: Any, settings: Any) -> None:
    sign_in(client, alice)
    session = client.session
    session[LAST_SEEN] = 0
    session.save()
    response = client.get(reverse("infusions:board_rows"), HTTP_HX_REQUEST="true", HTTP_KC_BACKGROUND="1")
    assert response.status_code == 401


@pytest.mark.django_db
def test_front_desk_sees_no_session_and_another_location_gets_404(
    client: Any, carol: Any, erin: Any, alice: Any, iv_order: Any
) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, carol)
    assert client.get(url("session", session)).status_code == 403
    sign_in(client, erin)
    for name in ("session", "cancel", "start", "discharge"):
        assert client.get(url(name, session)).status_code == 404, name
    assert (
        client.post(url("vitals_create", session), {**VITALS, "version": 1, "token": str(uuid.uuid4())}).status_code
        == 404
    )
    assert client.post(reverse("infusions:check_in", args=[iv_order.pk]), {"chair": "1"}).status_code == 404
    assert not VitalReading.objects.exists()


@pytest.mark.django_db
def test_pages_carry_no_inline_script(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    sign_in(client, alice)
    for page in (client.get(url("session", session)), client.get(reverse("infusions:board"))):
        html = page.content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline script"
        assert "sessions.js" in html


@pytest.mark.django_db
def test_the_r1_decision_and_a_cancellation_through_the_pages(
    client: Any, alice: Any, bob: Any, esk_order: Any
) -> None:
    high = {"systolic_mmhg": 146, "diastolic_mmhg": 88, "heart_rate_per_min": 74, "spo2_percent": 98, "moaas": 5}
    session = complete_check_in(check_in(esk_order, alice), alice, vitals=high)
    sign_in(client, alice)
    page = client.get(url("session", session)).content.decode()
    assert "Esketamine R1: blood pressure above 140/90" in page and "Ask the prescriber" in page
    sign_in(client, bob)
    assert "Record the risk/benefit decision" in client.get(url("session", session)).content.decode()
    empty = client.post(url("risk_acknowledge", session), {"version": fresh(session).version, "note": ""})
    assert "This field is required." in empty.content.decode()
    client.post(
        url("risk_acknowledge", session),
        {"version": fresh(session).version, "note": "Usual BP 140s; benefit outweighs risk"},
    )
    assert fresh(session).risk_benefit_by == bob
    sign_in(client, alice)
    assert client.get(url("cancel", session)).status_code == 200
    response = client.post(
        url("cancel", session), {"version": fresh(session).version, "reason": "Patient unwell today"}
    )
    assert response.status_code == 302 and fresh(session).status == "cancelled"
    assert "Not given: Patient unwell today" in client.get(url("session", session)).content.decode()
