"""Access matrix rows for the home programme's staff pages (read by tests/test_access_matrix.py).

The world's Hana Home (Main) is enrolled (sublingual troche), with a pharmacy fill and a count that opened a
discrepancy task, so the prescription and review pages have something to show."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

ANON, FD, NURSE, PRESC, ADMIN = "anonymous", "front_desk", "nurse", "prescriber", "clinic_admin"
LOGIN = 302
POST_ONLY = dict.fromkeys((ANON, FD, NURSE, PRESC, ADMIN), 405)


def _row(*allowed: str) -> dict[str, int]:
    return {ANON: LOGIN, **{role: 200 if role in allowed else 403 for role in (FD, NURSE, PRESC, ADMIN)}}


EXPECTED: dict[str, dict[str, int]] = {
    "homecare:settings": _row(PRESC, ADMIN),
    "homecare:programme": _row(NURSE, PRESC),
    "homecare:prescribe": _row(NURSE, PRESC),
    "homecare:record": POST_ONLY,
    "homecare:dispense": _row(NURSE, PRESC),
    "homecare:waste": _row(NURSE, PRESC),
    "homecare:review": POST_ONLY,
    "homecare:entered_in_error": POST_ONLY,
    # Reports: clinicians of the patient's location only (the location scoping is tested in test_reports.py).
    "homecare:patient_report": _row(NURSE, PRESC),
    "homecare:patient_report_csv": _row(NURSE, PRESC),
    "homecare:clinic_report": _row(NURSE, PRESC),
    "homecare:clinic_report_csv": _row(NURSE, PRESC),
    "homecare:stop": _row(PRESC),  # prescribers only (the service also needs a current prescribing licence)
}


def make_world(world: dict[str, Any]) -> dict[str, Any]:
    from django.utils import timezone

    from ketaclinic.homecare import services
    from ketaclinic.intake.models import EligibilityDecision
    from ketaclinic.patients.models import Consent, clinic_date
    from tests.conftest import make_patient

    # A patient of her own (Main), so the other apps' Pat keeps his eligibility and consents as they built them.
    pat = make_patient(world["pat"].location, given_name="Hana", family_name="Home", email="hana@example.org")
    prescriber, nurse = world["cast"][PRESC], world["cast"][NURSE]
    EligibilityDecision.objects.create(
        patient=pat, version=1, indication="depression", routes=["sublingual"], outcome="eligible", signed_by=prescriber
    )
    Consent.objects.create(
        patient=pat, kind="home_programme", version="2026-01", signed_at=timezone.now(), signed_by_name="Hana Home"
    )
    services.save_settings(by=prescriber, clinic=pat.location.clinic, discrepancy_tolerance_doses=Decimal(1))
    programme = services.enrol(
        by=prescriber,
        patient=pat,
        route="sublingual_troche",
        monitor_name="Sam Rivera",
        monitor_date_of_birth=dt.date(1978, 1, 1),
        monitor_phone="(217) 555-0199",
    )
    today = clinic_date(pat)
    rx = services.prescribe(
        by=prescriber, programme=programme, route="sublingual_troche", strength_mg=Decimal(100),
        dose_mg=Decimal(100), sessions=6, refills_authorised=0, issued_on=today, pdmp_checked_on=today,
        pdmp_note="clear",
    )  # fmt: skip
    services.dispense(
        by=nurse, prescription=rx, source="pharmacy", dispenser="P", dispensed_on=today, doses=6, rx_number="R1"
    )
    services.record_stock(by=nurse, prescription=rx, kind="count", doses="3")
    return {**world, "homecare": {"patient": pat, "rx": rx, "review": rx.reviews.get()}}


def url_kwargs(name: str, world: dict[str, Any]) -> dict[str, Any] | None:
    objects = world["homecare"]
    pat = objects["patient"]
    if name in ("homecare:dispense", "homecare:waste"):
        return {"patient_id": pat.pk, "rx_id": objects["rx"].pk}
    if name == "homecare:review":
        return {"patient_id": pat.pk, "review_id": objects["review"].pk}
    if name == "homecare:entered_in_error":
        return {"patient_id": pat.pk, "kind": "dose", "row_id": 1}
    if name in ("homecare:programme", "homecare:patient_report", "homecare:patient_report_csv"):
        return {"patient_id": pat.pk}
    return None
