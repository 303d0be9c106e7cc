"""The home programme's reports, as pages and CSV (ketaclinic.csv_safe): one patient's diary and the clinic's active
programmes. Clinical roles of the patient's location only (``clinical.view`` and the location scoping of
``get_patient_for_user`` / ``patients_visible_to``); every read is audited with the patients it shows."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.audit.reads import record_patients_shown
from ketaclinic.csv_safe import SafeCsvWriter
from ketaclinic.homecare import queries, reports
from ketaclinic.homecare.models import HomeProgramme
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import get_patient_for_user


def _programme(request: AuthedRequest, patient_id: int) -> tuple[Patient, HomeProgramme]:
    patient = get_patient_for_user(request.user, patient_id)
    programme = queries.active_programme(patient) or (
        HomeProgramme.objects.filter(patient=patient, entered_in_error=False).select_related("prescriber").first()
    )
    if programme is None:
        raise Http404("The patient has never been enrolled in the home programme.")
    return patient, programme


def _csv(header: tuple[str, ...], rows: list[tuple[object, ...]], filename: str) -> StreamingHttpResponse:
    writer = SafeCsvWriter()  # OWASP "CSV Injection": notes, reasons and names are typed text

    def lines() -> Iterator[str]:
        yield writer.row(header)
        for row in rows:
            yield writer.row(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
@staff_view("clinical.view")
def patient_report(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient, programme = _programme(request, patient_id)
    rows = reports.diary(programme)
    record_patients_shown(request, action="homecare.report_view", patient_ids=[patient.pk])
    current = queries.current_prescription(programme)
    return render(
        request,
        "homecare/patient_report.html",
        {
            "patient": patient,
            "programme": programme,
            "rows": rows,
            "balance": queries.balance(current) if current is not None else None,
        },
    )


@require_GET
@staff_view("clinical.view")
def patient_report_csv(request: AuthedRequest, patient_id: int) -> StreamingHttpResponse:
    patient, programme = _programme(request, patient_id)
    rows = reports.patient_csv_rows(reports.diary(programme))
    audit.record(
        actor=request.user, action="homecare.report_exported", patient_id=patient.pk, detail={"rows": len(rows)}
    )
    return _csv(reports.PATIENT_CSV_HEADER, rows, f"home-diary-{patient.mrn}-{timezone.now():%Y%m%d}.csv")


@require_GET
@staff_view("clinical.view")
def clinic_report(request: AuthedRequest) -> HttpResponse:
    rows = reports.clinic_programmes(request.user)
    record_patients_shown(
        request, action="homecare.clinic_report_view", patient_ids=[row.programme.patient_id for row in rows]
    )
    return render(request, "homecare/clinic_report.html", {"rows": rows, "window_days": reports.REFUSED_WINDOW_DAYS})


@require_GET
@staff_view("clinical.view")
def clinic_report_csv(request: AuthedRequest) -> StreamingHttpResponse:
    rows = reports.clinic_programmes(request.user)
    audit.record(
        actor=request.user,
        action="homecare.clinic_report_exported",
        detail={"rows": len(rows), "patients_shown": len(rows)},
    )
    record_patients_shown(
        request, action="homecare.clinic_report_exported", patient_ids=[row.programme.patient_id for row in rows]
    )
    return _csv(
        reports.CLINIC_CSV_HEADER, reports.clinic_csv_rows(rows), f"home-programmes-{timezone.now():%Y%m%d}.csv"
    )
