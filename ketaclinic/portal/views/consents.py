"""The patient's consents in the portal: what they are asked to sign and what they signed, reading and signing one
document, the confirmation, and the download of their own signed PDF.

Signing goes through ``consents.services.sign_electronically`` with ``witnessed_by=None`` (the channel is then the
portal) and the client's address and user agent, the ESIGN/UETA record. Every read is filtered by the signed-in
patient (``consent_queries``): another patient's signature or another clinic's document is a 404 and writes nothing.
Every page that shows the patient's data is audited (``portal.view``), and so is the download.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.audit import services as audit
from ketaclinic.audit.middleware import client_ip
from ketaclinic.consents import files
from ketaclinic.consents.forms import ElectronicSignatureForm
from ketaclinic.consents.models import ConsentDocument, ElectronicSignature
from ketaclinic.consents.services import sign_electronically
from ketaclinic.patients.models import Patient
from ketaclinic.portal import consent_queries, services
from ketaclinic.portal.access import patient_view
from ketaclinic.portal.views.signin import page

SECTION = "consents"


def _local(patient: Patient, moment: dt.datetime) -> str:
    """A moment in the clinic's time zone, in words: "Monday 7 December 2026 at 09:14 (CST)"."""
    local = moment.astimezone(ZoneInfo(patient.location.clinic.timezone))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M} ({local:%Z})"


@never_cache
@require_GET
@patient_view
def consent_list(request: HttpRequest, patient: Patient) -> HttpResponse:
    found = consent_queries.consents(patient)
    services.record_view(patient_id=patient.pk, page="consents")
    signed = [(s, _local(patient, s.signed_at)) for s in found.signed]
    return page(
        request,
        "consents.html",
        {"patient": patient, "to_sign": found.to_sign, "signed": signed, "section": SECTION},
    )


@never_cache
@require_http_methods(["GET", "POST"])
@patient_view
def consent_sign(request: HttpRequest, patient: Patient, document_id: int) -> HttpResponse:
    document = consent_queries.document_for(patient, document_id)
    form = ElectronicSignatureForm(request.POST or None, initial={"text_sha256": document.text_sha256})

    def act(data: dict[str, Any]) -> Done:
        signature = sign_electronically(
            patient=patient,
            document_version=document,
            ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            witnessed_by=None,
            **form.service_arguments(),
        )
        return redirect("portal:consent_signed", signature_id=signature.pk)

    if done := submitted(request, form, act):
        return done
    if request.method == "GET":
        services.record_view(patient_id=patient.pk, page="consent", obj=document)
    earlier = ElectronicSignature.objects.filter(patient_id=patient.pk, document=document).first()
    context = {
        "patient": patient,
        "document": document,
        "form": form,
        "superseded": document.status == ConsentDocument.Status.SUPERSEDED,
        "earlier": earlier,
        "earlier_when": _local(patient, earlier.signed_at) if earlier else "",
        "section": SECTION,
    }
    return page(request, "consent_sign.html", context, status=422 if request.method == "POST" else 200)


@never_cache
@require_GET
@patient_view
def consent_signed(request: HttpRequest, patient: Patient, signature_id: int) -> HttpResponse:
    signature = consent_queries.signature_for(patient.pk, signature_id)
    services.record_view(patient_id=patient.pk, page="consent_signed", obj=signature)
    remaining = consent_queries.to_sign(patient)
    context = {
        "patient": patient,
        "signature": signature,
        "when": _local(patient, signature.signed_at),
        "remaining": remaining,
        "section": SECTION,
    }
    return page(request, "consent_signed.html", context)


@never_cache
@require_GET
@patient_view
def consent_pdf(request: HttpRequest, patient: Patient, signature_id: int) -> HttpResponse:
    """The patient's own signed PDF, as an attachment (never shown inline), audited with whether it is intact."""
    signature = consent_queries.signature_for(patient.pk, signature_id)
    content = files.read(signature.pdf_name)
    audit.record(
        actor=None,
        action="portal.consent_pdf",
        obj=signature,
        patient_id=patient.pk,
        detail={"pdf_sha256": signature.pdf_sha256, "intact": files.sha256(content) == signature.pdf_sha256},
    )
    filename = f"consent-{signature.document.kind}-v{signature.document_version}.pdf"
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
