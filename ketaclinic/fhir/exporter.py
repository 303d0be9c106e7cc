"""Bulk Data export, the work side: claim a queued job, write its NDJSON files, finish it; purge expired files.

Safe on several machines: a worker claims a job in a transaction that skips rows another worker holds
(``select_for_update(skip_locked=True)``) and then moves it from queued to running with a conditional update, which
only one worker can win (SQLite has no row locks but serialises writers, so the conditional update alone decides
there). A running worker writes a heartbeat every few seconds; a job whose heartbeat stopped for ``STALE_AFTER`` (the
machine died) is claimed again, at most ``MAX_ATTEMPTS`` times.

Constant memory: rows come from the database in chunks of ``CHUNK`` (keyset pages by primary key, ``in_chunks``),
each is mapped by the same function search uses, written as one line and dropped. The rows are the requesting user's
access-scoped rows (``registry.Source.rows(user)``): an export holds exactly what that user's searches would find. A
file is written as ``<Type>.ndjson.part`` and renamed when complete, so a download never sees half a file. With
``KETACLINIC_FHIR_EXPORT_PROCESSES`` > 1 the types are written side by side by forked processes (largest first).

A row its mapping cannot turn into a resource does not sink the export: an OperationOutcome line naming it (type and
id, no patient data) goes to ``OperationOutcome.ndjson``, listed under the manifest's ``error``.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import shutil
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import orjson
from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Max, Min, Model, Q, QuerySet
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.fhir import registry
from ketaclinic.fhir.bulk import CHANGED_AT
from ketaclinic.fhir.models import ExportJob
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import Patient

logger = logging.getLogger(__name__)

#: Primary keys per query window (``in_chunks``): few enough queries, and a window of rows is a few MB at most.
CHUNK = 20_000
HEARTBEAT_S = 5.0
STALE_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 3
#: A type's rows that could not be mapped: ``OperationOutcome-<Type>.ndjson``, listed under the manifest's ``error``.
ERRORS_PREFIX = "OperationOutcome-"
_Status = ExportJob.Status
#: The joins an export keeps. The apps' ``*_visible_to`` queries join what their pages show (a session's patient,
#: location, order, plan and nurses; a patient's location and clinician): seven objects built per session row that
#: the mappings never read. An export keeps only what its mapping reads (tests/fhir/test_fhir_bulk.py checks that
#: the number of queries does not grow with the rows).
EXPORT_JOINS: dict[type[Model], tuple[str, ...]] = {TreatmentSession: (), Patient: ()}
#: The columns the mapping of a large table reads, by (resource type, table): those rows reach the mapping as light
#: records (the primary key and these columns, ``SimpleNamespace``) instead of model instances, which cost more to
#: build than the mapping itself (a session has ~60 columns, a score its JSON answers, flags and subscales). The same
#: mapping, the same values; tests/fhir/test_fhir_bulk.py checks an exported resource equals the one a read returns.
EXPORT_COLUMNS: dict[tuple[str, type[Model]], tuple[str, ...]] = {
    # Totals and items (an item reads its answer): one column set for both sources of this table.
    ("Observation", Measurement): ("patient_id", "instrument", "total", "band", "answers", "taken_at", "recorded_at"),
    ("QuestionnaireResponse", Measurement): ("patient_id", "instrument", "answers", "taken_at", "recorded_at"),
    ("Encounter", TreatmentSession): (
        "patient_id",
        "status",
        "route",
        "checked_in_at",
        "discharged_at",
        "version",
        "appointment_id",
        "location_id",
        "checked_in_by_id",
        "started_by_id",
        "discharged_by_id",
        "note_signed_by_id",
    ),
    ("MedicationAdministration", TreatmentSession): (
        "patient_id",
        "status",
        "route",
        "started_at",
        "infusion_ended_at",
        "dose_delivered_mg",
        "version",
    ),
}


class Stopped(Exception):
    """The job was cancelled (or taken over) while this worker ran it."""


class ExportFailed(Exception):
    """A reason to fail the whole job, said without patient data."""


def job_dir(job_id: uuid.UUID | str) -> Path:
    return Path(settings.KETACLINIC_FHIR_EXPORT_DIR) / str(job_id)


def remove_files(job_id: uuid.UUID | str) -> None:
    shutil.rmtree(job_dir(job_id), ignore_errors=True)


def private_file(path: Path) -> IO[bytes]:
    """A new file only its owner may read (0600 from the start: the files are copies of chart data)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb", buffering=1 << 20)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def export_rows(
    source: registry.Source, user: User, since: dt.datetime | None, level: str = ExportJob.Level.SYSTEM
) -> QuerySet[Any]:
    """The source's rows for this user (as search sees them), changed after ``since`` where the table keeps a change
    time, in primary-key order (the cheapest stable order on a large table). A Patient-level export keeps only the
    rows of the token's patients where a source also has others (``Source.compartment``)."""
    rows = source.rows(user)
    if level == ExportJob.Level.PATIENT and source.compartment is not None:
        rows = source.compartment(rows, user)
    column = CHANGED_AT.get(rows.model)
    if since is not None and column is not None:
        rows = rows.filter(**{f"{column}__gt": since})
    if rows.model in EXPORT_JOINS:
        rows = rows.select_related(None)
        if EXPORT_JOINS[rows.model]:
            rows = rows.select_related(*EXPORT_JOINS[rows.model])
    return rows.order_by("pk")


