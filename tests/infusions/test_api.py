"""/api/v1/sessions: a whole session through the API, Idempotency-Key on writes, the version check (409), bad input
(422 naming the field), roles (403) and locations (404), and the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.infusions.models import TreatmentSession, VitalReading
from tests.infusions.conftest import ALDRETE_10, PHQ9_MILD, check_in, complete_check_in, fresh, start_esk

BASE = "/api/v1/sessions"
VITALS = {
    "systolic_mmhg": 126,
    "diastolic_mmhg": 80,
    "heart_rate_per_min": 74,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
    "moaas": 5,
}


class Api:
    def __init__(self, user: Any) -> None:
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}

    def get(self, path: str) -> Any:
        return self.client.get(BASE + path, **self.auth)

    def send(self, method: str, path: str, body: dict[str, Any], key: str | None = "auto") -> Any:
        headers = dict(self.auth)
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = str(uuid.uuid4()) if key == "auto" else key
        call = getattr(self.client, method)
        return call(BASE + path, body, content_type="application/json", **headers)

    def post(self, path: str, body: dict[str, Any], key: str | None = "auto") -> Any:
        return self.send("post", path, body, key)


@pytest.mark.django_db
def test_a_whole_iv_session_through_the_api(alice: Any, bob: Any, iv_order: Any, stock: Any, settings: Any) -> None:
    settings.KETACLINIC_IDLE_TIMEOUT_S = 24 * 3600
    nurse = Api(alice)
    created = nurse.post("/", {"order_id": iv_order.pk, "chair": "Chair 1"})
    assert created.status_code == 201, created.json()
    sid = created.json()["id"]
    detail = nurse.get(f"/{sid}").json()
    assert [item["code"] for item in detail["checklist"] if item["blocking"] and not item["ok"]] == [
        "fasting",
        "escort",
        "predose_vitals",
        "measure_phq9",
    ]
    earlier = (timezone.now() - dt.timedelta(hours=3)).isoformat()
    patched = nurse.send(
        "patch",
        f"/{sid}/check-in",
        {
            "expected_version": detail["version"],
            "last_food_at": earlier,
            "last_liquids_at": earlier,
            "escort_name": "Sam Rivera",
            "ride_home_confirmed": True,
        },
        key=None,
    )
    assert patched.status_code == 200, patched.json()
    assert nurse.post(f"/{sid}/vitals", VITALS).status_code == 201
    assert nurse.post(f"/{sid}/scores", {"instrument": "phq9", "answers": PHQ9_MILD}).status_code == 201
    with time_machine.travel(timezone.now(), tick=False) as clock:
        started = nurse.post(
            f"/{sid}/start", {"containers": [{"container_id": stock["vials"][0].pk, "drawn_ml": "4.00"}]}
        )
        assert started.status_code == 200 and started.json()["status"] == "infusing"
        clock.shift(dt.timedelta(minutes=20))
        reading = nurse.post(f"/{sid}/vitals", {**VITALS, "systolic_mmhg": 184, "diastolic_mmhg": 104})
        assert {a["code"] for a in reading.json()["alerts"]} == {"systolic_high", "systolic_rise"}
        paused = nurse.post(f"/{sid}/rate-changes", {"kind": "pause", "reason": "SBP 184"})
        assert paused.status_code == 201 and paused.json()["rate_mg_per_h"] == "0.0"
        assert (
            nurse.post(
                f"/{sid}/rescue-medications",
                {"drug": "labetalol", "dose": "10 mg", "route": "iv", "reason": "hypertension"},
            ).status_code
            == 201
        )
        assert nurse.post(f"/{sid}/side-effects", {"effect": "hypertension", "severity": "moderate"}).status_code == 201
        # One reading is one alert (issue 15): acknowledging one finding acknowledges the reading's others with it.
        first = nurse.get(f"/{sid}").json()["open_alerts"][0]
        acknowledged = nurse.post(f"/{sid}/alerts/{first['id']}/acknowledge", {"note": "evaluated"}, key=None)
        assert acknowledged.status_code == 200
        assert nurse.get(f"/{sid}").json()["open_alerts"] == []
        clock.shift(dt.timedelta(minutes=5))
        assert nurse.post(f"/{sid}/rate-changes", {"kind": "resume", "reason": "BP 150/90"}).status_code == 201
        clock.shift(dt.timedelta(minutes=21))
        ended = nurse.post(f"/{sid}/end-infusion", {})
        assert ended.status_code == 200 and ended.json()["dose_delivered_mg"] == "40.00"
        events = nurse.get(f"/{sid}/events").json()
        assert [r["kind"] for r in events["rate_changes"]] == ["start", "pause", "resume", "end"]
        assert events["rescue_medications"][0]["dose"] == "10 mg" and events["delivered_mg"] == "40.00"
        ledger_entry = nurse.get(f"/{sid}/administration").json()[0]
        assert ledger_entry["given_ml"] == "4.00" and ledger_entry["ledger_entry_id"] is not None
        clock.shift(dt.timedelta(minutes=30))  # the protocol's minimum observation after the end (clinic policy)
        nurse.post(f"/{sid}/vitals", VITALS)
        discharged = nurse.post(
            f"/{sid}/discharge",
            {"scale": "aldrete", "answers": ALDRETE_10, "escort_name": "Sam Rivera", "instructions_given": True},
        )
        assert discharged.status_code == 200, discharged.json()
    signed = Api(bob).post(f"/{sid}/sign", {"expected_version": discharged.json()["version"]}, key=None)
    assert signed.status_code == 200 and signed.json()["status"] == "signed"
    assert "labetalol 10 mg IV" in nurse.get(f"/{sid}").json()["note_text"]
    locked = nurse.post(f"/{sid}/vitals", VITALS)
    assert locked.status_code == 422 and "signed and locked" in str(locked.json()["detail"])


@pytest.mark.django_db
def test_vitals_with_an_idempotency_key_are_recorded_once(alice: Any, iv_order: Any) -> None:
    """design/TESTING.md: replay → the stored response; same key, other body → 422; missing key → 400."""
    session = check_in(iv_order, alice)
    nurse = Api(alice)
    key = str(uuid.uuid4())
    first = nurse.post(f"/{session.pk}/vitals", VITALS, key=key)
    again = nurse.post(f"/{session.pk}/vitals", VITALS, key=key)
    assert (first.status_code, again.status_code) == (201, 201) and again.json() == first.json()
    assert VitalReading.objects.count() == 1
    other = nurse.post(f"/{session.pk}/vitals", {**VITALS, "heart_rate_per_min": 90}, key=key)
    assert other.status_code == 422 and "different request" in other.json()["detail"]
    missing = nurse.post(f"/{session.pk}/vitals", VITALS, key=None)
    assert missing.status_code == 400 and "Idempotency-Key" in missing.json()["detail"]
    assert VitalReading.objects.count() == 1


@pytest.mark.django_db
def test_a_stale_expected_version_is_409_and_writes_nothing(alice: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    nurse = Api(alice)
    seen = session.version
    assert nurse.post(f"/{session.pk}/vitals", {**VITALS, "expected_version": seen}).status_code == 201
    stale = nurse.post(f"/{session.pk}/vitals", {**VITALS, "expected_version": seen})
    assert stale.status_code == 409 and "Someone else changed this session" in stale.json()["detail"]
    patch = nurse.send("patch", f"/{session.pk}/check-in", {"expected_version": seen, "escort_name": "X"}, key=None)
    assert patch.status_code == 409
    assert VitalReading.objects.count() == 1 and fresh(session).escort_name == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({**VITALS, "systolic_mmhg": 400}, "systolic_mmhg", "Systolic BP 400: outside the plausible range 40-300"),
        ({**VITALS, "spo2_percent": 120}, "spo2_percent", "SpO2 120: outside the plausible range 50-100"),
        ({**VITALS, "systolic_mmhg": 5000}, "systolic_mmhg", "less than or equal to 1000"),
        ({"note": "nothing measured"}, "__all__", "Enter at least one reading."),
        ({**VITALS, "taken_at": 1.5}, "taken_at", "ISO 8601"),
    ],
)
def test_impossible_vitals_are_422_naming_the_field(
    body: dict[str, Any], field: str, text: str, alice: Any, iv_order: Any
) -> None:
    session = check_in(iv_order, alice)
    response = Api(alice).post(f"/{session.pk}/vitals", body)
    assert response.status_code == 422
    assert field in str(response.json()["detail"]) and text in str(response.json()["detail"])
    assert not VitalReading.objects.exists()


@pytest.mark.django_db
def test_roles_and_locations(alice: Any, carol: Any, erin: Any, dave: Any, iv_order: Any) -> None:
    session = check_in(iv_order, alice)
    assert Api(carol).get(f"/{session.pk}").status_code == 403
    assert Api(dave).post(f"/{session.pk}/vitals", VITALS).status_code == 403
    assert Api(erin).get(f"/{session.pk}").status_code == 404
    assert Api(erin).post(f"/{session.pk}/vitals", VITALS).status_code == 404
    assert Api(erin).post("/", {"order_id": iv_order.pk, "chair": "1"}).status_code == 404
    assert Api(erin).get("/").json()["items"] == []
    assert [row["id"] for row in Api(alice).get("/?status=check_in").json()["items"]] == [session.pk]
    assert Client().get(BASE + "/").status_code == 401


@pytest.mark.django_db
def test_the_rems_form_through_the_api(alice: Any, esk_order: Any, iv_order: Any, stock: Any) -> None:
    session = start_esk(complete_check_in(check_in(esk_order, alice), alice), alice, stock)
    nurse = Api(alice)
    form = nurse.get(f"/{session.pk}/rems").json()
    assert form["state"] == "due" and form["days_left"] == 7 and form["form"]["lot_numbers"] == ["ESK7"]
    assert "BP at ~40 min" in form["missing"]
    refused = nurse.post(f"/{session.pk}/rems", {"confirmation": "RMS-1"}, key=None)
    assert refused.status_code == 422
    TreatmentSession.objects.filter(pk=session.pk).update(status="cancelled")
    assert nurse.get("/999999/rems").status_code == 404


def test_the_openapi_document_declares_the_session_endpoints(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/sessions/",
        "/api/v1/sessions/{session_id}/vitals",
        "/api/v1/sessions/{session_id}/start",
        "/api/v1/sessions/{session_id}/events",
        "/api/v1/sessions/{session_id}/discharge",
        "/api/v1/sessions/{session_id}/administration",
        "/api/v1/sessions/{session_id}/rems",
    ):
        assert path in paths, path
    vitals = paths["/api/v1/sessions/{session_id}/vitals"]["post"]
    assert {"201", "400", "409", "422"} <= set(vitals["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in vitals["parameters"])
