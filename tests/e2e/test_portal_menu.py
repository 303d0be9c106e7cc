"""The portal's menu in a real browser: consents, documents and messages with their counts on every page, the
current page marked (aria-current), phone (390×844) and tablet (1024×768) width without sideways scrolling, and no
serious or critical axe-core violation. Screenshots: test-artifacts/screenshots/portal-menu-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import tiny_pdf
from tests.consents.conftest import publish
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, screenshot, watch_errors
from tests.e2e.test_portal_journey import axe_problems

pytestmark = pytest.mark.browser
PDF = tiny_pdf("a lab result")


def test_the_menu_with_counts_on_a_phone_and_a_tablet(
    live_server: Any, browser: Any, settings: Any, pat: Any, alice: Any, dave: Any, main_st: Any, tmp_path: Path
) -> None:
    from ketaclinic.patients import uploads
    from ketaclinic.portal.messaging import services as messaging

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KETACLINIC_DOCUMENTS_DIR = tmp_path / "documents"
    publish(dave, main_st.clinic)
    messaging.staff_start_thread(by=alice, patient=pat, subject="Results", text="Ready.", base_url=live_server.url)
    uploads.upload_by_staff(by=alice, patient=pat, content=PDF, kind="labs", title="Blood count", document_date=None)
    found: list[str] = []
    for size, viewport in (("phone", PHONE), ("tablet", TABLET)):
        context = browser.new_context(viewport=viewport, locale="en-US", is_mobile=size == "phone")
        page = context.new_page()
        problems = watch_errors(page)
        page.goto(f"{live_server.url}/portal/login/")
        page.get_by_label("Your e-mail address or mobile number").fill(pat.email)
        page.get_by_role("button", name="Send me a sign-in link").click()
        link = re.search(r"http://\S+/portal/login/[\w-]+/", mail.outbox[-1].body)
        assert link
        page.goto(link.group(0))
        page.get_by_label("Your date of birth").fill("1980-04-30")
        page.get_by_role("button", name="Sign in").click()
        menu = page.get_by_role("navigation", name="Your portal")
        expect(menu.get_by_role("link", name="Home")).to_have_attribute("aria-current", "page")
        expect(menu.get_by_role("link", name="Consents 1 to sign")).to_be_visible()
        expect(menu.get_by_role("link", name="Messages 1 unread")).to_be_visible()
        expect(menu.get_by_role("link", name="Documents 1 new")).to_be_visible()
        found.extend(axe_problems(page))
        assert_fits_width(page)
        screenshot(page, f"portal-menu-home-{size}")
        menu.get_by_role("link", name="Consents 1 to sign").click()
        expect(menu.get_by_role("link", name="Consents 1 to sign")).to_have_attribute("aria-current", "page")
        found.extend(axe_problems(page))
        assert_fits_width(page)
        screenshot(page, f"portal-menu-consents-{size}")
        assert problems == []
        context.close()
    assert found == [], "axe-core found serious/critical violations:\n" + "\n".join(found)
