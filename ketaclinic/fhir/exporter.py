"""Bulk Data export, the work side: claim a queued job, write its NDJSON files, finish it; purge expired files.

Safe on several machines: a worker claims a job in a transaction that skips rows another worker holds
(``select_for_update(skip_locked=True)``) and then moves it from queued to running with a conditional update, which
only one worker can win (SQLite has no row locks but serialises writers, so the conditional update alone decides
there). A running worker writes a heartbeat every few seconds; a job whose heartbeat stopped for ``STALE_AFTER`` (the
machine died) is claimed again, at most ``MAX_ATTEMPTS`` times.

What goes into which file, and the writing itself: ``ketaclinic.fhir.export_files``. With
``KETACLINIC_FHIR_EXPORT_PROCESSES`` > 1 the job's files are written side by side by forked processes, the largest
first; a large type is split into several files so that they share it.
"""

from __future__ import annotations

import datetime as dt
import logging
import multiprocessing
import os
import shutil
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import F, Q
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.fhir import export_deleted, export_files, registry
from ketaclinic.fhir.export_files import Part, PartWriter, Stopped
from ketaclinic.fhir.models import ExportJob
from ketaclinic.fhir.resources.directory import locations_visible_to

logger = logging.getLogger(__name__)

STALE_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 3
_Status = ExportJob.Status
__all__ = ["Stopped", "claim", "job_dir", "purge", "remove_files", "run", "run_pending"]


class ExportFailed(Exception):
    """A reason to fail the whole job, said without patient data."""


def job_dir(job_id: uuid.UUID | str) -> Path:
    return Path(settings.KETACLINIC_FHIR_EXPORT_DIR) / str(job_id)


def remove_files(job_id: uuid.UUID | str) -> None:
    shutil.rmtree(job_dir(job_id), ignore_errors=True)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


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


def _export_part(job_id: uuid.UUID, worker: str, part: Part) -> dict[str, Any]:
    """One file of a job, in whichever process writes it: its outputs, errors and patients."""
    job = ExportJob.objects.select_related("requested_by").get(pk=job_id)
    writer = PartWriter(job=job, worker=worker, directory=job_dir(job_id))
    writer.write_part(part, job.requested_by, job.since)
    return {"outputs": writer.outputs, "errors": writer.errors, "patients": sorted(writer.patients)}


def _export_part_task(task: tuple[uuid.UUID, str, Part]) -> dict[str, Any]:
    return _export_part(*task)


def _write(job: ExportJob, *, worker: str, user: User, processes: int) -> list[dict[str, Any]]:
    """Every file of the job, in the plan's order: in this process, or spread over ``processes`` forked ones (the
    largest parts first, so that the processes finish at about the same time)."""
    parts = export_files.plan(job.types, user, job.since, job.level, job.type_filters, job.group_location_id)
    if processes <= 1 or len(parts) <= 1:
        return [_export_part(job.pk, worker, part) for part in parts]
    ordered = sorted(parts, key=lambda part: part.weight, reverse=True)
    connections.close_all()  # a forked process must open its own connection, never share this one
    context = multiprocessing.get_context("fork")
    with context.Pool(min(processes, len(ordered))) as pool:
        done = pool.map(_export_part_task, [(job.pk, worker, part) for part in ordered], chunksize=1)
    by_part = dict(zip(ordered, done, strict=True))
    return [by_part[part] for part in parts]


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
        deleted = export_deleted.write(job, user, directory)  # with _since only: what was withdrawn since
        patients: set[int] = set()
        for part in parts:
            patients.update(part["patients"])
        _finish(
            job,
            worker=worker,
            user=user,
            outputs=[o for part in parts for o in part["outputs"]],
            errors=[e for part in parts for e in part["errors"]],
            deleted=deleted,
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
    if job.group_location_id is not None and not locations_visible_to(user).filter(pk=job.group_location_id).exists():
        raise ExportFailed("The user who asked for this export no longer works at the group's location.")
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
    deleted: list[dict[str, Any]],
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
            deleted=deleted,
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
                "deleted": {d["resource_type"]: d["count"] for d in deleted},
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
