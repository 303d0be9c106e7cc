"""The demo clinic bills a self-pay IV series: fee schedules, a package invoice with two payments and a balance, and a
good-faith estimate."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketaclinic.billing.models import FeeSchedule, GoodFaithEstimate, Invoice
from ketaclinic.billing.services import invoices

pytestmark = pytest.mark.django_db


def test_demo_self_pay_series() -> None:

    assert FeeSchedule.objects.values("location").distinct().count() == 2
    invoice = Invoice.objects.get(lines__package_sessions=6)
    totals = invoices.totals_for(invoice)
    assert invoice.payments.count() == 2
    assert (totals.charges, totals.payments, totals.balance) == (
        Decimal("2400.00"),
        Decimal("1600.00"),
        Decimal("800.00"),
    )
    estimate = GoodFaithEstimate.objects.get(patient=invoice.patient)
    assert estimate.total > 0 and estimate.diagnosis_codes and estimate.provider_npi == "1234567893"
