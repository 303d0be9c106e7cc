"""Demo outcome history: past treatment courses for the demo patients who have no plan yet, so the trajectory pages
and the clinic outcomes dashboard show something on the first visit.

A history cannot be recorded "live" through the chair and questionnaire services (they stamp the present time), so
it is written in bulk by the same code as ``ketaclinic seed`` (``demo.seed_outcomes.fill``: signed plans, sessions,
scores, course summaries computed with the ``domain.outcomes`` rules, a few alerts and side effects), under one audit
event. The scores are synthetic, not clinical figures.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.demo import seed_outcomes
from ketaclinic.patients.models import Condition, Patient

#: How many demo patients get a past course.
PATIENTS_WITH_HISTORY = 36


@transaction.atomic
def load(*, users: dict[str, User], indications: list[tuple[str, str, str]], seed: int = 8) -> int:
    """Called once from ``demo.clinic.load`` after the plans demo, with its indication list (the order
    ``seed_outcomes.COURSES`` is keyed by); returns the number of patients given a history."""
    descriptions = [description for description, _, _ in indications]
    batch = []
    # Patients with no plan and no score yet (the intake demo gives some a baseline; their story stays as it is).
    untouched = Patient.objects.filter(treatment_plans__isnull=True, outcome_measurements__isnull=True).distinct()
    for patient in untouched.order_by("pk"):
        condition = (
            Condition.objects.filter(patient=patient, description__in=descriptions, entered_in_error=False)
            .order_by("pk")
            .first()
        )
        if condition is not None:
            batch.append(seed_outcomes.SeedPatient(patient, descriptions.index(condition.description)))
        if len(batch) == PATIENTS_WITH_HISTORY:
            break
    if not batch:
        return 0
    counts = seed_outcomes.fill(batch=batch, clinician=users["prescriber"], rng=random.Random(seed), now=timezone.now())
    audit.record(actor=None, action="demo.outcome_history", detail={"patients": len(batch), **counts})
    return len(batch)
