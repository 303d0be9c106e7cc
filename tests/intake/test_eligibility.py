"""Eligibility review and sign-off: clinical vignettes show the right findings on the review page; overriding a
relative finding needs a reason; an absolute one cannot be overridden; signed means locked; a change is a new
version."""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts import services as accounts
from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.intake.models import EligibilityDecision
from ketaclinic.intake.queries import current_decision_for
from ketaclinic.intake.services import decisions
from tests.conftest import make_patient, make_user, sign_in
from tests.intake.factories import signed_decision, submitted_intake


def review_page(client: Any, patient: Any) -> tuple[str, Any]:
    response = client.get(reverse("intake:eligibility_review", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode(), response.context["review"]


VIGNETTES = [
    # (name, intake kwargs, route statuses, codes with levels)
    (
        "TRD after two failed trials, IV: eligible, nothing to flag",
        {"routes": ["iv"]},
        {"iv": "eligible"},
        {},
    ),
    (
        "history of an aneurysm: absolute",
        {"routes": ["iv"], "conditions": ["aneurysmal_vascular_disease"]},
        {"iv": "ineligible"},
        {"aneurysmal_vascular_disease": "absolute"},
    ),
    (
        "one failed trial only: TRD criteria not met (relative)",
        {"routes": ["iv"], "failed_trials": 1},
        {"iv": "needs_review"},
        {"trd_criteria_not_met": "relative"},
    ),
    (
        "BP 150/95: esketamine needs review, IV does not",
        {"routes": ["iv", "intranasal_esketamine"], "systolic": 150, "diastolic": 95},
        {"iv": "eligible", "intranasal_esketamine": "needs_review"},
        {"esketamine_bp_above_140_90": "relative"},
    ),
    (
        "BP 185/105 measured at intake: uncontrolled hypertension (absolute)",
        {"routes": ["iv"], "systolic": 185, "diastolic": 105},
        {"iv": "ineligible"},
        {"uncontrolled_hypertension": "absolute"},
    ),
    (
        "on lorazepam and tramadol: two cautions",
        {"routes": ["iv"], "medications": ["lorazepam", "tramadol"]},
        {"iv": "eligible"},
        {"benzodiazepine": "caution", "cns_depressant": "caution"},
    ),
    (
        "fibromyalgia: weak evidence (caution); esketamine off label (relative)",
        {"routes": ["iv", "intranasal_esketamine"], "indication": "fibromyalgia", "failed_trials": 0},
        {"iv": "eligible", "intranasal_esketamine": "needs_review"},
        {"esketamine_outside_label": "relative", "weak_evidence_for_indication": "caution"},
    ),
    (
        "pregnant, with a psychotic disorder in the past",
        {"routes": ["iv"], "pregnancy": "yes", "conditions": ["psychotic_disorder_history"]},
        {"iv": "needs_review"},
        {"psychotic_disorder_history": "relative", "pregnancy": "relative"},
    ),
]


@pytest.mark.parametrize(("name", "intake", "statuses", "findings"), VIGNETTES, ids=[v[0] for v in VIGNETTES])
def test_vignettes_show_the_right_findings_on_the_review_page(
    name: str,
    intake: dict[str, Any],
    statuses: dict[str, str],
    findings: dict[str, str],
    alice: Any,
    bob: Any,
    pat: Any,
    client: Any,
) -> None:
    submitted_intake(patient=pat, clinician=alice, **intake)
    sign_in(client, bob)
    page, review = review_page(client, pat)
    assert {item.route: item.assessment.status for item in review.per_route} == statuses
    assert {f.code: f.level for f in review.findings} == findings
    for code, level in findings.items():
        finding = next(f for f in review.findings if f.code == code)
        assert f'data-code="{code}"' in page
        assert f'<span class="level level-{level}">{level}</span>' in page
        assert f"Source: {finding.source}" in html.unescape(page)
    for route in statuses:
        assert f'data-testid="status-{route}">' in page
    assert AuditEvent.objects.filter(action="eligibility.review", patient_id=pat.pk, actor=bob).exists()


def test_an_absolute_finding_cannot_be_overridden(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    submitted_intake(patient=pat, clinician=alice, conditions=["arteriovenous_malformation"])
    sign_in(client, bob)
    url = reverse("intake:eligibility_review", args=[pat.pk])
    response = client.post(url, {"outcome": "eligible", "routes": ["iv"]})
    assert response.status_code == 200
    assert "cannot be overridden" in str(response.context["form"].errors["outcome"])
    assert not EligibilityDecision.objects.exists()
    # The service refuses an override reason for it, whatever the client sends.
    intake = pat.intake_assessments.get()
    with pytest.raises(ValidationError) as caught:
        decisions.sign_decision(
            by=bob,
            assessment=intake,
            routes=["iv"],
            outcome="eligible",
            overrides={"arteriovenous_malformation": "I accept the risk"},
        )
    assert "override_arteriovenous_malformation" in caught.value.message_dict
    response = client.post(url, {"outcome": "not_eligible", "routes": ["iv"]})
    decision = EligibilityDecision.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("intake:decision_detail", args=[decision.pk])
    assert decision.outcome == "not_eligible" and decision.findings[0]["code"] == "arteriovenous_malformation"


def test_overriding_a_relative_finding_needs_a_written_reason(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    submitted_intake(patient=pat, clinician=alice, conditions=["psychotic_disorder_history"], failed_trials=1)
    sign_in(client, bob)
    url = reverse("intake:eligibility_review", args=[pat.pk])
    response = client.post(url, {"outcome": "eligible", "routes": ["iv"], "override_trd_criteria_not_met": "x"})
    errors = response.context["form"].errors
    assert response.status_code == 200 and "override_psychotic_disorder_history" in errors
    assert "override_trd_criteria_not_met" not in errors
    assert not EligibilityDecision.objects.exists()
    response = client.post(
        url,
        {
            "outcome": "eligible_with_conditions",
            "routes": ["iv"],
            "conditions_text": "",
            "override_psychotic_disorder_history": "Single episode in 2009, stable since; psychiatrist agrees.",
            "override_trd_criteria_not_met": "Third trial intolerant at 5 weeks; treated as failed.",
        },
    )
    assert "conditions_text" in response.context["form"].errors
    response = client.post(
        url,
        {
            "outcome": "eligible_with_conditions",
            "routes": ["iv"],
            "conditions_text": "Psychiatrist follow-up within a week of each infusion.",
            "override_psychotic_disorder_history": "Single episode in 2009, stable since; psychiatrist agrees.",
            "override_trd_criteria_not_met": "Third trial intolerant at 5 weeks; treated as failed.",
        },
    )
    assert response.status_code == 302
    decision = EligibilityDecision.objects.get()
    assert decision.override_reasons == {
        "psychotic_disorder_history": "Single episode in 2009, stable since; psychiatrist agrees.",
        "trd_criteria_not_met": "Third trial intolerant at 5 weeks; treated as failed.",
    }
    assert (decision.version, decision.signed_by, decision.routes) == (1, bob, ["iv"])
    event = AuditEvent.objects.get(action="eligibility.sign")
    assert event.detail["overridden"] == ["psychotic_disorder_history", "trd_criteria_not_met"]
    page = client.get(reverse("intake:decision_detail", args=[decision.pk])).content.decode()
    assert "Overridden:</strong> Single episode in 2009" in page and "Current decision. Signed and locked." in page


def test_only_a_licensed_prescriber_signs(
    alice: Any, bob: Any, pat: Any, clinic: Any, main_st: Any, client: Any
) -> None:
    intake = submitted_intake(patient=pat, clinician=alice)
    with pytest.raises(PermissionDenied):
        decisions.sign_decision(by=alice, assessment=intake, routes=["iv"], outcome="eligible")
    unlicensed = make_user("una", "prescriber", clinic, [main_st])
    lapsed = make_user("lapsed", "prescriber", clinic, [main_st])
    accounts.add_licence(
        by=None,
        user=lapsed,
        kind="medical",
        number="036.999",
        state="IL",
        expires_on=timezone.localdate() - dt.timedelta(days=1),
    )
    for user in (unlicensed, lapsed):
        with pytest.raises(PermissionDenied, match="current prescribing licence"):
            decisions.sign_decision(by=user, assessment=intake, routes=["iv"], outcome="eligible")
        sign_in(client, user)
        page = client.get(reverse("intake:eligibility_review", args=[pat.pk]))
        assert page.context["form"] is None and "no current prescribing licence" in page.content.decode()
        assert (
            client.post(reverse("intake:eligibility_review", args=[pat.pk]), {"outcome": "eligible"}).status_code == 403
        )
    sign_in(client, alice)
    assert client.post(reverse("intake:eligibility_review", args=[pat.pk]), {"outcome": "eligible"}).status_code == 403
    assert not EligibilityDecision.objects.exists()


def test_a_draft_intake_cannot_be_signed_and_the_page_says_what_is_missing(
    alice: Any, bob: Any, pat: Any, client: Any
) -> None:
    from tests.intake.factories import draft_intake

    draft = draft_intake(patient=pat, clinician=alice)
    with pytest.raises(ValidationError, match="submitted intake"):
        decisions.sign_decision(by=bob, assessment=draft, routes=["iv"], outcome="eligible")
    sign_in(client, bob)
    assert "No submitted intake yet" in client.get(reverse("intake:eligibility_review", args=[pat.pk])).content.decode()


def test_a_patient_without_a_sex_assigned_at_birth_cannot_be_assessed(
    alice: Any, bob: Any, main_st: Any, client: Any
) -> None:
    patient = make_patient(main_st, given_name="Alex", sex="unknown")
    submitted_intake(patient=patient, clinician=alice)
    sign_in(client, bob)
    page = client.get(reverse("intake:eligibility_review", args=[patient.pk])).content.decode()
    assert "no sex assigned at birth" in page


def test_a_signed_decision_is_locked_in_the_database(bob: Any, pat: Any) -> None:
    decision = signed_decision(patient=pat, prescriber=bob)
    for change in (
        {"outcome": "not_eligible"},
        {"findings": [{"code": "made_up"}]},
        {"version": 7},
        {"signed_at": timezone.now()},
    ):
        with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
            EligibilityDecision.objects.filter(pk=decision.pk).update(**change)
    decision.refresh_from_db()
    assert decision.outcome == "eligible" and decision.version == 1
    # Marking it entered in error is the one change allowed, and it cannot be taken back.
    decisions.mark_decision_entered_in_error(by=bob, decision=decision, reason="Signed on the wrong chart")
    with pytest.raises(DatabaseError, match="locked"), transaction.atomic():
        EligibilityDecision.objects.filter(pk=decision.pk).update(entered_in_error=False)
    assert current_decision_for(pat) is None


def test_a_change_is_a_new_version_that_points_at_the_old_one(alice: Any, bob: Any, pat: Any, client: Any) -> None:
    first = signed_decision(patient=pat, prescriber=bob, routes=["iv"])
    intake = submitted_intake(patient=pat, clinician=alice, routes=["iv", "intranasal_esketamine"])
    with pytest.raises(ValidationError) as caught:
        decisions.sign_decision(by=bob, assessment=intake, routes=["iv"], outcome="eligible")
    assert "amendment_reason" in caught.value.message_dict
    sign_in(client, bob)
    page = client.get(reverse("intake:eligibility_review", args=[pat.pk]))
    assert "It is locked; signing here creates version 2" in page.content.decode()
    response = client.post(
        reverse("intake:eligibility_review", args=[pat.pk]),
        {
            "outcome": "eligible",
            "routes": ["iv", "intranasal_esketamine"],
            "amendment_reason": "Add esketamine after the new intake.",
        },
    )
    assert response.status_code == 302
    second = current_decision_for(pat)
    assert second is not None and (second.version, second.supersedes, second.routes) == (
        2,
        first,
        ["iv", "intranasal_esketamine"],
    )
    first.refresh_from_db()
    assert first.outcome == "eligible" and first.routes == ["iv"]  # untouched
    old_page = client.get(reverse("intake:decision_detail", args=[first.pk])).content.decode()
    assert "Replaced by" in old_page
    # Withdrawing version 2 (entered in error) makes version 1 current again.
    decisions.mark_decision_entered_in_error(by=bob, decision=second, reason="Wrong intake")
    assert current_decision_for(pat) == first


def test_the_decision_entered_in_error_page(bob: Any, pat: Any, client: Any) -> None:
    decision = signed_decision(patient=pat, prescriber=bob)
    sign_in(client, bob)
    url = reverse("intake:decision_entered_in_error", args=[decision.pk])
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "Wrong patient"}).status_code == 302
    decision.refresh_from_db()
    assert decision.entered_in_error and decision.entered_in_error_reason == "Wrong patient"


def test_the_dashboard_lists_intakes_awaiting_review_for_prescribers(
    alice: Any, bob: Any, pat: Any, client: Any
) -> None:
    submitted_intake(patient=pat, clinician=alice)
    sign_in(client, bob)
    assert "Intakes awaiting your eligibility review" in client.get(reverse("web:dashboard")).content.decode()
    sign_in(client, alice)
    assert "Intakes awaiting your eligibility review" not in client.get(reverse("web:dashboard")).content.decode()
