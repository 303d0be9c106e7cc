"""Treatment plans: dose and order arithmetic, hard stops and overrides, esketamine rules, signing and locking."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied
from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients import services as patients
from ketaclinic.plans import services
from ketaclinic.plans.evaluation import PlanInput, evaluate
from ketaclinic.plans.models import PlanVersion, SessionOrder
from tests.plans.conftest import cosign, iv_input

D = Decimal


def test_the_worked_example_of_clinical_rules_section_3(bob: Any, ready: Any) -> None:
    """80 kg × 0.5 mg/kg = 40 mg over 40 min = 60 mg/h; 4 mL of 10 mg/mL; 100 mL bag over 40 min → 150 mL/h."""
    version = services.save_draft(by=bob, patient=ready, data=iv_input())
    assert version.dose_mg == D("40.0") and version.dosing_weight_kg == D("80.0")
    signed = services.sign(by=bob, version=version)
    orders = list(signed.orders.order_by("session_number"))
    assert len(orders) == 6
    first = orders[0]
    assert (first.dose_mg, first.rate_mg_per_h, first.drug_volume_ml, first.pump_rate_ml_per_h) == (
        D("40.0"),
        D("60.0"),
        D("4.00"),
        D("150.0"),
    )
    assert first.target_date == timezone.localdate()
    # 6 infusions at 3 a week: days 0, 2, 4, 7, 9, 11 (clinical-rules.md §3: 6 over 2–3 weeks).
    assert [(o.target_date - first.target_date).days for o in orders] == [0, 2, 4, 7, 9, 11]


def test_all_three_dosing_weights_are_shown_and_the_basis_chooses(bob: Any, ready: Any) -> None:
    """80 kg, 170 cm female: IBW = 45.5 + 2.3 × (66.93 − 60) = 61.4 kg; AdjBW = 61.4 + 0.4 × 18.6 = 68.9 kg."""
    result = evaluate(patient=ready, clinic=bob.clinic, data=iv_input(dosing_weight_basis="adjusted"))
    assert result.weights["total_kg"] == "80.0"
    assert result.weights["ideal_kg"] == "61.4"
    assert result.weights["adjusted_kg"] == "68.9"
    assert result.dosing_weight_kg == D("68.9") and result.dose_mg == D("34.5")


def test_above_the_low_dose_ceiling_needs_a_written_override(bob: Any, frank: Any, ready: Any) -> None:
    """0.75 mg/kg over 40 min is 1.125 mg/kg/h, above 1 mg/kg/h (clinical-rules.md §3)."""
    version = services.save_draft(by=bob, patient=ready, data=iv_input(dose_mg_per_kg=D("0.75")))
    assert [f["code"] for f in version.findings if f["blocking"]] == ["infusion_ceiling_exceeded"]
    with pytest.raises(ValidationError, match="Cannot sign"):
        services.sign(by=bob, version=version)
    assert not SessionOrder.objects.exists()
    reason = "Partial response at 0.5 mg/kg after 4 infusions; discussed with patient"
    version = services.save_draft(
        by=bob,
        patient=ready,
        version=version,
        data=iv_input(dose_mg_per_kg=D("0.75"), overrides={"infusion_ceiling_exceeded": reason}),
    )
    # Issue 15: above the ceiling, the written reason AND a second prescriber's co-signature (clinical-rules.md §3).
    signed = services.sign(by=bob, version=version, cosignature=cosign(frank, bob, ready))
    assert signed.overrides == {"infusion_ceiling_exceeded": reason}
    assert AuditEvent.objects.filter(action="plan.sign", detail__overrides=["infusion_ceiling_exceeded"]).exists()


def test_a_dose_below_the_studied_range_is_flagged(bob: Any, ready: Any) -> None:
    version = services.save_draft(by=bob, patient=ready, data=iv_input(dose_mg_per_kg=D("0.05")))
    assert any(f["code"].startswith("dose") and f["blocking"] for f in version.findings), version.findings


def test_no_signed_eligibility_decision_is_a_hard_stop(bob: Any, pat: Any) -> None:
    patients.record_measurement(by=bob, patient=pat, weight_kg=D("80"), height_cm=D("170"))
    version = services.save_draft(by=bob, patient=pat, data=iv_input())
    assert [f["code"] for f in version.findings if f["blocking"]] == ["eligibility_missing"]
    with pytest.raises(ValidationError):
        services.sign(by=bob, version=version)


def test_a_hard_stop_cannot_be_overridden(bob: Any, pat: Any) -> None:
    patients.record_measurement(by=bob, patient=pat, weight_kg=D("80"), height_cm=D("170"))
    data = iv_input(overrides={"eligibility_missing": "I am sure"})
    version = services.save_draft(by=bob, patient=pat, data=data)
    assert version.findings[0]["blocking"] and not version.findings[0]["override_reason"]


def test_weight_is_needed_for_a_weight_based_dose(bob: Any, decided: Any) -> None:
    for measurement in decided.measurements.all():  # the intake recorded one; withdraw it
        patients.mark_entered_in_error(by=bob, row=measurement, reason="wrong scale")
    with pytest.raises(ValidationError) as error:
        services.save_draft(by=bob, patient=decided, data=iv_input())
    assert "dose_mg_per_kg" in error.value.message_dict


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"concentration_mg_per_ml": D("7")}, "concentration_mg_per_ml"),
        ({"bag_volume_ml": None}, "bag_volume_ml"),
        ({"indication": "crps"}, "indication"),
        ({"protocol_id": "nope"}, "protocol_id"),
        ({"start_date": dt.date(2020, 1, 1)}, "start_date"),
        ({"sessions_per_week": 5}, "sessions_per_week"),
        ({"dose_mode": "fixed_mg", "fixed_dose_mg": None}, "fixed_dose_mg"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(change: dict[str, Any], field: str, bob: Any, ready: Any) -> None:
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        services.save_draft(by=bob, patient=ready, data=iv_input(**change))
    assert field in error.value.message_dict
    assert not PlanVersion.objects.exists() and AuditEvent.objects.count() == before


def test_only_a_licensed_prescriber_signs(alice: Any, bob: Any, ready: Any) -> None:
    version = services.save_draft(by=bob, patient=ready, data=iv_input())
    with pytest.raises(PermissionDenied):
        services.sign(by=alice, version=version)
    bob.licences.update(expires_on=dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(PermissionDenied, match="licence"):
        services.sign(by=bob, version=version)
    with pytest.raises(PermissionDenied):
        services.save_draft(by=alice, patient=ready, data=iv_input())


def test_a_signed_version_is_locked_and_a_change_is_a_new_version(bob: Any, ready: Any) -> None:
    v1 = services.sign(by=bob, version=services.save_draft(by=bob, patient=ready, data=iv_input()))
    with pytest.raises(ValidationError, match="locked"):
        services.save_draft(by=bob, patient=ready, data=iv_input(), version=v1)
    with pytest.raises(ValidationError):
        services.amend(by=bob, signed=v1, data=iv_input(dose_mg_per_kg=D("0.6")), reason="")
    v2 = services.amend(by=bob, signed=v1, data=iv_input(dose_mg_per_kg=D("0.6")), reason="Tolerated well; increase")
    assert (v2.version, v2.supersedes, v2.status) == (2, v1, "draft")
    services.sign(by=bob, version=v2)
    v1.refresh_from_db()
    assert v1.status == "superseded"
    assert set(v1.orders.values_list("status", flat=True)) == {"cancelled"}
    assert set(v2.orders.values_list("dose_mg", flat=True)) == {D("48.0")}


def test_esketamine_cannot_start_without_rems_enrolment(bob: Any, ready_esk: Any) -> None:
    data = esketamine_input()
    version = services.save_draft(by=bob, patient=ready_esk, data=data)
    assert [f["code"] for f in version.findings if f["blocking"]] == ["rems_enrolment_missing"]
    patients.record_consent(
        by=bob,
        patient=ready_esk,
        kind="esketamine_rems",
        version="2026",
        signed_at=timezone.now(),
        signed_by_name="Pat Rivera",
    )
    signed = services.sign(by=bob, version=services.save_draft(by=bob, patient=ready_esk, data=data, version=version))
    orders = list(signed.orders.order_by("session_number"))
    # Weeks 1–4 twice weekly (8), weeks 5–8 weekly (4); day 1 is 56 mg under 65, then the chosen 84 mg.
    assert len(orders) == 12
    assert (orders[0].dose_mg, orders[0].devices) == (D("56.0"), 2)
    assert (orders[1].dose_mg, orders[1].devices) == (D("84.0"), 3)
    assert [(o.target_date - orders[0].target_date).days for o in orders[:3]] == [0, 3, 7]


def test_esketamine_28_mg_is_only_for_65_and_over(bob: Any, ready_esk: Any) -> None:
    version = services.save_draft(by=bob, patient=ready_esk, data=esketamine_input(fixed_dose_mg=D("28")))
    assert "esketamine_dose_not_allowed" in [f["code"] for f in version.findings if f["severity"] == "hard_stop"]


def esketamine_input(**changes: Any) -> PlanInput:
    data = PlanInput(
        indication="treatment_resistant_depression",
        protocol_id="esketamine",
        start_date=timezone.localdate(),
        dose_mode="fixed_mg",
        fixed_dose_mg=D("84"),
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def test_protocol_tuning_is_versioned_audited_and_within_hard_limits(
    dave: Any, alice: Any, bob: Any, ready: Any
) -> None:
    first = services.tune_protocol(
        by=dave,
        clinic=dave.clinic,
        protocol_id="depression_iv",
        overrides={"infusion_duration_min": 45},
        reason="Our nurses prefer 45 min",
    )
    assert first.version == 1
    result = evaluate(patient=ready, clinic=bob.clinic, data=iv_input(infusion_duration_min=None))
    assert result.duration_min == 45 and result.tuning_version == 1
    with pytest.raises(ValidationError):
        services.tune_protocol(
            by=dave,
            clinic=dave.clinic,
            protocol_id="depression_iv",
            overrides={"infusion_mg_per_kg_per_h_max": "2"},
            reason="more",
        )
    with pytest.raises(PermissionDenied):
        services.tune_protocol(
            by=alice,
            clinic=alice.clinic,
            protocol_id="depression_iv",
            overrides={"infusion_duration_min": 50},
            reason="x",
        )
    assert AuditEvent.objects.filter(action="protocol.tune").count() == 1
