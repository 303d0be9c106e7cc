"""Issue 15: a plan version's co-signature in the REST API, read-only (CONTRACTS §3: extend, never rename)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.test import Client

from ketaclinic.accounts import services as accounts


def bearer(user: Any) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {accounts.create_api_token(by=None, user=user)}"}


def test_a_cosigned_plan_version_shows_its_cosigner(bob: Any, frank: Any, ready: Any) -> None:
    from ketaclinic.plans import services as plans
    from tests.plans.conftest import cosign, iv_input

    data = iv_input(
        dose_mg_per_kg=Decimal("0.75"), overrides={"infusion_ceiling_exceeded": "Partial response at 0.5 mg/kg"}
    )
    version = plans.save_draft(by=bob, patient=ready, data=data)
    signed = plans.sign(by=bob, version=version, cosignature=cosign(frank, bob, ready))
    body = Client().get(f"/api/v1/plans/patients/{ready.pk}", **bearer(bob)).json()
    (row,) = [v for v in body if v["id"] == signed.pk]
    assert row["cosigned_by_id"] == frank.pk and row["cosigned_at"] is not None
    assert row["signed_by_id"] == bob.pk


def test_a_plan_without_a_cosignature_says_null(bob: Any, ready: Any) -> None:
    from ketaclinic.plans import services as plans
    from tests.plans.conftest import iv_input

    version = plans.save_draft(by=bob, patient=ready, data=iv_input())
    body = Client().get(f"/api/v1/plans/patients/{ready.pk}", **bearer(bob)).json()
    assert body[0]["id"] == version.pk and body[0]["cosigned_by_id"] is None and body[0]["cosigned_at"] is None
