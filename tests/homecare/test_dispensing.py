"""Take-home fills: a pharmacy's (name and Rx number), or the clinic's drawn from the controlled-substance ledger in
the same transaction (the dispensing entry, balance checked, nothing written when refused)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.homecare import queries, services
from ketaclinic.homecare.models import HomeDispense
from ketaclinic.ledger import services as ledger_services
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from ketaclinic.patients.models import clinic_date
from tests.homecare.conftest import sign_agreement, sign_eligibility
from tests.ledger.conftest import receive

pytestmark = pytest.mark.django_db
D = Decimal


def oral_programme(patient: Any, bob: Any, *, dose_mg: str = "100", route: str = "oral") -> Any:
    sign_eligibility(patient, bob, ["oral", "intranasal", "sublingual"])
    sign_agreement(patient)
    programme = services.enrol(
        by=bob,
        patient=patient,
        route=route,
        monitor_name="Sam Rivera",
        monitor_date_of_birth=dt.date(1978, 1, 1),
        monitor_phone="(217) 555-0199",
        in_person_evaluation_on=dt.date.today() - dt.timedelta(days=30),
    )
    today = clinic_date(patient)
    return services.prescribe(
        by=bob,
        programme=programme,
        route=route,
        strength_mg=D(dose_mg),
        dose_mg=D(dose_mg),
        sessions=6,
        refills_authorised=1,
        issued_on=today,
        pdmp_checked_on=today,
        pdmp_note="No other controlled prescriptions.",
    )


def clinic_fill(nurse: Any, rx: Any, container: Any, doses: int, **changes: Any) -> Any:
    data = {
        "by": nurse,
        "prescription": rx,
        "source": "clinic",
        "dispenser": "",
        "dispensed_on": clinic_date(rx.programme.patient),
        "doses": doses,
        "container": container,
        **changes,
    }
    return services.dispense(**data)


def test_pharmacy_fill_needs_the_rx_number(ledger: Any, bob: Any, pat: Any) -> None:
    rx = oral_programme(pat, bob)
    with pytest.raises(ServiceError, match="Rx number") as caught:
        services.dispense(
            by=ledger["nurse"], prescription=rx, source="pharmacy", dispenser="Main St Pharmacy",
            dispensed_on=rx.issued_on, doses=6,
        )  # fmt: skip
    assert caught.value.field == "rx_number"
    with pytest.raises(ServiceError, match="Name the pharmacy"):
        services.dispense(
            by=ledger["nurse"], prescription=rx, source="pharmacy", dispenser=" ", dispensed_on=rx.issued_on,
            doses=6, rx_number="RX-1",
        )  # fmt: skip
    (vial,) = receive(ledger["nurse"], rx.programme.patient.location, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(ServiceError, match="takes nothing from the clinic's stock"):
        services.dispense(
            by=ledger["nurse"], prescription=rx, source="pharmacy", dispenser="Main St Pharmacy",
            dispensed_on=rx.issued_on, doses=6, rx_number="RX-1", container=vial,
        )  # fmt: skip
    assert not HomeDispense.objects.exists()
    fill = services.dispense(
        by=ledger["nurse"], prescription=rx, source="pharmacy", dispenser="Main St Pharmacy",
        dispensed_on=rx.issued_on, doses=6, rx_number="RX-1",
    )  # fmt: skip
    assert fill.rx_number == "RX-1" and fill.ledger_entry is None
    assert not LedgerEntry.objects.filter(kind=Kind.ADMINISTER).exists()


def test_clinic_fill_writes_the_ledger_dispensing_entry(ledger: Any, main_st: Any, bob: Any, pat: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])  # 20 mL at 10 mg/mL
    rx = oral_programme(pat, bob)
    assert [c.pk for c in services.clinic_stock(rx)] == [vial.pk]
    fill = clinic_fill(nurse, rx, vial, 1)
    entry = LedgerEntry.objects.get(kind=Kind.ADMINISTER)
    assert fill.ledger_entry == entry and fill.dispenser == nurse.display_name
    assert entry.patient == pat and entry.quantity_ml == D("-10.00") and entry.quantity_mg == D("-100.00")
    assert entry.balance_after_ml == D("10.00") and entry.actor == nurse
    assert entry.session_reference == f"take-home fill {fill.pk} (prescription {rx.pk})"
    assert Container.objects.get(pk=vial.pk).balance_ml == D("10.00")
    assert queries.balance(rx).dispensed == D(1)
    event = AuditEvent.objects.filter(action="homecare.dispense").latest("pk")
    assert event.detail["ledger_seq"] == entry.seq and event.detail["quantity_ml"] == "10.00"
    assert ledger_services.verify().intact


def test_clinic_fill_refused_when_stock_is_short_and_nothing_is_written(
    ledger: Any, main_st: Any, bob: Any, pat: Any
) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    rx = oral_programme(pat, bob)
    with pytest.raises(ServiceError, match="cannot be drawn") as caught:
        clinic_fill(nurse, rx, vial, 3)  # 300 mg = 30 mL from a 20 mL vial
    assert caught.value.field == "container"
    assert not HomeDispense.objects.exists()
    assert not LedgerEntry.objects.filter(kind=Kind.ADMINISTER).exists()
    assert Container.objects.get(pk=vial.pk).balance_ml == D("20.00")


def test_clinic_fill_checks_route_product_date_and_volume(ledger: Any, main_st: Any, bob: Any, pat: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k100"], ledger["supplier"])  # 5 mL at 100 mg/mL
    (device,) = receive(nurse, main_st, ledger["products"]["esk"], ledger["supplier"], lot_number="E1")
    rx = oral_programme(pat, bob, dose_mg="1.50")
    type(rx).objects.filter(pk=rx.pk).update(issued_on=rx.issued_on - dt.timedelta(days=2))
    rx.refresh_from_db()
    with pytest.raises(ServiceError, match="racemic ketamine"):
        clinic_fill(nurse, rx, device, 1)  # esketamine is never a take-home fill
    with pytest.raises(ServiceError, match=r"0\.01 mL"):
        clinic_fill(nurse, rx, vial, 1)  # 1.5 mg at 100 mg/mL = 0.015 mL
    with pytest.raises(ServiceError, match="date it today"):
        clinic_fill(nurse, rx, vial, 2, dispensed_on=rx.issued_on + dt.timedelta(days=1))
    with pytest.raises(ServiceError, match="Choose the container"):
        clinic_fill(nurse, rx, None, 2)
    with pytest.raises(ServiceError, match="no pharmacy Rx"):
        clinic_fill(nurse, rx, vial, 2, rx_number="RX-9")
    assert not HomeDispense.objects.exists()
    assert not LedgerEntry.objects.filter(kind=Kind.ADMINISTER).exists()
    fill = clinic_fill(nurse, rx, vial, 2)  # 3 mg = 0.03 mL
    assert fill.ledger_entry is not None and fill.ledger_entry.quantity_ml == D("-0.03")


def test_troches_are_not_ledger_stock(ledger: Any, main_st: Any, bob: Any, pat: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    rx = oral_programme(pat, bob, route="sublingual_troche")
    assert services.clinic_stock(rx) == []
    with pytest.raises(ServiceError, match="dispensed by a pharmacy") as caught:
        clinic_fill(nurse, rx, vial, 1)
    assert caught.value.field == "source"
    assert not HomeDispense.objects.exists()


def test_clinic_fill_from_another_location_refused(
    ledger: Any, lakeside: Any, lakeside_nurse: Any, bob: Any, pat: Any
) -> None:
    (far,) = receive(lakeside_nurse, lakeside, ledger["products"]["k10"], ledger["supplier"])
    rx = oral_programme(pat, bob)
    with pytest.raises(ServiceError, match="not stocked at"):
        clinic_fill(ledger["nurse"], rx, far, 1)
    assert not HomeDispense.objects.exists()


def test_dispense_page_offers_clinic_stock_and_posts(
    ledger: Any, main_st: Any, bob: Any, pat: Any, client_as: Any
) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    rx = oral_programme(pat, bob)
    client = client_as(nurse)
    url = f"/homecare/patient/{pat.pk}/rx/{rx.pk}/dispense/"
    page = client.get(url).content.decode()
    assert vial.label in page and "20.00 mL available" in page
    refused = client.post(
        url, {"source": "clinic", "doses": "3", "dispensed_on": rx.issued_on.isoformat(), "container": vial.pk}
    )
    assert refused.status_code == 200 and "cannot be drawn" in refused.content.decode()
    assert not HomeDispense.objects.exists()
    done = client.post(
        url, {"source": "clinic", "doses": "2", "dispensed_on": rx.issued_on.isoformat(), "container": vial.pk}
    )
    assert done.status_code == 302
    assert HomeDispense.objects.get().ledger_entry.quantity_ml == D("-20.00")
    programme_page = client.get(f"/homecare/patient/{pat.pk}/").content.decode()
    assert "ledger entry #" in programme_page and "20.00 mL from" in programme_page
