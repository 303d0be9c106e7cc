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
from typing import Final, cast

from ketaclinic.domain.eligibility.candidate import Candidate
from ketaclinic.domain.eligibility.medications import _medication_messages, drug_classes_of
from ketaclinic.domain.eligibility.rules import (
    DEFAULT_THRESHOLDS,
    EU_ESKETAMINE_65_SOURCE,
    RULES,
    US_ESKETAMINE_65_SOURCE,
    EligibilityThresholds,
    Level,
    Status,
)
from ketaclinic.domain.vocabulary import DEFAULT_JURISDICTION, INDICATION_CHOICES, JURISDICTIONS
from ketaclinic.domain.vocabulary import DEPRESSION_WITH_SUICIDAL_IDEATION as _SI
from ketaclinic.domain.vocabulary import ESKETAMINE_ROUTE as _ESKETAMINE
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


_RULES_BY_CODE: Final = {rule.code: rule for rule in RULES}

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


def _alcohol(c: Candidate, t: EligibilityThresholds) -> str | None:
    listed = sorted(name for name in c.medications if "alcohol" in drug_classes_of(name))
    cutoff = t.audit_c_women_at_least if c.sex == "female" else t.audit_c_men_at_least
    above = c.audit_c_score is not None and c.audit_c_score >= cutoff
    if not (listed or above):
        return None
    why = (
        f"AUDIT-C {c.audit_c_score} (≥ {cutoff} in {'women' if c.sex == 'female' else 'men'} is drinking above "
        "low risk)"
        if above
        else "Alcohol is on the medication and substance list"
    )
    return (
        f"{why}: alcohol adds to ketamine's sedation (a CNS depressant). Advise no alcohol on treatment days and "
        "monitor for sedation."
    )


def _liver_tests(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.serial_programme is not True:
        return None
    if c.liver_tests_days_ago is None:
        return (
            "No liver function tests on record before a serial programme: order baseline liver tests (ketamine can "
            "cause drug-induced liver injury)."
        )
    if c.liver_tests_days_ago > t.liver_tests_within_days:
        return (
            f"The last liver function tests were {c.liver_tests_days_ago} days ago (older than "
            f"{t.liver_tests_within_days} days): repeat them as a baseline before a serial programme."
        )
    return None


_Check = Callable[[Candidate, EligibilityThresholds], "str | None"]
_Variant = Callable[[Candidate, EligibilityThresholds, str], "tuple[Level, str, str] | None"]


def _esketamine_65(c: Candidate, t: EligibilityThresholds, jurisdiction: str) -> tuple[Level, str, str] | None:
    """The ≥ 65 rules differ by label: the US label keeps the adult doses; the EU/UK SmPC starts at 28 mg."""
    if c.route != _ESKETAMINE or c.age_years < t.esketamine_older_adult_age_years:
        return None
    age = t.esketamine_older_adult_age_years
    if jurisdiction == "eu":
        return (
            "caution",
            f"Age {c.age_years}: under the EU/UK SmPC esketamine starts at 28 mg at {age} and over (then 28, 56 or "
            f"84 mg); the suicidal-ideation regimen was not studied at {age} and over.",
            EU_ESKETAMINE_65_SOURCE,
        )
    return (
        "caution",
        f"Age {c.age_years}: the US label gives the same esketamine doses at {age} and over (day 1: 56 mg); response "
        f"was lower in adults {age} and over (27 % in TRANSFORM-3 vs 69 % in TRANSFORM-2).",
        US_ESKETAMINE_65_SOURCE,
    )


def _genitourinary(c: Candidate, t: EligibilityThresholds, jurisdiction: str) -> tuple[Level, str, str] | None:
    """Relative before a serial or at-home programme (or when the programme is not stated); caution for one session."""
    if "genitourinary_symptoms" not in c.conditions:
        return None
    source = _RULES_BY_CODE["genitourinary_symptoms"].source
    if c.serial_programme is not False:
        return (
            "relative",
            "Lower urinary tract symptoms (urgency, frequency, pain passing urine, blood in the urine or bladder pain) "
            "before a serial or at-home programme: repeated ketamine can cause genitourinary pain and cystitis; "
            "assess first (urine test) and consider not starting; needs prescriber review.",
            source,
        )
    return (
        "caution",
        "Lower urinary tract symptoms recorded: a single session is planned, but note them as a baseline; repeated "
        "ketamine can cause genitourinary pain.",
        source,
    )


def _cardiovascular_event(c: Candidate, t: EligibilityThresholds, jurisdiction: str) -> tuple[Level, str, str] | None:
    """Absolute for esketamine under the EU/UK SmPC (§4.3 contraindication); relative otherwise."""
    if "recent_cardiovascular_event" not in c.conditions:
        return None
    rule = _RULES_BY_CODE["recent_cardiovascular_event"]
    if jurisdiction == "eu" and c.route == _ESKETAMINE:
        return (
            "absolute",
            "Cardiovascular event (e.g. myocardial infarction) within the last 6 weeks: esketamine is contraindicated "
            "under the EU/UK SmPC. Do not treat.",
            cast(str, rule.eu_source),
        )
    return (
        "relative",
        "Cardiovascular event (e.g. myocardial infarction) within the last 6 weeks: ketamine raises blood pressure "
        "and heart rate; needs prescriber review (cardiology clearance).",
        rule.source,
    )


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
        "alcohol_cns_depression": _alcohol,
        "baseline_liver_tests": _liver_tests,
    }
)

_VARIANTS: Final[Mapping[str, _Variant]] = MappingProxyType(
    {
        "esketamine_age_65_plus": _esketamine_65,
        "recent_cardiovascular_event": _cardiovascular_event,
        "genitourinary_symptoms": _genitourinary,
    }
)
"""Rules whose level and source depend on the clinic's label jurisdiction (clinical-rules.md "Label jurisdiction")."""


def assess(
    candidate: Candidate,
    thresholds: EligibilityThresholds = DEFAULT_THRESHOLDS,
    *,
    jurisdiction: str = DEFAULT_JURISDICTION,
) -> Assessment:
    """Apply every rule of clinical-rules.md §2 to ``candidate`` and report every finding, in table order.

    ``thresholds`` lets a clinic change the table's numbers; the defaults are the cited values. ``jurisdiction`` is the
    label the clinic follows (``us``: FDA prescribing information, the default; ``eu``: EU/UK SmPC): each finding cites
    the document its rule comes from under that label, and an SmPC rule is never presented as a US label rule.
    """
    if jurisdiction not in JURISDICTIONS:
        raise ValueError(f"jurisdiction: unknown code {jurisdiction!r}; expected one of {', '.join(JURISDICTIONS)}")
    medication_messages = _medication_messages(candidate.medications)
    findings: list[Finding] = []
    for rule in RULES:
        variant = _VARIANTS.get(rule.code)
        if variant is not None:
            decided = variant(candidate, thresholds, jurisdiction)
            if decided is not None:
                level, text, source = decided
                findings.append(Finding(rule.code, level, text, source))
            continue
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
