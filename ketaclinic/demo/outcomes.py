"""Demo outcome history: past treatment courses for the demo patients who have no plan yet, so the trajectory pages
and the clinic outcomes dashboard show something on the first visit.

A history cannot be recorded "live" through the chair and questionnaire services (they stamp the present time), so
it is written in bulk by the same code as ``ketaclinic seed`` (``demo.seed_outcomes.fill``: signed plans, sessions,
scores, course summaries computed with the ``domain.outcomes`` rules, a few alerts and side effects), under one audit
event. The scores are synthetic, not clinical figures. A few of the seeded nausea and vomiting side effects get the
rescue antiemetic given for them (``_rescue_doses``), so the session page and FHIR MedicationAdministration show one.
"""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from ketaclinic.accounts.models import User
from ketaclinic.audit import services as audit
from ketaclinic.demo import seed_outcomes
from ketaclinic.domain import allergies
from ketaclinic.infusions.models import RescueMedication, SideEffect
from ketaclinic.patients.models import Condition, Patient
from ketaclinic.patients.queries import allergy_status

#: How many demo patients get a past course.
PATIENTS_WITH_HISTORY = 36
#: How many seeded nausea/vomiting side effects get a rescue antiemetic.
RESCUE_DOSES = 3
#: Demo data, not a suggested dose: the knowledge file marks rescue doses VERIFY (clinical-rules.md §4, the clinic's
#: medical director sets them). Ondansetron is the formulary's antiemetic there; the dose is typed as a nurse would.
DEMO_RESCUE = {"drug": RescueMedication.Drug.ONDANSETRON, "dose": "4 mg", "route": RescueMedication.Route.IV}


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
    counts["rescue_medications"] = _rescue_doses([item.patient for item in batch], users["prescriber"])
    audit.record(actor=None, action="demo.outcome_history", detail={"patients": len(batch), **counts})
    return len(batch)


def _rescue_doses(patients: list[Patient], clinician: User) -> int:
    """The antiemetic given for the first seeded nausea or vomiting side effects (never to a patient whose recorded
    allergies it matches: the chair would have stopped it)."""
    effects = (
        SideEffect.objects.filter(
            session__patient__in=patients,
            effect__in=[SideEffect.Effect.NAUSEA, SideEffect.Effect.VOMITING],
            entered_in_error=False,
        )
        .select_related("session__patient")
        .order_by("started_at", "pk")
    )
    rows = []
    for effect in effects:
        if allergies.check(DEMO_RESCUE["drug"], allergy_status(effect.session.patient).recorded):
            continue
        given_at = effect.started_at + dt.timedelta(minutes=5)
        rows.append(
            RescueMedication(
                session=effect.session,
                side_effect=effect,
                reason=f"{effect.get_effect_display()} during the infusion",
                given_at=given_at,
                recorded_by=clinician,
                recorded_at=given_at,
                **DEMO_RESCUE,
            )
        )
        if len(rows) == RESCUE_DOSES:
            break
    RescueMedication.objects.bulk_create(rows)
    return len(rows)
