"""``/fhir/r4/``: the CapabilityStatement, read (``GET {type}/{id}``) and search (``GET {type}?…``) — CONTRACTS §9.

Thin views: parse, check the role (403 OperationOutcome), load through the access-scoped rows in ``registry`` (a row
at another location is 404, never 403), audit, answer. Every read of patient data is audited as a patient-data read:
a read as one ``fhir.read`` event with the patient; a search as one ``fhir.search`` summary event plus one event per
patient on the page (ARCHITECTURE.md "Every read or write of patient data is audited"; audit/reads.py).
The clinic's directory (Practitioner, PractitionerRole, Organization, Location) and the Questionnaires hold no patient
data: their reads and searches are audited the same way, without a patient. ``_include`` adds the resources the
matches point at (``search.mode`` ``include``), each through the same access-scoped rows and audited with the search;
``_revinclude=Provenance:target`` adds the Provenance of the matches the same way (found with Provenance's own search).
``Binary`` serves the files behind DocumentReference.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import reverse
from django.utils.http import http_date

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.fhir import capability, registry
from ketaclinic.fhir import letters as letter_documents
from ketaclinic.fhir import referral as referrals
from ketaclinic.fhir.http import FhirError, fhir_response, fhir_view, require
from ketaclinic.fhir.registry.letters import letters_visible_to
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
    found = _load(user, rt, resource_id)
    if found is None:
        raise FhirError(404, "not-found", f"{rt.name}/{resource_id} is not known here or not visible to you.")
    resource, row, patient_id = found
    audit.record(
        actor=user,
        action="fhir.read",
        obj=row,
        patient_id=patient_id,
        detail={"resource_type": rt.name, "id": resource_id},
    )
    headers = _cache_headers(resource)
    if "ETag" in headers and request.headers.get("If-None-Match") == headers["ETag"]:
        response = HttpResponse(status=304)
        response["ETag"] = headers["ETag"]
        return response
    return fhir_response(resource, headers=headers)


def _load(user: User, rt: registry.ResourceType, resource_id: str) -> tuple[dict[str, Any], Any, int | None] | None:
    """The resource an id names, its row (None for a catalogue entry) and its patient; None when not visible."""
    if rt.computed is not None:
        computed = rt.computed.read(user, resource_id)
        return (computed, None, None) if computed is not None else None
    if rt.catalogue is not None:
        resource = next((r for r in rt.catalogue.resources() if r["id"] == resource_id), None)
        return (resource, None, None) if resource is not None else None
    found = registry.source_for_id(rt, resource_id)
    if found is None:
        return None
    source, pk = found
    row = source.rows(user).filter(pk=pk).first()
    if row is None:
        return None
    return source.to_fhir(row), row, source.patient_id(row)


@fhir_view()
def binary(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    """``Binary/doc-<id>`` (a chart document's file) or ``Binary/note-<id>`` (a signed session note): as its own
    content type (saved, never rendered), or as a Binary resource when the client asks for FHIR JSON."""
    require(user, "patient.view", "Binary")
    found = registry.binary(user, resource_id)
    if found is None:
        raise FhirError(404, "not-found", f"Binary/{resource_id} is not known here or not visible to you.")
    audit.record(
        actor=user,
        action="fhir.read",
        obj=found.row,
        patient_id=found.patient_id,
        detail={"resource_type": "Binary", "id": resource_id, **found.detail},
    )
    # The bytes never change once stored (a document is replaced by a new upload, a signed note is locked): their
    # SHA-256 is a strong ETag.
    headers = {
        "ETag": f'"{hashlib.sha256(found.content).hexdigest()}"',
        "Last-Modified": http_date(found.modified.timestamp()),
    }
    if request.headers.get("If-None-Match") == headers["ETag"]:
        response = HttpResponse(status=304)
        response["ETag"] = headers["ETag"]
        return response
    accept = request.headers.get("Accept", "")
    if "fhir+json" in accept or request.GET.get("_format") is not None:
        body = {
            "resourceType": "Binary",
            "id": resource_id,
            "contentType": found.content_type,
            "data": base64.b64encode(found.content).decode("ascii"),
        }
        return fhir_response(body, headers=headers)
    response = HttpResponse(found.content, content_type=found.content_type)
    for name, value in headers.items():
        response[name] = value
    response["Content-Disposition"] = f'attachment; filename="{resource_id}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


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
    includes = _wanted_includes(rt, request.GET.getlist("_include"))
    revincludes = _wanted_revincludes(rt, request.GET.getlist("_revinclude"))
    require(user, rt.capability, rt.name)
    page = page_of(request.GET)
    if rt.computed is not None:
        every = _with_ids(rt.computed.search(user, request.GET), request.GET)
        matched: Matched = [(r, None) for r in every[page.offset : page.offset + page.count]]
        total = len(every)
    elif rt.catalogue is not None:
        total, matched = _catalogue_page(rt.catalogue, request.GET, page.offset, page.count)
    else:
        total, matched = _rows_page(rt, user, request.GET, page.offset, page.count)
    base = _base(request)
    entries = [
        {"fullUrl": f"{base}/{rt.name}/{resource['id']}", "resource": resource, "search": {"mode": "match"}}
        for resource, _ in matched
    ]
    included = _included(user, includes, [resource for resource, _ in matched])
    included += _revincluded(user, rt, revincludes, [resource for resource, _ in matched], included)
    entries += [
        {"fullUrl": f"{base}/{name}/{resource['id']}", "resource": resource, "search": {"mode": "include"}}
        for name, resource, _ in included
    ]
    patient_ids = [pid for _, pid in matched] + [pid for _, _, pid in included]
    _audit_search(user, rt.name, request, total, patient_ids)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": total,
        "link": _links(request, base, rt.name, page.offset, page.count, total),
    }
    if entries:
        bundle["entry"] = entries
    return fhir_response(bundle)


Matched = list[tuple[dict[str, Any], int | None]]


def _rows_page(rt: registry.ResourceType, user: User, query: Any, offset: int, count: int) -> tuple[int, Matched]:
    # ``is not None``, never the queryset's truth value: that would load every row of every source.
    chosen = [(s, rows) for s in rt.sources if (rows := registry.filtered(s, user, query)) is not None]
    counted = [(source, rows, rows.count()) for source, rows in chosen]
    total = sum(found for _, _, found in counted)
    matched: Matched = []
    skip, wanted = offset, count
    for source, rows, found in counted:
        if wanted <= 0:
            break
        if skip >= found:
            skip -= found
            continue
        taken = list(rows[skip : skip + wanted])
        matched += [(source.to_fhir(row), source.patient_id(row)) for row in taken]
        wanted -= len(taken)
        skip = 0
    return total, matched


def _with_ids(resources: list[dict[str, Any]], query: Any) -> list[dict[str, Any]]:
    ids = [part for value in query.getlist("_id") for part in value.split(",")]
    return [r for r in resources if r["id"] in ids] if ids else resources


def _catalogue_page(catalogue: registry.Catalogue, query: Any, offset: int, count: int) -> tuple[int, Matched]:
    resources = _with_ids(catalogue.resources(), query)
    for name, matches in catalogue.filters.items():
        values = query.getlist(name)
        if values:
            resources = [r for r in resources if matches(r, values)]
    return len(resources), [(r, None) for r in resources[offset : offset + count]]


def _wanted_includes(rt: registry.ResourceType, values: list[str]) -> list[registry.Include]:
    """The ``_include`` values asked for; one this type does not support is a 400 (nothing is read)."""
    wanted = []
    for value in values:
        for part in value.split(","):
            source_type, _, rest = part.partition(":")
            param, _, target = rest.partition(":")
            include = rt.includes.get(f"{source_type}:{param}")
            if include is None or (target and include.target not in ("*", target)):
                supported = ", ".join(rt.includes) or "none"
                raise FhirError(
                    400, "not-supported", f"_include={part} is not supported for {rt.name}. Supported: {supported}."
                )
            wanted.append(registry.Include(target or include.target, include.references))
    return wanted


def _included(
    user: User, includes: list[registry.Include], matched: list[dict[str, Any]]
) -> list[tuple[str, dict[str, Any], int | None]]:
    """The resources the matches point at, each once, only those the token's user may see (a type its role may not
    read, or a row out of its sight, is left out silently: an include never widens access)."""
    seen: set[tuple[str, str]] = {(r["resourceType"], r["id"]) for r in matched}
    found: list[tuple[str, dict[str, Any], int | None]] = []
    for include in includes:
        for resource in matched:
            for reference in include.references(resource):
                name, _, rid = reference.rpartition("/")
                name = name.rsplit("/", 1)[-1]
                if (name, rid) in seen or include.target not in ("*", name):
                    continue
                seen.add((name, rid))
                rt = registry.RESOURCE_TYPES.get(name)
                if rt is None or not role_can(user.role, rt.capability):
                    continue
                loaded = _load(user, rt, rid)
                if loaded is not None:
                    found.append((name, loaded[0], loaded[2]))
    return found


def _wanted_revincludes(rt: registry.ResourceType, values: list[str]) -> list[registry.RevInclude]:
    """The ``_revinclude`` values asked for (``Provenance:target``, or ``Provenance:target:<this type>``); one this
    type does not support is a 400 (nothing is read)."""
    wanted: list[registry.RevInclude] = []
    for value in values:
        for part in value.split(","):
            source_type, _, rest = part.partition(":")
            param, _, target = rest.partition(":")
            revinclude = rt.revincludes.get(f"{source_type}:{param}")
            if revinclude is None or (target and target != rt.name):
                supported = ", ".join(rt.revincludes) or "none"
                raise FhirError(
                    400,
                    "not-supported",
                    f"_revinclude={part} is not supported for {rt.name}. Supported: {supported}.",
                )
            if revinclude not in wanted:
                wanted.append(revinclude)
    return wanted


def _revincluded(
    user: User,
    rt: registry.ResourceType,
    revincludes: list[registry.RevInclude],
    matched: list[dict[str, Any]],
    included: list[tuple[str, dict[str, Any], int | None]],
) -> list[tuple[str, dict[str, Any], int | None]]:
    """The resources that point at the matches (the Provenance whose ``target`` is one), each once: a search of that
    type with the matches as the parameter's values, through its own access-scoped rows (a role that may not read the
    type gets none, silently: a revinclude never widens access)."""
    if not matched:
        return []
    seen = {(r["resourceType"], r["id"]) for r in matched} | {(name, r["id"]) for name, r, _ in included}
    found: list[tuple[str, dict[str, Any], int | None]] = []
    for revinclude in revincludes:
        source_rt = registry.RESOURCE_TYPES[revinclude.source]
        if not role_can(user.role, source_rt.capability):
            continue
        query = QueryDict(mutable=True)
        query.setlist(revinclude.param, [",".join(f"{rt.name}/{r['id']}" for r in matched)])
        for source in source_rt.sources:
            rows = registry.filtered(source, user, query)
            for row in rows if rows is not None else ():
                resource = source.to_fhir(row)
                if (revinclude.source, resource["id"]) not in seen:
                    seen.add((revinclude.source, resource["id"]))
                    found.append((revinclude.source, resource, source.patient_id(row)))
    return found


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


def _signed_letter(user: User, letter_id: int, named: str) -> Any:
    rt = registry.resource_type("Composition")
    require(user, rt.capability, named.partition("/")[0])
    letter = letters_visible_to(user).select_related("signed_by").filter(pk=letter_id).first()
    if letter is None:
        raise FhirError(404, "not-found", f"{named} is not known here or not visible to you.")
    return letter


def _document_response(request: HttpRequest, user: User, letter: Any, resource_type: str, rid: str) -> HttpResponse:
    bundle = letter_documents.served_document(letter, base=_base(request))
    audit.record(
        actor=user,
        action="fhir.document",
        obj=letter,
        patient_id=letter.patient_id,
        detail={
            "resource_type": resource_type,
            "id": rid,
            "entries": len(bundle["entry"]),
            "frozen": bool(letter.document_bundle),
        },
    )
    return fhir_response(bundle)


@fhir_view()
def letter_document(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    """``Composition/{id}/$document``: a signed progress letter as a FHIR document Bundle — the one frozen when it was
    signed (fhir/letters.py)."""
    letter = _signed_letter(user, int(resource_id), f"Composition/{resource_id}")
    return _document_response(request, user, letter, "Composition", resource_id)


@fhir_view()
def letter_bundle(request: HttpRequest, user: User, resource_id: str) -> HttpResponse:
    """``Bundle/letter-<id>``: the same document as ``Composition/<id>/$document``, read as a Bundle (read only: no
    Bundle search). Same access and audit as Composition."""
    prefix, _, pk = resource_id.partition(letter_documents.BUNDLE_PREFIX)
    if prefix or not pk.isdigit() or len(pk) > 18:
        require(user, registry.resource_type("Composition").capability, "Bundle")
        raise FhirError(
            404, "not-found", f"Bundle/{resource_id} is not known here: the Bundles read here are letter-<id>."
        )
    letter = _signed_letter(user, int(pk), f"Bundle/{resource_id}")
    return _document_response(request, user, letter, "Bundle", resource_id)
