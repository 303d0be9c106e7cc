"""Bulk Data export over HTTP (FHIR Bulk Data Access IG v2; CONTRACTS §9): kick-off, status (poll and cancel) and
file downloads. Thin views: the checks and the writes are in ``ketaclinic.fhir.bulk``.

- kick-off ``GET $export`` / ``GET Patient/$export`` / ``GET Group/<id>/$export`` → 202 with
  ``Content-Location: <status URL>``;
- status ``GET _bulk/<id>`` → 202 with ``X-Progress`` and ``Retry-After`` while queued or running, 200 with the
  manifest (``application/json``) when done, 500 with an OperationOutcome when the export failed, 404 for someone
  else's or a cancelled export, 410 once expired; ``DELETE _bulk/<id>`` cancels (202);
- files ``GET _bulk/<id>/<Type>.ndjson`` → ``application/fhir+ndjson``, only to the user whose token asked
  (anyone else: 404), each download audited.
"""

from __future__ import annotations

import dataclasses
import json

from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date

from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.fhir import bulk
from ketaclinic.fhir.http import FhirError, fhir_view, operation_outcome, request_token, require
from ketaclinic.fhir.models import ExportJob
from ketaclinic.fhir.resources import group as groups


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/r4/").rstrip("/")


def _kick_off(request: HttpRequest, user: User, level: str, group: int | None = None) -> HttpResponse:
    wanted = dataclasses.replace(bulk.parse_kick_off(request, user, level), group=group)
    job = bulk.kick_off(
        user=user, token=request_token(request), wanted=wanted, request_url=request.build_absolute_uri()
    )
    response = operation_outcome(
        202,
        "informational",
        f"Export of {', '.join(job.types)} queued: poll the Content-Location URL.",
        headers={"Content-Location": f"{_base(request)}/_bulk/{job.id}"},
        severity="information",
    )
    return response


@fhir_view()
def export_system(request: HttpRequest, user: User) -> HttpResponse:
    return _kick_off(request, user, ExportJob.Level.SYSTEM)


@fhir_view()
def export_patients(request: HttpRequest, user: User) -> HttpResponse:
    return _kick_off(request, user, ExportJob.Level.PATIENT)


@fhir_view()
def export_group(request: HttpRequest, user: User, group_id: str) -> HttpResponse:
    """The group's members' resources: a group of a location the token's user does not work at is a 404."""
    require(user, "patient.view", "Group")
    location = groups.location_for_group(user, group_id)
    if location is None:
        raise FhirError(404, "not-found", f"Group/{group_id} is not known here or not visible to you.")
    return _kick_off(request, user, ExportJob.Level.GROUP, group=location.pk)


@fhir_view(methods=("GET", "HEAD", "DELETE"))
def status(request: HttpRequest, user: User, job_id: str) -> HttpResponse:
    job = bulk.job_for(user, job_id)
    if request.method == "DELETE":
        bulk.cancel(user=user, job=job)
        return operation_outcome(
            202, "informational", "Export cancelled; its files are deleted.", severity="information"
        )
    if job.status in ExportJob.ACTIVE:
        response = HttpResponse(status=202)
        response["X-Progress"] = job.progress or job.status
        response["Retry-After"] = str(bulk.POLL_SECONDS)
        return response
    if job.status == ExportJob.Status.FAILED:
        return operation_outcome(500, "exception", job.error or "The export failed.")
    response = HttpResponse(
        json.dumps(bulk.manifest(job, _base(request)), separators=(",", ":")),
        content_type="application/json; charset=utf-8",
    )
    if job.expires_at:
        response["Expires"] = http_date(job.expires_at.timestamp())
    return response


@fhir_view()
def download(request: HttpRequest, user: User, job_id: str, file_name: str) -> HttpResponseBase:
    job = bulk.job_for(user, job_id)
    path, entry = bulk.file_for(job, file_name)
    audit.record(
        actor=user,
        action="fhir.export.download",
        obj=job,
        detail={"type": entry["type"], "file": file_name, "count": entry["count"]},
    )
    response = FileResponse(path.open("rb"), content_type=bulk.NDJSON)
    response["Content-Disposition"] = f'attachment; filename="{file_name}"'
    return response
