"""Claims from signed sessions: the session record → ``SessionBillingFacts`` → the pure claim builder
(``ketaclinic.domain.billing.claim_rules``, billing.md §1–§6) → a ``Claim`` with its lines, each saying *why* and
citing its source. Status changes are audited and kept on the claim; nothing is deleted (void with a reason).

Practitioner time: the session record has no field for the prescriber's own minutes (the E/M by time of billing.md
§2.1 counts only the practitioner's time, not the 2 h observation, Janssen reimbursement FAQ), so the claim form asks
for it and the claim keeps it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ketaclinic.accounts.errors import PermissionDenied, ServiceError
from ketaclinic.accounts.models import Location, User
from ketaclinic.accounts.roles import role_can
from ketaclinic.audit import services as audit
from ketaclinic.billing.models import Claim, ClaimEvent, ClaimLine, Coverage, Payer
from ketaclinic.domain.billing.claim_rules import (
    ClaimProposal,
    ClaimRuleError,
    PayerRules,
    SessionBillingFacts,
    build_claim_lines,
)
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.ledger.models import Product
from ketaclinic.patients.models import Condition
from ketaclinic.patients.queries import patients_visible_to

__all__ = [
    "PAYER_KINDS",
    "SUPPLIES",
    "build_for_session",
    "change_status",
    "create_claim",
    "facts_for_session",
    "ndc11",
    "payer_rules",
    "sessions_billable_by",
    "unit_fees",
]

PAYER_KINDS = ("medicare", "medicaid", "commercial", "self_pay")
SUPPLIES = ("buy_and_bill", "specialty_pharmacy")
ROUTES = {"iv": "iv", "im": "im", ESKETAMINE_ROUTE: "esketamine"}
#: Status moves a person may make; "exported" is set by the 837P export, never by hand.
MOVES: dict[str, tuple[str, ...]] = {
    Claim.Status.DRAFT: (Claim.Status.READY, Claim.Status.VOID),
    Claim.Status.READY: (Claim.Status.DRAFT, Claim.Status.VOID),
    Claim.Status.EXPORTED: (Claim.Status.PAID, Claim.Status.DENIED, Claim.Status.READY, Claim.Status.VOID),
    Claim.Status.DENIED: (Claim.Status.READY, Claim.Status.VOID),
    Claim.Status.PAID: (),
    Claim.Status.VOID: (),
}


def _require(by: User, capability: str = "billing.manage") -> None:
    if not role_can(by.role, capability):
        raise PermissionDenied(f"Your role does not allow this ({capability}).")


def sessions_billable_by(user: User) -> QuerySet[TreatmentSession]:
    """Sessions of the patients at the user's locations (billing staff do not hold ``sessions.view``: they read only
    what a claim needs, never the note)."""
    return TreatmentSession.objects.filter(patient__in=patients_visible_to(user)).select_related(
        "patient", "location__clinic", "order", "note_signed_by"
    )


def ndc11(ndc: str) -> str | None:
    """The 11-digit (5-4-2) NDC a claim carries, from the labeler-product-package form with dashes (openFDA prints
    4-4-2, 5-3-2 or 5-4-1; the missing digit is a leading zero in its segment, billing.md §3.2). None if unreadable."""
    digits = ndc.replace("-", "")
    if len(digits) == 11 and digits.isdigit() and ndc.count("-") in (0, 2):
        return digits
    parts = ndc.split("-")
    if len(parts) != 3 or not all(part.isdigit() for part in parts):
        return None
    labeler, product, package = parts
    if len(labeler) > 5 or len(product) > 4 or len(package) > 2 or len(labeler + product + package) != 10:
        return None
    return labeler.zfill(5) + product.zfill(4) + package.zfill(2)


def service_date(session: TreatmentSession) -> dt.date:
    moment = session.started_at or session.checked_in_at
    return moment.astimezone(ZoneInfo(session.location.clinic.timezone)).date()


def _diagnoses(session: TreatmentSession) -> tuple[str, ...]:
    rows = Condition.objects.filter(
        patient=session.patient, entered_in_error=False, status=Condition.Status.ACTIVE
    ).exclude(icd10_code="")
    codes: list[str] = []
    for code in rows.order_by("recorded_at", "pk").values_list("icd10_code", flat=True):
        if code not in codes:
            codes.append(code)
    return tuple(codes)


def is_new_patient(session: TreatmentSession) -> bool:
    """New unless the patient had an earlier signed session here (a simplification of the 3-year rule of the E/M
    definitions; the claim form lets billing staff correct it)."""
    return not (
        TreatmentSession.objects.filter(patient=session.patient, status=TreatmentSession.Status.SIGNED)
        .filter(started_at__lt=session.started_at or session.checked_in_at)
        .exists()
    )


def _product_ndc(session: TreatmentSession, route: str) -> str | None:
    """No administration recorded (a session entered after the fact): the clinic's ledger product for the substance,
    for esketamine the kit whose device count matches the order when there is one."""
    substance = Product.Substance.ESKETAMINE if route == "esketamine" else Product.Substance.KETAMINE
    products = list(
        Product.objects.filter(clinic_id=session.location.clinic_id, substance=substance, is_active=True).order_by("pk")
    )
    if route == "esketamine" and session.order.devices:
        products.sort(key=lambda p: p.containers_per_package != session.order.devices)
    return next((ndc11(p.ndc) for p in products if ndc11(p.ndc)), None)


def facts_for_session(
    session: TreatmentSession,
    *,
    supply: str = "buy_and_bill",
    practitioner_min: int = 0,
    clinical_staff_min: int = 0,
    separately_identifiable_em: bool = False,
    new_patient: bool | None = None,
) -> SessionBillingFacts:
    """The facts the claim builder needs, read from the signed session. Unsigned → a clear refusal."""
    if session.status != TreatmentSession.Status.SIGNED:
        raise ServiceError(
            f"Session {session.pk} is not signed: only a session whose note is signed can be billed.",
            field="session_ids",
        )
    route = ROUTES.get(session.route)
    if route is None:
        raise ServiceError(f"Sessions given by the route {session.route!r} are not billed here.", field="session_ids")
    if supply not in SUPPLIES:
        raise ServiceError("The drug supply is either buy_and_bill or specialty_pharmacy.", field="supply")
    infusion_min = None
    if route == "iv" and session.started_at and session.infusion_ended_at:
        infusion_min = int((session.infusion_ended_at - session.started_at).total_seconds() // 60)
    administrations = list(session.administrations.all())
    esketamine = int(session.order.dose_mg) if route == "esketamine" else None
    ketamine: Decimal | None = None
    if route != "esketamine":
        ketamine = session.dose_delivered_mg
        if ketamine is None:
            given = [a.given_mg for a in administrations if a.given_mg is not None]
            ketamine = sum(given, Decimal(0)) if given else None
    code = next((ndc11(a.ndc) for a in administrations if ndc11(a.ndc)), None) or _product_ndc(session, route)
    return SessionBillingFacts(
        service_date=service_date(session),
        route=route,
        new_patient=is_new_patient(session) if new_patient is None else new_patient,
        infusion_min=infusion_min,
        practitioner_min=practitioner_min,
        clinical_staff_min=clinical_staff_min,
        esketamine_dose_mg=esketamine,
        ketamine_dose_mg=ketamine,
        ndc11=code,
        drug_supply=supply,
        diagnoses=_diagnoses(session),
        separately_identifiable_em=separately_identifiable_em,
        telehealth=None,
    )


def payer_rules(payer: Payer | None, kind: str | None = None) -> PayerRules:
    """The payer's rules as data (its confirmed VERIFY rules and overrides); ``None`` = a self-pay patient."""
    if payer is None:
        return PayerRules(payer_kind=kind or "self_pay")
    return PayerRules(
        payer_kind=payer.kind,
        accepts_g_codes=payer.accepts_g_codes,
        confirmed=frozenset(payer.confirmed_rules or ()),
        overrides=dict(payer.overrides or {}),
    )


