"""Which home-programme screens (bladder symptom check and AUDIT-C) the scheduler issues now.

The rule is ``ketaclinic.domain.home_monitoring.due_screen``: a baseline at enrolment, then every
``HomeSettings.screen_interval_days`` (CLINIC POLICY, no default: unset = baseline only). Each screen is a questionnaire
link (purpose follow-up) keyed ``home:<programme>:baseline`` or ``home:<programme>:<due date>``, so a rerun issues
nothing twice; the patient answers it from the e-mailed link or the portal like any other questionnaire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from ketaclinic.domain import home_monitoring as rules
from ketaclinic.followup.models import QuestionnaireLink
from ketaclinic.followup.services import questionnaires as links
from ketaclinic.homecare.models import HomeProgramme
from ketaclinic.homecare.queries import settings_for
from ketaclinic.outcomes.models import Measurement
from ketaclinic.patients.models import Patient


@dataclass(frozen=True)
class DueHomeScreen:
    patient: Patient
    due: rules.DueScreen


def due_home_screens(now: dt.datetime) -> list[DueHomeScreen]:
    """The screen due now for each active home programme (at most one each)."""
    found = []
    programmes = HomeProgramme.objects.filter(
        status=HomeProgramme.Status.ACTIVE, entered_in_error=False, patient__entered_in_error=False
    ).select_related("patient__location__clinic")
    for programme in programmes.order_by("pk"):
        patient = programme.patient
        zone = links.clinic_zone(patient)
        prefix = f"home:{programme.pk}:"
        keys = QuestionnaireLink.objects.filter(schedule_key__startswith=prefix)
        last_link = keys.exclude(schedule_key=rules.baseline_key(programme.pk)).aggregate(last=Max("due_on"))["last"]
        baseline = keys.filter(schedule_key=rules.baseline_key(programme.pk)).first()
        answered = Measurement.objects.filter(
            patient=patient,
            instrument="bladder_symptoms",
            entered_in_error=False,
            taken_at__gte=programme.recorded_at,
        ).aggregate(last=Max("taken_at"))["last"]
        candidates = [
            day
            for day in (
                last_link,
                baseline.due_on if baseline else None,
                timezone.localtime(answered, zone).date() if answered else None,
            )
            if day is not None
        ]
        state = rules.ScreenState(
            programme_id=programme.pk,
            enrolled_on=timezone.localtime(programme.recorded_at, zone).date(),
            baseline_issued=baseline is not None,
            last_screen_on=max(candidates) if candidates else None,
            interval_days=settings_for(patient.location.clinic_id).screen_interval_days,
        )
        due = rules.due_screen(state, today=timezone.localtime(now, zone).date())
        if due is not None:
            found.append(DueHomeScreen(patient, due))
    return found
