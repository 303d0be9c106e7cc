"""A telehealth integration visit booked from the home programme page (1024×768) with its video link — an insecure
http:// link is refused and nothing is booked — shown on the day view; then the patient sees "Join by video" in the
portal on a phone (390×844). Screenshots: test-artifacts/screenshots/telehealth-*.png."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from ketaclinic.scheduling.models import Appointment
from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.homecare.conftest import prescription, programme, thresholds  # noqa: F401  (fixtures)
from tests.scheduling.conftest import day, floor  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
LINK = "https://video.example.org/room/integration-42"


def test_book_a_telehealth_visit_and_join_it_from_the_portal(
    live_server: Any,
    browser: Any,
    settings: Any,
    pat: Any,
    bob: Any,
    prescription: Any,  # noqa: F811
    floor: Any,  # noqa: F811
    day: dt.date,  # noqa: F811
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    context = browser.new_context(viewport=TABLET, locale="en-US")
    page = context.new_page()
    problems = watch_errors(page)
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))
    page.goto(f"{live_server.url}/homecare/patient/{pat.pk}/")
    page.get_by_test_id("book-telehealth").click()
    expect(page.get_by_label("Patient")).to_have_value(str(pat.pk))
    expect(page.get_by_label("Kind")).to_have_value("telehealth")
    page.get_by_label("Start").fill(f"{day.isoformat()}T10:00")
    page.get_by_label("Video link (telehealth)").fill("http://video.example.org/room")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Only a secure https:// video link is accepted.")).to_be_visible()
    assert not Appointment.objects.exists()
    page.get_by_label("Video link (telehealth)").fill(LINK)
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Booked Telehealth")).to_be_visible()
    link = page.locator("a.video-link")
    expect(link).to_have_attribute("href", LINK)
    assert_fits_width(page)
    screenshot(page, "telehealth-day-view-tablet")
    page.goto(f"{live_server.url}/homecare/patient/{pat.pk}/")
    expect(page.get_by_test_id("telehealth-visits")).to_contain_text("video link")
    assert problems == []
    context.close()

    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True)
    page = phone.new_page()
    page.goto(f"{live_server.url}/portal/login/")
    page.get_by_label("Your e-mail address or mobile number").fill(pat.email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    found = re.search(r"http://\S+/portal/login/[\w-]+/", mail.outbox[-1].body)
    assert found
    page.goto(found.group(0))
    page.get_by_label("Your date of birth").fill("1980-04-30")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/portal/appointments/")
    expect(page.get_by_test_id("video-ready")).to_be_visible()
    page.locator("#upcoming a").first.click()
    expect(page.locator("#video-link")).to_have_attribute("href", LINK)
    assert_fits_width(page)
    screenshot(page, "telehealth-portal-phone")
    phone.close()
