"""Ledger fixtures on top of the fixed cast (tests/conftest.py), built through the real services.

Main and Lakeside each get a DEA registration; the clinic gets the three products of clinical-rules.md §3 that the
tests use (ketamine 10 mg/mL 20 mL vial, 100 mg/mL 5 mL multi-dose vial, esketamine 28 mg per 0.2 mL device), a
distributor and a reverse distributor. Alice and Erin get their RN licences (bob already has MD + DEA), and Frank is
a second Main nurse so a destruction can have two witnesses besides the person recording it.
"""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

import pytest
from django.test import RequestFactory

from tests.conftest import PASSWORD, make_user

TODAY = dt.date.today()
NEXT_YEAR = TODAY + dt.timedelta(days=365)


def licence(user: Any, kind: str = "registered_nurse", number: str | None = None) -> Any:
    from ketaclinic.accounts import services

    number = number or f"RN{secrets.randbelow(10**7):07d}"
    services.add_licence(by=None, user=user, kind=kind, number=number, state="IL", expires_on=NEXT_YEAR)
    return user


@pytest.fixture
def nurse(alice: Any) -> Any:
    return licence(alice)


@pytest.fixture
def lakeside_nurse(erin: Any) -> Any:
    return licence(erin)


@pytest.fixture
def frank(clinic: Any, main_st: Any) -> Any:
    return licence(make_user("frank", "nurse", clinic, [main_st], title="RN"))


@pytest.fixture
def registrants(main_st: Any, lakeside: Any) -> dict[str, Any]:
    from ketaclinic.ledger import services

    values = {"schedules": "2, 2N, 3, 3N, 4, 5", "expires_on": NEXT_YEAR}
    return {
        "main": services.save_registrant(
            by=None,
            location=main_st,
            values={**values, "registrant_name": "Test Clinic Main", "dea_number": "FT1234563", "address": "1 Main St"},
        ),
        "lakeside": services.save_registrant(
            by=None,
            location=lakeside,
            values={
                **values,
                "registrant_name": "Test Clinic Lakeside",
                "dea_number": "FT7654329",
                "address": "2 Lake",
            },
        ),
    }


PRODUCTS = {
    "k10": {
        "name": "Ketamine HCl injection 10 mg/mL, 20 mL vial",
        "substance": "ketamine_hcl",
        "ndc": "99999-010-20",
        "form": "injection",
        "concentration_mg_per_ml": Decimal("10"),
        "container_volume_ml": Decimal("20"),
        "container_kind": "vial",
    },
    "k100": {
        "name": "Ketamine HCl injection 100 mg/mL, 5 mL multi-dose vial",
        "substance": "ketamine_hcl",
        "ndc": "99999-100-05",
        "form": "injection",
        "concentration_mg_per_ml": Decimal("100"),
        "container_volume_ml": Decimal("5"),
        "container_kind": "vial",
    },
    "esk": {
        "name": "Esketamine nasal spray 28 mg device",
        "substance": "esketamine_hcl",
        "ndc": "99999-028-02",
        "form": "nasal_spray",
        "concentration_mg_per_ml": Decimal("140"),
        "container_volume_ml": Decimal("0.2"),
        "container_kind": "device",
        "containers_per_package": 2,
    },
}


@pytest.fixture
def products(clinic: Any) -> dict[str, Any]:
    from ketaclinic.ledger import services

    return {key: services.save_product(by=None, clinic=clinic, values=values) for key, values in PRODUCTS.items()}


@pytest.fixture
def supplier(clinic: Any) -> Any:
    from ketaclinic.ledger import services

    return services.save_supplier(
        by=None,
        clinic=clinic,
        values={"name": "Midwest Pharma Distribution", "address": "9 Depot Rd, Peoria, IL", "dea_number": "RM1234563"},
    )


@pytest.fixture
def reverse_distributor(clinic: Any) -> Any:
    from ketaclinic.ledger import services

    return services.save_supplier(
        by=None,
        clinic=clinic,
        values={
            "name": "Returns Solutions",
            "address": "4 Return Way, Joliet, IL",
            "dea_number": "RR7654329",
            "is_reverse_distributor": True,
        },
    )


@pytest.fixture
def ledger(registrants: Any, products: Any, supplier: Any, nurse: Any, bob: Any, pat: Any) -> dict[str, Any]:
    """A Main location ready to handle stock."""
    return {"products": products, "supplier": supplier, "nurse": nurse, "bob": bob, "pat": pat}


def receive(by: Any, location: Any, product: Any, supplier: Any, count: int = 1, **extra: Any) -> list[Any]:
    from ketaclinic.ledger import services

    values = {"lot_number": "L001", "expires_on": NEXT_YEAR, "invoice_ref": "INV-1001"}
    values.update(extra)
    receipt = services.receive(
        by=by, location=location, product=product, supplier=supplier, container_count=count, **values
    )
    return receipt.containers


def authenticator(user: Any) -> bytes:
    """A confirmed TOTP device with a known key (one per user)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ketaclinic.accounts import services

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = services.create_totp_device_with_key(user=user, key_hex=secrets.token_hex(20))
    return bytes(device.bin_key)


def code_for(user: Any) -> str:
    """The current one-time code. The device's replay guard (last used time step) is reset first, so a test can sign
    several times within one 30-second step; the guard itself is tested in test_witnesses.py."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = authenticator(user)
    TOTPDevice.objects.filter(user=user).update(
        last_t=-1, throttling_failure_count=0, throttling_failure_timestamp=None
    )
    return f"{totp(key, step=30, t0=0, digits=6):06d}"


def witness_request() -> Any:
    request = RequestFactory().post("/ledger/", REMOTE_ADDR="127.0.0.1")
    return request


def sign(witness: Any, actor: Any, location: Any, *, password: str = PASSWORD, code: str | None = None) -> Any:
    """A real witness signature: password and the current one-time code, checked by the service."""
    from ketaclinic.ledger.services import witnesses

    return witnesses.sign(
        request=witness_request(),
        credentials=witnesses.WitnessCredentials(
            username=witness.username, password=password, otp_token=code if code is not None else code_for(witness)
        ),
        actor=actor,
        location=location,
    )
