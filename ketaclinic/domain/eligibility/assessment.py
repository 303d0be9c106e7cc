"""Assessment: apply the §2 rule table to a candidate and report every finding, with its status.

``assess(candidate)`` walks :data:`~ketaclinic.domain.eligibility.rules.RULES` in order; each row is decided by a check
on the candidate's numbers and codes, by a recorded condition, or by the medication findings. Status: ``ineligible``
if any ``absolute`` finding, else ``needs_review`` if any ``relative`` finding, else ``eligible`` (``caution``
findings are still listed). Source: ``shared/knowledge/clinical-rules.md`` §2; contract ``design/CONTRACTS.md`` §4.4.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from ketaclinic.domain.eligibility.candidate import Candidate
from ketaclinic.domain.eligibility.medications import _medication_messages
from ketaclinic.domain.eligibility.rules import DEFAULT_THRESHOLDS, RULES, EligibilityThresholds, Level, Status
from ketaclinic.domain.vocabulary import DEPRESSION_WITH_SUICIDAL_IDEATION as _SI
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE as _ESKETAMINE
from ketaclinic.domain.vocabulary import INDICATION_CHOICES
from ketaclinic.domain.vocabulary import TREATMENT_RESISTANT_DEPRESSION as _TRD

__all__ = ["Assessment", "Finding", "assess"]

_WEAK_EVIDENCE_INDICATIONS: Final = frozenset(
    {
        "fibromyalgia",
        "neuropathic_pain",
        "cancer_pain",
        "postsurgical_pain",
        "other_chronic_pain",
        "spinal_cord_injury_pain",
    }
)
"""Cohen 2018: evidence weak or none beyond the immediate term; moderate only for CRPS (clinical-rules.md §2)."""


_CONDITION_MESSAGES: Final = {
    "aneurysmal_vascular_disease": "Aneurysmal vascular disease: the blood-pressure rise with ketamine could be "
    "dangerous. Do not treat.",
    "arteriovenous_malformation": "Arteriovenous malformation: contraindicated (blood-pressure rise). Do not treat.",
    "intracerebral_hemorrhage_history": "History of intracerebral haemorrhage: contraindicated. Do not treat.",
    "ketamine_hypersensitivity": "Known hypersensitivity to ketamine or esketamine. Do not treat.",
    "poorly_controlled_cardiovascular_disease": "Poorly controlled cardiovascular disease: ketamine raises heart rate "
    "and blood pressure. Do not treat until controlled.",
    "active_psychosis": "Active psychosis: ketamine should be avoided. Do not treat.",
    "severe_hepatic_impairment": "Severe hepatic impairment: do not treat.",
    "preeclampsia": "Pre-eclampsia: contraindicated. Do not treat.",
    "psychotic_disorder_history": "History of a psychotic disorder: ketamine can worsen psychosis; needs "
    "prescriber review.",
    "bipolar_without_mood_stabilizer": "Bipolar disorder without a mood stabiliser: risk of switching to mania; "
    "needs prescriber review.",
    "active_substance_use_disorder": "Active substance use disorder: ketamine has misuse potential; avoid serial "
    "infusions and review before treating.",
    "elevated_intracranial_pressure": "Raised intracranial pressure: avoid, or low dose with extreme caution; needs "
    "prescriber review.",
    "elevated_intraocular_pressure": "Raised intraocular pressure: ketamine may raise it further; needs prescriber "
    "review.",
    "untreated_hyperthyroidism": "Untreated hyperthyroidism: added sympathetic stimulation; needs prescriber review.",
    "recent_suicide_attempt": "Suicide attempt within the last 3 months: needs a psychiatric evaluation before "
    "treatment.",
    "moderate_hepatic_impairment": "Moderate hepatic impairment: ketamine clearance may be reduced; treat with "
    "closer monitoring.",
}


@dataclass(frozen=True)
class Finding:
    """One reason a candidate is ineligible, needs review, or needs care; ``source`` is the §2 source column."""

    code: str
    level: Level
    message: str
    source: str


@dataclass(frozen=True)
class Assessment:
    """The status and every finding, in rule-table order."""

    status: Status
    findings: tuple[Finding, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        """The finding codes, in order."""
        return tuple(finding.code for finding in self.findings)


def _bp_text(c: Candidate) -> str:
    return f"{c.systolic_mmhg:g}/{c.diastolic_mmhg:g} mmHg"


def _uncontrolled_bp(c: Candidate, t: EligibilityThresholds) -> bool:
    return (
        c.systolic_mmhg > t.uncontrolled_systolic_above_mmhg or c.diastolic_mmhg > t.uncontrolled_diastolic_above_mmhg
    )


def _hypertension(c: Candidate, t: EligibilityThresholds) -> str | None:
    measured = _uncontrolled_bp(c, t)
    limit = f"{t.uncontrolled_systolic_above_mmhg}/{t.uncontrolled_diastolic_above_mmhg} mmHg"
    if measured and "uncontrolled_hypertension" in c.conditions:
        return (
            f"Uncontrolled hypertension, and the measured blood pressure {_bp_text(c)} is above {limit}. Defer "
            "treatment until it is controlled."
        )
    if measured:
        return f"Measured blood pressure {_bp_text(c)} is above {limit}. Defer treatment until it is controlled."
    if "uncontrolled_hypertension" in c.conditions:
        return "Uncontrolled hypertension is recorded. Defer treatment until it is controlled."
    return None


def _age_under_18(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.age_years < t.adult_age_years:
        return f"Age {c.age_years}: this is an adult service (esketamine is not approved under {t.adult_age_years})."
    return None


def _pregnancy(c: Candidate, t: EligibilityThresholds) -> str | None:
    return (
        "Pregnant: ketamine and esketamine should be avoided in pregnancy; needs prescriber review."
        if c.pregnant
        else None
    )


def _breastfeeding(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.breastfeeding:
        return "Breastfeeding: esketamine is best avoided while breastfeeding; needs prescriber review."
    return None


def _esketamine_bp(c: Candidate, t: EligibilityThresholds) -> str | None:
    high = c.systolic_mmhg > t.esketamine_systolic_above_mmhg or c.diastolic_mmhg > t.esketamine_diastolic_above_mmhg
    if c.route == _ESKETAMINE and high and not _uncontrolled_bp(c, t):
        return (
            f"Blood pressure {_bp_text(c)} is above {t.esketamine_systolic_above_mmhg}/"
            f"{t.esketamine_diastolic_above_mmhg} mmHg: weigh the short-term rise after esketamine against the benefit."
        )
    return None


def _trd(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.indication == _TRD and c.failed_antidepressant_trials < t.trd_min_failed_trials:
        return (
            f"{c.failed_antidepressant_trials} failed adequate antidepressant trial(s) recorded: treatment-resistant "
            f"depression needs at least {t.trd_min_failed_trials} in the current episode."
        )
    return None


_INDICATION_LABELS: Final = dict(INDICATION_CHOICES)


def _indication_words(code: str) -> str:
    """An indication inside a sentence: its label, lower-case unless it starts with an acronym."""
    words = _INDICATION_LABELS[code]
    return words if words[:2].isupper() else words[0].lower() + words[1:]


def _esketamine_label(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.route == _ESKETAMINE and c.indication not in (_TRD, _SI):
        return (
            f"Esketamine is approved for treatment-resistant depression and depression with acute suicidal ideation, "
            f"not {_indication_words(c.indication)}: off-label use needs prescriber review."
        )
    return None


def _weak_evidence(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.indication in _WEAK_EVIDENCE_INDICATIONS:
        return (
            f"Evidence for ketamine in {_indication_words(c.indication)} is weak or absent beyond the immediate term "
            "(moderate only for CRPS); set expectations accordingly."
        )
    return None


def _esketamine_65(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.route == _ESKETAMINE and c.age_years >= t.esketamine_older_adult_age_years:
        return f"Age {c.age_years}: esketamine starts at 28 mg in adults {t.esketamine_older_adult_age_years} and over."
    return None


_Check = Callable[[Candidate, EligibilityThresholds], "str | None"]

_CHECKS: Final[Mapping[str, _Check]] = MappingProxyType(
    {
        "age_under_18": _age_under_18,
        "uncontrolled_hypertension": _hypertension,
        "pregnancy": _pregnancy,
        "breastfeeding": _breastfeeding,
        "esketamine_bp_above_140_90": _esketamine_bp,
        "trd_criteria_not_met": _trd,
        "esketamine_outside_label": _esketamine_label,
        "weak_evidence_for_indication": _weak_evidence,
        "esketamine_age_65_plus": _esketamine_65,
    }
)


def assess(candidate: Candidate, thresholds: EligibilityThresholds = DEFAULT_THRESHOLDS) -> Assessment:
    """Apply every rule of clinical-rules.md §2 to ``candidate`` and report every finding, in table order.

    ``thresholds`` lets a clinic change the table's numbers; the defaults are the cited values.
    """
    medication_messages = _medication_messages(candidate.medications)
    findings: list[Finding] = []
    for rule in RULES:
        check = _CHECKS.get(rule.code)
        if check is not None:
            message = check(candidate, thresholds)
        elif rule.code in _CONDITION_MESSAGES:
            message = _CONDITION_MESSAGES[rule.code] if rule.code in candidate.conditions else None
        else:
            message = medication_messages.get(rule.code)
        if message is not None:
            findings.append(Finding(rule.code, rule.level, message, rule.source))
    levels = {finding.level for finding in findings}
    status: Status = "ineligible" if "absolute" in levels else "needs_review" if "relative" in levels else "eligible"
    return Assessment(status=status, findings=tuple(findings))
