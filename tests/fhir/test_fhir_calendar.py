"""Schedule (a location's calendar) and Slot (free times from the scheduling app's slot finder) over /fhir/r4/."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.fhir.conftest import search_ok, token_for, validate

pytestmark = pytest.mark.django_db


def _refused(fhir_get: Any, query: str, token: str) -> str:
    response = fhir_get(query, token=token)
    assert response.status_code == 400, response.content[:400]
    body = response.json()
    validate(body)
    return str(body["issue"][0]["diagnostics"])


def test_free_slots_come_from_the_slot_finder_and_go_once_booked(
    fhir_get: Any, carol: Any, alice: Any, bob: Any, dave: Any, main_st: Any, lakeside: Any
) -> None:
    from ketaclinic.scheduling import services
    from tests.scheduling.conftest import a_future_day, local, set_up_location

    set_up_location(dave, main_st)
    day = a_future_day()
    for clinician in (alice, bob):
        services.add_shift(by=dave, user=clinician, location=main_st, starts_at=local(day, 7), ends_at=local(day, 19))
    token = token_for(carol)
    schedules = search_ok(fhir_get, "Schedule", token)
    assert [e["resource"]["id"] for e in schedules["entry"]] == [str(main_st.pk)]  # not Lakeside
    assert fhir_get(f"Schedule/{lakeside.pk}", token=token).status_code == 404
    with_location = search_ok(fhir_get, f"Schedule?actor=Location/{main_st.pk}&_include=Schedule:actor", token)
    assert [e["search"]["mode"] for e in with_location["entry"]] == ["match", "include"]

    after = day + dt.timedelta(days=1)
    query = f"Slot?schedule=Schedule/{main_st.pk}&service-type=consultation&start=ge{day}&start=lt{after}"
    slots = search_ok(fhir_get, query + "&_count=100", token)
    assert slots["total"] > 0
    first = slots["entry"][0]["resource"]
    assert first["status"] == "free" and first["schedule"] == {"reference": f"Schedule/{main_st.pk}"}
    starts = [dt.datetime.fromisoformat(e["resource"]["start"].replace("Z", "+00:00")) for e in slots["entry"]]
    utc_day = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)  # a date without a zone is read as UTC
    assert all(utc_day <= start < utc_day + dt.timedelta(days=1) for start in starts)
    assert search_ok(fhir_get, f"{query}&_id={first['id']}", token)["total"] == 1
    again = fhir_get(f"Slot/{first['id']}", token=token)
    assert again.status_code == 200 and again.json() == first

    # Once the location closes that day, its slots are gone (a consultation slot is not used up by one booking: the
    # slot finder offers staff time, and the patient's own conflicts are checked when booking).
    services.add_closure(by=dave, location=main_st, first_day=day - dt.timedelta(days=1), last_day=day, reason="Flood")
    assert fhir_get(f"Slot/{first['id']}", token=token).status_code == 404
    assert search_ok(fhir_get, query, token)["total"] < slots["total"]

    # Another location's schedule shows nothing; bad searches are refused.
    assert search_ok(fhir_get, query.replace(f"Schedule/{main_st.pk}", f"Schedule/{lakeside.pk}"), token)["total"] == 0
    assert "exactly one schedule" in _refused(fhir_get, "Slot?service-type=consultation&start=ge2026-01-01", token)
    assert "booked against its order" in _refused(
        fhir_get, f"Slot?schedule={main_st.pk}&service-type=infusion-iv&start=ge{day}&start=lt{day}", token
    )
    assert "first and a last day" in _refused(
        fhir_get, f"Slot?schedule={main_st.pk}&service-type=consultation&start=ge{day}", token
    )
    far = day + dt.timedelta(days=40)
    assert "at most 21 days" in _refused(
        fhir_get, f"Slot?schedule={main_st.pk}&service-type=consultation&start=ge{day}&start=lt{far}", token
    )
    assert fhir_get("Slot/1-consultation-0-nonsense", token=token).status_code == 404
    assert fhir_get(f"Slot/{lakeside.pk}-consultation-0-1796716800", token=token).status_code == 404
