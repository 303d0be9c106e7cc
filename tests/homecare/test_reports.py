"""The diary of one patient and the clinic's list of active programmes, as pages and CSV: what they show, that
entered-in-error rows stay listed and move no balance, formula-safe CSV, and clinicians of the patient's location
only."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
import time_machine

from ketaclinic.homecare import services
from ketaclinic.homecare.models import HomeProgramme
from tests.homecare.conftest import GOOD

pytestmark = pytest.mark.django_db


def diary_scene(prescription: Any, alice: Any) -> None:
    services.check_in(by=None, prescription=prescription, **{**GOOD, "systolic_mmhg": 172})  # refused
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    dose = services.take_dose(by=None, check_in=row)
    services.post_dose_check(by=None, dose=dose, sedation_resolved=True, side_effects="=HYPERLINK(1)")
    services.record_stock(by=alice, prescription=prescription, kind="count", doses="3")


def csv_rows(response: Any) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_patient_diary_page_and_csv(client_as: Any, prescription: Any, alice: Any) -> None:
    diary_scene(prescription, alice)
    patient_id = prescription.programme.patient_id
    client = client_as(alice)
    page = client.get(f"/homecare/patient/{patient_id}/report/").content.decode()
    for words in ("check-in: refused", "above the clinic", "check-in: cleared", "dose taken", "post-dose check",
                  "fill (pharmacy)", "Main St Pharmacy, Rx RX-1001", "3.00 doses counted"):  # fmt: skip
        assert words in page, words
    assert 'data-testid="report-balance"' in page and "<strong>5</strong> doses expected" in page
    rows = csv_rows(client.get(f"/homecare/patient/{patient_id}/report.csv"))
    assert rows[0][0] == "when (UTC)"
    events = [row[2] for row in rows[1:]]
    assert events == [
        "fill (pharmacy)", "check-in: refused", "check-in: cleared", "dose taken", "post-dose check", "count",
    ]  # fmt: skip
    balances = [row[5] for row in rows[1:]]
    assert balances == ["6", "", "", "5", "", "5"]
    assert rows[-1][3] == "3.00 doses counted (2 fewer than the balance)"
    assert "back to usual; =HYPERLINK(1)" in [row[3] for row in rows]  # not at the start of a cell: harmless


def test_csv_cells_are_formula_safe(client_as: Any, prescription: Any, alice: Any) -> None:
    services.dispense(
        by=alice, prescription=prescription, source="pharmacy", dispenser='=HYPERLINK("http://x")',
        dispensed_on=prescription.issued_on, doses=6, rx_number="RX-2",
    )  # fmt: skip
    rows = csv_rows(client_as(alice).get(f"/homecare/patient/{prescription.programme.patient_id}/report.csv"))
    assert '\'=HYPERLINK("http://x"), Rx RX-2' in [row[3] for row in rows]


def test_entered_in_error_rows_stay_listed_and_move_nothing(client_as: Any, prescription: Any, alice: Any) -> None:
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    services.take_dose(by=None, check_in=row)
    services.mark_entered_in_error(by=alice, row=row, reason="wrong patient")
    rows = csv_rows(client_as(alice).get(f"/homecare/patient/{prescription.programme.patient_id}/report.csv"))
    dose_row = next(r for r in rows if r[2] == "dose taken")
    assert dose_row[5] == "" and dose_row[6] == "wrong patient"


def test_clinic_report_page_and_csv(client_as: Any, prescription: Any, alice: Any, bob: Any) -> None:
    diary_scene(prescription, alice)
    patient = prescription.programme.patient
    client = client_as(bob)
    page = client.get("/homecare/report/").content.decode()
    assert f"{patient.family_name}, {patient.given_name}" in page and 'data-testid="open-reviews"' in page
    rows = csv_rows(client.get("/homecare/report.csv"))
    assert rows[0][:4] == ["patient", "MRN", "location", "route"]
    (row,) = rows[1:]
    assert row[1] == patient.mrn and row[3] == "Sublingual troche"
    assert row[5] == "5" and row[6] == "1" and row[7] == "1"  # balance, open discrepancies, refused in 30 days
    assert row[8].startswith("in-person evaluation ")


def test_clinic_report_in_person_status_against_the_dea_date(client_as: Any, prescription: Any, bob: Any) -> None:
    HomeProgramme.objects.filter(pk=prescription.programme_id).update(in_person_evaluation_on=None)
    with time_machine.travel(dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC)):
        rows = csv_rows(client_as(bob).get("/homecare/report.csv"))
    assert rows[1][8] == "none: 30 days to 31 Dec 2026"
    with time_machine.travel(dt.datetime(2027, 1, 5, 18, tzinfo=dt.UTC)):
        page = client_as(bob).get("/homecare/report/").content.decode()
    assert "telemedicine flexibilities ended 31 Dec 2026" in page


def test_reports_are_for_clinicians_of_the_patients_location(
    client_as: Any, prescription: Any, carol: Any, erin: Any, dave: Any
) -> None:
    patient_id = prescription.programme.patient_id
    for user, status in ((carol, 403), (dave, 403), (erin, 404)):
        client = client_as(user)
        assert client.get(f"/homecare/patient/{patient_id}/report/").status_code == status, user
        assert client.get(f"/homecare/patient/{patient_id}/report.csv").status_code == status, user
    lakeside = client_as(erin).get("/homecare/report/").content.decode()
    assert "No active home programme at your locations" in lakeside


def test_never_enrolled_patient_has_no_report(client_as: Any, alice: Any, pat: Any) -> None:
    assert client_as(alice).get(f"/homecare/patient/{pat.pk}/report/").status_code == 404
