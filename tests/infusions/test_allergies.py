"""Issue 15 item 4: rescue medications and ketamine itself are checked against the recorded allergies at the chair.
A match is a hard stop; only a prescriber overrides it, in writing; a nurse cannot."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services
from ketaclinic.infusions.models import RescueMedication
from ketaclinic.infusions.services import checklist
from ketaclinic.patients import services as patients
from tests.infusions.conftest import check_in, complete_check_in, fresh, start_iv

ONDANSETRON = {"drug": "ondansetron", "dose": "4 mg", "route": "iv", "reason": "nausea"}


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def infusing(alice: Any, iv_order: Any, stock: Any, clock: Any) -> Any:
    return start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)


def test_ondansetron_is_stopped_for_a_patient_allergic_to_it(alice: Any, infusing: Any) -> None:
    patients.add_allergy(
        by=alice, patient=infusing.patient, substance="Ondansetron", reaction="hives", severity="severe"
    )
    with pytest.raises(ValidationError) as info:
        services.record_rescue_medication(by=alice, session=fresh(infusing), version=None, values=ONDANSETRON)
    message = info.value.message_dict["allergy_override_reason"][0]
    assert message.startswith("ALLERGY: do not give ondansetron.") and "Ondansetron (hives, severe)" in message
    assert not RescueMedication.objects.exists()


def test_a_nurse_cannot_override_an_allergy_stop(alice: Any, infusing: Any) -> None:
    patients.add_allergy(by=alice, patient=infusing.patient, substance="ondansetron")
    values = {**ONDANSETRON, "allergy_override_reason": "nothing else to hand"}
    with pytest.raises(PermissionDenied, match="Only a prescriber"):
        services.record_rescue_medication(by=alice, session=fresh(infusing), version=None, values=values)
    assert not RescueMedication.objects.exists()


def test_a_prescriber_overrides_with_a_reason_kept_on_the_row_and_audited(alice: Any, bob: Any, infusing: Any) -> None:
    patients.add_allergy(by=alice, patient=infusing.patient, substance="granisetron", reaction="rash")
    values = {**ONDANSETRON, "allergy_override_reason": " Rash only; severe vomiting; benefit outweighs risk "}
    row = services.record_rescue_medication(by=bob, session=fresh(infusing), version=None, values=values)
    assert row.allergy_override_reason == "Rash only; severe vomiting; benefit outweighs risk"
    assert [(m["allergy"], m["basis"]) for m in row.allergy_matches] == [("granisetron", "class")]
    event = AuditEvent.objects.get(action="session.rescue_medication", object_id=str(row.pk))
    assert event.detail["allergy_override"] == ["allergy:ondansetron"]


@pytest.mark.parametrize(
    ("substance", "values"),
    [
        ("lorazepam", {"drug": "midazolam", "dose": "2 mg", "route": "iv", "reason": "emergence"}),
        ("clonidine", {"drug": "other", "drug_other": "Dexmedetomidine", "dose": "x", "route": "iv", "reason": "BP"}),
        ("phenothiazines", {"drug": "promethazine", "dose": "12.5 mg", "route": "iv", "reason": "nausea"}),
    ],
)
def test_a_class_allergy_stops_the_other_members(alice: Any, infusing: Any, substance: str, values: Any) -> None:
    patients.add_allergy(by=alice, patient=infusing.patient, substance=substance)
    with pytest.raises(ValidationError, match="same drug class"):
        services.record_rescue_medication(by=alice, session=fresh(infusing), version=None, values=values)


def test_an_unrelated_allergy_does_not_stop_the_rescue_drug(alice: Any, infusing: Any) -> None:
    patients.add_allergy(by=alice, patient=infusing.patient, substance="penicillin")
    values = {**ONDANSETRON, "allergy_override_reason": "not needed"}
    row = services.record_rescue_medication(by=alice, session=fresh(infusing), version=None, values=values)
    assert (row.allergy_override_reason, row.allergy_matches) == ("", [])


def _item(session: Any) -> Any:
    return next(i for i in checklist.checklist(fresh(session)) if i.code == "allergy")


def test_a_ketamine_allergy_blocks_the_start_until_a_prescriber_overrides(
    alice: Any, bob: Any, iv_order: Any, stock: Any
) -> None:
    session = complete_check_in(check_in(iv_order, alice), alice)
    assert _item(session).ok is False and _item(session).blocking is False  # allergies not recorded: a caution
    patients.add_allergy(by=alice, patient=session.patient, substance="esketamine", reaction="laryngospasm")
    item = _item(session)
    assert item.blocking and not item.ok and "ketamine is also a ketamine (arylcyclohexylamine)" in item.detail.lower()
    with pytest.raises(ValidationError, match="ALLERGY"):
        start_iv(fresh(session), alice, stock)
    with pytest.raises(PermissionDenied, match="Only a prescriber"):
        services.override_allergy(by=alice, session=fresh(session), version=None, note="patient insists")
    with pytest.raises(ValidationError):
        services.override_allergy(by=bob, session=fresh(session), version=None, note="  ")
    services.override_allergy(
        by=bob, session=fresh(session), version=None, note="Reaction was to esketamine spray excipient; IV tolerated"
    )
    assert _item(session).ok and "Overridden by Bob" in _item(session).detail
    assert AuditEvent.objects.filter(action="session.allergy_override", actor=bob).exists()
    started = start_iv(fresh(session), alice, stock)
    assert started.status == "infusing"


def test_an_allergy_added_after_the_override_needs_a_new_decision(alice: Any, bob: Any, iv_order: Any) -> None:
    session = complete_check_in(check_in(iv_order, alice), alice)
    patients.add_allergy(by=alice, patient=session.patient, substance="ketamine")
    services.override_allergy(by=bob, session=fresh(session), version=None, note="benefit outweighs risk")
    patients.add_allergy(by=alice, patient=session.patient, substance="Spravato")
    assert not _item(session).ok


def test_nothing_to_override_without_a_match(bob: Any, iv_order: Any, alice: Any) -> None:
    session = check_in(iv_order, alice)
    patients.record_nkda(by=alice, patient=session.patient)
    assert _item(session).ok and _item(session).detail == "No recorded allergy matches."
    with pytest.raises(ServiceError, match="nothing to override"):
        services.override_allergy(by=bob, session=fresh(session), version=None, note="x")


def test_the_signed_plans_written_override_carries_to_check_in(alice: Any, bob: Any, ready_patient: Any) -> None:
    from ketaclinic.plans import services as plans
    from tests.infusions.conftest import clinic_zone, first_order
    from tests.plans.conftest import iv_input

    patients.add_allergy(by=alice, patient=ready_patient, substance="ketamine", reaction="itch", severity="mild")
    reason = "Itch only, in 2015; discussed with the patient"
    with clinic_zone(ready_patient):
        version = plans.save_draft(
            by=bob, patient=ready_patient, data=iv_input(overrides={"allergy_ketamine:ketamine": reason})
        )
        order = first_order(plans.sign(by=bob, version=version))
    item = _item(check_in(order, alice))
    assert item.ok and f"Overridden in the signed plan: {reason}" in item.detail
