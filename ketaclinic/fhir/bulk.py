"""Bulk Data export, the request side (FHIR Bulk Data Access IG v2 "Export" operation; CONTRACTS §9): read a
kick-off request, queue the job (audited), answer its status URL, cancel it, find its files.

- ``GET /fhir/r4/$export`` (system level: every type the token's role reads) and ``GET /fhir/r4/Patient/$export``
  (patient level: the patients the token sees and the resources in their compartment, i.e. everything but the clinic's
  directory: Practitioner, Organization, Location; a consultation request only once it is linked to one of those
  patients). ``GET /fhir/r4/Group/<id>/$export`` (group level): the same types for the group's members only (the
  patients of one location, ``resources.group``; a group the token cannot see is a 404 and nothing is written).
  ``Prefer: respond-async`` is required.
- ``_type`` (comma-separated, repeatable): types this server serves; ``_since`` (a FHIR instant with a time zone):
  rows changed after it, by each table's change time (``CHANGED_AT``); a table without one contributes all its rows,
  so a ``_since`` export never misses a change; with ``_since`` the manifest's ``deleted`` lists the resources
  withdrawn since then (``ketaclinic.fhir.export_deleted``); ``_typeFilter``: search queries that narrow a type's
  rows (``ketaclinic.fhir.bulk_filters``); ``_outputFormat``: NDJSON only. Any other parameter is refused (400),
  as search refuses unknown parameters.
- One export at a time per token: a second kick-off while one is queued or running is a 429 (nothing written).

The work itself runs outside the request (``ketaclinic.fhir.exporter``), with the same access-scoped rows and the
same mappings as search, as the user who asked.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import Model
from django.http import HttpRequest
from django.utils import timezone

from ketaclinic.accounts.models import ApiToken, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.fhir import bulk_filters, registry
from ketaclinic.fhir.http import FhirError, require
from ketaclinic.fhir.models import ExportJob
from ketaclinic.fhir.resources.common import instant
from ketaclinic.infusions.models import RescueMedication, VitalReading
from ketaclinic.intake.models import ConsultationRequest, IntakeAssessment
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import Allergy, BodyMeasurement, Condition, Consent, Medication, Patient

PARAMS = frozenset({"_type", "_since", "_outputFormat", "_typeFilter"})
NDJSON = "application/fhir+ndjson"
#: What ``_outputFormat`` may say (the IG's abbreviations included); every one of them gets NDJSON.
NDJSON_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
#: Not in the Patient compartment: a patient-level export leaves them out (the clinic's directory, its calendars and
#: the audit log, which is the clinic's record of access rather than the patient's chart; and Group, a location's
#: roster of many patients rather than one patient's record).
NOT_IN_PATIENT_COMPARTMENT = frozenset(
    {"Practitioner", "PractitionerRole", "Organization", "Location", "Schedule", "AuditEvent", "Group"}
)


def exportable(rt: registry.ResourceType) -> bool:
    """Stored rows to export. Not the Questionnaire definitions (the scales' fixed catalogue: read them with
    ``Questionnaire``) nor Slots (worked out per request from the calendar; a file of free times would be stale)."""
    return bool(rt.sources) and rt.catalogue is None and rt.computed is None


#: How long a client should wait between polls (``Retry-After``).
POLL_SECONDS = 5
#: The column that moves whenever a row of this table changes. Chart rows are append-only (a correction is a new row
#: and the old one is entered in error), so their recording time is their change time; the patient, the intake
#: assessment and the consultation request keep ``updated_at``. Sessions, appointments, plan versions and the directory
#: change in place without one: a ``_since`` export includes all their rows (more than changed, never less).
CHANGED_AT: dict[type[Model], str] = {
    Patient: "updated_at",
    IntakeAssessment: "updated_at",
    ConsultationRequest: "updated_at",
    Condition: "recorded_at",
    Allergy: "recorded_at",
    Medication: "recorded_at",
    BodyMeasurement: "recorded_at",
    Consent: "recorded_at",
    VitalReading: "recorded_at",
    RescueMedication: "recorded_at",
    Measurement: "recorded_at",
}
_INSTANT_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


@dataclass(frozen=True)
class ExportRequest:
    level: str
    types: list[str]
    since: dt.datetime | None
    type_filters: dict[str, list[str]]
    #: A Group-level export: the location whose patients it holds (set by the view once the group is found).
    group: int | None = None


def parse_kick_off(request: HttpRequest, user: User, level: str) -> ExportRequest:
    """The kick-off request's parameters, checked; a 400 (or 403 for a type the role may not read) otherwise."""
    prefer = [part.strip().lower() for part in request.headers.get("Prefer", "").split(",")]
    if "respond-async" not in prefer:
        raise FhirError(400, "required", "Bulk export is asynchronous: send the header Prefer: respond-async.")
    for name in request.GET:
        if name not in PARAMS:
            raise FhirError(
                400,
                "not-supported",
                f"Unknown or unsupported $export parameter: {name}. Supported: {', '.join(sorted(PARAMS))}.",
            )
    for wanted in request.GET.getlist("_outputFormat"):
        if wanted not in NDJSON_FORMATS:
            raise FhirError(400, "not-supported", f"_outputFormat={wanted}: only {NDJSON} is written.")
    since = _since(request.GET.getlist("_since"))
    named = request.GET.getlist("_type")
    types = _types(named, user, level)
    type_filters = bulk_filters.parse(request.GET.getlist("_typeFilter"), types, named=bool(named), user=user)
    return ExportRequest(level=level, types=types, since=since, type_filters=type_filters)


