"""The patient's home dose on the portal: check-in → cleared → dose → post-dose; refused; another patient's is 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaclinic.homecare import services
from ketaclinic.homecare.models import HomeCheckIn, HomeDose
from tests.conftest import make_patient
from tests.homecare.conftest import GOOD
from tests.portal.conftest import outboxes, sign_in_as  # noqa: F401  (the outbox fixture is needed to sign in)

pytestmark = pytest.mark.django_db

ANSWERS = {
    "systolic_mmhg": "128",
    "diastolic_mmhg": "82",
    "heart_rate_per_min": "72",
    "monitor_present": "yes",
    "monitor_not_sober": "no",
    "alcohol_today": "no",
    "sedatives_today": "no",
    "suicidal_thoughts": "no",
}


def test_cleared_dose_and_post_dose_check(client: Client, pat: Any, prescription: Any) -> None:
    sign_in_as(client, pat)
    assert "menu-home-dose" in client.get("/portal/home-dose/").content.decode()
    answer = client.post("/portal/home-dose/", ANSWERS)
    assert answer.status_code == 302
    row = HomeCheckIn.objects.get()
    assert row.cleared
    page = client.get(answer["Location"]).content.decode()
    assert 'id="cleared"' in page
    client.post(answer["Location"], {"action": "start"})
    dose = HomeDose.objects.get()
    client.post(answer["Location"], {"sedation_resolved": "yes", "side_effects": "mild nausea"})
    dose.refresh_from_db()
    assert dose.sedation_resolved is True and dose.side_effects == "mild nausea"


def test_high_bp_refused_in_plain_words(client: Client, pat: Any, prescription: Any) -> None:
    sign_in_as(client, pat)
    answer = client.post("/portal/home-dose/", {**ANSWERS, "systolic_mmhg": "171"})
    page = client.get(answer["Location"]).content.decode()
    assert "Do not take your dose today" in page and "above the clinic&#x27;s limit" in page
    client.post(answer["Location"], {"action": "start"})
    assert not HomeDose.objects.exists()


def test_implausible_reading_writes_nothing(client: Client, pat: Any, prescription: Any) -> None:
    sign_in_as(client, pat)
    answer = client.post("/portal/home-dose/", {**ANSWERS, "systolic_mmhg": "400"})
    assert answer.status_code == 422 and "does not look right" in answer.content.decode()
    assert not HomeCheckIn.objects.exists()


def test_another_patients_check_in_is_404(client: Client, main_st: Any, prescription: Any) -> None:
    row, _ = services.check_in(by=None, prescription=prescription, **GOOD)
    other = make_patient(main_st, given_name="Ola", family_name="Other", email="ola@example.org")
    sign_in_as(client, other)
    assert client.get(f"/portal/home-dose/{row.pk}/").status_code == 404
    assert client.post(f"/portal/home-dose/{row.pk}/", {"action": "start"}).status_code == 404
    assert not HomeDose.objects.exists()
    assert "no-prescription" in client.get("/portal/home-dose/").content.decode()
