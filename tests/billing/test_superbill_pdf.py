"""Superbills (billing.md §9): generated from the signed session, every CMS-1500 element an out-of-network payer needs
is in the PDF text; refusals write nothing; a superbill is voided, never deleted."""

from __future__ import annotations

import io
from typing import Any

import pytest
from pypdf import PdfReader

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import BillingProfile, Superbill
from ketaclinic.billing.services import superbills
from ketaclinic.infusions.models import TreatmentSession
from tests.billing.claims_world import FEES, billing_fixture, session  # noqa: F401

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_a_superbill_pdf_carries_every_element(client_as: Any, carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    iv = session(pat, bob, "iv", "40", infusion_min=40)
    bill = superbills.generate_superbill(by=carol, sessions=[iv], fees=FEES)
    response = client_as(carol).get(f"/billing/superbills/{bill.pk}.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = " ".join(pdf_text(response.content).split())
    for expected in (
        "Pat Rivera",  # patient (letterhead strip)
        "1980-04-30",  # date of birth
        "1234567893",  # NPI
        "123456789",  # tax id
        "F33.2",  # diagnosis with its letter
        "96365",
        "J3490",
        "IV infusion",  # our own short label, not the AMA descriptor
        "$450.00",
        "$475.00",  # total
        "Signature of physician",
    ):
        assert expected in text, expected
    assert "Intravenous infusion, for therapy" not in text  # never the AMA CPT descriptor
    assert AuditEvent.objects.filter(action="billing.superbill.pdf").exists()


def test_refusals_write_nothing(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    iv = session(pat, bob, "iv", "40", infusion_min=40)
    TreatmentSession.objects.filter(pk=iv.pk).update(status="discharged")
    iv.refresh_from_db()
    with pytest.raises(ServiceError, match="not signed"):
        superbills.generate_superbill(by=carol, sessions=[iv], fees=FEES)
    BillingProfile.objects.all().delete()
    with pytest.raises(ServiceError, match="no billing profile"):
        superbills.generate_superbill(by=carol, sessions=[session(pat, bob, "iv", "40", infusion_min=40)])
    assert not Superbill.objects.exists()


def test_void_keeps_the_superbill(carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    bill = superbills.generate_superbill(by=carol, sessions=[session(pat, bob, "iv", "40", infusion_min=40)], fees=FEES)
    with pytest.raises(ServiceError, match="why"):
        superbills.void_superbill(by=carol, superbill=bill, reason=" ")
    superbills.void_superbill(by=carol, superbill=bill, reason="Wrong date")
    with pytest.raises(ServiceError, match="already void"):
        superbills.void_superbill(by=carol, superbill=bill, reason="again")
    assert Superbill.objects.get(pk=bill.pk).void_reason == "Wrong date"


def test_the_superbill_page_generates_one(client_as: Any, carol: Any, bob: Any, pat: Any, billing: Any) -> None:
    iv = session(pat, bob, "iv", "40", infusion_min=40)
    client = client_as(carol)
    assert client.get(f"/billing/superbills/new/{iv.pk}/").status_code == 200
    response = client.post(f"/billing/superbills/new/{iv.pk}/", {"practitioner_min": "0"})
    bill = Superbill.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/billing/superbills/{bill.pk}.pdf")
