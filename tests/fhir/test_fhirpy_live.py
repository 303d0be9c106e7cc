"""A real FHIR client (fhirpy 2.x) against a live server over HTTP: read, search and paging (issue 20, "Validation");
ServiceRequest search; Group search."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fhirpy import SyncFHIRClient
from fhirpy.base.exceptions import OperationOutcome, ResourceNotFound

from tests.conftest import make_patient
from tests.fhir.conftest import token_for, validate
from tests.intake.factories import consultation_request


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

    [group] = client.resources("Group").search(name="patients").fetch()  # Main only: Lakeside is not Alice's
    validate(group.serialize())
    assert group["id"] == f"location-{main_st.pk}" and group["quantity"] == len(patients)
    assert sorted(int(m["entity"]["reference"].split("/")[1]) for m in group["member"]) == sorted(
        p.pk for p in patients
    )
    with pytest.raises(OperationOutcome):
        client.resources("Patient").search(colour="blue").fetch()


@pytest.mark.django_db(transaction=True)
def test_fhirpy_includes_and_reads_questionnaires(live_server: Any, main_st: Any, alice: Any, bob: Any) -> None:
    client = SyncFHIRClient(f"{live_server.url}/fhir/r4", authorization=f"Bearer {token_for(alice)}")
    request = consultation_request(main_st)
    [found] = client.resources("ServiceRequest").search(status="active", authored="ge2000-01-01").fetch()
    validate(found.serialize())
    assert found["id"] == str(request.pk) and found["subject"] == {"display": "Jordan Avery"}
    assert client.resources("ServiceRequest").search(status="completed").fetch() == []
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


def test_fhirpy_bulk_export_kick_off_poll_download(live_server: Any, main_st: Any, lake: Any, alice: Any) -> None:
    """Bulk Data over HTTP with the client's own headers (its Authorization): kick-off, poll, manifest, NDJSON."""
    import json

    import requests

    from ketaclinic.fhir import exporter

    patients = [make_patient(main_st, given_name=f"Ana{n}", email=f"a{n}@example.org") for n in range(3)]
    client = SyncFHIRClient(
        f"{live_server.url}/fhir/r4",
        authorization=f"Bearer {token_for(alice)}",
        extra_headers={"Prefer": "respond-async"},
    )
    headers = client._build_request_headers()
    kicked = requests.get(f"{client.url}/Patient/$export", headers=headers, timeout=30, **client.requests_config)
    assert kicked.status_code == 202, kicked.text
    status_url = kicked.headers["Content-Location"]
    assert client.execute(status_url, method="get") is None  # 202, nothing yet
    exporter.run_pending()  # the jobs runner's work, done here so the test needs no clock
    manifest = client.execute(status_url, method="get")
    assert manifest["requiresAccessToken"] is True
    [patient_file] = [o for o in manifest["output"] if o["type"] == "Patient"]
    assert patient_file["count"] == 3
    download = requests.get(patient_file["url"], headers=headers, timeout=30, **client.requests_config)
    assert download.status_code == 200 and download.headers["Content-Type"] == "application/fhir+ndjson"
    exported = [json.loads(line) for line in download.text.splitlines()]
    for resource in exported:
        validate(resource)
    assert sorted(int(r["id"]) for r in exported) == sorted(p.pk for p in patients)  # not Lakeside's patient
    without_token = requests.get(patient_file["url"], timeout=30)
    assert without_token.status_code == 401
    client.execute(status_url, method="delete")  # done with it: the files go
    with pytest.raises(ResourceNotFound):
        client.execute(status_url, method="get")
