"""The home programme's reconciliation and reports in a browser: a prescriber records a pill count that differs from
the running balance, the discrepancy task appears on the programme page and the staff dashboard, is reviewed with a
note and disappears; then the clinic report and the patient's diary, on a tablet (1024×768) and a phone (390×844),
with the CSV download. Screenshots: test-artifacts/screenshots/home-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from ketaclinic.homecare import services
from ketaclinic.homecare.models import HomeDiscrepancyReview
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.homecare.conftest import GOOD, prescription, programme, thresholds  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_discrepancy_review_and_the_reports(
    live_server: Any,
    browser: Any,
    pat: Any,
    bob: Any,
    prescription: Any,  # noqa: F811
) -> None:
    services.check_in(by=None, prescription=prescription, **{**GOOD, "systolic_mmhg": 172})  # refused
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.take_dose(by=None, check_in=row)
    context = browser.new_context(viewport=TABLET, locale="en-US")
    page = context.new_page()
    problems = watch_errors(page)
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))

    # A video pill count: 3 where 5 are expected (the clinic's tolerance is 1 dose) opens a task.
    page.goto(f"{live_server.url}/homecare/patient/{pat.pk}/")
    page.get_by_text("Record a count").click()
    page.get_by_label("Doses counted").fill("3")
    page.get_by_label("Note").fill("Video pill count with the monitor")
    page.get_by_role("button", name="Record count").click()
    task = page.get_by_test_id("discrepancy-review")
    expect(task).to_contain_text("Count 3 where 5 doses are expected in hand")
    expect(page.get_by_test_id("discrepancy")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "home-discrepancy-programme-tablet")

    page.goto(f"{live_server.url}/staff/")
    dashboard = page.get_by_test_id("dashboard-home-reviews")
    expect(dashboard).to_contain_text("Rivera, Pat")
    screenshot(page, "home-discrepancy-dashboard-tablet")
    dashboard.get_by_role("link", name="Rivera, Pat").click()

    # Reviewing needs a note: an empty one is refused and the task stays open.
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_test_id("discrepancy-review")).to_be_visible()
    assert HomeDiscrepancyReview.objects.get().status == "open"
    page.get_by_label("Review note").fill("Spoke with patient and monitor: 2 troches lost in the move; recounted 3.")
    page.get_by_role("button", name="Mark reviewed").click()
    expect(page.get_by_text("Discrepancy reviewed.")).to_be_visible()
    expect(page.get_by_test_id("discrepancy-review")).to_have_count(0)
    assert HomeDiscrepancyReview.objects.get().review_note.startswith("Spoke with patient")
    page.goto(f"{live_server.url}/staff/")
    expect(page.get_by_test_id("dashboard-home-reviews")).to_have_count(0)

    # The clinic report and the patient's diary, with CSV.
    page.goto(f"{live_server.url}/homecare/patient/{pat.pk}/")
    page.get_by_test_id("programme-links").get_by_role("link", name="All home programmes").click()
    report = page.get_by_test_id("clinic-report")
    expect(report).to_contain_text("Rivera, Pat")
    expect(report).to_contain_text("Sublingual troche")
    assert_fits_width(page)
    screenshot(page, "home-clinic-report-tablet")
    with page.expect_download() as download:
        page.get_by_test_id("clinic-csv").click()
    assert download.value.suggested_filename.startswith("home-programmes-")
    page.get_by_role("link", name="Rivera, Pat").click()
    page.get_by_test_id("programme-links").get_by_role("link", name="Diary report").click()
    diary = page.get_by_test_id("diary")
    expect(diary).to_contain_text("check-in: refused")
    expect(diary).to_contain_text("dose taken")
    expect(diary).to_contain_text("3.00 doses counted")
    screenshot(page, "home-diary-tablet")
    with page.expect_download() as download:
        page.get_by_test_id("diary-csv").click()
    assert download.value.suggested_filename.startswith(f"home-diary-{pat.mrn}-")
    for name, path in (("dispense", "dispense/"), ("waste", "waste/")):
        page.goto(f"{live_server.url}/homecare/patient/{pat.pk}/rx/{prescription.pk}/{path}")
        screenshot(page, f"home-{name}-tablet")
    assert problems == []
    signed_in = context.storage_state()  # the same session on the phone (a second code would reuse the time step)
    context.close()

    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, storage_state=signed_in)
    page = phone.new_page()
    for name, path in (
        ("clinic-report", "/homecare/report/"),
        ("diary", f"/homecare/patient/{pat.pk}/report/"),
        ("programme", f"/homecare/patient/{pat.pk}/"),
        ("dispense", f"/homecare/patient/{pat.pk}/rx/{prescription.pk}/dispense/"),
        ("waste", f"/homecare/patient/{pat.pk}/rx/{prescription.pk}/waste/"),
    ):
        page.goto(f"{live_server.url}{path}")
        assert_fits_width(page)
        screenshot(page, f"home-{name}-phone")
    phone.close()
