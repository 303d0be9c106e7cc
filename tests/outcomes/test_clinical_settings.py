"""Clinical settings (issue 16, items 11–13): the MADRS remission cut-off and the esketamine label jurisdiction.

Published values: MADRS remission ≤ 9 (Zimmerman M et al., J Clin Psychiatry 2004;65:163-168), ≤ 12 as in the esketamine
trials; the US Spravato label doses adults of any age alike (day 1 56 mg), the EU/UK SmPC §4.2 starts at 28 mg at 65
and over; the alcohol, bladder and liver rules of clinical-rules.md §2 (Ketalar US label; Spravato PI §7; Bradley 2007).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.accounts.models import clinical_settings_for
from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain import instruments
from ketaclinic.followup.queries import dashboard
from ketaclinic.outcomes import services
from ketaclinic.outcomes.models import OutcomeCourse
from ketaclinic.outcomes.services.settings import save_clinical_settings
from tests.outcomes.test_measurements import _source

T0 = dt.datetime(2026, 10, 1, 14, 0, tzinfo=dt.UTC)


def madrs(total: int) -> instruments.Score:
    answers = [0] * 10
    left = total
    for index in range(9):  # item 10 (suicidal thoughts) stays 0
        answers[index] = min(6, left)
        left -= answers[index]
    return instruments.score("madrs", answers)


def record_madrs(patient: Any, by: Any, total: int, day: int, context: str = "home") -> None:
    services.record_measurement(
        by=by,
        patient=patient,
        score=madrs(total),
        context=context,
        source=_source(by),
        taken_at=T0 + dt.timedelta(days=day),
    )


def test_defaults_are_the_cited_values(clinic: Any) -> None:
    current = clinical_settings_for(clinic.pk)
    assert (current.label_jurisdiction, current.madrs_remission_at_most) == ("us", 9)
    assert current.pk is None  # a clinic that never changed them stores nothing


def test_a_madrs_of_10_is_not_remission_by_default_zimmerman_2004(pat: Any, bob: Any) -> None:
    """MADRS ≤ 9 (Zimmerman 2004): 30 → 10 is a response but not a remission (it was with the old ≤ 10)."""
    record_madrs(pat, bob, 30, 0, context="baseline")
    record_madrs(pat, bob, 10, 14)
    course = OutcomeCourse.objects.get(patient=pat, instrument="madrs")
    assert (course.response, course.remission) == (True, False)


def test_changing_the_cutoff_is_audited_and_recomputes_madrs_courses(pat: Any, bob: Any, dave: Any) -> None:
    """≤ 12 (the esketamine trials' definition): the same course becomes a remission at once."""
    record_madrs(pat, bob, 30, 0, context="baseline")
    record_madrs(pat, bob, 11, 14)
    assert OutcomeCourse.objects.get(patient=pat, instrument="madrs").remission is False
    save_clinical_settings(by=dave, clinic=dave.clinic, values={"madrs_remission_at_most": 12})
    assert OutcomeCourse.objects.get(patient=pat, instrument="madrs").remission is True
    event = AuditEvent.objects.get(action="clinic.clinical_settings.change")
    assert event.detail == {"madrs_remission_at_most": {"before": 9, "after": 12}}


def test_only_published_cutoffs_and_known_jurisdictions_are_accepted(dave: Any) -> None:
    for values in ({"madrs_remission_at_most": 8}, {"madrs_remission_at_most": True}, {"label_jurisdiction": "ca"}):
        with pytest.raises(ValidationError):
            save_clinical_settings(by=dave, clinic=dave.clinic, values=values)
    with pytest.raises(ValidationError):
        save_clinical_settings(by=dave, clinic=dave.clinic, values={"other": 1})
    assert clinical_settings_for(dave.clinic_id).pk is None  # nothing written


def test_only_clinic_admins_change_clinical_settings(bob: Any) -> None:
    with pytest.raises(PermissionDenied):
        save_clinical_settings(by=bob, clinic=bob.clinic, values={"label_jurisdiction": "eu"})


def test_the_dashboard_says_which_madrs_cutoff_it_used(dave: Any) -> None:
    summary = dashboard.summarise(dave, dashboard.Filters(scale="madrs"))
    assert summary.remission_rule is not None and summary.remission_rule.startswith("MADRS ≤ 9")
    assert "Zimmerman 2004" in summary.remission_rule
    save_clinical_settings(by=dave, clinic=dave.clinic, values={"madrs_remission_at_most": 12})
    summary = dashboard.summarise(dave, dashboard.Filters(scale="madrs"))
    assert summary.remission_rule is not None and summary.remission_rule.startswith("MADRS ≤ 12")
    assert ["remission", summary.remission_rule] in dashboard.csv_rows(summary)
    assert dashboard.summarise(dave, dashboard.Filters(scale="pain_nrs")).remission_rule is None


def test_dashboard_page_names_the_cutoff(client_as: Any, dave: Any) -> None:
    client = client_as(dave)
    page = client.get(reverse("dashboard:index"), {"scale": "madrs"}).content.decode()
    assert "Remission here means MADRS ≤ 9" in page
    assert "clinical-rules.md" not in page


def test_settings_page_saves_through_the_service(client_as: Any, dave: Any) -> None:
    client = client_as(dave)
    page = client.get(reverse("web:clinical_settings")).content.decode()
    assert "Spravato US PI" in page and "SmPC §4.2" in page and ".md" not in page
    answer = client.post(
        reverse("web:clinical_settings"),
        {"label_jurisdiction": "eu", "madrs_remission_at_most": "10", "mme_reassess_at": "50", "mme_high_at": "90"},
    )
    assert answer.status_code == 302
    current = clinical_settings_for(dave.clinic_id)
    assert (current.label_jurisdiction, current.madrs_remission_at_most, current.updated_by) == ("eu", 10, dave)


# --- Label jurisdiction in plans (item 13) ----------------------------------------------------------------------------


@pytest.fixture
def septuagenarian(main_st: Any, bob: Any) -> Any:
    from ketaclinic.patients import services as patients
    from tests.conftest import make_patient
    from tests.plans.conftest import sign_eligibility

    older = make_patient(main_st, given_name="Olive", date_of_birth=timezone.localdate() - dt.timedelta(days=70 * 366))
    sign_eligibility(older, bob, ["intranasal_esketamine"])
    patients.record_measurement(by=bob, patient=older, weight_kg=Decimal("70"), height_cm=Decimal("165"))
    return older


def _esketamine_plan(bob: Any, patient: Any) -> Any:
    from ketaclinic.plans import services as plans
    from tests.plans.test_plans import esketamine_input

    return plans.save_draft(by=bob, patient=patient, data=esketamine_input(fixed_dose_mg=Decimal("56")))


def test_us_label_gives_a_70_year_old_56_mg_on_day_one(bob: Any, septuagenarian: Any) -> None:
    """Spravato US prescribing information (FDA) §2: day 1 56 mg at any adult age (was held to 28 mg)."""
    version = _esketamine_plan(bob, septuagenarian)
    assert version.first_dose_mg == Decimal("56")
    assert "esketamine_dose_not_allowed" not in [f["code"] for f in version.findings]


def test_eu_smpc_clinic_starts_a_70_year_old_at_28_mg(bob: Any, dave: Any, septuagenarian: Any) -> None:
    """Spravato EU/UK SmPC §4.2: at 65 and over, day 1 28 mg."""
    save_clinical_settings(by=dave, clinic=dave.clinic, values={"label_jurisdiction": "eu"})
    version = _esketamine_plan(bob, septuagenarian)
    assert version.first_dose_mg == Decimal("28")


# --- Intake safety screen feeds the new rules (item 12) --------------------------------------------------------------


def test_intake_safety_screen_reaches_the_eligibility_review(pat: Any, alice: Any, dave: Any) -> None:
    """AUDIT-C 3 in a woman (≥ 3, Bradley 2007), a series without liver tests (Ketalar US label §5), bladder symptoms
    before a series (Ketalar US label), theophylline (§7.1) and pseudoephedrine (§7.2)."""
    from ketaclinic.intake.review import review
    from tests.intake.factories import draft_intake

    draft = draft_intake(
        patient=pat,
        clinician=alice,
        conditions=("genitourinary_symptoms",),
        medications=("theophylline", "pseudoephedrine"),
        audit_c_frequency=1,
        audit_c_typical_quantity=1,
        audit_c_binge_frequency=1,
        programme="series",
    )
    assert draft.audit_c_score == 3
    found = {finding.code: finding for finding in review(draft).findings}
    for code in (
        "alcohol_cns_depression",
        "baseline_liver_tests",
        "genitourinary_symptoms",
        "theophylline_seizure_threshold",
        "sympathomimetic_vital_signs",
    ):
        assert code in found, code
    assert found["genitourinary_symptoms"].level == "relative"
    draft.liver_tests_on = timezone.localdate() - dt.timedelta(days=30)
    assert "baseline_liver_tests" not in {f.code for f in review(draft).findings}


def test_recent_cardiovascular_event_under_eu_makes_esketamine_ineligible(pat: Any, alice: Any, dave: Any) -> None:
    """Spravato EU/UK SmPC §4.3 (contraindication within 6 weeks); under the US label it needs review."""
    from ketaclinic.intake.review import review
    from tests.intake.factories import draft_intake

    draft = draft_intake(
        patient=pat, clinician=alice, routes=("intranasal_esketamine",), conditions=("recent_cardiovascular_event",)
    )
    assert review(draft).status == "needs_review"
    save_clinical_settings(by=dave, clinic=dave.clinic, values={"label_jurisdiction": "eu"})
    result = review(draft)
    assert result.status == "ineligible"
    assert "SmPC §4.3" in next(f.source for f in result.findings if f.code == "recent_cardiovascular_event")


def test_safety_screen_page_saves_the_answers(client_as: Any, pat: Any, alice: Any) -> None:
    from tests.intake.factories import draft_intake

    draft = draft_intake(patient=pat, clinician=alice)
    draft.refresh_from_db()
    client = client_as(alice)
    url = reverse("intake:assessment_safety", args=[draft.pk])
    form = client.get(url).content.decode()
    assert "How often do you have a drink containing alcohol?" in form
    answer = client.post(
        url,
        {
            "version": draft.version,
            "audit_c_frequency": "4",
            "audit_c_typical_quantity": "0",
            "audit_c_binge_frequency": "0",
            "programme": "single",
            "liver_tests_on": (timezone.localdate() - dt.timedelta(days=10)).isoformat(),
        },
    )
    assert answer.status_code == 302
    draft.refresh_from_db()
    assert (draft.audit_c_score, draft.serial_programme) == (4, False)
    future = client.post(url, {"version": draft.version, "liver_tests_on": "2999-01-01"})
    assert "This date is in the future." in future.content.decode()
