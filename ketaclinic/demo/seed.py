"""Synthetic data at scale for benchmarks (``ketaclinic seed --patients N``), with a progress bar.

Unlike the demo clinic this writes in bulk (one audit event for the whole load, not one per row): it exists to
measure pages against a large database, not to model a clinic's history. Each patient gets a condition and a body
measurement and, unless ``outcomes=False``, a signed plan with ~10 signed sessions, ~100 outcome scores and their
course summaries (``demo.seed_outcomes``): 10,000 patients give 100,000 sessions and 1,000,000 scores.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from rich.progress import Progress

from ketaclinic.accounts import services as accounts
from ketaclinic.accounts.models import Clinic, User
from ketaclinic.accounts.roles import Role
from ketaclinic.audit import services as audit
from ketaclinic.demo import seed_outcomes
from ketaclinic.demo.clinic import FAMILY, GIVEN_FEMALE, GIVEN_MALE, INDICATIONS
from ketaclinic.patients.models import BodyMeasurement, Condition, Patient

BATCH = 500


def _clinic(seed: int) -> tuple[Clinic, list, User]:  # type: ignore[type-arg]
    name = f"Seed clinic {seed}"
    clinic = Clinic.objects.filter(name=name).first()
    if clinic is None:
        clinic = accounts.create_clinic(by=None, name=name)
        for location_name in ("North", "South", "East", "West"):
            accounts.create_location(by=None, clinic=clinic, name=location_name)
    locations = list(clinic.locations.all())
    clinician = User.objects.filter(username=f"seed{seed}.prescriber").first()
    if clinician is None:
        clinician = accounts.create_user(
            by=None,
            username=f"seed{seed}.prescriber",
            password=f"seed-{seed}-not-for-real-use",
            role=Role.PRESCRIBER,
            clinic=clinic,
            locations=locations,
        )
    return clinic, locations, clinician


def run(*, patients: int, seed: int = 0, outcomes: bool = True) -> str:
    rng = random.Random(seed)
    outcome_rng = random.Random(f"{seed}-outcomes")  # separate stream: the patients are the same as without outcomes
    _, locations, clinician = _clinic(seed)
    start = Patient.objects.count()
    now = timezone.now()
    totals: dict[str, int] = {}
    with Progress() as progress:
        task = progress.add_task("patients", total=patients)
        for offset in range(0, patients, BATCH):
            size = min(BATCH, patients - offset)
            with transaction.atomic():
                rows = []
                for number in range(start + offset, start + offset + size):
                    female = rng.random() < 0.6
                    rows.append(
                        Patient(
                            mrn=f"S{seed:02d}{number:08d}",
                            given_name=rng.choice(GIVEN_FEMALE if female else GIVEN_MALE),
                            family_name=rng.choice(FAMILY),
                            sex="female" if female else "male",
                            date_of_birth=dt.date(rng.randint(1945, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                            location=locations[number % len(locations)],
                            primary_clinician=clinician,
                        )
                    )
                created = Patient.objects.bulk_create(rows)
                conditions, measurements, batch = [], [], []
                for patient in created:
                    description, icd10, snomed = rng.choice(INDICATIONS)
                    batch.append(seed_outcomes.SeedPatient(patient, INDICATIONS.index((description, icd10, snomed))))
                    conditions.append(
                        Condition(
                            patient=patient,
                            description=description,
                            icd10_code=icd10,
                            snomed_code=snomed,
                            recorded_by=clinician,
                        )
                    )
                    height = Decimal(rng.randint(150, 195))
                    measurements.append(
                        BodyMeasurement(
                            patient=patient,
                            recorded_by=clinician,
                            height_cm=height,
                            measured_at=now,
                            weight_kg=(height - 100 + Decimal(rng.randint(-15, 35))).quantize(Decimal("0.1")),
                        )
                    )
                Condition.objects.bulk_create(conditions)
                BodyMeasurement.objects.bulk_create(measurements)
                if outcomes:
                    counts = seed_outcomes.fill(batch=batch, clinician=clinician, rng=outcome_rng, now=now)
                    for key, value in counts.items():
                        totals[key] = totals.get(key, 0) + value
            progress.advance(task, size)
    audit.record(actor=None, action="seed.bulk_load", detail={"patients": patients, "seed": seed, **totals})
    extra = "".join(f", {value} {key.replace('_', ' ')}" for key, value in totals.items())
    return f"seeded {patients} patients{extra} (seed {seed}); {Patient.objects.count()} patients in the database"
