"""The calendar's staff views (issue 17): the booking form fetched on demand, the week view, "My day" and the
printable day list — what they show, who may see them (another location's staff get 404), their audit records and
query counts that do not grow with the data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain.scheduling import week_start
from ketaclinic.infusions import services as infusions
from ketaclinic.scheduling import services
from tests.conftest import make_patient, sign_in
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db


def url(name: str, **query: Any) -> str:
    return reverse(f"schedule:{name}") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def book_iv(carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], order: Any, start: dt.datetime) -> Any:
    return services.book(
        by=carol, patient=pat, kind="infusion_iv", location=main_st, start=start, chair=floor["chair1"], order=order
    )


def book_many(carol: Any, main_st: Any, floor: dict[str, Any], day: dt.date) -> None:
    for hour in range(8, 12):
        patient = make_patient(main_st, given_name=f"P{hour}", family_name="Many", email=f"p{hour}@example.org")
        services.book(
            by=carol,
            patient=patient,
            kind="consultation",
            location=main_st,
            start=local(day, hour),
            chair=floor["room"],
        )
        services.book(by=carol, patient=patient, kind="follow_up", location=main_st, start=local(day, hour + 5))


def same_queries(client: Any, address: str, grow: Any) -> None:
    client.get(address)
    with CaptureQueriesContext(connection) as few:
        assert client.get(address).status_code == 200
    grow()
    with CaptureQueriesContext(connection) as many:
        assert client.get(address).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries)


class TestBookingFormOnDemand:
    def test_the_day_view_carries_no_patient_list_until_the_form_is_opened(
        self, client: Any, carol: Any, pat: Any, lake: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        page = client.get(url("day", location=main_st.pk, date=f"{day:%Y-%m-%d}")).content.decode()
        assert 'id="id_patient"' not in page and "Book an appointment" in page
        form_url = url("book_form", date=f"{day:%Y-%m-%d}", location=main_st.pk)
        assert form_url.replace("&", "&amp;") in page  # the fragment's address (and the no-script link)
        fragment = client.get(form_url, headers={"HX-Request": "true"}).content.decode()
        assert 'id="id_patient"' in fragment and ("Rivera, Pat" in fragment or "Pat Rivera" in fragment)
        assert "Shore" not in fragment  # only the location's patients the user can see
        assert "<html" not in fragment and f'value="{day:%Y-%m-%d}T09:00"' in fragment
        whole = client.get(form_url).content.decode()  # without JavaScript: a page of its own
        assert "<html" in whole and 'id="id_patient"' in whole
        assert AuditEvent.objects.filter(action="schedule.book_form_viewed").count() == 2

    def test_who_may_open_the_form(
        self, client: Any, dave: Any, erin: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, dave)  # clinic admins do not book
        assert client.get(url("book_form", location=main_st.pk)).status_code == 403
        sign_in(client, erin)  # a nurse of another location
        assert client.get(url("book_form", location=main_st.pk)).status_code == 404

    def test_the_day_views_queries_do_not_grow_with_the_patients(
        self, client: Any, carol: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)

        def more_patients() -> None:
            for n in range(8):
                make_patient(main_st, given_name=f"Q{n}", family_name="More", email=f"q{n}@example.org")

        same_queries(client, url("day", location=main_st.pk, date=f"{day:%Y-%m-%d}"), more_patients)


class TestWeek:
    def test_the_week_by_day_with_closures_sessions_and_nurses(
        self,
        client: Any,
        carol: Any,
        dave: Any,
        pat: Any,
        main_st: Any,
        floor: dict[str, Any],
        iv_order: Any,
        day: dt.date,
    ) -> None:
        book_iv(carol, pat, main_st, floor, iv_order, local(day, 9))
        monday = week_start(day)
        other = monday if day != monday else monday + dt.timedelta(days=1)
        services.add_closure(by=dave, location=main_st, first_day=other, last_day=other, reason="Staff training")
        sign_in(client, carol)
        response = client.get(url("week", location=main_st.pk, week=f"{day:%Y-%m-%d}"))
        page = response.content.decode()
        assert response.context["monday"] == monday
        assert "Closed: Staff training" in page
        total = iv_order.plan_version.orders.count()
        for text in ("09:00–10:25", "Pat Rivera", "IV infusion", f"session 1 of {total}", "Chair 1", "Booked"):
            assert text in page
        assert "Nurse: Alice" in page  # alice is rostered over it (bob is the prescriber, not a nurse)
        assert f"date={day:%Y-%m-%d}&amp;location={main_st.pk}" in page  # each day links its day view
        assert "% booked" in page
        event = AuditEvent.objects.filter(action="schedule.week_viewed").last()
        assert event is not None and event.detail["patients"] == [pat.pk]
        # A bad week is this week; the day view links the week.
        assert client.get(url("week", location=main_st.pk, week="2026-02-31")).status_code == 200
        day_page = client.get(url("day", location=main_st.pk, date=f"{day:%Y-%m-%d}")).content.decode()
        assert reverse("schedule:week") in day_page and reverse("schedule:print") in day_page

    def test_another_locations_staff_get_404(self, client: Any, erin: Any, main_st: Any, floor: dict[str, Any]) -> None:
        sign_in(client, erin)
        assert client.get(url("week", location=main_st.pk)).status_code == 404
        assert client.get(url("print", location=main_st.pk)).status_code == 404

    def test_queries_do_not_grow_with_the_appointments(
        self, client: Any, carol: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        same_queries(
            client,
            url("week", location=main_st.pk, week=f"{day:%Y-%m-%d}"),
            lambda: book_many(carol, main_st, floor, day),
        )


class TestPrint:
    def test_the_list_for_the_wall(
        self,
        client: Any,
        carol: Any,
        pat: Any,
        main_st: Any,
        floor: dict[str, Any],
        iv_order: Any,
        day: dt.date,
    ) -> None:
        book_iv(carol, pat, main_st, floor, iv_order, local(day, 9))
        gone = services.book(by=carol, patient=pat, kind="follow_up", location=main_st, start=local(day, 14))
        services.cancel(by=carol, appointment=gone, reason="moved by phone")
        sign_in(client, carol)
        page = client.get(url("print", location=main_st.pk, date=f"{day:%Y-%m-%d}")).content.decode()
        for text in ("09:00–10:25", "Chair 1", "Pat Rivera", "1980-04-30", "IV infusion", "session 1 of", "Alice"):
            assert text in page
        assert 'class="print-gone"' in page and "Cancelled" in page
        assert "@media print" not in page and "schedule.css" in page  # the print rules live in the stylesheet
        event = AuditEvent.objects.filter(action="schedule.print_viewed").last()
        assert event is not None and event.detail["patients"] == [pat.pk]

    def test_queries_do_not_grow_with_the_appointments(
        self, client: Any, carol: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        same_queries(
            client,
            url("print", location=main_st.pk, date=f"{day:%Y-%m-%d}"),
            lambda: book_many(carol, main_st, floor, day),
        )


class TestMyDay:
    def test_a_nurse_sees_her_shift_and_the_appointments_during_it(
        self,
        client: Any,
        carol: Any,
        alice: Any,
        erin: Any,
        pat: Any,
        main_st: Any,
        floor: dict[str, Any],
        iv_order: Any,
        day: dt.date,
    ) -> None:
        appointment = book_iv(carol, pat, main_st, floor, iv_order, local(day, 10))
        later = day + dt.timedelta(days=1)  # nobody is rostered: a follow-up still at the location
        services.book(by=carol, patient=pat, kind="follow_up", location=main_st, start=local(later, 9))
        with time_machine.travel(local(day, 8), tick=False):
            sign_in(client, alice)
            page = client.get(url("mine", date=f"{day:%Y-%m-%d}")).content.decode()
            assert "07:00–19:00" in page and "Main" in page  # her shift
            assert "Pat Rivera" in page and "10:00–11:25" in page and "Chair 1" in page
            assert "Check in on the floor board" in page and reverse("infusions:board") in page
            infusions.check_in_appointment(by=alice, appointment=appointment)
            page = client.get(url("mine", date=f"{day:%Y-%m-%d}")).content.decode()
            session = appointment.treatment_session
            assert "Open the session" in page and reverse("infusions:session", args=[session.pk]) in page
            page = client.get(url("mine", date=f"{later:%Y-%m-%d}")).content.decode()
            assert "You are not on the roster" in page and "Pat Rivera" not in page
            sign_in(client, carol)  # the front desk: every appointment at her locations
            page = client.get(url("mine", date=f"{later:%Y-%m-%d}")).content.decode()
            assert "Pat Rivera" in page and "Follow-up" in page and "Chart" in page
            sign_in(client, erin)  # another location's nurse sees nothing of Main
            page = client.get(url("mine", date=f"{day:%Y-%m-%d}")).content.decode()
            assert "Pat Rivera" not in page
        event = AuditEvent.objects.filter(action="schedule.my_day_viewed", actor=carol).last()
        assert event is not None and event.detail["patients"] == [pat.pk]

    def test_in_the_navigation_and_constant_queries(
        self, client: Any, carol: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        assert f'href="{reverse("schedule:mine")}"' in client.get(reverse("web:dashboard")).content.decode()
        same_queries(client, url("mine", date=f"{day:%Y-%m-%d}"), lambda: book_many(carol, main_st, floor, day))
