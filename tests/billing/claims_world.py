"""Shared set-up for the claims, payer, profile and superbill tests: a billing identity, payers, coverage, a Spravato
ledger product and signed sessions written directly (the billing app only reads the session record)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

TEST_NPI = "1234567893"  # the standard check-digit-valid test NPI (billing.md §10)
FEES = {
    "G2083": Decimal("1280.00"),
    "G2082": Decimal("900.00"),
    "J0013": Decimal("10.00"),
    "99213": Decimal("140.00"),
    "99212": Decimal("90.00"),
    "99214": Decimal("200.00"),
    "96365": Decimal("450.00"),
    "J3490": Decimal("25.00"),
}


def set_up_billing(clinic: Any, location: Any, admin: Any, prescriber: Any) -> dict[str, Any]:
    from ketaclinic.billing.services import payers, profile
    from ketaclinic.ledger.models import Product

    profile.save_profile(
        by=admin,
        location=location,
        legal_name="Keta Clinic LLC",
        npi=TEST_NPI,
        tax_id="123456789",
        tax_id_kind="ein",
        taxonomy_code="2084P0800X",
        street="123 Main St",
        city="Springfield",
        state="IL",
        postal_code="627010000",
        phone="(217) 555-0100",
    )
    profile.save_provider_npi(by=admin, user=prescriber, npi=TEST_NPI)
    Product.objects.create(
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
    Product.objects.create(
        clinic=clinic,
        name="Ketamine 10 mg/mL, 20 mL",
        substance="ketamine_hcl",
        ndc="55150-438-10",
        form="injection",
        concentration_mg_per_ml=Decimal("10"),
        container_volume_ml=Decimal("20"),
    )
    medicare = payers.save_payer(by=admin, name="Medicare B", payer_id="00952", kind="medicare", filing_indicator="MB")
    acme = payers.save_payer(by=admin, name="Acme Health", payer_id="ACME1", kind="commercial", filing_indicator="CI")
    return {"medicare": medicare, "acme": acme}


def with_address(patient: Any) -> Any:
    patient.address_line1 = "456 Oak Ave"
    patient.city = "Springfield"
    patient.state = "IL"
    patient.postal_code = "62704"
    patient.save()
    return patient


def cover(desk: Any, patient: Any, payer: Any, member_id: str = "W123456789") -> Any:
    from ketaclinic.billing.services import payers

    return payers.add_coverage(
        by=desk,
        patient=patient,
        payer=payer,
        member_id=member_id,
        group_number="GRP123",
        effective_from=timezone.localdate() - dt.timedelta(days=100),
    )


def session(patient: Any, prescriber: Any, route: str, dose: str, *, days_ago: int = 1, **extra: Any) -> Any:
    from ketaclinic.demo.billing_claims import signed_session

    return signed_session(
        patient=patient,
        clinician=prescriber,
        route=route,
        dose_mg=Decimal(dose),
        at=timezone.now() - dt.timedelta(days=days_ago),
        **extra,
    )


def established(patient: Any, prescriber: Any, dose: str = "84") -> Any:
    """A signed esketamine session after an earlier one (so the patient is established)."""
    session(patient, prescriber, "intranasal_esketamine", "56", days_ago=8)
    return session(patient, prescriber, "intranasal_esketamine", dose)


import pytest  # noqa: E402


@pytest.fixture(name="billing")
def billing_fixture(clinic: Any, main_st: Any, dave: Any, bob: Any, pat: Any) -> dict[str, Any]:
    """The billing set-up at Main with Pat (F33.2, an address) covered by Medicare."""
    from ketaclinic.patients import services as chart

    world = set_up_billing(clinic, main_st, dave, bob)
    with_address(pat)
    chart.add_condition(
        by=bob, patient=pat, description="Major depressive disorder, recurrent, severe", icd10_code="F33.2"
    )
    return world
