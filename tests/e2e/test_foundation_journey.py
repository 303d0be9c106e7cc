"""The foundation, clicked through in a real browser: sign-in with a second factor, first-time enrolment, patient
search, the chart, recording a weight, what front desk sees, and the idle timeout."""

from __future__ import annotations

import base64
import re
import time
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_patient
from tests.e2e.conftest import (
    CODE_LABEL,
    PHONE,
    assert_fits_width,
    give_authenticator,
    password_step,
    screenshot,
    sign_in,
    totp_code,
    watch_errors,
)

pytestmark = pytest.mark.browser


def test_nurse_signs_in_with_a_code_finds_the_patient_and_records_a_weight(
    live_server: Any, page: Any, alice: Any, pat: Any, main_st: Any
) -> None:
    from ketaclinic.patients.models import BodyMeasurement

    make_patient(main_st, given_name="Sam", family_name="Okafor", date_of_birth=pat.date_of_birth.replace(year=1991))
    key = give_authenticator(alice)
    base = live_server.url

    # Password first ...
    page.goto(f"{base}/accounts/login/")
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "01-login")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()

    # ... then the one-time code.
    expect(page).to_have_url(f"{base}/accounts/login/verify/")
    expect(page.get_by_role("heading", name="Enter your one-time code")).to_be_visible()
    expect(page.get_by_text("Signing in as alice")).to_be_visible()
    screenshot(page, "02-one-time-code")
    page.get_by_label(CODE_LABEL).fill(totp_code(key))
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(base + reverse("web:dashboard"))
    expect(page.get_by_role("heading", name="Good to see you, Alice")).to_be_visible()
    expect(page.get_by_text("Alice Test")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "03-dashboard")

    # The patient list: a submitted search ...
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients", exact=True)).to_be_visible()
    results = page.locator("#results")
    expect(results.get_by_role("link")).to_have_count(2)
    search = page.get_by_label("Search by name, MRN or date of birth")
    search.fill("Okafor")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"/patients/\?q=Okafor$"))
    expect(results.get_by_role("link", name="Okafor, Sam")).to_be_visible()
    expect(results.get_by_role("link", name="Rivera, Pat")).to_have_count(0)

    # ... and the live search (htmx swaps the results in place; the page is not reloaded).
    page.evaluate("() => { window.kcSamePage = true; }")
    search.fill("Rivera")
    expect(results.get_by_role("link", name="Rivera, Pat")).to_be_visible()
    expect(results.get_by_role("link", name="Okafor, Sam")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"/patients/\?q=Rivera$"))  # hx-push-url keeps the URL shareable
    assert page.evaluate("() => window.kcSamePage === true"), "live search reloaded the page instead of swapping"
    expect(results).to_contain_text(pat.mrn)
    assert_fits_width(page)
    screenshot(page, "04-patient-list")

    # The chart.
    results.get_by_role("link", name="Rivera, Pat").click()
    expect(page).to_have_url(f"{base}/patients/{pat.pk}/")
    expect(page.get_by_role("heading", name="Pat Rivera", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Weight, height and BMI")).to_be_visible()
    expect(page.get_by_text("No weight recorded yet.")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "05-chart")

    # Record a weight.
    page.get_by_role("link", name="Record weight").click()
    expect(page.get_by_role("heading", name="Record weight and height")).to_be_visible()
    # "Measured at" is required and comes prefilled with now (clinic time), so a nurse only types two numbers.
    expect(page.get_by_label("Measured at")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
    page.get_by_label("Weight (kg)").fill("80")
    page.get_by_label("Height (cm)").fill("175")
    assert_fits_width(page)
    screenshot(page, "06-weight-form")
    page.get_by_role("button", name="Save").click()

    # Back on the chart: 80 kg / (1.75 m)² = 26.122… → 26.1 kg/m².
    expect(page).to_have_url(f"{base}/patients/{pat.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Record weight and height: saved.")
    expect(page.get_by_test_id("latest-bmi")).to_have_text("26.1")
    expect(page.locator(".big-figures")).to_contain_text("80.0 kg")
    expect(page.locator(".big-figures")).to_contain_text("175.0 cm")
    assert_fits_width(page)
    screenshot(page, "07-chart-with-bmi")

    row = BodyMeasurement.objects.get(patient=pat)
    assert (row.weight_kg, row.height_cm, row.bmi, row.recorded_by_id) == (
        Decimal("80.0"),
        Decimal("175.0"),
        Decimal("26.1"),
        alice.pk,
    )


def test_a_wrong_code_is_refused_next_to_the_field_and_does_not_sign_in(
    live_server: Any, page: Any, alice: Any
) -> None:
    from ketaclinic.audit.models import AuditEvent

    key = give_authenticator(alice)
    base = live_server.url
    valid_now = {totp_code(key, drift) for drift in (-1, 0, 1)}  # the device accepts one step either side
    wrong = next(code for code in ("000000", "123456", "654321", "999999") if code not in valid_now)

    password_step(page, base, "alice", PASSWORD)
    expect(page).to_have_url(f"{base}/accounts/login/verify/")
    code = page.get_by_label(CODE_LABEL)

    # Not six digits: the form says so.
    code.fill("12ab")
    page.get_by_role("button", name="Sign in").click()
    field = page.locator(".field").filter(has=page.get_by_label(CODE_LABEL))
    expect(field.locator(".error")).to_have_text("Enter the 6 digits your authenticator app shows.")

    # Six digits, but the wrong ones.
    page.get_by_label(CODE_LABEL).fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/accounts/login/verify/")
    expect(field.locator(".error")).to_have_text("That code is not valid. Wait for a new code and try again.")
    expect(field).to_have_class(re.compile(r"\bhas-error\b"))
    # Screen readers hear the error with the field, not just somewhere on the page.
    expect(page.get_by_label(CODE_LABEL)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label(CODE_LABEL)).to_have_accessible_description(re.compile("That code is not valid"))
    screenshot(page, "02b-one-time-code-wrong")

    # Not signed in: the staff pages send us back to the sign-in page.
    page.goto(f"{base}/patients/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/patients/$"))
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    assert AuditEvent.objects.filter(action="auth.login_failed", actor_username="alice", outcome="failure").exists()
    assert not AuditEvent.objects.filter(action="auth.login", actor=alice).exists()


def test_front_desk_sees_the_chart_without_the_clinical_sections(
    live_server: Any, page: Any, settings: Any, carol: Any, pat: Any
) -> None:
    settings.KETACLINIC_MFA_FRONT_DESK = False  # a clinic that lets front desk sign in with a password only
    base = live_server.url

    sign_in(page, base, carol, PASSWORD, key=None)
    page.goto(f"{base}/patients/{pat.pk}/")
    expect(page.get_by_role("heading", name="Pat Rivera", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Details")).to_be_visible()
    expect(page.get_by_role("heading", name="Consents")).to_be_visible()
    expect(page.get_by_text(pat.phone)).to_be_visible()
    for clinical in ("Weight, height and BMI", "Conditions", "Current medications", "Allergies"):
        expect(page.get_by_role("heading", name=clinical)).to_have_count(0)
    expect(page.get_by_role("link", name="Record weight")).to_have_count(0)
    expect(page.get_by_test_id("latest-bmi")).to_have_count(0)
    assert_fits_width(page)
    screenshot(page, "08-front-desk-chart")

    # Typing the clinical URL does not help either.
    response = page.goto(f"{base}/patients/{pat.pk}/measurements/new/")
    assert response is not None and response.status == 403
    expect(page.get_by_label("Weight (kg)")).to_have_count(0)
    screenshot(page, "08b-front-desk-403")


def test_front_desk_is_asked_for_a_code_when_the_clinic_requires_it(
    live_server: Any, page: Any, settings: Any, carol: Any
) -> None:
    settings.KETACLINIC_MFA_FRONT_DESK = True
    key = give_authenticator(carol)

    sign_in(page, live_server.url, carol, PASSWORD, key=key)
    expect(page.get_by_text("Carol Test")).to_be_visible()


def test_an_idle_page_returns_to_sign_in_and_the_session_is_over(
    live_server: Any, page: Any, settings: Any, alice: Any, pat: Any
) -> None:
    from ketaclinic.audit.models import AuditEvent

    settings.KETACLINIC_IDLE_TIMEOUT_S = 3  # before any page loads: the page timer reads it from <body>
    key = give_authenticator(alice)
    base = live_server.url
    chart_url = f"{base}/patients/{pat.pk}/"

    sign_in(page, base, alice, PASSWORD, key=key)
    page.goto(chart_url)
    expect(page.get_by_role("heading", name="Pat Rivera", level=1)).to_be_visible()
    expect(page.locator("body")).to_have_attribute("data-idle-timeout-s", "3")
    left_alone_at = time.monotonic()

    # Nobody touches the tablet: the page's own timer sends it to the sign-in page.
    expect(page).to_have_url(re.compile(r"/accounts/login/\?timeout=1$"), timeout=10_000)
    idle_for = time.monotonic() - left_alone_at
    assert idle_for >= 3, f"sent to sign-in after {idle_for:.1f} s, before the 3 s idle timeout"
    expect(page.get_by_role("status")).to_contain_text("signed out after a period of inactivity")
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    expect(page.get_by_text("Pat Rivera")).to_have_count(0)
    screenshot(page, "09-signed-out-idle")

    # The server ended the session too: the chart asks for a sign-in again.
    page.goto(chart_url)
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/patients/\d+/$"))
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    timeout = AuditEvent.objects.get(action="auth.timeout", actor=alice)
    assert timeout.detail == {"reason": "idle timeout"}


def test_the_server_ends_an_idle_session_even_without_the_page_timer(
    live_server: Any, page: Any, settings: Any, alice: Any, pat: Any
) -> None:
    from ketaclinic.audit.models import AuditEvent

    settings.KETACLINIC_IDLE_TIMEOUT_S = 3
    key = give_authenticator(alice)
    base = live_server.url

    sign_in(page, base, alice, PASSWORD, key=key)
    page.goto("about:blank")  # no ketaclinic page open, so no page timer: only the server can end the session
    page.wait_for_timeout(4_500)  # the one deliberate wait: longer than the idle timeout
    page.goto(f"{base}/patients/{pat.pk}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?timeout=1$"))
    expect(page.get_by_role("status")).to_contain_text("signed out after a period of inactivity")
    assert AuditEvent.objects.filter(action="auth.timeout", actor=alice).count() == 1


def test_first_sign_in_enrols_an_authenticator(live_server: Any, page: Any, bob: Any) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.audit.models import AuditEvent

    base = live_server.url
    password_step(page, base, "bob", PASSWORD)

    expect(page).to_have_url(f"{base}/accounts/mfa/enrol/")
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    qr = page.locator("figure.qr > svg")
    expect(qr).to_have_count(1)
    expect(qr).to_be_visible()
    box = qr.bounding_box()
    assert box is not None and box["width"] >= 120 and box["height"] >= 120, f"QR code too small to scan: {box}"
    secret = page.locator("code.secret").inner_text().strip().replace(" ", "")
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret), f"not a base32 key: {secret!r}"
    assert_fits_width(page)
    screenshot(page, "10-mfa-enrolment")

    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    page.get_by_label(CODE_LABEL).fill(totp_code(key))
    page.get_by_role("button", name="Confirm and sign in").click()

    expect(page.get_by_role("heading", name="Good to see you, Bob")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Your authenticator app is set up.")
    screenshot(page, "11-dashboard-after-enrolment")
    device = TOTPDevice.objects.get(user=bob)
    assert device.confirmed and device.bin_key == key
    assert AuditEvent.objects.filter(action="auth.login", actor=bob).exists()


def test_the_sign_in_pages_fit_a_phone(live_server: Any, browser: Any, alice: Any) -> None:
    give_authenticator(alice)
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        problems = watch_errors(page)
        page.goto(f"{live_server.url}/accounts/login/")
        assert_fits_width(page)
        screenshot(page, "13-phone-login")
        password_step(page, live_server.url, "alice", PASSWORD)
        expect(page.get_by_role("heading", name="Enter your one-time code")).to_be_visible()
        assert_fits_width(page)
        assert problems == []
    finally:
        context.close()


def test_the_chart_and_patient_list_fit_a_phone(live_server: Any, browser: Any, alice: Any, pat: Any) -> None:
    from ketaclinic.patients import services

    services.record_measurement(by=alice, patient=pat, weight_kg=Decimal("95.0"), height_cm=Decimal("170.0"))
    key = give_authenticator(alice)
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        problems = watch_errors(page)
        sign_in(page, live_server.url, alice, PASSWORD, key=key)
        page.goto(f"{live_server.url}/patients/{pat.pk}/")
        # 95 kg / (1.70 m)² = 32.87… → 32.9, which is ≥ 30: the ideal-body-weight notice shows.
        expect(page.get_by_test_id("latest-bmi")).to_have_text("32.9")
        expect(page.get_by_text("ideal body weight as the dosing basis")).to_be_visible()
        screenshot(page, "12-phone-chart")
        chart_problem = _width_problem(page)
        page.goto(f"{live_server.url}/patients/")
        expect(page.get_by_role("link", name="Rivera, Pat")).to_be_visible()
        screenshot(page, "12b-phone-patient-list")
        list_problem = _width_problem(page)
        assert problems == []
        assert [p for p in (chart_problem, list_problem) if p] == []
    finally:
        context.close()


def _width_problem(page: Any) -> str | None:
    try:
        assert_fits_width(page)
    except AssertionError as error:
        return str(error)
    return None
