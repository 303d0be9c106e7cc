"""Front-desk triage of consultation requests: the queue, one request with its history, and its actions.

Each action is a POST that calls one service; on a refusal the request page is shown again with the error next to
the field. Every page that shows a request is audited.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Q
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, replayed, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.intake.forms import consultation as forms
from ketaclinic.intake.models import ConsultationRequest
from ketaclinic.intake.queries import get_request_for_user, requests_visible_to
from ketaclinic.intake.services import consultation, referral
from ketaclinic.patients import services as patient_services
from ketaclinic.patients.document_views import attachment
from ketaclinic.patients.services import PATIENT_FIELDS

OPEN = [ConsultationRequest.Status.NEW, ConsultationRequest.Status.CONTACTED, ConsultationRequest.Status.BOOKED]


@require_GET
@staff_view("consultation.triage")
def request_list(request: AuthedRequest) -> HttpResponse:
    filters = forms.RequestFilterForm(request.GET or {"status": "open"})
    requests = requests_visible_to(request.user)
    if filters.is_valid():
        status = filters.cleaned_data["status"]
        if status == "open":
            requests = requests.filter(status__in=OPEN)
        elif status:
            requests = requests.filter(status=status)
        if filters.cleaned_data["review"]:
            requests = requests.filter(needs_clinical_review=True, clinical_reviewed_at__isnull=True)
        query = filters.cleaned_data["q"].strip()
        if query:
            requests = requests.filter(
                Q(family_name__icontains=query)
                | Q(given_name__icontains=query)
                | Q(email__iexact=query)
                | Q(reference__iexact=query)
            )
    page = Paginator(requests.order_by("-submitted_at", "-pk"), 25).get_page(request.GET.get("page"))
    audit.record(actor=request.user, action="consultation.list", detail={"results": page.paginator.count})
    params = request.GET.copy()
    params.pop("page", None)
    context = {"page": page, "filters": filters, "querystring": params.urlencode()}
    return render(request, "intake/triage/list.html", context)


def _detail(request: AuthedRequest, item: ConsultationRequest, **bound: BaseForm | None) -> HttpResponse:
    duplicates = consultation.find_duplicates(item, request.user)
    context: dict[str, Any] = {
        "item": item,
        "events": item.events.select_related("actor"),
        "duplicates": duplicates,
        "status_form": None,
        "note_form": bound.get("note_form") or forms.NoteForm(),
        "review_form": None,
        "link_form": None,
        # A referral's clinical content (reason, medications, allergies, letters) is for the clinical team, like the
        # chart's clinical documents (patients.uploads: minimum necessary).
        "clinical_sight": role_can(request.user.role, "consultation.review"),
        "documents": list(item.documents.all()),
    }
    if item.is_open:
        context["status_form"] = bound.get("status_form") or forms.StatusForm(request=item)
        if duplicates.visible:
            context["link_form"] = bound.get("link_form") or forms.LinkForm(candidates=duplicates.visible)
    if role_can(request.user.role, "consultation.review"):
        context["review_form"] = bound.get("review_form") or forms.ClinicalReviewForm()
    audit.record(actor=request.user, action="consultation.view", obj=item)
    return render(request, "intake/triage/detail.html", context)


@require_GET
@staff_view("consultation.triage")
def request_detail(request: AuthedRequest, request_id: int) -> HttpResponse:
    return _detail(request, get_request_for_user(request.user, request_id))


@require_POST
@staff_view("consultation.triage")
def request_status(request: AuthedRequest, request_id: int) -> HttpResponse:
    item = get_request_for_user(request.user, request_id)
    form = forms.StatusForm(request.POST, request=item)

    def act(data: dict[str, Any]) -> Done:
        consultation.change_status(
            by=request.user,
            request=item,
            to_status=data["status"],
            note=data["note"],
            consultation_at=data["consultation_at"],
            decline_reason=data["decline_reason"],
            expected_version=_version(request),
        )
        return "Status changed.", redirect("intake:request_detail", request_id=item.pk)

    return submitted(request, form, act) or _detail(request, item, status_form=form)


@require_POST
@staff_view("consultation.triage")
def request_note(request: AuthedRequest, request_id: int) -> HttpResponse:
    item = get_request_for_user(request.user, request_id)
    form = forms.NoteForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        consultation.add_note(by=request.user, request=item, note=data["note"])
        return "Note added.", redirect("intake:request_detail", request_id=item.pk)

    return submitted(request, form, act) or _detail(request, item, note_form=form)


@require_POST
@staff_view("consultation.review")
def request_review(request: AuthedRequest, request_id: int) -> HttpResponse:
    item = get_request_for_user(request.user, request_id)
    form = forms.ClinicalReviewForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        consultation.record_clinical_review(by=request.user, request=item, note=data["note"])
        return "Clinical review recorded.", redirect("intake:request_detail", request_id=item.pk)

    return submitted(request, form, act) or _detail(request, item, review_form=form)


@require_POST
@staff_view("consultation.triage")
def request_link(request: AuthedRequest, request_id: int) -> HttpResponse:
    item = get_request_for_user(request.user, request_id)
    candidates = consultation.find_duplicates(item, request.user).visible
    form = forms.LinkForm(request.POST, candidates=candidates)

    def act(data: dict[str, Any]) -> Done:
        patient = data["patient"]
        consultation.link_to_patient(by=request.user, request=item, patient=patient)
        text = f"Request linked to the existing patient {patient.full_name} ({patient.mrn})."
        return text, redirect("patients:chart", patient_id=patient.pk)

    return submitted(request, form, act) or _detail(request, item, link_form=form)


def _version(request: AuthedRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        return None


@require_http_methods(["GET", "POST"])
@staff_view("consultation.triage")
def request_convert(request: AuthedRequest, request_id: int) -> HttpResponse:
    item = get_request_for_user(request.user, request_id)
    if item.status not in consultation.CONVERTIBLE:
        if request.method == "POST" and (again := replayed(request)):
            return again
        messages.info(request, "Only a request whose person was contacted or booked can be converted.")
        return redirect("intake:request_detail", request_id=item.pk)
    duplicates = consultation.find_duplicates(item, request.user)
    show_acknowledge = bool(duplicates.visible or duplicates.elsewhere)
    form = forms.ConvertForm(
        request.POST or None,
        user=request.user,
        show_acknowledge=show_acknowledge,
        initial={**consultation.patient_data_from(item), "location": item.location_id},
    )

    def act(data: dict[str, Any]) -> Done:
        patient = consultation.convert_request(
            by=request.user,
            request=item,
            location=data["location"],
            data={name: data[name] for name in PATIENT_FIELDS},
            primary_clinician=data.get("primary_clinician"),
            acknowledge_duplicates=bool(data.get("acknowledge_duplicates")),
            expected_version=_version(request),
        )
        text = f"{patient.full_name} is registered with MRN {patient.mrn}."
        for warning in patient_services.registration_warnings(patient):
            messages.warning(request, warning)
        return text, redirect("patients:chart", patient_id=patient.pk)

    if done := submitted(request, form, act):
        return done
    audit.record(actor=request.user, action="consultation.view", obj=item, detail={"page": "convert"})
    return render(request, "intake/triage/convert.html", {"item": item, "form": form, "duplicates": duplicates})


@require_GET
@staff_view("consultation.review")
def request_document(request: AuthedRequest, request_id: int, document_id: int) -> HttpResponse:
    """A document that came with a referral: clinical, so for nurses and prescribers; audited as a read."""
    item = get_request_for_user(request.user, request_id)
    document = item.documents.filter(pk=document_id).first()
    if document is None:
        raise Http404("No such document on this request.")
    audit.record(actor=request.user, action="consultation.document", obj=item, detail={"document": document.pk})
    return attachment(
        referral.read_document(document),
        content_type=document.content_type,
        filename=f"{item.reference}-{document.pk}.{document.extension}",
    )