def _since(values: list[str]) -> dt.datetime | None:
    if not values:
        return None
    if len(values) > 1:
        raise FhirError(400, "invalid", "_since may be given once.")
    # A "+" in a query string arrives as a space: a client that did not encode "+01:00" still means it.
    text = values[0].strip().replace(" ", "+")
    if not _INSTANT_RE.match(text):
        raise FhirError(
            400, "invalid", f"_since={values[0]}: expected a FHIR instant with a time zone, e.g. 2026-01-31T08:00:00Z."
        )
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError(400, "invalid", f"_since={values[0]}: not a real date and time.") from None
    return moment


def _types(values: list[str], user: User, level: str) -> list[str]:
    named = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if values and not named:
        raise FhirError(400, "invalid", "_type is empty: name one or more resource types, e.g. _type=Patient.")
    if not named:
        found = [
            rt.name
            for rt in registry.RESOURCE_TYPES.values()
            if role_can(user.role, rt.capability) and _in_scope(rt.name, level) and exportable(rt)
        ]
        if not found:
            raise FhirError(403, "forbidden", "Your role may not read any resource type this server exports.")
        return found
    chosen: list[str] = []
    for name in named:
        rt = registry.resource_type(name)  # 400 for an unknown type
        if not exportable(rt):
            raise FhirError(
                400,
                "not-supported",
                f"_type={name}: not exported ({name} is worked out per request or is a fixed catalogue); "
                f"search it instead (GET /fhir/r4/{name}).",
            )
        if not _in_scope(name, level):
            raise FhirError(
                400,
                "not-supported",
                f"_type={name}: not in the Patient compartment; a Patient/$export or Group/<id>/$export cannot "
                "include it "
                "(use the system-level $export).",
            )
        require(user, rt.capability, rt.name)  # 403, audited
        if name not in chosen:
            chosen.append(name)
    return chosen


def _in_scope(name: str, level: str) -> bool:
    return level == ExportJob.Level.SYSTEM or name not in NOT_IN_PATIENT_COMPARTMENT


def busy(retry: int = POLL_SECONDS) -> FhirError:
    return FhirError(
        429,
        "too-costly",
        "An export asked for with this token is still queued or running: wait for it (or cancel it with DELETE on "
        "its status URL) before starting another.",
        headers={"Retry-After": str(retry)},
    )


