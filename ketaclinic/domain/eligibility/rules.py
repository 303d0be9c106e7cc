"""The eligibility rule table: finding levels, statuses, the clinic-tunable thresholds and the §2 rows in order.

Data only: every row of ``shared/knowledge/clinical-rules.md`` §2 (code, level, trigger in words, source) and the
numbers a clinic may change (:class:`EligibilityThresholds`, whose defaults are the cited values). Applying the table
to a candidate is :mod:`ketaclinic.domain.eligibility.assessment`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Final, Literal

__all__ = [
    "DEFAULT_THRESHOLDS",
    "EU_ESKETAMINE_65_SOURCE",
    "LEVELS",
    "RULES",
    "STATUSES",
    "US_ESKETAMINE_65_SOURCE",
    "EligibilityThresholds",
    "Level",
    "Rule",
    "Status",
]

Level = Literal["absolute", "relative", "caution"]
Status = Literal["eligible", "needs_review", "ineligible"]

LEVELS: Final[tuple[Level, ...]] = ("absolute", "relative", "caution")
STATUSES: Final[tuple[Status, ...]] = ("eligible", "needs_review", "ineligible")


@dataclass(frozen=True)
class EligibilityThresholds:
    """The numbers of the §2 rule table (clinic-configurable; defaults are the cited values)."""

    adult_age_years: int = 18
    """``age_under_18``: adult service; esketamine not approved in paediatrics (Spravato PI)."""
    uncontrolled_systolic_above_mmhg: int = 180
    """``uncontrolled_hypertension`` when measured SBP > 180 (Ketalar/Swiss label; Cohen 2018)."""
    uncontrolled_diastolic_above_mmhg: int = 100
    """``uncontrolled_hypertension`` when measured DBP > 100 (Ketalar/Swiss label; Cohen 2018)."""
    esketamine_systolic_above_mmhg: int = 140
    """``esketamine_bp_above_140_90`` when SBP > 140 (Spravato PI §2)."""
    esketamine_diastolic_above_mmhg: int = 90
    """``esketamine_bp_above_140_90`` when DBP > 90 (Spravato PI §2)."""
    esketamine_older_adult_age_years: int = 65
    """``esketamine_age_65_plus`` at age ≥ 65 (US label: same doses; EU/UK SmPC §4.2: start at 28 mg)."""
    trd_min_failed_trials: int = 2
    """TRD = ≥ 2 failed adequate antidepressant trials in the current episode (clinical-rules.md §2)."""
    audit_c_men_at_least: int = 4
    """``alcohol_cns_depression``: AUDIT-C ≥ 4 in men is drinking above low risk (Bradley 2007)."""
    audit_c_women_at_least: int = 3
    """``alcohol_cns_depression``: AUDIT-C ≥ 3 in women (Bradley 2007)."""
    liver_tests_within_days: int = 90
    """``baseline_liver_tests``: liver tests older than this are not a baseline (clinic policy window, 90 days; the
    Ketalar US label asks for baseline tests but gives no window)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{f.name}: must be a non-negative whole number (got {value!r})")


DEFAULT_THRESHOLDS: Final = EligibilityThresholds()


@dataclass(frozen=True)
class Rule:
    """One row of the clinical-rules.md §2 table: finding code, level, trigger in words, and source."""

    code: str
    level: Level
    when: str
    source: str
    eu_source: str | None = None
    """Where the rule comes from when the clinic follows the EU/UK SmPC (``None``: the same document)."""


US_ESKETAMINE_65_SOURCE: Final = (
    "Spravato US PI (FDA) §2, §8.5: the same doses at any adult age; lower response at 65 and over (TRANSFORM-3 27 % "
    "vs TRANSFORM-2 69 %)"
)
EU_ESKETAMINE_65_SOURCE: Final = "Spravato EU/UK SmPC §4.2: at 65 and over start at 28 mg (then 28, 56 or 84 mg)"