def unit_fees(location: Location, on: dt.date) -> dict[str, Decimal]:
    """The location's unit charge per code on a date, from the fee schedule when the app has one
    (``billing.services.fees.unit_fees``); empty otherwise, and lines then carry no charge."""
    try:
        fees = importlib.import_module("ketaclinic.billing.services.fees")
    except ModuleNotFoundError:
        return {}
    lookup = getattr(fees, "unit_fees", None)
    return dict(lookup(location, on)) if callable(lookup) else {}


def build_for_session(
    session: TreatmentSession,
    rules: PayerRules,
    *,
    fees: Mapping[str, Decimal] | None = None,
    **facts: object,
) -> ClaimProposal:
    """The proposed lines for one session; the builder's refusal comes back as a ServiceError."""
    billing_facts = facts_for_session(session, **facts)  # type: ignore[arg-type]
    charges = unit_fees(session.location, billing_facts.service_date) if fees is None else fees
    try:
        return build_claim_lines(billing_facts, rules, charges)
    except ClaimRuleError as error:
        raise ServiceError(str(error), field="session_ids") from None


def _coverage_for(patient_id: int, payer: Payer, on: dt.date) -> Coverage | None:
    rows = Coverage.objects.filter(patient_id=patient_id, payer=payer, effective_from__lte=on)
    for coverage in rows.order_by("priority", "-effective_from"):
        if coverage.effective_to is None or coverage.effective_to >= on:
            return coverage
    return None


