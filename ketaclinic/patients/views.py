"""Patient search, chart, registration and chart entries. Thin: load through queries, validate, call a service."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain import body
from ketaclinic.patients import forms, hooks, opioids, services, uploads
from ketaclinic.patients.models import ChartDocument, clinic_date
from ketaclinic.patients.queries import get_patient_for_user, patients_visible_to, search


@require_GET
@staff_view("patient.view")
def patient_list(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    patients = search(patients_visible_to(request.user), query).order_by("family_name", "given_name", "pk")
    page = Paginator(patients, 25).get_page(request.GET.get("page"))
    audit.record(
        actor=request.user,
        action="patient.search",
        detail={"query_length": len(query), "results": page.paginator.count},
    )
    template = "patients/_results.html" if request.headers.get("HX-Request") else "patients/list.html"
    return render(request, template, {"page": page, "query": query})


@require_http_methods(["GET", "POST"])
@staff_view("patient.create")
def patient_create(request: AuthedRequest) -> HttpResponse:
    form = forms.PatientForm(request.POST or None, user=request.user)

    def act(data: dict[str, Any]) -> Done:
        patient = services.create_patient(
            by=request.user,
            location=data["location"],
            data={name: data[name] for name in services.PATIENT_FIELDS},
            primary_clinician=data.get("primary_clinician"),
        )
        text = f"{patient.full_name} is registered with MRN {patient.mrn}."
        for warning in services.registration_warnings(patient):
            messages.warning(request, warning)
        return text, redirect("patients:chart", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request, "patients/form.html", {"form": form, "title": "Register a patient"}
    )


@require_http_methods(["GET", "POST"])
@staff_view("patient.edit")
def patient_edit(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    form = forms.PatientForm(request.POST or None, instance=patient, user=request.user)

    def act(data: dict[str, Any]) -> Done:
        changes = {name: data[name] for name in services.PATIENT_FIELDS}
        changes["primary_clinician"] = data.get("primary_clinician")
        version = int(request.POST.get("version", patient.version))
        services.update_patient(by=request.user, patient=patient, changes=changes, expected_version=version)
        return "Saved.", redirect("patients:chart", patient_id=patient.pk)

    if done := submitted(request, form, act):
        return done
    # The form shows the patient's demographics and contact details: a patient-data read (security.md H4).
    audit.record(
        actor=request.user,
        action="patient.view_edit_form",
        obj=patient,
        patient_id=patient.pk,
        detail={"method": request.method},
    )
    return render(
        request, "patients/form.html", {"form": form, "patient": patient, "title": f"Edit {patient.full_name}"}
    )


@require_GET
@staff_view("patient.view")
def patient_chart(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    clinical = role_can(request.user.role, "clinical.view")
    audit.record(
        actor=request.user,
        action="patient.view_chart",
        obj=patient,
        patient_id=patient.pk,
        detail={"sections": "clinical" if clinical else "demographics"},
    )
    context: dict[str, Any] = {
        "patient": patient,
        "clinical": clinical,
        # The signed PDF or the scan behind each consent (reverse one-to-one names from the consents app above).
        "consents": patient.consents.select_related(
            "recorded_by", "entered_in_error_by", "electronic_signature", "paper_scan"
        ),
    }
    # Clinical kinds only for nurses and prescribers (patients/uploads.py EVERYONE_KINDS).
    documents = uploads.visible_to(request.user, patient.chart_documents.filter(entered_in_error=False))
    context.update(
        recent_documents=documents[:5],
        unfiled_documents=documents.filter(kind=ChartDocument.Kind.UNFILED).count(),
    )
    if clinical:
        measurements = list(patient.measurements.select_related("recorded_by", "entered_in_error_by"))
        latest = next((m for m in measurements if not m.entered_in_error), None)
        context.update(
            conditions=patient.conditions.select_related("recorded_by", "entered_in_error_by"),
            medications=patient.medications.select_related("recorded_by", "entered_in_error_by"),
            opioids=opioids.summary_for(patient, today=clinic_date(patient)),
            allergies=patient.allergies.select_related("recorded_by", "entered_in_error_by"),
            nkda_statements=patient.nkda_statements.select_related(
                "recorded_by", "entered_in_error_by", "superseded_by_allergy"
            ),
            measurements=measurements,
            latest_measurement=latest,
            bmi_suggests_ibw=latest is not None and body.suggests_ideal_body_weight(latest.bmi),
            prompts=hooks.chart_prompts(request.user, patient),
        )
    return render(request, "patients/chart.html", context)


ENTRY_FORMS: dict[str, tuple[type[BaseForm], Any, str, str]] = {
    "measurement": (forms.MeasurementForm, services.record_measurement, "clinical.record", "Record weight and height"),
    "condition": (forms.ConditionForm, services.add_condition, "clinical.record", "Add a condition"),
    "medication": (forms.MedicationForm, services.add_medication, "clinical.record", "Add a current medication"),
    "allergy": (forms.AllergyForm, services.add_allergy, "clinical.record", "Add an allergy"),
    "consent": (forms.ConsentForm, services.record_consent, "consent.record", "Record a signed consent"),
}


def _entry_view(kind: str) -> Any:
    form_class, service, capability, title = ENTRY_FORMS[kind]

    @require_http_methods(["GET", "POST"])
    @staff_view(capability)
    def view(request: AuthedRequest, patient_id: int) -> HttpResponse:
        patient = get_patient_for_user(request.user, patient_id)
        form = form_class(request.POST or None)

        def act(data: dict[str, Any]) -> Done:
            service(by=request.user, patient=patient, **data)
            return f"{title}: saved.", redirect("patients:chart", patient_id=patient.pk)

        return submitted(request, form, act) or render(
            request, "patients/entry_form.html", {"form": form, "patient": patient, "title": title}
        )

    view.__name__ = f"{kind}_create"
    return view


measurement_create = _entry_view("measurement")
condition_create = _entry_view("condition")
medication_create = _entry_view("medication")
allergy_create = _entry_view("allergy")
consent_create = _entry_view("consent")


@require_http_methods(["GET", "POST"])
@staff_view("clinical.record")
def nkda_create(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    form = forms.NkdaForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        services.record_nkda(by=request.user, patient=patient)
        return "Recorded: no known drug allergies.", redirect("patients:chart", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request,
        "patients/entry_form.html",
        {"form": form, "patient": patient, "title": "Record no known drug allergies"},
    )


@require_http_methods(["GET", "POST"])
@staff_view("patient.view")
def entered_in_error(request: AuthedRequest, patient_id: int, kind: str, row_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    if kind not in services.RECORD_KINDS:
        raise Http404("No such kind of entry.")
    model, capability = services.RECORD_KINDS[kind]
    if not role_can(request.user.role, capability):
        raise Http404("No such entry.")
    row = model._default_manager.filter(patient=patient, pk=row_id).first()
    if row is None:
        raise Http404("No such entry.")
    form = forms.EnteredInErrorForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        services.mark_entered_in_error(by=request.user, row=row, reason=data["reason"])
        text = "Marked entered in error; it stays in the chart, struck through."
        return text, redirect("patients:chart", patient_id=patient.pk)

    return submitted(request, form, act) or render(
        request, "patients/entered_in_error.html", {"form": form, "patient": patient, "row": row}
    )
