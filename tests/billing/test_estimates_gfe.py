"""Good-faith estimates from the signed plan's series and the fee schedule (No Surprises Act): what is missing is said,
nothing is written until it is complete; the kept copy and its PDF carry the items, codes, provider and notices."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.billing.models import BillingProfile, GoodFaithEstimate
from ketaclinic.billing.services import estimates

TODAY = dt.date(2026, 12, 7)


def make_profile(location: Any) -> Any:
    return BillingProfile.objects.create(
        location=location,
        legal_name="Test Clinic PLLC",
        npi="1234567893",
        tax_id="123456789",
        street="1 Main St",
        city="Springfield",
        state="IL",
        postal_code="627010000",
    )


def test_missing_profile_plan_and_codes_are_named(schedule: Any, pat: Any, carol: Any) -> None:
    draft = estimates.draft(pat, TODAY)
    assert any("billing profile" in p for p in draft.problems)
    assert any("no signed treatment plan" in p for p in draft.problems)
    with pytest.raises(ServiceError, match="Enter the diagnosis codes"):
        estimates.give_estimate(by=carol, patient=pat, on=TODAY)
    assert not GoodFaithEstimate.objects.exists()


def test_estimate_from_the_series(schedule: Any, iv_order: Any, pat: Any, carol: Any) -> None:
    make_profile(pat.location)
    with pytest.raises(ServiceError, match="Not ICD-10-CM codes: F332X9"):
        estimates.give_estimate(by=carol, patient=pat, on=TODAY, diagnosis_codes=["F332X9"])
    assert not GoodFaithEstimate.objects.exists()
    estimate = estimates.give_estimate(by=carol, patient=pat, on=TODAY, diagnosis_codes=["f33.2", "F33.2"])
    assert estimate.diagnosis_codes == ["F33.2"]
    assert estimate.items == [
        {
            "description": "Induction: 6 IV infusions (6 sessions)",
            "code": "96365 × 6",
            "quantity": 1,
            "unit_price": "2400.00",
            "amount": "2400.00",
        }
    ]
    assert estimate.total == Decimal("2400.00") and estimate.provider_npi == "1234567893"
    assert estimate.first_session_on == iv_order.target_date


def test_without_a_package_sessions_are_priced_singly(dave: Any, main_st: Any, iv_order: Any, pat: Any) -> None:
    from ketaclinic.billing.services import fees
    from tests.billing.selfpay_scene import FEES

    fees.create_schedule(by=dave, location=main_st, effective_from=dt.date(2026, 1, 1), fees=FEES[:3])
    draft = estimates.draft(pat, TODAY)
    assert draft.items[0]["quantity"] == 6 and draft.total == Decimal("2700.00")


def test_estimate_pages_and_pdf(
    client_as: Any, schedule: Any, iv_order: Any, pat: Any, carol: Any, main_st: Any
) -> None:
    client = client_as(carol)
    url = reverse("billing:estimate_create", args=[pat.pk])
    page = client.get(url)
    assert b"has no billing profile" in page.content and b"86 FR 56136" in page.content
    refused = client.post(url, {"given_on": "2026-12-07", "diagnosis_codes": "F33.2"})
    assert refused.status_code == 400 and not GoodFaithEstimate.objects.exists()
    make_profile(main_st)
    done = client.post(url, {"given_on": "2026-12-07", "diagnosis_codes": "F33.2"})
    estimate = GoodFaithEstimate.objects.get()
    assert done["Location"] == reverse("billing:estimate", args=[estimate.pk])
    assert b"at least $400 more" in client.get(done["Location"]).content
    from pypdf import PdfReader

    content = client.get(reverse("billing:estimate_pdf", args=[estimate.pk])).content
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "$2400.00" in text and "1234567893" in text and "F33.2" in text and "$400" in text
    assert b"Given 2026-12-07" in client.get(reverse("billing:patient", args=[pat.pk])).content