@transaction.atomic
def create_claim(
    *,
    by: User,
    sessions: Sequence[TreatmentSession],
    payer: Payer,
    supply: str = "buy_and_bill",
    practitioner_min: int = 0,
    clinical_staff_min: int = 0,
    separately_identifiable_em: bool = False,
    new_patient: bool | None = None,
    prior_auth_number: str = "",
    fees: Mapping[str, Decimal] | None = None,
) -> Claim:
    """A draft claim for one patient's signed sessions on one day with one payer; nothing is written on a refusal."""
    _require(by)
    if not sessions:
        raise ServiceError("Choose at least one signed session.", field="session_ids")
    patients = {s.patient_id for s in sessions}
    if len(patients) != 1:
        raise ServiceError("A claim is for one patient: choose sessions of the same patient.", field="session_ids")
    if payer.clinic_id != by.clinic_id or not payer.is_active:
        raise ServiceError("No such active payer at your clinic.", field="payer_id")
    if practitioner_min < 0 or clinical_staff_min < 0 or practitioner_min > 24 * 60:
        raise ServiceError("Minutes are between 0 and 1440.", field="practitioner_min")
    if len(prior_auth_number) > 50:
        raise ServiceError("A prior authorisation number has at most 50 characters.", field="prior_auth_number")
    rules = payer_rules(payer)
    proposals = [
        build_for_session(
            s,
            rules,
            fees=fees,
            supply=supply,
            practitioner_min=practitioner_min,
            clinical_staff_min=clinical_staff_min,
            separately_identifiable_em=separately_identifiable_em,
            new_patient=new_patient,
        )
        for s in sessions
    ]
    days = {service_date(s) for s in sessions}
    if len(days) != 1:
        raise ServiceError("A claim here covers one date of service: make one claim per day.", field="session_ids")
    day = days.pop()
    session = sessions[0]
    lines = [line for proposal in proposals for line in proposal.lines]
    if not lines:
        raise ServiceError(
            "Nothing to bill for these sessions with this payer: " + " ".join(proposals[0].notes), field="session_ids"
        )
    if len(lines) > 50:
        raise ServiceError("An 837P claim holds at most 50 lines.", field="session_ids")
    charges = [line.charge for line in lines]
    total = sum((c for c in charges if c is not None), Decimal("0.00")) if any(c is not None for c in charges) else None
    facts = facts_for_session(session, supply=supply, new_patient=new_patient)
    claim = Claim.objects.create(
        patient=session.patient,
        payer=payer,
        coverage=_coverage_for(session.patient_id, payer, day),
        service_date=day,
        place_of_service=proposals[0].place_of_service,
        drug_supply=supply,
        diagnoses=list(facts.diagnoses),
        practitioner_min=practitioner_min,
        clinical_staff_min=clinical_staff_min,
        separately_identifiable_em=separately_identifiable_em,
        new_patient=facts.new_patient,
        prior_auth_number=prior_auth_number.strip(),
        notes=[note for proposal in proposals for note in proposal.notes],
        total_charge=total,
        created_by=by,
    )
    claim.sessions.set(sessions)
    ClaimLine.objects.bulk_create(
        ClaimLine(
            claim=claim,
            position=position,
            code=line.code,
            modifiers=list(line.modifiers),
            units=line.units,
            unit_charge=line.unit_charge,
            charge=line.charge,
            diagnosis_pointers=list(line.diagnosis_pointers),
            ndc11=line.ndc11 or "",
            ndc_quantity=line.ndc_quantity,
            ndc_unit=line.ndc_unit or "",
            why=line.why,
            source=line.source,
            unconfirmed=line.unconfirmed,
        )
        for position, line in enumerate(lines, start=1)
    )
    ClaimEvent.objects.create(claim=claim, to_status=claim.status, by=by, note="Built from the signed session.")
    audit.record(
        actor=by,
        action="billing.claim.create",
        obj=claim,
        patient_id=claim.patient_id,
        detail={
            "payer": payer.pk,
            "sessions": [s.pk for s in sessions],
            "codes": [[line.code, str(line.units)] for line in lines],
        },
    )
    return claim


