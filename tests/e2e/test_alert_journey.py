"""Acting on alerts in a real browser (issue 15), on the tablet (1024×768) and a phone (390×844).

The safety alert page: a positive PHQ-9 item 9 shows a red pill, the patient's phone as a tel: link and "Record
C-SSRS now" pointing at the open intake; acknowledging without a follow-up note is refused, with one it closes.
The chair: a 186/114 reading is one stop-and-evaluate alert listing every finding, acknowledged once, with a note.
Screenshots go to test-artifacts/screens/ and are meant to be looked at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ketaclinic.infusions import services as sessions
from ketaclinic.intake.models import IntakeAssessment
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.patients import services as patients
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, REPO_ROOT, TABLET, assert_fits_width, give_authenticator, sign_in
from tests.infusions.conftest import (
    check_in,
    complete_check_in,
    make_iv_order,
    make_ready_patient,
    make_stock,
    start_iv,
)
from tests.intake.factories import draft_intake
from tests.ledger.conftest import licence

pytestmark = pytest.mark.browser

SCREENS = REPO_ROOT / "test-artifacts" / "screens"
PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]


def shoot(page: Any, name: str, *, phone_fits: bool = True) -> list[Path]:
    """Full-page PNGs at the tablet and the phone size, checked for sideways scrolling (at the phone size only where
    ``phone_fits``: the chair page's vitals grid is wider than a phone and scrolls in its own box)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, size in (("1024x768", TABLET), ("390x844", PHONE)):
        page.set_viewport_size(size)
        if phone_fits or size == TABLET:
            assert_fits_width(page)
        path = SCREENS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        paths.append(path)
    page.set_viewport_size(TABLET)
    return paths


def test_acknowledging_a_suicidality_alert_on_the_alert_page(live_server: Any, page: Any, alice: Any, pat: Any) -> None:
    patients.update_patient(by=alice, patient=pat, changes={"phone": "(512) 555-0142"})
    draft_intake(patient=pat, clinician=alice, scales={"phq9": PHQ9_ITEM9})
    alert = SafetyAlert.objects.get()
    draft = IntakeAssessment.objects.get(patient=pat)
    key = give_authenticator(alice)
    sign_in(page, live_server.url, alice, PASSWORD, key)
    page.goto(live_server.url + reverse("outcomes:alert_detail", args=[alert.pk]))

    pill = page.get_by_test_id("severity")
    expect(pill).to_have_class(re.compile(r"\btone-danger\b"))
    assert pill.evaluate("el => getComputedStyle(el).backgroundColor") == "rgb(179, 38, 30)"  # --bad, not blue
    expect(page.get_by_test_id("patient-phone")).to_have_attribute("href", "tel:5125550142")
    expect(page.get_by_test_id("record-cssrs")).to_have_attribute(
        "href", reverse("intake:instrument", args=[draft.pk, "cssrs_screener"])
    )
    shoot(page, "alert-page-open")

    page.get_by_role("button", name="Acknowledge alert").click()  # no follow-up note
    expect(page.get_by_text("This field is required.")).to_be_visible()
    alert.refresh_from_db()
    assert alert.is_open

    page.get_by_label("Follow-up").fill("Called her at 14:05: safe, with her sister; C-SSRS at tomorrow's check-in.")
    page.get_by_role("button", name="Acknowledge alert").click()
    expect(page.get_by_text("Alert acknowledged; your follow-up note is on record.")).to_be_visible()
    alert.refresh_from_db()
    assert alert.acknowledged_by == alice and alert.follow_up_note.startswith("Called her")
    expect(page.get_by_test_id("record-cssrs")).to_have_count(0)  # acknowledged: the action is done
    shoot(page, "alert-page-acknowledged")


def test_one_reading_one_alert_acknowledged_once_at_the_chair(
    live_server: Any, page: Any, main_st: Any, clinic: Any, alice: Any, bob: Any, pat: Any
) -> None:
    stock = make_stock(main_st, clinic, alice)
    licence(bob)
    order = make_iv_order(make_ready_patient(pat, bob), bob)
    session = start_iv(complete_check_in(check_in(order, alice), alice), alice, stock)
    sessions.record_vitals(
        by=alice,
        session=session,
        version=None,
        values={"systolic_mmhg": 186, "diastolic_mmhg": 114, "heart_rate_per_min": 128, "spo2_percent": 97},
    )
    key = give_authenticator(alice)
    sign_in(page, live_server.url, alice, PASSWORD, key)
    page.goto(live_server.url + reverse("infusions:session", args=[session.pk]))

    cards = page.locator(".chair-alert")
    expect(cards).to_have_count(1)
    expect(page.get_by_test_id("alert-findings").locator("li")).to_have_count(5)
    expect(cards.first).not_to_contain_text("esketamine")
    note = cards.first.get_by_label("What was done")
    expect(note).to_have_attribute("required", "")
    shoot(page, "chair-one-alert", phone_fits=False)

    note.fill("Infusion stopped; Dr Bob evaluated, labetalol 10 mg IV")
    cards.first.get_by_role("button", name=re.compile("Acknowledge")).click()
    expect(page.get_by_text("Alert acknowledged.")).to_be_visible()
    expect(page.locator(".chair-alert")).to_have_count(0)
    assert not session.alerts.filter(acknowledged_at__isnull=True).exists()
