"""A signed amendment moves the superseded version's booked sessions onto the new version's orders with the same
session number when the booking rules still accept them (same start and chair, the new order's length); otherwise
the appointment is cancelled with a reason naming the rule. All in the signing transaction (plans.hooks)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest

from ketaclinic.audit.models import AuditEvent
from ketaclinic.plans import hooks
from ketaclinic.plans import services as plans
from ketaclinic.plans.models import PlanVersion, SessionOrder
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from tests.infusions.conftest import clinic_zone
from tests.plans.conftest import iv_input
from tests.scheduling.conftest import local, roster

pytestmark = pytest.mark.django_db


def _book(carol: Any, pat: Any, main_st: Any, chair: Any, order: Any, start: dt.datetime) -> Appointment:
    return services.book(
        by=carol, patient=pat, kind="infusion_iv", location=main_st, start=start, chair=chair, order=order
    )


def _amend_and_sign(bob: Any, signed: PlanVersion, **changes: Any) -> PlanVersion:
    with clinic_zone(signed.plan.patient):
        draft = plans.amend(by=bob, signed=signed, data=iv_input(**changes), reason="dose review")
        return plans.sign(by=bob, version=draft)


@pytest.fixture
def two_booked(
    carol: Any, dave: Any, alice: Any, bob: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: Any
) -> dict[str, Any]:
    later = day + dt.timedelta(days=3)
    roster(dave, main_st, later, alice, bob)
    second = iv_order.plan_version.orders.get(session_number=2)
    return {
        "first": _book(carol, pat, main_st, floor["chair1"], iv_order, local(day, 9)),
        "second": _book(carol, pat, main_st, floor["chair2"], second, local(later, 9)),
        "version": iv_order.plan_version,
    }


def test_every_booked_session_moves_to_the_same_session_of_the_new_version(
    bob: Any, pat: Any, two_booked: dict[str, Any]
) -> None:
    signed = _amend_and_sign(bob, two_booked["version"], infusion_duration_min=60)
    assert signed.calendar_changes == ["2 appointments moved to version 2."]
    for key, number in (("first", 1), ("second", 2)):
        appointment = Appointment.objects.get(pk=two_booked[key].pk)
        assert appointment.status == "booked" and appointment.order.plan_version_id == signed.pk
        assert appointment.order.session_number == number and appointment.starts_at == two_booked[key].starts_at
        assert appointment.chair_id == two_booked[key].chair_id
        # 60 min infusion + 30 min minimum observation (clinic policy) + 15 min turnover.
        assert appointment.ends_at - appointment.starts_at == dt.timedelta(minutes=105)
        assert appointment.version == 2
    assert AuditEvent.objects.filter(action="schedule.move", patient_id=pat.pk).count() == 2
    sign_event = AuditEvent.objects.get(action="plan.sign", object_id=str(signed.pk))
    assert sign_event.detail["calendar"] == ["2 appointments moved to version 2."]
    # The old orders are cancelled and hold nothing any more; the new orders hold the bookings.
    assert not Appointment.objects.filter(order__plan_version=two_booked["version"], status="booked").exists()


def test_a_session_the_rules_refuse_is_cancelled_naming_the_rule(
    carol: Any, bob: Any, pat: Any, main_st: Any, floor: dict[str, Any], two_booked: dict[str, Any], day: Any
) -> None:
    # Pat has a consultation at 10:30: the first session (09:00-10:25) can no longer be 105 minutes long.
    services.book(
        by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 10, 30), chair=floor["room"]
    )
    signed = _amend_and_sign(bob, two_booked["version"], infusion_duration_min=60)
    first = Appointment.objects.get(pk=two_booked["first"].pk)
    second = Appointment.objects.get(pk=two_booked["second"].pk)
    assert second.status == "booked" and second.order.plan_version_id == signed.pk
    assert first.status == "cancelled" and first.order.plan_version_id == two_booked["version"].pk
    assert first.cancel_reason == ("Not moved to plan version 2: The patient already has an appointment at that time.")
    assert first.cancelled_by == bob
    (said,) = signed.calendar_changes
    assert said.startswith("1 appointment moved to version 2; 1 cancelled: session 1 on ")
    assert "(The patient already has an appointment at that time.)" in said and "patient_free" not in said
    event = AuditEvent.objects.get(action="schedule.cancel", object_id=str(first.pk))
    assert event.detail["automatic"] == "plan change" and event.detail["rule"] == "patient_free"
    # The new version's session 1 is open and can be booked again.
    assert SessionOrder.objects.get(plan_version=signed, session_number=1).status == "open"


def test_a_session_the_amendment_no_longer_has_is_cancelled(bob: Any, two_booked: dict[str, Any]) -> None:
    signed = _amend_and_sign(bob, two_booked["version"], sessions_planned=1)
    assert Appointment.objects.get(pk=two_booked["first"].pk).order.plan_version_id == signed.pk
    second = Appointment.objects.get(pk=two_booked["second"].pk)
    assert (
        second.status == "cancelled"
        and second.cancel_reason == "Not moved to plan version 2: Version 2 has no session 2."
    )


@pytest.fixture
def failing_listener() -> Iterator[None]:
    def boom(**_: Any) -> list[str]:
        raise RuntimeError("calendar down")

    hooks.on_version_superseded("test-boom", boom)  # runs after the calendar's own listener
    yield
    hooks._superseded.pop("test-boom")


def test_nothing_is_half_done_when_signing_fails(bob: Any, two_booked: dict[str, Any], failing_listener: None) -> None:
    version = two_booked["version"]
    with clinic_zone(version.plan.patient):
        draft = plans.amend(by=bob, signed=version, data=iv_input(infusion_duration_min=60), reason="dose review")
        with pytest.raises(RuntimeError, match="calendar down"):
            plans.sign(by=bob, version=draft)
    assert PlanVersion.objects.get(pk=version.pk).status == "signed"
    assert PlanVersion.objects.get(pk=draft.pk).status == "draft"
    assert not SessionOrder.objects.filter(plan_version=draft).exists()
    assert set(SessionOrder.objects.filter(plan_version=version).values_list("status", flat=True)) == {"open"}
    for key in ("first", "second"):
        appointment = Appointment.objects.get(pk=two_booked[key].pk)
        assert appointment.status == "booked" and appointment.order.plan_version_id == version.pk
        assert appointment.ends_at == two_booked[key].ends_at
    assert (
        not AuditEvent.objects.filter(action__in=["schedule.move", "schedule.cancel", "plan.sign"])
        .exclude(object_id=str(version.pk))
        .exists()
    )


def test_the_plan_page_and_the_sign_message_say_what_happened(
    client: Any, bob: Any, two_booked: dict[str, Any]
) -> None:
    from django.urls import reverse

    from tests.conftest import sign_in

    version = two_booked["version"]
    with clinic_zone(version.plan.patient):
        draft = plans.amend(by=bob, signed=version, data=iv_input(infusion_duration_min=60), reason="dose review")
    sign_in(client, bob)
    response = client.post(reverse("plans:version_sign", args=[draft.pk]), follow=True)
    text = response.content.decode()
    assert "Calendar: 2 appointments moved to version 2." in text
    assert "Calendar, when this version was signed: 2 appointments moved to version 2." in text
