"""Screens that show patient data record a read (issue 13, defect 9b; security.md H4 "every patient-data read";
45 CFR 164.312(b)): the patient edit form and the staff dashboard. The floor board is in tests/infusions."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from ketaclinic.audit.models import AuditEvent
from tests.conftest import make_patient, sign_in


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@pytest.mark.django_db
def test_opening_the_patient_edit_form_is_audited(client: Client, carol: Any, pat: Any) -> None:
    sign_in(client, carol)
    response = client.get(f"/patients/{pat.pk}/edit/")
    assert response.status_code == 200 and "Rivera" in response.content.decode()
    [event] = events("patient.view_edit_form")
    assert event.patient_id == pat.pk and event.actor == carol and event.object_id == str(pat.pk)


@pytest.mark.django_db
def test_the_dashboard_records_each_patient_it_shows(client: Client, bob: Any, main_st: Any) -> None:
    from ketaclinic.patients import services

    data = {"given_name": "Mia", "family_name": "Mine", "date_of_birth": dt.date(1970, 1, 2), "sex": "female"}
    mine = services.create_patient(by=None, location=main_st, data=data, primary_clinician=bob)
    other = make_patient(main_st, given_name="Oli", family_name="Other")
    sign_in(client, bob)
    page = client.get("/staff/").content.decode()
    assert "Mine, Mia" in page
    shown = events("dashboard.patient_shown")
    assert [event.patient_id for event in shown] == [mine.pk] and shown[0].actor == bob
    assert other.pk not in {event.patient_id for event in shown}
    assert len(events("dashboard.view")) == 1
    # The same patients again in the same session: the page load is recorded, the patients are not repeated.
    client.get("/staff/")
    assert len(events("dashboard.view")) == 2 and len(events("dashboard.patient_shown")) == 1
