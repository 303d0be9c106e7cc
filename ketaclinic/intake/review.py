"""The eligibility review of a submitted intake: ``eligibility.assess`` for each intended route, every finding kept.

Reads only. The candidate is built from the intake (indication, blood pressure, condition codes, the reconciled
medications still taken, pregnancy, breastfeeding), the chart (age, sex assigned at birth, active conditions mapped
to the vocabulary) and the trial history (failed adequate trials counted by ``domain.treatment_resistance``), plus the
safety screen (AUDIT-C, planned programme, last liver tests). Each finding cites the document of the clinic's label
jurisdiction (a clinical setting, default ``us``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ketaclinic.accounts.models import clinical_settings_for
from ketaclinic.domain import eligibility, treatment_resistance
from ketaclinic.intake.models import IntakeAssessment

_RULE_ORDER = {rule.code: index for index, rule in enumerate(eligibility.RULES)}
_STATUS_ORDER = {status: index for index, status in enumerate(eligibility.STATUSES)}


@dataclass(frozen=True)
class RouteReview:
    route: str
    assessment: eligibility.Assessment


@dataclass(frozen=True)
class Review:
    """Every route's assessment, and the union of their findings in rule-table order (one per code)."""

    intake: IntakeAssessment
    per_route: tuple[RouteReview, ...]
    findings: tuple[eligibility.Finding, ...]
    resistance: treatment_resistance.TreatmentResistance
    candidate_conditions: frozenset[str]
    candidate_medications: frozenset[str]

    @property
    def routes(self) -> tuple[str, ...]:
        return tuple(item.route for item in self.per_route)

    @property
    def status(self) -> eligibility.Status:
        statuses = [item.assessment.status for item in self.per_route]
        return max(statuses, key=_STATUS_ORDER.__getitem__) if statuses else "eligible"

    def codes(self, level: str) -> list[str]:
        return [finding.code for finding in self.findings if finding.level == level]

    def finding_dicts(self) -> list[dict[str, Any]]:
        return [{"code": f.code, "level": f.level, "message": f.message, "source": f.source} for f in self.findings]


def chart_condition_codes(intake: IntakeAssessment) -> frozenset[str]:
    conditions = intake.patient.conditions.filter(entered_in_error=False).exclude(status="resolved")
    return frozenset(code for code in conditions.values_list("rule_code", flat=True) if code)


def resistance_of(intake: IntakeAssessment) -> treatment_resistance.TreatmentResistance:
    trials = intake.trials.filter(entered_in_error=False).order_by("recorded_at", "pk")
    return treatment_resistance.summarise(trial.as_domain() for trial in trials)


def missing_for_review(intake: IntakeAssessment) -> list[str]:
    """What the candidate needs and the intake or chart lacks (each as a sentence)."""
    missing = []
    if intake.patient.sex not in eligibility.SEXES:
        missing.append("The chart has no sex assigned at birth (female or male): edit the patient's details.")
    if not intake.indication:
        missing.append("The intake has no intended indication.")
    if intake.systolic_mmhg is None or intake.diastolic_mmhg is None:
        missing.append("The intake has no blood pressure.")
    return missing


def review(intake: IntakeAssessment, routes: Sequence[str] | None = None, on: dt.date | None = None) -> Review:
    """Assess ``routes`` (default: the intake's intended routes).

    Raises ``ValueError`` (``eligibility.InvalidCandidate``) when the candidate cannot be built; call
    ``missing_for_review`` first to show the reason instead.
    """
    day = on or timezone.localdate()
    resistance = resistance_of(intake)
    conditions = frozenset(intake.condition_codes) | chart_condition_codes(intake)
    medications = frozenset(
        line.generic_name for line in intake.medications.filter(entered_in_error=False, taking=True)
    )
    chosen = tuple(routes if routes is not None else intake.routes)
    jurisdiction = clinical_settings_for(intake.patient.location.clinic_id).label_jurisdiction
    liver_days = (day - intake.liver_tests_on).days if intake.liver_tests_on else None
    per_route = []
    for route in chosen:
        candidate = eligibility.Candidate(
            age_years=intake.patient.age_years(day),
            sex=intake.patient.sex,
            indication=intake.indication,
            route=route,
            failed_antidepressant_trials=resistance.failed_adequate_trials,
            systolic_mmhg=intake.systolic_mmhg,  # type: ignore[arg-type]  # None is refused by Candidate
            diastolic_mmhg=intake.diastolic_mmhg,  # type: ignore[arg-type]
            conditions=conditions,
            medications=medications,
            pregnant=intake.pregnancy == IntakeAssessment.Pregnancy.YES,
            breastfeeding=intake.breastfeeding,
            audit_c_score=intake.audit_c_score,
            serial_programme=intake.serial_programme,
            liver_tests_days_ago=max(liver_days, 0) if liver_days is not None else None,
        )
        per_route.append(RouteReview(route, eligibility.assess(candidate, jurisdiction=jurisdiction)))
    by_code: dict[str, eligibility.Finding] = {}
    for item in per_route:
        for finding in item.assessment.findings:
            by_code.setdefault(finding.code, finding)
    findings = tuple(sorted(by_code.values(), key=lambda finding: _RULE_ORDER[finding.code]))
    return Review(intake, tuple(per_route), findings, resistance, conditions, medications)
