"""Access matrix rows for claims, payers, coverage, the billing profile and superbills (read by
tests/test_access_matrix.py). Billing staff (front desk, clinic admins) bill; clinicians read what is billed for their
patients; clinic admins alone set up the billing identity and the payers."""

from __future__ import annotations

from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302
POST_ONLY = dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 405)
BILLERS = {ANON: LOGIN, FD: 200, NURSE: 403, PRESC: 403, ADMIN: 200}
READERS = {ANON: LOGIN, FD: 200, NURSE: 200, PRESC: 200, ADMIN: 200}
SETUP = {ANON: LOGIN, FD: 403, NURSE: 403, PRESC: 403, ADMIN: 200}

EXPECTED: dict[str, dict[str, int]] = {
    "billing:claims": READERS,
    "billing:claim": READERS,
    "billing:claim_new": BILLERS,
    "billing:claim_status": POST_ONLY,
    "billing:claim_837p": BILLERS,
    "billing:line_charge": POST_ONLY,
    "billing:profile": SETUP,
    "billing:profile_save": POST_ONLY,
    "billing:provider_npi": POST_ONLY,
    "billing:payers": SETUP,
    "billing:payer_edit": SETUP,
    "billing:coverage": BILLERS,
    "billing:superbill_new": BILLERS,
    "billing:superbill_pdf": READERS,
    "billing:superbill": READERS,
    "billing:superbill_void": POST_ONLY,
    "billing:coverage_end": POST_ONLY,
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from ketaclinic.billing.services import claims, superbills
    from tests.billing.claims_world import FEES, cover, established, set_up_billing, with_address

    cast, pat = world["cast"], world["pat"]
    payers = set_up_billing(pat.location.clinic, pat.location, cast[ADMIN], cast[PRESC])
    with_address(pat)
    cover(cast[FD], pat, payers["medicare"])
    signed = established(pat, cast[PRESC])
    claim = claims.create_claim(by=cast[FD], sessions=[signed], payer=payers["medicare"], fees=FEES)
    bill = superbills.generate_superbill(by=cast[FD], sessions=[signed], fees=FEES)
    return {**world, "billing_claims": {"session": signed, "claim": claim, "payer": payers["acme"], "bill": bill}}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    objects = world.get("billing_claims")
    if objects is None or not name.startswith("billing:"):
        return None
    if name in ("billing:claim_new", "billing:superbill_new"):
        return {"session_id": objects["session"].pk}
    if name in ("billing:claim", "billing:claim_status", "billing:claim_837p"):
        return {"claim_id": objects["claim"].pk}
    if name == "billing:line_charge":
        return {"claim_id": objects["claim"].pk, "position": 1}
    if name == "billing:payer_edit":
        return {"payer_id": objects["payer"].pk}
    if name == "billing:coverage":
        return {"patient_id": world["pat"].pk}
    if name in ("billing:superbill_pdf", "billing:superbill", "billing:superbill_void"):
        return {"superbill_id": objects["bill"].pk}
    if name == "billing:coverage_end":
        return {"coverage_id": world["pat"].coverages.first().pk}
    return None
