"""Clinic admins add and edit payers; front desk and admins record a patient's coverage. Audited, clear refusals.

A payer carries, as data, the knowledge-base rules marked VERIFY that the clinic has confirmed with that payer
(billing.md: "never hard-code a payer rule without a per-payer override"). Until confirmed, the claim builder still
proposes its default and marks the line unconfirmed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Coverage, Payer
from ketaclinic.domain.billing.claim_rules import VERIFY_RULES as DOMAIN_VERIFY_RULES
from ketaclinic.domain.billing.x12_837p import FILING_INDICATORS as X12_FILING_INDICATORS
from ketaclinic.patients.models import Patient

__all__ = ["FILING_INDICATORS", "VERIFY_RULES", "VerifyRule", "add_coverage", "end_coverage", "save_payer"]


@dataclass(frozen=True)
class VerifyRule:
    name: str
    words: str
    source: str


#: Where each VERIFY rule comes from (billing.md §3–§5); the words are the claim builder's own (``VERIFY_RULES``).
RULE_SOURCES: dict[str, str] = {
    "medicare_g_code_excludes_em": "Neolytix, Spravato CPT code 2026; The Rybar Group, Coding Conundrum: SPRAVATO"
    " Part 2 — not confirmed in CMS text",
    "medicare_specialty_pharmacy": "G2082/G2083 descriptor (Highmark Wholecare HHO-DE-MP-1265, 2024); Pabau, HCPCS"
    " G2083 — not confirmed by a MAC",
    "clinical_staff_prolonged": "CPT 99415/99416 (Coding Ahead; iframe.ai) — 2024 thresholds not confirmed",
    "jz_on_j0013": "CMS CR 'New Claims Modifier Requirement' (2023, Pub 100-04 ch. 17 §40); FDA NDC directory"
    " 50458-028 (single-use devices)",
    "esketamine_ndc_units": "FDA NDC directory 50458-028 (kits of 2 or 3 devices); payer companion guides differ",
    "commercial_specialty_pharmacy": "Janssen, SPRAVATO Payer Coverage and Reimbursement; The Rybar Group, Coding"
    " Conundrum: SPRAVATO Part 1 (2024)",
}
#: The VERIFY items of the billing knowledge base a clinic confirms per payer (names as the claim builder reads them).
VERIFY_RULES: tuple[VerifyRule, ...] = tuple(
    VerifyRule(name, words, RULE_SOURCES.get(name, "Billing knowledge base (VERIFY)"))
    for name, words in DOMAIN_VERIFY_RULES.items()
)
VERIFY_NAMES = frozenset(rule.name for rule in VERIFY_RULES)
#: 837P SBR09 claim filing indicators allowed by the X12 005010X222A1 map (pyx12 transcription).
FILING_INDICATORS = sorted(X12_FILING_INDICATORS)
PAYER_FIELDS = ("name", "payer_id", "kind", "accepts_g_codes", "filing_indicator", "confirmed_rules", "is_active")


def _require(by: User, capability: str) -> None:
    if not role_can(by.role, capability):
        raise PermissionDenied(f"Your role does not allow this ({capability}).")


@transaction.atomic
def save_payer(*, by: User, payer: Payer | None = None, **values: Any) -> Payer:
    _require(by, "billing.setup")
    unknown = set(values) - set(PAYER_FIELDS)
    if unknown:
        raise ServiceError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    if payer is not None and payer.clinic_id != by.clinic_id:
        raise PermissionDenied("That payer belongs to another clinic.")
    current = {name: getattr(payer, name) for name in PAYER_FIELDS} if payer else {}
    merged = {**current, **values}
    name = str(merged.get("name", "")).strip()
    if not name or len(name) > 60:
        raise ServiceError("Give the payer's name (at most 60 characters).", field="name")
    if merged.get("kind") not in Payer.Kind.values:
        raise ServiceError("Choose Medicare, Medicaid or commercial insurance.", field="kind")
    payer_id = str(merged.get("payer_id", "")).strip()
    if payer_id and (len(payer_id) > 80 or not payer_id.replace("-", "").isalnum()):
        raise ServiceError("A payer id is letters and digits, as the clearinghouse lists it.", field="payer_id")
    if merged.get("filing_indicator") not in FILING_INDICATORS:
        raise ServiceError(
            "Choose the claim filing indicator, e.g. MB for Medicare Part B, CI for commercial.",
            field="filing_indicator",
        )
    rules = list(merged.get("confirmed_rules") or [])
    if set(rules) - VERIFY_NAMES:
        raise ServiceError("Unknown rule to confirm.", field="confirmed_rules")
    if by.clinic_id is None:
        raise PermissionDenied("You belong to no clinic.")
    clash = Payer.objects.filter(clinic_id=by.clinic_id, name=name)
    if payer is not None:
        clash = clash.exclude(pk=payer.pk)
    if clash.exists():
        raise ServiceError("Your clinic already has a payer of that name.", field="name")
    if payer is None:
        payer = Payer(clinic_id=by.clinic_id)
    merged.update(name=name, payer_id=payer_id, confirmed_rules=sorted(rules))
    for field, value in merged.items():
        setattr(payer, field, value)
    payer.save()
    changed = sorted(f for f in PAYER_FIELDS if current.get(f) != merged.get(f))
    audit.record(actor=by, action="billing.payer.save", obj=payer, detail={"changed": changed})
    return payer


@transaction.atomic
def add_coverage(
    *,
    by: User,
    patient: Patient,
    payer: Payer,
    member_id: str,
    effective_from: dt.date,
    group_number: str = "",
    priority: str = Coverage.Priority.PRIMARY,
    effective_to: dt.date | None = None,
) -> Coverage:
    _require(by, "billing.manage")
    if not by.locations.filter(pk=patient.location_id).exists():
        raise PermissionDenied("That patient is not at your locations.")
    if payer.clinic_id != by.clinic_id or not payer.is_active:
        raise ServiceError("Choose an active payer of your clinic.", field="payer")
    member_id = member_id.strip()
    if not member_id or len(member_id) > 80 or not member_id.replace("-", "").isalnum():
        raise ServiceError("Give the member id from the insurance card (letters and digits).", field="member_id")
    if len(group_number.strip()) > 50:
        raise ServiceError("A group number has at most 50 characters.", field="group_number")
    if priority not in Coverage.Priority.values:
        raise ServiceError("Choose primary or secondary.", field="priority")
    if effective_to is not None and effective_to < effective_from:
        raise ServiceError("The coverage ends after it starts.", field="effective_to")
    coverage = Coverage.objects.create(
        patient=patient,
        payer=payer,
        member_id=member_id,
        group_number=group_number.strip(),
        priority=priority,
        effective_from=effective_from,
        effective_to=effective_to,
    )
    audit.record(
        actor=by, action="billing.coverage.add", obj=coverage, patient_id=patient.pk, detail={"payer": payer.pk}
    )
    return coverage


@transaction.atomic
def end_coverage(*, by: User, coverage: Coverage, effective_to: dt.date, reason: str) -> Coverage:
    """Coverage is never deleted: it ends on a date, with the reason (e.g. the card says the plan ended); audited."""
    _require(by, "billing.manage")
    if not by.locations.filter(pk=coverage.patient.location_id).exists():
        raise PermissionDenied("That patient is not at your locations.")
    coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
    reason = reason.strip()
    if not reason:
        raise ServiceError("Say why the coverage ends.", field="reason")
    if len(reason) > 500:
        raise ServiceError("A reason has at most 500 characters.", field="reason")
    if effective_to < coverage.effective_from:
        raise ServiceError("The coverage ends after it starts.", field="effective_to")
    if coverage.effective_to is not None and effective_to > coverage.effective_to:
        raise ServiceError(
            f"This coverage already ends on {coverage.effective_to:%Y-%m-%d}; an end is only moved earlier.",
            field="effective_to",
        )
    before = coverage.effective_to
    coverage.effective_to, coverage.end_reason = effective_to, reason
    coverage.save(update_fields=["effective_to", "end_reason"])
    audit.record(
        actor=by,
        action="billing.coverage.end",
        obj=coverage,
        patient_id=coverage.patient_id,
        detail={
            "effective_to": effective_to.isoformat(),
            "was": before.isoformat() if before else None,
            "reason": reason,
            "payer": coverage.payer_id,
        },
    )
    return coverage
