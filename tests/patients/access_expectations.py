"""Access matrix rows for the chart's documents (read by tests/test_access_matrix.py).

The chart's rules: everyone who sees the chart sees its ID and insurance cards; only nurses and prescribers see the
clinical kinds (referral letters, prior records, ECGs, labs, other); those who edit the chart (front desk, nurses,
prescribers) upload, and file and mark entered in error what they can see. The world adds one staff upload for Pat."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import tiny_pdf

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302


def allowed(*roles: str) -> dict[str, int]:
    return {ANON: LOGIN, **{role: 200 if role in roles else 403 for role in (FD, NURSE, PRESC, ADMIN)}}


EDITORS = (FD, NURSE, PRESC)
EVERYONE = (FD, NURSE, PRESC, ADMIN)
PDF = tiny_pdf("a referral letter")

NOT_FOUND = 404
# The world's document is a referral letter, a clinical kind: front desk and clinic admins may open the list (they
# see ID and insurance cards) but the letter itself is not found for them (patients/uploads.py EVERYONE_KINDS).
EXPECTED: dict[str, dict[str, int]] = {
    "patients:documents": allowed(*EVERYONE),
    "patients:document_upload": allowed(*EDITORS),
    "patients:document_download": {**allowed(NURSE, PRESC), FD: NOT_FOUND, ADMIN: NOT_FOUND},
    "patients:document_file": {**allowed(NURSE, PRESC), FD: NOT_FOUND},
    "patients:document_entered_in_error": {**allowed(NURSE, PRESC), FD: NOT_FOUND},
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.patients import uploads

    document = uploads.upload_by_staff(
        by=world["cast"][NURSE],
        patient=world["pat"],
        content=PDF,
        kind="referral_letter",
        title="Referral from Dr Lee",
        document_date=dt.date(2026, 1, 5),
    )
    return {**world, "chart_document": document}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name in ("patients:document_download", "patients:document_file", "patients:document_entered_in_error"):
        return {"patient_id": world["pat"].pk, "document_id": world["chart_document"].pk}
    return None
