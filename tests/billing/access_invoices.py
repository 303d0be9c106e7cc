"""Access matrix rows for self-pay billing (read by tests/test_access_matrix.py): fees, invoices, payments, ageing and
good-faith estimates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302
POST_ONLY = dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 405)
MANAGERS = {ANON: LOGIN, FD: 200, NURSE: 403, PRESC: 403, ADMIN: 200}

EXPECTED: dict[str, dict[str, int]] = {
    # The location's invoices and balances, the invoice, its PDF and receipts, ageing, fees and estimates: those who
    # bill (front desk and clinic admins). Clinical staff see only the billed lines on the patient's billing page.
    "billing:home": MANAGERS,
    "billing:patient": {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200},
    "billing:invoice": MANAGERS,
    "billing:invoice_pdf": MANAGERS,
    "billing:receipt_pdf": MANAGERS,
    "billing:fee_schedules": MANAGERS,
    "billing:fee_schedule": MANAGERS,
    # A new fee schedule version: clinic admins only.
    "billing:fee_schedule_create": {ANON: LOGIN, FD: 403, NURSE: 403, PRESC: 403, ADMIN: 200},
    "billing:ageing": MANAGERS,
    "billing:ageing_csv": MANAGERS,
    "billing:estimate_create": MANAGERS,
    "billing:estimate": MANAGERS,
    "billing:estimate_pdf": MANAGERS,
    "billing:invoice_package": POST_ONLY,
    "billing:invoice_session": POST_ONLY,
    "billing:payment_create": POST_ONLY,
    "billing:credit_create": POST_ONLY,
    "billing:invoice_void": POST_ONLY,
    "billing:refund_create": POST_ONLY,
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.billing.models import GoodFaithEstimate
    from ketaclinic.billing.services import invoices, payments
    from tests.billing.selfpay_scene import make_fees

    dave, carol, pat = world["cast"][ADMIN], world["cast"][FD], world["pat"]
    schedule = make_fees(dave, pat.location)
    package = schedule.fees.get(service="package:protocol:depression_iv")
    invoice = invoices.invoice_package(by=carol, patient=pat, fee=package)
    payment = payments.record_payment(by=carol, invoice=invoice, method="cash", amount="100.00")
    estimate = GoodFaithEstimate.objects.create(
        patient=pat,
        location=pat.location,
        given_on=dt.date(2026, 1, 5),
        patient_name=pat.full_name,
        patient_date_of_birth=pat.date_of_birth,
        primary_service="IV ketamine infusion",
        diagnosis_codes=["F33.2"],
        items=[{"description": "IV", "code": "96365", "quantity": 6, "unit_price": "450.00", "amount": "2700.00"}],
        total=Decimal("2700.00"),
        provider_name="Test Clinic",
        provider_npi="1234567893",
        provider_tin="123456789",
        provider_address="1 Main St",
        created_by=carol,
    )
    return {
        **world,
        "billing": {"schedule": schedule, "invoice": invoice, "payment": payment, "estimate": estimate},
    }


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    objects = world.get("billing")
    if objects is None or not name.startswith("billing:"):
        return None
    if name in ("billing:invoice", "billing:invoice_pdf", "billing:payment_create", "billing:credit_create"):
        return {"invoice_id": objects["invoice"].pk}
    if name == "billing:invoice_void":
        return {"invoice_id": objects["invoice"].pk}
    if name in ("billing:receipt_pdf", "billing:refund_create"):
        return {"payment_id": objects["payment"].pk}
    if name == "billing:fee_schedule":
        return {"schedule_id": objects["schedule"].pk}
    if name in ("billing:estimate", "billing:estimate_pdf"):
        return {"estimate_id": objects["estimate"].pk}
    if name == "billing:invoice_session":
        return {"session_id": 1}
    if name in ("billing:patient", "billing:invoice_package", "billing:estimate_create"):
        return {"patient_id": world["pat"].pk}
    return None
