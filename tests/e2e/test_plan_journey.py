"""A prescriber creates and signs an IV plan and an esketamine plan, with the PK chart visible (issue 6)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.patients import services as patients
from tests.conftest import PASSWORD
from tests.e2e.conftest import give_authenticator, screenshot, sign_in
from tests.plans.conftest import sign_eligibility

pytestmark = pytest.mark.browser


def test_prescriber_plans_and_signs_iv_and_esketamine(live_server: Any, page: Any, bob: Any, pat: Any) -> None:
    sign_eligibility(pat, bob, ["iv", "intranasal_esketamine"])
    patients.record_measurement(by=bob, patient=pat, weight_kg=Decimal("80"), height_cm=Decimal("170"))
    patients.record_consent(
        by=bob,
        patient=pat,
        kind="esketamine_rems",
        version="2026",
        signed_at=timezone.now(),
        signed_by_name="Pat Rivera",
    )
    key = give_authenticator(bob)
    sign_in(page, live_server.url, bob, PASSWORD, key)

    page.goto(live_server.url + reverse("patients:chart", args=[pat.pk]))
    page.get_by_role("link", name="Treatment plans").click()
    page.get_by_role("link", name="New plan").click()
    page.get_by_label("Indication").select_option("treatment_resistant_depression")
    page.get_by_label("Protocol").select_option("depression_iv")
    page.get_by_label("Dose (mg/kg)").fill("0.5")
    page.get_by_label("Infusion duration (min)").fill("40")
    page.get_by_label("Ketamine strength").select_option("10")
    page.get_by_label("Infusion bag volume (mL)").fill("100")
    page.get_by_role("button", name="Check and preview").click()
    expect(page.get_by_test_id("plan-dose")).to_have_text("40.0")
    chart = page.get_by_role(
        "img",
        name="Predicted plasma concentration over time for this patient, with the population 5 to 95 percent band",
    )
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 500
    expect(page.get_by_test_id("pk-cmax")).to_be_visible()
    screenshot(page, "plan-iv-form-preview")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name="Checks")).to_be_visible()
    screenshot(page, "plan-iv-draft")
    page.get_by_role("button", name="Sign plan version 1").click()
    expect(page.get_by_text("Signed. The plan is locked")).to_be_visible()
    expect(page.get_by_text("150.0 mL/h").first).to_be_visible()
    expect(
        page.get_by_role(
            "img",
            name="Predicted plasma concentration over time for this patient, with the population 5 to 95 percent band",
        )
    ).to_be_visible()
    screenshot(page, "plan-iv-signed")

    page.goto(live_server.url + reverse("plans:plan_create", args=[pat.pk]))
    page.get_by_label("Protocol").select_option("esketamine")
    page.get_by_label("Dose by").select_option("fixed_mg")
    page.get_by_label("Dose (mg)", exact=True).fill("84")
    page.get_by_role("button", name="Check and preview").click()
    expect(page.get_by_text("Day 1 56 mg")).to_be_visible()
    expect(
        page.get_by_role(
            "img",
            name="Predicted plasma concentration over time for this patient, with the population 5 to 95 percent band",
        )
    ).to_be_visible()
    screenshot(page, "plan-esketamine-preview")
    page.get_by_role("button", name="Save draft").click()
    page.get_by_role("button", name="Sign plan version 1").click()
    expect(page.get_by_text("Signed. The plan is locked")).to_be_visible()
    expect(page.get_by_text("3 devices, 5 min apart").first).to_be_visible()
    screenshot(page, "plan-esketamine-signed")
