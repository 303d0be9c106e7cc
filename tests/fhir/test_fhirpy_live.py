"""A real FHIR client (fhirpy 2.x) against a live server over HTTP: read, search and paging (issue 20, "Validation")."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.conftest import make_patient
from tests.fhir.conftest import token_for, validate


@pytest.mark.django_db(transaction=True)
def test_fhirpy_reads_searches_and_pages(live_server: Any, main_st: Any, lake: Any, alice: Any) -> None:
    patients = [
        make_patient(
            main_st,
            given_name=f"Sam{n}",
            family_name="Okafor",
            email=f"s{n}@example.org",
            date_of_birth=dt.date(1970 + n, 1, 1),
        )
        for n in range(5)
    ]
    client = SyncFHIRClient(f"{live_server.url}/fhir/r4", authorization=f"Bearer {token_for(alice)}")

    first = client.reference("Patient", str(patients[0].pk)).to_resource()
    validate(first.serialize())
    assert first["name"][0]["family"] == "Okafor"

    every = client.resources("Patient").search(name="okaf").limit(2).fetch_all()  # follows the next links
    assert sorted(int(p["id"]) for p in every) == sorted(p.pk for p in patients)
    for resource in every:
        validate(resource.serialize())
    assert len(client.resources("Patient").search(birthdate="ge1973-01-01").fetch()) == 2

    with pytest.raises(ResourceNotFound):
        client.reference("Patient", str(lake.pk)).to_resource()  # another location's patient
    with pytest.raises(OperationOutcome):
        client.resources("Patient").search(colour="blue").fetch()


@pytest.mark.django_db(transaction=True)
def test_fhirpy_includes_and_reads_questionnaires(live_server: Any, alice: Any, bob: Any) -> None:
    client = SyncFHIRClient(f"{live_server.url}/fhir/r4", authorization=f"Bearer {token_for(alice)}")
    bundle = (
        client.resources("PractitionerRole")
        .search(practitioner=str(bob.pk))
        .include("PractitionerRole", "practitioner")
        .fetch_raw()
    )
    validate(dict(bundle))
    assert [(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]] == [
        ("PractitionerRole", "match"),
        ("Practitioner", "include"),
    ]
    phq9 = client.resources("Questionnaire").search(url="urn:ketaclinic:questionnaire:phq9").get()
    validate(phq9.serialize())
    assert phq9["id"] == "phq9"
    with pytest.raises(OperationOutcome):
        client.resources("PractitionerRole").include("PractitionerRole", "nonsense").fetch()
