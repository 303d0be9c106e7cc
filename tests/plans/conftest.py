"""Plan fixtures: a patient measured (80 kg, 170 cm) with a signed eligibility decision, built through services."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic.patients import services as patients
from ketaclinic.plans.evaluation import PlanInput


def iv_input(**changes: Any) -> PlanInput:
    data = PlanInput(
        indication="treatment_resistant_depression",
        protocol_id="depression_iv",
        start_date=timezone.localdate(),
        dose_mode="mg_per_kg",
        dose_mg_per_kg=Decimal("0.5"),
        infusion_duration_min=40,
        concentration_mg_per_ml=Decimal("10"),
        bag_volume_ml=Decimal("100"),
    )
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def sign_eligibility(patient: Any, prescriber: Any, routes: list[str]) -> Any:
    """A signed eligibility decision through the intake services (issue 5)."""
    from tests.intake.factories import signed_decision

    return signed_decision(patient=patient, prescriber=prescriber, routes=routes)


@pytest.fixture
def decided(pat: Any, bob: Any) -> Any:
    sign_eligibility(pat, bob, ["iv", "intranasal_esketamine"])
    return pat


@pytest.fixture
def ready(decided: Any, bob: Any) -> Any:
    patients.record_measurement(by=bob, patient=decided, weight_kg=Decimal("80"), height_cm=Decimal("170"))
    return decided


@pytest.fixture
def ready_esk(ready: Any) -> Any:
    return ready
