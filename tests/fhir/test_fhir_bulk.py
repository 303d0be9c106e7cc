"""Bulk Data export (issue 20, CONTRACTS §9): kick-off → poll → manifest → NDJSON downloads. Every line validates
against the R4B models; the files hold what the token's user may see; bad input, a second export and someone else's
download are refused with nothing written; cancel, failures and the retention purge."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaclinic.audit.models import AuditEvent
from ketaclinic.fhir import export_files, exporter
from ketaclinic.fhir.models import ExportJob
from ketaclinic.patients.models import Patient
from tests.conftest import make_patient
from tests.fhir.conftest import FHIR_JSON, token_for, validate

pytestmark = pytest.mark.django_db


class Bulk:
    """A client speaking the Bulk Data protocol with one token."""

    def __init__(self, client: Client, token: str) -> None:
        self.client = client
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    def kick(self, path: str = "$export", query: str = "", *, prefer: bool = True) -> Any:
        headers = {**self.auth, **({"HTTP_PREFER": "respond-async"} if prefer else {})}
        return self.client.get(f"/fhir/r4/{path}" + (f"?{query}" if query else ""), **headers)

    def start(self, path: str = "$export", query: str = "") -> str:
        response = self.kick(path, query)
        assert response.status_code == 202, response.content[:400]
        validate(response.json())
        location = response["Content-Location"]
        assert location.startswith("http://testserver/fhir/r4/_bulk/")
        return str(location.removeprefix("http://testserver"))

    def poll(self, status_url: str) -> Any:
        return self.client.get(status_url, **self.auth)

    def manifest(self, status_url: str) -> dict[str, Any]:
        response = self.poll(status_url)
        assert response.status_code == 200, response.content[:400]
        assert response["Content-Type"].startswith("application/json")
        return dict(response.json())

    def download(self, url: str) -> list[dict[str, Any]]:
        response = self.client.get(url.removeprefix("http://testserver"), **self.auth)
        assert response.status_code == 200, response.content[:400] if hasattr(response, "content") else response
        assert response["Content-Type"] == "application/fhir+ndjson"
        text = b"".join(response.streaming_content).decode()
        assert text.endswith("\n")
        resources = [json.loads(line) for line in text.splitlines()]
        for resource in resources:
            validate(resource)
        return resources

    def export(self, path: str = "$export", query: str = "") -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
        status_url = self.start(path, query)
        exporter.run_pending()
        manifest = self.manifest(status_url)
        files: dict[str, list[dict[str, Any]]] = {}
        for entry in manifest["output"]:  # a type may come in several files
            files.setdefault(entry["type"], []).extend(self.download(entry["url"]))
        return manifest, files


def _outcome(response: Any, status: int) -> str:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith(FHIR_JSON)
    body = response.json()
    validate(body)
    return str(body["issue"][0]["diagnostics"])


def test_system_export_kick_off_poll_manifest_and_downloads(
    client: Client, chart: Any, session_with_vitals: Any, lake: Any, alice: Any, stock: Any
) -> None:
    from tests.infusions.conftest import start_iv

    start_iv(session_with_vitals, alice, stock)  # dosing started: a MedicationAdministration too
    bulk = Bulk(client, token_for(alice))
    status_url = bulk.start("$export", "_outputFormat=application/fhir%2Bndjson")
    waiting = bulk.poll(status_url)
    assert waiting.status_code == 202
    assert waiting["X-Progress"] == "queued" and int(waiting["Retry-After"]) > 0
    assert AuditEvent.objects.filter(action="fhir.export.requested", actor=alice).count() == 1

    [job] = exporter.run_pending()
    assert job.status == ExportJob.Status.DONE
    manifest = bulk.manifest(status_url)
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"] == "http://testserver/fhir/r4/$export?_outputFormat=application/fhir%2Bndjson"
    assert manifest["transactionTime"].endswith("Z")
    assert manifest["error"] == []
    files = {entry["type"]: (entry, bulk.download(entry["url"])) for entry in manifest["output"]}
    # The nurse reads every clinical type; the chart and the session give these.
    assert {"Patient", "Observation", "Condition", "AllergyIntolerance", "MedicationStatement", "Encounter"} <= set(
        files
    )
    for entry, resources in files.values():
        assert entry["count"] == len(resources) > 0
        assert {r["resourceType"] for r in resources} == {entry["type"]}
    patient_ids = {r["id"] for r in files["Patient"][1]}
    assert patient_ids == {str(chart.pk)}  # never the other location's patient
    observations = files["Observation"][1]
    assert {o["subject"]["reference"] for o in observations} == {f"Patient/{chart.pk}"}
    assert any(o["id"].startswith("bp-") for o in observations)  # session vital signs
    assert any(o["id"].startswith("weight-") for o in observations)  # body measurement
    assert any(o["id"].startswith("score-") for o in observations)  # the PHQ-9 total
    # Same mapping as search: an exported resource equals the one a read returns.
    score = next(o for o in observations if o["id"].startswith("score-"))
    read = client.get(f"/fhir/r4/Observation/{score['id']}", **bulk.auth)
    assert read.json() == score
    for name in ("QuestionnaireResponse", "Encounter", "MedicationAdministration", "Patient", "Condition"):
        for exported in files[name][1]:
            assert client.get(f"/fhir/r4/{name}/{exported['id']}", **bulk.auth).json() == exported, name

    completed = AuditEvent.objects.get(action="fhir.export.completed")
    assert completed.actor == alice and completed.detail["patients"] == 1
    assert completed.detail["counts"]["Patient"] == 1
    downloads = AuditEvent.objects.filter(action="fhir.export.download", actor=alice)
    assert downloads.count() == len(files)


def test_patient_level_export_is_the_tokens_patients_and_their_compartment(
    client: Client, chart: Any, lake: Any, erin: Any
) -> None:
    manifest, files = Bulk(client, token_for(erin)).export("Patient/$export")
    assert [p["id"] for p in files["Patient"]] == [str(lake.pk)]  # erin works at Lakeside only
    assert not {"Practitioner", "Organization", "Location"} & set(files)
    assert "Condition" not in files  # the chart's condition belongs to Main St's patient
    job = ExportJob.objects.get()
    assert job.level == "patient" and job.patient_count == 1
    assert manifest["request"].endswith("/fhir/r4/Patient/$export")


def test_system_export_includes_the_directory(client: Client, pat: Any, alice: Any) -> None:
    _, files = Bulk(client, token_for(alice)).export("$export", "_type=Practitioner,Location&_type=Organization")
    assert set(files) == {"Practitioner", "Location", "Organization"}
    assert ExportJob.objects.get().types == ["Practitioner", "Location", "Organization"]


def test_type_and_since(client: Client, chart: Any, alice: Any, bob: Any, session_with_vitals: Any) -> None:
    from ketaclinic.patients import services

    bulk = Bulk(client, token_for(alice))
    _, files = bulk.export("$export", "_type=Patient,Condition,Encounter")
    assert set(files) == {"Patient", "Condition", "Encounter"}

    later = timezone.now() + dt.timedelta(seconds=1)
    since = later.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    services.add_condition(by=bob, patient=chart, description="Generalized anxiety disorder", icd10_code="F41.1")
    # Nothing recorded after `since` yet: the condition above was recorded before it.
    _, files = bulk.export("$export", f"_type=Patient,Condition,Encounter&_since={since}")
    assert "Patient" not in files and "Condition" not in files
    assert "Encounter" in files  # sessions keep no change time: a _since export includes them all (README)
    assert ExportJob.objects.order_by("-created_at").first().since is not None  # type: ignore[union-attr]

    Condition = type(services.add_condition(by=bob, patient=chart, description="Insomnia", icd10_code="G47.00"))
    Condition.objects.filter(description="Insomnia").update(recorded_at=later + dt.timedelta(seconds=5))
    Patient.objects.filter(pk=chart.pk).update(updated_at=later + dt.timedelta(seconds=5))
    _, files = bulk.export("$export", f"_type=Patient,Condition&_since={since.replace('Z', '%2B00:00')}")
    assert [c["code"]["text"] for c in files["Condition"]] == ["Insomnia"]
    assert [p["id"] for p in files["Patient"]] == [str(chart.pk)]


@pytest.mark.parametrize(
    ("path", "query", "prefer", "words"),
    [
        ("$export", "", False, "Prefer: respond-async"),
        ("Patient/$export", "", False, "Prefer: respond-async"),
        ("$export", "_type=Spaceship", True, "Unknown or unsupported resource type: Spaceship"),
        ("$export", "_type=", True, "_type is empty"),
        ("$export", "_since=yesterday", True, "expected a FHIR instant"),
        ("$export", "_since=2026-01-01", True, "expected a FHIR instant"),
        ("$export", "_since=2026-02-30T00:00:00Z", True, "not a real date"),
        ("$export", "_since=2026-01-01T00:00:00Z&_since=2026-01-02T00:00:00Z", True, "_since may be given once"),
        ("$export", "_outputFormat=text/csv", True, "only application/fhir+ndjson"),
        ("$export", "_elements=id", True, "Unknown or unsupported $export parameter"),
        ("Patient/$export", "_type=Practitioner", True, "not in the Patient compartment"),
        ("Patient/$export", "_type=AuditEvent", True, "not in the Patient compartment"),
        ("$export", "_type=Slot", True, "not exported (Slot is worked out per request"),
        ("$export", "_type=Questionnaire", True, "search it instead (GET /fhir/r4/Questionnaire)"),
        ("Encounter/1/$export", "", True, "is not supported"),
    ],
)
def test_bad_kick_off_is_a_400_and_writes_nothing(
    client: Client, alice: Any, path: str, query: str, prefer: bool, words: str
) -> None:
    assert words in _outcome(Bulk(client, token_for(alice)).kick(path, query, prefer=prefer), 400)
    assert not ExportJob.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="fhir.export").exists()


def test_a_type_the_role_may_not_read_is_403_and_the_default_is_what_it_reads(
    client: Client, pat: Any, carol: Any
) -> None:
    bulk = Bulk(client, token_for(carol))
    assert "may not read Condition" in _outcome(bulk.kick("$export", "_type=Patient,Condition"), 403)
    assert not ExportJob.objects.exists()
    _, files = bulk.export()
    job = ExportJob.objects.get()
    assert "Condition" not in job.types and "Observation" not in job.types
    assert {"Patient", "Appointment", "Consent"} <= set(job.types)
    assert [p["id"] for p in files["Patient"]] == [str(pat.pk)]


def test_no_token_is_401(client: Client) -> None:
    _outcome(client.get("/fhir/r4/$export", HTTP_PREFER="respond-async"), 401)
    assert not ExportJob.objects.exists()


def test_a_second_export_while_one_is_queued_is_429(client: Client, pat: Any, alice: Any) -> None:
    token = token_for(alice)
    bulk = Bulk(client, token)
    bulk.start()
    refused = bulk.kick("$export", "_type=Patient")
    assert "still queued or running" in _outcome(refused, 429)
    assert int(refused["Retry-After"]) > 0
    assert ExportJob.objects.count() == 1
    assert AuditEvent.objects.filter(action="fhir.export.requested").count() == 1
    exporter.run_pending()
    bulk.start("$export", "_type=Patient")  # once the first is done, the token may export again
    assert ExportJob.objects.count() == 2


def test_someone_else_cannot_poll_download_or_cancel(client: Client, pat: Any, alice: Any, bob: Any) -> None:
    mine = Bulk(client, token_for(alice))
    status_url = mine.start("$export", "_type=Patient")
    exporter.run_pending()
    file_url = mine.manifest(status_url)["output"][0]["url"].removeprefix("http://testserver")
    other = Bulk(client, token_for(bob))  # same clinic, same location, another user
    _outcome(other.poll(status_url), 404)
    _outcome(client.get(file_url, **other.auth), 404)
    _outcome(client.delete(status_url, **other.auth), 404)
    assert not AuditEvent.objects.filter(action="fhir.export.download").exists()
    _outcome(client.get(file_url.replace("Patient.ndjson", "Condition.ndjson"), **mine.auth), 404)
    _outcome(client.get("/fhir/r4/_bulk/00000000-0000-0000-0000-000000000000", **mine.auth), 404)
    assert ExportJob.objects.get().status == ExportJob.Status.DONE


def test_cancel_a_queued_export(client: Client, pat: Any, alice: Any) -> None:
    bulk = Bulk(client, token_for(alice))
    status_url = bulk.start()
    response = client.delete(status_url, **bulk.auth)
    assert response.status_code == 202
    assert exporter.run_pending() == []
    _outcome(bulk.poll(status_url), 404)
    assert AuditEvent.objects.filter(action="fhir.export.cancelled").count() == 1
    bulk.start()  # the token is free again


def test_cancel_a_finished_export_deletes_its_files(client: Client, pat: Any, alice: Any) -> None:
    bulk = Bulk(client, token_for(alice))
    status_url = bulk.start()
    [job] = exporter.run_pending()
    folder = exporter.job_dir(job.id)
    assert (folder / "Patient.ndjson").is_file()
    assert (folder / "Patient.ndjson").stat().st_mode & 0o777 == 0o600  # copies of chart data: owner only
    assert folder.stat().st_mode & 0o777 == 0o700
    assert client.delete(status_url, **bulk.auth).status_code == 202
    assert not folder.exists()


def test_a_running_export_stops_when_cancelled(client: Client, pat: Any, alice: Any) -> None:
    bulk = Bulk(client, token_for(alice))
    bulk.start()
    job = exporter.claim(worker="w1")
    assert job is not None and job.status == ExportJob.Status.RUNNING
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.CANCELLED)
    ended = exporter.run(job, worker="w1")
    assert ended.status == ExportJob.Status.CANCELLED
    assert not exporter.job_dir(job.id).exists()
    assert not AuditEvent.objects.filter(action="fhir.export.completed").exists()


def test_a_row_that_cannot_be_mapped_goes_to_the_error_file(
    client: Client, chart: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dataclasses import replace

    from ketaclinic.fhir import registry

    condition = registry.RESOURCE_TYPES["Condition"]

    def broken(row: Any) -> dict[str, Any]:
        raise ValueError("boom")

    patched = replace(condition, sources=(replace(condition.sources[0], to_fhir=broken),))
    monkeypatch.setitem(registry.RESOURCE_TYPES, "Condition", patched)
    bulk = Bulk(client, token_for(alice))
    status_url = bulk.start("$export", "_type=Patient,Condition")
    exporter.run_pending()
    manifest = bulk.manifest(status_url)
    assert [o["type"] for o in manifest["output"]] == ["Patient"]
    [error] = manifest["error"]
    assert error["type"] == "OperationOutcome" and error["count"] == 1
    [outcome] = bulk.download(error["url"])
    assert "Condition/" in outcome["issue"][0]["diagnostics"] and "ValueError" in outcome["issue"][0]["diagnostics"]


def test_an_export_whose_user_was_deactivated_fails(client: Client, pat: Any, alice: Any) -> None:
    bulk = Bulk(client, token_for(alice))
    status_url = bulk.start()
    type(alice).objects.filter(pk=alice.pk).update(is_active=False)
    [job] = exporter.run_pending()
    assert job.status == ExportJob.Status.FAILED
    assert not exporter.job_dir(job.id).exists()
    type(alice).objects.filter(pk=alice.pk).update(is_active=True)
    assert "deactivated" in _outcome(bulk.poll(status_url), 500)
    assert AuditEvent.objects.filter(action="fhir.export.failed", outcome="failure").count() == 1


def test_a_job_whose_worker_stopped_is_taken_over(client: Client, pat: Any, alice: Any) -> None:
    Bulk(client, token_for(alice)).start()
    job = exporter.claim(worker="dead-worker")
    assert job is not None
    assert exporter.claim(worker="w2") is None  # still fresh: nobody else takes it
    old = timezone.now() - exporter.STALE_AFTER - dt.timedelta(minutes=1)
    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=old)
    [ended] = exporter.run_pending(worker="w2")
    assert ended.status == ExportJob.Status.DONE and ended.worker == "w2" and ended.attempts == 2


def test_retention_purge_deletes_the_files_not_the_chart(client: Client, chart: Any, alice: Any) -> None:
    bulk = Bulk(client, token_for(alice))
    status_url = bulk.start()
    [job] = exporter.run_pending()
    file_url = bulk.manifest(status_url)["output"][0]["url"].removeprefix("http://testserver")
    assert job.expires_at is not None and job.finished_at is not None
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)  # KETACLINIC_FHIR_EXPORT_RETENTION_HOURS
    assert exporter.purge().expired == 0  # not yet due
    stray = Path(exporter.job_dir("not-a-job"))
    stray.mkdir(parents=True)
    assert bulk.poll(status_url).status_code == 200
    result = exporter.purge(now=job.expires_at + dt.timedelta(minutes=1))
    assert result.expired == 1 and result.leftover_dirs == 1
    assert not exporter.job_dir(job.id).exists() and not stray.exists()
    assert ExportJob.objects.get().status == ExportJob.Status.EXPIRED
    assert "expired" in _outcome(bulk.poll(status_url), 410)
    _outcome(client.get(file_url, **bulk.auth), 410)
    assert Patient.objects.filter(pk=chart.pk).exists()  # the export was a copy
    assert AuditEvent.objects.filter(action="fhir.export.expired").count() == 1
    assert exporter.purge(now=job.expires_at + dt.timedelta(hours=1)).expired == 0  # idempotent


def test_the_jobs_runner_runs_and_purges_exports(client: Client, pat: Any, alice: Any) -> None:
    from ketaclinic.cli import SCHEDULED_JOBS

    assert ("run_fhir_exports",) in SCHEDULED_JOBS and ("purge_fhir_exports",) in SCHEDULED_JOBS
    from io import StringIO

    from django.core.management import call_command

    Bulk(client, token_for(alice)).start()
    out = StringIO()
    call_command("run_fhir_exports", stdout=out)
    assert ": done (Patient 1" in out.getvalue()
    call_command("purge_fhir_exports", stdout=out)
    assert "FHIR exports expired (files deleted): 0" in out.getvalue()


def test_capability_statement_declares_export(client: Client) -> None:
    body = client.get("/fhir/r4/metadata").json()
    validate(body)
    rest = body["rest"][0]
    assert rest["operation"][0]["name"] == "export"
    assert rest["operation"][0]["definition"] == "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export"
    patient = next(r for r in rest["resource"] if r["type"] == "Patient")
    assert patient["operation"][0]["definition"].endswith("/patient-export")
    assert body["instantiates"] == ["http://hl7.org/fhir/uv/bulkdata/CapabilityStatement/bulk-data"]


def test_many_patients_stream_in_chunks(client: Client, main_st: Any, alice: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(export_files, "CHUNK", 3)
    for number in range(8):
        make_patient(main_st, given_name=f"P{number}", email=f"p{number}@example.org")
    _, files = Bulk(client, token_for(alice)).export("$export", "_type=Patient")
    assert len(files["Patient"]) == len({p["id"] for p in files["Patient"]}) == 8


def test_the_number_of_queries_does_not_grow_with_the_rows(
    client: Client, chart: Any, session_with_vitals: Any, alice: Any, bob: Any, main_st: Any, monkeypatch: Any
) -> None:
    """No mapping reads a relation or a column the export did not load (EXPORT_JOINS, EXPORT_COLUMNS): one query
    per source and chunk, however many rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ketaclinic.infusions.models import TreatmentSession, VitalReading
    from ketaclinic.outcomes.models import Measurement
    from ketaclinic.patients import services

    monkeypatch.setattr(export_files, "HEARTBEAT_S", 3600.0)
    bulk = Bulk(client, token_for(alice))

    def export_queries() -> tuple[int, int]:
        bulk.start()
        with CaptureQueriesContext(connection) as captured:
            [job] = exporter.run_pending()
        return len(captured), sum(o["count"] for o in job.output)

    few, rows_before = export_queries()
    for number in range(3):
        other = make_patient(main_st, given_name=f"Q{number}", email=f"q{number}@example.org")
        services.add_condition(by=bob, patient=other, description="Major depressive disorder", icd10_code="F33.1")
    for offset, score in enumerate(Measurement.objects.all(), start=1000):
        for copy in range(3):
            score.pk = None
            score.source_id = offset * 10 + copy
            score.save()
    for reading in VitalReading.objects.all():
        reading.pk = None
        reading.save()
    # More sessions (their Encounter, MedicationAdministration and Provenance, whose clinic is the location's),
    # copied onto the plan's later orders (one session per order).
    for session in TreatmentSession.objects.all():
        later = session.order.plan_version.orders.filter(treatment_sessions__isnull=True).order_by("session_number")[:2]
        for order in list(later):
            session.pk = None
            session.order = order
            session.appointment = None
            session.save()
    assert TreatmentSession.objects.count() >= 3
    many, rows_after = export_queries()
    assert rows_after > rows_before + 6
    assert many == few
