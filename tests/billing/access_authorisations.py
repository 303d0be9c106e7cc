"""Access matrix rows for prior authorisations and the reconciliation report (read by tests/test_access_matrix.py)."""

from __future__ import annotations

from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302
POST_ONLY = dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 405)
EVERY_STAFF = {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200}

EXPECTED: dict[str, dict[str, int]] = {
    # Prior authorisations: everyone at the patient's location reads them (billing.view); front desk and clinic admins
    # add and withdraw (billing.manage, on the same page and the POST-only withdraw).
    "billing:patient_authorisations": EVERY_STAFF,
    "billing:authorisation_withdraw": POST_ONLY,
    "billing:authorisations_running_out": EVERY_STAFF,
    # The Spravato reconciliation report and its CSV (billing.view).
    "billing:reconciliation": EVERY_STAFF,
    "billing:reconciliation_csv": EVERY_STAFF,
}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    if name == "billing:patient_authorisations":
        return {"patient_id": world["pat"].pk}
    if name == "billing:authorisation_withdraw":
        return {"authorisation_id": 1}
    return None
