"""Discharge (Aldrete/PADSS ≥ 9; esketamine ≥ 120 min, BP falling and stable, no sedation, dissociation or
respiratory depression), the note signed and locked, and the esketamine REMS form with its 7-day deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.infusions import services
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.infusions.services import SessionLocked, rems
from ketaclinic.patients import services as patients
from tests.infusions.conftest import ALDRETE_7, ALDRETE_10, check_in, complete_check_in, fresh, start_esk, start_iv

NORMAL = {
    "systolic_mmhg": 126,
    "diastolic_mmhg": 80,
    "heart_rate_per_min": 74,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
    "moaas": 5,
}


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


def discharge(session: Any, nurse: Any, **changes: Any) -> TreatmentSession:
    values = {
        "scale": "aldrete",
        "answers": ALDRETE_10,
        "sedation": False,
        "dissociation": False,
        "respiratory_depression": False,
        "escort_name": "Sam Rivera",
        "instructions_given": True,
        **changes,
    }
    return services.discharge_patient(by=nurse, session=fresh(session), version=None, **values)


def vitals(session: Any, nurse: Any, **values: Any) -> None:
    services.record_vitals(by=nurse, session=fresh(session), version=None, values={**NORMAL, **values})


@pytest.fixture
def observed_iv(alice: Any, iv_order: Any, stock: Any, clock: Any) -> Any:
    session = start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)
    clock.shift(dt.timedelta(minutes=41))
    ended = services.end_infusion(by=alice, session=session, version=None)
    clock.shift(dt.timedelta(minutes=30))  # the protocol's minimum observation after the end (clinic policy)
    return ended


@pytest.fixture
def dosed_esk(alice: Any, esk_order: Any, stock: Any, clock: Any) -> Any:
    return start_esk(complete_check_in(check_in(esk_order, alice), alice), alice, stock)


@pytest.mark.django_db
def test_discharge_needs_the_score_the_escort_and_the_instructions(alice: Any, observed_iv: Any) -> None:
    with pytest.raises(ValidationError) as info:
        discharge(observed_iv, alice, answers=ALDRETE_7, escort_name=" ", instructions_given=False)
    errors = info.value.message_dict
    assert errors["__all__"] == ["Not ready for discharge:", "Modified Aldrete 7: below the discharge score of 9."]
    assert "escort_name" in errors and "instructions_given" in errors
    session = fresh(observed_iv)
    assert session.status == "observation" and not session.scores.filter(instrument="aldrete").exists()
    with pytest.raises(ValidationError) as info:
        discharge(observed_iv, alice, answers=[2, 2, 3, 2, 2])
    assert "item_3" in info.value.message_dict


@pytest.mark.django_db
def test_padss_is_accepted_instead_of_aldrete(alice: Any, observed_iv: Any) -> None:
    session = discharge(observed_iv, alice, scale="padss", answers=[2, 2, 2, 2, 1])
    assert session.discharge_assessment["scale"] == "padss" and session.discharge_assessment["total"] == 9


@pytest.mark.django_db
def test_no_discharge_while_the_infusion_runs_or_an_alert_is_open(
    alice: Any, iv_order: Any, stock: Any, clock: Any
) -> None:
    session = start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)
    with pytest.raises(Exception, match="infusion running"):
        discharge(session, alice)
    clock.shift(dt.timedelta(minutes=41))
    services.end_infusion(by=alice, session=fresh(session), version=None)
    vitals(session, alice, spo2_percent=91)
    with pytest.raises(ValidationError) as info:
        discharge(session, alice)
    assert "1 alert is not acknowledged." in info.value.message_dict["__all__"]


@pytest.mark.django_db
def test_esketamine_waits_120_minutes_and_for_a_falling_blood_pressure(alice: Any, dosed_esk: Any, clock: Any) -> None:
    """clinical-rules.md §4: ≥ 120 min after dosing, BP falling and stable, no sedation/dissociation/RD."""
    clock.shift(dt.timedelta(minutes=40))
    vitals(dosed_esk, alice, systolic_mmhg=140)
    clock.shift(dt.timedelta(minutes=79))
    vitals(dosed_esk, alice, systolic_mmhg=150)
    with pytest.raises(ValidationError) as info:
        discharge(dosed_esk, alice, dissociation=None)
    unmet = info.value.message_dict["__all__"]
    assert "Only 119 min since esketamine dosing; observe at least 120 min." in unmet
    assert "Blood pressure is still rising (140/80 → 150/80 mmHg)." in unmet
    assert "Dissociation has not been assessed before discharge." in unmet
    clock.shift(dt.timedelta(minutes=2))
    vitals(dosed_esk, alice, systolic_mmhg=138)
    with pytest.raises(ValidationError, match="still dissociated"):
        discharge(dosed_esk, alice, dissociation=True)
    session = discharge(dosed_esk, alice)
    assert session.status == "discharged" and session.discharge_assessment["monitoring_min"] == 121
    assert "until the next day, after a restful sleep" in session.discharge_instructions


@pytest.mark.django_db
def test_the_note_is_assembled_signed_and_locked(
    alice: Any, bob: Any, carol: Any, observed_iv: Any, clock: Any
) -> None:
    services.record_side_effect(
        by=alice,
        session=fresh(observed_iv),
        version=None,
        values={"effect": "dizziness", "severity": "mild", "outcome": "resolved"},
    )
    session = discharge(observed_iv, alice)
    note = session.note_text
    for expected in (
        "TREATMENT SESSION NOTE",
        "Pat Rivera",
        "[ok] Fasting window: Met.",
        "lot L001",
        "given 4.00 mL",
        "Dizziness, mild",
        "Modified Aldrete 10 (discharge at ≥ 9)",
        "Escort: Sam Rivera",
        "No driving or operating machinery on the day of treatment. (clinic setting)",
    ):
        assert expected in note, expected
    with pytest.raises(PermissionDenied):
        services.sign_note(by=carol, session=session, version=None)
    with pytest.raises(services.StaleSession):
        services.sign_note(by=bob, session=session, version=session.version - 1)
    signed = services.sign_note(by=bob, session=session, version=session.version)
    assert signed.status == "signed" and "Signed by Bob Test, MD" in signed.note_text
    for attempt in (
        lambda: services.record_vitals(by=alice, session=signed, version=None, values=NORMAL),
        lambda: services.record_side_effect(
            by=alice, session=signed, version=None, values={"effect": "nausea", "severity": "mild"}
        ),
        lambda: services.sign_note(by=bob, session=signed, version=None),
        lambda: services.mark_entered_in_error(
            by=alice, session=signed, version=None, row=signed.readings.first(), reason="x"
        ),
    ):
        with pytest.raises(SessionLocked, match="signed and locked"):
            attempt()


@pytest.mark.django_db
def test_the_rems_form_is_assembled_from_the_session(alice: Any, bob: Any, dosed_esk: Any, clock: Any) -> None:
    patients.add_medication(
        by=bob, patient=dosed_esk.patient, generic_name="Lorazepam", dose="0.5 mg", frequency="at night"
    )
    form = rems.rems_form(dosed_esk)
    missing = ["BP at ~40 min", "BP before leaving", "total monitoring time (discharge first)"]
    assert rems.missing_fields(form) == missing
    clock.shift(dt.timedelta(minutes=40))
    vitals(dosed_esk, alice, systolic_mmhg=144, moaas=4)
    sedated = fresh(dosed_esk).alerts.get(code="moaas_sedation")
    services.acknowledge_alert(by=alice, session=fresh(dosed_esk), version=None, alert=sedated, note="Observed")
    clock.shift(dt.timedelta(minutes=81))
    vitals(dosed_esk, alice, systolic_mmhg=130, spo2_percent=96)
    session = discharge(dosed_esk, alice)
    form = rems.rems_form(session)
    assert form["dose_mg"] == "56.0" and form["devices"] == 2 and form["lot_numbers"] == ["ESK7"]
    assert form["bp_before_dosing"]["systolic_mmhg"] == 124
    assert (form["bp_at_40_min"]["systolic_mmhg"], form["bp_at_40_min"]["t_min"]) == (144, 40)
    assert (form["bp_before_leaving"]["systolic_mmhg"], form["bp_before_leaving"]["t_min"]) == (130, 121)
    assert form["pulse_oximetry"] == {"monitored": True, "lowest_spo2_percent": 96}
    assert form["sedation"] == {"present": True, "resolved": True}  # MOAA/S 4 below the pre-dose 5
    assert form["dissociation"] == {"present": False, "resolved": None}
    assert form["concomitant"] == {"benzodiazepines": ["lorazepam"]}
    assert form["total_monitoring_min"] == 121 and rems.missing_fields(form) == []


@pytest.mark.django_db
def test_the_rems_deadline_and_its_submission(alice: Any, bob: Any, carol: Any, dosed_esk: Any, clock: Any) -> None:
    """clinical-rules.md §3: the form within 7 calendar days; recorded with its confirmation reference."""
    session_day = timezone.localdate()
    assert dosed_esk.rems_due_on == session_day + dt.timedelta(days=7)
    with pytest.raises(Exception, match="observation"):
        services.submit_rems(by=alice, session=dosed_esk, version=None, confirmation="X")
    clock.shift(dt.timedelta(minutes=40))
    vitals(dosed_esk, alice, systolic_mmhg=140)
    clock.shift(dt.timedelta(minutes=81))
    vitals(dosed_esk, alice, systolic_mmhg=128)
    session = services.sign_note(by=bob, session=discharge(dosed_esk, alice), version=None)
    pending = rems.outstanding(TreatmentSession.objects.all())
    assert list(pending) == [session]
    assert rems.status(session, session_day + dt.timedelta(days=8)).state == "overdue"
    with pytest.raises(PermissionDenied):
        services.submit_rems(by=carol, session=session, version=None, confirmation="X")
    with pytest.raises(ValidationError, match="confirmation reference"):
        services.submit_rems(by=alice, session=session, version=None, confirmation=" ")
    session = services.submit_rems(by=alice, session=session, version=None, confirmation="RMS-0042")
    assert session.rems_confirmation == "RMS-0042" and session.rems_form["bp_at_40_min"]["systolic_mmhg"] == 140
    assert rems.status(session).state == "submitted" and not rems.outstanding(TreatmentSession.objects.all())
    with pytest.raises(ValidationError, match="already recorded"):
        services.submit_rems(by=alice, session=session, version=None, confirmation="again")


@pytest.mark.django_db
def test_an_iv_session_has_no_rems_form(alice: Any, observed_iv: Any) -> None:
    session = discharge(observed_iv, alice)
    assert rems.status(session) is None and session.rems_due_on is None
    with pytest.raises(Exception, match="Only esketamine"):
        services.submit_rems(by=alice, session=session, version=None, confirmation="X")
