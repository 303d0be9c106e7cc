"""Signing an eligibility decision: a licensed prescriber, the findings recomputed on the server, locked once signed.

Rules (clinical-rules.md preamble and §2; issue 5):

- Only a prescriber with a current prescribing licence signs (security.md "Licence expiry disables signing").
- The findings are recomputed here from the submitted intake; nothing the client sends about findings is trusted.
- An ``absolute`` finding cannot be overridden: the outcome must be not eligible.
- Deciding eligible (with or without conditions) over a ``relative`` finding needs a written reason per finding
  (the override is audited). ``caution`` findings are shown and need no override.
- A signed decision is locked (service and database trigger). A later change is a new version that supersedes the
  current one and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import PRESCRIBING_LICENCES, User
from ketaclinic.audit import services as audit
from ketaclinic.domain import eligibility
from ketaclinic.intake import review as reviews
from ketaclinic.intake.models import EligibilityDecision, IntakeAssessment
from ketaclinic.intake.queries import current_decision_for
from ketaclinic.intake.services.common import require, require_location
from ketaclinic.locking import lock
from ketaclinic.patients.models import Patient

Outcome = EligibilityDecision.Outcome
REASON_MAX_CHARS = 2000


def can_sign(user: User) -> bool:
    """Prescriber role and a current prescribing licence (MD/DO, NP or PA)."""
    return user.role == "prescriber" and any(user.holds_current_licence(kind) for kind in PRESCRIBING_LICENCES)


def _text(field: str, value: str) -> str:
    value = (value or "").strip()
    if len(value) > REASON_MAX_CHARS:
        raise ValidationError({field: f"Keep this under {REASON_MAX_CHARS} characters."})
    return value


def _check_overrides(review: reviews.Review, outcome: str, overrides: Mapping[str, str]) -> list[dict[str, str]]:
    """The overrides to store: one reason per relative finding when deciding eligible; none otherwise."""
    errors: dict[str, list[str]] = {}
    absolute, relative = review.codes("absolute"), review.codes("relative")
    given = {code: _text(f"override_{code}", reason) for code, reason in overrides.items() if (reason or "").strip()}
    for code in given:
        if code in absolute:
            errors.setdefault(f"override_{code}", []).append("An absolute contraindication cannot be overridden.")
        elif code not in relative:
            errors.setdefault(f"override_{code}", []).append("There is no relative finding with this code to override.")
    if outcome == Outcome.NOT_ELIGIBLE:
        if errors:
            raise ValidationError(errors)
        return []
    if absolute:
        errors.setdefault("outcome", []).append(
            f"Absolute contraindication ({', '.join(absolute)}): this cannot be overridden; the decision is not "
            "eligible."
        )
    for code in relative:
        if code not in given:
            errors.setdefault(f"override_{code}", []).append(
                "Deciding eligible over this relative finding needs your written reason."
            )
    if errors:
        raise ValidationError(errors)
    return [{"code": code, "reason": given[code]} for code in relative]


@transaction.atomic
def sign_decision(
    *,
    by: User,
    assessment: IntakeAssessment,
    routes: Sequence[str],
    outcome: str,
    conditions_text: str = "",
    overrides: Mapping[str, str] | None = None,
    amendment_reason: str = "",
) -> EligibilityDecision:
    """Sign the eligibility decision for the intake's patient over ``routes``; see the module rules."""
    require(by, "eligibility.sign")
    if not can_sign(by):
        raise PermissionDenied("Signing needs a current prescribing licence (MD/DO, NP or PA) on your account.")
    patient = lock(Patient).get(pk=assessment.patient_id)  # serialises versions per patient
    require_location(by, patient.location)
    if assessment.is_draft or assessment.entered_in_error:
        raise ValidationError({"__all__": "Only a submitted intake can be reviewed and signed."})
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "Choose eligible, eligible with conditions, or not eligible."})
    if not routes or any(route not in eligibility.ROUTES for route in routes):
        raise ValidationError({"routes": "Choose at least one route from the list."})
    chosen = [route for route in eligibility.ROUTES if route in routes]
    missing = reviews.missing_for_review(assessment)
    if missing:
        raise ValidationError({"__all__": missing})
    review = reviews.review(assessment, chosen)
    stored_overrides = _check_overrides(review, outcome, overrides or {})
    conditions_text = _text("conditions_text", conditions_text)
    if outcome == Outcome.ELIGIBLE_WITH_CONDITIONS and not conditions_text:
        raise ValidationError({"conditions_text": "State the conditions."})
    current = current_decision_for(patient)
    amendment_reason = _text("amendment_reason", amendment_reason)
    if current is not None and not amendment_reason:
        raise ValidationError(
            {"amendment_reason": f"Version {current.version} is signed: say why this new version replaces it."}
        )
    last = EligibilityDecision.objects.filter(patient=patient).aggregate(last=Max("version"))["last"] or 0
    decision = EligibilityDecision.objects.create(
        patient=patient,
        assessment=assessment,
        version=last + 1,
        supersedes=current,
        indication=assessment.indication,
        routes=chosen,
        outcome=outcome,
        conditions_text=conditions_text if outcome == Outcome.ELIGIBLE_WITH_CONDITIONS else "",
        findings=review.finding_dicts(),
        overrides=stored_overrides,
        amendment_reason=amendment_reason if current is not None else "",
        signed_by=by,
        signed_at=timezone.now(),
    )
    audit.record(
        actor=by,
        action="eligibility.sign",
        obj=decision,
        patient_id=patient.pk,
        detail={
            "version": decision.version,
            "outcome": outcome,
            "routes": chosen,
            "overridden": [item["code"] for item in stored_overrides],
            "supersedes": current.pk if current else None,
        },
    )
    return decision


@transaction.atomic
def mark_decision_entered_in_error(*, by: User, decision: EligibilityDecision, reason: str) -> None:
    """Withdraw a decision signed in error (kept, marked, with who and why); the previous version is current again."""
    require(by, "eligibility.sign")
    require_location(by, decision.patient.location)
    reason = _text("reason", reason)
    if not reason:
        raise ValidationError({"reason": "Say why this decision was signed in error."})
    locked = lock(EligibilityDecision).get(pk=decision.pk)
    if locked.entered_in_error:
        raise ValidationError({"__all__": "This decision is already marked entered in error."})
    EligibilityDecision.objects.filter(pk=locked.pk).update(
        entered_in_error=True,
        entered_in_error_reason=reason,
        entered_in_error_by=by,
        entered_in_error_at=timezone.now(),
    )
    audit.record(
        actor=by,
        action="eligibility.entered_in_error",
        obj=locked,
        patient_id=locked.patient_id,
        detail={"reason": reason},
    )
