"""Prior authorisation pages: a patient's authorisations (add, withdraw) and a location's list of those running out.

Thin views: load through the access helpers, validate a form, call one service (billing.services.authorisations).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.forms import OnceForm
from ketaclinic.accounts.roles import Role, role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Payer, PriorAuthorisation
from ketaclinic.billing.services import authorisations as service
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import get_patient_for_user, patients_visible_to
from ketaclinic.scheduling.views.common import chosen_location

WINDOWS = (14, 30, 60, 90)
"""Windows the user may choose on the page while the clinic has set none (a choice, not a default)."""


class AuthorisationForm(OnceForm, forms.Form):
    payer = forms.ModelChoiceField(queryset=Payer.objects.none())
    reference = forms.CharField(label="Reference number", max_length=50)
    service = forms.ChoiceField(label="What was authorised", choices=PriorAuthorisation.Service.choices)
    approved_sessions = forms.IntegerField(
        label="Approved sessions", required=False, min_value=1, help_text="As on the approval; empty if not counted."
    )
    approved_devices = forms.IntegerField(
        label="Approved devices (esketamine, 28 mg each)",
        required=False,
        min_value=1,
        help_text="As on the approval; empty if not counted.",
    )
    valid_from = forms.DateField(label="First day", widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, patient: Patient, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["payer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Payer.objects.filter(clinic_id=patient.location.clinic_id, is_active=True)


class WithdrawForm(forms.Form):
    reason = forms.CharField(max_length=500, error_messages={"required": "Say why it is withdrawn."})


class PolicyForm(forms.Form):
    running_out_days = forms.IntegerField(
        label="Ending within (days)", required=False, min_value=1, max_value=366, help_text="Empty: not set."
    )
    running_out_left = forms.IntegerField(
        label="Or with this many sessions or devices left, or fewer",
        required=False,
        min_value=0,
        max_value=100,
        help_text="Empty: not used.",
    )


def _patient_page(
    request: AuthedRequest, patient: Patient, form: AuthorisationForm | None, *, error: str = ""
) -> HttpResponse:
    today = service.today_at(patient.location)
    rows = service.for_patient(patient, today)
    audit.record(
        actor=request.user,
        action="billing.prior_auth_viewed",
        obj=patient,
        patient_id=patient.pk,
        detail={"authorisations": [row.authorisation.pk for row in rows]},
    )
    can_manage = role_can(request.user.role, "billing.manage")
    context = {
        "patient": patient,
        "rows": rows,
        "today": today,
        "form": form if form is not None else (AuthorisationForm(patient=patient) if can_manage else None),
        "can_manage": can_manage,
        "typical": service.TYPICAL_APPROVALS,
        "error": error,
        "uncovered": {row.authorisation.payer_id for row in rows} - service.payers_on(patient, today),
    }
    failed = form is not None or bool(error)
    return render(request, "billing/patient_authorisations.html", context, status=422 if failed else 200)


@require_http_methods(["GET", "POST"])
@staff_view("billing.view")
def patient_authorisations(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    if request.method == "GET":
        return _patient_page(request, patient, None)
    if not role_can(request.user.role, "billing.manage"):
        return _patient_page(request, patient, None)  # the page without a form; the service would refuse anyway
    form = AuthorisationForm(request.POST, patient=patient)

    def act(data: dict[str, Any]) -> Done:
        authorisation = service.record(by=request.user, patient=patient, **data)
        url = reverse("billing:patient_authorisations", kwargs={"patient_id": patient.pk})
        return f"Authorisation {authorisation.reference} recorded.", redirect(url)

    if done := submitted(request, form, act):
        return done
    return _patient_page(request, patient, form)


@require_POST
@staff_view("billing.manage")
def withdraw(request: AuthedRequest, authorisation_id: int) -> HttpResponse:
    authorisation = PriorAuthorisation.objects.filter(
        pk=authorisation_id, patient__in=patients_visible_to(request.user)
    ).first()
    if authorisation is None:
        raise Http404("No such authorisation.")
    form = WithdrawForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        done = service.withdraw(by=request.user, authorisation=authorisation, reason=data["reason"])
        url = reverse("billing:patient_authorisations", kwargs={"patient_id": done.patient_id})
        return f"Authorisation {done.reference} withdrawn.", redirect(url)

    if response := submitted(request, form, act):
        return response
    said = " ".join(str(message) for messages in form.errors.values() for message in messages)
    return _patient_page(request, authorisation.patient, None, error=f"Not withdrawn: {said}")


def _window(request: AuthedRequest, policy_days: int | None) -> int | None:
    if policy_days is not None:
        return policy_days
    raw = request.GET.get("days", "")
    return int(raw) if raw.isdigit() and int(raw) in WINDOWS else None


@require_http_methods(["GET", "POST"])
@staff_view("billing.view")
def running_out(request: AuthedRequest) -> HttpResponse:
    """Active authorisations of a location's patients ending within the clinic's window (or the one chosen here while
    the clinic has set none), or with few approved sessions or devices left."""
    location = chosen_location(request)
    clinic = location.clinic
    policy_form = None
    if request.method == "POST":
        if request.user.role != Role.CLINIC_ADMIN:
            raise Http404("Only a clinic admin sets the clinic's policy.")
        policy_form = PolicyForm(request.POST)

        def act(data: dict[str, Any]) -> Done:
            service.save_policy(by=request.user, clinic=clinic, **data)
            url = reverse("billing:authorisations_running_out") + f"?location={location.pk}"
            return "Saved the clinic's running-out window.", redirect(url)

        if done := submitted(request, policy_form, act):
            return done
    policy = service.policy_for(clinic)
    days = _window(request, policy.running_out_days if policy else None)
    left = policy.running_out_left if policy else None
    today = service.today_at(location)
    patients = patients_visible_to(request.user).filter(location=location)
    rows = service.running_out(patients, today=today, days=days, left=left)
    audit.record(
        actor=request.user,
        action="billing.prior_auth_running_out_viewed",
        obj=location,
        detail={"days": days, "left": left, "patients": sorted({r.authorisation.patient_id for r in rows})},
    )
    if policy_form is None and request.user.role == Role.CLINIC_ADMIN:
        initial = (
            {"running_out_days": policy.running_out_days, "running_out_left": policy.running_out_left}
            if policy
            else None
        )
        policy_form = PolicyForm(initial=initial)
    context = {
        "location": location,
        "locations": request.user.locations.filter(is_active=True).order_by("name"),
        "policy": policy,
        "days": days,
        "left": left,
        "windows": WINDOWS,
        "rows": rows,
        "today": today,
        "until": today + dt.timedelta(days=days) if days is not None else None,
        "policy_form": policy_form,
        "typical": service.TYPICAL_APPROVALS,
    }
    status = 422 if policy_form is not None and policy_form.is_bound else 200
    return render(request, "billing/running_out.html", context, status=status)
