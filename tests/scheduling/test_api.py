"""/api/v1/schedule (CONTRACTS.md §6): slots, book, list, cancel; 409 when the slot is gone, 422 naming the rule."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.scheduling import services
from ketaclinic.scheduling.models import Appointment
from tests.scheduling.conftest import CHI, local

pytestmark = pytest.mark.django_db
BASE = "/api/v1/schedule"


def bearer(user: Any, key: str | None = None) -> dict[str, str]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    return headers


def post(user: Any, url: str, body: dict[str, Any], key: str = "k1") -> Any:
    return Client().post(url, json.dumps(body), content_type="application/json", **bearer(user, key))


class TestSlots:
    def test_iv_slots_for_an_order_skip_the_taken_chair(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], iv_order: Any, day: dt.date
    ) -> None:
        from tests.conftest import make_patient

        other = make_patient(main_st, given_name="Olu", family_name="Ade", email="olu@example.org")
        services.book(
            by=carol, patient=other, kind="consultation", location=main_st, start=local(day, 9), chair=floor["room"]
        )
        query = {
            "location_id": main_st.pk,
            "kind": "infusion_iv",
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
            "patient_id": pat.pk,
            "order_id": iv_order.pk,
        }
        response = Client().get(f"{BASE}/slots", query, **bearer(carol))
        assert response.status_code == 200, response.json()
        slots = response.json()
        assert {s["chair_label"] for s in slots} == {"Chair 1", "Chair 2"}  # never the room
        first = dt.datetime.fromisoformat(slots[0]["start"])
        assert first.astimezone(CHI).time() == dt.time(7)
        last = dt.datetime.fromisoformat(slots[-1]["end"]).astimezone(CHI)
        assert last.time() <= dt.time(19)
        # Every slot is accepted by the booking service (the same rules).
        chosen = slots[len(slots) // 2]
        booked = post(
            carol,
            f"{BASE}/appointments",
            {
                "patient_id": pat.pk,
                "kind": "infusion_iv",
                "start": chosen["start"],
                "location_id": main_st.pk,
                "chair_id": chosen["chair_id"],
                "order_id": iv_order.pk,
            },
        )
        assert booked.status_code == 201, booked.json()

    def test_a_booked_chair_is_not_offered(
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
        second = iv_order.plan_version.orders.get(session_number=2)
        query = {
            "location_id": main_st.pk,
            "kind": "infusion_iv",
            "date_from": day.isoformat(),
            "date_to": day.isoformat(),
            "order_id": second.pk,
        }
        slots = Client().get(f"{BASE}/slots", query, **bearer(carol)).json()
        nine = local(day, 9)
        at_nine = [s for s in slots if dt.datetime.fromisoformat(s["start"]) == nine]
        assert [s["chair_label"] for s in at_nine] == ["Chair 2"]

    def test_bad_searches_are_422(self, carol: Any, main_st: Any, floor: dict[str, Any], day: dt.date) -> None:
        def get(**changes: Any) -> Any:
            query = {
                "location_id": main_st.pk,
                "kind": "consultation",
                "date_from": day.isoformat(),
                "date_to": day.isoformat(),
                **changes,
            }
            return Client().get(f"{BASE}/slots", query, **bearer(carol))

        assert get().status_code == 200 and len(get().json()) > 0
        assert get(kind="infusion_iv").status_code == 422  # no order: no length
        assert get(date_to=(day - dt.timedelta(days=1)).isoformat()).status_code == 422
        assert get(date_to=(day + dt.timedelta(days=30)).isoformat()).status_code == 422
        assert get(kind="massage").status_code == 422
        assert get(location_id=99999).status_code == 404


class TestAppointments:
    def body(self, pat: Any, main_st: Any, day: dt.date, **changes: Any) -> dict[str, Any]:
        return {
            "patient_id": pat.pk,
            "kind": "consultation",
            "start": local(day, 10).isoformat(),
            "location_id": main_st.pk,
            **changes,
        }

    def test_book_list_cancel_with_idempotency(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        body = self.body(pat, main_st, day, chair_id=floor["room"].pk)
        first = post(carol, f"{BASE}/appointments", body, key="book-1")
        assert first.status_code == 201, first.json()
        assert set(first.json()) >= {"id", "start", "end", "chair_id", "status"}
        assert first.json()["status"] == "booked" and first.json()["chair_id"] == floor["room"].pk
        again = post(carol, f"{BASE}/appointments", body, key="book-1")
        assert again.status_code == 201 and again.json() == first.json()
        assert Appointment.objects.count() == 1
        assert post(carol, f"{BASE}/appointments", body, key="").status_code == 400
        listed = Client().get(
            f"{BASE}/appointments", {"location_id": main_st.pk, "date": day.isoformat()}, **bearer(carol)
        )
        assert listed.status_code == 200 and [a["id"] for a in listed.json()["items"]] == [first.json()["id"]]
        assert AuditEvent.objects.filter(action="api.schedule.list").exists()
        cancel_url = f"{BASE}/appointments/{first.json()['id']}/cancel"
        cancelled = post(carol, cancel_url, {"reason": "patient asked"}, key="cancel-1")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert post(carol, cancel_url, {"reason": " "}, key="cancel-2").status_code == 422

    def test_the_slot_is_gone_is_409(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        from tests.conftest import make_patient

        other = make_patient(main_st, given_name="Olu", family_name="Ade", email="olu@example.org")
        services.book(
            by=carol, patient=other, kind="consultation", location=main_st, start=local(day, 10), chair=floor["room"]
        )
        response = post(carol, f"{BASE}/appointments", self.body(pat, main_st, day, chair_id=floor["room"].pk))
        assert response.status_code == 409 and "slot is gone" in response.json()["detail"]

    def test_a_rule_is_422_naming_it_and_its_source(
        self, carol: Any, pat: Any, main_st: Any, floor: dict[str, Any], esk_order: Any, day: dt.date
    ) -> None:
        pat.consents.filter(kind="esketamine_rems").update(entered_in_error=True)
        response = post(
            carol,
            f"{BASE}/appointments",
            self.body(pat, main_st, day, kind="esketamine", chair_id=floor["chair1"].pk, order_id=esk_order.pk),
        )
        assert response.status_code == 422
        problems = response.json()["detail"]
        assert [p["type"] for p in problems] == ["rems_enrolment"]
        assert problems[0]["loc"] == ["body", "patient_id"] and "REMS" in problems[0]["source"]
        assert not Appointment.objects.exists()

    def test_bad_input_writes_nothing(
        self, carol: Any, pat: Any, lake: Any, main_st: Any, lakeside: Any, floor: dict[str, Any], day: dt.date
    ) -> None:
        url = f"{BASE}/appointments"
        assert post(carol, url, self.body(lake, main_st, day)).status_code == 404  # a patient carol cannot see
        assert post(carol, url, self.body(pat, lakeside, day)).status_code == 404
        assert post(carol, url, self.body(pat, main_st, day, chair_id=999999)).status_code == 422
        assert post(carol, url, self.body(pat, main_st, day, order_id=999999)).status_code == 422
        naive = post(carol, url, self.body(pat, main_st, day, start=f"{day.isoformat()}T10:00:00"))
        assert naive.status_code == 422
        past = post(carol, url, self.body(pat, main_st, day, start="2020-01-06T15:00:00Z"))
        assert past.status_code == 422 and past.json()["detail"][0]["type"] == "not_in_past"
        assert not Appointment.objects.exists()

    def test_roles(self, dave: Any, pat: Any, main_st: Any, floor: dict[str, Any], day: dt.date) -> None:
        assert post(dave, f"{BASE}/appointments", self.body(pat, main_st, day)).status_code == 403
