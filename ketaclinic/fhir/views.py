"""``/fhir/r4/``: the CapabilityStatement, read (``GET {type}/{id}``) and search (``GET {type}?…``) — CONTRACTS §9.

Thin views: parse, check the role (403 OperationOutcome), load through the access-scoped rows in ``registry`` (a row
at another location is 404, never 403), audit, answer. Every read of patient data is audited as a patient-data read:
a read as one ``fhir.read`` event with the patient; a search as one ``fhir.search`` summary event plus one event per
patient on the page (ARCHITECTURE.md "Every read or write of patient data is audited"; audit/reads.py).
The clinic's directory (Practitioner, Organization, Location) holds no patient data: its reads and searches are
audited the same way, without a patient.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import http_date

from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.fhir import capability, registry
from ketaclinic.fhir import letters as letter_documents
from ketaclinic.fhir import referral as referrals
from ketaclinic.fhir.http import FhirError, fhir_response, fhir_view, require
from ketaclinic.fhir.search import check_params, page_of


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/fhir/r4/").rstrip("/")


@fhir_view(public=True)
def metadata(request: HttpRequest, user: User | None) -> HttpResponse:
    return fhir_response(capability.statement(_base(request)))


@fhir_view()
def unsupported(request: HttpRequest, user: User) -> HttpResponse:
    raise FhirError(
        400,
        "not-supported",
        f"{request.path} is not supported: this server reads and searches the types in /fhir/r4/metadata.",
    )


@fhir_view()
def read(request: HttpRequest, user: User, resource_type: str, resource_id: str) -> HttpResponse:
    rt = registry.resource_type(resource_type)
    require(user, rt.capability, rt.name)
    found = registry.source_for_id(rt, resource_id)
    row = found[0].rows(user).filter(pk=found[1]).first() if found is not None else None
    if found is None or row is None:
        raise FhirError(404, "not-found", f"{rt.name}/{resource_id} is not known here or not visible to you.")
    source = found[0]
    resource = source.to_fhir(row)
    audit.record(
        actor=user,
        action="fhir.read",
        obj=row,
        patient_id=source.patient_id(row),
        detail={"resource_type": rt.name, "id": resource_id},
    )
    headers = _cache_headers(resource)
    if "ETag" in headers and request.headers.get("If-None-Match") == headers["ETag"]:
        response = HttpResponse(status=304)
        response["ETag"] = headers["ETag"]
        return response
    return fhir_response(resource, headers=headers)


def _cache_headers(resource: dict[str, Any]) -> dict[str, str]:
    headers = {}
    version = resource.get("meta", {}).get("versionId")
    if version:
        headers["ETag"] = f'W/"{version}"'
    updated = resource.get("meta", {}).get("lastUpdated")
    if updated:
        moment = dt.datetime.fromisoformat(updated.replace("Z", "+00:00"))
        headers["Last-Modified"] = http_date(moment.timestamp())
    return headers


@fhir_view()
def search(request: HttpRequest, user: User, resource_type: str) -> HttpResponse:
    rt = registry.resource_type(resource_type)
    check_params(request.GET, rt.params, rt.name)
    require(user, rt.capability, rt.name)
    page = page_of(request.GET)
    # ``is not None``, never the queryset's truth value: that would load every row of every source.
    chosen = [(s, rows) for s in rt.sources if (rows := registry.filtered(s, user, request.GET)) is not None]
    counted = [(source, rows, rows.count()) for source, rows in chosen]
    total = sum(count for _, _, count in counted)
    found: list[tuple[registry.Source, Any]] = []
    skip, wanted = page.offset, page.count
    for source, rows, count in counted:
        if wanted <= 0:
            break
        if skip >= count:
            skip -= count
            continue
        taken = list(rows[skip : skip + wanted])
        found += [(source, row) for row in taken]
        wanted -= len(taken)
        skip = 0
    base = _base(request)
    entries = []
    for source, row in found:
        resource = source.to_fhir(row)
        entries.append(
            {"fullUrl": f"{base}/{rt.name}/{resource['id']}", "resource": resource, "search": {"mode": "match"}}
        )
    _audit_search(user, rt.name, request, total, [source.patient_id(row) for source, row in found])
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": _links(request, base, rt.name, page.offset, page.count, total),
    }
    if entries:
        bundle["entry"] = entries
    return fhir_response(bundle)


def _audit_search(
    user: User, resource_type: str, request: HttpRequest, total: int, patient_ids: list[int | None]
) -> None:
    detail = {"resource_type": resource_type, "params": sorted(request.GET), "total": total}
    with transaction.atomic():
        audit.record(actor=user, action="fhir.search", detail={**detail, "returned": len(patient_ids)})
        for patient_id in sorted({pid for pid in patient_ids if pid is not None}):
            audit.record(actor=user, action="fhir.search.patient", patient_id=patient_id, detail=detail)


def _links(request: HttpRequest, base: str, name: str, offset: int, count: int, total: int) -> list[dict[str, str]]:
    def url(start: int) -> str:
        query = request.GET.copy()
        query["_count"] = str(count)
        query["_offset"] = str(start)
        return f"{base}/{name}?{query.urlencode()}"

    links = [{"relation": "self", "url": url(offset)}]
    if count > 0:
        links.append({"relation": "first", "url": url(0)})
        if offset + count < total:
            links.append({"relation": "next", "url": url(offset + count)})
        if offset > 0:
            links.append({"relation": "previous", "url": url(max(offset - count, 0))})
    return links


@fhir_view(methods=("POST",))
def referral(request: HttpRequest, user: User) -> HttpResponse:
    """``POST Bundle``: a referral lands in the triage queue (fhir/referral.py; the write is intake's service)."""
    received = referrals.receive(user, referrals.read_body(request))
    item = received.request
    issues = [
        {
            "severity": "information",
            "code": "informational",
            "diagnostics": f"Referral received: consultation request {item.reference} is in the triage queue of "
            f"{item.location.name}.",
        }
    ]
    matches = len(received.duplicates.visible) + received.duplicates.elsewhere
    if matches:
        issues.append(
            {
                "severity": "warning",
                "code": "duplicate",
                "diagnostics": f"Possible existing patient ({matches} match{'es' if matches > 1 else ''}): triage "
                "checks before registering.",
            }
        )
    if item.needs_clinical_review:
        flags = ", ".join(flag["code"] for flag in item.red_flags)
        issues.append(
            {
                "severity": "warning",
                "code": "informational",
                "diagnostics": f"A clinician reviews this referral first ({flags}).",
            }
        )
    location = request.build_absolute_uri(reverse("intake:request_detail", kwargs={"request_id": item.pk}))
    return fhir_response(
        {"resourceType": "OperationOutcome", "issue": issues}, status=201, headers={"Location": location}
    )


@fhir_view()
def letter_document(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    """``Composition/{id}/$document``: a signed progress letter as a FHIR document Bundle (fhir/letters.py)."""
    rt = registry.resource_type("Composition")
    require(user, rt.capability, rt.name)
    letter = registry.letters_visible_to(user).select_related("signed_by").filter(pk=int(resource_id)).first()
    if letter is None:
        raise FhirError(404, "not-found", f"Composition/{resource_id} is not known here or not visible to you.")
    bundle = letter_documents.document_for(letter, base=_base(request))
    audit.record(
        actor=user,
        action="fhir.document",
        obj=letter,
        patient_id=letter.patient_id,
        detail={"resource_type": "Composition", "id": resource_id, "entries": len(bundle["entry"])},
    )
    return fhir_response(bundle)
