"""Fixtures for the FHIR server: a token per role, a chart with conditions, medications, allergies, body
measurements, and a treatment session with vital signs and a PHQ-9 (built through the real services)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from tests.infusions.conftest import (  # noqa: F401
    check_in,
    complete_check_in,
    esk_order,
    iv_order,
    ready_patient,
    stock,
)

FHIR_JSON = "application/fhir+json"


def validate(resource: dict[str, Any]) -> Any:
    """Parse the JSON back with the R4B models of fhir.resources (knowledge/interoperability.md)."""
    from fhir.resources.R4B import get_fhir_model_class

    model = get_fhir_model_class(resource["resourceType"])
    parsed = model.model_validate(resource)
    if resource["resourceType"] == "Bundle":
        for entry in resource.get("entry", []):
            if "resource" in entry:  # a DELETE request (a bulk export's deleted Bundles) carries none
                validate(entry["resource"])
    return parsed


def search_ok(fhir_get: Any, query: str, token: str) -> dict[str, Any]:
    """A search that must succeed: its Bundle, validated with the R4B models."""
    response = fhir_get(query, token=token)
    assert response.status_code == 200, response.content[:400]
    body = response.json()
    validate(body)
    return dict(body)


def token_for(user: Any) -> str:
    from ketaclinic.accounts import services

    return services.create_api_token(by=None, user=user)


@pytest.fixture
def fhir_get(client: Any) -> Callable[..., Any]:
    def get(path: str, user: Any = None, token: str | None = None, **headers: str) -> Any:
        if user is not None:
            token = token_for(user)
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        return client.get(f"/fhir/r4/{path}", **headers)

    return get


@pytest.fixture
def chart(pat: Any, bob: Any) -> Any:
    from ketaclinic.patients import services

    services.add_condition(
        by=bob,
        patient=pat,
        description="Major depressive disorder, recurrent, severe",
        icd10_code="F33.2",
        snomed_code="370143000",
        onset_date=dt.date(2019, 3, 1),
    )
    services.add_medication(by=bob, patient=pat, generic_name="sertraline", dose="100 mg", frequency="once daily")
    services.add_allergy(by=bob, patient=pat, substance="penicillin", reaction="hives", severity="moderate")
    services.record_measurement(by=bob, patient=pat, weight_kg=Decimal("70.5"), height_cm=Decimal("168.0"))
    return pat


@pytest.fixture
def session_with_vitals(iv_order: Any, alice: Any) -> Any:  # noqa: F811
    return complete_check_in(check_in(iv_order, alice), alice)
