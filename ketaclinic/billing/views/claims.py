"""/billing/claims/: signed sessions to bill, a claim built from one, its CMS-1500 data with each line's *why*,
status changes and the 837P download. Billing staff (``billing.manage``) act; clinicians (``billing.view``) read."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, ServiceError, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.billing.claim_forms import ChargeForm, ClaimForm, StatusForm
from ketaclinic.billing.models import BillingProfile, Claim, Payer, ProviderIdentity
from ketaclinic.billing.queries import claims_visible_to
from ketaclinic.billing.services import claims as services
from ketaclinic.billing.services import descriptors, export
from ketaclinic.domain.billing.codes import label_for
from ketaclinic.infusions.models import TreatmentSession


def _can_read(request: AuthedRequest) -> None:
    if not (role_can(request.user.role, "billing.manage") or role_can(request.user.role, "billing.view")):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied("Your role does not allow this (billing.manage or billing.view).")


@require_GET
@staff_view()
def claim_list(request: AuthedRequest) -> HttpResponse:
    _can_read(request)
    claims = claims_visible_to(request.user)[:200]
    sessions = (
        services.sessions_billable_by(request.user)
        .filter(status=TreatmentSession.Status.SIGNED)
        .order_by("-note_signed_at")[:30]
    )
    return render(
        request,
        "billing/claims.html",
        {"claims": claims, "sessions": sessions, "can_bill": role_can(request.user.role, "billing.manage")},
    )


def _session(request: AuthedRequest, session_id: int) -> TreatmentSession:
    session = services.sessions_billable_by(request.user).filter(pk=session_id).first()
    if session is None:
        raise Http404("No such session.")
    return session


@require_http_methods(["GET", "POST"])
@staff_view("billing.manage")
def claim_new(request: AuthedRequest, session_id: int) -> HttpResponse:
    session = _session(request, session_id)
    payers = Payer.objects.filter(clinic_id=request.user.clinic_id or 0, is_active=True)
    form = ClaimForm(request.POST or None, payers=payers)

    def act(data: dict[str, Any]) -> Done:
        claim = services.create_claim(
            by=request.user,
            sessions=[session],
            payer=data["payer"],
            supply=data["supply"],
            practitioner_min=data["practitioner_min"],
            clinical_staff_min=data["clinical_staff_min"],
            separately_identifiable_em=data["separately_identifiable_em"],
            prior_auth_number=data["prior_auth_number"],
        )
        return f"Claim {claim.pk} built: {claim.lines.count()} line(s).", redirect("billing:claim", claim_id=claim.pk)

    response = submitted(request, form, act, aliases={"session_ids": "__all__", "payer_id": "payer"})
    if response is not None:
        return response
    unsigned = session.status != TreatmentSession.Status.SIGNED
    return render(
        request,
        "billing/claim_new.html",
        {"session": session, "form": form, "unsigned": unsigned, "date": services.service_date(session)},
        status=422 if request.method == "POST" else 200,
    )


def _claim(request: AuthedRequest, claim_id: int) -> Claim:
    claim = claims_visible_to(request.user).filter(pk=claim_id).first()
    if claim is None:
        raise Http404("No such claim.")
    return claim


@require_GET
@staff_view()
def claim_detail(request: AuthedRequest, claim_id: int) -> HttpResponse:
    _can_read(request)
    return _detail(request, _claim(request, claim_id))


def _detail(request: AuthedRequest, claim: Claim, status_form: StatusForm | None = None) -> HttpResponse:
    session = claim.sessions.select_related("location", "note_signed_by").first()
    profile = BillingProfile.objects.filter(location=session.location).first() if session else None
    signer = session.note_signed_by if session else None
    identity = ProviderIdentity.objects.filter(user=signer).first() if signer else None
    rows = list(claim.lines.all())
    said = descriptors.descriptors_for(claim.patient.location.clinic_id, [line.code for line in rows])
    lines = [(line, label_for(line.code), said.get(line.code)) for line in rows]
    audit.record(actor=request.user, action="billing.claim.read", obj=claim, patient_id=claim.patient_id)
    return render(
        request,
        "billing/claim.html",
        {
            "claim": claim,
            "session": session,
            "profile": profile,
            "signer": signer,
            "identity": identity,
            "lines": lines,
            "letters": "ABCDEFGHIJKL",
            "diagnoses": list(zip("ABCDEFGHIJKL", claim.diagnoses, strict=False)),
            "events": claim.events.select_related("by"),
            "can_bill": role_can(request.user.role, "billing.manage"),
            "status_form": status_form or StatusForm(moves=services.MOVES.get(claim.status, ())),
            "moves": services.MOVES.get(claim.status, ()),
        },
        status=422 if status_form is not None else 200,
    )


@require_POST
@staff_view("billing.manage")
def claim_status(request: AuthedRequest, claim_id: int) -> HttpResponse:
    claim = _claim(request, claim_id)
    form = StatusForm(request.POST, moves=services.MOVES.get(claim.status, ()))

    def act(data: dict[str, Any]) -> Done:
        services.change_status(
            by=request.user,
            claim=claim,
            to=data["to"],
            note=data["note"],
            denial_codes=data["denial_codes"],
            paid_amount=data["paid_amount"],
        )
        return f"Claim {claim.pk}: status changed.", redirect("billing:claim", claim_id=claim.pk)

    response = submitted(request, form, act, aliases={"status": "to"})
    if response is not None:
        return response
    return _detail(request, claim, status_form=form)


@require_POST
@staff_view("billing.manage")
def line_charge(request: AuthedRequest, claim_id: int, position: int) -> HttpResponse:
    claim = _claim(request, claim_id)
    line = claim.lines.filter(position=position).first()
    if line is None:
        raise Http404("No such line.")
    form = ChargeForm(request.POST)

    def act(data: dict[str, Any]) -> Done:
        services.set_line_charge(by=request.user, line=line, unit_charge=data["unit_charge"])
        return f"Charge entered on {line.code}.", redirect("billing:claim", claim_id=claim.pk)

    response = submitted(request, form, act)
    if response is not None:
        return response
    messages.error(request, "Enter the unit charge in dollars, e.g. 140.00.")
    return redirect("billing:claim", claim_id=claim.pk)


@require_GET
@staff_view("billing.manage")
def claim_837p(request: AuthedRequest, claim_id: int) -> HttpResponse:
    claim = _claim(request, claim_id)
    try:
        text = export.export_837p(by=request.user, claim=claim)
    except ServiceError as error:
        messages.error(request, f"No 837P: {error.message}")
        return redirect(reverse("billing:claim", kwargs={"claim_id": claim.pk}))
    response = HttpResponse(text, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="claim-{claim.pk}-837p.txt"'
    return response
