"""Expired stock in a real browser (issue 15, item 5). A nurse tries to receive a lot that expired 22 months ago: the
receipt is refused until she writes why it is taken in, then it enters the books quarantined and is listed for
destruction or return; the administer form and the chair offer only in-date stock and mark what expires soon.
Screenshots at 1024×768 and 390×844 in test-artifacts/screenshots/expiry-*.png."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import PHONE, TABLET, assert_fits_width, give_authenticator, screenshot, sign_in
from tests.infusions.conftest import check_in, complete_check_in, make_iv_order, make_ready_patient, make_stock
from tests.ledger.conftest import receive

pytestmark = pytest.mark.browser
TODAY = dt.datetime.now(ZoneInfo("America/Chicago")).date()  # the test clinic's day
LONG_AGO = TODAY - dt.timedelta(days=670)


@pytest.fixture
def stocked(main_st: Any, clinic: Any, alice: Any) -> dict[str, Any]:
    """Main's registration, products and two in-date vials; one more vial that expires in 12 days, and one whose lot
    expired on the shelf yesterday (a sealed vial nobody set aside)."""
    from ketaclinic.ledger.models import Lot

    stock = make_stock(main_st, clinic, alice)
    k10, supplier = stock["products"]["k10"], stock["supplier"]
    (soon,) = receive(alice, main_st, k10, supplier, lot_number="SOON12", expires_on=TODAY + dt.timedelta(days=12))
    (shelf,) = receive(alice, main_st, k10, supplier, lot_number="SHELF1", expires_on=TODAY + dt.timedelta(days=5))
    Lot.objects.filter(pk=shelf.lot_id).update(expires_on=TODAY - dt.timedelta(days=1))
    return {**stock, "soon": soon, "shelf": shelf}


def both_sizes(page: Any, name: str) -> None:
    for label, size in (("1024", TABLET), ("390", PHONE)):
        page.set_viewport_size(size)
        assert_fits_width(page)
        screenshot(page, f"{name}-{label}")
    page.set_viewport_size(TABLET)


def test_an_expired_lot_is_quarantined_listed_for_destruction_and_never_offered(
    live_server: Any, page: Any, alice: Any, stocked: dict[str, Any]
) -> None:
    from ketaclinic.ledger.models import Container

    base = live_server.url
    sign_in(page, base, alice, PASSWORD, give_authenticator(alice))

    # The reproduction: a lot that expired 22 months ago, received as if it were sealed stock.
    page.goto(base + reverse("ledger:receive"))
    page.get_by_label("Product").select_option(label=str(stocked["products"]["k10"]))
    page.get_by_label("Supplier").select_option(label=str(stocked["supplier"]))
    page.get_by_label("Number of containers").fill("2")
    page.get_by_label("Lot number").fill("OLD22")
    page.get_by_label("Lot expiry").fill(LONG_AGO.isoformat())
    page.get_by_label("Invoice / packing-slip reference").fill("INV-7781")
    page.get_by_role("button", name="Record receipt").click()
    expect(page.locator("#id_expires_on_error")).to_contain_text(f"This lot expired on {LONG_AGO:%Y-%m-%d}")
    assert not Container.objects.filter(lot__lot_number="OLD22").exists()
    both_sizes(page, "expiry-1-receipt-refused")

    page.get_by_label("Receive into quarantine: reason").fill("Shipped in error; held for the reverse distributor")
    page.get_by_role("button", name="Record receipt").click()
    expect(page.get_by_role("status")).to_contain_text("into quarantine")
    old = list(Container.objects.filter(lot__lot_number="OLD22").order_by("label"))
    assert [c.status for c in old] == ["quarantined", "quarantined"]

    # The overview: expired and quarantined stock is listed for destruction or return, with the rules.
    due = page.get_by_test_id("due-destruction")
    expect(due).to_contain_text("Due for destruction or return")
    for container in [*old, stocked["shelf"]]:
        expect(due).to_contain_text(container.label)
    expect(due).to_contain_text("42 CFR 482.25(b)(3)")
    expect(page.get_by_text(f"{stocked['soon'].label} (")).to_contain_text("expires in 12 days")
    both_sizes(page, "expiry-2-overview")

    # The administer form offers neither the quarantined nor the expired vial, and marks the soon-expiring one.
    page.get_by_role("link", name="Record administration").click()
    options = page.get_by_label("Container").locator("option").all_inner_texts()
    assert not any(c.label in text for c in [*old, stocked["shelf"]] for text in options)
    assert any(stocked["soon"].label in text and "expires in 12 days" in text for text in options)
    both_sizes(page, "expiry-3-administer-form")

    # The waste form lists the expired vial, marked.
    page.goto(base + reverse("ledger:waste"))
    options = page.get_by_label("Container").locator("option").all_inner_texts()
    assert any(stocked["shelf"].label in text and "EXPIRED" in text for text in options)

    # The containers list marks expired and soon-expiring stock; the expired vial's page says what to do with it.
    page.goto(base + reverse("ledger:containers"))
    both_sizes(page, "expiry-4-containers")
    page.get_by_role("link", name=stocked["shelf"].label, exact=True).click()
    expect(page.get_by_text("Never given (42 CFR 482.25(b)(3)")).to_be_visible()
    expect(page.locator(".page-head").get_by_role("link", name="Administer")).to_have_count(0)
    both_sizes(page, "expiry-5-expired-container")

    # From the list straight into the existing Form 41 flow, the container already ticked.
    page.goto(base + reverse("ledger:home"))
    page.get_by_test_id("due-destruction").get_by_role("row").filter(has_text=old[0].label).get_by_role(
        "link", name="Destroy"
    ).click()
    expect(page.get_by_role("heading", name="Destroy stock (DEA Form 41)")).to_be_visible()
    expect(page.locator(f"input[name=containers][value='{old[0].pk}']")).to_be_checked()
    both_sizes(page, "expiry-6-destroy-form")


def test_the_chair_offers_only_in_date_stock_and_marks_what_expires_soon(
    live_server: Any, page: Any, alice: Any, bob: Any, pat: Any, stocked: dict[str, Any]
) -> None:
    order = make_iv_order(make_ready_patient(pat, bob), bob)
    session = complete_check_in(check_in(order, alice, chair="Chair 4"), alice)
    base = live_server.url
    sign_in(page, base, alice, PASSWORD, give_authenticator(alice))
    page.goto(base + reverse("infusions:start", args=[session.pk]))
    expect(page.get_by_role("heading", name="Start the infusion")).to_be_visible()
    choices = page.locator("input[name=containers]")
    expect(choices).to_have_count(3)  # two in-date vials and the soon-expiring one; never the expired vial
    labels = page.locator("label:has(input[name=containers])").all_inner_texts()
    assert not any(stocked["shelf"].label in text for text in labels)
    assert any(stocked["soon"].label in text and "expires in 12 days" in text for text in labels)
    expect(page.get_by_text("expired and quarantined stock is never listed")).to_be_visible()
    assert Decimal(stocked["soon"].balance_ml) == Decimal("20.00")
    both_sizes(page, "expiry-7-chair-start")
