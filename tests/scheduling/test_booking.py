"""Booking and cancelling through ``scheduling.services`` (issue 17): the rules refuse what they must, name the rule,
and write nothing; a booking is audited; times are stored in UTC and stay right across both 2026 DST changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.services import BookingRefused
from tests.scheduling.conftest import CHI, local, roster, set_up_location

pytestmark = pytest.mark.django_db


def rules_of(error: BookingRefused) -> list[str]:
    return [p.rule for p in error.problems]


class TestIvSession:
    def test_books_infusion_plus_observation_plus_turnover(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        appointment = services.book(
            by=carol,
            patient=pat,
            kind="infusion_iv",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=iv_order,
        )
        # depression_iv: 40 min infusion + 30 min minimum observation (clinic policy) + 15 min turnover.
        assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=85)
        assert appointment.starts_at.tzinfo is not None and appointment.starts_at.utcoffset() == dt.timedelta(0)
        assert appointment.status == "booked" and appointment.order == iv_order
        event = AuditEvent.objects.get(action="schedule.book")
        assert event.patient_id == pat.pk and event.actor_id == carol.pk

    def test_one_patient_per_chair_and_the_patient_in_one_place(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        from tests.conftest import make_patient

        services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9, 30))
        other = make_patient(main_st, given_name="Olu", family_name="Ade", email="olu@example.org")
        services.book(
            by=carol, patient=other, kind="consultation", location=main_st, start=local(day, 13), chair=floor["room"]
        )
        with pytest.raises(BookingRefused) as refused:
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 9),
                chair=floor["chair1"],
                order=iv_order,
            )
        assert rules_of(refused.value) == ["patient_free"]
        with pytest.raises(BookingRefused) as refused:
            services.book(
                by=carol, patient=pat, kind="intake", location=main_st, start=local(day, 13, 30), chair=floor["room"]
            )
        assert rules_of(refused.value) == ["chair_free"] and refused.value.slot_gone
        assert Appointment.objects.count() == 2

    def test_without_an_order_or_with_a_given_one(
        self, carol: Any, bob: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        with pytest.raises(BookingRefused) as refused:
            services.book(
                by=carol, patient=pat, kind="infusion_iv", location=main_st, start=local(day, 9), chair=floor["chair1"]
            )
        assert rules_of(refused.value) == ["signed_plan"] and refused.value.field == "order"
        with pytest.raises(BookingRefused, match="ordered for route 'iv', not for 'esketamine'"):
            services.book(
                by=carol,
                patient=pat,
                kind="esketamine",
                location=main_st,
                start=local(day, 9),
                chair=floor["chair1"],
                order=iv_order,
            )
        from ketaclinic.plans import services as plans

        plans.mark_order_given(by=bob, order=iv_order)
        with pytest.raises(BookingRefused, match="given, not open"):
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 9),
                chair=floor["chair1"],
                order=iv_order,
            )
        assert not Appointment.objects.exists()

    def test_an_order_is_booked_once(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
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
        with pytest.raises(BookingRefused, match="already booked"):
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 14),
                chair=floor["chair2"],
                order=iv_order,
            )

    def test_the_order_of_another_patients_plan(
        self, carol: Any, bob: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        from tests.conftest import make_patient

        other = make_patient(main_st, given_name="Olu", family_name="Ade", email="olu@example.org")
        with pytest.raises(BookingRefused, match="another patient's plan"):
            services.book(
                by=carol,
                patient=other,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 9),
                chair=floor["chair1"],
                order=iv_order,
            )

    def test_a_superseded_or_stopped_plan(
        self, carol: Any, bob: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        from ketaclinic.plans.models import PlanVersion, TreatmentPlan

        PlanVersion.objects.filter(pk=iv_order.plan_version_id).update(status="superseded")
        iv_order.refresh_from_db()
        with pytest.raises(BookingRefused, match="superseded, not signed"):
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 9),
                chair=floor["chair1"],
                order=iv_order,
            )
        PlanVersion.objects.filter(pk=iv_order.plan_version_id).update(status="signed")
        TreatmentPlan.objects.filter(pk=iv_order.plan_version.plan_id).update(status="stopped")
        iv_order = type(iv_order).objects.get(pk=iv_order.pk)
        with pytest.raises(BookingRefused, match="stopped"):
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 9),
                chair=floor["chair1"],
                order=iv_order,
            )

    def test_the_nurse_ratio_must_be_set_and_is_kept(
        self, carol: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        services.save_settings(by=dave, clinic=main_st.clinic, patients_per_nurse=None)
        with pytest.raises(BookingRefused) as refused:
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 9),
                chair=floor["chair1"],
                order=iv_order,
            )
        assert rules_of(refused.value) == ["nurse_ratio_unset"]
        assert "no published nurse-to-chair ratio exists" in str(refused.value) and ".md" not in str(refused.value)
        services.save_settings(by=dave, clinic=main_st.clinic, patients_per_nurse=1)
        services.book(
            by=carol,
            patient=pat,
            kind="infusion_iv",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=iv_order,
        )
        second = iv_order.plan_version.orders.get(session_number=2)
        from tests.conftest import make_patient

        assert second.plan_version.plan.patient == pat
        with pytest.raises(BookingRefused) as refused:
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 10),
                chair=floor["chair2"],
                order=second,
            )
        assert rules_of(refused.value) == ["patient_free", "nurse_ratio"]
        del make_patient


class TestEsketamine:
    def test_books_check_in_devices_and_two_hours(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], esk_order: Any, day: dt.date
    ) -> None:
        appointment = services.book(
            by=carol,
            patient=pat,
            kind="esketamine",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=esk_order,
        )
        devices = esk_order.devices
        expected = 15 + (devices - 1) * 5 + 120 + 15
        assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=expected)
        assert "REMS" in appointment.duration_basis

    def test_needs_a_prescriber_for_the_whole_window_and_rems(
        self, carol: Any, dave: Any, alice: Any, bob: Any, pat: Any, main_st: Any, esk_order: Any, day: dt.date
    ) -> None:
        chairs = set_up_location(dave, main_st)
        roster(dave, main_st, day, alice)
        services.add_shift(by=dave, user=bob, location=main_st, starts_at=local(day, 7), ends_at=local(day, 10))
        pat.consents.filter(kind="esketamine_rems").update(entered_in_error=True)
        with pytest.raises(BookingRefused) as refused:
            services.book(
                by=carol,
                patient=pat,
                kind="esketamine",
                location=main_st,
                start=local(day, 9),
                chair=chairs["chair1"],
                order=esk_order,
            )
        assert rules_of(refused.value) == ["rems_enrolment", "prescriber_onsite"]
        assert not Appointment.objects.exists()

    def test_needs_a_pulse_oximeter(
        self, carol: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], esk_order: Any, day: dt.date
    ) -> None:
        bare = services.save_chair(by=dave, location=main_st, label="Chair 9")
        with pytest.raises(BookingRefused, match="pulse oximeter"):
            services.book(
                by=carol,
                patient=pat,
                kind="esketamine",
                location=main_st,
                start=local(day, 9),
                chair=bare,
                order=esk_order,
            )


class TestBadInput:
    def test_in_the_past_outside_hours_in_a_closure(
        self, carol: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        yesterday = day - dt.timedelta(days=8)
        with pytest.raises(BookingRefused, match="already passed"):
            services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(yesterday, 9))
        with pytest.raises(BookingRefused) as refused:
            services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 18, 30))
        assert rules_of(refused.value) == ["opening_hours"] and "07:00–19:00" in str(refused.value)
        services.add_closure(by=dave, location=main_st, first_day=day, last_day=day, reason="staff training")
        with pytest.raises(BookingRefused, match="staff training"):
            services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
        assert not Appointment.objects.exists()

    def test_chair_of_another_location(
        self,
        carol: Any,
        dave: Any,
        pat: Any,
        main_st: Any,
        lakeside: Any,
        floor: dict[str, Any],
        iv_order: Any,
        day: dt.date,
    ) -> None:
        elsewhere = services.save_chair(
            by=dave, location=lakeside, label="Lake 1", has_infusion_pump=True, has_monitor=True
        )
        with pytest.raises(BookingRefused) as refused:
            services.book(
                by=carol,
                patient=pat,
                kind="infusion_iv",
                location=main_st,
                start=local(day, 9),
                chair=elsewhere,
                order=iv_order,
            )
        assert rules_of(refused.value) == ["chair_location"] and refused.value.field == "chair"

    def test_a_patient_the_user_cannot_see_and_a_location_they_do_not_work_at(
        self, carol: Any, lake: Any, pat: Any, main_st: Any, lakeside: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        with pytest.raises(PermissionDenied, match="not one you can see"):
            services.book(by=carol, patient=lake, kind="consultation", location=main_st, start=local(day, 9))
        with pytest.raises(PermissionDenied, match="do not work at"):
            services.book(by=carol, patient=pat, kind="consultation", location=lakeside, start=local(day, 9))
        assert not Appointment.objects.exists()

    def test_roles_naive_times_unknown_kinds_and_stray_orders(
        self, carol: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        with pytest.raises(PermissionDenied, match=r"schedule\.book"):
            services.book(by=dave, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
        with pytest.raises(ServiceError, match="time zone"):
            services.book(
                by=carol, patient=pat, kind="consultation", location=main_st, start=dt.datetime.combine(day, dt.time(9))
            )
        with pytest.raises(ServiceError, match="Unknown appointment kind"):
            services.book(by=carol, patient=pat, kind="massage", location=main_st, start=local(day, 9))
        with pytest.raises(ServiceError, match="Only a treatment session"):
            services.book(
                by=carol, patient=pat, kind="follow_up", location=main_st, start=local(day, 9), order=iv_order
            )


class TestCancel:
    def test_cancel_frees_the_chair_and_keeps_the_row(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        first = services.book(
            by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9), chair=floor["room"]
        )
        with pytest.raises(ServiceError, match="Say why"):
            services.cancel(by=carol, appointment=first, reason="  ")
        cancelled = services.cancel(by=carol, appointment=first, reason="patient unwell")
        assert cancelled.status == "cancelled" and cancelled.version == 2 and cancelled.cancelled_by == carol
        with pytest.raises(ServiceError, match="cannot be cancelled"):
            services.cancel(by=carol, appointment=first, reason="again")
        again = services.book(
            by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9), chair=floor["room"]
        )
        assert again.pk != first.pk and Appointment.objects.count() == 2
        assert AuditEvent.objects.filter(action="schedule.cancel", patient_id=pat.pk).count() == 1

    def test_only_staff_of_the_location_cancel(
        self, carol: Any, erin: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        booked = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 9))
        with pytest.raises(PermissionDenied):
            services.cancel(by=erin, appointment=booked, reason="x")
        with pytest.raises(PermissionDenied):
            services.cancel(by=dave, appointment=booked, reason="x")


class TestDaylightSaving:
    """America/Chicago 2026: forward on Sun 8 Mar (CST UTC-6 → CDT UTC-5), back on Sun 1 Nov."""

    @pytest.mark.parametrize(
        ("before", "after", "utc_before", "utc_after"),
        [
            (dt.date(2026, 3, 7), dt.date(2026, 3, 8), 15, 14),
            (dt.date(2026, 10, 31), dt.date(2026, 11, 1), 14, 15),
        ],
    )
    def test_nine_oclock_is_nine_oclock_on_both_sides(
        self,
        carol: Any,
        dave: Any,
        alice: Any,
        pat: Any,
        main_st: Any,
        before: dt.date,
        after: dt.date,
        utc_before: int,
        utc_after: int,
    ) -> None:
        with time_machine.travel(dt.datetime(before.year, before.month, 1, 12, tzinfo=dt.UTC), tick=False):
            from tests.conftest import make_patient

            set_up_location(dave, main_st)
            other = make_patient(main_st, given_name="Olu", family_name="Ade", email="olu@example.org")
            first = services.book(by=carol, patient=pat, kind="consultation", location=main_st, start=local(before, 9))
            second = services.book(
                by=carol, patient=other, kind="consultation", location=main_st, start=local(after, 9)
            )
            late = services.book(by=carol, patient=pat, kind="follow_up", location=main_st, start=local(after, 18, 30))
            with pytest.raises(BookingRefused, match="opening hours"):
                services.book(
                    by=carol, patient=other, kind="consultation", location=main_st, start=local(after, 18, 30)
                )
        assert (first.starts_at.hour, second.starts_at.hour) == (utc_before, utc_after)
        assert second.starts_at.astimezone(CHI).hour == 9
        assert late.ends_at.astimezone(CHI).time() == dt.time(19)


class TestPlanChanges:
    """An amended or stopped plan releases its future appointments (plans.hooks → scheduling.release_orders)."""

    def test_signing_an_amendment_moves_the_old_versions_appointments(
        self, carol: Any, bob: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        from ketaclinic.plans import services as plans
        from tests.infusions.conftest import clinic_zone
        from tests.plans.conftest import iv_input

        booked = services.book(
            by=carol,
            patient=pat,
            kind="infusion_iv",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=iv_order,
        )
        with clinic_zone(pat):
            draft = plans.amend(by=bob, signed=iv_order.plan_version, data=iv_input(), reason="dose review")
            plans.sign(by=bob, version=draft)
        booked.refresh_from_db()
        assert booked.status == "booked" and booked.order.plan_version_id == draft.pk
        assert booked.order.session_number == iv_order.session_number
        assert AuditEvent.objects.filter(action="schedule.move", patient_id=pat.pk).count() == 1
        assert not AuditEvent.objects.filter(action="schedule.cancel").exists()

    def test_stopping_the_plan_cancels_its_appointments(
        self, carol: Any, bob: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        from ketaclinic.followup.services.adjustments import adjust_plan
        from ketaclinic.plans import hooks

        booked = services.book(
            by=carol,
            patient=pat,
            kind="infusion_iv",
            location=main_st,
            start=local(day, 9),
            chair=floor["chair1"],
            order=iv_order,
        )
        hooks.orders_cancelled(by=bob, order_ids=[], reason="nothing")  # no orders: nothing happens
        assert Appointment.objects.get(pk=booked.pk).status == "booked"
        adjust_plan(by=bob, plan=iv_order.plan_version.plan, kind="stop", reason="Patient asked to stop.")
        booked.refresh_from_db()
        assert booked.status == "cancelled" and booked.cancel_reason == "The treatment plan was stopped."