def kick_off(*, user: User, token: ApiToken, wanted: ExportRequest, request_url: str) -> ExportJob:
    """Queue the export (audited). A second one for the same token while one is queued or running is refused (429):
    checked first, and enforced by a partial unique index when two kick-offs race."""
    with transaction.atomic():
        if ExportJob.objects.filter(token=token, status__in=ExportJob.ACTIVE).exists():
            raise busy()
        try:
            with transaction.atomic():
                job = ExportJob.objects.create(
                    requested_by=user,
                    token=token,
                    level=wanted.level,
                    types=wanted.types,
                    since=wanted.since,
                    type_filters=wanted.type_filters,
                    group_location_id=wanted.group,
                    request_url=request_url,
                )
        except IntegrityError:
            raise busy() from None
        audit.record(
            actor=user,
            action="fhir.export.requested",
            obj=job,
            detail={
                "level": job.level,
                "types": job.types,
                "since": instant(job.since) if job.since else None,
                "type_filters": job.type_filters,
                **({"group_location": job.group_location_id} if job.group_location_id else {}),
            },
        )
    if settings.KETACLINIC_FHIR_EXPORT_START == "background":
        transaction.on_commit(start_in_background)
    return job


def start_in_background() -> None:
    """Run queued exports in a thread of this process; it claims jobs exactly as a jobs runner does."""
    threading.Thread(target=_background, name="fhir-export", daemon=True).start()


def _background() -> None:
    from ketaclinic.fhir import exporter

    try:
        exporter.run_pending(max_jobs=1, processes=1)  # never fork a threaded web process
    finally:
        close_old_connections()


def job_for(user: User, job_id: str) -> ExportJob:
    """The user's own export job: another user's, a cancelled one or an unknown id is 404; an expired one 410."""
    try:
        key = uuid.UUID(job_id)
    except ValueError:
        key = None
    job = ExportJob.objects.filter(pk=key, requested_by=user).first() if key else None
    if job is None or job.status == ExportJob.Status.CANCELLED:
        raise FhirError(404, "not-found", "No such export (or it is not yours, or it was cancelled).")
    if job.status == ExportJob.Status.EXPIRED:
        raise FhirError(410, "not-found", "This export has expired: its files were deleted. Start a new one.")
    return job


def manifest(job: ExportJob, base: str) -> dict[str, Any]:
    def url(name: str) -> str:
        return f"{base}/_bulk/{job.id}/{name}"

    assert job.transaction_time is not None
    found: dict[str, Any] = {
        "transactionTime": instant(job.transaction_time),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [{"type": o["type"], "url": url(o["file"]), "count": o["count"]} for o in job.output],
        "error": [{"type": "OperationOutcome", "url": url(o["file"]), "count": o["count"]} for o in job.errors],
    }
    if job.since is not None:  # what was withdrawn since then (Bundles of DELETE requests)
        found["deleted"] = [{"type": "Bundle", "url": url(o["file"]), "count": o["count"]} for o in job.deleted]
    return found


def cancel(*, user: User, job: ExportJob) -> None:
    """DELETE on the status URL: the job stops (a running worker notices at its next heartbeat and removes its
    files; a finished job's files go now). Audited."""
    from ketaclinic.fhir import exporter

    with transaction.atomic():
        was = job.status
        changed = ExportJob.objects.filter(pk=job.pk, status=was).update(
            status=ExportJob.Status.CANCELLED, finished_at=timezone.now(), progress="cancelled"
        )
        if not changed:
            raise FhirError(409, "conflict", "The export changed while you cancelled it: poll its status again.")
        audit.record(actor=user, action="fhir.export.cancelled", obj=job, detail={"was": was})
    if was != ExportJob.Status.RUNNING:
        exporter.remove_files(job.id)


def file_for(job: ExportJob, name: str) -> tuple[Path, dict[str, Any]]:
    """The path of one of a finished job's files, and its manifest entry; 404 for any other name."""
    if job.status != ExportJob.Status.DONE:
        raise FhirError(404, "not-found", "This export has no files (yet): poll its status URL.")
    from ketaclinic.fhir import exporter

    for entry in [*job.output, *job.errors, *job.deleted]:
        if entry["file"] == name:
            path = exporter.job_dir(job.id) / name
            if not path.is_file():
                raise FhirError(410, "not-found", "This file was deleted (the export expired).")
            return path, entry
    raise FhirError(404, "not-found", f"This export has no file named {name}.")
