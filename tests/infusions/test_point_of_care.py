"""Safe at the point of care (issue 15, items 6 and 7): a paused infusion says so in the chair's header and on the
floor board; a scheduled reading needs the vital signs, not only a sedation score; an infusion ended short of its
ordered dose says why; IV and IM patients are observed for the protocol's minimum after the end of dosing unless a
prescriber writes why they may leave earlier."""

from __future__ import annotations

import datetime as dt
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