def source_rows(
    source: registry.Source, user: User, since: dt.datetime | None, type_name: str, level: str = ExportJob.Level.SYSTEM
) -> Iterator[Any]:
    """What the mapping gets: model instances, or light records for the large tables of ``EXPORT_COLUMNS``."""
    rows = export_rows(source, user, since, level)
    columns = EXPORT_COLUMNS.get((type_name, rows.model))
    if not columns:
        return in_chunks(rows)
    names = ("pk", *columns)
    chunks = in_chunks(rows.values_list("pk", *columns))
    return (SimpleNamespace(**dict(zip(names, values, strict=True))) for values in chunks)


def in_chunks(rows: QuerySet[Any]) -> Iterator[Any]:
    """The rows in windows of ``CHUNK`` primary keys (``low < pk <= low + CHUNK``), each window its own short query.

    Not one long-lived cursor: on SQLite a connection that holds a read snapshot open cannot write once anyone else
    has written (the heartbeat would fail with "database is locked" while the clinic works), and on PostgreSQL a
    cursor outside a transaction is materialised on the server first. Not ``pk > last … LIMIT`` either: SQLite
    answers the access filter (``patient_id IN (the user's patients)``) through the patient index, so each such page
    gathered and sorted every later row (a 1,000,000-row table took minutes); a closed window costs one probe per
    patient and its own rows. Memory stays one window. Rows added after the export began (a higher key) wait for the
    next export."""
    bounds = rows.model._base_manager.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    start = bounds["low"] - 1
    while start < bounds["high"]:
        end = start + CHUNK
        yield from list(rows.filter(pk__gt=start, pk__lte=end))
        start = end


# --- claiming ---------------------------------------------------------------------------------------------------------


def claim(*, worker: str, now: dt.datetime | None = None) -> ExportJob | None:
    """Take the oldest queued job (or one whose worker stopped), or None when there is none."""
    moment = now or timezone.now()
    stale = Q(status=_Status.RUNNING, heartbeat_at__lt=moment - STALE_AFTER)
    for _ in range(5):  # another worker may win the row between our read and our update (SQLite): try the next
        with transaction.atomic():
            # One row only: locking several would hide the others from a second worker until this one commits.
            candidate = (
                ExportJob.objects.select_for_update(skip_locked=True)
                .filter(Q(status=_Status.QUEUED) | stale)
                .order_by("created_at")
                .values_list("pk", "status", "heartbeat_at")
                .first()
            )
            if candidate is None:
                return None
            pk, status, heartbeat = candidate
            won = ExportJob.objects.filter(pk=pk, status=status, heartbeat_at=heartbeat).update(
                status=_Status.RUNNING,
                started_at=moment,
                heartbeat_at=moment,
                worker=worker,
                attempts=F("attempts") + 1,
                progress="started",
            )
        if won:
            return ExportJob.objects.select_related("requested_by").get(pk=pk)
    return None


