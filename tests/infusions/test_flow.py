"""A whole IV session and a whole esketamine session through the services, with the clock moved by time-machine."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.infusions import services
from ketaclinic.infusions.models import SessionAlert, TreatmentSession
from ketaclinic.infusions.services import checklist, events, monitoring, rems
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from ketaclinic.plans.models import SessionOrder
from tests.infusions.conftest import ALDRETE_10, check_in, complete_check_in, fresh, start_esk, start_iv

D = Decimal
VITALS = {
    "systolic_mmhg": 128,
    "diastolic_mmhg": 80,
    "heart_rate_per_min": 76,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
    "moaas": 5,
}


def vitals(session: Any, nurse: Any, **changes: Any) -> Any:
    return services.record_vitals(by=nurse, session=session, version=None, values={**VITALS, **changes})


@pytest.mark.django_db
def test_a_full_iv_session_with_a_hypertension_alert_and_a_rescue_medication(
    alice: Any, bob: Any, iv_order: Any, stock: Any
) -> None:
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        session = complete_check_in(check_in(iv_order, alice), alice)
        assert checklist.blocking(checklist.checklist(session)) == []
        session = start_iv(session, alice, stock)
        assert session.status == TreatmentSession.Status.INFUSING
        assert SessionOrder.objects.get(pk=iv_order.pk).status == "given"
        assert monitoring.timer(session).next_due_at == start + dt.timedelta(minutes=10)  # every 10 min (§4)

        clock.shift(dt.timedelta(minutes=10))
        vitals(session, alice, systolic_mmhg=138)
        clock.shift(dt.timedelta(minutes=10))
        reading = vitals(fresh(session), alice, systolic_mmhg=184, diastolic_mmhg=104)
        alert = SessionAlert.objects.get(reading=reading, code="systolic_high")
        assert alert.level == "stop" and "Stop the infusion" in alert.action
        assert SessionAlert.objects.filter(reading=reading, code="systolic_rise").exists()  # +56 from 128
        services.change_rate(
            by=alice, session=fresh(session), version=None, kind="pause", reason="SBP 184: stop and evaluate"
        )
        services.record_side_effect(
            by=alice,
            session=fresh(session),
            version=None,
            values={"effect": "hypertension", "severity": "moderate", "action_taken": "paused"},
        )
        services.record_rescue_medication(
            by=alice,
            session=fresh(session),
            version=None,
            values={"drug": "labetalol", "dose": "10 mg", "route": "iv", "reason": "hypertension 184/104"},
        )
        # One reading is one alert (issue 15): acknowledging one finding acknowledges the reading's others with it.
        open_alert = fresh(session).alerts.filter(acknowledged_at__isnull=True).first()
        services.acknowledge_alert(
            by=alice,
            session=fresh(session),
            version=None,
            alert=open_alert,
            note="Prescriber evaluated; labetalol given",
        )
        assert not fresh(session).alerts.filter(acknowledged_at__isnull=True).exists()
        clock.shift(dt.timedelta(minutes=5))
        vitals(fresh(session), alice, systolic_mmhg=150, diastolic_mmhg=90)
        services.change_rate(by=alice, session=fresh(session), version=None, kind="resume", reason="BP 150/90")
        # 20 min at 60 mg/h = 20 mg before the pause; 20 mg left at 60 mg/h = 20 min after resuming at t=25.
        assert events.delivered_mg(fresh(session)) == D("20.00")
        assert events.expected_end(fresh(session)) == start + dt.timedelta(minutes=45)

        clock.shift(dt.timedelta(minutes=20))
        session = services.end_infusion(by=alice, session=fresh(session), version=None)
        assert session.dose_delivered_mg == D("40.00")
        entry = LedgerEntry.objects.get(kind=Kind.ADMINISTER)
        assert (entry.quantity_ml, entry.patient_id, entry.session_reference) == (
            D("-4.00"),
            session.patient_id,
            f"treatment session {session.pk}",
        )
        assert Container.objects.get(pk=stock["vials"][0].pk).balance_ml == D("16.00")

        clock.shift(dt.timedelta(minutes=30))  # the protocol's minimum observation after the end (clinic policy)
        vitals(fresh(session), alice, systolic_mmhg=132)
        session = services.discharge_patient(
            by=alice,
            session=fresh(session),
            version=None,
            scale="aldrete",
            answers=ALDRETE_10,
            sedation=False,
            dissociation=False,
            respiratory_depression=False,
            escort_name="Sam Rivera",
            instructions_given=True,
        )
        assert session.status == "discharged"
        assert "labetalol 10 mg IV" in session.note_text and "184/104" in session.note_text
        session = services.sign_note(by=alice, session=session, version=session.version)
        assert session.status == "signed" and session.is_locked


@pytest.mark.django_db
def test_an_esketamine_session_is_held_to_120_minutes(alice: Any, esk_order: Any, stock: Any) -> None:
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        session = complete_check_in(check_in(esk_order, alice), alice)
        session = start_esk(session, alice, stock)
        assert session.status == "observation" and session.dose_delivered_mg == D("56.00")
        assert LedgerEntry.objects.filter(kind=Kind.ADMINISTER).count() == 2
        assert monitoring.timer(session).next_due_at == start + dt.timedelta(minutes=40)
        assert session.rems_due_on == timezone.localdate() + dt.timedelta(days=7)
        clock.shift(dt.timedelta(minutes=40))
        vitals(fresh(session), alice, systolic_mmhg=146, diastolic_mmhg=90)
        assert monitoring.timer(fresh(session)).next_due_at is None  # then "as indicated"
        clock.shift(dt.timedelta(minutes=50))
        vitals(fresh(session), alice, systolic_mmhg=134)
        with pytest.raises(ValidationError, match="Only 90 min since esketamine dosing"):
            services.discharge_patient(
                by=alice,
                session=fresh(session),
                version=None,
                scale="aldrete",
                answers=ALDRETE_10,
                sedation=False,
                dissociation=False,
                respiratory_depression=False,
                escort_name="Sam",
                instructions_given=True,
            )
        clock.shift(dt.timedelta(minutes=31))
        vitals(fresh(session), alice, systolic_mmhg=128)
        session = services.discharge_patient(
            by=alice,
            session=fresh(session),
            version=None,
            scale="aldrete",
            answers=ALDRETE_10,
            sedation=False,
            dissociation=False,
            respiratory_depression=False,
            escort_name="Sam",
            instructions_given=True,
        )
        form = rems.rems_form(session)
        assert form["bp_at_40_min"]["systolic_mmhg"] == 146 and form["total_monitoring_min"] == 121
        assert form["lot_numbers"] == ["ESK7"] and rems.missing_fields(form) == []
        session = services.submit_rems(by=alice, session=session, version=None, confirmation="RMS-0042")
        assert rems.status(session).state == "submitted"
