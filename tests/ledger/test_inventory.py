"""Inventories and the discrepancy workflow: counts go into the chain; minor differences are annotated, significant
shortages escalated to a theft/loss report; the significance rule is the clinic's policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.ledger import services
from ketaclinic.ledger.models import Container, Discrepancy, Inventory, Kind, LedgerEntry
from tests.ledger.conftest import receive, sign

D = Decimal
pytestmark = pytest.mark.django_db


def count(by: Any, location: Any, counted: dict[Any, str], *, kind: str = "ad_hoc", estimated: Any = None) -> Inventory:
    inventory = services.start_inventory(
        by=by, location=location, kind=kind, taken_at=timezone.now(), business_timing="close"
    )
    lines = {line.container_id: line.pk for line in inventory.lines.all()}
    services.record_counts(
        by=by,
        inventory=inventory,
        counts={
            lines[c.pk]: services.Count(
                value, estimated=bool(estimated and c in estimated), estimation_reason="meniscus"
            )
            for c, value in counted.items()
        },
    )
    return services.finalise_inventory(by=by, inventory=inventory)


def test_an_initial_inventory_with_nothing_on_hand_is_a_zero_inventory(ledger: Any, main_st: Any) -> None:
    inventory = count(ledger["nurse"], main_st, {}, kind="initial")
    assert inventory.status == Inventory.Status.FINALISED and inventory.lines.count() == 0
    with pytest.raises(ValidationError, match="already has its initial inventory"):
        services.start_inventory(
            by=ledger["nurse"], location=main_st, kind="initial", taken_at=timezone.now(), business_timing="opening"
        )


def test_one_count_at_a_time_per_location(ledger: Any, main_st: Any) -> None:
    services.start_inventory(
        by=ledger["nurse"], location=main_st, kind="ad_hoc", taken_at=timezone.now(), business_timing="opening"
    )
    with pytest.raises(ServiceError, match="already in progress"):
        services.start_inventory(
            by=ledger["nurse"], location=main_st, kind="ad_hoc", taken_at=timezone.now(), business_timing="opening"
        )


def test_every_container_must_be_counted_and_counts_go_into_the_chain(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    a, b = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], count=2)
    inventory = services.start_inventory(
        by=nurse, location=main_st, kind="biennial", taken_at=timezone.now(), business_timing="opening"
    )
    with pytest.raises(ValidationError, match="Enter a count for every container"):
        services.finalise_inventory(by=nurse, inventory=inventory)
    lines = {line.container_id: line.pk for line in inventory.lines.all()}
    with pytest.raises(ValidationError, match="An estimate needs a reason"):
        services.record_counts(
            by=nurse, inventory=inventory, counts={lines[a.pk]: services.Count("20", estimated=True)}
        )
    services.record_counts(
        by=nurse, inventory=inventory, counts={lines[a.pk]: services.Count("20.00"), lines[b.pk]: services.Count("20")}
    )
    services.finalise_inventory(by=nurse, inventory=inventory)
    counts = LedgerEntry.objects.filter(kind=Kind.INVENTORY_COUNT, inventory=inventory)
    assert sorted((e.container_id, e.quantity_ml, e.counted_ml) for e in counts) == [
        (a.pk, D("0.00"), D("20.00")),
        (b.pk, D("0.00"), D("20.00")),
    ]
    assert not Discrepancy.objects.exists()
    with pytest.raises(ServiceError, match="finalised"):
        services.record_counts(by=nurse, inventory=inventory, counts={})
    assert services.verify().intact


def test_the_books_are_taken_as_of_the_count(ledger: Any, main_st: Any) -> None:
    """An administration recorded after the count was taken does not count against it."""
    nurse = ledger["nurse"]
    earlier = timezone.now() - dt.timedelta(minutes=20)
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], occurred_at=earlier)
    inventory = services.start_inventory(
        by=nurse,
        location=main_st,
        kind="ad_hoc",
        taken_at=timezone.now() - dt.timedelta(minutes=10),
        business_timing="close",
    )
    services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="2")
    line = inventory.lines.get()
    services.record_counts(by=nurse, inventory=inventory, counts={line.pk: services.Count("20")})
    services.finalise_inventory(by=nurse, inventory=inventory)
    line.refresh_from_db()
    assert (line.book_ml, line.counted_ml) == (D("20.00"), D("20.00"))
    assert not Discrepancy.objects.exists()


def test_a_minor_shortage_is_annotated_and_the_books_adjusted_with_a_witness(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="0.5")
    count(nurse, main_st, {vial: "19.30"})
    # 19.50 on the books, 19.30 counted: −0.20 mL = −2 mg (< 10 mg) and 1.0 % (< 5 %): minor.
    discrepancy = Discrepancy.objects.get()
    assert (discrepancy.difference_ml, discrepancy.difference_mg, discrepancy.significant, discrepancy.kind) == (
        D("-0.20"),
        D("-2.00"),
        False,
        "shortage",
    )
    with pytest.raises(ValidationError, match="Explain"):
        services.annotate_discrepancy(by=nurse, discrepancy=discrepancy, annotation=" ")
    services.annotate_discrepancy(
        by=nurse,
        discrepancy=discrepancy,
        annotation="residue in the vial neck",
        adjust_books=True,
        witness=sign(bob, nurse, main_st),
    )
    discrepancy.refresh_from_db()
    assert discrepancy.status == Discrepancy.Status.ANNOTATED
    assert discrepancy.adjustment_entry is not None and discrepancy.adjustment_entry.quantity_ml == D("-0.20")
    assert Container.objects.get(pk=vial.pk).balance_ml == D("19.30")
    with pytest.raises(ServiceError, match="already resolved"):
        services.annotate_discrepancy(by=nurse, discrepancy=discrepancy, annotation="again")


def test_a_significant_shortage_must_be_escalated(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k100"], ledger["supplier"])
    count(nurse, main_st, {vial: "4.80"})
    # −0.20 mL of 100 mg/mL = −20 mg (≥ 10 mg) and 4 % of 5 mL: significant by mg.
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.significant and "20.00 mg reaches the 10.00 mg threshold" in discrepancy.reasons
    with pytest.raises(ServiceError, match="escalated"):
        services.annotate_discrepancy(by=nurse, discrepancy=discrepancy, annotation="probably spilled")
    report = services.escalate_discrepancy(
        by=nurse, discrepancy=discrepancy, kind="loss", description="0.2 mL missing at the count"
    )
    discrepancy.refresh_from_db()
    assert (discrepancy.status, discrepancy.theft_loss_report) == (Discrepancy.Status.ESCALATED, report)
    (entry,) = report.entries.all()
    assert (entry.kind, entry.quantity_ml) == (Kind.LOSS, D("-0.20"))
    assert Container.objects.get(pk=vial.pk).balance_ml == D("4.80")
    assert services.verify().intact


def test_an_overage_is_corrected_with_a_witnessed_adjustment_not_escalated(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k100"], ledger["supplier"])
    count(nurse, main_st, {vial: "5.20"})
    discrepancy = Discrepancy.objects.get()
    assert discrepancy.significant and discrepancy.kind == "overage"
    with pytest.raises(ServiceError, match="Only a shortage"):
        services.escalate_discrepancy(by=nurse, discrepancy=discrepancy, kind="loss", description="x")
    with pytest.raises(ServiceError, match="witnessed adjustment"):
        services.annotate_discrepancy(by=nurse, discrepancy=discrepancy, annotation="overfill")
    services.annotate_discrepancy(
        by=nurse,
        discrepancy=discrepancy,
        annotation="manufacturer overfill",
        adjust_books=True,
        witness=sign(bob, nurse, main_st),
    )
    assert Container.objects.get(pk=vial.pk).balance_ml == D("5.20")


def test_a_pattern_of_small_discrepancies_becomes_significant(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    balance = D("20.00")
    for round_number in range(3):
        balance -= D("0.10")
        count(nurse, main_st, {vial: str(balance)})
        discrepancy = Discrepancy.objects.order_by("-pk").first()
        assert discrepancy is not None
        assert discrepancy.significant is (round_number == 2), round_number  # the third in 90 days
        if not discrepancy.significant:
            services.annotate_discrepancy(
                by=nurse,
                discrepancy=discrepancy,
                annotation="small",
                adjust_books=True,
                witness=sign(bob, nurse, main_st),
            )
    assert "3 discrepancies within the pattern window" in discrepancy.reasons


def test_the_significance_thresholds_are_clinic_policy(ledger: Any, main_st: Any, dave: Any) -> None:
    services.save_policy(by=dave, clinic=main_st.clinic, values={"significant_discrepancy_mg": D("1.00")})
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    count(ledger["nurse"], main_st, {vial: "19.80"})  # −2 mg: significant under a 1 mg policy
    assert Discrepancy.objects.get().significant


def test_an_estimate_is_flagged_in_the_count_entry(ledger: Any, main_st: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    count(ledger["nurse"], main_st, {vial: "20"}, estimated={vial})
    entry = LedgerEntry.objects.get(kind=Kind.INVENTORY_COUNT)
    assert "estimated: meniscus" in entry.reason
