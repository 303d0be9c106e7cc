"""Rate changes and pauses (the dose delivered from the rate history), the end of the infusion posted to the ledger
with the witnessed waste of any remainder, side effects and rescue medications recorded as entered."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.infusions import services
from ketaclinic.infusions.models import RescueMedication, SideEffect
from ketaclinic.infusions.services import events
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from ketaclinic.ledger.services import WitnessRejected
from tests.infusions.conftest import check_in, complete_check_in, fresh, start_iv
from tests.ledger.conftest import licence, sign

D = Decimal


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def infusing(alice: Any, iv_order: Any, stock: Any, clock: Any) -> Any:
    return start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)


@pytest.mark.django_db
def test_rate_changes_and_pauses_give_the_dose_delivered(alice: Any, infusing: Any, clock: Any) -> None:
    clock.shift(dt.timedelta(minutes=10))  # 10 mg at 60 mg/h
    row = services.change_rate(
        by=alice, session=infusing, version=None, kind="change", reason="dizzy", rate_mg_per_h=D("30")
    )
    assert (row.rate_mg_per_h, row.pump_rate_ml_per_h) == (D("30.0"), D("75.0"))  # 30 mg/h of 40 mg in 100 mL
    clock.shift(dt.timedelta(minutes=20))  # 10 mg at 30 mg/h
    services.change_rate(by=alice, session=infusing, version=None, kind="pause", reason="nausea")
    clock.shift(dt.timedelta(minutes=10))
    assert events.delivered_mg(fresh(infusing)) == D("20.00")
    assert events.expected_end(fresh(infusing)) is None
    resumed = services.change_rate(by=alice, session=infusing, version=None, kind="resume", reason="better")
    assert resumed.rate_mg_per_h == D("30.0")  # the last running rate
    assert events.expected_end(fresh(infusing)) == timezone.now() + dt.timedelta(minutes=40)
    clock.shift(dt.timedelta(minutes=60))
    assert events.delivered_mg(fresh(infusing)) == D("40.00")  # the pump stops at the ordered dose


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "rate", "field", "message"),
    [
        ("change", D("90"), "rate_mg_per_h", "Above the ordered 60.0 mg/h: the prescriber writes a new order."),
        ("change", None, "rate_mg_per_h", "Enter the new rate in mg/h (pause to stop the pump)."),
        ("resume", None, "kind", "The infusion is running, not paused."),
        ("stop", None, "kind", "Choose change, pause or resume."),
    ],
)
def test_a_rate_change_the_order_does_not_allow_is_refused(
    kind: str, rate: Any, field: str, message: str, alice: Any, infusing: Any
) -> None:
    with pytest.raises(ValidationError) as info:
        services.change_rate(by=alice, session=infusing, version=None, kind=kind, reason="why", rate_mg_per_h=rate)
    assert info.value.message_dict[field] == [message]
    assert fresh(infusing).rate_changes.count() == 1


@pytest.mark.django_db
def test_every_rate_change_needs_a_reason_and_a_pause_is_not_repeated(alice: Any, infusing: Any) -> None:
    with pytest.raises(ValidationError, match="Say why"):
        services.change_rate(by=alice, session=infusing, version=None, kind="pause", reason=" ")
    services.change_rate(by=alice, session=infusing, version=None, kind="pause", reason="BP")
    with pytest.raises(ValidationError, match="already paused"):
        services.change_rate(by=alice, session=infusing, version=None, kind="pause", reason="BP")


@pytest.mark.django_db
def test_a_complete_infusion_posts_the_full_dose_to_the_ledger(
    alice: Any, infusing: Any, stock: Any, clock: Any
) -> None:
    clock.shift(dt.timedelta(minutes=41))
    session = services.end_infusion(by=alice, session=infusing, version=None)
    administration = session.administrations.get()
    assert (administration.given_ml, administration.waste_entry) == (D("4.00"), None)
    entry = LedgerEntry.objects.get(pk=administration.ledger_entry_id)
    assert (entry.kind, entry.quantity_ml, entry.occurred_at) == (Kind.ADMINISTER, D("-4.00"), session.started_at)
    assert session.status == "observation" and session.dose_delivered_mg == D("40.00")
    with pytest.raises(ServiceError, match="observation"):
        services.change_rate(by=alice, session=session, version=None, kind="pause", reason="x")


@pytest.mark.django_db
def test_an_infusion_stopped_early_wastes_the_remainder_with_a_witness(
    alice: Any, bob: Any, infusing: Any, stock: Any, clock: Any
) -> None:
    clock.shift(dt.timedelta(minutes=30))  # 30 mg = 3.00 mL of 4.00 mL ran in
    assert events.suggested_given_ml(fresh(infusing)) == D("3.00")
    with pytest.raises(WitnessRejected, match="needs a witness"):
        services.end_infusion(by=alice, session=fresh(infusing), version=None, early_end_reason="hypertension")
    assert fresh(infusing).status == "infusing" and not LedgerEntry.objects.filter(kind=Kind.ADMINISTER).exists()
    witness = sign(licence(bob, "registered_nurse"), alice, fresh(infusing).location)
    session = services.end_infusion(
        by=alice,
        session=fresh(infusing),
        version=None,
        witness=witness,
        waste_manner="bag emptied into the waste container",
        early_end_reason="hypertension",
    )
    administration = session.administrations.get()
    waste = LedgerEntry.objects.get(pk=administration.waste_entry_id)
    assert (waste.kind, waste.quantity_ml, waste.witness) == (Kind.WASTE, D("-1.00"), bob)
    assert session.dose_delivered_mg == D("30.00")
    assert Container.objects.get(pk=stock["vials"][0].pk).balance_ml == D("16.00")  # 3 given + 1 wasted


@pytest.mark.django_db
def test_the_volume_given_cannot_exceed_what_was_drawn(alice: Any, infusing: Any) -> None:
    with pytest.raises(ValidationError, match=r"More than the 4\.00 mL drawn"):
        services.end_infusion(by=alice, session=infusing, version=None, given_ml=D("4.50"))


@pytest.mark.django_db
def test_side_effects_with_severity_action_and_outcome(alice: Any, infusing: Any, clock: Any) -> None:
    row = services.record_side_effect(
        by=alice,
        session=infusing,
        version=None,
        values={
            "effect": "emergence_reaction",
            "severity": "severe",
            "adverse_event": True,
            "action_taken": "Reassurance, lights dimmed",
        },
    )
    assert (row.outcome, row.adverse_event) == ("ongoing", True)
    clock.shift(dt.timedelta(minutes=12))
    row = services.update_side_effect(
        by=alice,
        session=fresh(infusing),
        version=None,
        side_effect=row,
        outcome="resolved",
        action_taken="midazolam 2 mg IV",
    )
    assert row.outcome == "resolved" and row.resolved_at == timezone.now()
    assert row.action_taken == "Reassurance, lights dimmed\nmidazolam 2 mg IV"
    with pytest.raises(ValidationError, match="Describe"):
        services.record_side_effect(
            by=alice, session=fresh(infusing), version=None, values={"effect": "other", "severity": "mild"}
        )
    with pytest.raises(ValidationError) as info:
        services.record_side_effect(
            by=alice, session=fresh(infusing), version=None, values={"effect": "nausea", "severity": "catastrophic"}
        )
    assert "severity" in info.value.message_dict
    assert SideEffect.objects.count() == 1


@pytest.mark.django_db
def test_rescue_medications_are_recorded_as_entered_without_a_suggested_dose(alice: Any, infusing: Any) -> None:
    effect = services.record_side_effect(
        by=alice, session=infusing, version=None, values={"effect": "nausea", "severity": "moderate"}
    )
    row = services.record_rescue_medication(
        by=alice,
        session=fresh(infusing),
        version=None,
        values={"drug": "ondansetron", "dose": " 4 mg ", "route": "iv", "reason": "nausea", "side_effect": effect},
    )
    assert (row.name, row.dose, row.side_effect) == ("ondansetron", "4 mg", effect)
    for values, field in (
        ({"drug": "other", "dose": "1 tab", "route": "oral", "reason": "x"}, "drug_other"),
        ({"drug": "labetalol", "dose": "", "route": "iv", "reason": "BP"}, "dose"),
        ({"drug": "labetalol", "dose": "10 mg", "route": "rectal", "reason": "BP"}, "route"),
    ):
        with pytest.raises(ValidationError) as info:
            services.record_rescue_medication(by=alice, session=fresh(infusing), version=None, values=values)
        assert field in info.value.message_dict
    assert RescueMedication.objects.count() == 1
