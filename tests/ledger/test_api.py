"""/api/v1/ledger: reads scoped and audited, writes through the services with a required Idempotency-Key."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from ketaclinic.accounts import services as accounts
from ketaclinic.audit.models import AuditEvent
from ketaclinic.ledger.models import Container, Kind, LedgerEntry
from tests.conftest import PASSWORD
from tests.ledger.conftest import NEXT_YEAR, code_for, receive

D = Decimal
pytestmark = pytest.mark.django_db
BASE = "/api/v1/ledger"


class Api:
    def __init__(self, user: Any) -> None:
        self.client = Client()
        self.auth = {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(BASE + path, params, **self.auth)

    def post(self, path: str, body: dict[str, Any], key: str | None = "auto") -> Any:
        headers = dict(self.auth)
        if key is not None:
            headers["HTTP_IDEMPOTENCY_KEY"] = uuid.uuid4().hex if key == "auto" else key
        return self.client.post(BASE + path, body, content_type="application/json", **headers)


@pytest.fixture
def vial(ledger: Any, main_st: Any) -> Container:
    (container,) = receive(ledger["nurse"], main_st, ledger["products"]["k10"], ledger["supplier"])
    return container


def test_receipt_administration_and_waste_through_the_api(ledger: Any, main_st: Any) -> None:
    api = Api(ledger["nurse"])
    response = api.post(
        "/receipts",
        {
            "location_id": main_st.pk,
            "product_id": ledger["products"]["k100"].pk,
            "supplier_id": ledger["supplier"].pk,
            "lot_number": "API1",
            "expires_on": NEXT_YEAR.isoformat(),
            "container_count": 1,
            "invoice_ref": "INV-API",
        },
    )
    assert response.status_code == 201, response.json()
    (entry,) = response.json()["entries"]
    assert (entry["kind"], entry["quantity_ml"], entry["quantity_mg"]) == ("receipt", "5.00", "500.00")
    container_id = entry["container_id"]
    response = api.post(
        "/administrations",
        {
            "container_id": container_id,
            "patient_id": ledger["pat"].pk,
            "quantity_ml": "0.35",
            "drawn_ml": "0.40",
            "witness": {"username": "bob", "password": PASSWORD, "otp_token": code_for(ledger["bob"])},
        },
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["entry"]["quantity_mg"], body["waste"]["quantity_ml"], body["waste"]["witness_name"]) == (
        "-35.00",
        "-0.05",
        "Bob Test, MD",
    )
    response = api.post(
        "/wastes",
        {
            "container_id": container_id,
            "close": True,
            "manner": "drug-waste container",
            "reason": "end of day",
            "witness": {"username": "bob", "password": PASSWORD, "otp_token": code_for(ledger["bob"])},
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["quantity_ml"] == "-4.60"
    assert Container.objects.get(pk=container_id).status == Container.Status.EMPTY
    assert PASSWORD not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_reads_are_scoped_and_audited(
    ledger: Any, vial: Container, lakeside: Any, registrants: Any, lakeside_nurse: Any, lake: Any
) -> None:
    (far,) = receive(lakeside_nurse, lakeside, ledger["products"]["k10"], ledger["supplier"])
    api = Api(ledger["nurse"])
    containers = api.get("/containers").json()
    assert [c["id"] for c in containers["items"]] == [vial.pk]
    assert api.get(f"/containers/{far.pk}").status_code == 404
    far_entry = LedgerEntry.objects.get(container=far)
    assert api.get(f"/entries/{far_entry.pk}").status_code == 404
    entry = LedgerEntry.objects.get(container=vial)
    assert api.get(f"/entries/{entry.pk}").json()["entry_hash"] == entry.entry_hash
    assert api.get("/entries", kind="receipt").json()["count"] == 1
    assert AuditEvent.objects.filter(action="api.ledger.entries.list", actor=ledger["nurse"]).exists()
    assert api.get("/products").json()["count"] == 3


def test_front_desk_is_403_and_no_token_is_401(ledger: Any, carol: Any, vial: Container) -> None:
    assert Api(carol).get("/containers").status_code == 403
    assert (
        Api(carol).post("/administrations", {"container_id": vial.pk, "patient_id": 1, "quantity_ml": "1"}).status_code
        == 403
    )
    assert Client().get(BASE + "/containers").status_code == 401


def test_a_clinic_admin_reads_but_cannot_record(ledger: Any, dave: Any, vial: Container) -> None:
    api = Api(dave)
    assert api.get("/containers").status_code == 200
    response = api.post(
        "/administrations", {"container_id": vial.pk, "patient_id": ledger["pat"].pk, "quantity_ml": "1"}
    )
    assert response.status_code == 403


def test_bad_input_is_422_naming_the_field(ledger: Any, vial: Container) -> None:
    api = Api(ledger["nurse"])
    pat = ledger["pat"].pk
    response = api.post("/administrations", {"container_id": vial.pk, "patient_id": pat, "quantity_ml": "0.005"})
    assert response.status_code == 422 and "quantity_ml" in str(response.json()["detail"])
    response = api.post("/administrations", {"container_id": vial.pk, "patient_id": pat, "quantity_ml": "25"})
    assert response.status_code == 422 and "has 20.00 mL available" in str(response.json()["detail"])
    response = api.post(
        "/administrations", {"container_id": vial.pk, "patient_id": pat, "quantity_ml": "1", "drawn_ml": "2"}
    )
    assert response.status_code == 422 and "witness" in str(response.json()["detail"])
    response = api.post(
        "/administrations",
        {"container_id": vial.pk, "patient_id": pat, "quantity_ml": "1", "occurred_at": "2026-01-01T10:00:00"},
    )
    assert response.status_code == 422 and "time zone" in str(response.json()["detail"])
    assert not LedgerEntry.objects.filter(kind=Kind.ADMINISTER).exists()


def test_a_refused_witness_is_422_and_writes_nothing(ledger: Any, vial: Container) -> None:
    response = Api(ledger["nurse"]).post(
        "/wastes",
        {
            "container_id": vial.pk,
            "quantity_ml": "1",
            "manner": "x",
            "reason": "y",
            "witness": {"username": "bob", "password": "wrong password", "otp_token": "000000"},
        },
    )
    assert response.status_code == 422 and "do not match" in str(response.json()["detail"])
    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()


def test_a_patient_of_another_location_is_404(ledger: Any, vial: Container, lake: Any) -> None:
    response = Api(ledger["nurse"]).post(
        "/administrations", {"container_id": vial.pk, "patient_id": lake.pk, "quantity_ml": "1"}
    )
    assert response.status_code == 404
