"""/fhir/r4/ Practitioner, Organization and Location: they validate against the R4B models, carry the NPI/TIN where
billing has one, are scoped to the token owner's clinic and locations, are audited, and bad input is a 400."""

from __future__ import annotations

from typing import Any

import pytest

from ketaclinic.accounts.models import Location
from ketaclinic.audit.models import AuditEvent
from ketaclinic.billing.models import BillingProfile, ProviderIdentity
from ketaclinic.fhir.resources.directory import NPI_SYSTEM, TIN_SYSTEM
from tests.conftest import make_location, make_user
from tests.fhir.conftest import validate

pytestmark = pytest.mark.django_db


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content[:400]
    body: dict[str, Any] = response.json()
    validate(body)
    return body


def _profile(location: Any, npi: str = "1234567893", kind: str = "ein") -> Any:
    return BillingProfile.objects.create(
        location=location,
        legal_name="Test Clinic PLLC",
        npi=npi,
        tax_id="123456789",
        tax_id_kind=kind,
        street="1 Main St",
        city="Springfield",
        state="IL",
        postal_code="627010000",
    )


@pytest.fixture
def other_clinic() -> Any:
    from ketaclinic.accounts import services

    clinic = services.create_clinic(by=None, name="Other Clinic", timezone_name="America/Chicago")
    far = make_location(clinic, "Far")
    make_user("zed", "prescriber", clinic, [far], title="MD")
    return clinic


def test_metadata_lists_the_directory_types(fhir_get: Any) -> None:
    served = {e["type"]: e for e in _ok(fhir_get("metadata"))["rest"][0]["resource"]}
    for name in ("Practitioner", "Organization", "Location"):
        assert [i["code"] for i in served[name]["interaction"]] == ["read", "search-type"]
        assert {p["name"] for p in served[name]["searchParam"]} >= {"name", "_count", "_id"}
    assert {p["name"] for p in served["Practitioner"]["searchParam"]} >= {"identifier"}


def test_practitioner_read_with_npi_and_audit(fhir_get: Any, alice: Any, bob: Any) -> None:
    ProviderIdentity.objects.create(user=bob, npi="1234567893")
    body = _ok(fhir_get(f"Practitioner/{bob.pk}", alice))
    assert body["identifier"] == [{"system": NPI_SYSTEM, "value": "1234567893"}]
    assert body["active"] is True and body["name"][0]["suffix"] == ["MD"]
    event = AuditEvent.objects.filter(action="fhir.read").latest("seq")
    assert event.patient_id is None and event.detail["resource_type"] == "Practitioner"
    assert "identifier" not in _ok(fhir_get(f"Practitioner/{alice.pk}", alice))


def test_practitioner_search_is_clinical_staff_sharing_a_location(
    fhir_get: Any, alice: Any, bob: Any, carol: Any, erin: Any, other_clinic: Any
) -> None:
    bundle = _ok(fhir_get("Practitioner", alice))
    ids = {e["resource"]["id"] for e in bundle["entry"]}
    assert ids == {str(alice.pk), str(bob.pk)}  # not front desk, not Lakeside's nurse, not another clinic
    assert fhir_get(f"Practitioner/{erin.pk}", alice).status_code == 404
    assert fhir_get(f"Practitioner/{carol.pk}", alice).status_code == 404
    zed = other_clinic.users.get()
    assert fhir_get(f"Practitioner/{zed.pk}", alice).status_code == 404
    assert AuditEvent.objects.filter(action="fhir.search", detail__resource_type="Practitioner").exists()


def test_practitioner_search_by_name_and_npi(fhir_get: Any, alice: Any, bob: Any) -> None:
    ProviderIdentity.objects.create(user=bob, npi="1234567893")
    bundle = _ok(fhir_get("Practitioner?name=BO", alice))
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(bob.pk)]
    bundle = _ok(fhir_get(f"Practitioner?identifier={NPI_SYSTEM}|1234567893", alice))
    assert bundle["total"] == 1
    assert _ok(fhir_get("Practitioner?identifier=other|1234567893", alice))["total"] == 0


def test_organization_with_npi_and_ein_but_never_an_ssn(
    fhir_get: Any, clinic: Any, main_st: Any, lakeside: Any, carol: Any, other_clinic: Any
) -> None:
    assert "identifier" not in _ok(fhir_get(f"Organization/{clinic.pk}", carol))
    _profile(main_st)
    _profile(lakeside, npi="1245319599", kind="ssn")
    body = _ok(fhir_get(f"Organization/{clinic.pk}", carol))
    assert body["name"] == "Test Clinic"
    assert body["identifier"] == [  # by location name: Lakeside (its SSN left out), then Main
        {"system": NPI_SYSTEM, "value": "1245319599"},
        {"system": NPI_SYSTEM, "value": "1234567893"},
        {"system": TIN_SYSTEM, "value": "123456789"},
    ]
    assert fhir_get(f"Organization/{other_clinic.pk}", carol).status_code == 404
    assert _ok(fhir_get("Organization?name=test", carol))["total"] == 1
    assert _ok(fhir_get("Organization?name=Other", carol))["total"] == 0


def test_location_read_search_and_scope(fhir_get: Any, clinic: Any, main_st: Any, lakeside: Any, alice: Any) -> None:
    Location.objects.filter(pk=main_st.pk).update(address="1 Main St\nSpringfield, IL", phone="555-0100")
    body = _ok(fhir_get(f"Location/{main_st.pk}", alice))
    assert body["managingOrganization"]["reference"] == f"Organization/{clinic.pk}"
    assert body["address"]["text"] == "1 Main St\nSpringfield, IL"
    assert body["telecom"] == [{"system": "phone", "value": "555-0100"}] and body["status"] == "active"
    assert fhir_get(f"Location/{lakeside.pk}", alice).status_code == 404
    bundle = _ok(fhir_get("Location", alice))
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(main_st.pk)]
    assert _ok(fhir_get("Location?name=lake", alice))["total"] == 0


def test_location_paging(fhir_get: Any, clinic: Any, main_st: Any, lakeside: Any, dave: Any) -> None:
    first = _ok(fhir_get("Location?_count=1", dave))
    assert first["total"] == 2 and [e["resource"]["name"] for e in first["entry"]] == ["Lakeside"]
    next_url = next(link["url"] for link in first["link"] if link["relation"] == "next")
    second = _ok(fhir_get("Location?" + next_url.split("?", 1)[1], dave))
    assert [e["resource"]["name"] for e in second["entry"]] == ["Main"]


@pytest.mark.parametrize(
    "query",
    ["Practitioner?family=x", "Organization?name:exact=x", "Location?address=x", "Location?_count=-1", "Location/abc"],
)
def test_bad_input_is_400_or_404(fhir_get: Any, alice: Any, query: str) -> None:
    response = fhir_get(query, alice)
    assert response.status_code == (404 if query == "Location/abc" else 400)
    assert response.json()["resourceType"] == "OperationOutcome"


def test_capability_claims_no_profile_the_practitioners_may_not_meet(fhir_get: Any) -> None:
    served = {e["type"]: e for e in _ok(fhir_get("metadata"))["rest"][0]["resource"]}
    assert "supportedProfile" not in served["Practitioner"]
