"""Demo prior authorisation and a planted reconciliation mismatch (issue 19).

* The demo's esketamine patient with commercial coverage (the claims demo's Acme Health patient, else the first Main
  Street patient, covered here) gets a Spravato prior authorisation: 8 sessions and 23 devices, ending in three weeks,
  so it is on the "running out" list of a 30-day window.
* The Medicare esketamine patient gets a session whose record says 84 mg (three devices) while the claim was built
  from the 56 mg order: G2082 billed. The reconciliation report shows it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from ketaclinic.accounts.models import Location, User
from ketaclinic.billing.models import Coverage, Payer
from ketaclinic.billing.services import authorisations, claims, payers
from ketaclinic.demo.billing_claims import signed_session
from ketaclinic.infusions.models import TreatmentSession
from ketaclinic.patients.models import Patient


def _payer(admin: User, location: Location, kind: str, name: str, payer_id: str, indicator: str) -> Payer:
    found = Payer.objects.filter(clinic=location.clinic, kind=kind, is_active=True).first()
    return found or payers.save_payer(by=admin, name=name, payer_id=payer_id, kind=kind, filing_indicator=indicator)


def _covered(desk: User, location: Location, payer: Payer, *, skip: set[int]) -> Patient | None:
    coverage = Coverage.objects.filter(patient__location=location, payer=payer).select_related("patient").first()
    if coverage is not None:
        return coverage.patient
    patient = (
        Patient.objects.filter(location=location, entered_in_error=False).exclude(pk__in=skip).order_by("pk").first()
    )
    if patient is None:
        return None
    start = timezone.localdate() - dt.timedelta(days=365)
    payers.add_coverage(by=desk, patient=patient, payer=payer, member_id=f"DEMO{patient.pk:06d}", effective_from=start)
    return patient


def load(*, locations: list[Location], users: dict[str, User]) -> None:
    admin, desk, prescriber = users["admin"], users["frontdesk"], users["prescriber"]
    main = locations[0]
    commercial = _payer(admin, main, "commercial", "Acme Health", "ACME1", "CI")
    medicare = _payer(admin, main, "medicare", "Medicare Part B (Illinois)", "00952", "MB")
    on_acme = _covered(desk, main, commercial, skip=set())
    on_medicare = _covered(desk, main, medicare, skip={on_acme.pk} if on_acme else set())
    if on_acme is None or on_medicare is None:
        return
    today = timezone.localdate()
    authorisations.record(
        by=desk,
        patient=on_acme,
        payer=commercial,
        reference="ACME-PA-2026-0417",
        service="esketamine",
        approved_sessions=8,
        approved_devices=23,
        valid_from=today - dt.timedelta(days=69),
        valid_to=today + dt.timedelta(days=21),
        note="Approval letter of the payer (demo): TRD, 3 months.",
    )
    at = timezone.now() - dt.timedelta(days=1)
    earlier = not TreatmentSession.objects.filter(patient=on_medicare, route="intranasal_esketamine").exists()
    if earlier:  # the G-codes are for established patients
        signed_session(
            patient=on_medicare,
            clinician=prescriber,
            route="intranasal_esketamine",
            dose_mg=Decimal("56"),
            at=at - dt.timedelta(days=5),
        )
    planted = signed_session(
        patient=on_medicare, clinician=prescriber, route="intranasal_esketamine", dose_mg=Decimal("56"), at=at
    )
    # The record says three devices, 84 mg, were given (written directly, as the demo's sessions are).
    TreatmentSession.objects.filter(pk=planted.pk).update(dose_delivered_mg=Decimal("84"))
    claims.create_claim(by=desk, sessions=[TreatmentSession.objects.get(pk=planted.pk)], payer=medicare)
