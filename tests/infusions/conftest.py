"""Session fixtures on top of the fixed cast, built through the real services (plans, ledger, patients, intake).

Pat (Main, female, 80 kg) has a signed eligibility decision, a treatment consent and REMS enrolment; Main has a DEA
registration and stock (ketamine 10 mg/mL 20 mL vials, esketamine 28 mg devices); alice and bob hold licences so
the ledger accepts their entries. ``iv_order`` and ``esk_order`` are the first open orders of signed plans.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from tests.ledger.conftest import PRODUCTS, licence, receive

D = Decimal
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 1, 0]
PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 1]
CSSRS_LOW = [True, False, None, None, None, False, None]
ALDRETE_10 = [2, 2, 2, 2, 2]
ALDRETE_7 = [1, 1, 2, 1, 2]
NORMAL_VITALS = {
    "systolic_mmhg": 124,
    "diastolic_mmhg": 78,
    "heart_rate_per_min": 72,
    "spo2_percent": 98,
    "respiratory_rate_per_min": 14,
    "moaas": 5,
}


@pytest.fixture
def stock(main_st: Any, lakeside: Any, clinic: Any, alice: Any, bob: Any) -> dict[str, Any]:
    return make_stock(main_st, clinic, alice)


def make_stock(main_st: Any, clinic: Any, alice: Any) -> dict[str, Any]:
    """Main's DEA registration, the products, and received stock (2 vials, 4 devices); alice gets her RN licence."""
    from ketaclinic.ledger import services as ledger

    licence(alice)
    values = {"schedules": "3, 3N", "expires_on": timezone.localdate() + dt.timedelta(days=365)}
    ledger.save_registrant(
        by=None,
        location=main_st,
        values={**values, "registrant_name": "Main", "dea_number": "FT1234563", "address": "1 Main St"},
    )
    products = {key: ledger.save_product(by=None, clinic=clinic, values=v) for key, v in PRODUCTS.items()}
    supplier = ledger.save_supplier(
        by=None, clinic=clinic, values={"name": "Distributor", "address": "9 Depot Rd", "dea_number": "RM1234563"}
    )
    vials = receive(alice, main_st, products["k10"], supplier, count=2)
    devices = receive(alice, main_st, products["esk"], supplier, count=4, lot_number="ESK7")
    return {"products": products, "supplier": supplier, "vials": vials, "devices": devices}


@pytest.fixture
def ready_patient(pat: Any, bob: Any) -> Any:
    return make_ready_patient(pat, bob)


def make_ready_patient(pat: Any, bob: Any) -> Any:
    """A signed eligibility decision for IV and esketamine, weight and height, treatment consent, REMS enrolment."""
    from ketaclinic.patients import services as patients
    from tests.plans.conftest import sign_eligibility

    sign_eligibility(pat, bob, ["iv", "intranasal_esketamine"])
    patients.record_measurement(by=bob, patient=pat, weight_kg=D("80"), height_cm=D("170"))
    for kind in ("treatment", "esketamine_rems"):
        patients.record_consent(
            by=bob, patient=pat, kind=kind, version="2026", signed_at=timezone.now(), signed_by_name="Pat Rivera"
        )
    return pat


def first_order(version: Any) -> Any:
    return version.orders.order_by("session_number").first()


def clinic_zone(patient: Any) -> Any:
    """Plan in the clinic's own zone, as a request would: its "today" can differ from UTC's."""
    from zoneinfo import ZoneInfo

    return timezone.override(ZoneInfo(patient.location.clinic.timezone))


@pytest.fixture
def iv_order(ready_patient: Any, bob: Any, stock: Any) -> Any:
    return make_iv_order(ready_patient, bob)


def make_iv_order(ready_patient: Any, bob: Any) -> Any:
    """Session 1 of a signed IV plan: 0.5 mg/kg × 80 kg = 40 mg over 40 min, 10 mg/mL into 100 mL (150 mL/h)."""
    from ketaclinic.plans import services as plans
    from tests.plans.conftest import iv_input

    with clinic_zone(ready_patient):
        version = plans.save_draft(by=bob, patient=ready_patient, data=iv_input())
        return first_order(plans.sign(by=bob, version=version))


@pytest.fixture
def esk_order(ready_patient: Any, bob: Any, stock: Any) -> Any:
    return make_esk_order(ready_patient, bob)


def make_esk_order(ready_patient: Any, bob: Any) -> Any:
    """Session 1 of a signed esketamine plan: day 1 is 56 mg (2 devices) under 65."""
    from ketaclinic.plans import services as plans
    from ketaclinic.plans.evaluation import PlanInput

    with clinic_zone(ready_patient):
        data = PlanInput(
            indication="treatment_resistant_depression",
            protocol_id="esketamine",
            start_date=timezone.localdate(),
            dose_mode="fixed_mg",
            fixed_dose_mg=D("84"),
        )
        return first_order(plans.sign(by=bob, version=plans.save_draft(by=bob, patient=ready_patient, data=data)))


def check_in(order: Any, nurse: Any, chair: str = "Chair 3") -> Any:
    from ketaclinic.infusions import services

    return services.create_session(by=nurse, order=order, chair=chair)


def fresh(session: Any) -> Any:
    return type(session).objects.get(pk=session.pk)


def complete_check_in(session: Any, nurse: Any, *, vitals: dict[str, Any] | None = None) -> Any:
    """Fasting, escort, pre-dose vitals and PHQ-9: every hard stop met."""
    from ketaclinic.infusions import services

    earlier = timezone.now() - dt.timedelta(hours=3)
    services.update_checkin(
        by=nurse,
        session=session,
        version=None,
        changes={
            "last_food_at": earlier,
            "last_liquids_at": earlier,
            "escort_name": "Sam Rivera",
            "ride_home_confirmed": True,
        },
    )
    services.record_vitals(
        by=nurse,
        session=session,
        version=None,
        values=vitals or NORMAL_VITALS,
    )
    services.record_score(by=nurse, session=session, version=None, instrument="phq9", answers=PHQ9_MILD)
    return fresh(session)


def start_iv(session: Any, nurse: Any, stock: Any, **extra: Any) -> Any:
    from ketaclinic.infusions import services

    return services.start(
        by=nurse, session=session, version=None, draws=[services.Draw(stock["vials"][0], D("4.00"))], **extra
    )


def start_esk(session: Any, nurse: Any, stock: Any, count: int = 2, **extra: Any) -> Any:
    from ketaclinic.infusions import services

    draws = [services.Draw(device, D("0.2")) for device in stock["devices"][:count]]
    return services.start(by=nurse, session=session, version=None, draws=draws, **extra)
