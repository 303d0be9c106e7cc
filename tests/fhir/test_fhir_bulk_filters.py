"""Bulk Data export (issue 20): ``_typeFilter`` (search queries that narrow a type's rows, OR within a type, checked
at kick-off, kept on the job) and, with ``_since``, the manifest's ``deleted`` files (Bundles of DELETE requests for
the resources marked entered in error since then)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.fhir import exporter
from ketaclinic.fhir.models import ExportJob
from ketaclinic.outcomes.models import Measurement
from tests.fhir.conftest import token_for
from tests.fhir.test_fhir_bulk import Bulk, _outcome

pytestmark = pytest.mark.django_db

VITALS = "Observation?category=vital-signs"
SURVEY = "Observation?category=survey"


def _q(*filters: str) -> str:
    return "&".join(f"_typeFilter={quote(f, safe='')}" for f in filters)


def _instant(moment: dt.datetime) -> str:
    return quote(moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z")


def _categories(observations: list[dict[str, Any]]) -> set[str]:
    return {c["coding"][0]["code"] for o in observations for c in o["category"]}


def test_type_filter_exports_only_the_vital_signs(
    client: Client, chart: Any, session_with_vitals: Any, alice: Any
) -> None:
    bulk = Bulk(client, token_for(alice))
    _, everything = bulk.export("$export", "_type=Observation")
    assert _categories(everything["Observation"]) == {"vital-signs", "survey"}

    manifest, files = bulk.export("$export", f"_type=Observation,Patient&{_q(VITALS)}")
    observations = files["Observation"]
    assert observations and _categories(observations) == {"vital-signs"}
    assert len(observations) == sum(1 for o in everything["Observation"] if "vital-signs" in _categories([o]))
    assert [p["id"] for p in files["Patient"]] == [str(chart.pk)]  # a type without a filter: all its rows
    assert "deleted" not in manifest  # no _since
    job = ExportJob.objects.order_by("-created_at").first()
    assert job is not None and job.type_filters == {"Observation": ["category=vital-signs"]}
    requested = AuditEvent.objects.filter(action="fhir.export.requested").order_by("-pk").first()
    assert requested is not None and requested.detail["type_filters"] == job.type_filters
    # The same rows a search with that query finds.
    found = client.get("/fhir/r4/Observation?category=vital-signs&_count=100", **bulk.auth).json()
    assert {e["resource"]["id"] for e in found["entry"]} == {o["id"] for o in observations}


def test_two_filters_for_a_type_are_or(client: Client, chart: Any, session_with_vitals: Any, alice: Any) -> None:
    bulk = Bulk(client, token_for(alice))
    _, everything = bulk.export("$export", "_type=Observation")
    weight = "Observation?code=http://loinc.org%7C29463-7"
    survey_items = f"{SURVEY}&code=http://loinc.org%7C44261-6"  # PHQ-9 total (LOINC, /work/shared/knowledge)
    _, files = bulk.export("$export", f"_type=Observation&{_q(weight)},{quote(survey_items, safe='')}")
    ids = sorted(o["id"] for o in files["Observation"])
    assert ids and all(i.startswith(("weight-", "score-")) for i in ids)
    assert any(i.startswith("weight-") for i in ids) and any(i.startswith("score-") for i in ids)
    wanted = {"29463-7", "44261-6"}
    expected = sorted(
        o["id"] for o in everything["Observation"] if {c.get("code") for c in o["code"]["coding"]} & wanted
    )
    assert ids == expected
    # Items of a score come only when a filter asks for them (not with the total's fan-out).
    _, files = bulk.export("$export", f"_type=Observation&{_q(SURVEY)}")
    assert {o["id"].split("-")[0] for o in files["Observation"]} >= {"score", "item1"}
    for exported in files["Observation"]:  # the search sources' mappings, from the export's light records
        assert client.get(f"/fhir/r4/Observation/{exported['id']}", **bulk.auth).json() == exported


@pytest.mark.parametrize(
    ("query", "words"),
    [
        (_q("Spaceship?x=1"), "Unknown or unsupported resource type: Spaceship"),
        ("_type=Patient&" + _q(VITALS), "Observation is not a type named in _type"),
        (_q("Observation?colour=red"), "Unknown search parameter for Observation: colour"),
        (_q("Observation?category=survey&_include=Observation:patient"), "_include is not allowed in a filter"),
        (_q("Observation?_revinclude=Provenance:target"), "_revinclude is not allowed in a filter"),
        (_q("Observation?category=survey&_count=5"), "_count is not allowed in a filter"),
        (_q("Observation?_sort=date"), "_sort is not allowed in a filter"),
        (_q("Observation"), "expected <Type>?<search query>"),
        (_q("Observation?date=yesterday"), "date"),
        (_q("Slot?start=2026-01-01"), "is not a type exported here"),
        ("_typeFilter=", "_typeFilter is empty"),
    ],
)
def test_a_bad_type_filter_is_a_400_and_writes_nothing(client: Client, alice: Any, query: str, words: str) -> None:
    assert words in _outcome(Bulk(client, token_for(alice)).kick("$export", query), 400)
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="fhir.export").exists()


def test_the_filters_survive_a_worker_restart(client: Client, chart: Any, session_with_vitals: Any, alice: Any) -> None:
    bulk = Bulk(client, token_for(alice))
    status_url = bulk.start("$export", f"_type=Observation&{_q(VITALS)}")
    job = exporter.claim(worker="dead-worker")
    assert job is not None
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - exporter.STALE_AFTER * 2)
    [ended] = exporter.run_pending(worker="w2")  # a new process: it reads the filters from the job
    assert ended.status == ExportJob.Status.DONE and ended.attempts == 2
    manifest = bulk.manifest(status_url)
    observations = [o for entry in manifest["output"] for o in bulk.download(entry["url"])]
    assert observations and _categories(observations) == {"vital-signs"}


def test_deleted_lists_a_score_marked_in_error_since(
    client: Client, chart: Any, session_with_vitals: Any, alice: Any
) -> None:
    bulk = Bulk(client, token_for(alice))
    types = "_type=Observation,QuestionnaireResponse,Patient,DocumentReference"
    _, before = bulk.export("$export", types)
    score = Measurement.objects.filter(patient=chart, entered_in_error=False).first()
    assert score is not None
    items = sorted(
        o["id"] for o in before["Observation"] if o["id"].startswith("item") and o["id"].endswith(f"-{score.pk}")
    )
    assert items  # the PHQ-9's items were exported

    since = timezone.now() - dt.timedelta(seconds=1)
    # As outcomes.services.measurements.withdraw_measurements_of marks it.
    Measurement.objects.filter(pk=score.pk).update(
        entered_in_error=True,
        entered_in_error_reason="wrong patient",
        entered_in_error_by=alice,
        entered_in_error_at=timezone.now(),
    )
    manifest, files = bulk.export("$export", f"{types}&_since={_instant(since)}")
    deleted: dict[str, list[str]] = {}
    for entry in manifest["deleted"]:
        assert entry["type"] == "Bundle"
        bundles = bulk.download(entry["url"])  # each validates as an R4B Bundle
        assert entry["count"] == len(bundles)
        for found in bundles:
            assert found["type"] == "transaction"
            [line] = found["entry"]
            assert line["request"]["method"] == "DELETE"
            kind, _, rid = line["request"]["url"].partition("/")
            deleted.setdefault(kind, []).append(rid)
    assert sorted(deleted["Observation"]) == sorted([f"score-{score.pk}", *items])
    assert deleted["QuestionnaireResponse"] == [str(score.pk)]
    assert set(deleted) == {"Observation", "QuestionnaireResponse"}  # nothing else was withdrawn
    assert all(o["id"] != f"score-{score.pk}" for o in files.get("Observation", []))
    completed = AuditEvent.objects.filter(action="fhir.export.completed").order_by("-pk").first()
    assert completed is not None and completed.detail["deleted"] == {
        "Observation": len(items) + 1,
        "QuestionnaireResponse": 1,
    }

    # Withdrawn before _since: the client never had it after that, nothing to delete.
    later = timezone.now() + dt.timedelta(seconds=1)
    manifest, _ = bulk.export("$export", f"{types}&_since={_instant(later)}")
    assert manifest["deleted"] == []
    # Without _since: no deleted list at all.
    manifest, _ = bulk.export("$export", types)
    assert "deleted" not in manifest
    # A filter narrows the deletions too: vital signs only, the score is not among them.
    manifest, _ = bulk.export("$export", f"_type=Observation&{_q(VITALS)}&_since={_instant(since)}")
    assert manifest["deleted"] == []


def test_capability_statement_says_type_filter_is_supported(client: Client) -> None:
    rest = client.get("/fhir/r4/metadata").json()["rest"][0]
    [export] = [op for op in rest["operation"] if op["name"] == "export"]
    assert "_typeFilter" in export["documentation"] and "deleted" in export["documentation"]


def test_a_document_marked_in_error_is_not_a_deletion_a_condition_is(
    client: Client, chart: Any, alice: Any, bob: Any, settings: Any, tmp_path: Any
) -> None:
    from ketaclinic.patients import services, uploads
    from ketaclinic.patients.models import Condition
    from tests.conftest import tiny_pdf

    settings.KETACLINIC_DOCUMENTS_DIR = tmp_path / "documents"
    document = uploads.upload_by_staff(
        by=alice, patient=chart, content=tiny_pdf("letter"), kind="referral_letter", title="Letter", document_date=None
    )
    condition = Condition.objects.get(patient=chart)
    since = timezone.now() - dt.timedelta(seconds=1)
    uploads.mark_entered_in_error(by=alice, document=document, reason="wrong patient")
    services.mark_entered_in_error(by=bob, row=condition, reason="wrong patient")
    bulk = Bulk(client, token_for(alice))
    manifest, files = bulk.export("$export", f"_type=DocumentReference,Condition&_since={_instant(since)}")
    [entry] = manifest["deleted"]
    assert [b["entry"][0]["request"]["url"] for b in bulk.download(entry["url"])] == [f"Condition/{condition.pk}"]
    # The document stays in the export, with its status saying it was entered in error.
    [doc] = [d for d in files["DocumentReference"] if d["id"] == f"doc-{document.pk}"]
    assert doc["status"] == "entered-in-error"
    # Patient-level: the same.
    manifest, _ = bulk.export("Patient/$export", f"_type=DocumentReference,Condition&_since={_instant(since)}")
    assert [e["count"] for e in manifest["deleted"]] == [1]
