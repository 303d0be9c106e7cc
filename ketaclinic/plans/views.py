"""Protocol library, plan drafting with a live preview, signing and amendments. Thin: evaluate, call a service."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, apply_errors, submitted
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.domain import protocols
from ketaclinic.ledger.services import witnesses
from ketaclinic.patients.queries import get_patient_for_user
from ketaclinic.plans import preview as pk_preview
from ketaclinic.plans import services
from ketaclinic.plans.evaluation import effective_protocol, evaluate
from ketaclinic.plans.forms import AmendForm, CosignForm, HoldForm, PlanForm, TuningForm
from ketaclinic.plans.models import PlanVersion, ProtocolTuning
from ketaclinic.plans.queries import get_version_for_user


def _overrides(request: AuthedRequest) -> dict[str, str]:
    """Override reasons typed next to findings: fields named ``override:<code>``."""
    return {
        key.split(":", 1)[1]: str(value) for key, value in request.POST.items() if key.startswith("override:") and value
    }


# --- Protocol library ------------------------------------------------------------------------------------------------


@require_GET
@staff_view("protocols.view")
def protocol_list(request: AuthedRequest) -> HttpResponse:
    rows = [effective_protocol(request.user.clinic, p.id) for p in protocols.all()]
    return render(request, "plans/protocol_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
@staff_view("protocols.view")
def protocol_detail(request: AuthedRequest, protocol_id: str) -> HttpResponse:
    if protocol_id not in protocols.ids():
        raise Http404("No such protocol.")
    protocol, version = effective_protocol(request.user.clinic, protocol_id)
    form = TuningForm(request.POST or None, protocol=protocol)
    if request.method == "POST":
        if request.user.role != "clinic_admin":
            raise PermissionDenied("Only clinic admins tune protocols.")
        if form.is_valid():
            try:
                services.tune_protocol(
                    by=request.user,
                    clinic=request.user.clinic,  # type: ignore[arg-type]  # staff always belong to a clinic
                    protocol_id=protocol_id,
                    overrides=form.override(),
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError as error:
                apply_errors(form, ValidationError({"value": [m for ms in error.message_dict.values() for m in ms]}))
            else:
                messages.success(request, "Saved as a new version of this protocol.")
                return redirect("plans:protocol_detail", protocol_id=protocol_id)
    history = ProtocolTuning.objects.filter(clinic=request.user.clinic, protocol_id=protocol_id).select_related(
        "changed_by"
    )
    context = {
        "protocol": protocol,
        "version": version,
        "form": form,
        "history": history,
        "fields": [
            (name, value)
            for name, value in vars(protocol).items()
            if name not in ("id", "name", "summary", "sources", "overridden", "esketamine")
        ],
    }
    return render(request, "plans/protocol_detail.html", context)


# --- Plans -----------------------------------------------------------------------------------------------------------


@require_GET
@staff_view("plans.view")
def patient_plans(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    versions = (
        PlanVersion.objects.filter(plan__patient=patient)
        .select_related("plan", "signed_by")
        .order_by("-plan__created_at", "-version")
    )
    audit.record(actor=request.user, action="plan.list", patient_id=patient.pk)
    return render(request, "plans/patient_plans.html", {"patient": patient, "versions": versions})


def _evaluation_context(request: AuthedRequest, patient: Any, form: PlanForm) -> dict[str, Any]:
    """Evaluate the bound form (no write) for the live panel: findings, dose, weights, schedule, PK preview."""
    if not form.is_valid():
        return {"form": form}
    try:
        result = evaluate(patient=patient, clinic=request.user.clinic, data=form.to_input(_overrides(request)))
    except ValidationError as error:
        apply_errors(form, error)
        return {"form": form}
    context: dict[str, Any] = {"form": form, "result": result}
    weight = result.measurement.weight_kg if result.measurement else None
    if weight is not None:
        try:
            context["preview"] = pk_preview.preview(
                route=result.protocol.route,
                dose_mg=float(result.first_dose_mg or result.dose_mg),
                duration_min=result.duration_min,
                weight_kg=float(weight),
                age_years=result.age_years,
                sex=patient.sex,
                height_cm=float(result.measurement.height_cm) if result.measurement else None,
                ke0_per_min=_ke0(request),
                ancestry=patient.pk_ancestry,
            )
        except ValueError as error:
            context["preview_error"] = str(error)
    return context


def _ke0(request: AuthedRequest) -> float | None:
    raw = (request.POST.get("ke0_per_min") or request.GET.get("ke0_per_min") or "").strip()
    try:
        value = float(Decimal(raw)) if raw else None
    except InvalidOperation:
        return None
    return value if value is not None and 0 < value < 10 else None


@require_http_methods(["GET", "POST"])
@staff_view("plans.write")
def plan_create(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    form = PlanForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        version = services.save_draft(by=request.user, patient=patient, data=form.to_input(_overrides(request)))
        text = "Draft saved. Review the checks and the PK preview, then sign."
        return text, redirect("plans:version", version_id=version.pk)

    if request.POST.get("action") != "preview" and (done := submitted(request, form, act)):
        return done
    context: dict[str, Any] = (
        _evaluation_context(request, patient, form) if request.method == "POST" else {"form": form}
    )
    context.update(patient=patient, title="New treatment plan")
    if request.headers.get("HX-Request"):
        return render(request, "plans/_evaluation.html", context)
    return render(request, "plans/plan_form.html", context)


@require_http_methods(["GET", "POST"])
@staff_view("plans.write")
def plan_edit(request: AuthedRequest, version_id: int) -> HttpResponse:
    version = get_version_for_user(request.user, version_id)
    if version.is_locked:
        messages.warning(request, "This version is signed and locked: amend it instead.")
        return redirect("plans:version", version_id=version.pk)
    initial = _initial_from(version)
    form = PlanForm(request.POST or None, initial=initial)
    patient = version.plan.patient

    def act(data: dict[str, Any]) -> Done:
        services.save_draft(by=request.user, patient=patient, data=form.to_input(_overrides(request)), version=version)
        return "Draft updated.", redirect("plans:version", version_id=version.pk)

    if request.POST.get("action") != "preview" and (done := submitted(request, form, act)):
        return done
    context: dict[str, Any] = (
        _evaluation_context(request, patient, form) if request.method == "POST" else {"form": form}
    )
    context.update(patient=patient, version=version, title=f"Edit draft plan v{version.version}")
    if request.headers.get("HX-Request"):
        return render(request, "plans/_evaluation.html", context)
    return render(request, "plans/plan_form.html", context)


def _initial_from(version: PlanVersion) -> dict[str, Any]:
    data = services.plan_input_from(version)
    return {
        "indication": data.indication,
        "protocol_id": data.protocol_id,
        "start_date": data.start_date,
        "dose_mode": data.dose_mode,
        "dose_mg_per_kg": data.dose_mg_per_kg,
        "fixed_dose_mg": data.fixed_dose_mg,
        "dosing_weight_basis": data.dosing_weight_basis,
        "infusion_duration_min": data.infusion_duration_min,
        "premedication": data.premedication,
        "sessions_planned": data.sessions_planned,
        "sessions_per_week": data.sessions_per_week,
        "concentration_mg_per_ml": data.concentration_mg_per_ml,
        "bag_volume_ml": data.bag_volume_ml,
        "syringe_volume_ml": data.syringe_volume_ml,
    }


@require_http_methods(["GET", "POST"])
@staff_view("plans.write")
def plan_amend(request: AuthedRequest, version_id: int) -> HttpResponse:
    signed = get_version_for_user(request.user, version_id)
    if signed.status != PlanVersion.Status.SIGNED:
        raise Http404("Only a signed version can be amended.")
    form = AmendForm(request.POST or None, initial=_initial_from(signed))
    patient = signed.plan.patient

    def act(data: dict[str, Any]) -> Done:
        version = services.amend(
            by=request.user, signed=signed, data=form.to_input(_overrides(request)), reason=data["change_reason"]
        )
        text = f"Amendment saved as draft v{version.version}; sign it to replace v{signed.version}."
        return text, redirect("plans:version", version_id=version.pk)

    if request.POST.get("action") != "preview" and (done := submitted(request, form, act)):
        return done
    context: dict[str, Any] = (
        _evaluation_context(request, patient, form) if request.method == "POST" else {"form": form}
    )
    context.update(patient=patient, version=signed, title=f"Amend plan v{signed.version}")
    if request.headers.get("HX-Request"):
        return render(request, "plans/_evaluation.html", context)
    return render(request, "plans/plan_form.html", context)


@require_GET
@staff_view("plans.view")
def version_detail(request: AuthedRequest, version_id: int) -> HttpResponse:
    return _version_page(request, get_version_for_user(request.user, version_id))


def _version_page(request: AuthedRequest, version: PlanVersion, hold_form: HoldForm | None = None) -> HttpResponse:
    patient = version.plan.patient
    audit.record(actor=request.user, action="plan.view", obj=version, patient_id=patient.pk)
    preview = None
    if version.weight_kg:
        try:
            preview = pk_preview.preview(
                route=version.route,
                dose_mg=float(version.first_dose_mg or version.dose_mg),
                duration_min=version.infusion_duration_min,
                weight_kg=float(version.weight_kg),
                age_years=version.age_years,
                sex=version.sex,
                height_cm=float(version.height_cm) if version.height_cm else None,
                ke0_per_min=_ke0(request),
                ancestry=patient.pk_ancestry,
            )
        except ValueError:
            preview = None
    history = version.plan.versions.select_related("signed_by", "created_by").order_by("-version")
    context = {
        "version": version,
        "patient": patient,
        "preview": preview,
        "history": history,
        "orders": version.orders.all(),
        "blocking": [f for f in version.findings if f.get("blocking")],
        "needs_cosignature": any(f.get("cosign") for f in version.findings),
        "cosign_form": CosignForm(),
        "hold_form": hold_form or HoldForm(),
        "medicines": patient.medications.filter(entered_in_error=False, stopped_on__isnull=True).order_by(
            "generic_name"
        ),
    }
    return render(request, "plans/version.html", context, status=422 if hold_form else 200)


@require_POST
@staff_view("plans.sign")
def version_sign(request: AuthedRequest, version_id: int) -> HttpResponse:
    version = get_version_for_user(request.user, version_id)
    form = CosignForm(request.POST)
    try:
        # Above the protocol's range a second prescriber re-authenticates here (the ledger's witness service).
        credentials = form.credentials("cosigner") if form.is_valid() else None
        signature = (
            None
            if credentials is None
            else witnesses.sign(
                request=request,
                credentials=credentials,
                actor=request.user,
                location=version.plan.patient.location,
                rule=services.COSIGNER,
            )
        )
        signed = services.sign(by=request.user, version=version, cosignature=signature)
    except (ValidationError, ServiceError) as error:
        text = (
            error.message
            if isinstance(error, ServiceError)
            else " ".join(m for ms in error.message_dict.values() for m in ms)
        )
        messages.error(request, text)
    else:
        calendar = " ".join(signed.calendar_changes)
        messages.success(
            request,
            "Signed. The plan is locked and the session orders are ready."
            + (f" Calendar: {calendar}" if calendar else ""),
        )
    return redirect("plans:version", version_id=version.pk)


@require_POST
@staff_view("plans.write")
def hold_add(request: AuthedRequest, version_id: int) -> HttpResponse:
    """Add a medicine to hold before each visit (draft versions only; locked with the version when signed)."""
    version = get_version_for_user(request.user, version_id)
    form = HoldForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        services.add_medicine_hold(
            by=request.user, version=version, medicine=data["medicine"], instruction=data["instruction"]
        )
        return f"Added {data['medicine']} to the medicines to hold.", redirect("plans:version", version_id=version.pk)

    return submitted(request, form, act) or _version_page(request, version, hold_form=form)


@require_POST
@staff_view("plans.write")
def hold_remove(request: AuthedRequest, version_id: int, index: int) -> HttpResponse:
    version = get_version_for_user(request.user, version_id)
    try:
        services.remove_medicine_hold(by=request.user, version=version, index=index)
    except ValidationError as error:
        messages.error(request, " ".join(m for ms in error.message_dict.values() for m in ms))
    else:
        messages.success(request, "Removed from the medicines to hold.")
    return redirect("plans:version", version_id=version.pk)
