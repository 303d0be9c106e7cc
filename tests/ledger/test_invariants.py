"""The ten invariants of knowledge/controlled-substances.md, each as tests (10, concurrency, is in
test_concurrency.py and runs on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain.controlled import books
from ketaclinic.ledger import services
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from tests.ledger.conftest import receive, sign

D = Decimal
pytestmark = pytest.mark.django_db


def fresh(container: Container) -> Container:
    return Container.objects.get(pk=container.pk)


# --- 1. a balance is never negative ----------------------------------------------------------------------------------


def test_1_an_administration_beyond_the_balance_is_rejected_whole(ledger: Any, main_st: Any) -> None:
    nurse, pat = ledger["nurse"], ledger["pat"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k100"], ledger["supplier"])  # 5 mL
    services.administer(by=nurse, container=vial, patient=pat, quantity_ml="4.50")
    entries, events = LedgerEntry.objects.count(), AuditEvent.objects.count()
    with pytest.raises(ValidationError, match=r"has 0\.50 mL available"):
        services.administer(by=nurse, container=vial, patient=pat, quantity_ml="0.51")
    assert fresh(vial).balance_ml == D("0.50")
    assert (LedgerEntry.objects.count(), AuditEvent.objects.count()) == (entries, events)


def test_1_the_database_refuses_a_negative_container_balance(ledger: Any, main_st: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Container.objects.filter(pk=vial.pk).update(balance_ml=D("-0.01"))
    assert fresh(vial).balance_ml == D("20.00")


def test_1_the_chain_refuses_an_entry_that_would_go_negative(ledger: Any, main_st: Any) -> None:
    """The last line of defence inside the service layer: ``append`` itself checks, whatever its caller did."""
    from ketaclinic.ledger.services import chain, common

    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k100"], ledger["supplier"])
    timing = common.Timing(occurred_at=None, reason="", policy=services.policy_for(main_st.clinic))
    with pytest.raises(services.InsufficientStock), transaction.atomic():
        chain.append(
            container=fresh(vial), kind=Kind.LOSS, quantity_ml=D("-5.01"), actor=ledger["nurse"], timing=timing
        )


# --- 2. received = administered + wasted + destroyed + transferred + lost + on hand ----------------------------------


def test_2_books_balance_per_container_and_per_product_by_hand(
    ledger: Any, main_st: Any, frank: Any, reverse_distributor: Any
) -> None:
    nurse, bob, pat = ledger["nurse"], ledger["bob"], ledger["pat"]
    k10 = ledger["products"]["k10"]
    a, b, c, d = receive(nurse, main_st, k10, ledger["supplier"], count=4)  # 80 mL
    services.administer(
        by=nurse, container=a, patient=pat, quantity_ml="4", drawn_ml="4.5", witness=sign(bob, nurse, main_st)
    )
    services.administer(by=nurse, container=a, patient=pat, quantity_ml="6")
    wrong = services.administer(by=nurse, container=a, patient=pat, quantity_ml="2").entry
    services.reverse(by=nurse, entry=wrong, reason="recorded against the wrong vial", witness=sign(bob, nurse, main_st))
    services.waste(
        by=nurse,
        container=a,
        quantity_ml="0",
        manner="drug waste",
        reason="end of day",
        close=True,
        witness=sign(bob, nurse, main_st),
    )
    services.transfer_out(by=nurse, containers=[b], reverse_distributor=reverse_distributor, reference="RD-77")
    services.quarantine(by=nurse, container=c, reason="cracked cap")
    services.destroy(
        by=nurse,
        containers=[c],
        method="neutraliser",
        place="",
        witness=sign(bob, nurse, main_st),
        second_witness=sign(frank, nurse, main_st),
    )
    services.report_theft_loss(
        by=nurse,
        kind="loss",
        discovered_at=timezone.now(),
        description="spilled",
        items=[services.LostItem(d, D("1.25"))],
    )
    services.adjust(
        by=nurse, container=d, quantity_ml="0.05", reason="count found overfill", witness=sign(bob, nurse, main_st)
    )
    # By hand: a: 20 − 4 − 0.5 − 6 − 2 + 2 − 9.5 (closing waste) = 0; b transferred 20; c destroyed 20;
    # d: 20 − 1.25 + 0.05 = 18.80 on hand.
    assert [fresh(x).balance_ml for x in (a, b, c, d)] == [D("0.00"), D("0.00"), D("0.00"), D("18.80")]
    movements = [
        books.Movement(e.kind, e.quantity_ml, e.reverses.kind if e.reverses else None)
        for e in LedgerEntry.objects.filter(product=k10).select_related("reverses")
    ]
    totals = books.book_totals(movements, on_hand_ml=D("18.80"))
    assert (totals.received_ml, totals.administered_ml, totals.wasted_ml) == (D("80.00"), D("10.00"), D("10.00"))
    assert (totals.transferred_ml, totals.destroyed_ml, totals.lost_ml, totals.adjusted_ml) == (
        D("20.00"),
        D("20.00"),
        D("1.25"),
        D("0.05"),
    )
    assert totals.balanced  # 80 + 0.05 = 10 + 10 + 20 + 20 + 1.25 + 18.80
    assert services.verify().intact


def test_2_a_container_balance_that_drifts_from_its_entries_is_found(ledger: Any, main_st: Any) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    Container.objects.filter(pk=vial.pk).update(balance_ml=D("19.00"))  # a cached balance changed outside the ledger
    result = services.verify()
    assert result.chain_break is None
    assert any("holds 19.00 mL but its entries sum to 20.00 mL" in problem for problem in result.problems)
    assert any("received 20.00" in problem for problem in result.problems)  # the product's books no longer balance


# --- 3. closing an opened vial; administered + wasted ≤ drawn --------------------------------------------------------


def test_3_drawn_but_not_given_is_wasted_with_the_administration(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    result = services.administer(
        by=nurse,
        container=vial,
        patient=ledger["pat"],
        quantity_ml="3.5",
        drawn_ml="4",
        witness=sign(bob, nurse, main_st),
    )
    assert result.waste is not None
    assert (result.entry.quantity_ml, result.entry.drawn_ml, result.waste.quantity_ml) == (
        D("-3.50"),
        D("4.00"),
        D("-0.50"),
    )
    assert result.waste.related_entry == result.entry and result.waste.witness == bob
    assert fresh(vial).balance_ml == D("16.00")


def test_3_more_drawn_than_given_needs_a_witness(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(services.WitnessRejected, match="needs a witness"):
        services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="3.5", drawn_ml="4")
    with pytest.raises(ValidationError, match="more than you drew"):
        services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="4", drawn_ml="3.5")
    assert LedgerEntry.objects.filter(kind=Kind.ADMINISTER).count() == 0


def test_3_a_waste_linked_to_an_administration_cannot_exceed_what_was_drawn(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    given = services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="4").entry
    with pytest.raises(ValidationError, match=r"0\.00 mL drawn and not yet accounted"):
        services.waste(
            by=nurse,
            container=vial,
            quantity_ml="0.5",
            manner="sink",
            reason="x",
            related_entry=given,
            witness=sign(bob, nurse, main_st),
        )


def test_3_an_opened_vial_closes_only_by_wasting_or_destroying_its_remainder(
    ledger: Any, main_st: Any, frank: Any
) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    first, second = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"], count=2)
    services.administer(by=nurse, container=first, patient=ledger["pat"], quantity_ml="5")
    services.administer(by=nurse, container=second, patient=ledger["pat"], quantity_ml="5")
    assert fresh(first).status == fresh(second).status == Container.Status.OPEN
    # Closing by waste: the whole remainder leaves, witnessed; the container is empty.
    services.waste(
        by=nurse,
        container=first,
        quantity_ml="0",
        manner="bin",
        reason="vial closed",
        close=True,
        witness=sign(bob, nurse, main_st),
    )
    assert (fresh(first).status, fresh(first).balance_ml) == (Container.Status.EMPTY, D("0.00"))
    # Closing by destruction: set aside, then destroyed before two witnesses.
    services.quarantine(by=nurse, container=second, reason="to destroy")
    services.destroy(
        by=nurse,
        containers=[second],
        method="neutraliser",
        place="",
        witness=sign(bob, nurse, main_st),
        second_witness=sign(frank, nurse, main_st),
    )
    assert (fresh(second).status, fresh(second).balance_ml) == (Container.Status.DISPOSED, D("0.00"))
    # And the database refuses an empty container that still holds something.
    with pytest.raises(IntegrityError), transaction.atomic():
        Container.objects.filter(pk=fresh(first).pk).update(balance_ml=D("1.00"))


# --- 4. append-only; corrections are reversals ----------------------------------------------------------------------


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_4_entries_cannot_be_updated_or_deleted(ledger: Any, main_st: Any, operation: str) -> None:
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    entry = LedgerEntry.objects.get(container=vial)
    with pytest.raises((DatabaseError, IntegrityError), match="append-only"), transaction.atomic():
        if operation == "update":
            LedgerEntry.objects.filter(pk=entry.pk).update(quantity_ml=D("2.00"))
        else:
            LedgerEntry.objects.filter(pk=entry.pk).delete()
    assert LedgerEntry.objects.get(pk=entry.pk).quantity_ml == D("20.00")


def test_4_a_correction_is_a_reversal_pointing_at_the_wrong_entry(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    wrong = services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="20").entry
    assert fresh(vial).status == Container.Status.EMPTY
    reversal = services.reverse(by=nurse, entry=wrong, reason="wrong patient", witness=sign(bob, nurse, main_st))
    assert (reversal.kind, reversal.quantity_ml, reversal.reverses, reversal.patient_id) == (
        Kind.REVERSAL,
        D("20.00"),
        wrong,
        wrong.patient_id,
    )
    assert (fresh(vial).balance_ml, fresh(vial).status) == (D("20.00"), Container.Status.OPEN)
    assert LedgerEntry.objects.filter(pk=wrong.pk).exists()  # the wrong entry stays
    with pytest.raises(ServiceError, match="already reversed"):
        services.reverse(by=nurse, entry=wrong, reason="again", witness=sign(bob, nurse, main_st))
    with pytest.raises(ServiceError, match="cannot be reversed"):
        services.reverse(by=nurse, entry=reversal, reason="undo the undo", witness=sign(bob, nurse, main_st))


def test_4_the_database_allows_one_reversal_per_entry(ledger: Any, main_st: Any) -> None:
    nurse, bob = ledger["nurse"], ledger["bob"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    wrong = services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="2").entry
    services.reverse(by=nurse, entry=wrong, reason="wrong", witness=sign(bob, nurse, main_st))
    from ketaclinic.ledger.services import chain, common

    timing = common.Timing(occurred_at=None, reason="", policy=services.policy_for(main_st.clinic))
    with pytest.raises(IntegrityError), transaction.atomic():
        chain.append(
            container=fresh(vial),
            kind=Kind.REVERSAL,
            quantity_ml=D("2.00"),
            actor=nurse,
            timing=timing,
            witness=bob,
            reverses=wrong,
        )


# --- 5. witnesses (more in test_witnesses.py) ------------------------------------------------------------------------


def test_5_the_database_refuses_a_witness_who_is_the_actor(ledger: Any, main_st: Any) -> None:
    from ketaclinic.ledger.services import chain, common

    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    timing = common.Timing(occurred_at=None, reason="", policy=services.policy_for(main_st.clinic))
    with pytest.raises(IntegrityError), transaction.atomic():
        chain.append(
            container=fresh(vial), kind=Kind.WASTE, quantity_ml=D("-1"), actor=nurse, timing=timing, witness=nurse
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        chain.append(container=fresh(vial), kind=Kind.WASTE, quantity_ml=D("-1"), actor=nurse, timing=timing)


# --- 6. occurred_at ≤ recorded_at; back-dating needs a reason and is flagged -----------------------------------------


def test_6_an_entry_cannot_be_dated_in_the_future(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    with pytest.raises(ValidationError, match="future"):
        services.administer(
            by=nurse,
            container=vial,
            patient=ledger["pat"],
            quantity_ml="1",
            occurred_at=timezone.now() + dt.timedelta(minutes=5),
        )


def test_6_backdating_beyond_24_hours_needs_a_reason_and_is_flagged(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(
        nurse,
        main_st,
        ledger["products"]["k10"],
        ledger["supplier"],
        occurred_at=timezone.now() - dt.timedelta(days=3),
        backdate_reason="delivery logged late",
    )
    within = services.administer(
        by=nurse,
        container=vial,
        patient=ledger["pat"],
        quantity_ml="1",
        occurred_at=timezone.now() - dt.timedelta(hours=23),
    ).entry
    assert not within.backdated and within.backdate_reason == ""
    late = timezone.now() - dt.timedelta(hours=25)
    with pytest.raises(ValidationError, match="more than 24 h"):
        services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="1", occurred_at=late)
    flagged = services.administer(
        by=nurse,
        container=vial,
        patient=ledger["pat"],
        quantity_ml="1",
        occurred_at=late,
        backdate_reason="paper record during outage",
    ).entry
    assert flagged.backdated and flagged.backdate_reason == "paper record during outage"
    assert flagged.occurred_at < flagged.recorded_at


def test_6_the_limit_is_a_clinic_setting(ledger: Any, main_st: Any, dave: Any) -> None:
    services.save_policy(by=dave, clinic=main_st.clinic, values={"backdate_limit_hours": 48})
    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    entry = services.administer(
        by=ledger["nurse"],
        container=vial,
        patient=ledger["pat"],
        quantity_ml="1",
        occurred_at=timezone.now() - dt.timedelta(hours=30),
    ).entry
    assert not entry.backdated
    assert AuditEvent.objects.filter(action="ledger.policy.change", actor=dave).exists()


def test_6_the_database_refuses_an_entry_recorded_before_it_happened(ledger: Any, main_st: Any) -> None:
    from ketaclinic.ledger.services import chain, common

    (vial,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    timing = common.Timing(occurred_at=None, reason="", policy=services.policy_for(main_st.clinic))
    timing.occurred_at = timing.recorded_at + dt.timedelta(seconds=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        chain.append(container=fresh(vial), kind=Kind.LOSS, quantity_ml=D("-1"), actor=ledger["nurse"], timing=timing)


# --- 7. biennial inventory due date -----------------------------------------------------------------------------------


def test_7_the_next_inventory_is_due_two_years_after_the_last(ledger: Any, main_st: Any, dave: Any) -> None:
    nurse = ledger["nurse"]
    assert services.inventory_due(main_st).state == "no inventory"
    taken = timezone.now() - dt.timedelta(hours=1)
    inventory = services.start_inventory(
        by=nurse, location=main_st, kind="initial", taken_at=taken, business_timing="opening"
    )
    services.finalise_inventory(by=nurse, inventory=inventory)  # nothing on hand: a zero inventory
    taken_on = timezone.localtime(taken, timezone=__import__("zoneinfo").ZoneInfo("America/Chicago")).date()
    due = services.inventory_due(main_st, today=taken_on)
    assert (due.last_on, due.due_on, due.state) == (taken_on, taken_on.replace(year=taken_on.year + 2), "ok")
    assert services.inventory_due(main_st, today=due.due_on - dt.timedelta(days=30)).state == "due soon"
    assert services.inventory_due(main_st, today=due.due_on + dt.timedelta(days=1)).state == "overdue"
    services.save_policy(by=dave, clinic=main_st.clinic, values={"inventory_interval_months": 12})  # e.g. Iowa: annual
    assert services.inventory_due(main_st, today=taken_on).due_on == taken_on.replace(year=taken_on.year + 1)


def test_7_the_interval_cannot_exceed_two_years(main_st: Any, dave: Any) -> None:
    with pytest.raises(ValidationError, match="24"):
        services.save_policy(by=dave, clinic=main_st.clinic, values={"inventory_interval_months": 25})


# --- 8. retention ----------------------------------------------------------------------------------------------------


def test_8_entries_inside_the_retention_period_cannot_be_purged(ledger: Any, main_st: Any, dave: Any) -> None:
    receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    today = timezone.localdate()
    with pytest.raises(services.RetentionError, match="inside the retention period"):
        services.check_purge(clinic=main_st.clinic, before=today)
    two_years_ago = today.replace(year=today.year - 2)
    assert services.check_purge(clinic=main_st.clinic, before=two_years_ago) == 0  # nothing that old
    services.save_policy(by=dave, clinic=main_st.clinic, values={"retention_years": 5})
    with pytest.raises(services.RetentionError):
        services.check_purge(clinic=main_st.clinic, before=two_years_ago)


def test_8_retention_cannot_be_set_below_two_years(main_st: Any, dave: Any) -> None:
    with pytest.raises(ValidationError, match="2"):
        services.save_policy(by=dave, clinic=main_st.clinic, values={"retention_years": 1})


# --- 9. the hash chain ------------------------------------------------------------------------------------------------


def _tamper(sql: str, params: list[Any]) -> None:
    from ketaclinic.audit import guards

    guards.remove(connection, "ledger_ledgerentry")  # what someone with the database owner's rights could do
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
    finally:
        guards.install(connection, "ledger_ledgerentry")


def test_9_the_chain_verifies_end_to_end(ledger: Any, main_st: Any) -> None:
    receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"], count=3)
    result = services.verify()
    assert result.intact and result.entries == 3 and result.containers == 3


def test_9_an_altered_entry_is_named(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    given = services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="2").entry
    services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="1")
    _tamper(
        "UPDATE ledger_ledgerentry SET quantity_ml = %s, balance_after_ml = %s WHERE id = %s",
        ["-1.00", "19.00", given.pk],
    )
    result = services.verify()
    assert result.chain_break is not None and result.chain_break.seq == given.seq
    assert "altered" in str(result.chain_break)


def test_9_a_deleted_entry_is_named(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    given = services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="2").entry
    services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="1")
    _tamper("DELETE FROM ledger_ledgerentry WHERE id = %s", [given.pk])
    result = services.verify()
    assert result.chain_break is not None and result.chain_break.seq == given.seq
    assert "missing" in result.chain_break.reason


def test_9_a_removed_last_entry_is_found_from_the_chain_head(ledger: Any, main_st: Any) -> None:
    nurse = ledger["nurse"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    last = services.administer(by=nurse, container=vial, patient=ledger["pat"], quantity_ml="2").entry
    _tamper("DELETE FROM ledger_ledgerentry WHERE id = %s", [last.pk])
    result = services.verify()
    assert result.chain_break is not None and "head says" in result.chain_break.reason


def test_a_reference_longer_than_its_column_is_refused_not_cut(ledger: Any, main_st: Any) -> None:
    """Issue 15: text is never cut silently; the service refuses with the limit and writes nothing."""
    nurse, pat = ledger["nurse"], ledger["pat"]
    (vial,) = receive(nurse, main_st, ledger["products"]["k10"], ledger["supplier"])
    entries = LedgerEntry.objects.count()
    with pytest.raises(ValidationError, match=r"At most 100 characters \(101 given\)"):
        services.administer(by=nurse, container=vial, patient=pat, quantity_ml="1.00", session_reference="x" * 101)
    assert LedgerEntry.objects.count() == entries
    entry = services.administer(by=nurse, container=vial, patient=pat, quantity_ml="1.00", session_reference="x" * 100)
    assert entry.entry.session_reference == "x" * 100
