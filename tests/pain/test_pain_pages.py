"""The pain plan: audited services, nothing deleted, pages from the chart for clinicians, the chart with referrals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.domain import instruments
from ketaclinic.outcomes import services as outcomes
from ketaclinic.pain import services
from ketaclinic.pain.models import MedicationManagementEntry, PainPlan, Referral
from ketaclinic.patients import services as patients
from ketaclinic.patients import uploads
from tests.conftest import make_patient, sign_in, tiny_pdf


def _plan(by: Any, patient: Any) -> PainPlan:
    return services.create_plan(
        by=by,
        patient=patient,
        peg_baseline=Decimal("7"),
        peg_target=Decimal("4"),
        function_goals="Walk the dog 20 minutes\nSleep through the night",
    )


def _referral(by: Any, plan: PainPlan, **extra: Any) -> Referral:
    values = {
        "kind": "physical_therapy",
        "provider_name": "Lakeside Physical Therapy",
        "provider_contact": "555-0100",
        "sent_on": dt.date(2026, 1, 5),
        **extra,
    }
    return services.add_referral(by=by, plan=plan, **values)


def test_plan_referral_and_entry_are_audited(bob: Any, pat: Any) -> None:
    plan = _plan(bob, pat)
    letter = uploads.upload_by_staff(
        by=bob,
        patient=pat,
        content=tiny_pdf("letter"),
        kind="referral_letter",
        title="PT referral letter",
        document_date=None,
    )
    referral = _referral(bob, plan, letters=[letter])
    assert list(referral.letters.all()) == [letter]
    services.set_referral_status(by=bob, referral=referral, status="scheduled")
    med = patients.add_medication(
        by=bob, patient=pat, generic_name="oxycodone", dose="10 mg", frequency="tid", daily_dose=Decimal("30")
    )
    services.add_medication_entry(
        by=bob, plan=plan, medication=med, change="Oxycodone 40 → 30 mg/day", reason="Agreed slow taper"
    )
    actions = set(AuditEvent.objects.filter(patient_id=pat.pk).values_list("action", flat=True))
    assert {"pain.plan_create", "pain.referral_add", "pain.referral_status", "pain.medication_entry"} <= actions
    assert Referral.objects.get(pk=referral.pk).status == "scheduled"


def test_bad_input_writes_nothing(bob: Any, alice: Any, carol: Any, pat: Any, main_st: Any) -> None:
    lake = make_patient(main_st, given_name="Lee", email="lee@example.org")
    with pytest.raises(ValidationError, match="function goal"):
        services.create_plan(by=bob, patient=pat, peg_target=Decimal("4"), function_goals="  ")
    with pytest.raises(ValidationError):
        services.create_plan(by=bob, patient=pat, peg_target=Decimal("11"), function_goals="Walk")
    with pytest.raises(PermissionDenied):
        _plan(carol, pat)
    assert not PainPlan.objects.exists()
    plan = _plan(alice, pat)
    with pytest.raises(ValidationError, match="future"):
        _referral(bob, plan, sent_on=dt.date.today() + dt.timedelta(days=2))
    with pytest.raises(ValidationError):
        _referral(bob, plan, kind="chiropractic")
    with pytest.raises(ValidationError):
        _referral(bob, plan, provider_name=" ")
    other = uploads.upload_by_staff(
        by=bob, patient=lake, content=tiny_pdf("x"), kind="other", title="Lake's", document_date=None
    )
    with pytest.raises(ValidationError, match="this patient's chart"):
        _referral(bob, plan, letters=[other])
    assert not Referral.objects.exists()
    lake_med = patients.add_medication(by=bob, patient=lake, generic_name="sertraline", dose="1", frequency="1")
    with pytest.raises(ValidationError, match="this patient's list"):
        services.add_medication_entry(by=bob, plan=plan, medication=lake_med, change="x", reason="y")
    with pytest.raises(ValidationError):
        services.add_medication_entry(by=bob, plan=plan, change=" ", reason="y")
    assert not MedicationManagementEntry.objects.exists()
    referral = _referral(bob, plan)
    with pytest.raises(ValidationError, match="not a referral status"):
        services.set_referral_status(by=bob, referral=referral, status="lost")


def test_entered_in_error_keeps_rows(bob: Any, pat: Any) -> None:
    plan = _plan(bob, pat)
    referral = _referral(bob, plan)
    with pytest.raises(ValidationError, match="Say why"):
        services.mark_entered_in_error(by=bob, row=referral, reason=" ")
    services.mark_entered_in_error(by=bob, row=referral, reason="Wrong provider")
    referral.refresh_from_db()
    assert referral.entered_in_error and Referral.objects.filter(pk=referral.pk).exists()
    with pytest.raises(ValidationError, match="already"):
        services.mark_entered_in_error(by=bob, row=referral, reason="again")
    with pytest.raises(ValidationError, match="entered in error"):
        services.set_referral_status(by=bob, referral=referral, status="completed")
    services.mark_entered_in_error(by=bob, row=plan, reason="Wrong patient")
    plan.refresh_from_db()
    assert services.current_plan(pat) is None
    with pytest.raises(ValidationError, match="entered in error"):
        _referral(bob, plan)
    with pytest.raises(ValidationError, match="entered in error"):
        services.add_medication_entry(by=bob, plan=plan, change="x", reason="y")


def test_prescriber_adds_a_referral_from_the_page(bob: Any, pat: Any, client: Any) -> None:
    sign_in(client, bob)
    page = client.get(reverse("pain:plan", args=[pat.pk])).content.decode()
    assert "No pain plan yet" in page
    response = client.post(
        reverse("pain:plan_create", args=[pat.pk]),
        {"peg_baseline": "7", "peg_target": "4", "function_goals": "Garden again"},
        follow=True,
    )
    page = response.content.decode()
    assert "Garden again" in page and "4.90" in page and "3.50" in page and "Dworkin et al., J Pain 2008" in page
    response = client.post(
        reverse("pain:referral_create", args=[pat.pk]),
        {"kind": "acupuncture", "provider_name": "", "provider_contact": "555-0101", "sent_on": "2026-01-05"},
    )
    assert response.status_code == 200 and not Referral.objects.exists()
    response = client.post(
        reverse("pain:referral_create", args=[pat.pk]),
        {"kind": "acupuncture", "provider_name": "Dr Wu", "provider_contact": "555-0101", "sent_on": "2026-01-05"},
        follow=True,
    )
    page = response.content.decode()
    assert "Dr Wu" in page and "Acupuncture" in page and "R1" in page
    referral = Referral.objects.get()
    client.post(reverse("pain:referral_status", args=[pat.pk, referral.pk]), {"status": "in_progress"})
    assert Referral.objects.get().status == "in_progress"
    response = client.post(
        reverse("pain:entered_in_error", args=[pat.pk, "referral", referral.pk]), {"reason": "Duplicate"}, follow=True
    )
    assert "Entered in error by" in response.content.decode()
    assert client.get(reverse("pain:entered_in_error", args=[pat.pk, "nonsense", 1])).status_code == 404


def test_medication_entry_page_and_no_plan(bob: Any, pat: Any, client: Any) -> None:
    sign_in(client, bob)
    assert client.get(reverse("pain:referral_create", args=[pat.pk])).status_code == 404
    _plan(bob, pat)
    response = client.post(
        reverse("pain:medication_entry_create", args=[pat.pk]),
        {"change": "Started duloxetine 30 mg", "reason": "Fibromyalgia, AHRQ-reviewed options discussed"},
        follow=True,
    )
    assert "Started duloxetine 30 mg" in response.content.decode()


def test_another_locations_patient_is_not_found(bob: Any, lake: Any, client: Any) -> None:
    sign_in(client, bob)
    assert client.get(reverse("pain:plan", args=[lake.pk])).status_code == 404


def test_chart_marks_referrals_beside_sessions(bob: Any, pat: Any, client: Any) -> None:
    plan = _plan(bob, pat)
    first = _referral(bob, plan)
    gone = _referral(bob, plan, kind="psychology", sent_on=dt.date(2026, 1, 6))
    services.mark_entered_in_error(by=bob, row=gone, reason="Sent to the wrong practice")
    _referral(bob, plan, kind="interventional", provider_name="Pain Center", sent_on=dt.date(2026, 1, 7))
    for day, answers, source in ((1, [7, 7, 7], plan), (20, [5, 5, 5], first)):
        outcomes.record_measurement(
            by=bob,
            patient=pat,
            score=instruments.score("peg", answers),
            context="home",
            source=source,  # any distinct row: one measurement per source and scale
            taken_at=dt.datetime(2026, 1, day, 10, tzinfo=dt.UTC),
        )
    sign_in(client, bob)
    page = client.get(reverse("pain:plan", args=[pat.pk])).content.decode()
    assert "referrals=1" in page and 'data-testid="pain-trajectory"' in page
    svg = client.get(reverse("trajectory:chart_svg", args=[pat.pk]) + "?scale=peg&referrals=1").content.decode()
    assert "R1 Physical therapy" in svg and "R3 Interventional pain" in svg and "Psychology" not in svg
    narrow = client.get(reverse("trajectory:chart_svg", args=[pat.pk]) + "?scale=peg&referrals=1&size=narrow")
    assert ">R3<" in narrow.content.decode() or "R3" in narrow.content.decode()


def test_chart_and_ketamine_plans_link_to_the_pain_plan(bob: Any, carol: Any, pat: Any, client: Any) -> None:
    sign_in(client, bob)
    chart = client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
    assert 'data-testid="chart-pain"' in chart
    plans = client.get(reverse("plans:patient_plans", args=[pat.pk])).content.decode()
    assert 'data-testid="plans-pain-plan"' in plans
    client.logout()
    sign_in(client, carol)
    assert 'data-testid="chart-pain"' not in client.get(reverse("patients:chart", args=[pat.pk])).content.decode()
