"""Receipts, administration, disposal and corrections through the services: the record contents of
controlled-substances.md, and the refusals that keep the books right."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.ledger import services
from ketaclinic.ledger.models import Container, Kind, LedgerEntry, TheftLossReport
from tests.conftest import make_patient
from tests.ledger.conftest import NEXT_YEAR, receive, sign

D = Decimal
pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")


def test_a_receipt_records_supplier_invoice_and_one_entry_per_container(ledger: Any, main_st: Any) -> None:
    nurse, supplier = ledger["nurse"], ledger["supplier"]
    receipt = services.receive(
        by=nurse,
        location=main_st,
        product=ledger["products"]["k10"],
        supplier=supplier,
        lot_number=" K2611 ",
        expires_on=NEXT_YEAR,
        container_count=3,
        invoice_ref="INV-42",
    )
    assert [c.label for c in receipt.containers] == ["M-00001", "M-00002", "M-00003"]
    for entry in receipt.entries:
        assert (entry.kind, entry.quantity_ml, entry.quantity_mg, entry.balance_after_ml) == (
            Kind.RECEIPT,
            D("20.00"),
            D("200.00"),
            D("20.00"),
        )
        assert (entry.counterparty, entry.invoice_ref, entry.group_ref) == (supplier, "INV-42", receipt.group_ref)
    assert receipt.containers[0].lot.lot_number == "K2611"
    assert AuditEvent.objects.get(action="ledger.receive").detail["containers"] == 3


def test_container_ids_can_be_given_and_must_be_unique(ledger: Any, main_st: Any) -> None:
    k10, supplier, nurse = ledger["products"]["k10"], ledger["supplier"], ledger["nurse"]
    receive(nurse, main_st, k10, supplier, count=2, labels=["A1", "A2"])
    with pytest.raises(ValidationError, match="Already in use at Main: A2"):
        receive(nurse, main_st, k10, supplier, count=2, labels=["A2", "A3"])
    with pytest.raises(ValidationError, match="Give 2 different container ids"):
        receive(nurse, main_st, k10, supplier, count=2, labels=["B1", "B1"])


def test_a_receipt_needs_a_current_registration_and_a_real_supplier(
    ledger: Any, main_st: Any, registrants: Any, reverse_distributor: Any, dave: Any
) -> None:
    k10, nurse = ledger["products"]["k10"], ledger["nurse"]
    with pytest.raises(ValidationError, match="Not an active supplier"):
        receive(nurse, main_st, k10, reverse_distributor)
    with pytest.raises(ValidationError, match="Lot L001 is on file with expiry"):
        receive(nurse, main_st, k10, ledger["supplier"])
        receive(nurse, main_st, k10, ledger["supplier"], expires_on=NEXT_YEAR + dt.timedelta(days=1))
    services.save_registrant(
        by=dave, location=main_st, values={"expires_on": timezone.localdate() - dt.timedelta(days=2)}
    )
    with pytest.raises(ServiceError, match="expired"):
        receive(nurse, main_st, k10, ledger["supplier"])


def test_only_clinical_roles_at_the_location_record(
    ledger: Any, main_st: Any, carol: Any, dave: Any, lakeside_nurse: Any
) -> None:
    for user in (carol, dave):
        with pytest.raises(PermissionDenied, match=r"ledger\.record"):
            receive(user, main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(PermissionDenied, match="do not work at that location"):
        receive(lakeside_nurse, main_st, ledger["products"]["k10"], ledger["supplier"])


def test_an_administration_records_patient_quantity_mg_and_who(ledger: Any, main_st: Any) -> None:
    nurse, pat = ledger["nurse"], ledger["pat"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    entry = services.administer(
        by=nurse, container=vial, patient=pat, quantity_ml="4", session_reference="appt 2026-11-24 09:00"
    ).entry
    # clinical-rules.md §3 worked example: 80 kg × 0.5 mg/kg = 40 mg = 4 mL of 10 mg/mL.
    assert (entry.quantity_ml, entry.quantity_mg, entry.patient, entry.actor_name) == (
        D("-4.00"),
        D("-40.00"),
        pat,
        "Alice Test, RN",
    )
    assert entry.session_reference == "appt 2026-11-24 09:00"
    vial.refresh_from_db()
    assert (vial.status, vial.opened_at) == (Container.Status.OPEN, entry.occurred_at)
    assert AuditEvent.objects.get(action="ledger.administer").patient_id == pat.pk


def test_esketamine_devices_are_given_whole(ledger: Any, main_st: Any) -> None:
    nurse, pat = ledger["nurse"], ledger["pat"]
    devices = receive(nurse, main_st, ledger["products"]["esk"], ledger["supplier"], count=2)
    entries = [services.administer(by=nurse, container=d, patient=pat, quantity_ml="0.2").entry for d in devices]
    assert sum(-e.quantity_mg for e in entries) == D("56.00")  # two 28 mg devices = 56 mg
    assert all(Container.objects.get(pk=d.pk).status == Container.Status.EMPTY for d in devices)


def test_an_administration_to_a_patient_of_another_location_is_refused(ledger: Any, main_st: Any, lake: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(ValidationError, match="not registered at Main"):
        services.administer(by=ledger["nurse"], container=vial, patient=lake, quantity_ml="1")


def test_expired_or_quarantined_stock_cannot_be_given(ledger: Any, main_st: Any) -> None:
    # The lot is received in date and expires on the shelf (an expired lot can no longer be received as usable stock).
    nurse, pat = ledger["nurse"], ledger["pat"]
    (old,) = receive(
        nurse,
        main_st,
        ledger["products"]["k10"],
        ledger["supplier"],
        lot_number="OLD",
        expires_on=timezone.localdate() + dt.timedelta(days=1),
    )
    with time_machine.travel(timezone.now() + dt.timedelta(days=3)):
        with pytest.raises(ServiceError, match="expired on"):
            services.administer(by=nurse, container=old, patient=pat, quantity_ml="1")
        services.quarantine(by=nurse, container=old, reason="expired")
        with pytest.raises(ServiceError, match="quarantined"):
            services.administer(by=nurse, container=old, patient=pat, quantity_ml="1")


@pytest.mark.parametrize("value", ["0", "-1", "0.005", "abc"])
def test_bad_quantities_are_refused_by_name(ledger: Any, main_st: Any, value: str) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(ValidationError) as refused:
        services.administer(by=ledger["nurse"], container=vial, patient=ledger["pat"], quantity_ml=value)
    assert "quantity_ml" in refused.value.message_dict


def test_transfer_to_a_reverse_distributor(ledger: Any, main_st: Any, reverse_distributor: Any) -> None:
    nurse = ledger["nurse"]
    a, b = receive(nurse, main_st, ledger["products"]["k100"], ledger["supplier"], count=2)
    with pytest.raises(ValidationError, match="reverse distributors"):
        services.transfer_out(by=nurse, containers=[a], reverse_distributor=ledger["supplier"], reference="x")
    entries = services.transfer_out(
        by=nurse, containers=[a, b], reverse_distributor=reverse_distributor, reference="RD-2026-11"
    )
    assert [(e.kind, e.quantity_ml, e.counterparty, e.invoice_ref) for e in entries] == [
        (Kind.TRANSFER_OUT, D("-5.00"), reverse_distributor, "RD-2026-11")
    ] * 2
    assert {Container.objects.get(pk=c.pk).status for c in (a, b)} == {Container.Status.DISPOSED}


def test_destruction_keeps_the_form_41_data(ledger: Any, main_st: Any, frank: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    a, b = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], count=2)
    services.administer(by=nurse, container=b, patient=ledger["pat"], quantity_ml="5")
    with pytest.raises(ValidationError, match=r"holds nothing to destroy|Choose"):
        services.destroy(by=nurse, containers=[], method="x", place="", witness=None, second_witness=None)
    for container in (a, b):
        services.quarantine(by=nurse, container=container, reason="damaged")
    record = services.destroy(
        by=nurse,
        containers=[a, b],
        method="chemical neutraliser",
        place="Main, drug room",
        witness=sign(bob, nurse, main_st),
        second_witness=sign(frank, nurse, main_st),
    )
    assert (record.method, record.place, record.witness, record.second_witness) == (
        "chemical neutraliser",
        "Main, drug room",
        bob,
        frank,
    )
    assert sorted(e.quantity_ml for e in record.entries.all()) == [D("-20.00"), D("-15.00")]
    assert all(e.second_witness == frank for e in record.entries.all())


@time_machine.travel(dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC), tick=True)
def test_theft_loss_deadlines_from_discovery(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(
        nurse,
        main_st,
        ledger["products"]["k10"],
        ledger["supplier"],
        occurred_at=dt.datetime(2026, 11, 20, 8, tzinfo=CHICAGO),
        backdate_reason="test history",
    )
    # Discovered Wednesday 25 Nov 2026 at 17:30 Chicago time: Thursday is Thanksgiving, so notice is due Friday 27;
    # Form 106 is due 45 days later, 9 Jan 2027.
    discovered = dt.datetime(2026, 11, 25, 17, 30, tzinfo=CHICAGO)
    with pytest.raises(ValidationError, match="future"):
        services.report_theft_loss(
            by=nurse,
            kind="theft",
            discovered_at=timezone.now() + dt.timedelta(hours=1),
            description="x",
            items=[services.LostItem(vial, D("1"))],
        )
    report = services.report_theft_loss(
        by=nurse,
        kind="theft",
        discovered_at=discovered,
        description="Vial missing from the locked cabinet at the evening count.",
        items=[services.LostItem(vial, D("20"))],
        backdate_reason="entering a past discovery",
    )
    assert (report.notice_due_on, report.form_106_due_on) == (dt.date(2026, 11, 27), dt.date(2027, 1, 9))
    (entry,) = report.entries.all()
    assert (entry.kind, entry.quantity_ml, entry.quantity_mg) == (Kind.THEFT, D("-20.00"), D("-200.00"))
    assert Container.objects.get(pk=vial.pk).status == Container.Status.EMPTY
    services.record_notice_sent(by=nurse, report=report, sent_at=discovered + dt.timedelta(hours=20))
    with pytest.raises(ValidationError, match="confirmation"):
        services.record_form_106(by=nurse, report=report, filed_at=discovered + dt.timedelta(days=3), reference=" ")
    services.record_form_106(by=nurse, report=report, filed_at=discovered + dt.timedelta(days=3), reference="F106-123")
    report.refresh_from_db()
    assert not report.is_open()
    with pytest.raises(ServiceError, match="already recorded"):
        services.record_notice_sent(by=nurse, report=report, sent_at=discovered + dt.timedelta(hours=21))


@time_machine.travel(dt.datetime(2026, 12, 1, 18, tzinfo=dt.UTC), tick=True)
def test_clinic_closures_move_the_notice_deadline(ledger: Any, main_st: Any, dave: Any) -> None:
    services.save_policy(by=dave, clinic=main_st.clinic, values={"extra_holidays": "2026-11-27\n"})
    (vial,) = receive(
        ledger["nurse"],
        main_st,
        ledger["products"]["k10"],
        ledger["supplier"],
        occurred_at=dt.datetime(2026, 11, 20, 8, tzinfo=CHICAGO),
        backdate_reason="test history",
    )
    report = services.report_theft_loss(
        by=ledger["nurse"],
        kind="loss",
        discovered_at=dt.datetime(2026, 11, 25, 9, tzinfo=CHICAGO),
        description="broken",
        items=[services.LostItem(vial, D("2"))],
        backdate_reason="entering a past discovery",
    )
    assert report.notice_due_on == dt.date(2026, 11, 30)
    with pytest.raises(ValidationError, match="not a date"):
        services.save_policy(by=dave, clinic=main_st.clinic, values={"extra_holidays": "next friday"})


def test_adjustments_need_a_reason_and_a_witness(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(ValidationError, match="why"):
        services.adjust(by=nurse, container=vial, quantity_ml="-0.1", reason=" ", witness=sign(bob, nurse, main_st))
    with pytest.raises(services.WitnessRejected):
        services.adjust(by=nurse, container=vial, quantity_ml="-0.1", reason="count", witness=None)
    entry = services.adjust(
        by=nurse, container=vial, quantity_ml="-0.10", reason="count was short", witness=sign(bob, nurse, main_st)
    )
    assert (entry.quantity_ml, entry.balance_after_ml, entry.witness) == (D("-0.10"), D("19.90"), bob)


def test_reversing_a_destruction_puts_the_container_back_in_quarantine(ledger: Any, main_st: Any, frank: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    services.quarantine(by=nurse, container=vial, reason="expired")
    record = services.destroy(
        by=nurse,
        containers=[vial],
        method="x",
        place="",
        witness=sign(bob, nurse, main_st),
        second_witness=sign(frank, nurse, main_st),
    )
    services.reverse(
        by=nurse, entry=record.entries.get(), reason="destroyed the wrong vial", witness=sign(bob, nurse, main_st)
    )
    vial.refresh_from_db()
    assert (vial.status, vial.balance_ml) == (Container.Status.QUARANTINED, D("20.00"))


def test_reversing_a_receipt_after_use_is_refused(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="1")
    with pytest.raises(services.InsufficientStock):
        services.reverse(
            by=nurse,
            entry=LedgerEntry.objects.get(kind=Kind.RECEIPT),
            reason="duplicate",
            witness=sign(bob, nurse, main_st),
        )


def test_products_used_in_the_ledger_keep_their_concentration(
    ledger: Any, main_st: Any, dave: Any, clinic: Any
) -> None:
    product = ledger["products"]["k10"]
    receive(ledger["nurse"], main_st, product, ledger["supplier"])
    with pytest.raises(ValidationError, match="add a new product"):
        services.save_product(by=dave, clinic=clinic, product=product, values={"concentration_mg_per_ml": D("50")})
    services.save_product(by=dave, clinic=clinic, product=product, values={"name": "Ketamine 10 mg/mL (renamed)"})
    with pytest.raises(ValidationError, match="check digit"):
        services.save_supplier(by=dave, clinic=clinic, values={"name": "X", "address": "Y", "dea_number": "AB1234567"})
    with pytest.raises(PermissionDenied):
        services.save_product(by=ledger["nurse"], clinic=clinic, values={"name": "x"})


def test_patients_lists_theft_loss_kind_choices_are_closed(ledger: Any, main_st: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(ValidationError, match="theft or loss"):
        services.report_theft_loss(
            by=ledger["nurse"],
            kind="misplaced",
            discovered_at=timezone.now(),
            description="x",
            items=[services.LostItem(vial, D("1"))],
        )
    assert TheftLossReport.objects.count() == 0


def test_a_second_patient_at_the_location_is_fine(ledger: Any, main_st: Any) -> None:
    other = make_patient(main_st, given_name="Sam", family_name="Okafor")
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    entry = services.administer(by=ledger["nurse"], container=vial, patient=other, quantity_ml="2").entry
    assert entry.patient == other
