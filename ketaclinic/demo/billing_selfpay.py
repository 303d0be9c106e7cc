"""Demo self-pay billing: a fee schedule per location (our own labels; the usual self-pay codes), a self-pay IV
series patient with a 6-infusion package invoice, two payments and a balance, and a good-faith estimate."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.billing.models import BillingProfile, Invoice
from ketaclinic.billing.services import estimates, fees, invoices, payments
from ketaclinic.plans.models import PlanVersion, SessionOrder

IV = fees.protocol_key("depression_iv")

FEES: list[dict[str, Any]] = [
    {"service": IV, "label": "IV ketamine infusion", "code": "96365", "amount": "450.00"},
    {
        "service": fees.protocol_key("crps_outpatient"),
        "label": "IV ketamine infusion (pain)",
        "code": "96365",
        "amount": "650.00",
    },
    {
        "service": fees.protocol_key("depression_im"),
        "label": "IM ketamine session",
        "code": "96372",
        "amount": "350.00",
    },
    {
        "service": fees.protocol_key("esketamine"),
        "label": "Esketamine treatment session",
        "code": "",
        "amount": "300.00",
    },
    {"service": fees.CONSULTATION, "label": "New patient consultation", "code": "", "amount": "250.00"},
    {"service": fees.FOLLOW_UP, "label": "Follow-up visit", "code": "", "amount": "150.00"},
    {
        "service": fees.package_key(IV),
        "label": "Induction: 6 IV ketamine infusions",
        "code": "96365",
        "amount": "2400.00",
        "sessions": 6,
        "covers": IV,
    },
]

# Demo billing identities: 1234567893 is the standard valid test NPI; the tax ids are made up.
PROFILES = {
    "Main Street": ("Springfield Ketamine Clinic PLLC", "1234567893", "990000001", "120 Main St", "627010000"),
    "Lakeside": ("Springfield Ketamine Clinic PLLC", "1234567893", "990000001", "8 Shore Dr", "627040000"),
}


def _profile(location: Location) -> None:
    """Only when the location has none yet (the claims part of billing may have made it)."""
    if BillingProfile.objects.filter(location=location).exists() or location.name not in PROFILES:
        return
    name, npi, tin, street, postal = PROFILES[location.name]
    BillingProfile.objects.create(
        location=location,
        legal_name=name,
        npi=npi,
        tax_id=tin,
        street=street,
        city="Springfield",
        state="IL",
        postal_code=postal,
        phone=location.phone,
    )


def load(*, locations: list[Location], users: dict[str, User]) -> Invoice | None:
    admin, front_desk = users["admin"], users["frontdesk"]
    today = timezone.localdate()
    for location in locations:
        fees.create_schedule(
            by=admin,
            location=location,
            effective_from=today.replace(month=1, day=1) - dt.timedelta(days=365),
            note="Opening prices",
            fees=FEES,
        )
        _profile(location)
    main = locations[0]
    version = (
        PlanVersion.objects.filter(
            status=PlanVersion.Status.SIGNED,
            protocol_id="depression_iv",
            plan__patient__location=main,
            orders__status=SessionOrder.Status.OPEN,
        )
        .select_related("plan__patient")
        .order_by("pk")
        .first()
    )
    if version is None:
        return None
    patient = version.plan.patient
    estimates.give_estimate(by=front_desk, patient=patient, on=today)
    package = fees.fee_in_effect(main, fees.package_key(IV), today)
    assert package is not None
    invoice = invoices.invoice_package(by=front_desk, patient=patient, fee=package, on=today)
    payments.record_payment(by=front_desk, invoice=invoice, method="card", amount="1000.00", reference="TRM-0417-2231")
    payments.record_payment(
        by=front_desk, invoice=invoice, method="hsa_fsa", amount="600.00", reference="TRM-0417-2290"
    )
    return invoice
