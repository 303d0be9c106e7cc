"""A sublingual-programme patient: eligibility and agreement signed, monitor named, thresholds set, 6 doses held."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketaclinic.homecare import services
from ketaclinic.intake.models import EligibilityDecision
from ketaclinic.patients.models import Consent, clinic_date
from tests.conftest import PASSWORD
from tests.ledger.conftest import (  # noqa: F401  # the ledger's fixtures, for clinic fills
    lakeside_nurse,
    ledger,
    nurse,
    products,
    registrants,
    supplier,
)


def sign_eligibility(patient: Any, prescriber: Any, routes: list[str]) -> EligibilityDecision:
    return EligibilityDecision.objects.create(
        patient=patient, version=1, indication="depression", routes=routes, outcome="eligible", signed_by=prescriber
    )


def sign_agreement(patient: Any) -> Consent:
    return Consent.objects.create(
        patient=patient, kind="home_programme", version="2026-01", signed_at=timezone.now(), signed_by_name="Pat Rivera"
    )


@pytest.fixture
def thresholds(clinic: Any, dave: Any) -> Any:
    return services.save_settings(
        by=dave,
        clinic=clinic,
        max_systolic_mmhg=160,
        max_diastolic_mmhg=90,
        max_heart_rate_per_min=100,
        doses_per_day=1,
        discrepancy_tolerance_doses=Decimal(1),
    )


@pytest.fixture
def programme(pat: Any, bob: Any) -> Any:
    sign_eligibility(pat, bob, ["sublingual"])
    sign_agreement(pat)
    return services.enrol(
        by=bob,
        patient=pat,
        route="sublingual_troche",
        monitor_name="Sam Rivera",
        monitor_date_of_birth=dt.date(1978, 1, 1),
        monitor_relationship="spouse",
        monitor_phone="(217) 555-0199",
        in_person_evaluation_on=dt.date.today() - dt.timedelta(days=30),
    )


@pytest.fixture
def prescription(programme: Any, bob: Any, alice: Any, thresholds: Any) -> Any:
    today = clinic_date(programme.patient)
    rx = services.prescribe(
        by=bob,
        programme=programme,
        route="sublingual_troche",
        strength_mg=Decimal(100),
        dose_mg=Decimal(200),
        sessions=6,
        refills_authorised=1,
        issued_on=today,
        pdmp_checked_on=today,
        pdmp_note="No other controlled prescriptions.",
    )
    services.dispense(
        by=alice,
        prescription=rx,
        source="pharmacy",
        dispenser="Main St Pharmacy",
        dispensed_on=today,
        doses=6,
        rx_number="RX-1001",
    )
    return rx


GOOD = {"systolic_mmhg": 128, "diastolic_mmhg": 82, "heart_rate_per_min": 74, "monitor_present": True, "symptoms": []}


def witness(witness_user: Any, actor: Any) -> Any:
    """A real home-waste witness signature: the witness re-authenticates (password and one-time code)."""
    from ketaclinic.homecare.services import HOME_WASTE
    from ketaclinic.ledger.services import witnesses
    from tests.ledger.conftest import code_for, licence, witness_request

    if not witness_user.active_licences(dt.date.today()):
        licence(witness_user)
    if not actor.active_licences(dt.date.today()):
        licence(actor)
    return witnesses.sign(
        request=witness_request(),
        credentials=witnesses.WitnessCredentials(
            username=witness_user.username, password=PASSWORD, otp_token=code_for(witness_user)
        ),
        actor=actor,
        location=actor.locations.first(),
        rule=HOME_WASTE,
    )
