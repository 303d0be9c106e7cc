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


def make_second_prescriber(clinic: Any, location: Any, username: str = "frank", *, licensed: bool = True) -> Any:
    """Another prescriber at the same location (the co-signer above the protocol's range, issue 15)."""
    import datetime as dt

    from ketaclinic.accounts import services
    from tests.conftest import make_user

    user = make_user(username, "prescriber", clinic, [location], title="MD")
    if licensed:
        expiry = dt.date.today() + dt.timedelta(days=365)
        services.add_licence(by=None, user=user, kind="medical", number="036.654321", state="IL", expires_on=expiry)
    return user


@pytest.fixture
def frank(clinic: Any, main_st: Any) -> Any:
    return make_second_prescriber(clinic, main_st)


def cosign(cosigner: Any, actor: Any, patient: Any, *, password: str | None = None) -> Any:
    """A real co-signature: the ledger's witness re-authentication (password + current one-time code), plan rule."""
    from ketaclinic.ledger.services import witnesses
    from ketaclinic.plans import services
    from tests.conftest import PASSWORD
    from tests.ledger.conftest import code_for, witness_request

    return witnesses.sign(
        request=witness_request(),
        credentials=witnesses.WitnessCredentials(
            username=cosigner.username, password=password or PASSWORD, otp_token=code_for(cosigner), prefix="cosigner"
        ),
        actor=actor,
        location=patient.location,
        rule=services.COSIGNER,
    )
