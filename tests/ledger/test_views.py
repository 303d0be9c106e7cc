"""The ledger pages: forms through the real services, witnesses signing in the form, 404 across locations, reads
audited."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.ledger import services
from ketaclinic.ledger.models import Container, Discrepancy, Kind, LedgerEntry, LedgerPolicy, TheftLossReport
from tests.conftest import PASSWORD, sign_in
from tests.ledger.conftest import code_for, receive

D = Decimal
pytestmark = pytest.mark.django_db
NOW = "%Y-%m-%dT%H:%M"


def local_now() -> str:
    """Now as the clinic's forms read it: in the test clinic's zone (tests/conftest.py), not whatever zone is active."""
    return timezone.localtime(timezone=ZoneInfo("America/Chicago")).strftime(NOW)


def witness_fields(user: Any, *, prefix: str = "witness", code: str | None = None) -> dict[str, str]:
    return {
        f"{prefix}_username": user.username,
        f"{prefix}_password": PASSWORD,
        f"{prefix}_otp_token": code or code_for(user),
    }


@pytest.fixture
def vial(ledger: Any, main_st: Any) -> Container:
    (container,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    return container


def test_a_nurse_records_an_administration_with_a_witnessed_syringe_waste(
    ledger: Any, vial: Container, client: Any
) -> None:
    nurse, bob, pat = ledger["nurse"], ledger["bob"], ledger["pat"]
    sign_in(client, nurse)
    page = client.get(reverse("ledger:administer") + f"?container={vial.pk}&patient={pat.pk}")
    assert page.status_code == 200 and b"Witness signs" in page.content
    response = client.post(
        reverse("ledger:administer"),
        {
            "patient": pat.pk,
            "container": vial.pk,
            "quantity_ml": "3.50",
            "drawn_ml": "4.00",
            "occurred_at": local_now(),
            "session_reference": "chair 2",
            "waste_manner": "syringe remainder into the drug-waste container",
            **witness_fields(bob),
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("ledger:container", args=[vial.pk])
    given, wasted = LedgerEntry.objects.filter(kind__in=[Kind.ADMINISTER, Kind.WASTE]).order_by("seq")
    assert (given.quantity_ml, given.patient, given.actor) == (D("-3.50"), pat, nurse)
    assert (wasted.quantity_ml, wasted.witness, wasted.related_entry) == (D("-0.50"), bob, given)
    page = client.get(response["Location"])
    assert b"Administration #2 recorded: 3.50 mL (35.00 mg); 0.50 mL wasted, witnessed by Bob Test, MD." in page.content


def test_a_wrong_witness_code_is_shown_next_to_the_field_and_nothing_is_written(
    ledger: Any, vial: Container, client: Any
) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    sign_in(client, nurse)
    right = code_for(bob)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    response = client.post(
        reverse("ledger:administer"),
        {
            "patient": ledger["pat"].pk,
            "container": vial.pk,
            "quantity_ml": "3.50",
            "drawn_ml": "4.00",
            "occurred_at": local_now(),
            **witness_fields(bob, code=wrong),
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_witness_otp_token_error">Witness: the one-time code is not valid' in html
    assert wrong not in html and PASSWORD not in html  # secrets are not sent back
    assert not LedgerEntry.objects.filter(kind=Kind.ADMINISTER).exists()
    assert AuditEvent.objects.filter(action="ledger.witness.rejected", actor=nurse).exists()


def test_a_witnessed_waste_that_closes_the_vial(ledger: Any, vial: Container, client: Any) -> None:
    sign_in(client, ledger["nurse"])
    services.administer(by=ledger["nurse"], container=vial, patient=ledger["pat"], quantity_ml="5")
    response = client.post(
        reverse("ledger:waste"),
        {
            "container": vial.pk,
            "close": "on",
            "manner": "drug-waste container",
            "reason": "end of day",
            "occurred_at": local_now(),
            **witness_fields(ledger["bob"]),
        },
    )
    assert response.status_code == 302
    vial.refresh_from_db()
    assert (vial.status, vial.balance_ml) == (Container.Status.EMPTY, D("0.00"))


def test_the_waste_form_asks_for_a_quantity_or_closing(ledger: Any, vial: Container, client: Any) -> None:
    sign_in(client, ledger["nurse"])
    response = client.post(
        reverse("ledger:waste"),
        {
            "container": vial.pk,
            "manner": "x",
            "reason": "y",
            "occurred_at": local_now(),
            **witness_fields(ledger["bob"]),
        },
    )
    assert b"Enter the quantity wasted, or tick" in response.content


def test_receiving_stock_through_the_page(ledger: Any, main_st: Any, client: Any) -> None:
    sign_in(client, ledger["nurse"])
    response = client.post(
        reverse("ledger:receive"),
        {
            "location": main_st.pk,
            "product": ledger["products"]["k100"].pk,
            "supplier": ledger["supplier"].pk,
            "container_count": "2",
            "lot_number": "Z9",
            "expires_on": "2030-01-31",
            "invoice_ref": "INV-9",
            "labels": "Z9-A\nZ9-B",
            "occurred_at": local_now(),
        },
    )
    assert response.status_code == 302
    assert sorted(Container.objects.values_list("label", flat=True)) == ["Z9-A", "Z9-B"]


def test_a_late_entry_asks_for_a_reason_in_the_form(ledger: Any, vial: Container, client: Any) -> None:
    sign_in(client, ledger["nurse"])
    late = (timezone.localtime() - dt.timedelta(days=2)).strftime(NOW)
    data = {"patient": ledger["pat"].pk, "container": vial.pk, "quantity_ml": "1", "occurred_at": late}
    response = client.post(reverse("ledger:administer"), data)
    assert b"more than 24 h after it happened" in response.content
    response = client.post(reverse("ledger:administer"), {**data, "backdate_reason": "charted on paper during outage"})
    assert response.status_code == 302
    assert LedgerEntry.objects.get(kind=Kind.ADMINISTER).backdated


@pytest.fixture
def lakeside_world(
    registrants: Any, products: Any, supplier: Any, lakeside: Any, lakeside_nurse: Any, lake: Any, bob: Any
) -> dict[str, Any]:
    (vial,) = receive(lakeside_nurse, lakeside, products["k10"], supplier)
    entry = services.administer(by=lakeside_nurse, container=vial, patient=lake, quantity_ml="1").entry
    inventory = services.start_inventory(
        by=lakeside_nurse, location=lakeside, kind="ad_hoc", taken_at=timezone.now(), business_timing="close"
    )
    services.record_counts(
        by=lakeside_nurse, inventory=inventory, counts={inventory.lines.get().pk: services.Count("18.00")}
    )
    services.finalise_inventory(by=lakeside_nurse, inventory=inventory)
    report = services.report_theft_loss(
        by=lakeside_nurse,
        kind="loss",
        discovered_at=timezone.now(),
        description="x",
        items=[services.LostItem(vial, D("1"))],
    )
    return {
        "ledger:container": {"container_id": vial.pk},
        "ledger:quarantine": {"container_id": vial.pk},
        "ledger:entry": {"entry_id": entry.pk},
        "ledger:reverse": {"entry_id": entry.pk},
        "ledger:inventory": {"inventory_id": inventory.pk},
        "ledger:discrepancy": {"discrepancy_id": Discrepancy.objects.get().pk},
        "ledger:theft_loss": {"report_id": report.pk},
        "ledger:registrant": {"location_id": lakeside.pk},
    }


@pytest.mark.parametrize(
    "name",
    [
        "ledger:container",
        "ledger:quarantine",
        "ledger:entry",
        "ledger:reverse",
        "ledger:inventory",
        "ledger:discrepancy",
        "ledger:theft_loss",
    ],
)
def test_rows_of_another_location_are_404_not_403(
    lakeside_world: dict[str, Any], nurse: Any, client: Any, name: str
) -> None:
    sign_in(client, nurse)
    assert client.get(reverse(name, kwargs=lakeside_world[name])).status_code == 404


def test_an_admin_of_one_location_cannot_set_up_another(
    lakeside_world: dict[str, Any], clinic: Any, main_st: Any, client: Any
) -> None:
    from tests.conftest import make_user

    admin = make_user("mo", "clinic_admin", clinic, [main_st])
    sign_in(client, admin)
    assert client.get(reverse("ledger:registrant", kwargs=lakeside_world["ledger:registrant"])).status_code == 404


def test_lists_show_only_my_locations(
    lakeside_world: dict[str, Any], ledger: Any, vial: Container, client: Any
) -> None:
    sign_in(client, ledger["nurse"])
    containers = client.get(reverse("ledger:containers")).content.decode()
    assert vial.label in containers and "Lakeside" not in containers
    entries = client.get(reverse("ledger:entries")).content.decode()
    assert "Shore" not in entries


def test_reading_patient_linked_entries_is_audited(ledger: Any, vial: Container, client: Any) -> None:
    nurse, pat = ledger["nurse"], ledger["pat"]
    entry = services.administer(by=nurse, container=vial, patient=pat, quantity_ml="1").entry
    sign_in(client, ledger["bob"])
    client.get(reverse("ledger:entry", args=[entry.pk]))
    client.get(reverse("ledger:container", args=[vial.pk]))
    client.get(reverse("ledger:entries"))
    events = {e.action: e for e in AuditEvent.objects.filter(actor=ledger["bob"], action__startswith="ledger.view")}
    assert events["ledger.view_entry"].patient_id == pat.pk
    assert events["ledger.view_container"].detail["patients"] == [pat.pk]
    assert events["ledger.view_entries"].detail["patients"] == [pat.pk]


def test_reversing_an_entry_from_its_page(ledger: Any, vial: Container, client: Any) -> None:
    entry = services.administer(by=ledger["nurse"], container=vial, patient=ledger["pat"], quantity_ml="2").entry
    sign_in(client, ledger["nurse"])
    assert b"Reverse this entry" in client.get(reverse("ledger:entry", args=[entry.pk])).content
    response = client.post(
        reverse("ledger:reverse", args=[entry.pk]), {"reason": "wrong patient", **witness_fields(ledger["bob"])}
    )
    assert response.status_code == 302
    page = client.get(reverse("ledger:entry", args=[entry.pk]))
    assert b"Reversed by" in page.content and b"Reverse this entry" not in page.content


def test_an_inventory_is_counted_and_finalised_on_its_page(
    ledger: Any, main_st: Any, vial: Container, client: Any
) -> None:
    sign_in(client, ledger["nurse"])
    response = client.post(
        reverse("ledger:inventory_new"),
        {"location": main_st.pk, "kind": "initial", "taken_at": local_now(), "business_timing": "opening"},
    )
    inventory_url = response["Location"]
    line = services.start_inventory  # noqa: F841  (the line id comes from the page)
    from ketaclinic.ledger.models import InventoryLine

    line_id = InventoryLine.objects.get().pk
    page = client.get(inventory_url)
    assert f'name="counted_{line_id}"'.encode() in page.content
    response = client.post(inventory_url, {f"counted_{line_id}": "19.95", "action": "finalise"})
    assert response.status_code == 302
    discrepancy = Discrepancy.objects.get()
    assert (discrepancy.difference_ml, discrepancy.significant) == (D("-0.05"), False)
    response = client.post(
        reverse("ledger:discrepancy", args=[discrepancy.pk]),
        {"action": "annotate", "annotate-annotation": "drop left in the vial neck"},
    )
    assert response.status_code == 302
    discrepancy.refresh_from_db()
    assert discrepancy.status == Discrepancy.Status.ANNOTATED


def test_a_significant_shortage_is_escalated_from_its_page(ledger: Any, main_st: Any, client: Any) -> None:
    receive(ledger["nurse"], main_st, ledger["products"]["k100"], ledger["supplier"])
    inventory = services.start_inventory(
        by=ledger["nurse"], location=main_st, kind="ad_hoc", taken_at=timezone.now(), business_timing="close"
    )
    services.record_counts(
        by=ledger["nurse"], inventory=inventory, counts={inventory.lines.get().pk: services.Count("4.00")}
    )
    services.finalise_inventory(by=ledger["nurse"], inventory=inventory)
    sign_in(client, ledger["nurse"])
    discrepancy = Discrepancy.objects.get()
    page = client.get(reverse("ledger:discrepancy", args=[discrepancy.pk]))
    assert b"Escalate" in page.content and b"Save annotation" not in page.content
    response = client.post(
        reverse("ledger:discrepancy", args=[discrepancy.pk]),
        {"action": "escalate", "escalate-kind": "loss", "escalate-description": "1 mL unaccounted for"},
    )
    report = TheftLossReport.objects.get()
    assert response["Location"] == reverse("ledger:theft_loss", args=[report.pk])
    response = client.post(
        reverse("ledger:theft_loss", args=[report.pk]), {"action": "notice", "notice-sent_at": local_now()}
    )
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.notice_sent_at is not None


def test_a_clinic_admin_reads_but_does_not_record_theft_loss(
    ledger: Any, main_st: Any, vial: Container, dave: Any, client: Any
) -> None:
    report = services.report_theft_loss(
        by=ledger["nurse"],
        kind="loss",
        discovered_at=timezone.now(),
        description="x",
        items=[services.LostItem(vial, D("1"))],
    )
    sign_in(client, dave)
    page = client.get(reverse("ledger:theft_loss", args=[report.pk]))
    assert page.status_code == 200 and b"Record notice sent" not in page.content
    client.post(reverse("ledger:theft_loss", args=[report.pk]), {"action": "notice", "notice-sent_at": local_now()})
    report.refresh_from_db()
    assert report.notice_sent_at is None


def test_the_admin_changes_the_policy_and_sees_the_clinic_policy_defaults_marked(
    main_st: Any, dave: Any, client: Any
) -> None:
    sign_in(client, dave)
    setup = client.get(reverse("ledger:setup")).content.decode()
    assert "Clinic policy default 10.00 mg — not a legal threshold" in setup
    assert "Federal minimum 2 years (21 CFR 1304.04)" in setup
    form = client.get(reverse("ledger:policy")).content.decode()
    assert "clinic policy default" in form
    data = {
        "backdate_limit_hours": "24",
        "inventory_interval_months": "12",
        "retention_years": "3",
        "inventory_alert_days": "30",
        "significant_discrepancy_mg": "5",
        "significant_discrepancy_percent": "5.0",
        "discrepancy_pattern_count": "3",
        "discrepancy_pattern_days": "90",
        "extra_holidays": "2026-12-24",
    }
    assert client.post(reverse("ledger:policy"), data).status_code == 302
    policy = LedgerPolicy.objects.get(clinic=main_st.clinic)
    assert (policy.inventory_interval_months, policy.significant_discrepancy_mg, policy.holidays()) == (
        12,
        D("5.00"),
        frozenset({dt.date(2026, 12, 24)}),
    )
    response = client.post(reverse("ledger:policy"), {**data, "retention_years": "1"})
    assert response.status_code == 200 and b"greater than or equal to 2" in response.content


def test_the_admin_sets_up_registration_product_and_supplier(main_st: Any, dave: Any, client: Any) -> None:
    sign_in(client, dave)
    response = client.post(
        reverse("ledger:registrant", args=[main_st.pk]),
        {
            "registrant_name": "Main clinic",
            "dea_number": "ft1234563",
            "schedules": "3, 3N",
            "address": "1 Main St",
            "expires_on": "2028-01-31",
        },
    )
    assert response.status_code == 302 and main_st.dea_registrant.dea_number == "FT1234563"
    response = client.post(
        reverse("ledger:product_new"),
        {
            "name": "Ketamine 50 mg/mL, 10 mL vial",
            "substance": "ketamine_hcl",
            "ndc": "99999-050-10",
            "form": "injection",
            "concentration_mg_per_ml": "50",
            "container_volume_ml": "10",
            "container_kind": "vial",
            "containers_per_package": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    response = client.post(
        reverse("ledger:supplier_new"),
        {"name": "RD", "address": "x", "dea_number": "RR7654329", "is_reverse_distributor": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("ledger:supplier_new"), {"name": "Bad", "address": "x", "dea_number": "RR7654320", "is_active": "on"}
    )
    assert b"check digit" in response.content


def test_the_overview_shows_stock_and_alerts(ledger: Any, main_st: Any, vial: Container, client: Any) -> None:
    sign_in(client, ledger["nurse"])
    page = client.get(reverse("ledger:home")).content.decode()
    assert "No initial inventory yet" in page
    assert "Ketamine HCl injection 10 mg/mL, 20 mL vial" in page and "200.00" in page  # 20 mL = 200 mg
    assert "FT1234563" in page
