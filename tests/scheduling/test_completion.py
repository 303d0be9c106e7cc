"""An appointment is completed when its treatment session's note is signed (one transaction, audited
``schedule.complete``); a visit without a session is marked completed from the day view once it has started; a
cancelled or missed appointment is never completed. The clock is moved with time-machine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services as infusions
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from tests.conftest import sign_in
from tests.infusions.conftest import ALDRETE_10, complete_check_in, fresh, make_stock, start_iv
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db


def _consultation(carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], start: dt.datetime) -> Appointment:
    return services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=start, chair=floor["room"])


def test_signing_the_session_note_completes_the_appointment_in_the_same_transaction(
    carol: Any,
    alice: Any,
    bob: Any,
    clinic: Any,
    pat: Any,
    main_st: Any,
    floor: dict[str, Any],
    iv_order: Any,
    day: dt.date,
) -> None:
    stock = make_stock(main_st, clinic, alice)
    with time_machine.travel(local(day, 8), tick=False) as clock:
        appointment = services.book(
            by=carol,
            patient=pat,
            kind="infusion_iv",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=iv_order,
        )
        clock.move_to(local(day, 9))
        session = infusions.check_in_appointment(by=alice, appointment=appointment)
        session = start_iv(complete_check_in(session, alice), alice, stock)
        clock.shift(dt.timedelta(minutes=41))
        infusions.end_infusion(by=alice, session=fresh(session), version=None)
        clock.shift(dt.timedelta(minutes=30))
        discharged = infusions.discharge_patient(
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
        assert Appointment.objects.get(pk=appointment.pk).status == "checked_in"  # discharge alone is not "done"
        infusions.sign_note(by=bob, session=discharged, version=None)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.COMPLETED
    event = AuditEvent.objects.get(action="schedule.complete")
    assert event.actor_id == bob.pk and event.patient_id == pat.pk and event.detail["by_session"] is True
    # A completed appointment still holds its chair and its order (it is live, not freed).
    assert Appointment.objects.filter(pk=appointment.pk, status__in=Appointment.LIVE).exists()


def test_a_treatment_session_is_not_completed_from_the_calendar_before_its_note_is_signed(
    carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False) as clock:
        appointment = services.book(
            by=carol,
            patient=pat,
            kind="infusion_iv",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=iv_order,
        )
        clock.move_to(local(day, 10))
        with pytest.raises(ServiceError, match="session note is signed"):
            services.mark_completed(by=carol, appointment=appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert not AuditEvent.objects.filter(action="schedule.complete").exists()


def test_a_consultation_is_completed_once_started_and_only_once(
    carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False) as clock:
        appointment = _consultation(carol, pat, main_st, floor, local(day, 9))
        with pytest.raises(ServiceError, match="not started"):
            services.mark_completed(by=carol, appointment=appointment)
        clock.move_to(local(day, 9, 5))
        done = services.mark_completed(by=carol, appointment=appointment)
        assert done.status == Appointment.Status.COMPLETED and done.version == 2
        with pytest.raises(ServiceError, match="already completed"):
            services.mark_completed(by=carol, appointment=appointment)
    assert AuditEvent.objects.filter(action="schedule.complete", patient_id=pat.pk).count() == 1


@pytest.mark.parametrize("how", ["cancel", "no_show"])
def test_a_cancelled_or_missed_appointment_cannot_be_completed(
    how: str, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False) as clock:
        appointment = _consultation(carol, pat, main_st, floor, local(day, 9))
        clock.move_to(local(day, 9, 30))
        if how == "cancel":
            services.cancel(by=carol, appointment=appointment, reason="Patient unwell")
        else:
            services.mark_no_show(by=carol, appointment=appointment, reason="Did not arrive")
        with pytest.raises(ServiceError, match="only a booked or checked-in one"):
            services.mark_completed(by=carol, appointment=appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == ("cancelled" if how == "cancel" else "no_show")
    assert not AuditEvent.objects.filter(action="schedule.complete").exists()


def test_completion_needs_a_role_that_books_at_the_location(
    carol: Any, dave: Any, erin: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False) as clock:
        appointment = _consultation(carol, pat, main_st, floor, local(day, 9))
        clock.move_to(local(day, 9, 30))
        for outsider in (dave, erin):  # a clinic admin does not book; erin works at Lakeside
            with pytest.raises(PermissionDenied):
                services.mark_completed(by=outsider, appointment=appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


class TestDayView:
    def test_mark_completed_appears_once_started_and_completes(
        self, client: Any, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        url = f"{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}"
        with time_machine.travel(local(day, 8), tick=False) as clock:
            appointment = _consultation(carol, pat, main_st, floor, local(day, 9))
            follow = services.book(by=carol, patient=pat, kind="follow_up", location=main_st, start=local(day, 11))
            sign_in(client, carol)
            complete = reverse("schedule:complete", args=[appointment.pk])
            assert complete not in client.get(url).content.decode()  # not started yet
            clock.move_to(local(day, 11, 10))
            sign_in(client, carol)  # three hours later: the idle timeout signed her out
            page = client.get(url).content.decode()
            assert complete in page and reverse("schedule:complete", args=[follow.pk]) in page
            response = client.post(complete, follow=True)
        text = response.content.decode()
        assert "Marked the Consultation of Pat Rivera completed." in text
        assert Appointment.objects.get(pk=appointment.pk).status == "completed"

    def test_refusal_is_shown_and_nothing_changes(
        self, client: Any, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        with time_machine.travel(local(day, 8), tick=False):
            appointment = _consultation(carol, pat, main_st, floor, local(day, 9))
            sign_in(client, carol)
            response = client.post(reverse("schedule:complete", args=[appointment.pk]), follow=True)
        assert "has not started yet" in response.content.decode()
        assert Appointment.objects.get(pk=appointment.pk).status == "booked"

    def test_access_another_location_is_404_a_clinic_admin_403_get_405(
        self, client: Any, carol: Any, dave: Any, erin: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        with time_machine.travel(local(day, 8), tick=False) as clock:
            appointment = _consultation(carol, pat, main_st, floor, local(day, 9))
            clock.move_to(local(day, 9, 30))
            url = reverse("schedule:complete", args=[appointment.pk])
            sign_in(client, erin)
            assert client.post(url).status_code == 404
            client.logout()
            sign_in(client, dave)
            assert client.post(url).status_code == 403
            client.logout()
            sign_in(client, carol)
            assert client.get(url).status_code == 405
        assert Appointment.objects.get(pk=appointment.pk).status == "booked"
