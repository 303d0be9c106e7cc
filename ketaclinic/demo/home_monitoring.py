"""The demo home-programme patient's bladder and alcohol screens: a baseline with no bladder symptom and a later
check with a new urgency, so the programme page shows the "consider stopping" suggestion beside the planted count
discrepancy. Both are answered as the patient would, through a questionnaire link (scored, stored, audited)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from ketaclinic.domain import home_monitoring
from ketaclinic.followup.services import questionnaires as links
from ketaclinic.homecare.models import HomeProgramme

#: (schedule-key suffix, bladder answers, AUDIT-C answers): baseline all "no"; later urgency "yes". AUDIT-C 2 then 2
#: (negative for a woman: cut-off 3, Bradley et al. 2007).
SCREENS = (("baseline", [0, 0, 0, 0, 0], [1, 1, 0]), ("demo-follow-up", [0, 1, 0, 0, 0], [1, 1, 0]))


def load() -> None:
    programme = HomeProgramme.objects.filter(status="active", entered_in_error=False).select_related("patient").first()
    if programme is None:
        return
    patient = programme.patient
    for suffix, bladder, audit_c in SCREENS:
        link = links.issue_link(
            by=None,
            patient=patient,
            purpose="follow_up",
            scales=home_monitoring.SCREEN_INSTRUMENTS,
            schedule_key=f"home:{programme.pk}:{suffix}",
            due_on=timezone.localdate(),
            expires_at=timezone.now() + dt.timedelta(hours=24),
        ).link
        links.submit_for_patient(
            link_id=link.pk, patient_id=patient.pk, answers={"bladder_symptoms": bladder, "audit_c": audit_c}
        )
