"""A patient opens the reminder's link on a phone (390×844), reads the checklist and confirms; the link is then spent
(issue 17 "Patients"). Screenshots: test-artifacts/screens/issue17-visit-*.png."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, REPO_ROOT, assert_fits_width, watch_errors
from tests.scheduling.conftest import a_future_day, local, roster, set_up_location

pytestmark = pytest.mark.browser
SCREENS = REPO_ROOT / "test-artifacts" / "screens"


def shot(page: Any, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_patient_confirms_an_esketamine_visit_on_a_phone(
    live_server: Any, browser: Any, settings: Any, pat: Any, carol: Any, dave: Any, alice: Any, bob: Any, main_st: Any
) -> None:
    from ketaclinic.scheduling import services
    from ketaclinic.scheduling.models import AppointmentMessage
    from ketaclinic.scheduling.services import reminders
    from tests.infusions.conftest import make_esk_order, make_ready_patient

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    main_st.phone = "(217) 555-0100"
    main_st.address = "12 Main Street, Springfield"
    main_st.save()
    chairs = set_up_location(dave, main_st)
    day = a_future_day()
    roster(dave, main_st, day, alice, bob)
    order = make_esk_order(make_ready_patient(pat, bob), bob)
    visit = services.book(
        by=carol,
        patient=pat,
        kind="esketamine",
        location=main_st,
        start=local(day, 9),
        chair=chairs["chair1"],
        order=order,
    )
    reminders.run_reminders(base_url=live_server.url, now=visit.starts_at - dt.timedelta(days=6))
    url = re.search(r"http://\S+/a/[\w-]+/", mail.outbox[-1].body).group(0)  # type: ignore[union-attr]

    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = watch_errors(page)
    page.goto(url)
    expect(page.get_by_role("heading", name="Hello Pat", level=1)).to_be_visible()
    expect(page.locator("#checklist")).to_contain_text("Do not eat anything for 2 hours")
    expect(page.locator("#checklist")).to_contain_text("30 minutes")
    expect(page.locator("#checklist")).to_contain_text("drive you home")
    assert "Rivera" not in page.content() and "sketamine" not in page.content()
    assert_fits_width(page)
    box = page.locator("#confirm").bounding_box()
    assert box is not None and box["height"] >= 44  # a thumb-sized target
    shot(page, "issue17-visit-confirm-phone")

    page.locator("#confirm").click()
    expect(page.locator("#outcome")).to_contain_text("We have your confirmation")
    assert_fits_width(page)
    shot(page, "issue17-visit-confirmed-phone")
    assert AppointmentMessage.objects.get(appointment=visit).response == "confirmed"

    page.goto(url)  # one-time
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    shot(page, "issue17-visit-link-spent-phone")
    assert problems == []
    context.close()
