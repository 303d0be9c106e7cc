"""The waiting-list pages, the day view's freed chairs with who fits, the patient's offer page, and the API."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment, WaitingListEntry, WaitingOffer
from tests.conftest import sign_in
from tests.scheduling.conftest import local
from tests.scheduling.waiting_scene import Scene, freed_chair_scene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def scene(carol: Any, bob: Any, main_st: Any, pat: Any, iv_order: Any, floor: dict[str, Any], day: dt.date) -> Scene:
    return freed_chair_scene(carol, bob, main_st, pat, iv_order, floor, day)


def waiting_url(location: Any) -> str:
    return f"{reverse('schedule:waiting')}?location={location.pk}"


def day_url(location: Any, day: dt.date) -> str:
    return f"{reverse('schedule:day')}?date={day:%Y-%m-%d}&location={location.pk}"


def offer_from_the_day_view(client: Any, main_st: Any, scene: Scene, entries: list[Any]) -> Any:
    c = scene.cancelled
    return client.post(
        reverse("schedule:waiting_offer"),
        {
            "location": main_st.pk,
            "chair": scene.chair.pk,
            "start": c.starts_at.isoformat(),
            "end": c.ends_at.isoformat(),
            "freed": c.pk,
            "entries": [e.pk for e in entries],
        },
    )


def links() -> list[str]:
    return [re.search(r"/a/o/[\w-]+/", m.body).group(0) for m in mail.outbox]  # type: ignore[union-attr]


class TestWaitingPage:
    def test_lists_the_entries_in_order_of_joining(self, client: Any, carol: Any, main_st: Any, scene: Scene) -> None:
        sign_in(client, carol)
        page = client.get(waiting_url(main_st)).content.decode()
        assert page.index("Sam Okafor") < page.index("Kim Novak")
        assert "Can come at short notice" in page and "Add to the waiting list" in page
        assert AuditEvent.objects.filter(action="schedule.waiting_viewed").exists()

    def test_other_locations_and_roles(
        self, client: Any, dave: Any, erin: Any, main_st: Any, scene: Scene, day: dt.date
    ) -> None:
        sign_in(client, erin)  # a nurse of Lakeside only
        assert client.get(waiting_url(main_st)).status_code == 404
        withdraw = reverse("schedule:waiting_withdraw", args=[scene.first.pk])
        assert client.post(withdraw, {"reason": "x"}).status_code == 404
        sign_in(client, dave)  # the clinic admin sees the list but does not book
        page = client.get(waiting_url(main_st))
        assert page.status_code == 200 and "Sam Okafor" in page.content.decode()
        assert "Add to the waiting list" not in page.content.decode()
        assert client.post(withdraw, {"reason": "x"}).status_code == 403
        assert client.post(reverse("schedule:waiting_add"), {"location": main_st.pk}).status_code == 403
        assert "Freed:" not in client.get(day_url(main_st, day)).content.decode()
        assert WaitingListEntry.objects.get(pk=scene.first.pk).status == "waiting"

    def test_add_and_withdraw(
        self, client: Any, carol: Any, main_st: Any, pat: Any, iv_order: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        form = {
            "location": main_st.pk,
            "patient": pat.pk,
            "kind": "infusion_iv",
            "plan_version": iv_order.plan_version.pk,
            "earliest_date": day.isoformat(),
            "latest_date": (day - dt.timedelta(days=1)).isoformat(),
            "weekdays": ["0", "2"],
            "not_before": "09:00",
        }
        refused = client.post(reverse("schedule:waiting_add"), form)
        assert refused.status_code == 422 and "latest date is before" in refused.content.decode()
        assert not WaitingListEntry.objects.exists()
        form["latest_date"] = (day + dt.timedelta(days=5)).isoformat()
        assert client.post(reverse("schedule:waiting_add"), form).status_code == 302
        entry = WaitingListEntry.objects.get()
        assert entry.weekdays == {0, 2} and entry.not_before == dt.time(9) and entry.created_by == carol
        withdraw = reverse("schedule:waiting_withdraw", args=[entry.pk])
        client.post(withdraw, {"reason": ""})
        assert WaitingListEntry.objects.get().status == "waiting"
        client.post(withdraw, {"reason": "Booked by phone"})
        assert WaitingListEntry.objects.get().status == "withdrawn"
        assert "Booked by phone" in client.get(waiting_url(main_st)).content.decode()


class TestFreedChairOnTheDayView:
    def test_shows_the_freed_chair_and_who_fits(
        self, client: Any, carol: Any, main_st: Any, scene: Scene, day: dt.date
    ) -> None:
        sign_in(client, carol)
        page = client.get(day_url(main_st, day)).content.decode()
        assert re.search(r"Freed: Chair 1, 14:00–\d\d:\d\d —\s+2 people on the waiting list fit", page), page
        assert "Sam Okafor" in page and "Kim Novak" in page

    def test_offer_then_the_first_patient_accepts_and_the_second_is_too_late(
        self, client: Any, carol: Any, main_st: Any, scene: Scene, day: dt.date
    ) -> None:
        sign_in(client, carol)
        response = offer_from_the_day_view(client, main_st, scene, [scene.first, scene.second])
        assert response.status_code == 302 and len(mail.outbox) == 2
        sam_link, kim_link = links()
        patient = Client()
        opened = patient.get(kim_link)
        assert opened.status_code == 200 and "Hello Kim" in opened.content.decode()
        assert "treatment visit" in opened.content.decode() and "Novak" not in opened.content.decode()
        assert patient.post(kim_link, {"answer": "maybe"}).status_code == 422  # neither button: nothing changes
        assert WaitingOffer.objects.filter(used_at__isnull=False).count() == 0
        booked = patient.post(kim_link, {"answer": "accept"})
        assert "You are booked, Kim" in booked.content.decode()
        assert patient.get(kim_link).status_code == 410  # used
        late = patient.get(sam_link)
        assert "This time has been taken — we will keep you on the list" in late.content.decode()
        late = patient.post(sam_link, {"answer": "accept"})
        assert "This time has been taken — we will keep you on the list" in late.content.decode()
        assert Appointment.objects.filter(status="booked", patient=scene.second.patient).count() == 1
        page = client.get(day_url(main_st, day)).content.decode()
        assert re.search(r"Filled from the waiting list: Chair 1, 14:00–\d\d:\d\d — Kim Novak booked", page)

    def test_an_offer_to_an_entry_of_another_location_or_nobody_is_refused(
        self, client: Any, carol: Any, main_st: Any, scene: Scene
    ) -> None:
        sign_in(client, carol)
        offer_from_the_day_view(client, main_st, scene, [])
        assert not WaitingOffer.objects.exists() and not mail.outbox

    def test_an_expired_link_changes_nothing(
        self, client: Any, carol: Any, dave: Any, main_st: Any, scene: Scene
    ) -> None:
        services.save_settings(by=dave, clinic=main_st.clinic, waitlist_offer_hours=1)
        sign_in(client, carol)
        offer_from_the_day_view(client, main_st, scene, [scene.first])
        (link,) = links()
        with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(hours=2), tick=False):
            answer = Client().post(link, {"answer": "accept"})
        assert answer.status_code == 410 and "This link cannot be used" in answer.content.decode()
        assert not Appointment.objects.filter(patient=scene.first.patient).exists()
        assert WaitingOffer.objects.get().used_at is None

    def test_a_chosen_free_time(
        self, client: Any, carol: Any, main_st: Any, scene: Scene, floor: dict[str, Any], day: dt.date
    ) -> None:
        sign_in(client, carol)
        url = reverse("schedule:waiting_match")
        query = {"location": main_st.pk, "chair": floor["chair2"].pk, "date": day.isoformat()}
        page = client.get(url, {**query, "from": "09:00", "to": "12:00"})
        assert page.status_code == 200 and "2 people on the waiting list fit" in page.content.decode()
        assert client.get(url, {**query, "from": "nine", "to": "12:00"}).status_code == 422
        assert client.get(url, {**query, "chair": 999999, "from": "09:00", "to": "12:00"}).status_code == 404


def bearer(user: Any, key: str | None = None) -> dict[str, str]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return headers


def post(user: Any, url: str, body: dict[str, Any], key: str = "k1") -> Any:
    return Client().post(url, json.dumps(body), content_type="application/json", **bearer(user, key))


class TestApi:
    BASE = "/api/v1/schedule"

    def test_waiting_list_add_list_withdraw(
        self, carol: Any, erin: Any, main_st: Any, pat: Any, iv_order: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        body = {
            "location_id": main_st.pk,
            "patient_id": pat.pk,
            "kind": "infusion_iv",
            "plan_version_id": iv_order.plan_version.pk,
            "earliest_date": day.isoformat(),
            "latest_date": (day + dt.timedelta(days=3)).isoformat(),
            "preferred_weekdays": [1, 3],
            "not_after": "15:00",
        }
        assert post(carol, f"{self.BASE}/waiting-list", body, key="").status_code == 400
        bad = post(carol, f"{self.BASE}/waiting-list", {**body, "plan_version_id": None}, key="w0")
        assert bad.status_code == 422 and bad.json()["detail"][0]["loc"] == ["body", "plan_version_id"]
        first = post(carol, f"{self.BASE}/waiting-list", body, key="w1")
        assert first.status_code == 201, first.json()
        assert first.json()["status"] == "waiting" and first.json()["preferred_weekdays"] == [1, 3]
        assert first.json()["not_after"] == "15:00"
        again = post(carol, f"{self.BASE}/waiting-list", body, key="w1")
        assert again.status_code == 201 and again.json() == first.json() and WaitingListEntry.objects.count() == 1
        listed = Client().get(f"{self.BASE}/waiting-list", {"location_id": main_st.pk}, **bearer(carol))
        assert [e["id"] for e in listed.json()["items"]] == [first.json()["id"]]
        hidden = Client().get(f"{self.BASE}/waiting-list", {"location_id": main_st.pk}, **bearer(erin))
        assert hidden.status_code == 404
        url = f"{self.BASE}/waiting-list/{first.json()['id']}/withdraw"
        assert post(erin, url, {"reason": "x"}, key="x1").status_code == 404
        assert post(carol, url, {"reason": " "}, key="x2").status_code == 422
        done = post(carol, url, {"reason": "moved away"}, key="x3")
        assert done.status_code == 200 and done.json()["status"] == "withdrawn"
        assert done.json()["withdraw_reason"] == "moved away"
        assert post(carol, url, {"reason": "again"}, key="x4").status_code == 422

    def test_no_show_only_after_the_start(
        self, carol: Any, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        with time_machine.travel(local(day, 8), tick=False):
            appointment = services.book(
                by=carol, patient=pat, kind="consultation", location=main_st, start=local(day, 10)
            )
            url = f"{self.BASE}/appointments/{appointment.pk}/no-show"
            early = post(carol, url, {"reason": "did not come"}, key="n1")
            assert early.status_code == 422 and "not started" in str(early.json()["detail"])
        with time_machine.travel(local(day, 10, 20), tick=False):
            assert post(dave, url, {"reason": "did not come"}, key="n2").status_code == 403
            assert post(carol, url, {"reason": ""}, key="n3").status_code == 422
            done = post(carol, url, {"reason": "did not come"}, key="n4")
            assert done.status_code == 200 and done.json()["status"] == "no_show"
        assert AuditEvent.objects.filter(action="schedule.no_show").count() == 1
