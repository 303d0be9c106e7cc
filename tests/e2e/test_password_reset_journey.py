"""The self-service password reset, clicked through in a real browser (issue 13): ask on the sign-in page, the e-mail
(Django's locmem outbox), the link, a new password, then sign-in with it still asks for the second factor."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.conftest import make_user
from tests.e2e.conftest import (
    CODE_LABEL,
    PHONE,
    TABLET,
    assert_fits_width,
    give_authenticator,
    password_step,
    screenshot,
    totp_code,
)

pytestmark = pytest.mark.browser

NEW_PASSWORD = "lantern orchard quietly 7 rivers"


def both_sizes(page: Any, name: str) -> None:
    """Screenshots at the tablet and the phone width; nothing may be wider than either."""
    for label, size in (("1024", TABLET), ("390", PHONE)):
        page.set_viewport_size(size)
        assert_fits_width(page)
        screenshot(page, f"reset-{name}-{label}")
    page.set_viewport_size(TABLET)


def test_a_nurse_resets_her_password_by_e_mail_and_still_needs_her_code(
    live_server: Any, page: Any, clinic: Any, main_st: Any
) -> None:
    nina = make_user("nina", "nurse", clinic, [main_st], email="nina@clinic.example")
    key = give_authenticator(nina)
    base = live_server.url
    mail.outbox.clear()

    page.goto(f"{base}/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    both_sizes(page, "01-request")
    page.get_by_label("Your work e-mail address").fill("nina@clinic.example")
    page.get_by_role("button", name="Send the link").click()

    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    both_sizes(page, "02-sent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@clinic.example"]
    link = re.search(r"http://\S+/accounts/password-reset/\S+/", mail.outbox[0].body)
    assert link is not None, mail.outbox[0].body

    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert page.url.endswith("/set-password/")  # the token left the address bar (and the Referer)
    page.get_by_label(re.compile(r"^New password")).fill("short")
    page.get_by_label("The new password again").fill("short")
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_text("This password is too short.")).to_be_visible()
    both_sizes(page, "03-choose-with-error")
    page.get_by_label(re.compile(r"^New password")).fill(NEW_PASSWORD)
    page.get_by_label("The new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()

    expect(page.get_by_role("heading", name="Your password is changed")).to_be_visible()
    both_sizes(page, "04-done")

    page.goto(link.group(0))  # a used link opens nothing
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    both_sizes(page, "05-used-link")

    # Sign in with the new password: the one-time code is still asked.
    password_step(page, base, "nina", NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Enter your one-time code")).to_be_visible()
    page.get_by_label(CODE_LABEL).fill(totp_code(key))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Good to see you"))).to_be_visible()
