"""Expired stock (issue 15, item 5): never received as usable stock, never offered or given, always counted and
listed for destruction or return; judged on the clinic's calendar day (the test clinic is in Chicago)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.ledger import forms, queries, services
from ketaclinic.ledger.models import Container, LedgerEntry, Lot
from tests.conftest import sign_in
from tests.ledger.conftest import receive, sign
from tests.ledger.test_api import Api

D = Decimal
pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
TODAY = dt.datetime.now(CHICAGO).date()
LONG_AGO = TODAY - dt.timedelta(days=670)  # the reproduction: a lot that expired 22 months ago


def at_chicago(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def test_an_expired_lot_is_refused_as_usable_stock_and_nothing_is_written(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    with pytest.raises(ValidationError) as refused:
        receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], lot_number="OLD", expires_on=LONG_AGO)
    assert f"expired on {LONG_AGO:%Y-%m-%d}" in refused.value.message_dict["expires_on"][0]
    assert "quarantine" in refused.value.message_dict["expires_on"][0]
    assert not Container.objects.exists() and not LedgerEntry.objects.exists()
    assert not Lot.objects.filter(lot_number="OLD").exists()


def test_an_expired_lot_in_hand_is_received_into_quarantine_counted_and_never_given(
    ledger: Any, main_st: Any, frank: Any
) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    receipt = services.receive(
        by=nurse,
        location=main_st,
        product=ledger["products"]["k10"],
        supplier=ledger["supplier"],
        lot_number="OLD",
        expires_on=LONG_AGO,
        container_count=2,
        invoice_ref="INV-9",
        quarantine_reason="shipped in error; held for the reverse distributor",
    )
    old = receipt.containers
    assert {c.status for c in old} == {Container.Status.QUARANTINED}
    assert old[0].status_reason == (
        f"received expired (lot expired {LONG_AGO:%Y-%m-%d}): shipped in error; held for the reverse distributor"
    )
    assert [e.balance_after_ml for e in receipt.entries] == [D("20.00"), D("20.00")]  # in the books: the count has it
    event = AuditEvent.objects.get(action="ledger.receive")
    assert event.detail["quarantined"] is True
    with pytest.raises(ServiceError, match=r"quarantined .*never given"):
        services.administer(by=nurse, container=old[0], patient=ledger["pat"], quantity_ml="1")
    due = queries.due_for_destruction(Container.objects.filter(location=main_st), TODAY)
    assert set(due) == set(old)
    services.destroy(
        by=nurse,
        containers=[old[0]],
        method="chemical neutraliser",
        place="",
        witness=sign(bob, nurse, main_st),
        second_witness=sign(frank, nurse, main_st),
    )
    assert list(queries.due_for_destruction(Container.objects.filter(location=main_st), TODAY)) == [old[1]]


def test_a_reason_quarantines_an_in_date_receipt_too(ledger: Any, main_st: Any) -> None:
    (vial,) = receive(
        ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"], quarantine_reason="carton crushed"
    )
    assert (vial.status, vial.status_reason) == (
        Container.Status.QUARANTINED,
        "received into quarantine: carton crushed",
    )


def test_expiry_is_judged_on_the_clinics_day_not_utcs(ledger: Any, main_st: Any) -> None:
    nurse, pat = ledger["nurse"], ledger["pat"]
    day = TODAY + dt.timedelta(days=10)
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], expires_on=day)
    late_evening = at_chicago(day, 22, 30)  # already the next day in UTC
    with time_machine.travel(late_evening, tick=False):
        assert queries.clinic_today(main_st.clinic) == day
        assert forms.AdministrationForm(user=nurse).fields["container"].queryset.filter(pk=vial.pk).exists()
        services.administer(by=nurse, container=vial, patient=pat, quantity_ml="1")
    with time_machine.travel(at_chicago(day + dt.timedelta(days=1), 0, 30), tick=False):
        assert not forms.AdministrationForm(user=nurse).fields["container"].queryset.filter(pk=vial.pk).exists()
        with pytest.raises(ServiceError, match=f"expired on {day:%Y-%m-%d}.*42 CFR 482.25"):
            services.administer(by=nurse, container=vial, patient=pat, quantity_ml="1")


def test_the_forms_leave_out_or_mark_expired_stock_and_mark_what_expires_soon(ledger: Any, main_st: Any) -> None:
    nurse, k10, supplier = ledger["nurse"], ledger["products"]["k10"], ledger["supplier"]
    (old,) = receive(nurse, main_st, k10, supplier, lot_number="SHELF", expires_on=TODAY + dt.timedelta(days=2))
    (soon,) = receive(nurse, main_st, k10, supplier, lot_number="SOON", expires_on=TODAY + dt.timedelta(days=12))
    (fresh,) = receive(nurse, main_st, k10, supplier, lot_number="FRESH", expires_on=TODAY + dt.timedelta(days=300))
    (damaged,) = receive(nurse, main_st, k10, supplier, lot_number="DMG", quarantine_reason="cracked vial")
    with time_machine.travel(at_chicago(TODAY + dt.timedelta(days=3), 9), tick=False):
        administer = forms.AdministrationForm(user=nurse)
        field = administer.fields["container"]
        assert list(field.queryset) == [soon, fresh]  # neither expired nor quarantined stock is offered
        labels = [label for _, label in field.choices][1:]
        assert labels[0].endswith("· expires in 9 days (" + f"{soon.lot.expires_on:%Y-%m-%d})")
        assert "expires" not in labels[1]
        waste_labels = [str(label) for _, label in forms.WasteForm(user=nurse).fields["container"].choices]
        assert any(old.label in text and "EXPIRED" in text for text in waste_labels)
        destroy = forms.DestructionForm(user=nurse).fields["containers"]
        assert set(destroy.queryset) == {old, damaged}  # expired or quarantined: the Form 41 candidates


def test_the_clinic_sets_how_soon_expiry_is_marked(ledger: Any, main_st: Any, dave: Any) -> None:
    nurse = ledger["nurse"]
    (soon,) = receive(
        nurse, main_st, ledger["products"]["k10"], ledger["supplier"], expires_on=TODAY + dt.timedelta(20)
    )
    assert "expires in 20 days" in dict(forms.AdministrationForm(user=nurse).fields["container"].choices)[soon.pk]
    services.save_policy(by=dave, clinic=main_st.clinic, values={"expiry_warning_days": 7})
    assert "expires" not in dict(forms.AdministrationForm(user=nurse).fields["container"].choices)[soon.pk]
    with pytest.raises(ValidationError):
        services.save_policy(by=dave, clinic=main_st.clinic, values={"expiry_warning_days": 400})


def test_the_api_refuses_an_expired_receipt_and_an_expired_container(ledger: Any, main_st: Any) -> None:
    api = Api(ledger["nurse"])
    body = {
        "location_id": main_st.pk,
        "product_id": ledger["products"]["k10"].pk,
        "supplier_id": ledger["supplier"].pk,
        "lot_number": "OLD",
        "expires_on": LONG_AGO.isoformat(),
        "container_count": 1,
        "invoice_ref": "INV-API",
    }
    response = api.post("/receipts", body)
    assert response.status_code in (400, 422) and "expires_on" in str(response.json())
    assert not Container.objects.exists()
    response = api.post("/receipts", {**body, "quarantine_reason": "for return"})
    assert response.status_code == 201, response.json()
    listed = api.get(f"/containers/{response.json()['entries'][0]['container_id']}").json()
    assert (listed["status"], listed["expires_on"]) == ("quarantined", LONG_AGO.isoformat())
    assert listed["status_reason"].endswith(": for return")
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"], lot_number="L2")
    Lot.objects.filter(pk=vial.lot_id).update(expires_on=TODAY - dt.timedelta(days=1))  # it expired on the shelf
    response = api.post(
        "/administrations", {"container_id": vial.pk, "patient_id": ledger["pat"].pk, "quantity_ml": "1"}
    )
    assert response.status_code in (400, 409, 422)
    assert "expired on" in str(response.json())
    assert not LedgerEntry.objects.filter(kind="administer").exists()


def test_the_overview_lists_what_is_due_for_destruction_with_the_rules(ledger: Any, main_st: Any, client: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], lot_number="L2")
    Lot.objects.filter(pk=vial.lot_id).update(expires_on=TODAY - dt.timedelta(days=1))
    (kept,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], quarantine_reason="recalled lot")
    sign_in(client, nurse)
    page = client.get(reverse("ledger:home")).content.decode()
    assert "Due for destruction or return" in page
    assert vial.label in page and kept.label in page and "recalled lot" in page
    assert "42 CFR 482.25(b)(3)" in page and "21 CFR 1317.05(a)" in page
    assert f"{reverse('ledger:destroy')}?container={kept.pk}" in page
    destroy = client.get(reverse("ledger:destroy"), {"container": kept.pk}).content.decode()
    assert f'name="containers" value="{kept.pk}" id="id_containers_1" checked>' in destroy
    assert "EXPIRED" in destroy  # the expired vial is a candidate too, and marked
