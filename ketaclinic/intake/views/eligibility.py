"""Eligibility review (nurses and prescribers read it) and sign-off (licensed prescribers), and signed decisions."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from ketaclinic.accounts.access import staff_view
from ketaclinic.accounts.errors import Done, replayed, submitted
from ketaclinic.accounts.roles import role_can
from ketaclinic.accounts.typing import AuthedRequest
from ketaclinic.audit import services as audit
from ketaclinic.intake import review as reviews
from ketaclinic.intake.forms.assessment import CONDITION_LABELS, INDICATION_LABELS, ROUTE_LABELS, SignForm
from ketaclinic.intake.models import EligibilityDecision, IntakeAssessment
from ketaclinic.intake.queries import current_decision_for, get_decision_for_user
from ketaclinic.intake.services import decisions
from ketaclinic.patients.forms import EnteredInErrorForm
from ketaclinic.patients.queries import get_patient_for_user

LEVEL_LABELS = {"absolute": "Absolute: cannot be overridden", "relative": "Relative: override with a reason"}


@require_http_methods(["GET", "POST"])
@staff_view("eligibility.review")
def eligibility_review(request: AuthedRequest, patient_id: int) -> HttpResponse:
    """Every finding of every intended route of the latest submitted intake; a licensed prescriber signs here."""
    patient = get_patient_for_user(request.user, patient_id)
    intake = (
        IntakeAssessment.objects.filter(patient=patient)
        .filter(status="submitted", entered_in_error=False)
        .select_related("patient", "submitted_by")
        .first()
    )
    current = current_decision_for(patient)
    context: dict[str, Any] = {
        "patient": patient,
        "intake": intake,
        "current": current,
        "review": None,
        "form": None,
        "missing": [],
        "can_sign": decisions.can_sign(request.user),
        "may_sign_role": role_can(request.user.role, "eligibility.sign"),
        "route_labels": ROUTE_LABELS,
        "level_labels": LEVEL_LABELS,
    }
    status = 200
    if intake is not None:
        context["missing"] = reviews.missing_for_review(intake)
    if intake is not None and not context["missing"]:
        review = reviews.review(intake)
        context["review"] = review
        context["indication_label"] = INDICATION_LABELS.get(intake.indication, intake.indication)
        context["condition_labels"] = [CONDITION_LABELS[code] for code in sorted(review.candidate_conditions)]
        if context["can_sign"]:
            if request.method == "POST" and (again := replayed(request)):
                return again  # the signature was sent twice: version n + 1 would need a reason it does not have
            amending = current.version if current else None
            form = SignForm(request.POST or None, review=review, amending=amending)
            context["form"] = form

            def act(data: dict[str, Any]) -> Done:
                decision = decisions.sign_decision(
                    by=request.user,
                    assessment=intake,
                    routes=data["routes"],
                    outcome=data["outcome"],
                    conditions_text=data["conditions_text"],
                    overrides=form.overrides(),
                    amendment_reason=data.get("amendment_reason", ""),
                )
                text = f"Eligibility decision version {decision.version} signed."
                return text, redirect("intake:decision_detail", decision_id=decision.pk)

            if done := submitted(request, form, act):
                return done
    if request.method == "POST" and context["form"] is None:
        status = 403 if not context["can_sign"] else 409  # a role or licence that may not sign, or nothing to sign
    audit.record(actor=request.user, action="eligibility.review", obj=patient, patient_id=patient.pk)
    return render(request, "intake/eligibility.html", context, status=status)


@require_GET
@staff_view("eligibility.review")
def decision_detail(request: AuthedRequest, decision_id: int) -> HttpResponse:
    decision = get_decision_for_user(request.user, decision_id)
    audit.record(actor=request.user, action="eligibility.view", obj=decision, patient_id=decision.patient_id)
    return render(request, "intake/decision.html", _decision_context(decision))


def _decision_context(decision: EligibilityDecision) -> dict[str, Any]:
    overrides = decision.override_reasons
    return {
        "decision": decision,
        "patient": decision.patient,
        "findings": [{**finding, "override": overrides.get(finding["code"], "")} for finding in decision.findings],
        "route_labels": [ROUTE_LABELS.get(route, route) for route in decision.routes],
        "indication_label": INDICATION_LABELS.get(decision.indication, decision.indication),
        "is_current": current_decision_for(decision.patient) == decision,
        "later": decision.superseded_by.filter(entered_in_error=False).first(),
        "level_labels": LEVEL_LABELS,
    }


@require_http_methods(["GET", "POST"])
@staff_view("eligibility.sign")
def decision_entered_in_error(request: AuthedRequest, decision_id: int) -> HttpResponse:
    decision = get_decision_for_user(request.user, decision_id)
    form = EnteredInErrorForm(request.POST or None)

    def act(data: dict[str, Any]) -> Done:
        decisions.mark_decision_entered_in_error(by=request.user, decision=decision, reason=data["reason"])
        text = "Decision marked entered in error; it stays on record, struck through."
        return text, redirect("intake:patient_intakes", patient_id=decision.patient_id)

    if done := submitted(request, form, act):
        return done
    audit.record(actor=request.user, action="eligibility.view", obj=decision, patient_id=decision.patient_id)
    return render(
        request, "intake/decision_eie.html", {"decision": decision, "patient": decision.patient, "form": form}
    )
