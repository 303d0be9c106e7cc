"""A whole IV series booked from the signed plan version in one step (issue 17), through the service and the API."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from typing import Any

import pytest
from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.accounts.errors import ServiceError
from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from ketaclinic.scheduling.services import series
from tests.scheduling.conftest import CHI, local, set_up_location

pytestmark = pytest.mark.django_db


@pytest.fixture
def staffed(dave: Any, alice: Any, main_st: Any, day: dt.date) -> dict[str, Any]:
    """Main set up, alice rostered every day for four weeks from ``day``."""
    chairs = set_up_location(dave, main_st)
    for offset in range(-2, 28):
        date = day + dt.timedelta(days=offset)
        services.add_shift(by=dave, user=alice, location=main_st, starts_at=local(date, 7), ends_at=local(date, 19))
    return {**chairs, "nurse": alice}


def local_days(appointments: list[Any]) -> list[dt.date]:
    return [a.starts_at.astimezone(CHI).date() for a in appointments]


def test_every_open_order_is_booked_in_the_plans_rhythm(
    carol: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    version = iv_order.plan_version
    orders = list(version.orders.order_by("session_number"))
    booked = series.book_series(by=carol, version=version, location=main_st, start_date=day)
    assert [a.order_id for a in booked] == [o.pk for o in orders]
    planned = [(o.target_date - orders[0].target_date).days for o in orders]
    assert [(d - day).days for d in local_days(booked)] == planned
    assert all(a.starts_at.astimezone(CHI).time() == dt.time(9) for a in booked)
    assert AuditEvent.objects.filter(action="schedule.series_booked", patient_id=version.plan.patient_id).count() == 1
    with pytest.raises(ServiceError, match="Every session of this plan version is booked"):
        series.propose(by=carol, version=version, location=main_st, start_date=day)


def test_a_closed_day_moves_one_session_by_a_day(
    carol: Any, dave: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    version = iv_order.plan_version
    plan = series.propose(by=carol, version=version, location=main_st, start_date=day)
    second = plan[1].start.astimezone(CHI).date()
    services.add_closure(by=dave, location=main_st, first_day=second, last_day=second, reason="inspection")
    moved = series.propose(by=carol, version=version, location=main_st, start_date=day)
    assert moved[1].start.astimezone(CHI).date() in (second + dt.timedelta(days=1), second - dt.timedelta(days=1))
    assert moved[0].start == plan[0].start
    # Later sessions may shift with it, never closer than the protocol allows (3 a week at most → 2 days apart).
    days = [p.start.astimezone(CHI).date() for p in moved]
    assert all((later - earlier).days >= 2 for earlier, later in itertools.pairwise(days))
    assert second not in days


def test_preferred_times_are_tried_in_order(
    carol: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    plan = series.propose(
        by=carol, version=iv_order.plan_version, location=main_st, start_date=day, preferred_times=(dt.time(14, 30),)
    )
    assert {p.start.astimezone(CHI).time() for p in plan} == {dt.time(14, 30)}


def test_what_cannot_be_placed_is_named_and_nothing_is_written(
    carol: Any, dave: Any, main_st: Any, alice: Any, iv_order: Any, day: dt.date
) -> None:
    set_up_location(dave, main_st)
    services.add_shift(by=dave, user=alice, location=main_st, starts_at=local(day, 7), ends_at=local(day, 19))
    with pytest.raises(ServiceError) as refused:
        series.book_series(by=carol, version=iv_order.plan_version, location=main_st, start_date=day)
    assert "Session 2" in refused.value.message and "nurse" in refused.value.message
    assert "Session 1" not in refused.value.message
    assert not Appointment.objects.exists()


def test_refusals_before_the_search(
    carol: Any, dave: Any, bob: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    from ketaclinic.accounts.errors import PermissionDenied
    from ketaclinic.plans.models import PlanVersion

    version = iv_order.plan_version
    with pytest.raises(PermissionDenied):
        series.propose(by=dave, version=version, location=main_st, start_date=day)
    with pytest.raises(ServiceError, match="in the past"):
        series.propose(by=carol, version=version, location=main_st, start_date=day - dt.timedelta(days=30))
    PlanVersion.objects.filter(pk=version.pk).update(status="superseded")
    version.refresh_from_db()
    with pytest.raises(ServiceError, match="not signed"):
        series.propose(by=carol, version=version, location=main_st, start_date=day)


class TestSeriesApi:
    def post(self, user: Any, body: dict[str, Any], key: str = "s1") -> Any:
        token = accounts.create_api_token(by=None, user=user)
        return Client().post(
            "/api/v1/schedule/series",
            json.dumps(body),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {token}",
            HTTP_IDEMPOTENCY_KEY=key,
        )

    def test_book_a_series_once(
        self, carol: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        body = {
            "plan_version_id": iv_order.plan_version_id,
            "start_date": day.isoformat(),
            "preferred_start_times": ["10:15"],
        }
        first = self.post(carol, body)
        assert first.status_code == 201, first.json()
        items = first.json()["appointments"]
        assert len(items) == iv_order.plan_version.orders.count()
        assert dt.datetime.fromisoformat(items[0]["start"]).astimezone(CHI).time() == dt.time(10, 15)
        assert self.post(carol, body).json() == first.json()  # a retry books nothing more
        assert Appointment.objects.count() == len(items)

    def test_bad_requests(
        self, carol: Any, lake: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        body = {"plan_version_id": iv_order.plan_version_id, "start_date": day.isoformat()}
        assert self.post(carol, {**body, "preferred_start_times": ["9am"]}).status_code == 422
        assert self.post(carol, {**body, "plan_version_id": 999999}, key="s2").status_code == 404
        past = self.post(carol, {**body, "start_date": "2020-01-01"}, key="s3")
        assert past.status_code == 422 and "past" in json.dumps(past.json())
        assert not Appointment.objects.exists()


class TestSeriesPage:
    def test_propose_move_one_session_and_book_all(
        self, client: Any, carol: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        from django.urls import reverse

        from tests.conftest import sign_in

        version = iv_order.plan_version
        sign_in(client, carol)
        listed = client.get(f"{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={main_st.pk}").content.decode()
        assert reverse("schedule:series", args=[version.pk]) in listed
        url = reverse("schedule:series", args=[version.pk])
        page = client.get(url, {"start_date": day.isoformat(), "times": "10:00"})
        assert page.status_code == 200 and len(page.context["rows"]) == version.orders.count()
        rows = page.context["rows"]
        form: dict[str, Any] = {"start_date": day.isoformat(), "order": [p.order.pk for p, _ in rows]}
        for placement, local_start in rows:
            form[f"start-{placement.order.pk}"] = local_start.strftime("%Y-%m-%dT%H:%M")
            form[f"chair-{placement.order.pk}"] = placement.chair.pk
        moved = rows[2][0].order.pk
        form[f"start-{moved}"] = rows[2][1].replace(hour=15).strftime("%Y-%m-%dT%H:%M")
        # Moved outside the opening hours first: refused, nothing written, the rows kept as left.
        refused = client.post(url, {**form, f"start-{moved}": rows[2][1].replace(hour=18).strftime("%Y-%m-%dT%H:%M")})
        assert refused.status_code == 422 and "opening hours" in refused.content.decode()
        assert not Appointment.objects.exists()
        response = client.post(url, form)
        assert response.status_code == 302
        booked = Appointment.objects.order_by("starts_at")
        assert booked.count() == len(rows)
        assert booked.get(order_id=moved).starts_at.astimezone(CHI).time() == dt.time(15)


def test_the_rest_of_a_started_series_keeps_its_spacing_from_the_booked_session(
    carol: Any, main_st: Any, staffed: dict[str, Any], iv_order: Any, day: dt.date
) -> None:
    from zoneinfo import ZoneInfo

    version = iv_order.plan_version
    services.book(
        by=carol,
        patient=version.plan.patient,
        kind="infusion_iv",
        location=main_st,
        start=local(day, 9),
        chair=staffed["chair1"],
        order=iv_order,
    )
    with pytest.raises(ServiceError, match="Session 2"):
        series.propose(by=carol, version=version, location=main_st, start_date=day)  # same day as session 1
    second = version.orders.get(session_number=2)
    suggested = series.suggested_start(version, ZoneInfo("America/Chicago"), day - dt.timedelta(days=7))
    assert suggested == day + (second.target_date - iv_order.target_date)
    plan = series.propose(by=carol, version=version, location=main_st, start_date=suggested)
    assert [p.order.session_number for p in plan] == [2, 3, 4, 5, 6]
    assert plan[0].start.astimezone(CHI).date() == suggested
    assert series.suggested_start(version, ZoneInfo("America/Chicago"), suggested + dt.timedelta(days=30)) == (
        suggested + dt.timedelta(days=31)
    )


def test_an_esketamine_induction_is_never_closer_than_three_days(
    carol: Any, bob: Any, dave: Any, main_st: Any, staffed: dict[str, Any], esk_order: Any, day: dt.date
) -> None:
    """Label: twice a week in weeks 1-4 (scheduling.md §2.1) → at least 3 days apart; prescriber onsite throughout."""
    for offset in range(0, 70):
        date = day + dt.timedelta(days=offset)
        services.add_shift(by=dave, user=bob, location=main_st, starts_at=local(date, 7), ends_at=local(date, 19))
        if offset >= 28:  # ``staffed`` rosters alice for four weeks; the induction and early maintenance run longer
            services.add_shift(
                by=dave, user=staffed["nurse"], location=main_st, starts_at=local(date, 7), ends_at=local(date, 19)
            )
    plan = series.propose(by=carol, version=esk_order.plan_version, location=main_st, start_date=day)
    days = [p.start.astimezone(CHI).date() for p in plan]
    assert len(plan) == esk_order.plan_version.orders.count()
    assert all((later - earlier).days >= 3 for earlier, later in itertools.pairwise(days))
    assert all(p.end - p.start >= dt.timedelta(minutes=150) for p in plan)  # 15 + 5/10 + 120 + 15
