"""The AR ageing report: open balances of issued invoices in the 0-30, 31-60, 61-90 and over-90-day buckets by issue
date, per location; settled and void invoices add nothing; the CSV neutralises cells."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ketaclinic.billing.models import Invoice
from ketaclinic.billing.services import invoices, payments
from ketaclinic.billing.views.ageing import ageing_rows
from tests.conftest import make_patient


def _bill(carol: Any, patient: Any, schedule: Any, days_ago: int) -> Any:
    fee = schedule.fees.get(service="package:protocol:depression_iv")
    invoice = invoices.invoice_package(by=carol, patient=patient, fee=fee)
    Invoice.objects.filter(pk=invoice.pk).update(issued_at=timezone.now() - dt.timedelta(days=days_ago))
    return Invoice.objects.get(pk=invoice.pk)


def test_buckets_by_issue_date(client_as: Any, carol: Any, schedule: Any, pat: Any, main_st: Any) -> None:
    old = _bill(carol, pat, schedule, 100)
    mid = _bill(carol, pat, schedule, 45)
    _bill(carol, pat, schedule, 75)
    paid = _bill(carol, pat, schedule, 10)
    payments.record_payment(by=carol, invoice=paid, method="cash", amount="2400.00")
    payments.record_payment(by=carol, invoice=mid, method="cash", amount="400.00")
    voided = _bill(carol, pat, schedule, 5)
    invoices.void_invoice(by=carol, invoice=voided, reason="sold twice")
    rows, summary = ageing_rows(carol, main_st)
    assert [row["bucket"] for row in rows] == ["over 90", "61-90", "31-60"]
    assert summary.buckets == {
        "0-30": Decimal("0"),
        "31-60": Decimal("2000.00"),
        "61-90": Decimal("2400.00"),
        "over 90": Decimal("2400.00"),
    }
    assert summary.total == Decimal("6800.00")
    assert old.number == 1


def test_csv_cells_are_neutralised(client_as: Any, carol: Any, schedule: Any, main_st: Any) -> None:
    sly = make_patient(main_st, given_name="=HYPERLINK(1)", family_name="Sly")
    _bill(carol, sly, schedule, 3)
    csv = b"".join(client_as(carol).get(reverse("billing:ageing_csv")).streaming_content).decode()
    assert "'=HYPERLINK(1) Sly" in csv and ",0-30,2400.00" in csv
