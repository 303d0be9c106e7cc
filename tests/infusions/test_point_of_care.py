"""Safe at the point of care (issue 15, items 6 and 7): a paused infusion says so in the chair's header and on the
floor board; a scheduled reading needs the vital signs, not only a sedation score; an infusion ended short of its
ordered dose says why; IV and IM patients are observed for the protocol's minimum after the end of dosing unless a
prescriber writes why they may leave earlier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services
from ketaclinic.infusions.services import events, monitoring, notes
from tests.conftest import sign_in
from tests.infusions.conftest import NORMAL_VITALS, check_in, complete_check_in, fresh, start_iv


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(timezone.now().replace(microsecond=0), tick=False) as traveller:
        yield traveller


@pytest.fixture
def infusing(alice: Any, iv_order: Any, stock: Any, clock: Any) -> Any:
    return start_iv(complete_check_in(check_in(iv_order, alice), alice), alice, stock)


@pytest.fixture
def long_idle(settings: Any) -> None:
    settings.KETACLINIC_IDLE_TIMEOUT_S = 24 * 3600


def local_hm(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%H:%M}"


# --- A paused infusion is not "running" -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_paused_infusion_says_paused_since_when_in_the_header_and_on_the_board(
    client: Any, alice: Any, infusing: Any, clock: Any, long_idle: None
) -> None:
    assert events.paused_since(fresh(infusing)) is None
    clock.shift(dt.timedelta(minutes=12))
    pause = services.change_rate(by=alice, session=fresh(infusing), version=None, kind="pause", reason="nausea")
    assert events.paused_since(fresh(infusing)) == pause.at
    sign_in(client, alice)
    with timezone.override(infusing.location.clinic.timezone):
        since = f"Infusion paused since {local_hm(pause.at)}"
    for page in (
        client.get(reverse("infusions:session", args=[infusing.pk])),
        client.get(reverse("infusions:status", args=[infusing.pk])),
        client.get(reverse("infusions:board_rows")),
    ):
        text = page.content.decode()
        assert since in text and "Infusion running" not in text
    clock.shift(dt.timedelta(minutes=3))
    services.change_rate(by=alice, session=fresh(infusing), version=None, kind="resume", reason="settled")
    assert events.paused_since(fresh(infusing)) is None
    assert "Infusion running" in client.get(reverse("infusions:board_rows")).content.decode()


# --- A scheduled reading needs the vital signs ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sedation_check_alone_does_not_meet_the_vitals_cadence(alice: Any, infusing: Any, clock: Any) -> None:
    clock.shift(dt.timedelta(minutes=11))
    assert monitoring.timer(fresh(infusing)).overdue
    check = services.record_vitals(by=alice, session=fresh(infusing), version=None, values={"moaas": 4})
    assert check.kind == "sedation"
    assert monitoring.saved_message(check) == (
        "Sedation check saved. It does not count as the scheduled vitals: still needed blood pressure, heart rate, "
        "SpO2."
    )
    assert monitoring.timer(fresh(infusing)).overdue  # the sedation check did not reset the timer
    partial = services.record_vitals(
        by=alice, session=fresh(infusing), version=None, values={"systolic_mmhg": 130, "diastolic_mmhg": 80}
    )
    assert partial.kind == "partial" and monitoring.timer(fresh(infusing)).overdue
    assert "still needed heart rate, SpO2" in monitoring.saved_message(partial)
    full = services.record_vitals(by=alice, session=fresh(infusing), version=None, values=NORMAL_VITALS)
    assert full.kind == "vitals" and monitoring.saved_message(full) == "Vitals saved."
    timer = monitoring.timer(fresh(infusing))
    assert not timer.overdue and timer.next_due_at == full.taken_at + dt.timedelta(minutes=10)
    assert AuditEvent.objects.filter(action="session.vitals", detail__kind="sedation").count() == 1
    assert "MOAA/S 4, RASS —  [sedation check]" in notes.assemble_note(fresh(infusing))


@pytest.mark.django_db
def test_a_protocol_asking_for_the_respiratory_rate_needs_it_in_the_scheduled_reading(
    alice: Any, bob: Any, infusing: Any, clock: Any
) -> None:
    from ketaclinic.infusions.models import TreatmentSession
    from ketaclinic.plans.models import ProtocolTuning

    ProtocolTuning.objects.create(
        clinic=infusing.location.clinic,
        protocol_id="depression_iv",
        version=7,
        overrides={"respiratory_rate_with_vitals": True},
        changed_by=bob,
        reason="RR with every reading",
    )
    TreatmentSession.objects.filter(pk=infusing.pk).update(protocol_tuning_version=7)
    values = {k: v for k, v in NORMAL_VITALS.items() if k != "respiratory_rate_per_min"}
    reading = services.record_vitals(by=alice, session=fresh(infusing), version=None, values=values)
    assert reading.kind == "partial"
    assert monitoring.saved_message(reading).endswith("still needed respiratory rate.")


# --- Ending an infusion short of its order asks why -------------------------------------------------------------------


@pytest.mark.django_db
def test_an_infusion_ended_short_of_its_ordered_dose_needs_a_reason(alice: Any, infusing: Any, clock: Any) -> None:
    from django.core.exceptions import ValidationError

    from ketaclinic.infusions.models import RateChange
    from ketaclinic.ledger.models import Kind, LedgerEntry

    clock.shift(dt.timedelta(minutes=2))  # 2 mg of 40 mg: 0.05 of the dose
    with pytest.raises(ValidationError) as info:
        services.end_infusion(by=alice, session=fresh(infusing), version=None, given_ml=D("0.20"))
    assert info.value.message_dict["early_end_reason"] == [
        "2.0 of the ordered 40.0 mg given: say why the infusion ends before the ordered dose. Nothing was saved."
    ]
    with pytest.raises(ValidationError, match="early_end_reason"):
        services.end_infusion(
            by=alice, session=fresh(infusing), version=None, given_ml=D("0.20"), early_end_reason="   "
        )
    unchanged = fresh(infusing)
    assert unchanged.status == "infusing" and unchanged.infusion_ended_at is None
    assert not RateChange.objects.filter(kind="end").exists()
    assert not LedgerEntry.objects.filter(kind=Kind.ADMINISTER).exists()
    ended = services.end_infusion(
        by=alice,
        session=fresh(infusing),
        version=None,
        given_ml=D("4.00"),  # the pump's own count can be the whole bag even though the rate history says less
    )
    assert ended.status == "observation" and ended.dose_delivered_mg == D("40.00")
    assert RateChange.objects.get(kind="end").reason == ""  # the full dose needs no reason


@pytest.mark.django_db
def test_the_early_end_reason_is_audited_and_on_the_record(alice: Any, bob: Any, infusing: Any, clock: Any) -> None:
    from tests.ledger.conftest import licence, sign

    clock.shift(dt.timedelta(minutes=4))
    witness = sign(licence(bob, "registered_nurse"), alice, fresh(infusing).location)
    session = services.end_infusion(
        by=alice,
        session=fresh(infusing),
        version=None,
        witness=witness,
        waste_manner="bag emptied into the waste container",
        early_end_reason="  Chest tightness; prescriber stopped the infusion  ",
    )
    end = session.rate_changes.get(kind="end")
    assert end.reason == "Ended early (4.0 of 40.0 mg): Chest tightness; prescriber stopped the infusion"
    event = AuditEvent.objects.get(action="session.end_infusion")
    assert event.detail["early"] is True
    assert event.detail["early_end_reason"] == "Chest tightness; prescriber stopped the infusion"
    assert "Ended 0.0 mg/h: Ended early (4.0 of 40.0 mg): Chest tightness" in notes.assemble_note(fresh(session))


# --- IV and IM: the minimum observation after the end of dosing -------------------------------------------------------


def _discharge(session: Any, by: Any, **changes: Any) -> Any:
    values = {
        "scale": "aldrete",
        "answers": [2, 2, 2, 2, 2],
        "sedation": False,
        "dissociation": False,
        "respiratory_depression": False,
        "escort_name": "Sam Rivera",
        "instructions_given": True,
        **changes,
    }
    return services.discharge_patient(by=by, session=fresh(session), version=None, **values)


@pytest.fixture
def just_ended(alice: Any, infusing: Any, clock: Any) -> Any:
    clock.shift(dt.timedelta(minutes=41))
    return services.end_infusion(by=alice, session=fresh(infusing), version=None)


@pytest.mark.django_db
def test_a_nurse_cannot_discharge_an_iv_patient_before_the_minimum_observation(
    alice: Any, just_ended: Any, clock: Any
) -> None:
    from django.core.exceptions import ValidationError

    clock.shift(dt.timedelta(minutes=10))
    for reason in ("", "Patient feels fine"):
        with pytest.raises(ValidationError) as info:
            _discharge(just_ended, alice, early_discharge_reason=reason)
        errors = info.value.message_dict
        assert errors["__all__"] == [
            "Not ready for discharge:",
            "Only 10 min of observation after the end of dosing; the minimum is 30 min (clinic policy). Earlier "
            "discharge needs the prescriber's written reason.",
        ]
        assert errors["early_discharge_reason"] == [
            "Only a prescriber can discharge before the minimum observation, with a written reason."
        ]
    session = fresh(just_ended)
    assert session.status == "observation" and not session.scores.filter(instrument="aldrete").exists()
    clock.shift(dt.timedelta(minutes=20))  # 30 min after the end: the nurse discharges, no reason needed
    discharged = _discharge(just_ended, alice)
    assert discharged.status == "discharged" and discharged.early_discharge_reason == ""
    assert discharged.discharge_assessment["observed_after_dosing_min"] == 30


@pytest.mark.django_db
def test_a_prescriber_discharges_early_only_with_a_written_reason_kept_on_the_record(
    bob: Any, just_ended: Any, clock: Any
) -> None:
    from django.core.exceptions import ValidationError

    clock.shift(dt.timedelta(minutes=12))
    with pytest.raises(ValidationError) as info:
        _discharge(just_ended, bob, early_discharge_reason="   ")
    assert info.value.message_dict["early_discharge_reason"] == [
        "Write why the patient may leave before the minimum observation."
    ]
    assert fresh(just_ended).status == "observation"
    session = _discharge(just_ended, bob, early_discharge_reason=" Baseline alert, escort waiting; reviewed at chair ")
    assert session.status == "discharged" and session.discharged_by == bob
    assert session.early_discharge_reason == "Baseline alert, escort waiting; reviewed at chair"
    event = AuditEvent.objects.get(action="session.discharge")
    assert event.detail["early_discharge_reason"] == "Baseline alert, escort waiting; reviewed at chair"
    assert event.detail["observed_after_dosing_min"] == 12
    assert (
        "Discharged before the minimum observation (12 of 30 min after the end of dosing, clinic policy); "
        "prescriber's reason: Baseline alert, escort waiting; reviewed at chair" in session.note_text
    )


@pytest.mark.django_db
def test_the_observation_clock_starts_at_the_end_of_the_infusion_not_its_start(
    alice: Any, just_ended: Any, clock: Any
) -> None:
    from ketaclinic.infusions.services import discharge as discharging

    session = fresh(just_ended)
    assert discharging.earliest_discharge(session) == session.infusion_ended_at + dt.timedelta(minutes=30)
    check = discharging.observation(session, at=timezone.now() + dt.timedelta(minutes=29, seconds=59))
    assert check is not None and not check.met and check.minutes_observed == 29


@pytest.mark.django_db
def test_a_sedation_score_alone_is_not_the_pre_dose_reading_in_the_header(
    client: Any, alice: Any, iv_order: Any, clock: Any
) -> None:
    session = check_in(iv_order, alice)
    services.record_vitals(by=alice, session=session, version=None, values={"moaas": 5})
    assert monitoring.timer(fresh(session)).next_due_at is not None
    sign_in(client, alice)
    header = client.get(reverse("infusions:status", args=[session.pk])).content.decode()
    assert "pre-dose: now" in header and "pre-dose taken" not in header
    services.record_vitals(by=alice, session=fresh(session), version=None, values=NORMAL_VITALS)
    assert "pre-dose taken" in client.get(reverse("infusions:status", args=[session.pk])).content.decode()
