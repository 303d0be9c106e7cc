"""The floor board and its 15-second polls record which patients they show (issue 13, defect 9b; security.md H4).

One event per patient, when the patient appears on the board in the signed-in session (ketaclinic.audit.reads):
a patient who stays in a chair is not recorded again on every poll."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from tests.conftest import sign_in
from tests.infusions.conftest import check_in

ACTION = "session.board_patient_shown"


def shown() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=ACTION).order_by("seq"))


@pytest.mark.django_db
def test_board_polls_record_each_patient_once_while_shown(client: Any, alice: Any, erin: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice, chair="Chair 7")
    sign_in(client, alice)
    poll = {"HTTP_HX_REQUEST": "true", "HTTP_KC_BACKGROUND": "1"}
    rows = client.get(reverse("infusions:board_rows"), **poll)
    assert rows.status_code == 200 and "Chair 7" in rows.content.decode()
    [event] = shown()
    assert event.patient_id == session.patient_id and event.actor == alice
    assert event.detail["location_id"] == session.location_id
    for _ in range(3):  # later polls show the same patient: no new rows
        client.get(reverse("infusions:board_rows"), **poll)
    client.get(reverse("infusions:board"))
    assert len(shown()) == 1
    sign_in(client, erin)  # Lakeside's board shows nobody of Main's
    client.get(reverse("infusions:board_rows"), **poll)
    assert len(shown()) == 1


@pytest.mark.django_db
def test_the_board_page_records_the_patients_it_opens_with(client: Any, alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice, chair="Chair 2")
    sign_in(client, alice)
    assert "Chair 2" in client.get(reverse("infusions:board")).content.decode()
    assert [event.patient_id for event in shown()] == [session.patient_id]
    assert AuditEvent.objects.filter(action="session.board").count() == 1
