"""/billing/superbills/: generate a superbill from a signed session, read it, void it with a reason, and download it as
a PDF (billing.md §9)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.billing.claim_forms import SuperbillForm, SuperbillVoidForm
from ketaclinic.billing.models import Superbill
from ketaclinic.billing.queries import superbills_visible_to
from ketaclinic.billing.services import claims as claim_services
from ketaclinic.billing.services import descriptors
from ketaclinic.billing.services import superbills as services


@require_http_methods(["GET", "POST"])
@staff_view("billing.manage")
def superbill_new(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = claim_services.sessions_billable_by(request.user).filter(pk=session_id).first()
    if session is None:
        raise Http404("No such session.")
    form = SuperbillForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        chosen = [session]
        if data.get("first_date") and data.get("last_date"):
            chosen = services.sessions_in_range(
                request.user, patient_id=session.patient_id, first=data["first_date"], last=data["last_date"]
            )
        bill = services.generate_superbill(by=request.user, sessions=chosen, practitioner_min=data["practitioner_min"])
        return f"Superbill {bill.pk} generated.", redirect("billing:superbill_pdf", superbill_id=bill.pk)

    response = submitted(request, form, act, aliases={"session_ids": "__all__"})
    if response is not None:
        return response
    existing = superbills_visible_to(request.user).filter(sessions=session)
    return render(
        request,
        "billing/superbill_new.html",
        {"session": session, "form": form, "existing": existing, "date": claim_services.service_date(session)},
        status=422 if request.method == "POST" else 200,
    )


def _readable(request: AuthedRequest, superbill_id: int) -> Superbill:
    if not (role_can(request.user.role, "billing.manage") or role_can(request.user.role, "billing.view")):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Your role does not allow this (billing.manage or billing.view).")
    bill = superbills_visible_to(request.user).filter(pk=superbill_id).first()
    if bill is None:
        raise Http404("No such superbill.")
    return bill


@require_GET
@staff_view()
def superbill_pdf(request: AuthedRequest, superbill_id: int) -> HttpResponse:
    bill = _readable(request, superbill_id)
    content = services.superbill_pdf(bill, by=request.user)
    audit.record(actor=request.user, action="billing.superbill.pdf", obj=bill, patient_id=bill.patient_id)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="superbill-{bill.pk}.pdf"'
    return response


@require_GET
@staff_view()
def superbill_detail(request: AuthedRequest, superbill_id: int) -> HttpResponse:
    return _detail(request, _readable(request, superbill_id), None)


def _detail(request: AuthedRequest, bill: Superbill, void_form: SuperbillVoidForm | None) -> HttpResponse:
    lines = bill.content.get("lines", [])
    said = descriptors.descriptors_for(bill.patient.location.clinic_id, [line.get("code", "") for line in lines])
    audit.record(actor=request.user, action="billing.superbill.read", obj=bill, patient_id=bill.patient_id)
    context = {
        "bill": bill,
        "c": bill.content,
        "lines": [(line, said.get(line.get("code", ""))) for line in lines],
        "can_void": role_can(request.user.role, "billing.manage") and not bill.void_reason,
        "void_form": void_form or SuperbillVoidForm(),
    }
    return render(request, "billing/superbill.html", context, status=422 if void_form is not None else 200)


@require_POST
@staff_view("billing.manage")
def superbill_void(request: AuthedRequest, superbill_id: int) -> HttpResponse:
    bill = _readable(request, superbill_id)
    form = SuperbillVoidForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        services.void_superbill(by=request.user, superbill=bill, reason=data["reason"])
        return f"Superbill {bill.pk} is void.", redirect("billing:superbill", superbill_id=bill.pk)

    response = submitted(request, form, act)
    if response is not None:
        return response
    bill.refresh_from_db()
    return _detail(request, bill, form)