@transaction.atomic
def change_status(
    *, by: User, claim: Claim, to: str, note: str = "", denial_codes: str = "", paid_amount: Decimal | None = None
) -> Claim:
    """Move a claim along draft → ready → exported → paid | denied (or void it, with a reason); audited."""
    _require(by)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if to not in MOVES.get(claim.status, ()):
        raise ServiceError(
            f"A claim that is {claim.get_status_display().lower()} cannot become {to.replace('_', ' ')}.",
            field="status",
        )
    note = note.strip()
    if to == Claim.Status.VOID and not note:
        raise ServiceError("Say why the claim is voided.", field="note")
    if to == Claim.Status.DENIED:
        if not denial_codes.strip():
            raise ServiceError("Enter the payer's denial reason codes (e.g. CO-16).", field="denial_codes")
        claim.denial_codes = denial_codes.strip()[:200]
    if to == Claim.Status.PAID:
        if paid_amount is None or paid_amount < 0:
            raise ServiceError("Enter the amount paid (0 or more).", field="paid_amount")
        claim.paid_amount = paid_amount.quantize(Decimal("0.01"))
    if to == Claim.Status.READY:
        _check_ready(claim)
    if to == Claim.Status.VOID:
        claim.void_reason = note
    before = claim.status
    claim.status = to
    claim.updated_at = timezone.now()
    claim.save()
    ClaimEvent.objects.create(claim=claim, from_status=before, to_status=to, note=note, by=by)
    audit.record(
        actor=by,
        action="billing.claim.status",
        obj=claim,
        patient_id=claim.patient_id,
        detail={"from": before, "to": to, "denial_codes": claim.denial_codes if to == "denied" else ""},
    )
    return claim


def _check_ready(claim: Claim) -> None:
    if not claim.diagnoses:
        raise ServiceError("The claim has no diagnosis: add the patient's coded condition first.", field="status")
    missing = [line.code for line in claim.lines.all() if line.charge is None]
    if missing:
        raise ServiceError(
            f"No charge on {', '.join(missing)}: set the fee schedule for these codes, then build the claim again.",
            field="status",
        )
