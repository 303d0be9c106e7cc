"""A clinic admin reads the outcomes dashboard on a tablet (768 px) and a phone (390 px), and downloads the CSV."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from ketaclinic.demo import seed_outcomes
from tests.conftest import PASSWORD, make_patient
from tests.e2e.conftest import assert_fits_width, give_authenticator, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_clinic_admin_reads_the_dashboard_on_tablet_and_phone(
    live_server: Any, page: Any, dave: Any, bob: Any, main_st: Any, lakeside: Any
) -> None:
    rng = random.Random(3)
    batch = [
        seed_outcomes.SeedPatient(make_patient(main_st if n % 3 else lakeside, given_name=f"Dash{n}"), n % 4)
        for n in range(24)
    ]
    seed_outcomes.fill(batch=batch, clinician=bob, rng=rng, now=timezone.now())
    key = give_authenticator(dave)
    sign_in(page, live_server.url, dave, PASSWORD, key)

    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(live_server.url + reverse("dashboard:index"))
    expect(page.get_by_role("heading", name="Clinic outcomes")).to_be_visible()
    expect(page.get_by_role("heading", name="By route")).to_be_visible()
    expect(page.get_by_role("heading", name="Published benchmarks")).to_be_visible()
    expect(page.get_by_text("53.6 % / 28.9 %")).to_be_visible()
    assert "Dash1" not in page.content()
    assert_fits_width(page)
    screenshot(page, "dashboard-tablet-768")

    page.get_by_label("Scale").select_option("pain_nrs")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name="Numeric pain rating scale (0–10)")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + reverse("dashboard:index"))
    expect(page.get_by_role("heading", name="Safety")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "dashboard-phone-390")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    assert download.value.suggested_filename.startswith("outcomes-phq9-")