def run_pending(
    *, max_jobs: int | None = None, worker: str | None = None, processes: int | None = None
) -> list[ExportJob]:
    """Claim and run jobs until none is left (or ``max_jobs`` ran); the jobs as they ended. ``processes``: how many
    processes write one job's types (default ``KETACLINIC_FHIR_EXPORT_PROCESSES``)."""
    name = worker or worker_name()
    spread = processes if processes is not None else settings.KETACLINIC_FHIR_EXPORT_PROCESSES
    ran: list[ExportJob] = []
    while max_jobs is None or len(ran) < max_jobs:
        job = claim(worker=name)
        if job is None:
            break
        ran.append(run(job, worker=name, processes=spread))
    return ran


# --- running ----------------------------------------------------------------------------------------------------------


@dataclass
class _Writer:
    """Writes whole resource types, one file each, in this process."""

    job: ExportJob
    worker: str
    directory: Path
    patients: set[int] = field(default_factory=set)
    outputs: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    last_beat: float = field(default_factory=time.monotonic)

    def write_type(self, rt: registry.ResourceType, user: User, since: dt.datetime | None) -> None:
        name = f"{rt.name}.ndjson"
        part = self.directory / f"{name}.part"
        count = 0
        failures = _Failures(self.directory / f"{ERRORS_PREFIX}{rt.name}.ndjson", self.job.id)
        try:
            with private_file(part) as out:
                for source in rt.sources:
                    for row in source_rows(source, user, since, rt.name, self.job.level):
                        try:
                            line = orjson.dumps(source.to_fhir(row), option=orjson.OPT_APPEND_NEWLINE)
                        except Exception as error:  # one bad row is reported, the export goes on
                            failures.add(rt.name, source, row, error)
                            continue
                        out.write(line)
                        count += 1
                        patient = source.patient_id(row)
                        if patient is not None:
                            self.patients.add(patient)
                        if count % 500 == 0:
                            self.beat(f"{rt.name}: {count:,} resources written")
        finally:
            if failures.close():
                self.errors.append({"type": "OperationOutcome", "file": failures.path.name, "count": failures.count})
        if count:
            part.rename(self.directory / name)
            self.outputs.append({"type": rt.name, "file": name, "count": count})
        else:
            part.unlink()  # the IG: a type with no resources gets no file
        self.beat(f"{rt.name}: done ({count:,})", force=True)

    def beat(self, progress: str, *, force: bool = False) -> None:
        """Every few seconds: say how far it got, and stop if the job was cancelled or taken over."""
        now = time.monotonic()
        if not force and now - self.last_beat < HEARTBEAT_S:
            return
        self.last_beat = now
        alive = ExportJob.objects.filter(pk=self.job.pk, status=_Status.RUNNING, worker=self.worker).update(
            heartbeat_at=timezone.now(), progress=progress[:200]
        )
        if not alive:
            raise Stopped


class _Failures:
    """The OperationOutcome lines of one type's rows that could not be mapped (opened at the first one)."""

    def __init__(self, path: Path, job_id: Any) -> None:
        self.path = path
        self.job_id = job_id
        self.count = 0
        self.file: IO[bytes] | None = None

    def add(self, type_name: str, source: registry.Source, row: Any, error: Exception) -> None:
        logger.warning("FHIR export %s: %s %s not mapped: %s", self.job_id, type_name, row.pk, type(error).__name__)
        if self.file is None:
            self.file = private_file(self.path)
        row_id = f"{source.id_prefix}-{row.pk}" if source.id_prefix else str(row.pk)
        outcome = {
            "resourceType": "OperationOutcome",
            "issue": [
                {
                    "severity": "error",
                    "code": "exception",
                    "diagnostics": f"{type_name}/{row_id} could not be exported ({type(error).__name__}).",
                }
            ],
        }
        self.file.write(orjson.dumps(outcome, option=orjson.OPT_APPEND_NEWLINE))
        self.count += 1

    def close(self) -> bool:
        if self.file is not None:
            self.file.close()
        return self.count > 0


