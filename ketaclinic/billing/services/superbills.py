"""Superbills for out-of-network reimbursement (billing.md §9): the CMS-1500 data set an insurer needs on an itemised
bill — patient, date of birth, provider NPI and tax id, place of service, dates, ICD-10-CM codes with pointers,
codes with our own short labels, units, charges and the provider's signature line (Sidecar Health, "What does an
itemized medical invoice need to include?"; NUCC/CMS 1500 items 21, 24, 25, 31, 33).

A superbill is a snapshot of the signed session record taken when generated; the lines are the claim builder's
self-pay lines (the same as commercial buy-and-bill). It is never edited or deleted; a wrong one is voided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import BillingProfile, ProviderIdentity, Superbill
from ketaclinic.billing.services import claims
from ketaclinic.billing.services.descriptors import descriptors_for
from ketaclinic.documents import render_pdf
from ketaclinic.domain.billing.codes import label_for
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients import documents as chart_documents

__all__ = ["generate_superbill", "sessions_in_range", "superbill_pdf", "void_superbill"]

LETTERS = "ABCDEFGHIJKL"


def _require(by: User) -> None:
    if not role_can(by.role, "billing.manage"):
        raise PermissionDenied("Your role does not allow this (billing.manage).")


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value.quantize(Decimal("0.01")))


@transaction.atomic
def generate_superbill(
    *,
    by: User,
    sessions: Sequence[TreatmentSession],
    practitioner_min: int = 0,
    fees: Mapping[str, Decimal] | None = None,
) -> Superbill:
    """One superbill for one patient's signed sessions (one session, or a date range of them)."""
    _require(by)
    if not sessions:
        raise ServiceError("Choose at least one signed session.", field="session_ids")
    if len({s.patient_id for s in sessions}) != 1:
        raise ServiceError("A superbill is for one patient.", field="session_ids")
    session = sessions[0]
    profile = BillingProfile.objects.filter(location=session.location).first()
    if profile is None:
        raise ServiceError(
            "This location has no billing profile (NPI, tax id, address): a clinic admin sets it under Billing.",
            field="session_ids",
        )
    rules = claims.payer_rules(None, "self_pay")
    diagnoses: list[str] = []
    lines: list[dict[str, Any]] = []
    ordered = sorted(sessions, key=claims.service_date)
    for each in ordered:
        facts = claims.facts_for_session(each, practitioner_min=practitioner_min)
        proposal = claims.build_for_session(each, rules, fees=fees, practitioner_min=practitioner_min)
        for code in facts.diagnoses:
            if code not in diagnoses:
                diagnoses.append(code)
        if len(diagnoses) > 12:
            raise ServiceError("A superbill lists at most 12 diagnoses (CMS-1500 item 21).", field="session_ids")
        for line in proposal.lines:
            pointers = "".join(LETTERS[diagnoses.index(facts.diagnoses[p - 1])] for p in line.diagnosis_pointers)
            lines.append(
                {
                    "date": facts.service_date.isoformat(),
                    "pos": proposal.place_of_service,
                    "code": line.code,
                    "label": label_for(line.code),
                    "modifiers": list(line.modifiers),
                    "units": str(line.units.normalize()) if line.units == line.units.to_integral() else str(line.units),
                    "charge": _money(line.charge),
                    "pointers": pointers,
                    "ndc11": line.ndc11 or "",
                }
            )
    charges = [Decimal(line["charge"]) for line in lines if line["charge"] is not None]
    signer = session.note_signed_by
    identity = ProviderIdentity.objects.filter(user=signer).first() if signer else None
    patient = session.patient
    content = {
        "provider": {
            "name": profile.legal_name,
            "npi": profile.npi,
            "tax_id": profile.tax_id,
            "tax_id_kind": profile.get_tax_id_kind_display(),
            "address": f"{profile.street}, {profile.city}, {profile.state} {profile.postal_code[:5]}",
            "phone": profile.phone,
            "taxonomy": profile.taxonomy_code,
        },
        "rendering": {
            "name": signer.display_name if signer else "",
            "npi": identity.npi if identity else "",
        },
        "patient": {
            "name": patient.full_name,
            "dob": patient.date_of_birth.isoformat(),
            "sex": patient.get_sex_display(),
            "address": ", ".join(
                part for part in (patient.address_line1, patient.city, f"{patient.state} {patient.postal_code}") if part
            ).strip(),
            "mrn": patient.mrn,
        },
        "diagnoses": [{"letter": LETTERS[i], "code": code} for i, code in enumerate(diagnoses)],
        "lines": lines,
        "total": _money(sum(charges, Decimal(0))) if charges else None,
        "missing_charges": any(line["charge"] is None for line in lines),
        "notes": [],
    }
    bill = Superbill.objects.create(
        patient=patient,
        first_date=claims.service_date(ordered[0]),
        last_date=claims.service_date(ordered[-1]),
        content=content,
        created_by=by,
    )
    bill.sessions.set(sessions)
    audit.record(
        actor=by,
        action="billing.superbill.create",
        obj=bill,
        patient_id=patient.pk,
        detail={"sessions": [s.pk for s in sessions], "codes": [line["code"] for line in lines]},
    )
    return bill


@transaction.atomic
def void_superbill(*, by: User, superbill: Superbill, reason: str) -> Superbill:
    """A wrong superbill is voided with the reason, never deleted; it still prints, marked VOID (audited)."""
    _require(by)
    superbill = Superbill.objects.select_for_update().get(pk=superbill.pk)
    if superbill.void_reason:
        raise ServiceError("This superbill is already void.", field="reason")
    if not reason.strip():
        raise ServiceError("Say why the superbill is voided.", field="reason")
    if len(reason.strip()) > 500:
        raise ServiceError("A reason has at most 500 characters.", field="reason")
    superbill.void_reason = reason.strip()
    superbill.save(update_fields=["void_reason"])
    audit.record(
        actor=by,
        action="billing.superbill.void",
        obj=superbill,
        patient_id=superbill.patient_id,
        detail={"reason": superbill.void_reason},
    )
    return superbill


def sessions_in_range(user: User, *, patient_id: int, first: dt.date, last: dt.date) -> list[TreatmentSession]:
    """The patient's signed sessions with a date of service in [first, last] (the clinic's calendar)."""
    rows = claims.sessions_billable_by(user).filter(patient_id=patient_id, status=TreatmentSession.Status.SIGNED)
    chosen = [s for s in rows if first <= claims.service_date(s) <= last]
    if not chosen:
        raise ServiceError("No signed session of this patient in that range.", field="first_date")
    if len(chosen) > 50:
        raise ServiceError("At most 50 sessions on one superbill: choose a shorter range.", field="first_date")
    return sorted(chosen, key=claims.service_date)


def superbill_pdf(superbill: Superbill, *, by: User) -> bytes:
    patient = superbill.patient
    rows = superbill.content.get("lines", [])
    said = descriptors_for(patient.location.clinic_id, [line.get("code", "") for line in rows])
    lines = [(line, said.get(line.get("code", ""))) for line in rows]
    body = render_to_string("billing/superbill_pdf.html", {"bill": superbill, "c": superbill.content, "lines": lines})
    location = superbill.sessions.first().location if superbill.sessions.exists() else patient.location  # type: ignore[union-attr]
    return render_pdf(
        title="Superbill (itemised statement for insurance)",
        body_html=body,
        letterhead=chart_documents.letterhead(location),
        patient=chart_documents.identifiers(patient),
        produced=chart_documents.produced(patient, by=by, at=timezone.now()),
    )
