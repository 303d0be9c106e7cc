"""The patient's documents in the portal: the list of their own documents (uploaded by them or filed by staff on
their chart, never ones entered in error), the upload form (the file arrives "unfiled" on the chart for staff to
file) and the download of their own files.

Every document is loaded through the signed-in patient's id, so another patient's id is a 404 and nothing is written
or shown; the list and every download are audited as ``portal.view``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.documents import files
from ketaclinic.patients import uploads
from ketaclinic.patients.document_views import attachment, read_upload
from ketaclinic.patients.forms import PatientUploadForm
from ketaclinic.patients.models import ChartDocument, Patient
from ketaclinic.portal import services
from ketaclinic.portal.access import patient_view
from ketaclinic.portal.views.signin import page

UPLOADED_KEY = "kc_portal_document_uploaded"


def _own(patient: Patient) -> list[ChartDocument]:
    return list(ChartDocument.objects.filter(patient_id=patient.pk, entered_in_error=False))


@never_cache
@require_http_methods(["GET", "POST"])
@patient_view
def documents(request: HttpRequest, patient: Patient) -> HttpResponse:
    form = PatientUploadForm(request.POST or None, request.FILES or None)

    def act(data: dict[str, Any]) -> Done:
        uploads.upload_by_patient(
            patient=patient,
            content=read_upload(data["file"]),
            patient_says=data["patient_says"],
            note=data.get("note") or "",
        )
        request.session[UPLOADED_KEY] = True
        return redirect("portal:documents")

    if done := submitted(request, form, act):  # the form's one-time token: a double tap uploads once
        return done
    if request.method == "GET":
        services.record_view(patient_id=patient.pk, page="documents")
    context = {
        "patient": patient,
        "documents": _own(patient),
        "form": form,
        "uploaded": request.session.pop(UPLOADED_KEY, False) if request.method == "GET" else False,
        "limit_mb": settings.KETACLINIC_SCAN_MAX_MB,
        "section": "documents",
    }
    return page(request, "documents.html", context, status=422 if request.method == "POST" else 200)


@never_cache
@require_GET
@patient_view
def document(request: HttpRequest, patient: Patient, document_id: int) -> HttpResponse:
    found = get_object_or_404(ChartDocument, pk=document_id, patient_id=patient.pk, entered_in_error=False)
    content = files.read(found.file_name)
    services.record_view(patient_id=patient.pk, page="document download", obj=found)
    label = found.patient_says or found.kind
    return attachment(content, content_type=found.content_type, filename=f"{label}-{found.pk}.{found.extension}")
