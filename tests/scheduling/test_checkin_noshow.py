"""Check-in starts from the appointment and takes its chair; no-shows and late cancellations are recorded with
reasons, audited, nothing deleted (issue 17). The clock is moved to the appointment's day (time-machine)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.infusions import services as infusions
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from tests.conftest import sign_in
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db


def _book_iv(carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], order: Any, start: dt.datetime) -> Any:
    return services.book(
        by=carol, patient=pat, kind="infusion_iv", location=main_st, start=start, chair=floor["chair2"], order=order
    )


def test_check_in_from_the_appointment_opens_the_session_in_its_chair(
    carol: Any, alice: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        session = infusions.check_in_appointment(by=alice, appointment=appointment)
    session.refresh_from_db()
    appointment.refresh_from_db()
    assert session.chair == "Chair 2"
    assert session.appointment_id == appointment.pk and session.order_id == iv_order.pk
    assert appointment.status == Appointment.Status.CHECKED_IN
    assert AuditEvent.objects.filter(action="schedule.check_in", patient_id=pat.pk).count() == 1
    assert AuditEvent.objects.get(action="session.check_in").detail["appointment"] == appointment.pk


def test_check_in_is_refused_on_another_day_and_writes_nothing(
    carol: Any, alice: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
    with (
        time_machine.travel(local(day - dt.timedelta(days=1), 9), tick=False),
        pytest.raises(ValidationError, match="not today"),
    ):
        infusions.check_in_appointment(by=alice, appointment=appointment)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert not TreatmentSession.objects.exists()


def test_a_cancelled_appointment_cannot_be_checked_in(
    carol: Any, alice: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        services.cancel(by=carol, appointment=appointment, reason="Patient unwell")
        with pytest.raises(ValidationError, match="cancelled"):
            infusions.check_in_appointment(by=alice, appointment=appointment)
    assert not TreatmentSession.objects.exists()


def test_a_front_desk_user_cannot_check_a_patient_in_to_a_chair(
    carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        with pytest.raises(ServiceError):
            infusions.check_in_appointment(by=carol, appointment=appointment)
    assert not TreatmentSession.objects.exists()


def test_no_show_only_after_the_start_and_with_a_reason(
    carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        with pytest.raises(ServiceError, match="not started"):
            services.mark_no_show(by=carol, appointment=appointment, reason="Did not arrive")
    with time_machine.travel(local(day, 10, 20), tick=False):
        with pytest.raises(ServiceError, match="Say why"):
            services.mark_no_show(by=carol, appointment=appointment, reason="  ")
        marked = services.mark_no_show(by=carol, appointment=appointment, reason="No answer on the phone")
    assert marked.status == Appointment.Status.NO_SHOW and marked.cancel_reason == "No answer on the phone"
    assert marked.cancelled_by == carol
    assert Appointment.objects.filter(pk=appointment.pk).exists()  # nothing deleted
    event = AuditEvent.objects.get(action="schedule.no_show")
    assert event.patient_id == pat.pk and event.detail["reason"] == "No answer on the phone"


def test_a_cancellation_inside_the_clinics_notice_window_is_late(
    carol: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
) -> None:
    services.save_settings(by=dave, clinic=main_st.clinic, late_cancel_notice_h=24)
    with time_machine.travel(local(day - dt.timedelta(days=3), 9), tick=False):
        early = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
        late = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 11))
        early = services.cancel(by=carol, appointment=early, reason="Rescheduling")
    with time_machine.travel(local(day, 8), tick=False):
        late = services.cancel(by=carol, appointment=late, reason="Childcare fell through")
    assert early.late_cancellation is False
    assert late.late_cancellation is True and late.cancel_reason == "Childcare fell through"
    assert AuditEvent.objects.filter(action="schedule.cancel", detail__late=True).count() == 1


def test_without_a_notice_window_no_cancellation_is_late(
    carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        booked = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
        cancelled = services.cancel(by=carol, appointment=booked, reason="Unwell")
    assert cancelled.late_cancellation is False


def test_board_and_today_list_show_the_appointment_and_check_in_from_it(
    client: Any, carol: Any, alice: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=True):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        sign_in(client, alice)
        for name in ("infusions:board", "infusions:board_rows", "infusions:today"):
            page = client.get(reverse(name), {"location": main_st.pk}).content.decode()
            assert "Today&#x27;s appointments" in page or "Today's appointments" in page
            assert "Rivera, Pat" in page and "Chair 2" in page and "IV infusion" in page
            assert reverse("infusions:check_in_appointment", args=[appointment.pk]) in page
        response = client.post(reverse("infusions:check_in_appointment", args=[appointment.pk]), {"next": "board"})
        session = TreatmentSession.objects.get(appointment=appointment)
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("infusions:session", args=[session.pk])
        )
        again = client.post(reverse("infusions:check_in_appointment", args=[appointment.pk]), {"next": "board"})
        assert again.status_code == 302 and reverse("infusions:board") in again["Location"]
        assert TreatmentSession.objects.count() == 1


def test_day_view_and_patient_page_show_no_shows_and_late_cancellations(
    client: Any, carol: Any, alice: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
) -> None:
    services.save_settings(by=dave, clinic=main_st.clinic, late_cancel_notice_h=24)
    with time_machine.travel(local(day, 8), tick=True):
        first = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 8, 30))
        second = services.book(by=carol, patient=pat, kind="follow_up", location=main_st, start=local(day, 12))
    with time_machine.travel(local(day, 9), tick=True):
        sign_in(client, carol)
        client.post(reverse("schedule:no_show", args=[first.pk]), {"reason": "Did not arrive, no answer"})
        client.post(reverse("schedule:cancel", args=[second.pk]), {"reason": "Car broke down"})
        page = client.get(reverse("schedule:day"), {"date": day.isoformat(), "location": main_st.pk}).content.decode()
        assert "No-show: Did not arrive, no answer" in page
        assert "(late cancellation): Car broke down" in page
        sign_in(client, alice)
        chart = client.get(reverse("infusions:patient_sessions", args=[pat.pk])).content.decode()
        assert "Did not arrive, no answer" in chart and "late cancellation" in chart
        assert "1 no-show and 1 late cancellation on record" in chart


def test_the_chair_of_a_session_checked_in_from_an_appointment_is_not_retyped(
    carol: Any, alice: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        session = infusions.check_in_appointment(by=alice, appointment=appointment)
        with pytest.raises(ValidationError, match="appointment"):
            infusions.update_checkin(by=alice, session=session, version=session.version, changes={"chair": "Chair 9"})
        same = infusions.update_checkin(
            by=alice, session=session, version=session.version, changes={"chair": "Chair 2", "escort_name": "Sam"}
        )
    assert same.chair == "Chair 2" and same.escort_name == "Sam"


def test_a_session_not_given_frees_its_appointments_chair_and_order(
    carol: Any, alice: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    with time_machine.travel(local(day, 8), tick=False):
        appointment = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        session = infusions.check_in_appointment(by=alice, appointment=appointment)
        infusions.cancel_session(by=alice, session=session, version=session.version, reason="BP too high today")
        appointment.refresh_from_db()
        assert appointment.status == Appointment.Status.CANCELLED
        assert appointment.cancel_reason == "Session not given: BP too high today"
        again = _book_iv(carol, pat, main_st, floor, iv_order, local(day, 14))  # the order and chair are free again
    assert again.status == Appointment.Status.BOOKED
