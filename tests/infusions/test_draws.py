"""Every drawn millilitre checked (issue 15, items 2 and 3).

- A draw above what the vial has available is refused; a draw further from the order than the clinic's tolerance
  (CLINIC POLICY, default 10 %) needs a reason; a wrong drawn volume is corrected while the infusion runs, witnessed.
- The books know a draw when it happens: an infusion's drawn volume is held against its vial at the start, so another
  chair and every ledger form see the true remainder and who holds it; the end of the infusion posts it and releases
  the hold in the same transaction. No session is trapped: the end always has its volume in the vial.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services
from ketaclinic.infusions.queries import containers_for
from ketaclinic.ledger import services as ledger
from ketaclinic.ledger.models import Container, Hold, Kind, LedgerEntry
from ketaclinic.ledger.services.witnesses import WitnessRejected
from tests.infusions.conftest import check_in, complete_check_in, fresh
from tests.ledger.conftest import licence, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def ready(alice: Any, iv_order: Any, stock: Any, clock: Any) -> Any:
    """Checked in at Chair 3, every hard stop met; the order is 40 mg = 4.00 mL of 10 mg/mL (20 mL vials)."""
    return complete_check_in(check_in(iv_order, alice), alice)


def start(session: Any, nurse: Any, vial: Any, drawn: str, **extra: Any) -> Any:
    return services.start(
        by=nurse, session=fresh(session), version=None, draws=[services.Draw(vial, D(drawn))], **extra
    )


def available(vial: Any) -> D:
    return ledger.availability(Container.objects.get(pk=vial.pk)).available_ml


# --- Item 2: the drawn volume is checked ------------------------------------------------------------------------------


def test_a_draw_above_what_the_vial_holds_is_refused_and_changes_nothing(alice: Any, ready: Any, stock: Any) -> None:
    vial = stock["vials"][0]
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as info:
        start(ready, alice, vial, "40.00", draw_reason="typed the bag volume")
    assert info.value.message_dict["drawn_ml"] == ["M-00001 has 20.00 mL available; 40.00 mL cannot be drawn from it."]
    assert fresh(ready).status == "check_in" and not Hold.objects.exists()
    assert not ready.administrations.exists() and AuditEvent.objects.count() == events


def test_a_draw_beyond_the_clinic_tolerance_needs_a_reason(alice: Any, ready: Any, stock: Any) -> None:
    vial = stock["vials"][0]
    with pytest.raises(ValidationError) as info:
        start(ready, alice, vial, "4.50")  # 12.5 % above the 4.00 mL ordered
    assert info.value.message_dict["draw_reason"] == [
        "4.50 mL drawn for an order of 4.00 mL (+12.5 %; the clinic's tolerance is 10 %): say why, or draw the "
        "ordered volume. Nothing was saved."
    ]
    assert fresh(ready).status == "check_in"
    session = start(ready, alice, vial, "4.50", draw_reason="  overfill to prime the line  ")
    assert session.status == "infusing"
    assert session.administrations.get().draw_reason == "overfill to prime the line"


def test_within_the_tolerance_no_reason_is_asked(alice: Any, ready: Any, stock: Any) -> None:
    assert start(ready, alice, stock["vials"][0], "4.40").status == "infusing"  # +10.0 %


def test_the_tolerance_is_the_clinics_setting(alice: Any, dave: Any, ready: Any, stock: Any) -> None:
    policy = ledger.policy_for(ready.location.clinic_id)
    values = {name: getattr(policy, name) for name in ledger.setup.POLICY_FIELDS}
    ledger.save_policy(by=dave, clinic=ready.location.clinic, values={**values, "draw_tolerance_percent": D("5")})
    with pytest.raises(ValidationError, match="the clinic's tolerance is 5 %"):
        start(ready, alice, stock["vials"][0], "4.40")


# --- Item 3: the books know the draw at once ----------------------------------------------------------------------


def test_an_infusion_draw_leaves_the_available_balance_at_once(alice: Any, ready: Any, stock: Any) -> None:
    vial = stock["vials"][0]
    start(ready, alice, vial, "4.00")
    hold = Hold.objects.get()
    assert (hold.container_id, hold.quantity_ml, hold.holder, hold.released_at) == (vial.pk, D("4.00"), "Chair 3", None)
    assert Container.objects.get(pk=vial.pk).balance_ml == D("20.00")  # posted only at the end
    assert available(vial) == D("16.00")
    assert AuditEvent.objects.filter(action="ledger.hold").count() == 1


def test_another_chair_and_the_ledger_forms_see_the_true_remainder_and_who_holds_it(
    alice: Any, ready: Any, stock: Any, pat: Any
) -> None:
    from ketaclinic.ledger.forms import WasteForm, left_text

    vial = stock["vials"][0]
    start(ready, alice, vial, "15.00", draw_reason="two-bag protocol")
    # The chair's list of containers: the held vial shows 5.00 mL available and who holds the rest.
    listed = {c.pk: c for c in containers_for(fresh(ready))}
    assert listed[vial.pk].available_ml == D("5.00")
    text = left_text(listed[vial.pk])
    assert text.startswith("5.00 mL available · 15.00 mL in use at Chair 3 since ")
    # Another chair cannot draw the held volume; the refusal says who holds it.
    with pytest.raises(ValidationError) as info:
        ledger.hold(by=alice, container=vial, quantity_ml="6.00", holder="Chair 5", reference="treatment session 99")
    message = info.value.message_dict["drawn_ml"][0]
    assert message.startswith("M-00001 has 5.00 mL available; 6.00 mL cannot be drawn from it. Its book balance is ")
    assert "15.00 mL in use at Chair 3 since" in message
    # Nor can any ledger entry take it: an administration, a waste.
    with pytest.raises(ValidationError, match=r"has 5\.00 mL available"):
        ledger.administer(by=alice, container=vial, patient=pat, quantity_ml="6.00")
    witness = sign(licence(type(alice).objects.get(username="bob"), "registered_nurse"), alice, vial.location)
    with pytest.raises(ledger.HeldStock, match=r"15\.00 mL of it is drawn for a patient and not yet posted"):
        ledger.waste(by=alice, container=vial, quantity_ml="6.00", manner="sink", reason="r", witness=witness)
    # The ledger form lists the same remainder.
    form = WasteForm(user=alice)
    assert "5.00 mL available · 15.00 mL in use at Chair 3" in str(form["container"])
    # The 5.00 mL that are free can still be given.
    ledger.administer(by=alice, container=vial, patient=pat, quantity_ml="5.00")
    assert available(vial) == D("0.00")
    assert vial.pk not in {c.pk for c in containers_for(fresh(ready))}


def test_ending_the_infusion_posts_the_draw_and_releases_the_hold_in_one_step(
    alice: Any, bob: Any, ready: Any, stock: Any, clock: Any
) -> None:
    vial = stock["vials"][0]
    start(ready, alice, vial, "4.40")
    clock.shift(dt.timedelta(minutes=41))
    witness = sign(licence(bob, "registered_nurse"), alice, vial.location)
    services.end_infusion(by=alice, session=fresh(ready), version=None, witness=witness, waste_manner="bag to waste")
    hold = Hold.objects.get()
    administer = LedgerEntry.objects.get(kind=Kind.ADMINISTER)
    assert hold.released_at is not None and hold.released_entry == administer
    assert hold.release_note == "posted as an administration"
    assert (administer.quantity_ml, administer.drawn_ml) == (D("-4.00"), D("4.40"))
    assert LedgerEntry.objects.get(kind=Kind.WASTE).quantity_ml == D("-0.40")
    assert Container.objects.get(pk=vial.pk).balance_ml == available(vial) == D("15.60")


def test_a_vial_quarantined_while_its_draw_runs_does_not_trap_the_session(
    alice: Any, bob: Any, ready: Any, stock: Any, clock: Any
) -> None:
    """The drug left the vial when it was drawn: the end posts it even if the vial was set aside meanwhile."""
    vial = stock["vials"][0]
    start(ready, alice, vial, "4.00")
    ledger.quarantine(by=alice, container=Container.objects.get(pk=vial.pk), reason="cracked cap")
    clock.shift(dt.timedelta(minutes=41))
    session = services.end_infusion(by=alice, session=fresh(ready), version=None)
    assert session.status == "observation"
    assert LedgerEntry.objects.get(kind=Kind.ADMINISTER).quantity_ml == D("-4.00")


# --- Item 2: a witnessed correction of a wrong drawn volume -----------------------------------------------------------


def test_a_wrong_drawn_volume_is_corrected_with_a_witness_and_the_hold_follows(
    alice: Any, bob: Any, ready: Any, stock: Any, clock: Any
) -> None:
    vial = stock["vials"][0]
    start(ready, alice, vial, "15.00", draw_reason="entered in haste")
    reason = "15 mL was typed; 4.4 mL was drawn"
    with pytest.raises(WitnessRejected, match="needs a witness"):
        services.correct_draw(
            by=alice, session=fresh(ready), version=None, drawn_ml=D("4.40"), reason=reason, witness=None
        )
    assert Hold.objects.get().quantity_ml == D("15.00")
    witness = sign(licence(bob, "registered_nurse"), alice, vial.location)
    with pytest.raises(ValidationError, match=r"has 20\.00 mL available; 40\.00 mL cannot be drawn"):
        services.correct_draw(
            by=alice, session=fresh(ready), version=None, drawn_ml=D("40.00"), reason=reason, witness=witness
        )
    with pytest.raises(ValidationError, match="Say what was wrong"):
        services.correct_draw(
            by=alice, session=fresh(ready), version=None, drawn_ml=D("4.40"), reason=" ", witness=witness
        )
    services.correct_draw(
        by=alice, session=fresh(ready), version=None, drawn_ml=D("4.40"), reason=reason, witness=witness
    )
    administration = fresh(ready).administrations.get()
    assert (administration.drawn_ml, administration.draw_reason) == (D("4.40"), reason)
    assert Hold.objects.get().quantity_ml == D("4.40") and available(vial) == D("15.60")
    event = AuditEvent.objects.get(action="session.draw_correction")
    assert event.detail == {
        "container": "M-00001",
        "from_ml": "15.00",
        "to_ml": "4.40",
        "reason": reason,
        "witness": "bob",
    }
    assert AuditEvent.objects.get(action="ledger.hold_change").detail["to_ml"] == "4.40"
    # The corrected draw is what the end posts.
    clock.shift(dt.timedelta(minutes=41))
    services.end_infusion(
        by=alice,
        session=fresh(ready),
        version=None,
        witness=sign(bob, alice, vial.location),
        waste_manner="bag to waste",
    )
    assert LedgerEntry.objects.get(kind=Kind.ADMINISTER).drawn_ml == D("4.40")


def test_a_draw_cannot_be_corrected_below_the_order_or_after_the_end(
    alice: Any, bob: Any, ready: Any, stock: Any, clock: Any
) -> None:
    vial = stock["vials"][0]
    start(ready, alice, vial, "4.40")
    witness = sign(licence(bob, "registered_nurse"), alice, vial.location)
    with pytest.raises(ValidationError, match=r"Less than the ordered 4\.00 mL"):
        services.correct_draw(
            by=alice, session=fresh(ready), version=None, drawn_ml=D("3.00"), reason="r", witness=witness
        )
    clock.shift(dt.timedelta(minutes=41))
    witness = sign(bob, alice, vial.location)
    services.end_infusion(by=alice, session=fresh(ready), version=None, witness=witness, waste_manner="bag")
    with pytest.raises(Exception, match="observation"):
        services.correct_draw(
            by=alice, session=fresh(ready), version=None, drawn_ml=D("4.00"), reason="r", witness=witness
        )


def test_a_count_taken_while_an_infusion_runs_is_not_a_shortage(alice: Any, ready: Any, stock: Any, clock: Any) -> None:
    """The vial holds its books less the held draw: counting 15.60 mL of a 20.00 mL book balance while 4.40 mL runs
    at Chair 3 is a match, not a 4.40 mL discrepancy escalated as a possible theft."""
    from ketaclinic.ledger.models import Discrepancy
    from tests.ledger.test_inventory import count

    vial = stock["vials"][0]
    start(ready, alice, vial, "4.40")
    clock.shift(dt.timedelta(minutes=10))  # the count, ten minutes into the infusion
    everything = {c: str(c.balance_ml) for c in Container.objects.filter(location=vial.location) if c.pk != vial.pk}
    inventory = count(alice, vial.location, {**everything, Container.objects.get(pk=vial.pk): "15.60"})
    assert not Discrepancy.objects.exists(), list(
        Discrepancy.objects.values("container__label", "book_ml", "counted_ml")
    )
    line = inventory.lines.get(container=vial)
    assert line.book_ml == D("15.60")
    entry = LedgerEntry.objects.get(kind=Kind.INVENTORY_COUNT, container=vial)
    assert entry.reason.endswith("(4.40 mL drawn at a chair and not yet posted)")
