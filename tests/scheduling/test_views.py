"""The calendar pages: the day view, booking and cancelling from it, and the clinic admin's set-up page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment, Chair, Closure, OpeningHours, RosterShift, SchedulingSettings
from tests.conftest import make_patient, sign_in
from tests.scheduling.conftest import local

pytestmark = pytest.mark.django_db


def day_url(location: Any, day: dt.date) -> str:
    return f"{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={location.pk}"


class TestDayView:
    def test_chairs_as_columns_and_the_appointment_in_local_time(
        self, client: Any, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        services.book(
            by=carol,
            patient=pat,
            kind="infusion_iv",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=iv_order,
        )
        sign_in(client, carol)
        page = client.get(day_url(main_st, day)).content.decode()
        assert page.index("Chair 1") < page.index("Chair 2") < page.index("Room A")
        assert "Pat Rivera" in page and "IV infusion" in page and "session 1" in page
        assert "09:00–10:25" in page  # shown in America/Chicago, stored in UTC
        assert 'rowspan="6"' in page  # 85 min in 15-minute rows
        event = AuditEvent.objects.filter(action="schedule.day_viewed").last()
        assert event is not None and event.detail["patients"] == [pat.pk]

    def test_queries_do_not_grow_with_the_appointments(
        self, client: Any, carol: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        client.get(day_url(main_st, day))
        with CaptureQueriesContext(connection) as few:
            client.get(day_url(main_st, day))
        for hour in range(8, 14):
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
        with CaptureQueriesContext(connection) as many:
            client.get(day_url(main_st, day))
        assert len(many.captured_queries) == len(few.captured_queries)

    def test_another_location_is_404_and_a_bad_date_is_today(
        self, client: Any, carol: Any, main_st: Any, lakeside: Any, floor: dict[str, Any]
    ) -> None:
        sign_in(client, carol)
        assert client.get(f"{reverse('schedule:day')}?location={lakeside.pk}").status_code == 404
        assert client.get(f"{reverse('schedule:day')}?location=abc").status_code == 404
        assert client.get(f"{reverse('schedule:day')}?date=2026-02-31").status_code == 200


class TestBookingFromThePage:
    def test_book_a_consultation_and_see_it(
        self, client: Any, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        response = client.post(
            reverse("schedule:book"),
            {
                "location": main_st.pk,
                "patient": pat.pk,
                "kind": "consultation",
                "start": f"{day:%Y-%m-%d}T10:00",
                "chair": floor["room"].pk,
            },
        )
        assert response.status_code == 302 and response["Location"] == day_url(main_st, day)
        appointment = Appointment.objects.get()
        assert appointment.starts_at == local(day, 10)
        assert "Booked Consultation for Pat Rivera" in client.get(response["Location"]).content.decode()

    def test_a_refusal_names_the_rule_and_writes_nothing(
        self, client: Any, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        sign_in(client, carol)
        response = client.post(
            reverse("schedule:book"),
            {
                "location": main_st.pk,
                "patient": pat.pk,
                "kind": "infusion_iv",
                "start": f"{day:%Y-%m-%d}T18:30",
                "chair": floor["chair1"].pk,
                "order": iv_order.pk,
            },
        )
        assert response.status_code == 200
        assert "outside the location&#x27;s opening hours" in response.content.decode()
        assert response.context["day"] == day  # the day being booked, not today
        assert not Appointment.objects.exists()

    def test_a_session_without_an_order_is_a_field_error(
        self, client: Any, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        response = client.post(
            reverse("schedule:book"),
            {
                "location": main_st.pk,
                "patient": pat.pk,
                "kind": "esketamine",
                "start": f"{day:%Y-%m-%d}T10:00",
                "chair": floor["chair1"].pk,
            },
        )
        assert "Choose the session order" in response.content.decode() and not Appointment.objects.exists()

    def test_cancel_from_the_page(
        self, client: Any, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        booked = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
        sign_in(client, carol)
        url = reverse("schedule:cancel", args=[booked.pk])
        client.post(url, {"reason": ""})
        assert Appointment.objects.get().status == "booked"
        response = client.post(url, {"reason": "rescheduled by phone"}, follow=True)
        assert "Cancelled the Consultation of Pat Rivera" in response.content.decode()
        assert Appointment.objects.get().cancel_reason == "rescheduled by phone"
        response = client.post(url, {"reason": "again"}, follow=True)
        assert "cannot be cancelled" in response.content.decode()

    def test_cannot_cancel_at_another_location(
        self, client: Any, carol: Any, erin: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        booked = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
        sign_in(client, erin)
        assert client.post(reverse("schedule:cancel", args=[booked.pk]), {"reason": "x"}).status_code == 404


class TestSetup:
    def test_the_admin_sets_up_a_location(self, client: Any, dave: Any, alice: Any, main_st: Any) -> None:
        sign_in(client, dave)
        loc = {"location": main_st.pk}
        assert client.get(f"{reverse('schedule:setup')}?location={main_st.pk}").status_code == 200
        client.post(
            reverse("schedule:setup_settings"),
            {
                **loc,
                "settings-patients_per_nurse": "3",
                "settings-turnover_min": "20",
                "settings-checkin_min": "15",
                "settings-slot_step_min": "15",
                "settings-reminder_early_hours": "48",
                "settings-reminder_day_before_hours": "24",
            },
        )
        assert SchedulingSettings.objects.get(clinic=main_st.clinic).patients_per_nurse == 3
        client.post(
            reverse("schedule:setup_chair"),
            {
                **loc,
                "chair-label": "Bay 1",
                "chair-kind": "chair",
                "chair-has_infusion_pump": "on",
                "chair-has_monitor": "on",
            },
        )
        chair = Chair.objects.get(label="Bay 1")
        assert chair.equipment == frozenset({"infusion_pump", "monitor"})
        client.post(reverse("schedule:setup_chair_toggle", args=[chair.pk]))
        assert not Chair.objects.get(pk=chair.pk).is_active
        client.post(
            reverse("schedule:setup_hours"),
            {**loc, "hours-weekday": "0", "hours-opens_at": "08:00", "hours-closes_at": "17:00"},
        )
        hours = OpeningHours.objects.get()
        client.post(
            reverse("schedule:setup_closure"),
            {
                **loc,
                "closure-first_day": "2026-12-24",
                "closure-last_day": "2026-12-26",
                "closure-reason": "Winter break",
            },
        )
        assert Closure.objects.get().reason == "Winter break"
        client.post(
            reverse("schedule:setup_shift"),
            {**loc, "shift-user": alice.pk, "shift-starts_at": "2026-12-21T08:00", "shift-ends_at": "2026-12-21T16:00"},
        )
        shift = RosterShift.objects.get()
        assert shift.role == "nurse" and shift.starts_at == dt.datetime(2026, 12, 21, 14, 0, tzinfo=dt.UTC)
        client.post(reverse("schedule:setup_shift_remove", args=[shift.pk]))
        client.post(reverse("schedule:setup_hours_remove", args=[hours.pk]))
        assert not RosterShift.objects.exists() and not OpeningHours.objects.exists()
        actions = set(AuditEvent.objects.filter(action__startswith="schedule.").values_list("action", flat=True))
        assert actions >= {
            "schedule.settings",
            "schedule.chair_added",
            "schedule.chair_saved",
            "schedule.hours_added",
            "schedule.closure_added",
            "schedule.shift_added",
            "schedule.shift_removed",
            "schedule.hours_removed",
        }

    def test_a_refused_change_comes_back_into_its_form(self, client: Any, dave: Any, main_st: Any) -> None:
        sign_in(client, dave)
        services.save_chair(by=dave, location=main_st, label="Bay 1")
        response = client.post(
            reverse("schedule:setup_chair"), {"location": main_st.pk, "chair-label": "Bay 1", "chair-kind": "chair"}
        )
        assert response.status_code == 422 and "already has a chair labelled" in response.content.decode()
        response = client.post(
            reverse("schedule:setup_hours"),
            {"location": main_st.pk, "hours-weekday": "0", "hours-opens_at": "17:00", "hours-closes_at": "08:00"},
        )
        assert "Opening must come before closing" in response.content.decode()
        assert Chair.objects.count() == 1 and not OpeningHours.objects.exists()


class TestResourceRules:
    def test_settings_refusals(self, dave: Any, carol: Any, main_st: Any, lakeside: Any) -> None:
        from ketaclinic.accounts.errors import PermissionDenied, ServiceError

        with pytest.raises(PermissionDenied):
            services.save_settings(by=carol, clinic=main_st.clinic, patients_per_nurse=2)
        with pytest.raises(ServiceError, match="at least one"):
            services.save_settings(by=dave, clinic=main_st.clinic, patients_per_nurse=0)
        with pytest.raises(ServiceError, match="every 5 to 120"):
            services.save_settings(by=dave, clinic=main_st.clinic, slot_step_min=1)
        with pytest.raises(ServiceError, match="Unknown settings"):
            services.save_settings(by=dave, clinic=main_st.clinic, colour="red")

    def test_chair_hours_closure_and_shift_refusals(
        self, dave: Any, alice: Any, erin: Any, main_st: Any, lakeside: Any
    ) -> None:
        from ketaclinic.accounts.errors import PermissionDenied, ServiceError

        with pytest.raises(ServiceError, match="label"):
            services.save_chair(by=dave, location=main_st, label=" ")
        lake_chair = services.save_chair(by=dave, location=lakeside, label="L1")
        with pytest.raises(PermissionDenied):
            services.save_chair(by=dave, location=main_st, chair=lake_chair, label="L2")
        with pytest.raises(ServiceError, match="weekday"):
            services.add_hours(by=dave, location=main_st, weekday=7, opens_at=dt.time(8), closes_at=dt.time(9))
        services.add_hours(by=dave, location=main_st, weekday=0, opens_at=dt.time(8), closes_at=dt.time(12))
        with pytest.raises(ServiceError, match="overlap"):
            services.add_hours(by=dave, location=main_st, weekday=0, opens_at=dt.time(11), closes_at=dt.time(13))
        with pytest.raises(ServiceError, match="ends before"):
            services.add_closure(
                by=dave, location=main_st, first_day=dt.date(2027, 1, 2), last_day=dt.date(2027, 1, 1), reason="x"
            )
        with pytest.raises(ServiceError, match="Say why"):
            services.add_closure(
                by=dave, location=main_st, first_day=dt.date(2027, 1, 1), last_day=dt.date(2027, 1, 1), reason=" "
            )
        start = local(dt.date(2027, 1, 4), 8)
        with pytest.raises(ServiceError, match="does not work at"):
            services.add_shift(
                by=dave, user=erin, location=main_st, starts_at=start, ends_at=start + dt.timedelta(hours=8)
            )
        with pytest.raises(ServiceError, match="ends before"):
            services.add_shift(by=dave, user=alice, location=main_st, starts_at=start, ends_at=start)
        with pytest.raises(ServiceError, match="at most 16"):
            services.add_shift(
                by=dave, user=alice, location=main_st, starts_at=start, ends_at=start + dt.timedelta(hours=17)
            )
        services.add_shift(
            by=dave, user=alice, location=main_st, starts_at=start, ends_at=start + dt.timedelta(hours=8)
        )
        with pytest.raises(ServiceError, match="already rostered"):
            services.add_shift(
                by=dave,
                user=alice,
                location=main_st,
                starts_at=start + dt.timedelta(hours=1),
                ends_at=start + dt.timedelta(hours=9),
            )
        other_clinic = type(main_st.clinic).objects.create(name="Other clinic", timezone="America/Chicago")
        with pytest.raises(PermissionDenied):
            services.save_settings(by=dave, clinic=other_clinic, patients_per_nurse=2)
