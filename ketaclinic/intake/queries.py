"""Access-scoped reads of the intake app: requests, intakes and decisions at the user's locations (else 404)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.urls import reverse

from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.intake.models import ConsultationRequest, EligibilityDecision, IntakeAssessment
from ketaclinic.outcomes.hooks import CssrsPlace
from ketaclinic.patients.models import Patient
from ketaclinic.patients.queries import patients_visible_to


def requests_visible_to(user: User) -> QuerySet[ConsultationRequest]:
    """Consultation requests for the user's locations, for roles that triage."""
    if not user.is_authenticated or not user.is_active or not role_can(user.role, "consultation.triage"):
        return ConsultationRequest.objects.none()
    return ConsultationRequest.objects.filter(location__in=user.locations.all()).select_related(
        "location", "patient", "clinical_reviewed_by"
    )


def get_request_for_user(user: User, request_id: int) -> ConsultationRequest:
    request = requests_visible_to(user).filter(pk=request_id).first()
    if request is None:
        raise Http404("No such consultation request.")
    return request


def assessments_visible_to(user: User) -> QuerySet[IntakeAssessment]:
    """Intakes (entered-in-error ones included, shown struck through) of patients the user sees, clinical roles only."""
    if not role_can(getattr(user, "role", ""), "clinical.view"):
        return IntakeAssessment.objects.none()
    return IntakeAssessment.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient", "patient__location", "started_by", "submitted_by"
    )


def get_assessment_for_user(user: User, assessment_id: int) -> IntakeAssessment:
    assessment = assessments_visible_to(user).filter(pk=assessment_id, entered_in_error=False).first()
    if assessment is None:
        raise Http404("No such intake.")
    return assessment


def decisions_visible_to(user: User) -> QuerySet[EligibilityDecision]:
    if not role_can(getattr(user, "role", ""), "eligibility.review"):
        return EligibilityDecision.objects.none()
    return EligibilityDecision.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient", "signed_by", "supersedes", "entered_in_error_by"
    )


def get_decision_for_user(user: User, decision_id: int) -> EligibilityDecision:
    decision = decisions_visible_to(user).filter(pk=decision_id).first()
    if decision is None:
        raise Http404("No such decision.")
    return decision


def current_decision_for(patient: Patient) -> EligibilityDecision | None:
    """The latest signed version that no valid later version supersedes and that is not entered in error."""
    superseding = EligibilityDecision.objects.filter(supersedes=OuterRef("pk"), entered_in_error=False)
    return (
        EligibilityDecision.objects.filter(patient=patient, entered_in_error=False)
        .exclude(Exists(superseding))
        .select_related("signed_by")
        .order_by("-version")
        .first()
    )


def awaiting_review(user: User) -> QuerySet[IntakeAssessment]:
    """Submitted intakes at the user's locations with no decision signed on them yet (the prescriber's worklist)."""
    decided = EligibilityDecision.objects.filter(assessment=OuterRef("pk"), entered_in_error=False)
    return (
        assessments_visible_to(user)
        .filter(status="submitted", entered_in_error=False)
        .exclude(Exists(decided))
        .order_by("submitted_at")
    )


def cssrs_place(patient_id: int) -> CssrsPlace:
    """The C-SSRS screener of the patient's open intake, or the patient's intakes to start one (registered with
    ``outcomes.hooks`` for the safety alert's "Record C-SSRS now")."""
    draft = (
        IntakeAssessment.objects.filter(
            patient_id=patient_id, status=IntakeAssessment.Status.DRAFT, entered_in_error=False
        )
        .order_by("-pk")
        .first()
    )
    if draft is not None:
        return CssrsPlace(
            url=reverse("intake:instrument", args=[draft.pk, "cssrs_screener"]),
            label="in the open intake assessment",
            capability="intake.record",
        )
    return CssrsPlace(
        url=reverse("intake:patient_intakes", args=[patient_id]),
        label="in a new intake assessment (start one from the patient's intakes)",
        capability="intake.record",
    )