RULES: Final[tuple[Rule, ...]] = (
    Rule("age_under_18", "absolute", "age < 18", "adult service; esketamine not approved in paediatrics (Spravato PI)"),
    Rule(
        "aneurysmal_vascular_disease",
        "absolute",
        "condition",
        "Spravato PI §4; ketamine labels (BP rise is a serious hazard)",
    ),
    Rule("arteriovenous_malformation", "absolute", "condition", "Spravato PI §4"),
    Rule("intracerebral_hemorrhage_history", "absolute", "condition", "Spravato PI §4"),
    Rule("ketamine_hypersensitivity", "absolute", "condition", "Spravato PI; Ketalar label"),
    Rule(
        "uncontrolled_hypertension",
        "absolute",
        "condition, or measured SBP > 180 or DBP > 100 (defer until controlled)",
        "Ketalar/Swiss label (> 180/100); Cohen 2018",
    ),
    Rule("poorly_controlled_cardiovascular_disease", "absolute", "condition", "Cohen 2018; Ketalar label"),
    Rule("active_psychosis", "absolute", "condition", 'Cohen 2018 ("avoid")'),
    Rule("severe_hepatic_impairment", "absolute", "condition", "Cohen 2018"),
    Rule("preeclampsia", "absolute", "condition", "UK Ketalar SmPC"),
    Rule("psychotic_disorder_history", "relative", "condition", "Spravato PI §5.2; Sanacora 2017"),
    Rule("bipolar_without_mood_stabilizer", "relative", "condition", "clinic intake practice (Osmind intake guide)"),
    Rule(
        "active_substance_use_disorder", "relative", "condition", "Spravato PI §5.3; Cohen 2018 (no serial infusions)"
    ),
    Rule(
        "elevated_intracranial_pressure",
        "relative",
        "condition",
        "Cohen 2018 (avoid or low dose with extreme caution)",
    ),
    Rule("elevated_intraocular_pressure", "relative", "condition", "Cohen 2018"),
    Rule("untreated_hyperthyroidism", "relative", "condition", "Swiss ketamine label"),
    Rule(
        "recent_suicide_attempt",
        "relative",
        "condition (within 3 months)",
        "needs psychiatric evaluation first (at-home programs exclude)",
    ),
    Rule("pregnancy", "relative", "pregnant", "Spravato medication guide (avoid); Sanacora 2017"),
    Rule("breastfeeding", "relative", "breastfeeding", "Spravato medication guide"),
    Rule(
        "esketamine_bp_above_140_90",
        "relative",
        "route intranasal_esketamine and SBP > 140 or DBP > 90 (and not > 180/100)",
        "Spravato PI §2 (weigh the short-term BP rise against benefit)",
    ),
    Rule(
        "trd_criteria_not_met",
        "relative",
        "indication treatment_resistant_depression and failed adequate trials < 2",
        "TRD = ≥ 2 failed adequate antidepressant trials in the current episode",
    ),
    Rule(
        "esketamine_outside_label",
        "relative",
        "route intranasal_esketamine and indication not TRD / depression with SI",
        "Spravato indications",
    ),
    Rule("moderate_hepatic_impairment", "caution", "condition", "Cohen 2018 (use with monitoring)"),
    Rule(
        "benzodiazepine",
        "caution",
        "any benzodiazepine",
        "Andrashko 2020: chronic BZD > 8 mg diazepam-eq/day blunts response; also more sedation",
    ),
    Rule("cns_depressant", "caution", "opioid, Z-drug or other sedative-hypnotic", "Spravato PI §7 (monitor sedation)"),
    Rule("maoi_blood_pressure", "caution", "MAOI", "Spravato PI §7 (monitor BP closely)"),
    Rule("stimulant_blood_pressure", "caution", "psychostimulant", "Spravato PI §7"),
    Rule(
        "lamotrigine",
        "caution",
        "lamotrigine",
        "may reduce ketamine adverse effects; effect on response unknown (Andrade 2017)",
    ),
    Rule("other_nmda_antagonist", "caution", "memantine, dextromethorphan, amantadine", "theoretical additive effect"),
    Rule(
        "naltrexone",
        "caution",
        "naltrexone",
        "may attenuate antidepressant effect (Williams 2018; mixed later data)",
    ),
    Rule("cyp_interaction", "caution", "CYP3A4/2B6 inducer or inhibitor", "changes ketamine exposure (Andrade 2017)"),
    Rule(
        "weak_evidence_for_indication",
        "caution",
        "fibromyalgia, neuropathic, cancer, postsurgical, other chronic pain, spinal cord injury",
        "Cohen 2018: evidence weak or none beyond the immediate term; moderate only for CRPS",
    ),
    Rule(
        "esketamine_age_65_plus",
        "caution",
        "route intranasal_esketamine and age ≥ 65",
        US_ESKETAMINE_65_SOURCE,
        eu_source=EU_ESKETAMINE_65_SOURCE,
    ),
    Rule(
        "theophylline_seizure_threshold",
        "relative",
        "theophylline or aminophylline",
        'Ketalar US label §7.1: "do not co-administer" (may lower the seizure threshold)',
    ),
    Rule(
        "sympathomimetic_vital_signs",
        "caution",
        "sympathomimetic or vasopressin (decongestants pseudoephedrine, phenylephrine included)",
        "Ketalar US label §7.2: closely monitor vital signs",
    ),
    Rule(
        "alcohol_cns_depression",
        "caution",
        "AUDIT-C ≥ 4 (men) / ≥ 3 (women), or alcohol listed",
        "Spravato US PI §7 (CNS depressants, alcohol included); AUDIT-C cut-offs Bradley 2007",
    ),
    Rule(
        "recent_cardiovascular_event",
        "relative",
        "condition (myocardial infarction or other cardiovascular event within 6 weeks); absolute for esketamine "
        "under the EU/UK SmPC",
        "Ketalar US label §5 (hypertension and cardiac decompensation)",
        eu_source="Spravato EU/UK SmPC §4.3: contraindicated within 6 weeks of a cardiovascular event, including "
        "myocardial infarction",
    ),
    Rule(
        "genitourinary_symptoms",
        "relative",
        "lower urinary tract symptoms and a serial or at-home programme (caution for a single session)",
        'Ketalar US label §2.1, §6: genitourinary pain with chronic use, "consider cessation"',
    ),
    Rule(
        "baseline_liver_tests",
        "caution",
        "serial programme without liver tests in the last 90 days (clinic policy window)",
        "Ketalar US label §5 (drug-induced liver injury: baseline liver tests); Cohen 2018",
    ),
)
"""The whole clinical-rules.md §2 table, in its order (which is also the order findings are reported in)."""
