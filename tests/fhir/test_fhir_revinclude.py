"""``_revinclude=Provenance:target`` (US Core: every type that has Provenance): the Provenance of the matches join the
searchset as ``include`` entries, only those the token may see; other values are a 400; the CapabilityStatement lists
it exactly on the types that are Provenance targets."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from ketaclinic.audit.models import AuditEvent
from ketaclinic.fhir import registry
from ketaclinic.patients import uploads
from tests.conftest import tiny_pdf
from tests.fhir.conftest import search_ok, token_for, validate

pytestmark = pytest.mark.django_db

#: The types a Provenance here can be the provenance of (registry/records.py, Provenance ``target``).
TARGETS = {"CarePlan", "MedicationRequest", "Encounter", "MedicationAdministration", "DocumentReference"}


def _entries(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(e["resource"]["resourceType"], e["resource"]["id"], e["search"]["mode"]) for e in body.get("entry", [])]


def test_revinclude_adds_the_provenance_of_the_matches(
    fhir_get: Any, session_with_vitals: Any, alice: Any, erin: Any
) -> None:
    session = session_with_vitals
    token = token_for(alice)
    plain = search_ok(fhir_get, f"Encounter?patient={session.patient_id}", token)
    assert _entries(plain) == [("Encounter", str(session.pk), "match")]

    found = search_ok(fhir_get, f"Encounter?patient={session.patient_id}&_revinclude=Provenance:target", token)
    assert _entries(found) == [
        ("Encounter", str(session.pk), "match"),
        ("Provenance", f"session-{session.pk}", "include"),
    ]
    assert found["total"] == 1  # includes are not counted
    provenance = found["entry"][1]["resource"]
    assert {"reference": f"Encounter/{session.pk}"} in provenance["target"]
    assert found["entry"][1]["fullUrl"].endswith(f"/Provenance/session-{session.pk}")
    # The long form naming the target type is the same.
    typed = search_ok(fhir_get, f"Encounter?_id={session.pk}&_revinclude=Provenance:target:Encounter", token)
    assert _entries(typed) == _entries(found)

    version = session.order.plan_version
    plans = search_ok(fhir_get, f"CarePlan?_id={version.pk}&_revinclude=Provenance:target", token)
    assert _entries(plans) == [("CarePlan", str(version.pk), "match"), ("Provenance", f"plan-{version.pk}", "include")]
    orders = search_ok(fhir_get, f"MedicationRequest?_id={version.pk}&_revinclude=Provenance:target", token)
    assert ("Provenance", f"plan-{version.pk}", "include") in _entries(orders)

    # Another location's token matches nothing, so includes nothing; the search is audited with the included patient.
    assert "entry" not in search_ok(fhir_get, "Encounter?_revinclude=Provenance:target", token_for(erin))
    assert AuditEvent.objects.filter(action="fhir.search.patient", actor=alice, patient_id=session.patient_id).exists()


def test_a_role_that_may_not_read_provenance_gets_none(fhir_get: Any, pat: Any, carol: Any, alice: Any) -> None:
    card = uploads.upload_by_staff(
        by=carol, patient=pat, content=tiny_pdf("card"), kind="insurance_card", title="Card", document_date=None
    )
    query = f"DocumentReference?patient={pat.pk}&_revinclude=Provenance:target"
    # The front desk reads the card but not Provenance (clinical.view): the revinclude adds nothing, silently.
    assert _entries(search_ok(fhir_get, query, token_for(carol))) == [("DocumentReference", f"doc-{card.pk}", "match")]
    assert _entries(search_ok(fhir_get, query, token_for(alice))) == [
        ("DocumentReference", f"doc-{card.pk}", "match"),
        ("Provenance", f"doc-{card.pk}", "include"),
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("Encounter?_revinclude=Provenance:agent", "_revinclude=Provenance:agent is not supported for Encounter"),
        ("Encounter?_revinclude=Provenance:target:CarePlan", "Supported: Provenance:target"),
        ("Encounter?_revinclude=AuditEvent:entity", "not supported"),
        ("Patient?_revinclude=Provenance:target", "Supported: none"),
        ("ServiceRequest?_revinclude=Provenance:target", "not supported for ServiceRequest"),
        ("Encounter?_revinclude:iterate=Provenance:target", "modifiers are not supported"),
    ],
)
def test_an_unsupported_revinclude_is_a_400(fhir_get: Any, alice: Any, query: str, message: str) -> None:
    response = fhir_get(query, token=token_for(alice))
    assert response.status_code == 400, response.content[:400]
    body = response.json()
    validate(body)
    assert message in body["issue"][0]["diagnostics"]
    assert not AuditEvent.objects.filter(action="fhir.search").exists()


def test_capability_statement_lists_revinclude_honestly(client: Client) -> None:
    statement = client.get("/fhir/r4/metadata").json()
    validate(statement)
    resources = statement["rest"][0]["resource"]
    with_revinclude = {r["type"] for r in resources if r.get("searchRevInclude")}
    assert with_revinclude == TARGETS
    for entry in resources:
        names = {p["name"] for p in entry.get("searchParam", [])}
        assert ("_revinclude" in names) == (entry["type"] in TARGETS), entry["type"]
        if entry["type"] in TARGETS:
            assert entry["searchRevInclude"] == ["Provenance:target"]


def test_every_provenance_target_type_takes_the_revinclude() -> None:
    """The registry's Provenance ``target`` parameter and the types that declare the revinclude agree."""
    documented = registry.resource_type("Provenance").params["target"][1]
    for name in TARGETS:
        assert f"{name}/" in documented and registry.resource_type(name).revincludes
