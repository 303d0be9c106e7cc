"""Issue 15 "should" items in a real browser, at the chair tablet (1024×768) and a phone (390×844): an expired
consent is marked Expired on the chart and at check-in; the chair page and the plan page never scroll sideways on a
phone; a table wider than its box scrolls inside it (the ledger's administrations report at 1024 px) instead of
being cut off. Screenshots of every changed screen at both sizes land in test-artifacts/screens/ to be looked at."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import give_authenticator, sign_in
from tests.infusions.conftest import (
    check_in,
    complete_check_in,
    make_iv_order,
    make_ready_patient,
    make_stock,
    start_iv,
)
from tests.ledger.conftest import licence

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screens"
SIZES = {"1024": {"width": 1024, "height": 768}, "390": {"width": 390, "height": 844}}
CLINIC_ZONE = ZoneInfo("America/Chicago")


def page_width(page: Any) -> dict[str, int]:
    return page.evaluate("() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})")  # type: ignore[no-any-return]


def fits(page: Any) -> None:
    width = page_width(page)
    assert width["scroll"] <= width["inner"], f"{page.url} scrolls sideways: {width}"


def both_sizes(page: Any, name: str, *, check_fit: bool = True) -> None:
    """At each size: the page does not scroll sideways (when asked), and a full-page screenshot."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES.items():
        page.set_viewport_size(size)
        page.wait_for_timeout(50)
        if check_fit:
            fits(page)
        page.screenshot(path=str(SCREENS / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(SIZES["1024"])


@pytest.fixture
def iv(main_st: Any, clinic: Any, alice: Any, pat: Any, bob: Any) -> dict[str, Any]:
    stock = make_stock(main_st, clinic, alice)
    licence(bob)
    return {"order": make_iv_order(make_ready_patient(pat, bob), bob), "stock": stock}


def _expire_treatment_consent(pat: Any, bob: Any) -> dt.date:
    from ketaclinic.patients import services as patients
    from ketaclinic.patients.models import Consent

    current = Consent.objects.get(patient=pat, kind="treatment")
    patients.mark_entered_in_error(by=bob, row=current, reason="replaced by last year's form")
    expired_on = timezone.now().astimezone(CLINIC_ZONE).date() - dt.timedelta(days=3)
    patients.record_consent(
        by=bob,
        patient=pat,
        kind="treatment",
        version="2025-01",
        signed_at=timezone.now() - dt.timedelta(days=368),
        signed_by_name="Pat Rivera",
        expires_on=expired_on,
    )
    return expired_on


def test_an_expired_consent_is_marked_on_the_chart_and_at_check_in(
    live_server: Any, page: Any, alice: Any, bob: Any, pat: Any, iv: dict[str, Any]
) -> None:
    expired_on = _expire_treatment_consent(pat, bob)
    session = check_in(iv["order"], alice)
    sign_in(page, live_server.url, alice, PASSWORD, give_authenticator(alice))

    page.goto(live_server.url + reverse("patients:chart", args=[pat.pk]))
    expired = page.get_by_test_id("consent-expired")
    expect(expired).to_have_count(1)
    expect(expired).to_have_text("Expired")
    expect(page.locator("tr.expired")).to_contain_text("Ketamine treatment informed consent")
    expect(page.locator("tr.expired")).to_contain_text(f"{expired_on:%Y-%m-%d}")
    page.locator("#h-cons").scroll_into_view_if_needed()
    both_sizes(page, "chart-consent-expired")

    page.goto(live_server.url + reverse("infusions:session", args=[session.pk]))
    expect(page.get_by_test_id("check-consent")).to_contain_text(
        f"Expired: ketamine treatment consent (expired {expired_on:%Y-%m-%d})"
    )
    listed = page.get_by_test_id("checkin-consents")
    expect(listed.locator("li.expired .badge")).to_have_text("Expired")
    expect(page.get_by_test_id("blocked")).to_contain_text("Consent current")
    both_sizes(page, "checkin-consent-expired")

    # The consent form refuses an expiry before the signature, with the reason next to the field.
    page.goto(live_server.url + reverse("patients:consent_create", args=[pat.pk]))
    page.get_by_label("Consent").select_option("treatment")
    page.get_by_label("Version").fill("2026-01")
    page.get_by_label("Signed at").fill("2026-01-10T10:00")
    page.get_by_label("Signed by").fill("Pat Rivera")
    page.get_by_label("Expires on").fill("2025-12-31")
    page.get_by_role("button", name=re.compile("Save|Record")).click()
    expect(page.get_by_text("cannot expire (2025-12-31) before it was signed (2026-01-10)")).to_be_visible()
    both_sizes(page, "consent-form-expiry-before-signature")


def test_the_chair_page_does_not_scroll_sideways_on_a_phone(
    live_server: Any, page: Any, alice: Any, bob: Any, iv: dict[str, Any]
) -> None:
    from ketaclinic.infusions import services

    session = complete_check_in(check_in(iv["order"], alice, chair="Chair 2"), alice)
    sign_in(page, live_server.url, alice, PASSWORD, give_authenticator(alice))
    url = live_server.url + reverse("infusions:session", args=[session.pk])
    page.goto(url)
    expect(page.get_by_test_id("record-revision")).to_contain_text("Session record revision")
    expect(page.get_by_test_id("record-revision")).to_contain_text("the plan is version 1")
    both_sizes(page, "chair-check-in")

    start_iv(session, alice, iv["stock"])
    high = {
        "systolic_mmhg": 186,
        "diastolic_mmhg": 112,
        "heart_rate_per_min": 118,
        "spo2_percent": 93,
        "respiratory_rate_per_min": 20,
        "moaas": 3,
    }
    services.record_vitals(by=alice, session=session, version=None, values=high)
    services.change_rate(
        by=alice, session=session, version=None, kind="change", rate_mg_per_h=Decimal("45"), reason="Nausea: slowed"
    )
    page.goto(url)
    expect(page.get_by_role("heading", name="Infusion", exact=True)).to_be_visible()
    both_sizes(page, "chair-infusing-with-alert")

    # The C-SSRS skip items can be cleared: tick Q3 by mistake, then "Not asked".
    page.goto(live_server.url + reverse("infusions:scale", args=[session.pk, "cssrs_screener"]))
    page.locator("input[name=item_3][value=yes]").check(force=True)
    page.locator("input[name=item_3][value='']").check(force=True)
    assert not page.locator("input[name=item_3][value=yes]").is_checked()
    both_sizes(page, "cssrs-not-asked")


def test_the_discharge_page_shows_the_aldrete_criteria(
    live_server: Any, page: Any, alice: Any, bob: Any, iv: dict[str, Any]
) -> None:
    session = complete_check_in(check_in(iv["order"], alice, chair="Chair 5"), alice)
    start_iv(session, alice, iv["stock"])
    sign_in(page, live_server.url, alice, PASSWORD, give_authenticator(alice))
    page.goto(live_server.url + reverse("infusions:discharge", args=[session.pk]) + "?scale=aldrete")
    expect(page.get_by_text("2 · Moves 4 extremities voluntarily or on command")).to_be_visible()
    expect(page.get_by_text("1 · Arousable on calling")).to_be_visible()
    expect(page.get_by_text("0 · Apnoeic")).to_be_visible()
    both_sizes(page, "discharge-aldrete-criteria")


def test_the_plan_pages_do_not_scroll_sideways_on_a_phone(
    live_server: Any, page: Any, bob: Any, pat: Any, iv: dict[str, Any]
) -> None:
    from ketaclinic.plans import services as plans
    from tests.plans.conftest import iv_input

    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))
    signed = iv["order"].plan_version
    page.goto(live_server.url + reverse("plans:version", args=[signed.pk]))
    both_sizes(page, "plan-signed")
    draft = plans.save_draft(
        by=bob,
        patient=pat,
        data=iv_input(dose_mg_per_kg=Decimal("0.75"), overrides={"infusion_ceiling_exceeded": "Partial response"}),
    )
    page.goto(live_server.url + reverse("plans:version", args=[draft.pk]))
    both_sizes(page, "plan-draft-needs-cosignature")
    page.goto(live_server.url + reverse("plans:patient_plans", args=[pat.pk]))
    both_sizes(page, "plan-list")
    page.goto(live_server.url + reverse("plans:plan_create", args=[pat.pk]))
    both_sizes(page, "plan-new")


def test_a_wide_report_scrolls_inside_its_box_with_a_visible_edge(
    live_server: Any, page: Any, bob: Any, main_st: Any, iv: dict[str, Any]
) -> None:
    sign_in(page, live_server.url, bob, PASSWORD, give_authenticator(bob))
    page.goto(live_server.url + "/ledger/reports/administrations/")  # no location: opens on bob's own
    expect(page.get_by_label("Location")).to_have_value(str(main_st.pk))
    wrap = page.locator(".table-wrap").filter(has=page.locator("table.report-table")).first
    sizes = wrap.evaluate(
        "el => ({scroll: el.scrollWidth, client: el.clientWidth, overflow: getComputedStyle(el).overflowX,"
        " image: getComputedStyle(el).backgroundImage})"
    )
    assert sizes["overflow"] == "auto" and sizes["scroll"] > sizes["client"]  # wider than 1024: it scrolls inside
    assert "radial-gradient" in sizes["image"]  # the edge shadow that says there is more
    fits(page)
    both_sizes(page, "ledger-report-administrations")
