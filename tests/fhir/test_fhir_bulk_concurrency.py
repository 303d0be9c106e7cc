"""Two export workers (two machines running ``ketaclinic jobs``) at the same moment: every queued export is done
exactly once (issue 20 "safe on several machines"). Writing is slowed so the runs certainly overlap; the claims
(``select_for_update(skip_locked=True)`` and a conditional update) decide who takes which job. PostgreSQL only
(TESTING.md: SQLite serialises writers)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from ketaclinic.audit.models import AuditEvent
from ketaclinic.fhir import export_files, exporter
from ketaclinic.fhir.models import ExportJob
from tests.fhir.conftest import token_for

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers (run with DATABASE_URL=postgres://...)")


def test_two_workers_do_each_export_once(
    client: Client, pat: Any, alice: Any, bob: Any, dave: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for user in (alice, bob, dave):
        response = client.get(
            "/fhir/r4/$export?_type=Patient",
            HTTP_PREFER="respond-async",
            HTTP_AUTHORIZATION=f"Bearer {token_for(user)}",
        )
        assert response.status_code == 202
    original = export_files.PartWriter.write_part
    written: list[str] = []

    def slow(self: Any, part: Any, user: Any, since: Any) -> None:
        written.append(str(self.job.id))
        time.sleep(0.3)
        original(self, part, user, since)

    monkeypatch.setattr(export_files.PartWriter, "write_part", slow)
    barrier = threading.Barrier(2)
    ran: dict[str, list[str]] = {}

    def worker(name: str) -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            ran[name] = [str(job.id) for job in exporter.run_pending(worker=name)]
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=worker, args=(f"machine-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    jobs = list(ExportJob.objects.all())
    assert sorted(written) == sorted(str(job.id) for job in jobs)  # each job written once
    assert sorted(ran["machine-1"] + ran["machine-2"]) == sorted(str(job.id) for job in jobs)
    assert ran["machine-1"] and ran["machine-2"]  # both machines took work: the claims did not serialise them
    assert {job.status for job in jobs} == {ExportJob.Status.DONE}
    assert {job.attempts for job in jobs} == {1}
    assert AuditEvent.objects.filter(action="fhir.export.completed").count() == 3


def test_two_kick_offs_at_once_with_one_token_make_one_job(client: Client, pat: Any, alice: Any) -> None:
    token = token_for(alice)
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def kick() -> None:
        from django.db import connection as thread_connection

        try:
            barrier.wait()
            response = Client().get(
                "/fhir/r4/$export", HTTP_PREFER="respond-async", HTTP_AUTHORIZATION=f"Bearer {token}"
            )
            statuses.append(response.status_code)
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=kick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [202, 429]
    assert ExportJob.objects.count() == 1
    assert AuditEvent.objects.filter(action="fhir.export.requested").count() == 1


def test_writer_processes_write_what_one_process_writes(
    client: Client, chart: Any, session_with_vitals: Any, alice: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KETACLINIC_FHIR_EXPORT_PROCESSES > 1: the files are written by forked processes, with their own connections,
    a large source split into several files by key range; together they hold what one process writes in one file
    per type."""
    token = token_for(alice)
    contents = []
    for processes, part_rows in ((1, export_files.PART_ROWS), (2, 1)):
        monkeypatch.setattr(export_files, "PART_ROWS", part_rows)
        response = client.get("/fhir/r4/$export", HTTP_PREFER="respond-async", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 202
        [job] = exporter.run_pending(processes=processes)
        assert job.status == ExportJob.Status.DONE, job.error
        folder = exporter.job_dir(job.id)
        lines: dict[str, list[bytes]] = {}
        for output in job.output:
            written = (folder / output["file"]).read_bytes().splitlines()
            assert len(written) == output["count"]
            lines.setdefault(output["type"], []).extend(written)
        contents.append({name: sorted(found) for name, found in lines.items()})
        types = [o["type"] for o in job.output]
        assert sorted(set(types), key=types.index) == [t for t in job.types if t in lines]  # the request's order
    single, split = (exporter.job_dir(job.id) for job in ExportJob.objects.order_by("created_at"))
    assert contents[0] == contents[1]
    assert {"Patient", "Observation", "Encounter"} <= set(contents[1])
    assert (single / "Observation.ndjson").exists() and not (single / "Observation-1.ndjson").exists()
    assert (split / "Observation-1.ndjson").exists() and (split / "Observation-2.ndjson").exists()
