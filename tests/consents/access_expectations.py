"""Access matrix rows for the consents app (read by tests/test_access_matrix.py).

The world adds a published treatment consent, Pat's electronic signature of it (on Alice's tablet) and a paper
consent with its scan. Documents are for clinic admins; signing on the tablet and recording a paper consent for those
who record consents (front desk, nurses, prescribers); the signed PDF and the scan for everyone who sees the chart.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import tiny_pdf

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302


def allowed(*roles: str) -> dict[str, int]:
    return {ANON: LOGIN, **{role: 200 if role in roles else 403 for role in (FD, NURSE, PRESC, ADMIN)}}


RECORDERS = (FD, NURSE, PRESC)
EVERYONE = (FD, NURSE, PRESC, ADMIN)

EXPECTED: dict[str, dict[str, int]] = {
    "consents:documents": allowed(ADMIN),
    "consents:document_create": allowed(ADMIN),
    "consents:document": allowed(ADMIN),
    "consents:tablet": allowed(*RECORDERS),
    "consents:tablet_sign": allowed(*RECORDERS),
    "consents:signed": allowed(*RECORDERS),
    "consents:signature_pdf": allowed(*EVERYONE),
    "consents:paper_create": allowed(*RECORDERS),
    "consents:scan": allowed(*EVERYONE),
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from ketaclinic.consents import services

    cast, pat = world["cast"], world["pat"]
    admin = cast[ADMIN]
    draft = services.create_document(
        by=admin,
        clinic=admin.clinic,
        kind="telehealth",
        title="Telehealth consent",
        body="Sessions by video.",
        effective_on=dt.date(2026, 1, 1),
    )
    document = services.publish_document(by=admin, document=draft)
    signature = services.sign_electronically(
        patient=pat,
        document_version=document,
        typed_name=pat.full_name,
        agreed=True,
        ip="127.0.0.1",
        user_agent="matrix",
        witnessed_by=cast[NURSE],
    )
    scan = services.record_paper_consent(
        by=cast[FD],
        patient=pat,
        kind="treatment",
        version="2026-01",
        signed_at=timezone.now(),
        signed_by_name="Pat Rivera",
        expires_on=None,
        scan=tiny_pdf("scan"),
    )
    return {**world, "consent_document": document, "signature": signature, "scan": scan}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    pat = world["pat"].pk
    return {
        "consents:document": {"document_id": world["consent_document"].pk},
        "consents:tablet": {"patient_id": pat},
        "consents:tablet_sign": {"patient_id": pat, "document_id": world["consent_document"].pk},
        "consents:signed": {"patient_id": pat, "signature_id": world["signature"].pk},
        "consents:signature_pdf": {"patient_id": pat, "signature_id": world["signature"].pk},
        "consents:paper_create": {"patient_id": pat},
        "consents:scan": {"patient_id": pat, "scan_id": world["scan"].pk},
    }.get(name)
