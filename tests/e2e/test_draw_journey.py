"""Every drawn millilitre checked (issue 15, items 2 and 3), in the browser at the tablet (1024×768) and a phone
(390×844): a draw above what the vial holds is refused; a draw beyond the clinic's tolerance asks why; the ledger's
container page shows the held draw and who holds it; a wrong drawn volume is corrected with a witness."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from ketaclinic.ledger.models import Container
from tests.conftest import PASSWORD
from tests.e2e.conftest import assert_fits_width, give_authenticator, screenshot, sign_in, totp_code
from tests.e2e.test_session_journey import check_in_through_the_page
from tests.infusions.conftest import make_iv_order, make_ready_patient, make_stock
from tests.ledger.conftest import licence

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 1024, "height": 768}


@pytest.fixture
def iv(main_st: Any, clinic: Any, alice: Any, pat: Any, bob: Any) -> Any:
    make_stock(main_st, clinic, alice)
    licence(bob)  # bob witnesses the correction
    return make_iv_order(make_ready_patient(pat, bob), bob)


def both_sizes(page: Any, name: str) -> None:
    assert_fits_width(page)
    screenshot(page, f"{name}-tablet")
    page.set_viewport_size(PHONE)
    screenshot(page, f"{name}-phone")
    page.set_viewport_size(TABLET)


def test_draw_checked_held_against_the_vial_and_corrected_with_a_witness(
    live_server: Any, page: Any, alice: Any, bob: Any, iv: Any
) -> None:
    key, bob_key = give_authenticator(alice), give_authenticator(bob)
    base = live_server.url
    vial = Container.objects.filter(lot__product__concentration_mg_per_ml=10).order_by("label").first()
    assert vial is not None
    sign_in(page, base, alice, PASSWORD, key)
    check_in_through_the_page(page, base, "Chair 4")
    page.get_by_role("link", name="Ready: start the infusion").click()

    # 40 mL from a 20 mL vial: refused, nothing started.
    page.get_by_role("checkbox", name=re.compile(rf"{vial.label} · Ketamine HCl")).check()
    page.get_by_label("Volume drawn per container (mL)").fill("40.00")
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_text(f"{vial.label} has 20.00 mL available; 40.00 mL cannot be drawn from it.")).to_be_visible()
    both_sizes(page, "draw-1-above-the-vial-refused")

    # 15 mL for a 4 mL order: beyond the clinic's 10 % tolerance, so the nurse says why.
    page.get_by_role("checkbox", name=re.compile(rf"{vial.label} · Ketamine HCl")).check()
    page.get_by_label("Volume drawn per container (mL)").fill("15.00")
    page.get_by_role("button", name="Start now").click()
    expect(
        page.get_by_text("15.00 mL drawn for an order of 4.00 mL (+275.0 %; the clinic's tolerance is 10 %)")
    ).to_be_visible()
    page.get_by_role("checkbox", name=re.compile(rf"{vial.label} · Ketamine HCl")).check()
    page.get_by_label("Why does the drawn volume differ from the order?").fill("Typed in haste")
    page.get_by_role("button", name="Start now").click()
    expect(page.get_by_text("Started. The timer runs from now.")).to_be_visible()
    expect(page.get_by_test_id("draw")).to_contain_text("15.00 mL drawn")
    expect(page.get_by_test_id("draw")).to_contain_text("held against the vial until the infusion ends")
    chair_url = page.url

    # The ledger knows the draw now: 5.00 mL available, who holds the rest and since when.
    page.goto(base + reverse("ledger:container", args=[vial.pk]))
    expect(page.get_by_test_id("balance")).to_have_text("20.00 mL")
    expect(page.get_by_test_id("in-use")).to_contain_text("5.00 mL available")
    expect(page.get_by_test_id("in-use")).to_contain_text("15.00 mL in use at Chair 4 since")
    both_sizes(page, "draw-2-ledger-shows-the-held-draw")

    # The wrong volume is corrected during the infusion, with the witness's password and one-time code.
    page.goto(chair_url)
    page.get_by_role("link", name="Correct drawn volume…").click()
    page.get_by_label("Volume actually drawn (mL)").fill("4.40")
    page.get_by_label("What was wrong with the recorded volume?").fill("15 was typed; 4.4 mL was drawn")
    page.get_by_label("Witness: username").fill("bob")
    page.get_by_label("Witness: password").fill(PASSWORD)
    page.get_by_label("Witness: one-time code").fill(totp_code(bob_key))
    both_sizes(page, "draw-3-correction-form")
    page.get_by_role("button", name="Correct the drawn volume").click()
    expect(page.get_by_text("Drawn volume corrected (witnessed).")).to_be_visible()
    expect(page.get_by_test_id("draw")).to_contain_text("4.40 mL drawn")
    expect(page.get_by_test_id("draw")).to_contain_text("Reason for the volume: 15 was typed; 4.4 mL was drawn")
    both_sizes(page, "draw-4-corrected-on-the-chair")
    page.goto(base + reverse("ledger:container", args=[vial.pk]))
    expect(page.get_by_test_id("in-use")).to_contain_text("15.60 mL available")