def _export_type(job_id: uuid.UUID, worker: str, name: str) -> dict[str, Any]:
    """One resource type of a job, in whichever process runs it: its files, counts and patients."""
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    writer = _Writer(job=job, worker=worker, directory=job_dir(job_id))
    writer.write_type(registry.RESOURCE_TYPES[name], job.requested_by, job.since)
    return {"outputs": writer.outputs, "errors": writer.errors, "patients": sorted(writer.patients)}


def _export_type_task(task: tuple[uuid.UUID, str, str]) -> dict[str, Any]:
    return _export_type(*task)


def _largest_first(job: ExportJob, user: User) -> list[str]:
    """The job's types, the largest first, so parallel processes finish at about the same time."""

    def size(name: str) -> int:
        rt = registry.RESOURCE_TYPES[name]
        return sum(export_rows(source, user, job.since, job.level).count() for source in rt.sources)

    return sorted(job.types, key=size, reverse=True)


def _write(job: ExportJob, *, worker: str, user: User, processes: int) -> list[dict[str, Any]]:
    """Every type's file: in this process, or spread over ``processes`` forked ones (each type in one process)."""
    if processes <= 1 or len(job.types) <= 1:
        return [_export_type(job.pk, worker, name) for name in job.types]
    names = _largest_first(job, user)
    connections.close_all()  # a forked process must open its own connection, never share this one
    context = multiprocessing.get_context("fork")
    with context.Pool(min(processes, len(names))) as pool:
        done = pool.map(_export_type_task, [(job.pk, worker, name) for name in names], chunksize=1)
    by_name = dict(zip(names, done, strict=True))
    return [by_name[name] for name in job.types]


def run(job: ExportJob, *, worker: str, processes: int = 1) -> ExportJob:
    """Write the job's files and finish it (done, failed or, when cancelled meanwhile, nothing more)."""
    directory = job_dir(job.id)
    try:
        if job.attempts > MAX_ATTEMPTS:
            raise ExportFailed(f"The export stopped {MAX_ATTEMPTS} times without finishing; start a new one.")
        user = User.objects.get(pk=job.requested_by_id)
        _check_still_allowed(user, job)
        remove_files(job.id)  # a taken-over job starts from scratch
        directory.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory.mkdir(mode=0o700)
        ExportJob.objects.filter(pk=job.pk).update(transaction_time=timezone.now())
        parts = _write(job, worker=worker, user=user, processes=processes)
        patients: set[int] = set()
        for part in parts:
            patients.update(part["patients"])
        _finish(
            job,
            worker=worker,
            user=user,
            outputs=[o for part in parts for o in part["outputs"]],
            errors=[e for part in parts for e in part["errors"]],
            patients=len(patients),
        )
    except Stopped:
        # Cancelled: its files go. Taken over by another worker (this one was too slow): that worker owns them now.
        if ExportJob.objects.filter(pk=job.pk, status=_Status.CANCELLED).exists():
            remove_files(job.id)
    except ExportFailed as reason:
        _fail(job, worker=worker, message=str(reason))
    except Exception as error:
        logger.exception("FHIR export %s failed", job.id)
        _fail(
            job,
            worker=worker,
            message=f"The export failed on the server ({type(error).__name__}); the clinic's administrator can "
            "find the cause in the server log. Start a new export.",
        )
    job.refresh_from_db()
    return job


