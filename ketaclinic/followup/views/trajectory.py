"""The trajectory page of one patient and its chart (issue 8 "Trajectories"). Thin: load, audit, render.

Both are reads of patient data: the patient is loaded through ``get_patient_for_user`` (another location's patient is
404) and every view records an audit event.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketaclinic import charts
from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.followup.queries import trajectory
from ketaclinic.patients.queries import get_patient_for_user


def _scale(request: AuthedRequest) -> str | None:
    return (request.GET.get("scale") or "").strip()[:30] or None


@require_GET
@staff_view("outcomes.view")
def patient(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    view = trajectory.load(patient, scale=_scale(request))
    audit.record(
        actor=request.user,
        action="trajectory.view",
        obj=patient,
        patient_id=patient.pk,
        detail={"scale": view.scale or "", "scores": len(view.scores)},
    )
    context = {
        "patient": patient,
        "view": view,
        "can_adjust": role_can(request.user.role, "plans.adjust") and view.plan_active,
    }
    return render(request, "followup/trajectory/patient.html", context)


@require_GET
@staff_view("outcomes.view")
def chart_svg(request: AuthedRequest, patient_id: int) -> HttpResponse:
    patient = get_patient_for_user(request.user, patient_id)
    view = trajectory.load(patient, scale=_scale(request), with_adjustments=False)
    subscale = (request.GET.get("subscale") or "").strip()[:30]
    if subscale:
        if view.scale != _scale(request):  # the page fell back to another scale: that is not the series asked for
            raise Http404("No such series.")
        try:
            view = trajectory.subscale_series(view, subscale)
        except ValueError:
            raise Http404("No such series.") from None
    referrals = request.GET.get("referrals") == "1"
    if referrals:  # the pain plan's chart: its referrals marked beside the ketamine sessions
        view.sessions = sorted([*view.sessions, *trajectory.referral_marks(patient)], key=lambda m: m.started_at)
    audit.record(
        actor=request.user,
        action="trajectory.chart",
        obj=patient,
        patient_id=patient.pk,
        detail={"scale": view.scale or "", "subscale": subscale, "referrals": referrals},
    )
    size = "narrow" if request.GET.get("size") == "narrow" else "wide"
    response = HttpResponse(charts.render_svg(view, size=size), content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
