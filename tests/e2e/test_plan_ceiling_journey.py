"""Issue 15 item 1 at the plan screens: a 50 mg/kg IV plan is refused (it does not fit the bag, then it is above the
label's anaesthetic dose and cannot be signed); a dose above the protocol's range looks alarming and is signed only
with a written reason and a second prescriber's co-signature (password and one-time code)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ketaclinic.patients import services as patients
from ketaclinic.plans.models import PlanVersion
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, totp_code
from tests.plans.conftest import make_second_prescriber, sign_eligibility

pytestmark = pytest.mark.browser


def _both(page: Any, name: str) -> None:
    """Screenshots at the tablet and the phone width; nothing may scroll sideways."""
    for size, suffix in ((TABLET, "1024"), (PHONE, "390")):
        page.set_viewport_size(size)
        assert_fits_width(page)
        screenshot(page, f"{name}-{suffix}")
    page.set_viewport_size(TABLET)


def _fill_plan(page: Any, mg_per_kg: str, strength: str) -> None:
    page.get_by_label("Dose (mg/kg)").fill(mg_per_kg)
    page.get_by_label("Ketamine strength").select_option(strength)
    page.get_by_role("button", name="Check and preview").click()


def test_an_anaesthetic_dose_is_refused_and_above_range_needs_a_second_prescriber(
    live_server: Any, page: Any, bob: Any, pat: Any
) -> None:
    sign_eligibility(pat, bob, ["iv"])
    patients.record_measurement(by=bob, patient=pat, weight_kg=Decimal("80"), height_cm=Decimal("170"))
    frank = make_second_prescriber(bob.clinic, pat.location)
    frank_key = give_authenticator(frank)
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))

    page.goto(live_server.url + reverse("plans:plan_create", args=[pat.pk]))
    page.get_by_label("Indication").select_option("treatment_resistant_depression")
    page.get_by_label("Protocol").select_option("depression_iv")
    page.get_by_label("Infusion duration (min)").fill("40")
    page.get_by_label("Infusion bag volume (mL)").fill("100")

    # The reported plan: 50 mg/kg × 80 kg = 4,000 mg = 400 mL of 10 mg/mL, which cannot go into a 100 mL bag.
    _fill_plan(page, "50", "10")
    expect(page.get_by_text("400.00 mL of 10 mg/mL ketamine does not fit a 100 mL bag.")).to_be_visible()
    expect(page.get_by_text("It would fit at 50 mg/mL (80.00 mL) or 100 mg/mL (40.00 mL).")).to_be_visible()

    # At 100 mg/mL it fits, and it is 1.25 mg/kg/min: the label's anaesthetic rate. No override passes.
    _fill_plan(page, "50", "100")
    absolute = page.get_by_test_id("finding-anaesthetic_rate")
    expect(absolute).to_contain_text("Above the label's anaesthetic dose: cannot be signed")
    expect(absolute).to_contain_text("Ketalar US label §2.2")
    assert "override:anaesthetic_rate" not in page.content()
    colour = absolute.evaluate("el => getComputedStyle(el).borderLeftColor")
    assert colour == "rgb(179, 38, 30)", colour  # --bad: the danger red, not the caution yellow
    _both(page, "plan-ceiling-anaesthetic")

    # 0.75 mg/kg over 40 min = 1.125 mg/kg/h: above the low-dose ceiling, signable with a reason and a co-signer.
    _fill_plan(page, "0.75", "10")
    above = page.get_by_test_id("finding-infusion_ceiling_exceeded")
    expect(above).to_contain_text("Above the protocol's range: needs a written reason and a second prescriber")
    page.get_by_label("Override reason (prescriber)").fill("Partial response at 0.5 mg/kg after 4 infusions")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("group", name="Second prescriber's co-signature")).to_be_visible()
    _both(page, "plan-ceiling-cosign")

    page.get_by_role("button", name="Sign plan version 1").click()
    expect(page.get_by_text("a second prescriber must co-sign")).to_be_visible()
    assert PlanVersion.objects.get().status == PlanVersion.Status.DRAFT

    page.get_by_label("Second prescriber: username").fill("frank")
    page.get_by_label("Second prescriber: password").fill(PASSWORD)
    page.get_by_label("Second prescriber: one-time code").fill(totp_code(frank_key))
    page.get_by_role("button", name="Sign plan version 1").click()
    expect(page.get_by_text("Signed. The plan is locked")).to_be_visible()
    expect(page.get_by_text("and co-signed by Frank Test")).to_be_visible()
    expect(page.get_by_test_id("finding-infusion_ceiling_exceeded")).to_contain_text("co-signed by Frank Test")
    version = PlanVersion.objects.get()
    assert (version.signed_by, version.cosigned_by) == (bob, frank)
    _both(page, "plan-ceiling-signed")
