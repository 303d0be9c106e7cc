"""The ledger in a real browser: a nurse records an administration with a witnessed syringe waste, then closes the
vial with a witnessed waste; the witness types their own password and one-time code into the nurse's form. Then a
tour of every ledger page at tablet width (screenshots in test-artifacts/screenshots/ledger-*.png)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from tests.e2e.conftest import (
    assert_fits_width,
    give_authenticator,
    next_unused_totp_code,
    screenshot,
    sign_in,
    totp_code,
)

# The ledger's fixtures, used here by name (pytest finds fixtures imported into a test module).
from tests.ledger.conftest import licence, products, receive, registrants, reverse_distributor, supplier  # noqa: F401

pytestmark = pytest.mark.browser


@pytest.fixture
def stocked(request: pytest.FixtureRequest, alice: Any, bob: Any, pat: Any, main_st: Any) -> dict[str, Any]:
    for name in ("registrants", "reverse_distributor"):
        request.getfixturevalue(name)
    stock, distributor = request.getfixturevalue("products"), request.getfixturevalue("supplier")
    from ketaclinic.patients import services as patients

    licence(alice)
    patients.record_measurement(by=bob, patient=pat, weight_kg=Decimal("70.0"), height_cm=Decimal("168.0"))
    (vial,) = receive(alice, main_st, stock["k10"], distributor, labels=["M-0101"])
    receive(alice, main_st, stock["k100"], distributor, labels=["M-0201"], lot_number="KH77")
    return {"vial": vial, "products": stock}


def test_a_nurse_records_an_administration_and_a_witnessed_waste(
    live_server: Any, page: Any, alice: Any, bob: Any, pat: Any, stocked: dict[str, Any]
) -> None:
    from ketaclinic.ledger.models import Container, Kind, LedgerEntry

    nurse_key, witness_key = give_authenticator(alice), give_authenticator(bob)
    base = live_server.url
    vial = stocked["vial"]
    sign_in(page, base, alice, PASSWORD, nurse_key)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Ledger").click()
    expect(page.get_by_role("heading", name="Controlled-substance ledger")).to_be_visible()
    expect(page.get_by_text("No initial inventory yet")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "ledger-01-overview")

    # The administration: 0.5 mg/kg × 70 kg = 35 mg = 3.50 mL of 10 mg/mL; 4.00 mL drawn, so 0.50 mL is wasted.
    page.get_by_role("link", name="Record administration").click()
    expect(page.get_by_role("heading", name="Record an administration")).to_be_visible()
    page.get_by_label("Patient").select_option(value=str(pat.pk))
    page.get_by_label("Container").select_option(value=str(vial.pk))
    page.get_by_label("Administered (mL)").fill("3.50")
    page.get_by_label("Drawn up (mL)").fill("4.00")
    page.get_by_label("Session reference").fill("IV chair 2, 09:30")
    page.get_by_label("Witness: username").fill("bob")
    page.get_by_label("Witness: password").fill(PASSWORD)
    page.get_by_label("Witness: one-time code").fill(totp_code(witness_key))
    assert_fits_width(page)
    screenshot(page, "ledger-02-administration-form")
    page.get_by_role("button", name="Record administration").click()

    expect(page).to_have_url(f"{base}/ledger/containers/{vial.pk}/")
    expect(page.get_by_role("status")).to_contain_text(
        "recorded: 3.50 mL (35.00 mg); 0.50 mL wasted, witnessed by Bob Test, MD."
    )
    expect(page.get_by_test_id("balance")).to_have_text("16.00 mL")
    assert_fits_width(page)
    screenshot(page, "ledger-03-container-after-administration")

    # A wrong code first: refused next to the field, nothing written, the code not echoed back.
    page.locator(".ledger-actions").get_by_role("link", name="Waste", exact=True).click()
    expect(page.get_by_role("heading", name="Record a witnessed waste")).to_be_visible()
    expect(page.get_by_role("combobox", name=re.compile("^Container"))).to_have_value(str(vial.pk))
    page.get_by_label("Waste the whole remainder and close the container").check()
    page.get_by_label("Witness: username").fill("bob")
    page.get_by_label("Witness: password").fill(PASSWORD)
    valid = {totp_code(witness_key, drift) for drift in (-1, 0, 1, 2)}
    wrong = next(code for code in ("000000", "111111", "222222", "333333", "444444") if code not in valid)
    page.get_by_label("Witness: one-time code").fill(wrong)
    page.get_by_role("button", name="Record waste").click()
    code_field = page.locator(".field").filter(has=page.get_by_label("Witness: one-time code"))
    expect(code_field.locator(".error")).to_have_text("Witness: the one-time code is not valid (wait for a new one).")
    expect(page.get_by_label("Witness: one-time code")).to_have_value("")
    expect(page.get_by_label("Witness: password")).to_have_value("")
    assert_fits_width(page)
    screenshot(page, "ledger-04-waste-form-refused")

    # Then the witness types the next code (the current one was used for the administration's waste). django-otp
    # throttles after a wrong code (the wait doubles with each failure, from 1 s): the one deliberate wait.
    page.wait_for_timeout(2_500)  # margin over the 1 s throttle on a loaded machine
    page.get_by_label("Witness: password").fill(PASSWORD)
    page.get_by_label("Witness: one-time code").fill(next_unused_totp_code(bob, witness_key))
    page.get_by_role("button", name="Record waste").click()
    expect(page.get_by_role("status")).to_contain_text("16.00 mL, witnessed by Bob Test, MD.")
    expect(page.get_by_test_id("balance")).to_have_text("0.00 mL")
    expect(page.get_by_text("Empty", exact=True)).to_be_visible()
    screenshot(page, "ledger-05-container-closed")

    entries = list(
        LedgerEntry.objects.filter(container=vial).order_by("seq").values_list("kind", "quantity_ml", "witness_id")
    )
    assert entries == [
        (Kind.RECEIPT, Decimal("20.00"), None),
        (Kind.ADMINISTER, Decimal("-3.50"), None),
        (Kind.WASTE, Decimal("-0.50"), bob.pk),
        (Kind.WASTE, Decimal("-16.00"), bob.pk),
    ]
    assert Container.objects.get(pk=vial.pk).status == Container.Status.EMPTY

    page.get_by_role("navigation", name="Ledger").get_by_role("link", name="Entries").click()
    expect(page.get_by_role("heading", name="Ledger entries")).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "ledger-06-entries")
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.get_by_role("heading", name=re.compile(r"^Entry #\d+"))).to_be_visible()
    assert_fits_width(page)
    screenshot(page, "ledger-07-entry")


PAGES_AS_NURSE = [
    ("ledger-08-containers", "/ledger/containers/", "Containers"),
    ("ledger-09-receive", "/ledger/receive/", "Receive stock"),
    ("ledger-10-adjust", "/ledger/adjust/", "Adjust the books"),
    ("ledger-11-transfer", "/ledger/transfer/", "Transfer to a reverse distributor"),
    ("ledger-12-destroy", "/ledger/destroy/", "Destroy stock (DEA Form 41)"),
    ("ledger-13-theft-loss-new", "/ledger/theft-loss/new/", "Report a theft or significant loss"),
    ("ledger-14-inventories", "/ledger/inventories/", "Inventories"),
    ("ledger-15-inventory-new", "/ledger/inventories/new/", "Start an inventory"),
]


def test_every_ledger_page_at_tablet_width(
    live_server: Any, page: Any, alice: Any, bob: Any, dave: Any, pat: Any, stocked: dict[str, Any], main_st: Any
) -> None:
    from ketaclinic.ledger import services

    vial = stocked["vial"]
    entry = services.administer(by=alice, container=vial, patient=pat, quantity_ml="3.50").entry
    (other,) = list(vial.location.ledger_containers.exclude(pk=vial.pk))
    inventory = services.start_inventory(
        by=alice, location=main_st, kind="initial", taken_at=timezone.now(), business_timing="opening"
    )
    lines = {line.container_id: line.pk for line in inventory.lines.all()}
    services.record_counts(
        by=alice,
        inventory=inventory,
        counts={lines[vial.pk]: services.Count("16.45"), lines[other.pk]: services.Count("4.80")},
    )
    services.finalise_inventory(by=alice, inventory=inventory)
    minor = inventory.lines.get(container=vial).discrepancy
    significant = inventory.lines.get(container=other).discrepancy
    report = services.escalate_discrepancy(
        by=alice, discrepancy=significant, kind="loss", description="0.20 mL of 100 mg/mL unaccounted for at the count."
    )
    base = live_server.url
    sign_in(page, base, alice, PASSWORD, give_authenticator(alice))
    problems = []
    pages = [
        *PAGES_AS_NURSE,
        ("ledger-16-inventory", f"/ledger/inventories/{inventory.pk}/", "Initial inventory — Main"),
        ("ledger-17-discrepancy", f"/ledger/discrepancies/{minor.pk}/", f"Count discrepancy: {vial.label}"),
        ("ledger-18-theft-loss", f"/ledger/theft-loss/{report.pk}/", "Significant loss discovered"),
        ("ledger-19-theft-losses", "/ledger/theft-loss/", "Theft and significant loss"),
        ("ledger-20-reverse", f"/ledger/entries/{entry.pk}/reverse/", f"Reverse entry #{entry.seq}"),
        ("ledger-21-quarantine", f"/ledger/containers/{vial.pk}/quarantine/", f"Set aside {vial.label}"),
    ]
    for name, path, heading in pages:
        page.goto(base + path)
        expect(page.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
        screenshot(page, name)
        try:
            assert_fits_width(page)
        except AssertionError as error:
            problems.append(str(error))
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, base, dave, PASSWORD, give_authenticator(dave))
    admin_pages = [
        ("ledger-22-setup", "/ledger/setup/", "Ledger setup"),
        ("ledger-23-settings", "/ledger/setup/settings/", "Ledger settings"),
        ("ledger-24-registrant", f"/ledger/setup/registrants/{main_st.pk}/", "DEA registration — Main"),
        ("ledger-25-product", f"/ledger/setup/products/{stocked['products']['k10'].pk}/", "Edit Ketamine"),
        ("ledger-26-reports", "/ledger/reports/", "Ledger reports"),
    ]
    for kind in (
        "inventory",
        "receipts",
        "administrations",
        "disposal",
        "balances",
        "reconciliation",
        "form106",
        "inspection",
    ):
        admin_pages.append((f"ledger-27-report-{kind}", f"/ledger/reports/{kind}/?location={main_st.pk}", ""))
    for name, path, heading in admin_pages:
        page.goto(base + path)
        if heading:
            expect(page.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
        screenshot(page, name)
        try:
            assert_fits_width(page)
        except AssertionError as error:
            problems.append(str(error))
    page.goto(f"{base}/ledger/reports/inspection/?location={main_st.pk}&format=print")
    expect(page.get_by_role("heading", name="Inspection export")).to_be_visible()
    page.emulate_media(media="print")
    screenshot(page, "ledger-28-inspection-print")
    page.emulate_media(media="screen")
    assert problems == []
