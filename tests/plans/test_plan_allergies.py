"""The plan checks ketamine itself and the premedication against the recorded allergies (issue 15 item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from ketaclinic.audit.models import AuditEvent
from ketaclinic.patients import services as patients
from ketaclinic.plans import services
from ketaclinic.plans.evaluation import evaluate
from ketaclinic.plans.models import SessionOrder
from tests.plans.conftest import iv_input

PREMED = "Ondansetron 4 mg IV 30 min before the infusion"


def _codes(findings: list[dict[str, Any]], blocking: bool = True) -> list[str]:
    return [f["code"] for f in findings if f["blocking"] == blocking]


def test_an_ondansetron_allergy_stops_signing_a_plan_with_ondansetron_premedication(bob: Any, ready: Any) -> None:
    patients.add_allergy(by=bob, patient=ready, substance="Ondansetron", reaction="hives", severity="severe")
    version = services.save_draft(by=bob, patient=ready, data=iv_input(premedication=PREMED))
    assert _codes(version.findings) == ["allergy_premedication:ondansetron"]
    finding = version.findings[-1]
    assert finding["allergy"] is True
    assert "Ondansetron (hives, severe)" in finding["message"]
    with pytest.raises(ValidationError, match="ALLERGY"):
        services.sign(by=bob, version=version)
    assert not SessionOrder.objects.exists()


def test_a_class_allergy_also_stops_it(bob: Any, ready: Any) -> None:
    patients.add_allergy(by=bob, patient=ready, substance="granisetron", reaction="anaphylaxis")
    result = evaluate(patient=ready, clinic=bob.clinic, data=iv_input(premedication=PREMED))
    (finding,) = [f for f in result.findings if f.get("allergy")]
    assert "5-HT3 receptor antagonist" in finding["message"] and "A04AA" in finding["source"]


def test_the_prescriber_overrides_with_a_written_reason_kept_with_the_signed_plan(bob: Any, ready: Any) -> None:
    patients.add_allergy(by=bob, patient=ready, substance="Ondansetron", reaction="mild rash", severity="mild")
    reason = "Mild rash only in 2019; benefit outweighs risk, observed closely"
    version = services.save_draft(
        by=bob,
        patient=ready,
        data=iv_input(premedication=PREMED, overrides={"allergy_premedication:ondansetron": reason}),
    )
    signed = services.sign(by=bob, version=version)
    assert signed.overrides == {"allergy_premedication:ondansetron": reason}
    assert AuditEvent.objects.filter(
        action="plan.sign", detail__overrides=["allergy_premedication:ondansetron"]
    ).exists()


def test_a_ketamine_allergy_stops_the_plan_itself(bob: Any, ready: Any) -> None:
    patients.add_allergy(by=bob, patient=ready, substance="Ketalar", reaction="laryngospasm", severity="severe")
    version = services.save_draft(by=bob, patient=ready, data=iv_input())
    assert _codes(version.findings) == ["allergy_ketamine:ketamine"]


def test_an_allergy_recorded_after_the_draft_is_caught_at_signing(bob: Any, ready: Any) -> None:
    version = services.save_draft(by=bob, patient=ready, data=iv_input(premedication=PREMED))
    patients.add_allergy(by=bob, patient=ready, substance="ondansetron")
    with pytest.raises(ValidationError, match="ALLERGY"):
        services.sign(by=bob, version=version)


def test_allergies_not_recorded_is_a_caution_and_nkda_clears_it(bob: Any, ready: Any) -> None:
    result = evaluate(patient=ready, clinic=bob.clinic, data=iv_input(premedication=PREMED))
    assert "allergies_not_recorded" in _codes(result.findings, blocking=False)
    patients.record_nkda(by=bob, patient=ready)
    result = evaluate(patient=ready, clinic=bob.clinic, data=iv_input(premedication=PREMED))
    assert not [f for f in result.findings if "allerg" in f["code"]]
