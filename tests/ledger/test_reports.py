"""The reports against books computed by hand, on screen, as CSV and printable; reading them is audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.ledger import reports, services
from ketaclinic.ledger.models import Inventory
from tests.conftest import make_patient, sign_in
from tests.ledger.conftest import receive, sign

D = Decimal
CHICAGO = ZoneInfo("America/Chicago")
pytestmark = pytest.mark.django_db


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 12, day, hour, tzinfo=CHICAGO)


@pytest.fixture
def books(ledger: Any, main_st: Any, frank: Any, reverse_distributor: Any) -> dict[str, Any]:
    """December 2026 at Main, recorded as it happened:
    1 Dec  receive 2 × 20 mL of 10 mg/mL (V1, V2) and 1 × 5 mL of 100 mg/mL (V3), invoice INV-7
    2 Dec  Pat: 4.00 mL drawn 4.50 from V1 (0.50 wasted, witnessed by Bob)
    3 Dec  Pat: 3.00 mL from V1; Sam: 0.35 mL from V3 (35 mg)
    4 Dec  V1 closed: remainder 12.50 mL wasted (witnessed)
    5 Dec  V3 set aside and destroyed (4.65 mL, partial) with Bob and Frank as witnesses
    6 Dec  ad-hoc count at close of business: V2 counted 19.90 (books 20.00)
    7 Dec  V2 transferred to the reverse distributor after the count discrepancy was annotated and adjusted"""
    nurse, bob, pat = ledger["nurse"], ledger["bob"], ledger["pat"]
    products, supplier = ledger["products"], ledger["supplier"]
    sam = make_patient(
        main_st,
        given_name="Sam",
        family_name="Okafor",
        address_line1="5 Elm St",
        city="Springfield",
        state="IL",
        postal_code="62701",
    )
    with time_machine.travel(at(1), tick=False) as clock:
        v1, v2 = receive(nurse, main_st, products["k10"], supplier, count=2, invoice_ref="INV-7", labels=["V1", "V2"])
        (v3,) = receive(
            nurse, main_st, products["k100"], supplier, invoice_ref="INV-7", labels=["V3"], lot_number="L100"
        )
        clock.move_to(at(2))
        services.administer(
            by=nurse,
            container=v1,
            patient=pat,
            quantity_ml="4",
            drawn_ml="4.5",
            witness=sign(bob, nurse, main_st),
            session_reference="S-1",
        )
        clock.move_to(at(3))
        services.administer(by=nurse, container=v1, patient=pat, quantity_ml="3", session_reference="S-2")
        services.administer(by=nurse, container=v3, patient=sam, quantity_ml="0.35")
        clock.move_to(at(4))
        services.waste(
            by=nurse,
            container=v1,
            quantity_ml="0",
            close=True,
            manner="drug-waste container",
            reason="end of day",
            witness=sign(bob, nurse, main_st),
        )
        clock.move_to(at(5))
        services.quarantine(by=nurse, container=v3, reason="cap damaged")
        services.destroy(
            by=nurse,
            containers=[v3],
            method="neutraliser",
            place="Main drug room",
            witness=sign(bob, nurse, main_st),
            second_witness=sign(frank, nurse, main_st),
        )
        clock.move_to(at(6, 17))
        inventory = services.start_inventory(
            by=nurse, location=main_st, kind="ad_hoc", taken_at=at(6, 17), business_timing="close"
        )
        services.record_counts(
            by=nurse, inventory=inventory, counts={inventory.lines.get().pk: services.Count("19.90")}
        )
        services.finalise_inventory(by=nurse, inventory=inventory)
        discrepancy = inventory.lines.get().discrepancy
        services.annotate_discrepancy(
            by=nurse,
            discrepancy=discrepancy,
            annotation="residue",
            adjust_books=True,
            witness=sign(bob, nurse, main_st),
        )
        clock.move_to(at(7))
        services.transfer_out(by=nurse, containers=[v2], reverse_distributor=reverse_distributor, reference="RD-9")
    return {
        "main": main_st,
        "inventory": inventory,
        "pat": pat,
        "sam": sam,
        "period": reports.Period(dt.date(2026, 12, 1), dt.date(2026, 12, 9), CHICAGO),
    }


def section(report: reports.Report, title_start: str) -> reports.Section:
    return next(s for s in report.sections if s.title.startswith(title_start))


def test_receipts(books: dict[str, Any]) -> None:
    rows = section(reports.receipts(books["main"], books["period"]), "Receipts")
    assert [(r[1], r[5], r[6], r[7], r[8], r[11], r[12]) for r in rows.rows] == [
        ("Ketamine HCl injection 10 mg/mL, 20 mL vial", 2, D("40.00"), D("400.00"), "L001", "RM1234563", "INV-7"),
        (
            "Ketamine HCl injection 100 mg/mL, 5 mL multi-dose vial",
            1,
            D("5.00"),
            D("500.00"),
            "L100",
            "RM1234563",
            "INV-7",
        ),
    ]
    assert rows.totals is not None and rows.totals[5:8] == [3, D("45.00"), D("900.00")]


def test_administrations_per_patient_and_period(books: dict[str, Any]) -> None:
    everyone = section(reports.administrations(books["main"], books["period"]), "Administrations")
    assert len(everyone.rows) == 3 and everyone.totals is not None
    assert everyone.totals[6:9] == [D("7.35"), D("105.00"), D("0.50")]  # 4 + 3 + 0.35 mL; 40 + 30 + 35 mg
    report = reports.administrations(books["main"], books["period"], books["pat"])
    pat_rows = section(report, "Administrations")
    assert [(r[6], r[7], r[8], r[9], r[11]) for r in pat_rows.rows] == [
        (D("4.00"), D("40.00"), D("0.50"), "Bob Test, MD", "S-1"),
        (D("3.00"), D("30.00"), D("0.00"), "", "S-2"),
    ]
    assert report.patient_ids == {books["pat"].pk}
    sam_row = section(reports.administrations(books["main"], books["period"], books["sam"]), "Administrations").rows[0]
    assert sam_row[2] == "5 Elm St, Springfield, IL, 62701"  # the patient's address, as 1304.22(c) asks


def test_wastage_and_destruction(books: dict[str, Any]) -> None:
    report = reports.disposal(books["main"], books["period"])
    waste = section(report, "Wastage")
    assert [(r[2], r[3], r[8]) for r in waste.rows] == [
        ("V1", D("0.50"), "Bob Test, MD"),
        ("V1", D("12.50"), "Bob Test, MD"),
    ]
    (form41,) = section(report, "Destruction").rows
    # NDC, strength, package quantity, 0 full packages, partial 4.65 mL, total 4.65 mL = 465 mg, two witnesses
    assert [form41[i] for i in (1, 3, 5, 6, 7, 8, 9, 10, 12, 13)] == [
        "99999-100-05",
        "100 mg/mL",
        "5 mL vial",
        0,
        D("4.65"),
        D("4.65"),
        D("465.00"),
        "neutraliser",
        "Bob Test, MD",
        "Frank Test, RN",
    ]
    (transfer,) = section(report, "Transfers").rows
    assert (transfer[3], transfer[4], transfer[6], transfer[8], transfer[9]) == (
        "V2",
        D("19.90"),
        "Returns Solutions",
        "RR7654329",
        "RD-9",
    )


def test_running_balances(books: dict[str, Any]) -> None:
    report = reports.balances(books["main"], books["period"])
    summary = {row[1]: row for row in section(report, "Per product").rows}
    # 10 mg/mL: received 40; given 7; wasted 0.5 + 12.5 = 13; transferred 19.9; adjusted −0.1; closing 0.
    assert summary["99999-010-20"][2:] == [
        D("0.00"),
        D("40.00"),
        D("7.00"),
        D("13.00"),
        D("0.00"),
        D("19.90"),
        D("0.00"),
        D("-0.10"),
        D("0.00"),
        D("0.00"),
    ]
    # 100 mg/mL: received 5; given 0.35; destroyed 4.65; closing 0.
    assert summary["99999-100-05"][2:] == [
        D("0.00"),
        D("5.00"),
        D("0.35"),
        D("0.00"),
        D("4.65"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
        D("0.00"),
    ]
    detail = section(report, "Per container")
    v1 = [(row[5], row[6], row[7]) for row in detail.rows if row[2] == "V1"]
    assert v1 == [
        ("Receipt", D("20.00"), D("20.00")),
        ("Administration", D("-4.00"), D("16.00")),
        ("Waste", D("-0.50"), D("15.50")),
        ("Administration", D("-3.00"), D("12.50")),
        ("Waste", D("-12.50"), D("0.00")),
    ]
    later = reports.balances(books["main"], reports.Period(dt.date(2026, 12, 4), dt.date(2026, 12, 9), CHICAGO))
    opening = {row[1]: row[2] for row in section(later, "Per product").rows}
    assert opening == {"99999-010-20": D("32.50"), "99999-100-05": D("4.65")}  # 40 − 7.5 and 5 − 0.35


def test_inventory_and_reconciliation(books: dict[str, Any]) -> None:
    inventory = reports.inventory(books["inventory"])
    assert dict(inventory.facts)["Opening or close of business"] == "Close of business"
    (line,) = section(inventory, "Controlled substances").rows
    assert (line[5], line[8], line[9], line[10]) == ("V2", D("19.90"), D("199.00"), "exact")
    (row,) = section(reports.reconciliation(books["inventory"]), "Lines").rows
    assert row[1:8] == ["V2", D("20.00"), D("19.90"), D("-0.10"), D("-1.00"), "shortage", "no"]
    assert row[8:] == ["Annotated", "residue"]


def test_form_106_worksheet(ledger: Any, main_st: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    from django.utils import timezone

    report_row = services.report_theft_loss(
        by=ledger["nurse"],
        kind="theft",
        discovered_at=timezone.now(),
        description="cabinet forced",
        items=[services.LostItem(vial, D("20"))],
    )
    worksheet = reports.form_106(report_row)
    facts = dict(worksheet.facts)
    assert facts["DEA registration"] == "FT1234563" and facts["Written notice sent"] == "NOT YET"
    assert facts["Form 106 due (45 days)"] == report_row.form_106_due_on
    (item,) = section(worksheet, "Items").rows
    assert (item[0], item[7], item[8]) == ("99999-010-20", D("20.00"), D("200.00"))


def test_inspection_export_has_every_entry_of_the_period(books: dict[str, Any]) -> None:
    from ketaclinic.ledger.models import LedgerEntry

    report = reports.inspection(books["main"], books["period"])
    journal = section(report, "Every entry")
    assert len(journal.rows) == LedgerEntry.objects.filter(location=books["main"]).count() == 12
    assert dict(report.facts)["Hash chain (whole ledger)"] == "intact: 12 entries verified"
    assert report.patient_ids == {books["pat"].pk, books["sam"].pk}
    assert len(section(report, "Inventories").rows) == 1
    narrow = reports.inspection(books["main"], reports.Period(dt.date(2026, 12, 3), dt.date(2026, 12, 3), CHICAGO))
    assert [row[3] for row in section(narrow, "Every entry").rows] == ["Administration", "Administration"]


def test_report_pages_csv_and_print_are_audited(books: dict[str, Any], client: Any, bob: Any) -> None:
    sign_in(client, bob)
    url = reverse("ledger:report", kwargs={"kind": "administrations"})
    query = f"?location={books['main'].pk}&date_from=2026-12-01&date_to=2026-12-09&patient={books['pat'].pk}"
    page = client.get(url + query)
    assert page.status_code == 200
    table = page.content.decode().split('class="report"')[1]
    assert "S-1" in table and "S-2" in table and "Okafor" not in table
    response = client.get(url + query + "&format=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == ["Administrations — Pat Rivera"]
    header = rows.index(["Administrations"]) + 1
    assert rows[header][:3] == ["Date and time", "Patient", "Patient address"]
    assert rows[header + 1][6:9] == ["4.00", "40.00", "0.50"]
    printable = client.get(url + query + "&format=print")
    assert printable.status_code == 200 and b"Schedule III controlled-substance records" in printable.content
    events = AuditEvent.objects.filter(actor=bob, action__startswith="ledger.report").order_by("seq")
    assert [e.action for e in events] == ["ledger.report.view", "ledger.report.export", "ledger.report.export"]
    assert all(e.patient_id == books["pat"].pk for e in events)


@pytest.mark.parametrize("kind", list(reports.KINDS))
def test_every_report_renders_for_the_location(books: dict[str, Any], client: Any, dave: Any, kind: str) -> None:
    sign_in(client, dave)
    url = (
        reverse("ledger:report", kwargs={"kind": kind})
        + f"?location={books['main'].pk}&date_from=2026-12-01&date_to=2026-12-09"
    )
    assert client.get(url).status_code == 200
    assert client.get(url + "&format=csv").status_code == 200
    assert client.get(url + "&format=print").status_code == 200


def test_an_unknown_report_is_404(client: Any, dave: Any) -> None:
    sign_in(client, dave)
    assert client.get(reverse("ledger:report", kwargs={"kind": "everything"})).status_code == 404


def test_reports_of_another_location_are_refused(
    books: dict[str, Any], client: Any, lakeside: Any, erin: Any, clinic: Any
) -> None:
    from tests.conftest import make_user

    reporter = make_user("lena", "prescriber", clinic, [lakeside])
    sign_in(client, reporter)
    response = client.get(reverse("ledger:report", kwargs={"kind": "inspection"}) + f"?location={books['main'].pk}")
    assert response.status_code == 200 and b"Select a valid choice" in response.content
    assert b">V1<" not in response.content  # a vial label in a report cell (not the random CSRF token)
    assert Inventory.objects.count() == 1


def test_the_inspection_report_lists_vials_by_label(books: dict[str, Any], client: Any, dave: Any) -> None:
    """The positive side of the check above: the label of a vial at the location shows in a report cell."""
    sign_in(client, dave)
    url = reverse("ledger:report", kwargs={"kind": "inspection"})
    response = client.get(url + f"?location={books['main'].pk}&date_from=2026-12-01&date_to=2026-12-09")
    assert b">V1<" in response.content
