"""The chart's Documents page: the list by kind, the upload form, filing a patient's upload, marking one entered in
error, and the download. Thin: load through the access helpers, validate, call one service (``patients.uploads``).

The patient is loaded through ``get_patient_for_user`` (another location's patient is 404) and the document through
that patient (another patient's document is 404). Showing the list and every download are audited as reads.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.documents import files
from ketaclinic.patients import forms, uploads
from ketaclinic.patients.models import ChartDocument, Patient
from ketaclinic.patients.queries import get_patient_for_user


def read_upload(upload: UploadedFile) -> bytes:
    """The uploaded bytes, never more than one byte past the limit into memory (the service then says "too big")."""
    return bytes(upload.read(settings.KETACLINIC_SCAN_MAX_MB * 1024 * 1024 + 1))


def attachment(content: bytes, *, content_type: str, filename: str) -> HttpResponse:
    """A download that the browser saves, never renders: ``attachment``, ``nosniff``, not cached."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def download_name(document: ChartDocument) -> str:
    return f"{document.patient.mrn}-{document.kind}-{document.pk}.{document.extension}"


def grouped(documents: list[ChartDocument]) -> list[tuple[str, list[ChartDocument]]]:
    """The documents by kind, in the order of the kinds (unfiled first: they wait for staff)."""
    return [
        (str(label), rows)
        for value, label in ChartDocument.Kind.choices
        if (rows := [d for d in documents if d.kind == value])
    ]


def _document(request: AuthedRequest, patient: Patient, document_id: int) -> ChartDocument:
    """One of the patient's documents this user may see; another patient's, or a clinical one for a role without
    clinical sight, is 404 (found in the query, never fetched then refused)."""
    documents = uploads.visible_to(request.user, ChartDocument.objects.filter(patient=patient))
    return get_object_or_404(documents.select_related("patient", "uploaded_by", "filed_by"), pk=document_id)


@require_GET
@staff_view("patient.view")
def document_list(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    can_upload = role_can(request.user.role, uploads.UPLOAD)
    show_all = request.GET.get("show") == "all"
    everything = patient.chart_documents.all()
    rows = list(
        uploads.visible_to(request.user, everything).select_related("uploaded_by", "filed_by", "entered_in_error_by")
    )
    clinical_hidden = 0 if uploads.sees_clinical(request.user) else everything.count() - len(rows)
    hidden = sum(1 for d in rows if d.entered_in_error)
    shown = rows if show_all else [d for d in rows if not d.entered_in_error]
    audit.record(
        actor=request.user,
        action="chart_document.list",
        obj=patient,
        patient_id=patient.pk,
        detail={"shown": len(shown), "entered_in_error_shown": show_all, "clinical_withheld": clinical_hidden},
    )
    context = {
        "patient": patient,
        "groups": grouped(shown),
        "hidden": hidden,
        "clinical_hidden": clinical_hidden,
        "show_all": show_all,
        "form": forms.ChartDocumentForm() if can_upload else None,
        "can_upload": can_upload,
        "limit_mb": settings.KETACLINIC_SCAN_MAX_MB,
    }
    return render(request, "patients/documents.html", context)


@require_http_methods(["GET", "POST"])
@staff_view(uploads.UPLOAD)
def document_upload(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    form = forms.ChartDocumentForm(request.POST or None, request.FILES or None)

    def act(data: dict[str, Any]) -> Done:
        document = uploads.upload_by_staff(
            by=request.user,
            patient=patient,
            content=read_upload(data["file"]),
            kind=data["kind"],
            title=data["title"],
            document_date=data.get("document_date"),
        )
        text = f"“{document.title}” is on the chart under {document.get_kind_display()}."
        return text, redirect("patients:documents", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request,
        "patients/document_upload.html",
        {"form": form, "patient": patient, "limit_mb": settings.KETACLINIC_SCAN_MAX_MB},
        status=422 if request.method == "POST" else 200,
    )


@require_GET
@staff_view("patient.view")
def document_download(request: AuthedRequest, patient_id: int, document_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    document = _document(request, patient, document_id)
    content = files.read(document.file_name)
    audit.record(
        actor=request.user,
        action="chart_document.download",
        obj=document,
        patient_id=patient.pk,
        detail={"sha256": document.sha256, "intact": files.sha256(content) == document.sha256},
    )
    return attachment(content, content_type=document.content_type, filename=download_name(document))


@require_http_methods(["GET", "POST"])
@staff_view(uploads.UPLOAD)
def document_file(request: AuthedRequest, patient_id: int, document_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    document = _document(request, patient, document_id)
    initial = {
        "kind": document.patient_says if document.kind == ChartDocument.Kind.UNFILED else document.kind,
        "title": document.title,
        "document_date": document.document_date,
    }
    form = forms.FileDocumentForm(request.POST or None, initial=initial)

    def act(data: dict[str, Any]) -> Done:
        filed = uploads.file_document(
            by=request.user,
            document=document,
            kind=data["kind"],
            title=data["title"],
            document_date=data.get("document_date"),
        )
        text = f"Filed under {filed.get_kind_display()}: “{filed.title}”."
        return text, redirect("patients:documents", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request,
        "patients/document_file.html",
        {"form": form, "patient": patient, "document": document},
        status=422 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_view(uploads.UPLOAD)
def document_entered_in_error(request: AuthedRequest, patient_id: int, document_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    document = _document(request, patient, document_id)
    form = forms.DocumentErrorForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        uploads.mark_entered_in_error(by=request.user, document=document, reason=data["reason"])
        text = "Marked entered in error: it stays on the chart, struck through and hidden by default."
        return text, redirect("patients:documents", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request,
        "patients/document_error.html",
        {"form": form, "patient": patient, "document": document},
        status=422 if request.method == "POST" else 200,
    )
