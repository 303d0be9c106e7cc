"""Plan adjustments after reviewing outcomes (issue 8): every kind, the reason, who may, and what a stop cancels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.followup.services.adjustments import adjust_plan
from ketaclinic.plans.models import PlanAdjustment, PlanVersion, SessionOrder, TreatmentPlan
from tests.conftest import make_user, sign_in
from tests.followup.trajectory_factories import iv_series, signed_iv_plan

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def version(pat: Any, bob: Any, alice: Any) -> Any:
    """A signed IV plan with 4 infusions given and PHQ-9 20 → 19, 14, 15, 17 (a stop signal after infusion 4)."""
    return iv_series(pat, bob, alice, [19, 14, 15, 17])


def nothing_written(plan: TreatmentPlan, versions: int = 1) -> None:
    assert not PlanAdjustment.objects.filter(plan=plan).exists()
    assert plan.versions.count() == versions
    assert TreatmentPlan.objects.get(pk=plan.pk).status == TreatmentPlan.Status.ACTIVE


def test_continue_records_the_reason_and_an_evidence_snapshot(version: Any, bob: Any) -> None:
    adjustment = adjust_plan(by=bob, plan=version.plan, kind="continue", reason="  Patient feels better at work.  ")
    assert (adjustment.kind, adjustment.reason, adjustment.from_version) == (
        "continue",
        "Patient feels better at work.",
        version,
    )
    phq9 = adjustment.evidence["scales"]["phq9"]
    assert (phq9["baseline_total"], phq9["latest_total"], phq9["reduction_pct"]) == (20.0, 17.0, 15.0)
    stop = adjustment.evidence["stop_signal"]["phq9"]
    assert stop["suggest_stop"] and stop["rule"] == "under_min_improvement_after_decision_infusion"
    assert stop["infusions_assessed"] == 4
    event = AuditEvent.objects.get(action="plan.adjust")
    assert (event.object_id, event.patient_id, event.detail["kind"]) == (
        str(adjustment.pk),
        version.plan.patient_id,
        "continue",
    )


def test_booster_interval_needs_days_above_zero(version: Any, bob: Any) -> None:
    for days in (None, 0, -7):
        with pytest.raises(ValidationError) as caught:
            adjust_plan(
                by=bob, plan=version.plan, kind="booster_interval", reason="Maintenance.", booster_interval_days=days
            )
        assert "booster_interval_days" in caught.value.message_dict
    nothing_written(version.plan)
    adjustment = adjust_plan(
        by=bob, plan=version.plan, kind="booster_interval", reason="Maintenance.", booster_interval_days=28
    )
    assert adjustment.booster_interval_days == 28


def test_dose_change_starts_a_draft_amendment(version: Any, bob: Any) -> None:
    open_before = list(version.orders.filter(status="open").values_list("pk", flat=True))
    adjustment = adjust_plan(
        by=bob, plan=version.plan, kind="dose_change", reason="Partial effect; go up.", new_dose_mg_per_kg=D("0.75")
    )
    draft = adjustment.draft_version
    # 0.75 mg/kg × 80 kg = 60 mg; a draft pointing at the signed version, to be signed as usual.
    assert (draft.status, draft.supersedes_id, draft.dose_mg, draft.change_reason) == (
        PlanVersion.Status.DRAFT,
        version.pk,
        D("60.0"),
        "Partial effect; go up.",
    )
    assert adjustment.new_dose_mg == D("60.0") and adjustment.new_route == ""
    # Signed means locked: the signed version and its orders are unchanged until the draft is signed.
    version.refresh_from_db()
    assert version.status == PlanVersion.Status.SIGNED and version.dose_mg == D("40.0")
    assert list(version.orders.filter(status="open").values_list("pk", flat=True)) == open_before


def test_dose_change_in_fixed_mg(version: Any, bob: Any) -> None:
    adjustment = adjust_plan(by=bob, plan=version.plan, kind="dose_change", reason="Round dose.", new_dose_mg=D("45"))
    assert adjustment.draft_version.dose_mode == "fixed_mg" and adjustment.draft_version.dose_mg == D("45.0")


def test_dose_change_errors_come_back_as_field_errors_and_change_nothing(version: Any, bob: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        adjust_plan(by=bob, plan=version.plan, kind="dose_change", reason="Go up.")
    assert "new_dose_mg" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:  # the plan evaluation refuses 0 mg/kg ("Enter the dose in mg/kg.")
        adjust_plan(by=bob, plan=version.plan, kind="dose_change", reason="Go up.", new_dose_mg_per_kg=D("0"))
    assert caught.value.message_dict == {"new_dose_mg_per_kg": ["Enter the dose in mg/kg."]}
    with pytest.raises(ValidationError) as caught:
        adjust_plan(
            by=bob, plan=version.plan, kind="dose_change", reason="x", new_dose_mg=D("40"), new_dose_mg_per_kg=D("0.5")
        )
    assert "new_dose_mg" in caught.value.message_dict
    nothing_written(version.plan)
    # A second dose change while the first draft is open is refused by the amendment rules.
    adjust_plan(by=bob, plan=version.plan, kind="dose_change", reason="Go up.", new_dose_mg_per_kg=D("0.6"))
    with pytest.raises(ValidationError, match="already has a draft amendment"):
        adjust_plan(by=bob, plan=version.plan, kind="dose_change", reason="Again.", new_dose_mg_per_kg=D("0.7"))
    assert PlanAdjustment.objects.filter(plan=version.plan).count() == 1


def test_route_change_starts_a_draft_on_the_new_routes_protocol(version: Any, bob: Any) -> None:
    adjustment = adjust_plan(
        by=bob,
        plan=version.plan,
        kind="route_change",
        reason="Venous access is difficult.",
        new_route="im",
        new_dose_mg_per_kg=D("0.5"),
    )
    draft = adjustment.draft_version
    assert (draft.route, draft.protocol_id, draft.status, draft.bag_volume_ml) == ("im", "depression_im", "draft", None)
    assert adjustment.new_route == "im"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"new_dose_mg_per_kg": D("0.5")}, "new_route"),
        ({"new_route": "iv", "new_dose_mg_per_kg": D("0.5")}, "new_route"),  # already IV
        ({"new_route": "im"}, "new_dose_mg"),
        ({"new_route": "im", "new_dose_mg_per_kg": D("0.5"), "protocol_id": "depression_iv"}, "protocol_id"),
        ({"new_route": "im", "new_dose_mg_per_kg": D("0.5"), "protocol_id": "nope"}, "protocol_id"),
        ({"new_route": "intranasal_esketamine", "new_dose_mg_per_kg": D("0.5")}, "new_dose_mg_per_kg"),
    ],
)
def test_route_change_refusals(version: Any, bob: Any, changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        adjust_plan(by=bob, plan=version.plan, kind="route_change", reason="Switch.", **changes)
    assert field in caught.value.message_dict
    nothing_written(version.plan)


def test_route_change_to_a_route_without_a_protocol_for_the_indication(pat: Any, bob: Any) -> None:
    from ketaclinic.plans import services as plans
    from tests.plans.conftest import iv_input

    signed_iv_plan(pat, bob)
    # Depression with suicidal ideation: the library has IV and esketamine protocols for it, no IM one.
    data = iv_input(indication="depression_with_suicidal_ideation")
    signed = plans.sign(by=bob, version=plans.save_draft(by=bob, patient=pat, data=data))
    with pytest.raises(ValidationError) as caught:
        adjust_plan(
            by=bob, plan=signed.plan, kind="route_change", reason="Switch.", new_route="im", new_dose_mg_per_kg=D("0.5")
        )
    assert "No im protocol" in caught.value.message_dict["new_route"][0]


def test_stop_cancels_the_open_orders_and_keeps_the_given_ones(version: Any, bob: Any, alice: Any) -> None:
    from ketaclinic.plans import services as plans

    orders = list(version.orders.order_by("session_number"))
    for order in orders[:4]:
        plans.mark_order_given(by=alice, order=order)
    adjustment = adjust_plan(by=bob, plan=version.plan, kind="stop", reason="Stop signal after infusion 4; agreed.")
    plan = TreatmentPlan.objects.get(pk=version.plan_id)
    assert plan.status == TreatmentPlan.Status.STOPPED
    statuses = list(
        SessionOrder.objects.filter(plan_version__plan=plan).order_by("session_number").values_list("status", flat=True)
    )
    assert statuses == ["given"] * 4 + ["cancelled"] * 2
    assert AuditEvent.objects.get(action="plan.adjust").detail["orders_cancelled"] == 2
    assert adjustment.evidence["stop_signal"]["phq9"]["suggest_stop"] is True
    with pytest.raises(ValidationError, match="stopped"):
        adjust_plan(by=bob, plan=plan, kind="continue", reason="Changed my mind.")


def test_reason_is_required(version: Any, bob: Any) -> None:
    for reason in ("", "   "):
        with pytest.raises(ValidationError) as caught:
            adjust_plan(by=bob, plan=version.plan, kind="stop", reason=reason)
        assert "reason" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        adjust_plan(by=bob, plan=version.plan, kind="pause", reason="Holiday.")
    assert "kind" in caught.value.message_dict
    nothing_written(version.plan)
    assert version.orders.filter(status="open").count() == 6 - 0  # nothing cancelled


def test_non_prescribers_and_unlicensed_prescribers_are_refused(
    version: Any, alice: Any, dave: Any, clinic: Any, main_st: Any
) -> None:
    unlicensed = make_user("una", "prescriber", clinic, [main_st], title="MD")
    for user in (alice, dave, unlicensed):
        with pytest.raises(PermissionDenied):
            adjust_plan(by=user, plan=version.plan, kind="stop", reason="Not mine to decide.")
    nothing_written(version.plan)


def test_a_prescriber_at_another_location_is_refused(version: Any, clinic: Any, lakeside: Any) -> None:
    from ketaclinic.accounts import services as accounts

    other = make_user("lena", "prescriber", clinic, [lakeside], title="MD")
    accounts.add_licence(
        by=None,
        user=other,
        kind="medical",
        number="036.654321",
        state="IL",
        expires_on=version.start_date.replace(year=version.start_date.year + 1),
    )
    with pytest.raises(PermissionDenied, match="locations"):
        adjust_plan(by=other, plan=version.plan, kind="stop", reason="Not my patient.")


def test_a_plan_without_a_signed_version_cannot_be_adjusted(ready: Any, bob: Any) -> None:
    from ketaclinic.plans import services as plans
    from tests.plans.conftest import iv_input

    draft = plans.save_draft(by=bob, patient=ready, data=iv_input())
    with pytest.raises(ValidationError, match="no signed version"):
        adjust_plan(by=bob, plan=draft.plan, kind="continue", reason="Fine.")


# --- The page --------------------------------------------------------------------------------------------------------


def url(plan: Any) -> str:
    return reverse("plans:adjust", kwargs={"plan_id": plan.pk})


def test_page_shows_the_evidence_and_records_a_stop(client: Any, version: Any, bob: Any) -> None:
    sign_in(client, bob)
    html = client.get(url(version.plan)).content.decode()
    assert "Stop signal (PHQ-9)" in html and 'name="reason"' in html
    response = client.post(url(version.plan), {"kind": "stop", "reason": "No benefit after 4 infusions."})
    assert response.status_code == 302
    assert response["Location"] == reverse("trajectory:patient", kwargs={"patient_id": version.plan.patient_id})
    assert TreatmentPlan.objects.get(pk=version.plan_id).status == "stopped"
    assert "This plan is stopped" in client.get(url(version.plan)).content.decode()


def test_page_shows_field_errors_and_changes_nothing(client: Any, version: Any, bob: Any) -> None:
    sign_in(client, bob)
    response = client.post(url(version.plan), {"kind": "dose_change", "reason": "Go up.", "new_dose_mg_per_kg": "0"})
    assert response.status_code == 200
    assert "Enter the dose in mg/kg." in response.content.decode()
    response = client.post(url(version.plan), {"kind": "stop", "reason": ""})
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    nothing_written(version.plan)


def test_page_dose_change_goes_to_the_draft(client: Any, version: Any, bob: Any) -> None:
    sign_in(client, bob)
    response = client.post(url(version.plan), {"kind": "dose_change", "reason": "Go up.", "new_dose_mg_per_kg": "0.6"})
    draft = PlanAdjustment.objects.get().draft_version
    assert response.status_code == 302 and response["Location"] == reverse(
        "plans:version", kwargs={"version_id": draft.pk}
    )


def test_page_refuses_nurses_and_hides_other_locations(client: Any, version: Any, alice: Any, erin: Any) -> None:
    sign_in(client, alice)
    assert client.post(url(version.plan), {"kind": "stop", "reason": "x"}).status_code == 403
    client.logout()
    from ketaclinic.accounts import services as accounts

    other = make_user("lena", "prescriber", version.plan.patient.location.clinic, [erin.locations.get()], title="MD")
    accounts.add_licence(
        by=None,
        user=other,
        kind="medical",
        number="036.654321",
        state="IL",
        expires_on=version.start_date.replace(year=version.start_date.year + 1),
    )
    sign_in(client, other)
    assert client.get(url(version.plan)).status_code == 404
    nothing_written(version.plan)


def test_booster_interval_must_sit_in_the_protocols_range(version: Any, bob: Any) -> None:
    """depression_iv: boosters 1–12 weeks apart (domain/protocols/depression_iv.toml)."""
    from ketaclinic.domain import protocols

    protocol = protocols.get(version.protocol_id)
    high = protocol.booster_interval_weeks_max
    assert high is not None
    for days in (high * 7 + 1, 366, 3_000_000_000):
        with pytest.raises(ValidationError) as caught:
            adjust_plan(
                by=bob, plan=version.plan, kind="booster_interval", reason="Maintenance.", booster_interval_days=days
            )
        assert "booster_interval_days" in caught.value.message_dict
    assert not version.plan.adjustments.exists()
