"""Reads for the monitoring of a home programme: the bladder and alcohol screens since enrolment and the facts the
stop triggers read (rules and sources: ``ketaclinic.domain.home_monitoring``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ketaclinic.domain import home_monitoring as rules
from ketaclinic.domain.instruments import audit_c, bladder_symptoms
from ketaclinic.homecare import queries
from ketaclinic.homecare.models import HomeCheckIn, HomeDose, HomeProgramme
from ketaclinic.outcomes.models import Measurement, OutcomeCourse
from ketaclinic.patients.models import clinic_date

#: Check-in answers that break the programme's rules (no sober monitor, alcohol or sedatives today).
RULE_BREAKING_ANSWERS = ("monitor_not_sober", "alcohol_today", "sedatives_today")


@dataclass(frozen=True)
class Screens:
    bladder_baseline: Measurement | None
    bladder_latest: Measurement | None
    new_bladder_symptoms: tuple[str, ...]
    audit_c_latest: Measurement | None
    audit_c_positive: bool | None
    audit_c_cutoff: int
    interval_days: int | None

    @property
    def bladder_now(self) -> list[str]:
        """The symptoms answered "yes" in the latest check."""
        if self.bladder_latest is None:
            return []
        items = bladder_symptoms.DEFINITION.items
        return [item.label for item, value in zip(items, self.bladder_latest.answers, strict=False) if value]


def _since_enrolment(programme: HomeProgramme, instrument: str) -> list[Measurement]:
    return list(
        Measurement.objects.filter(
            patient_id=programme.patient_id,
            instrument=instrument,
            entered_in_error=False,
            taken_at__gte=programme.recorded_at,
        ).order_by("taken_at", "pk")
    )


def screens(programme: HomeProgramme) -> Screens:
    """The first bladder check since enrolment (the baseline), the latest, what is new since the baseline, and the
    latest AUDIT-C with its sex-specific reading."""
    bladder = _since_enrolment(programme, "bladder_symptoms")
    baseline = bladder[0] if bladder else None
    latest = bladder[-1] if len(bladder) > 1 else None
    new = rules.new_bladder_symptoms(baseline.answers, latest.answers) if baseline and latest else ()
    alcohol = _since_enrolment(programme, "audit_c")
    last_audit = alcohol[-1] if alcohol else None
    sex = programme.patient.sex
    return Screens(
        bladder_baseline=baseline,
        bladder_latest=latest,
        new_bladder_symptoms=new,
        audit_c_latest=last_audit,
        audit_c_positive=audit_c.positive(int(last_audit.total), sex) if last_audit else None,
        audit_c_cutoff=audit_c.cutoff_for(sex),
        interval_days=queries.settings_for(programme.patient.location.clinic_id).screen_interval_days,
    )


def rule_breaches(programme: HomeProgramme) -> int:
    """Check-ins without a monitor present, or answered with a sober-monitor, alcohol or sedative breach. Counted in
    Python: JSON containment differs between SQLite and PostgreSQL, and a programme has few check-ins."""
    rows = HomeCheckIn.objects.filter(prescription__programme=programme, entered_in_error=False)
    return sum(
        1
        for present, answers in rows.values_list("monitor_present", "symptoms")
        if not present or any(answer in answers for answer in RULE_BREAKING_ANSWERS)
    )


def stop_facts(
    programme: HomeProgramme, *, today: dt.date | None = None, found: Screens | None = None
) -> rules.StopFacts:
    patient = programme.patient
    current = queries.current_prescription(programme)
    balance = queries.balance(current) if current is not None else None
    seen = found or screens(programme)
    course = OutcomeCourse.objects.filter(patient=patient, instrument="phq9").first()
    return rules.StopFacts(
        today=today or clinic_date(patient),
        course_complete=balance is not None and balance.sessions_remaining <= 0,
        unresolved_sedation=HomeDose.objects.filter(
            prescription__programme=programme, entered_in_error=False, sedation_resolved=False
        ).count(),
        new_bladder_symptoms=seen.new_bladder_symptoms,
        discrepancy=bool(balance is not None and balance.discrepancy),
        rule_breaches=rule_breaches(programme),
        audit_c_total=int(seen.audit_c_latest.total) if seen.audit_c_latest else None,
        sex=patient.sex,
        phq9_response=course.response if course is not None and course.follow_ups else None,
        in_person_evaluation_on=programme.in_person_evaluation_on,
    )


def suggestions(programme: HomeProgramme, *, found: Screens | None = None) -> tuple[rules.Suggestion, ...]:
    return rules.stop_suggestions(stop_facts(programme, found=found))
