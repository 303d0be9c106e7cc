"""Claims in a real browser: front desk opens Claims, finds the demo's Medicare Spravato claim (84 mg), sees one line,
G2083 only, with its why and source (no drug or visit line beside it), and
downloads the 837P, which is read back. Screenshot at 1024×768."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_patient
from tests.e2e.conftest import TABLET, assert_fits_width, give_authenticator, screenshot, sign_in

pytestmark = pytest.mark.browser


def _demo_billing(clinic: Any, main_st: Any, dave: Any, carol: Any, bob: Any) -> Any:
    """The demo's billing (``ketaclinic.demo.billing_claims.load``) on three patients with an address and F33.2."""
    from ketaclinic.billing.models import Claim
    from ketaclinic.demo import billing_claims
    from ketaclinic.ledger.models import Product
    from ketaclinic.patients import services as chart

    Product.objects.create(  # the Spravato kit the demo's ledger stocks (its NDC is on the drug line)
        clinic=clinic,
        name="Spravato 28 mg device, kit of 2",
        substance="esketamine_hcl",
        ndc="50458-028-02",
        form="nasal_spray",
        concentration_mg_per_ml=Decimal("140"),
        container_volume_ml=Decimal("0.2"),
        container_kind="device",
        containers_per_package=2,
    )
    Product.objects.create(  # and the ketamine vial (the self-pay IV superbill's drug line)
        clinic=clinic,
        name="Ketamine 10 mg/mL, 20 mL",
        substance="ketamine_hcl",
        ndc="55150-438-10",
        form="injection",
        concentration_mg_per_ml=Decimal("10"),
        container_volume_ml=Decimal("20"),
    )

    for given, family in (("Mia", "Medicare"), ("Cal", "Commercial"), ("Sam", "Selfpay")):
        patient = make_patient(main_st, given_name=given, family_name=family, email=f"{given.lower()}@example.org")
        patient.address_line1, patient.city, patient.state, patient.postal_code = (
            "1 Elm St",
            "Springfield",
            "IL",
            "62701",
        )
        patient.save()
        chart.add_condition(
            by=bob, patient=patient, description="Major depressive disorder, recurrent", icd10_code="F33.2"
        )
    billing_claims.load(locations=[main_st], users={"admin": dave, "frontdesk": carol, "prescriber": bob})
    return Claim.objects.get(payer__kind="medicare")


def test_front_desk_reads_the_medicare_spravato_claim_and_downloads_the_837p(
    live_server: Any, page: Any, clinic: Any, carol: Any, dave: Any, bob: Any, main_st: Any, tmp_path: Path
) -> None:
    claim = _demo_billing(clinic, main_st, dave, carol, bob)
    key = give_authenticator(carol) if carol.needs_mfa else None
    page.set_viewport_size(TABLET)
    sign_in(page, live_server.url, carol, PASSWORD, key)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Claims").click()
    page.get_by_role("link", name=claim.claim_id).click()
    expect(page.get_by_role("heading", name=f"Claim {claim.claim_id}")).to_be_visible()

    lines = page.locator("table.claim-lines tbody tr")
    expect(lines).to_have_count(1)
    line = lines.first
    expect(line).to_contain_text("G2083")
    expect(line.locator("td.why")).to_contain_text("Source:")
    why = line.locator("td.why").inner_text()
    assert len(why.split("Source:")[0].strip()) > 20, why  # it says why, in words
    for drug_code in ("J0013", "S0013", "J3490"):
        expect(page.locator("table.claim-lines")).not_to_contain_text(drug_code)
    assert_fits_width(page)
    screenshot(page, "claim-medicare-spravato-tablet")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="Download 837P").click()
    saved = tmp_path / "claim.837p.txt"
    waiting.value.save_as(saved)
    text = saved.read_text(encoding="ascii")
    assert text.startswith("ISA*") and "G2083" in text and "J0013" not in text
    assert "00952" in text  # the Medicare payer id
