"""The demo clinic's billing: the Main Street billing identity, clinicians' NPIs, two payers (Medicare Part B and a
commercial plan), coverage for two demo patients, and two signed Spravato sessions billed as claims — a Medicare
84 mg session (G2083 and nothing else, billing.md §4 row 1) and a commercial buy-and-bill 56 mg session (E/M +
J0013 × 56 with the NDC, §4 row 4) — plus a superbill for a self-pay IV session.

All identifiers are fake test values: NPI 1234567893 is the standard check-digit-valid test NPI; the payer ids and
member ids are made up.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.billing.models import Payer
from ketaclinic.billing.services import claims, payers, profile, superbills
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients.models import Patient
from ketaclinic.plans.models import PlanVersion, SessionOrder, TreatmentPlan

__all__ = ["DEMO_FEES", "load", "signed_session"]

#: Demo unit charges (the clinic's own prices; no published fee is implied).
DEMO_FEES = {
    "G2082": Decimal("900.00"),
    "G2083": Decimal("1280.00"),
    "J0013": Decimal("10.00"),
    "S0013": Decimal("10.00"),
    "99212": Decimal("90.00"),
    "99213": Decimal("140.00"),
    "99214": Decimal("200.00"),
    "99215": Decimal("280.00"),
    "99202": Decimal("120.00"),
    "99203": Decimal("180.00"),
    "99204": Decimal("270.00"),
    "99205": Decimal("350.00"),
    "99417": Decimal("70.00"),
    "G2212": Decimal("70.00"),
    "99415": Decimal("120.00"),
    "99416": Decimal("60.00"),
    "96365": Decimal("450.00"),
    "96366": Decimal("150.00"),
    "96374": Decimal("200.00"),
    "96372": Decimal("150.00"),
    "J3490": Decimal("25.00"),
}


def signed_session(
    *,
    patient: Patient,
    clinician: User,
    route: str,
    dose_mg: Decimal,
    at: dt.datetime,
    infusion_min: int | None = None,
) -> TreatmentSession:
    """A signed session written directly (as the outcome seeder does): plan, version, order and the signed session."""
    plan = TreatmentPlan.objects.create(patient=patient, created_by=clinician, created_at=at - dt.timedelta(days=3))
    esketamine = route == "intranasal_esketamine"
    version = PlanVersion.objects.create(
        plan=plan,
        version=1,
        status=PlanVersion.Status.SIGNED,
        indication="treatment_resistant_depression",
        protocol_id="esketamine" if esketamine else "iv_depression",
        route=route,
        dose_mode=PlanVersion.DoseMode.FIXED,
        fixed_dose_mg=dose_mg,
        dose_mg=dose_mg,
        age_years=max(18, at.year - patient.date_of_birth.year),
        sex=patient.sex,
        sessions_planned=1,
        start_date=at.date(),
        created_by=clinician,
        created_at=at - dt.timedelta(days=2),
        signed_by=clinician,
        signed_at=at - dt.timedelta(days=1),
    )
    order = SessionOrder.objects.create(
        plan_version=version,
        session_number=1,
        target_date=at.date(),
        route=route,
        dose_mg=dose_mg,
        duration_min=infusion_min,
        devices=int(dose_mg) // 28 if esketamine else None,
        status=SessionOrder.Status.GIVEN,
    )
    return TreatmentSession.objects.create(
        patient=patient,
        location=patient.location,
        order=order,
        protocol_id=version.protocol_id,
        route=route,
        chair="Chair 1",
        status=TreatmentSession.Status.SIGNED,
        checked_in_at=at - dt.timedelta(minutes=20),
        checked_in_by=clinician,
        ride_home_confirmed=True,
        started_at=at,
        started_by=clinician,
        infusion_ended_at=at + dt.timedelta(minutes=infusion_min) if infusion_min else None,
        dose_delivered_mg=dose_mg,
        discharged_at=at + dt.timedelta(minutes=125),
        discharged_by=clinician,
        note_text="Demo session for billing.",
        note_signed_by=clinician,
        note_signed_at=at + dt.timedelta(minutes=150),
        created_at=at - dt.timedelta(minutes=20),
        updated_at=at + dt.timedelta(minutes=150),
    )


def load(*, locations: list[Location], users: dict[str, User]) -> None:
    admin, desk, prescriber = users["admin"], users["frontdesk"], users["prescriber"]
    main = locations[0]
    profile.save_profile(
        by=admin,
        location=main,
        legal_name="Springfield Ketamine Clinic LLC",
        npi="1234567893",
        tax_id="123456789",
        tax_id_kind="ein",
        taxonomy_code="2084P0800X",
        street="120 Main St",
        city="Springfield",
        state="IL",
        postal_code="627010000",
        phone="2175550100",
    )
    profile.save_provider_npi(by=admin, user=prescriber, npi="1234567893", taxonomy_code="2084P0800X")
    medicare = payers.save_payer(
        by=admin, name="Medicare Part B (Illinois)", payer_id="00952", kind="medicare", filing_indicator="MB"
    )
    commercial = payers.save_payer(
        by=admin, name="Acme Health", payer_id="ACME1", kind="commercial", filing_indicator="CI"
    )
    patients = list(Patient.objects.filter(location=main, entered_in_error=False).exclude(address_line1="")[:3])
    if len(patients) < 3:
        return
    on_medicare, on_acme, self_pay = patients
    start = timezone.localdate() - dt.timedelta(days=365)
    payers.add_coverage(by=desk, patient=on_medicare, payer=medicare, member_id="1EG4TE5MK72", effective_from=start)
    payers.add_coverage(
        by=desk, patient=on_acme, payer=commercial, member_id="W123456789", group_number="GRP123", effective_from=start
    )
    day = timezone.now() - dt.timedelta(days=2)
    for patient in (on_medicare, on_acme):  # an earlier session: established patients
        signed_session(
            patient=patient,
            clinician=prescriber,
            route="intranasal_esketamine",
            dose_mg=Decimal("56"),
            at=day - dt.timedelta(days=4),
        )
    medicare_session = signed_session(
        patient=on_medicare, clinician=prescriber, route="intranasal_esketamine", dose_mg=Decimal("84"), at=day
    )
    acme_session = signed_session(
        patient=on_acme, clinician=prescriber, route="intranasal_esketamine", dose_mg=Decimal("56"), at=day
    )
    claims.create_claim(by=desk, sessions=[medicare_session], payer=medicare, fees=DEMO_FEES)
    claims.create_claim(by=desk, sessions=[acme_session], payer=commercial, practitioner_min=25, fees=DEMO_FEES)
    iv = signed_session(
        patient=self_pay, clinician=prescriber, route="iv", dose_mg=Decimal("40"), at=day, infusion_min=40
    )
    superbills.generate_superbill(by=desk, sessions=[iv], fees=DEMO_FEES)


def payers_for(location: Location) -> list[Payer]:
    return list(Payer.objects.filter(clinic=location.clinic))
