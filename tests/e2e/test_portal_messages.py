"""Secure messages in a real browser (issue 18): a patient writes on a phone, the nurse sees it in the location's
inbox on the tablet, assigns herself and replies; the patient gets a notice without content and reads the reply.
Screenshots: test-artifacts/screenshots/messages-*.png (phone 390×844, tablet 1024×768)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in, watch_errors
from tests.e2e.test_portal_journey import axe_problems, latest_link

pytestmark = pytest.mark.browser
WORDS = "Since Tuesday's visit I feel dizzy when I stand up. Is that expected?"


def portal_sign_in(page: Any, base_url: str, patient: Any) -> None:
    page.goto(f"{base_url}/portal/login/")
    page.get_by_label("Your e-mail address or mobile number").fill(patient.email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    page.goto(latest_link(r"http://\S+/portal/login/[\w-]+/"))
    page.get_by_label("Your date of birth").fill(patient.date_of_birth.isoformat())
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hello")


def test_patient_writes_nurse_assigns_and_replies_patient_reads(
    live_server: Any, browser: Any, settings: Any, pat: Any, alice: Any
) -> None:
    from ketaclinic.portal.models import Thread

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    found: list[str] = []

    phone = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    patient_page = phone.new_page()
    problems = watch_errors(patient_page)
    portal_sign_in(patient_page, live_server.url, pat)
    patient_page.get_by_role("link", name="Your messages").click()
    expect(patient_page.locator("#non-urgent")).to_contain_text("988")
    patient_page.get_by_label("Your message").fill("x" * 5001)
    patient_page.get_by_label("Subject").fill("Dizzy after my visit")
    patient_page.get_by_role("button", name="Send").click()
    expect(patient_page.locator(".error").first).to_contain_text("5,001 characters long; the limit is 5,000")
    found.extend(axe_problems(patient_page))
    assert_fits_width(patient_page)
    screenshot(patient_page, "messages-patient-too-long-phone")
    patient_page.get_by_label("Your message").fill(WORDS)
    patient_page.get_by_role("button", name="Send").click()
    expect(patient_page.locator("#sent")).to_contain_text("sent to your care team at Main")
    found.extend(axe_problems(patient_page))
    assert_fits_width(patient_page)
    screenshot(patient_page, "messages-patient-sent-phone")

    tablet = browser.new_context(viewport=TABLET, locale="en-US")
    staff_page = tablet.new_page()
    problems += watch_errors(staff_page)
    sign_in(staff_page, live_server.url, alice, PASSWORD, give_authenticator(alice))
    expect(staff_page.locator("#nav-inbox")).to_contain_text("1 new")
    staff_page.locator("#nav-inbox").click()
    expect(staff_page.locator("#inbox")).to_contain_text("Dizzy after my visit")
    expect(staff_page.locator("#inbox")).to_contain_text("Pat Rivera")
    found.extend(axe_problems(staff_page))
    screenshot(staff_page, "messages-inbox-tablet")
    staff_page.get_by_role("link", name=re.compile("Dizzy after my visit")).click()
    expect(staff_page.locator("#thread")).to_contain_text(WORDS)
    staff_page.get_by_role("button", name="Assign to me").click()
    expect(staff_page.locator("#thread-assignee")).to_have_text(alice.display_name)
    staff_page.get_by_label("Reply to the patient").fill("Sit or lie down, drink water, and call us if it lasts.")
    staff_page.get_by_role("button", name="Send reply").click()
    expect(staff_page.locator("#thread-status")).to_have_text("Waiting for the patient")
    found.extend(axe_problems(staff_page))
    assert_fits_width(staff_page)
    screenshot(staff_page, "messages-staff-thread-tablet")
    staff_page.goto(f"{live_server.url}/portal/inbox/?show=mine")
    expect(staff_page.locator("#inbox")).to_contain_text("Dizzy after my visit")
    expect(staff_page.locator("#median")).to_be_visible()
    screenshot(staff_page, "messages-inbox-mine-tablet")

    notice = mail.outbox[-1]
    assert notice.to == [pat.email] and "Sign in to read it" in notice.body
    assert "drink water" not in notice.body and "Dizzy" not in notice.body + notice.subject

    patient_page.goto(f"{live_server.url}/portal/messages/")
    expect(patient_page.locator("#threads")).to_contain_text("1 new")
    patient_page.get_by_role("link", name=re.compile("Dizzy after my visit")).click()
    expect(patient_page.locator("#thread")).to_contain_text("call us if it lasts")
    found.extend(axe_problems(patient_page))
    assert_fits_width(patient_page)
    screenshot(patient_page, "messages-patient-reply-phone")

    staff_page.set_viewport_size(PHONE)
    staff_page.goto(f"{live_server.url}/portal/inbox/{Thread.objects.get().pk}/")
    screenshot(staff_page, "messages-staff-thread-phone")
    patient_page.set_viewport_size(TABLET)
    patient_page.reload()
    screenshot(patient_page, "messages-patient-reply-tablet")
    assert found == [], "axe-core found serious/critical violations:\n" + "\n".join(found)
    assert problems == []
    phone.close()
    tablet.close()
