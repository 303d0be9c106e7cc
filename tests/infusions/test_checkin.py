"""Check-in hard stops (protocol-driven), each saying exactly what is missing; opening, cancelling and starting."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services
from ketaclinic.infusions.models import SessionAlert, TreatmentSession
from ketaclinic.infusions.services import checklist
from ketaclinic.outcomes.models import SafetyAlert
from ketaclinic.plans import services as plans
from ketaclinic.plans.models import SessionOrder
from tests.infusions.conftest import (
    CSSRS_LOW,
    PHQ9_ITEM9,
    check_in,
    complete_check_in,
    fresh,
    start_esk,
    start_iv,
)

D = Decimal


def items(session: Any) -> dict[str, checklist.CheckItem]:
    return {item.code: item for item in checklist.checklist(fresh(session))}


def blocking_codes(session: Any) -> list[str]:
    return [item.code for item in checklist.blocking(checklist.checklist(fresh(session)))]


@pytest.mark.django_db
def test_a_fresh_check_in_lists_every_missing_item(alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    assert blocking_codes(session) == ["fasting", "escort", "predose_vitals", "measure_phq9"]
    found = items(session)
    assert found["fasting"].detail.startswith("The time of the last food is not recorded (the protocol asks for 120")
    assert "clinic policy" in found["fasting"].source  # racemic ketamine: a clinic policy, shown as such
    assert found["escort"].detail == "Record the responsible adult's name and confirmation of the ride home."
    assert found["measure_phq9"].detail == "Score the PHQ-9 now."
    assert found["plan"].ok and found["consent"].ok
    assert not found["cadss_baseline"].blocking
    assert AuditEvent.objects.filter(action="session.check_in", object_id=str(session.pk)).exists()


@pytest.mark.django_db
def test_a_complete_check_in_has_no_hard_stop_and_starting_gives_the_order(
    alice: Any, iv_order: Any, stock: Any
) -> None:
    session = complete_check_in(check_in(iv_order, alice), alice)
    assert blocking_codes(session) == []
    session = start_iv(session, alice, stock)
    assert session.status == "infusing" and session.started_by == alice
    assert SessionOrder.objects.get(pk=iv_order.pk).status == "given"
    assert AuditEvent.objects.filter(action="plan.order_given").exists()
    assert session.rate_changes.get().rate_mg_per_h == D("60.0")


@pytest.mark.django_db
def test_start_is_refused_with_every_missing_item_named(alice: Any, iv_order: Any, stock: Any) -> None:
    session = check_in(iv_order, alice)
    with pytest.raises(ValidationError) as info:
        start_iv(session, alice, stock)
    messages = info.value.message_dict["__all__"]
    assert messages[0].startswith("Fasting window: The time of the last food is not recorded")
    assert any(m.startswith("Responsible adult and ride home:") for m in messages)
    assert fresh(session).status == "check_in" and not fresh(session).administrations.exists()
    assert SessionOrder.objects.get(pk=iv_order.pk).status == "open"


@pytest.mark.django_db
def test_the_fasting_window_says_when_the_patient_is_ready(alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    now = timezone.now()
    services.update_checkin(
        by=alice,
        session=session,
        version=None,
        changes={"last_food_at": now - dt.timedelta(minutes=75), "last_liquids_at": now - dt.timedelta(minutes=40)},
    )
    item = items(session)["fasting"]
    assert not item.ok and item.detail.startswith("Last food 75 min ago; the protocol asks for 120 min.")
    assert "Ready at" in item.detail
    with pytest.raises(ValidationError) as info:
        services.update_checkin(
            by=alice, session=session, version=None, changes={"last_food_at": now + dt.timedelta(minutes=5)}
        )
    assert info.value.message_dict == {"last_food_at": ["This time is in the future."]}


@pytest.mark.django_db
def test_esketamine_fasting_is_the_label_and_needs_rems_enrolment(alice: Any, bob: Any, esk_order: Any) -> None:
    session = check_in(esk_order, alice)
    assert "Spravato label" in items(session)["fasting"].source
    consent = session.patient.consents.get(kind="esketamine_rems")
    from ketaclinic.patients import services as patients

    patients.mark_entered_in_error(by=bob, row=consent, reason="wrong patient")
    consent_item = items(session)["consent"]
    assert not consent_item.ok and "Spravato REMS enrolment" in consent_item.detail


@pytest.mark.django_db
def test_a_pregnancy_test_when_the_protocol_asks(
    alice: Any, dave: Any, ready_patient: Any, bob: Any, stock: Any
) -> None:
    from ketaclinic.plans import services as plans_services
    from tests.infusions.conftest import clinic_zone, first_order
    from tests.plans.conftest import iv_input

    plans_services.tune_protocol(
        by=dave,
        clinic=dave.clinic,
        protocol_id="depression_iv",
        overrides={"pregnancy_test_required": "true"},
        reason="Our policy: test every visit",
    )
    with clinic_zone(ready_patient):
        order = first_order(
            plans_services.sign(
                by=bob, version=plans_services.save_draft(by=bob, patient=ready_patient, data=iv_input())
            )
        )
    session = complete_check_in(check_in(order, alice), alice)
    assert blocking_codes(session) == ["pregnancy"]
    assert items(session)["pregnancy"].detail == "Record today's pregnancy test result."
    services.update_checkin(by=alice, session=session, version=None, changes={"pregnancy_test": "positive"})
    assert items(session)["pregnancy"].detail == "Positive: do not dose; tell the prescriber."
    services.update_checkin(by=alice, session=session, version=None, changes={"pregnancy_test": "negative"})
    assert blocking_codes(session) == []


@pytest.mark.django_db
def test_phq9_item_9_needs_the_cssrs_and_raises_a_safety_alert(alice: Any, iv_order: Any) -> None:
    session = complete_check_in(check_in(iv_order, alice), alice)
    score = services.record_score(by=alice, session=session, version=None, instrument="phq9", answers=PHQ9_ITEM9)
    assert "suicidality" in score.flags
    alert = SafetyAlert.objects.get(source_id=score.pk, instrument="phq9")
    assert alert.severity == "unrated" and "C-SSRS" in alert.recommended_action
    assert blocking_codes(session) == ["cssrs"]
    assert items(session)["cssrs"].detail == "PHQ-9 item 9 is 1 or more: give the C-SSRS screener before dosing."
    services.record_score(by=alice, session=session, version=None, instrument="phq9", answers=PHQ9_ITEM9)
    assert SafetyAlert.objects.filter(instrument="phq9").count() == 1  # an open alert is not stacked
    cssrs = services.record_score(
        by=alice, session=session, version=None, instrument="cssrs_screener", answers=CSSRS_LOW
    )
    assert SafetyAlert.objects.get(source_id=cssrs.pk, instrument="cssrs_screener").severity == "low"
    assert blocking_codes(session) == []
    assert items(session)["cssrs"].detail.startswith("Done: low risk.")


@pytest.mark.django_db
def test_a_scale_with_a_missing_item_is_refused_naming_it(alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    with pytest.raises(ValidationError) as info:
        services.record_score(
            by=alice, session=session, version=None, instrument="phq9", answers=[1, 1, 1, 1, None, 1, 1, 1, 0]
        )
    assert "item_5" in info.value.message_dict
    with pytest.raises(ValidationError, match="not a scale of this session"):
        services.record_score(by=alice, session=session, version=None, instrument="madrs", answers=[0] * 10)
    assert not fresh(session).scores.exists()


@pytest.mark.django_db
def test_a_stop_level_pre_dose_reading_blocks_the_start_until_repeated(alice: Any, iv_order: Any) -> None:
    session = complete_check_in(
        check_in(iv_order, alice),
        alice,
        vitals={"systolic_mmhg": 186, "diastolic_mmhg": 100, "heart_rate_per_min": 80, "spo2_percent": 98, "moaas": 5},
    )
    detail = items(session)["predose_alerts"].detail
    assert "Acknowledge 1 open alert" in detail and "stop-and-evaluate" in detail
    alert = SessionAlert.objects.get(session=session, code="systolic_high")
    services.acknowledge_alert(by=alice, session=session, version=None, alert=alert, note="Rested 10 min")
    assert blocking_codes(session) == ["predose_alerts"]  # still the latest reading
    services.record_vitals(
        by=alice,
        session=fresh(session),
        version=None,
        values={"systolic_mmhg": 150, "diastolic_mmhg": 92, "heart_rate_per_min": 76, "spo2_percent": 98, "moaas": 5},
    )
    assert blocking_codes(session) == []


@pytest.mark.django_db
def test_esketamine_r1_needs_the_prescribers_risk_benefit_note(
    alice: Any, bob: Any, esk_order: Any, stock: Any
) -> None:
    session = complete_check_in(
        check_in(esk_order, alice),
        alice,
        vitals={"systolic_mmhg": 146, "diastolic_mmhg": 88, "heart_rate_per_min": 74, "spo2_percent": 98, "moaas": 5},
    )
    assert blocking_codes(session) == ["r1"]
    assert "Pre-dose blood pressure 146/88 mmHg is above 140/90 mmHg." in items(session)["r1"].detail
    r1 = SessionAlert.objects.get(session=session, code=checklist.R1_CODE)
    with pytest.raises(ServiceError, match="prescriber's risk/benefit"):
        services.acknowledge_alert(by=alice, session=session, version=None, alert=r1)
    with pytest.raises(PermissionDenied):
        services.acknowledge_risk(by=alice, session=session, version=None, note="fine")
    services.acknowledge_risk(by=bob, session=session, version=None, note="Baseline 140s; benefit outweighs risk")
    assert blocking_codes(session) == [] and SessionAlert.objects.get(pk=r1.pk).acknowledged_by == bob
    assert start_esk(fresh(session), alice, stock).status == "observation"


@pytest.mark.django_db
def test_r1_is_asked_again_for_a_later_high_reading(alice: Any, bob: Any, esk_order: Any) -> None:
    high = {"systolic_mmhg": 146, "diastolic_mmhg": 88, "heart_rate_per_min": 74, "spo2_percent": 98, "moaas": 5}
    session = complete_check_in(check_in(esk_order, alice), alice, vitals=high)
    services.acknowledge_risk(by=bob, session=session, version=None, note="ok")
    services.record_vitals(
        by=alice, session=fresh(session), version=None, values={**high, "systolic_mmhg": 130, "diastolic_mmhg": 80}
    )
    with pytest.raises(ServiceError, match="does not need"):
        services.acknowledge_risk(by=bob, session=fresh(session), version=None, note="again")
    services.record_vitals(by=alice, session=fresh(session), version=None, values={**high, "diastolic_mmhg": 96})
    assert blocking_codes(session) == ["r1"]


@pytest.mark.django_db
def test_one_session_per_order_and_per_patient(alice: Any, iv_order: Any) -> None:
    with pytest.raises(ValidationError, match="Say which chair"):
        services.create_session(by=alice, order=iv_order, chair="  ")
    check_in(iv_order, alice)
    with pytest.raises(ValidationError, match="already exists"):
        check_in(iv_order, alice)
    second = iv_order.plan_version.orders.get(session_number=2)
    with pytest.raises(ValidationError, match="already has a session in progress"):
        check_in(second, alice)


@pytest.mark.django_db
def test_a_cancelled_session_keeps_the_order_open_and_is_locked(alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    with pytest.raises(ValidationError):
        services.cancel_session(by=alice, session=session, version=None, reason=" ")
    session = services.cancel_session(by=alice, session=session, version=None, reason="BP 190/110, deferred")
    assert session.status == "cancelled" and SessionOrder.objects.get(pk=iv_order.pk).status == "open"
    with pytest.raises(ServiceError, match="cancelled"):
        services.update_checkin(by=alice, session=session, version=None, changes={"escort_name": "x"})
    assert check_in(iv_order, alice).status == "check_in"  # a new session for the same order


@pytest.mark.django_db
def test_an_order_that_is_not_open_or_not_current_cannot_be_checked_in(alice: Any, bob: Any, iv_order: Any) -> None:
    from tests.plans.conftest import iv_input

    amended = plans.amend(by=bob, signed=iv_order.plan_version, data=iv_input(dose_mg_per_kg=D("0.4")), reason="AE")
    plans.sign(by=bob, version=amended)
    with pytest.raises(ValidationError, match="cancelled, not open"):
        check_in(SessionOrder.objects.get(pk=iv_order.pk), alice)


@pytest.mark.django_db
def test_front_desk_and_other_locations_cannot_check_in(carol: Any, erin: Any, iv_order: Any) -> None:
    with pytest.raises(PermissionDenied):
        check_in(iv_order, carol)
    with pytest.raises(PermissionDenied):
        check_in(iv_order, erin)
    assert not TreatmentSession.objects.exists()


@pytest.mark.django_db
def test_the_start_checks_the_containers(alice: Any, iv_order: Any, stock: Any) -> None:
    session = complete_check_in(check_in(iv_order, alice), alice)
    device = stock["devices"][0]
    for draws, message in (
        ([], "Choose the container"),
        ([services.Draw(device, D("4.00"))], "not this order's drug"),
        ([services.Draw(stock["vials"][0], D("3.00"))], "Draw at least the ordered 4.00 mL"),
        ([services.Draw(stock["vials"][0], D("4")), services.Draw(stock["vials"][1], D("4"))], "one vial"),
    ):
        with pytest.raises(ValidationError, match=message):
            services.start(by=alice, session=session, version=None, draws=draws)
    assert fresh(session).status == "check_in"


@pytest.mark.django_db
def test_esketamine_takes_one_device_per_28_mg(alice: Any, esk_order: Any, stock: Any) -> None:
    session = complete_check_in(check_in(esk_order, alice), alice)
    with pytest.raises(ValidationError, match="2 devices"):
        start_esk(session, alice, stock, count=3)
    session = start_esk(session, alice, stock)
    assert [a.ledger_entry is not None for a in session.administrations.all()] == [True, True]
    assert session.rems_due_on is not None
