"""The 837P export of a claim (ASC X12 005010X222A1, billing.md §10), through the pure renderer
``ketaclinic.domain.billing.x12_837p.render_837p``. The first export moves the claim to *exported*; every export is
audited with its interchange control number. The clinic submits directly to the payer here: the submitter is the
billing provider (its NPI as submitter id) and the receiver is the payer (its payer id); a clearinghouse's ids can
be set per payer later.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import BillingProfile, Claim, ClaimEvent, ProviderIdentity
from ketaclinic.domain.billing import x12_837p as x12
from ketaclinic.domain.billing.claim_rules import ClaimLine as RuleLine

__all__ = ["export_837p", "interchange_for"]

SEX = {"female": "F", "male": "M"}


def _lines(claim: Claim) -> tuple[RuleLine, ...]:
    return tuple(
        RuleLine(
            code=line.code,
            modifiers=tuple(line.modifiers),
            units=line.units,
            unit_charge=line.unit_charge,
            charge=line.charge,
            diagnosis_pointers=tuple(line.diagnosis_pointers),
            ndc11=line.ndc11 or None,
            ndc_quantity=line.ndc_quantity,
            ndc_unit=line.ndc_unit or None,
            why=line.why,
            source=line.source,
            unconfirmed=line.unconfirmed,
        )
        for line in claim.lines.all()
    )


def interchange_for(claim: Claim, *, control_number: int) -> x12.Interchange:
    """The renderer's input from the claim, its patient, coverage, payer and the location's billing profile."""
    if not claim.payer.payer_id:
        raise ServiceError(
            f"{claim.payer.name} has no payer id: add it on the payer's page (the 837P addresses the payer by it).",
            field="payer_id",
        )
    session = claim.sessions.select_related("location", "note_signed_by").first()
    if session is None:
        raise ServiceError("The claim has no session.", field="session_ids")
    profile = BillingProfile.objects.filter(location=session.location).first()
    if profile is None:
        raise ServiceError(
            "This location has no billing profile (NPI, tax id, address): a clinic admin sets it under Billing.",
            field="billing_profile",
        )
    coverage = claim.coverage
    if coverage is None:
        raise ServiceError(
            f"The patient has no {claim.payer.name} coverage on {claim.service_date:%Y-%m-%d}:"
            " add the member id first.",
            field="coverage",
        )
    patient = claim.patient
    if not (patient.address_line1 and patient.city and patient.state and patient.postal_code):
        raise ServiceError("The patient's address is incomplete: the 837P needs street, city, state and ZIP.")
    signer = session.note_signed_by
    identity = ProviderIdentity.objects.filter(user=signer).first() if signer else None
    lines = _lines(claim)
    total = sum((line.charge for line in lines if line.charge is not None), Decimal("0"))
    now = timezone.now()
    return x12.Interchange(
        submitter=x12.Submitter(
            name=profile.legal_name,
            submitter_id=profile.npi,
            contact_name="Billing desk",
            phone="".join(ch for ch in profile.phone if ch.isdigit()) or "0000000000",
        ),
        receiver=x12.Receiver(name=claim.payer.name, receiver_id=claim.payer.payer_id[:15]),
        billing_provider=x12.BillingProvider(
            name=profile.legal_name,
            npi=profile.npi,
            tax_id=profile.tax_id,
            tax_id_kind="EI" if profile.tax_id_kind == BillingProfile.TaxIdKind.EIN else "SY",
            taxonomy=profile.taxonomy_code or None,
            street=profile.street,
            city=profile.city,
            state=profile.state,
            postal_code=profile.postal_code,
        ),
        subscriber=x12.Subscriber(
            member_id=coverage.member_id,
            last_name=patient.family_name,
            first_name=patient.given_name,
            dob=patient.date_of_birth,
            sex=SEX.get(patient.sex, "U"),
            street=patient.address_line1,
            city=patient.city,
            state=patient.state,
            postal_code=patient.postal_code,
            group_number=coverage.group_number or None,
            filing_indicator=claim.payer.filing_indicator,
        ),
        payer=x12.Payer(name=claim.payer.name, payer_id=claim.payer.payer_id),
        claim=x12.Claim(
            claim_id=claim.claim_id,
            total_charge=total,
            place_of_service=claim.place_of_service,
            diagnoses=tuple(claim.diagnoses),
            service_date=claim.service_date,
            lines=lines,
            prior_auth=claim.prior_auth_number or None,
            rendering_npi=identity.npi if identity else None,
            rendering_last_name=signer.last_name if identity and signer else None,
            rendering_first_name=signer.first_name if identity and signer else None,
        ),
        interchange_control_number=control_number,
        group_control_number=control_number,
        transaction_control_number=control_number % 10000 or 1,
        production=False,
        created=now,
    )


@transaction.atomic
def export_837p(*, by: User, claim: Claim) -> str:
    """The claim as 837P text; a claim that is void is refused; a draft or ready claim becomes exported."""
    if not role_can(by.role, "billing.manage"):
        raise PermissionDenied("Your role does not allow this (billing.manage).")
    claim = Claim.objects.select_for_update().select_related("payer", "patient", "coverage").get(pk=claim.pk)
    if claim.status == Claim.Status.VOID:
        raise ServiceError("This claim is void: build a new one.", field="status")
    control = (Claim.objects.aggregate(top=Max("control_number"))["top"] or 0) + 1
    try:
        text = x12.render_837p(interchange_for(claim, control_number=control))
    except x12.X12Error as error:
        raise ServiceError(str(error)) from None
    before = claim.status
    claim.control_number = control
    claim.exported_at = timezone.now()
    if claim.status in (Claim.Status.DRAFT, Claim.Status.READY):
        claim.status = Claim.Status.EXPORTED
        ClaimEvent.objects.create(claim=claim, from_status=before, to_status=claim.status, by=by, note="837P export")
    claim.updated_at = timezone.now()
    claim.save()
    audit.record(
        actor=by,
        action="billing.claim.export",
        obj=claim,
        patient_id=claim.patient_id,
        detail={"control_number": control, "from": before, "to": claim.status},
    )
    return text
