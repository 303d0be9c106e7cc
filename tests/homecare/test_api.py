"""POST /api/v1/homecare/prescriptions/{id}/check-ins (CONTRACTS §10): 201 cleared/reasons; bad input 422, no write."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.homecare.models import HomeCheckIn
from tests.homecare.conftest import GOOD

pytestmark = pytest.mark.django_db


def post(prescription: Any, user: Any, payload: Any) -> Any:
    token = accounts.create_api_token(by=None, user=user)
    return Client().post(
        f"/api/v1/homecare/prescriptions/{prescription.pk}/check-ins",
        json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )


def test_cleared(prescription: Any, alice: Any) -> None:
    answer = post(prescription, alice, GOOD)
    assert answer.status_code == 201, answer.content
    assert answer.json()["cleared"] is True and answer.json()["reasons"] == []


def test_refused_with_reasons(prescription: Any, alice: Any) -> None:
    answer = post(prescription, alice, {**GOOD, "systolic_mmhg": 175, "monitor_present": False})
    assert answer.status_code == 201
    assert answer.json()["cleared"] is False and len(answer.json()["reasons"]) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [({"systolic_mmhg": 400}, "systolic_mmhg"), ({"heart_rate_per_min": "fast"}, "heart_rate_per_min")],
)
def test_bad_input_422_names_the_field(prescription: Any, alice: Any, change: dict[str, Any], field: str) -> None:
    answer = post(prescription, alice, {**GOOD, **change})
    assert answer.status_code == 422
    assert field in json.dumps(answer.json())
    assert not HomeCheckIn.objects.exists()


def test_front_desk_and_other_location_refused(prescription: Any, carol: Any, erin: Any) -> None:
    assert post(prescription, carol, GOOD).status_code == 403
    assert post(prescription, erin, GOOD).status_code == 404
    assert not HomeCheckIn.objects.exists()