def _check_still_allowed(user: User, job: ExportJob) -> None:
    if not user.is_active:
        raise ExportFailed("The user who asked for this export has been deactivated.")
    for name in job.types:
        rt = registry.RESOURCE_TYPES.get(name)
        if rt is None:
            raise ExportFailed(f"{name} is no longer served by this server.")
        if not role_can(user.role, rt.capability):
            raise ExportFailed(f"The role of the user who asked may no longer read {name} resources.")


def _finish(
    job: ExportJob,
    *,
    worker: str,
    user: User,
    outputs: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    patients: int,
) -> None:
    now = timezone.now()
    with transaction.atomic():
        done = ExportJob.objects.filter(pk=job.pk, status=_Status.RUNNING, worker=worker).update(
            status=_Status.DONE,
            finished_at=now,
            heartbeat_at=now,
            expires_at=now + dt.timedelta(hours=settings.KETACLINIC_FHIR_EXPORT_RETENTION_HOURS),
            output=outputs,
            errors=errors,
            patient_count=patients,
            progress="done",
        )
        if not done:  # cancelled at the last moment
            transaction.on_commit(lambda: remove_files(job.id))
            return
        # One summary event: who, what, how many patients (the per-download events say who fetched which file).
        audit.record(
            actor=user,
            action="fhir.export.completed",
            obj=job,
            detail={
                "level": job.level,
                "types": job.types,
                "counts": {o["type"]: o["count"] for o in outputs},
                "patients": patients,
                "errors": sum(e["count"] for e in errors),
            },
        )


def _fail(job: ExportJob, *, worker: str, message: str) -> None:
    now = timezone.now()
    remove_files(job.id)
    with transaction.atomic():
        failed = ExportJob.objects.filter(pk=job.pk, status=_Status.RUNNING, worker=worker).update(
            status=_Status.FAILED,
            finished_at=now,
            expires_at=now + dt.timedelta(hours=settings.KETACLINIC_FHIR_EXPORT_RETENTION_HOURS),
            error=message,
            progress="failed",
        )
        if failed:
            audit.record(
                actor=None,
                action="fhir.export.failed",
                obj=job,
                outcome="failure",
                detail={"level": job.level, "types": job.types, "reason": message},
            )


# --- retention --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purged:
    expired: int
    leftover_dirs: int

    def lines(self) -> list[str]:
        return [
            f"FHIR exports expired (files deleted): {self.expired}",
            f"FHIR export folders removed (cancelled or abandoned): {self.leftover_dirs}",
        ]


def purge(*, now: dt.datetime | None = None) -> Purged:
    """Delete the files of finished exports past the retention window (copies of chart data, never the chart) and
    mark the jobs expired; remove any folder left by a cancelled or vanished job. Idempotent, audited."""
    moment = now or timezone.now()
    expired = 0
    due = ExportJob.objects.filter(status__in=(_Status.DONE, _Status.FAILED), expires_at__lte=moment)
    for job in list(due):
        with transaction.atomic():
            if ExportJob.objects.filter(pk=job.pk, status=job.status).update(
                status=_Status.EXPIRED, progress="expired"
            ):
                audit.record(actor=None, action="fhir.export.expired", obj=job, detail={"was": job.status})
                expired += 1
        remove_files(job.pk)
    leftovers = 0
    root = Path(settings.KETACLINIC_FHIR_EXPORT_DIR)
    if root.is_dir():
        keep = {_Status.QUEUED, _Status.RUNNING, _Status.DONE}
        for folder in root.iterdir():
            status = _status_of(folder.name)
            if folder.is_dir() and status not in keep:
                shutil.rmtree(folder, ignore_errors=True)
                leftovers += 1
    return Purged(expired=expired, leftover_dirs=leftovers)


def _status_of(name: str) -> str | None:
    try:
        key = uuid.UUID(name)
    except ValueError:
        return None
    return ExportJob.objects.filter(pk=key).values_list("status", flat=True).first()
