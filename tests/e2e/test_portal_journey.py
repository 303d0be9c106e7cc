"""The patient portal in a real browser (issue 18): a keyboard-only journey on a phone (sign in by link and date of
birth, confirm an appointment with the pre-visit checklist), and axe-core (WCAG 2.2 AA) on every portal page, the
public home page and a questionnaire page at phone (390×844) and tablet (1024×768) width: no serious or critical
violation; the consent pages (list, read and sign, refusal, signed) are among them. Screenshots:
test-artifacts/screenshots/portal-*.png."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core import mail
from playwright.sync_api import expect

from tests.consents.conftest import publish
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, screenshot, watch_errors
from tests.scheduling.conftest import a_future_day, local, roster, set_up_location

pytestmark = pytest.mark.browser
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE = Axe()


def axe_problems(page: Any) -> list[str]:
    """Serious or critical WCAG 2.2 A/AA violations axe-core finds on the page, one line each."""
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    return [
        f"{page.url}: {v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def tab_to(page: Any, selector: str, limit: int = 60) -> None:
    """Press Tab until the element matching ``selector`` has the keyboard focus (keyboard-only use)."""
    for _ in range(limit):
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def book_visit(pat: Any, carol: Any, dave: Any, alice: Any, bob: Any, main_st: Any) -> Any:
    from ketaclinic.scheduling import services
    from tests.infusions.conftest import make_esk_order, make_ready_patient

    main_st.phone = "(217) 555-0100"
    main_st.address = "12 Main Street, Springfield"
    main_st.save()
    chairs = set_up_location(dave, main_st)
    day = a_future_day()
    roster(dave, main_st, day, alice, bob)
    order = make_esk_order(make_ready_patient(pat, bob), bob)
    return services.book(
        by=carol,
        patient=pat,
        kind="esketamine",
        location=main_st,
        start=local(day, 9),
        chair=chairs["chair1"],
        order=order,
    )


def latest_link(pattern: str) -> str:
    found = re.search(pattern, mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    return found.group(0)


def test_keyboard_only_sign_in_and_confirm_on_a_phone(
    live_server: Any, browser: Any, settings: Any, pat: Any, carol: Any, dave: Any, alice: Any, bob: Any, main_st: Any
) -> None:
    from ketaclinic.scheduling.models import PreVisitConfirmation

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    visit = book_visit(pat, carol, dave, alice, bob, main_st)
    context = browser.new_context(viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = watch_errors(page)

    page.goto(f"{live_server.url}/portal/login/")
    tab_to(page, "#id_address")
    page.keyboard.type(pat.email)
    page.keyboard.press("Enter")
    expect(page.locator("#sent")).to_contain_text("If we know this address")
    page.goto(latest_link(r"http://\S+/portal/login/[\w-]+/"))
    tab_to(page, "#id_date_of_birth")
    page.keyboard.type("04301980")  # the date field's month, day, year segments (en-US)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Hello Pat", level=1)).to_be_visible()
    screenshot(page, "portal-keyboard-home-phone")

    tab_to(page, "#open-next")
    page.keyboard.press("Enter")
    expect(page.locator("#checklist")).to_contain_text("Do not eat anything for 2 hours")
    tab_to(page, "#id_fasting")
    page.keyboard.press("Space")
    tab_to(page, "#id_ride_home_name")
    page.keyboard.type("Sam Rivera")
    tab_to(page, "#id_ride_home_phone")
    page.keyboard.type("(217) 555-0199")
    tab_to(page, "#confirm")
    page.keyboard.press("Enter")
    expect(page.locator("#confirmed")).to_contain_text("Sam Rivera will take you home")
    assert_fits_width(page)
    screenshot(page, "portal-keyboard-confirmed-phone")
    assert PreVisitConfirmation.objects.get(appointment=visit).ride_home_phone == "(217) 555-0199"
    tab_to(page, "#sign-out")
    page.keyboard.press("Enter")
    expect(page.locator("#signed-out")).to_be_visible()
    assert problems == []
    context.close()


@pytest.mark.parametrize(("size", "viewport"), [("phone", PHONE), ("tablet", TABLET)])
def test_every_portal_page_passes_axe(
    live_server: Any,
    browser: Any,
    settings: Any,
    pat: Any,
    carol: Any,
    dave: Any,
    alice: Any,
    bob: Any,
    main_st: Any,
    size: str,
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    from django.utils import timezone

    from ketaclinic.followup.services import questionnaires
    from tests.portal.conftest import questionnaire_for

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KETACLINIC_DOCUMENTS_DIR = tmp_path / "documents"
    visit = book_visit(pat, carol, dave, alice, bob, main_st)
    publish(dave, main_st.clinic)
    scored = questionnaire_for(pat, "scored")
    questionnaires.submit_for_patient(
        link_id=scored.pk, patient_id=pat.pk, answers={"phq9": [1, 1, 2, 1, 0, 1, 1, 0, 0]}
    )
    due = questionnaire_for(pat, "due")
    spare = questionnaire_for(pat, "spare")
    questionnaires.send_link(by=None, link=spare, base_url=live_server.url)
    public_questionnaire = latest_link(r"http://\S+/q/[\w-]+/")

    context = browser.new_context(viewport=viewport, locale="en-US", is_mobile=size == "phone")
    page = context.new_page()
    problems = watch_errors(page)
    found: list[str] = []

    def check(name: str) -> None:
        page.wait_for_load_state("networkidle")
        found.extend(axe_problems(page))
        assert_fits_width(page)
        screenshot(page, f"portal-{name}-{size}")

    page.goto(f"{live_server.url}/")
    check("public-home")
    page.goto(public_questionnaire)
    check("public-questionnaire")
    page.goto(f"{live_server.url}/portal/login/")
    check("login")
    page.get_by_label("Your e-mail address or mobile number").fill("<b>not an address")
    page.get_by_role("button", name="Send me a sign-in link").click()
    check("login-error")
    page.get_by_label("Your e-mail address or mobile number").fill(pat.email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    check("sent")
    link = latest_link(r"http://\S+/portal/login/[\w-]+/")
    page.goto(link)
    check("date-of-birth")
    page.get_by_label("Your date of birth").fill("1999-01-01")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error").first).to_contain_text("does not match")
    check("date-of-birth-wrong")
    page.get_by_label("Your date of birth").fill("1980-04-30")
    page.get_by_role("button", name="Sign in").click()
    check("home")
    page.goto(f"{live_server.url}/portal/appointments/")
    check("appointments")
    page.goto(f"{live_server.url}/portal/appointments/{visit.pk}/")
    page.get_by_role("button", name="Yes, I will come").click()
    expect(page.locator(".error").first).to_be_visible()
    check("appointment-errors")
    page.get_by_label("I will not eat or drink before my visit as the checklist says.").check()
    page.get_by_label("Name of the person taking you home").fill("Sam Rivera")
    page.get_by_label("Their phone number").fill("(217) 555-0199")
    page.get_by_role("button", name="Yes, I will come").click()
    check("appointment-confirmed")
    page.get_by_label("Another time").check()
    page.get_by_label(re.compile("Anything we should know")).fill("Fridays suit me")
    page.get_by_role("button", name="Send my request to the clinic").click()
    expect(page.locator("#pending")).to_be_visible()
    check("appointment-requested")
    page.goto(f"{live_server.url}/portal/questionnaires/")
    check("questionnaires")
    expect(page.locator("#history")).to_contain_text("out of 27")
    page.goto(f"{live_server.url}/portal/questionnaires/{due.pk}/")
    check("questionnaire")
    page.get_by_role("button", name="Send my answers").click()
    check("questionnaire-errors")
    page.goto(f"{live_server.url}/portal/documents/")
    check("documents")
    page.get_by_role("button", name="Send it to the clinic").click()
    expect(page.locator(".error").first).to_be_visible()
    check("documents-errors")
    page.goto(f"{live_server.url}/portal/consents/")
    check("consents")
    page.get_by_role("link", name=re.compile("Consent to ketamine treatment")).click()
    check("consent-read")
    page.get_by_role("button", name="Sign this document").click()
    expect(page.locator("#id_typed_name_error")).to_be_visible()
    check("consent-errors")
    page.get_by_label("Type your full name to sign").fill("Pat Rivera")
    page.get_by_label(re.compile("I have read this document")).check()
    page.get_by_role("button", name="Sign this document").click()
    expect(page.locator("#signed-summary")).to_be_visible()
    check("consent-signed")
    page.goto(f"{live_server.url}/portal/consents/")
    expect(page.locator("#signed")).to_contain_text("version 1")
    check("consents-signed")
    page.goto(f"{live_server.url}/portal/messages/")
    check("messages")
    page.get_by_role("button", name="Send").click()
    expect(page.locator(".error").first).to_contain_text("please write something")
    check("messages-errors")
    page.get_by_label("Subject").fill("A question")
    page.get_by_label("Your message").fill("Can I drive home after my visit?")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#sent")).to_be_visible()
    check("message-thread")
    page.goto(link)
    check("link-used")
    page.goto(f"{live_server.url}/portal/")
    page.get_by_role("button", name="Sign out").click()
    check("signed-out")
    assert due.patient_id == pat.pk and timezone.now()
    assert found == [], "axe-core found serious/critical violations:\n" + "\n".join(found)
    assert problems == []
    context.close()


def test_the_axe_check_can_fail(page: Any) -> None:
    """The checker above is not vacuous: an image without a text alternative is a critical violation."""
    page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="data:,"></main></body></html>')
    assert any("image-alt" in problem for problem in axe_problems(page))
