"""Issue 21, the pain plan: a prescriber opens the pain patient's chart, sees the opioids' MME/day with the CDC 2022
cautions and prompts, opens the pain plan and adds a referral. Screens at tablet 1024×768 and phone 390×844."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ketaclinic.domain import instruments
from ketaclinic.outcomes import services as outcomes
from ketaclinic.pain import services as pain
from ketaclinic.patients import services as patients
from ketaclinic.patients.models import clinic_date
from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    PHONE,
    SCREENSHOT_DIR,
    TABLET,
    assert_fits_width,
    give_authenticator,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


def _shot(page: Any, name: str) -> None:
    screenshot(page, name)


def _card_shot(page: Any, name: str) -> None:
    """The MME card alone, beside the full-page screenshots."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    page.get_by_test_id("mme-card").screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"))


def _wait_for_chart(page: Any) -> None:
    """The chart SVG has loaded (the referral marks are drawn into it), so the screenshot shows it."""
    page.wait_for_function(
        "() => { const img = document.querySelector('[data-testid=pain-trajectory]');"
        " return img && img.complete && img.naturalWidth > 0; }"
    )


def test_prescriber_sees_mme_and_adds_a_referral(live_server: Any, page: Any, bob: Any, pat: Any) -> None:
    patients.add_medication(
        by=bob, patient=pat, generic_name="oxycodone ER", dose="20 mg", frequency="bd", daily_dose=Decimal("40")
    )
    patients.add_medication(
        by=bob,
        patient=pat,
        generic_name="fentanyl transdermal",
        dose="12 mcg/h",
        frequency="every 72 h",
        daily_dose=Decimal("12"),
        daily_dose_unit="mcg/h",
    )
    plan = pain.create_plan(
        by=bob,
        patient=pat,
        peg_baseline=Decimal("7.33"),
        peg_target=Decimal("4.5"),
        function_goals="Walk to the end of the street\nReturn to part-time work",
    )
    first = pain.add_referral(
        by=bob,
        plan=plan,
        kind="physical_therapy",
        provider_name="Springfield Physical Therapy",
        provider_contact="(217) 555-0140",
        sent_on=dt.date.today() - dt.timedelta(days=20),
    )
    start = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    for day, answers, source in ((0, [8, 7, 7], plan), (25, [6, 5, 5], first)):
        outcomes.record_measurement(
            by=bob,
            patient=pat,
            score=instruments.score("peg", answers),
            context="home",
            source=source,
            taken_at=start + dt.timedelta(days=day),
        )
    base = live_server.url
    sign_in(page, base, bob, PASSWORD, give_authenticator(bob))

    page.goto(base + reverse("patients:chart", args=[pat.pk]))
    card = page.get_by_test_id("mme-card")
    expect(page.get_by_test_id("mme-total")).to_have_text("88.8")  # 40 x 1.5 + 12 x 2.4
    expect(card).to_contain_text("Recommendation 4")
    expect(card).to_contain_text("dosed in mcg/hr instead of mg/day")
    expect(card).to_contain_text("Dowell et al., MMWR Recomm Rep 2022")
    assert_fits_width(page)
    _card_shot(page, "pain1-chart-mme-card-1024")
    _shot(page, "pain1-chart-1024")

    page.get_by_test_id("chart-pain-plan").click()
    expect(page.get_by_test_id("pain-goals")).to_contain_text("Return to part-time work")
    expect(page.get_by_test_id("immpact")).to_contain_text("5.13")  # 7.33 x 0.7
    expect(page.get_by_test_id("pain-trajectory")).to_be_visible()
    _wait_for_chart(page)
    page.get_by_test_id("referral-new").click()
    page.locator("#id_kind").select_option("psychology")
    page.locator("#id_provider_name").fill("Lakeview Psychology")
    page.locator("#id_provider_contact").fill("(217) 555-0150")
    page.locator("#id_sent_on").fill(clinic_date(pat).isoformat())
    page.get_by_role("button", name="Save").click()
    referrals = page.get_by_test_id("referrals")
    expect(referrals).to_contain_text("Lakeview Psychology")
    expect(referrals).to_contain_text("R2")
    _wait_for_chart(page)
    assert_fits_width(page)
    _shot(page, "pain1-plan-1024")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.get_by_test_id("referrals")).to_contain_text("Psychology / CBT")
    _wait_for_chart(page)
    assert_fits_width(page)
    _shot(page, "pain1-plan-390")
    page.goto(base + reverse("patients:chart", args=[pat.pk]))
    page.get_by_test_id("mme-card").scroll_into_view_if_needed()
    assert_fits_width(page)
    _card_shot(page, "pain1-chart-mme-card-390")
    _shot(page, "pain1-chart-390")
    page.set_viewport_size(TABLET)
