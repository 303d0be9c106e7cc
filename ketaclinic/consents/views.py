"""Consent documents (clinic admins), signing on the clinic's tablet, paper consents with a scan, and the downloads
of signed PDFs and scans. Thin: load through the access helpers, validate, call one service.

Every download is of one patient's file: the patient is loaded through ``get_patient_for_user`` (another location's
patient is 404) and the file through that patient (another patient's id is 404), and each download is audited.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, PermissionDenied, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.audit.middleware import client_ip
from ketaclinic.consents import forms, services
from ketaclinic.consents.models import ConsentDocument, ElectronicSignature, PaperConsentScan
from ketaclinic.documents import files
from ketaclinic.patients.queries import get_patient_for_user


def _documents_for(request: AuthedRequest) -> QuerySet[ConsentDocument]:
    return ConsentDocument.objects.filter(clinic_id=request.user.clinic_id or 0)


@require_GET
@staff_view("consents.manage")
def document_list(request: AuthedRequest) -> HttpResponse:
    documents = _documents_for(request).select_related("published_by").order_by("kind", "-version")
    return render(request, "consents/document_list.html", {"documents": documents})


@require_http_methods(["GET", "POST"])
@staff_view("consents.manage")
def document_create(request: AuthedRequest) -> HttpResponse:
    source = request.GET.get("from", "")
    based_on = _documents_for(request).filter(pk=int(source)).first() if source.isdigit() else None
    initial = {"kind": based_on.kind, "title": based_on.title, "body": based_on.body} if based_on else {}
    form = forms.ConsentDocumentForm(request.POST or None, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        clinic = request.user.clinic
        if clinic is None:
            raise PermissionDenied("Your account belongs to no clinic.")
        document = services.create_document(by=request.user, clinic=clinic, **data)
        text = f"Draft saved as version {document.version}: read it through, then publish it."
        return text, redirect("consents:document", document_id=document.pk)

    return submitted(request, form, act) or render(
        request, "consents/document_form.html", {"form": form, "based_on": based_on}
    )


@require_http_methods(["GET", "POST"])
@staff_view("consents.manage")
def document_detail(request: AuthedRequest, document_id: int) -> HttpResponse:
    document = get_object_or_404(_documents_for(request), pk=document_id)
    form = forms.PublishForm(request.POST if request.method == "POST" else None)

    def act(data: dict[str, Any]) -> Done:
        services.publish_document(by=request.user, document=document)
        text = f"Version {document.version} is published: patients sign it from now on."
        return text, redirect("consents:document", document_id=document.pk)

    return submitted(request, form, act) or render(
        request, "consents/document_detail.html", {"document": document, "form": form}
    )


@require_GET
@staff_view("consent.record")
def tablet_choose(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """The documents the patient can sign on this tablet now, with what they already signed."""
    patient = get_patient_for_user(request.user, patient_id)
    documents = services.current_documents(patient.location.clinic_id)
    signed = set(
        ElectronicSignature.objects.filter(patient=patient, document__in=documents).values_list(
            "document_id", flat=True
        )
    )
    rows = [(document, document.pk in signed) for document in documents]
    return render(request, "consents/tablet_choose.html", {"patient": patient, "rows": rows})


@require_http_methods(["GET", "POST"])
@staff_view("consent.record")
def tablet_sign(request: AuthedRequest, patient_id: int, document_id: int) -> HttpResponse:
    """The patient reads and signs one document on the clinic's tablet; the staff member signed in is the witness."""
    patient = get_patient_for_user(request.user, patient_id)
    document = get_object_or_404(
        ConsentDocument, pk=document_id, clinic_id=patient.location.clinic_id, status=ConsentDocument.Status.PUBLISHED
    )
    form = forms.ElectronicSignatureForm(request.POST or None, initial={"text_sha256": document.text_sha256})

    def act(data: dict[str, Any]) -> Done:
        signature = services.sign_electronically(
            patient=patient,
            document_version=document,
            ip=client_ip(request),  # behind the clinic's proxies, as every audit row (ESIGN record)
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
            witnessed_by=request.user,
            **form.service_arguments(),
        )
        text = f"Signed electronically: {document.title} (version {document.version}). The signed PDF is on the chart."
        return text, redirect("consents:signed", patient_id=patient.pk, signature_id=signature.pk)

    if done := submitted(request, form, act):
        return done
    audit.record(
        actor=request.user,
        action="consent.sign_page",
        obj=document,
        patient_id=patient.pk,
        detail={"version": document.version, "method": request.method},
    )
    return render(request, "consents/tablet_sign.html", {"patient": patient, "document": document, "form": form})


@require_GET
@staff_view("consent.record")
def signed(request: AuthedRequest, patient_id: int, signature_id: int) -> HttpResponse:
    """After signing: the confirmation, with the PDF to download, before the tablet goes back to staff."""
    patient = get_patient_for_user(request.user, patient_id)
    signature = get_object_or_404(
        ElectronicSignature.objects.select_related("document"), pk=signature_id, patient=patient
    )
    audit.record(actor=request.user, action="consent.signed.view", obj=signature, patient_id=patient.pk)
    return render(request, "consents/signed.html", {"patient": patient, "signature": signature})


def _attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@staff_view("patient.view")
def signature_pdf(request: AuthedRequest, patient_id: int, signature_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    signature = get_object_or_404(ElectronicSignature, pk=signature_id, patient=patient)
    content = files.read(signature.pdf_name)
    audit.record(
        actor=request.user,
        action="consent.pdf.download",
        obj=signature,
        patient_id=patient.pk,
        detail={"pdf_sha256": signature.pdf_sha256, "intact": files.sha256(content) == signature.pdf_sha256},
    )
    filename = f"consent-{patient.mrn}-{signature.document.kind}-v{signature.document_version}.pdf"
    return _attachment(content, content_type="application/pdf", filename=filename)


@require_http_methods(["GET", "POST"])
@staff_view("consent.record")
def paper_create(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    form = forms.PaperConsentForm(request.POST or None, request.FILES or None)

    def act(data: dict[str, Any]) -> Done:
        upload = data.pop("scan")
        limit = settings.KETACLINIC_SCAN_MAX_MB * 1024 * 1024
        content = upload.read(limit + 1)  # never more than one byte past the limit into memory
        services.record_paper_consent(by=request.user, patient=patient, scan=content, **data)
        return "Paper consent recorded with its scan.", redirect("patients:chart", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request, "consents/paper_form.html", {"form": form, "patient": patient}
    )


@require_GET
@staff_view("patient.view")
def scan_file(request: AuthedRequest, patient_id: int, scan_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    scan = get_object_or_404(PaperConsentScan, pk=scan_id, consent__patient=patient)
    content = files.read(scan.file_name)
    audit.record(actor=request.user, action="consent.scan.download", obj=scan, patient_id=patient.pk)
    filename = f"consent-scan-{patient.mrn}-{scan.consent.kind}.{scan.extension}"
    return _attachment(content, content_type=scan.content_type, filename=filename)
