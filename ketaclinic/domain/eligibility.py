"""Explainable eligibility screening for ketamine and esketamine treatment.

``assess(candidate)`` applies the whole rule table of ``shared/knowledge/clinical-rules.md`` §2 and returns every
finding (never only the first) in the table's order, each with a plain-English message and the table's source.
Status: ``ineligible`` if any ``absolute`` finding, else ``needs_review`` if any ``relative`` finding, else
``eligible`` (``caution`` findings are still listed). Contract: ``design/CONTRACTS.md`` §4.4.

Vocabulary (indications, routes, condition codes: clinical-rules.md §1) is closed: an unknown code raises
:class:`InvalidCandidate` (a ``ValueError``) naming it. Medications are generic names, matched case-insensitively
against the drug-class table of §2; a name not in the table is accepted and yields no finding.

Choices where the rule file is silent (documented here and in the code):

* ``cns_depressant`` fires for opioids, Z-drugs and "other sedative-hypnotics"; of the names in the class table the
  only other sedative-hypnotic is phenobarbital (a barbiturate), so phenobarbital yields both ``cns_depressant`` and
  ``cyp_interaction``. Benzodiazepines have their own code and do not also yield ``cns_depressant``.
* CYP3A4/2B6 inducers and inhibitors are one ``cyp_interaction`` finding (one finding per code) whose message says
  which drug raises and which lowers ketamine exposure.
* Medication names are normalised before lookup: case-folded, apostrophes and full stops removed, hyphens and
  underscores read as spaces, runs of spaces collapsed ("St. John's Wort" → "st johns wort").
* Blood pressure bounds (``monitoring.PLAUSIBLE_*_MMHG``) are data-entry validation, not clinical thresholds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Final, Literal

from ketaclinic.domain.monitoring import PLAUSIBLE_DIASTOLIC_MMHG, PLAUSIBLE_SYSTOLIC_MMHG

__all__ = [
    "CONDITIONS",
    "DRUG_CLASSES",
    "INDICATIONS",
    "LEVELS",
    "MAX_PLAUSIBLE_AGE_YEARS",
    "PAIN_INDICATIONS",
    "ROUTES",
    "RULES",
    "SEXES",
    "STATUSES",
    "Assessment",
    "Candidate",
    "EligibilityThresholds",
    "Finding",
    "InvalidCandidate",
    "Level",
    "Rule",
    "Status",
    "assess",
    "drug_classes_of",
]

Level = Literal["absolute", "relative", "caution"]
Status = Literal["eligible", "needs_review", "ineligible"]

LEVELS: Final[tuple[Level, ...]] = ("absolute", "relative", "caution")
STATUSES: Final[tuple[Status, ...]] = ("eligible", "needs_review", "ineligible")
SEXES: Final = ("male", "female")
"""Sex as used by the Devine ideal-body-weight formula (CONTRACTS §4.3)."""

INDICATIONS: Final = (
    "treatment_resistant_depression",
    "major_depression",
    "depression_with_suicidal_ideation",
    "crps",
    "fibromyalgia",
    "neuropathic_pain",
    "spinal_cord_injury_pain",
    "cancer_pain",
    "postsurgical_pain",
    "other_chronic_pain",
)
"""Indication codes (clinical-rules.md §1)."""

PAIN_INDICATIONS: Final = frozenset(
    {
        "crps",
        "fibromyalgia",
        "neuropathic_pain",
        "spinal_cord_injury_pain",
        "cancer_pain",
        "postsurgical_pain",
        "other_chronic_pain",
    }
)
"""The chronic pain indications of clinical-rules.md §1 (pain scales at intake and follow-up, IMMPACT outcomes)."""

ROUTES: Final = ("iv", "im", "intranasal_esketamine", "intranasal", "oral", "sublingual")
"""Route codes (clinical-rules.md §1); ``intranasal`` is compounded racemic ketamine."""

CONDITIONS: Final = (
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_hemorrhage_history",
    "ketamine_hypersensitivity",
    "uncontrolled_hypertension",
    "poorly_controlled_cardiovascular_disease",
    "active_psychosis",
    "psychotic_disorder_history",
    "bipolar_without_mood_stabilizer",
    "active_substance_use_disorder",
    "severe_hepatic_impairment",
    "moderate_hepatic_impairment",
    "elevated_intracranial_pressure",
    "elevated_intraocular_pressure",
    "preeclampsia",
    "untreated_hyperthyroidism",
    "recent_suicide_attempt",
)
"""Condition codes (clinical-rules.md §1)."""

MAX_PLAUSIBLE_AGE_YEARS: Final = 130
"""Data-entry validation for ``age_years`` (no one has lived past 122), not a clinical threshold."""

_TRD = "treatment_resistant_depression"
_SI = "depression_with_suicidal_ideation"
_ESKETAMINE = "intranasal_esketamine"
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

DRUG_CLASSES: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        "benzodiazepine": frozenset(
            {
                "alprazolam",
                "chlordiazepoxide",
                "clobazam",
                "clonazepam",
                "diazepam",
                "lorazepam",
                "midazolam",
                "oxazepam",
                "temazepam",
                "triazolam",
            }
        ),
        "z_drug": frozenset({"zolpidem", "zopiclone", "eszopiclone", "zaleplon"}),
        "opioid": frozenset(
            {
                "buprenorphine",
                "codeine",
                "fentanyl",
                "hydrocodone",
                "hydromorphone",
                "methadone",
                "morphine",
                "oxycodone",
                "tapentadol",
                "tramadol",
            }
        ),
        "barbiturate": frozenset({"phenobarbital"}),
        "maoi": frozenset(
            {"isocarboxazid", "moclobemide", "phenelzine", "rasagiline", "selegiline", "tranylcypromine"}
        ),
        "psychostimulant": frozenset(
            {
                "amphetamine",
                "armodafinil",
                "dexmethylphenidate",
                "dextroamphetamine",
                "lisdexamfetamine",
                "methamphetamine",
                "methylphenidate",
                "modafinil",
            }
        ),
        "nmda_antagonist": frozenset({"amantadine", "dextromethorphan", "memantine"}),
        "cyp_inducer": frozenset({"carbamazepine", "phenobarbital", "phenytoin", "rifampin", "st johns wort"}),
        "cyp_inhibitor": frozenset(
            {"clarithromycin", "clopidogrel", "itraconazole", "ketoconazole", "ritonavir", "ticlopidine"}
        ),
        "lamotrigine": frozenset({"lamotrigine"}),
        "naltrexone": frozenset({"naltrexone"}),
    }
)
"""Drug classes by generic name (clinical-rules.md §2, drug-class paragraph). ``barbiturate`` is our grouping of
phenobarbital as an "other sedative-hypnotic" for ``cns_depressant``; it is listed in the file as a CYP inducer."""

_CLASS_LABELS: Final = {
    "benzodiazepine": "benzodiazepine",
    "z_drug": "Z-drug",
    "opioid": "opioid",
    "barbiturate": "barbiturate",
    "maoi": "MAOI",
    "psychostimulant": "psychostimulant",
    "nmda_antagonist": "NMDA antagonist",
    "cyp_inducer": "CYP3A4/2B6 inducer, lowers ketamine exposure",
    "cyp_inhibitor": "CYP3A4/2B6 inhibitor, raises ketamine exposure",
    "lamotrigine": "lamotrigine",
    "naltrexone": "naltrexone",
}


class InvalidCandidate(ValueError):
    """A candidate field holds an unknown code or an impossible value; ``field`` names it."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field


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
    """``esketamine_age_65_plus`` at age ≥ 65: start at 28 mg (Spravato PI)."""
    trd_min_failed_trials: int = 2
    """TRD = ≥ 2 failed adequate antidepressant trials in the current episode (clinical-rules.md §2)."""

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
        "esketamine_age_65_plus", "caution", "route intranasal_esketamine and age ≥ 65", "start at 28 mg (Spravato PI)"
    ),
)
"""The whole clinical-rules.md §2 table, in its order (which is also the order findings are reported in)."""

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

_MEDICATION_RULES: Final = (
    (
        "benzodiazepine",
        ("benzodiazepine",),
        "Benzodiazepine ({drugs}): chronic use above 8 mg diazepam-equivalent a day blunts the response, and sedation "
        "adds up; consider the dose and timing.",
    ),
    (
        "cns_depressant",
        ("opioid", "z_drug", "barbiturate"),
        "CNS depressant ({drugs}): monitor closely for sedation.",
    ),
    ("maoi_blood_pressure", ("maoi",), "MAOI ({drugs}): monitor blood pressure closely."),
    ("stimulant_blood_pressure", ("psychostimulant",), "Psychostimulant ({drugs}): monitor blood pressure closely."),
    (
        "lamotrigine",
        ("lamotrigine",),
        "Lamotrigine ({drugs}): may reduce ketamine's adverse effects; its effect on response is unknown.",
    ),
    (
        "other_nmda_antagonist",
        ("nmda_antagonist",),
        "Other NMDA antagonist ({drugs}): a theoretical additive effect with ketamine.",
    ),
    (
        "naltrexone",
        ("naltrexone",),
        "Naltrexone ({drugs}): may attenuate the antidepressant effect (mixed evidence).",
    ),
    (
        "cyp_interaction",
        ("cyp_inducer", "cyp_inhibitor"),
        "CYP3A4/2B6 interaction ({drugs}): ketamine exposure may change; watch effect and adverse effects.",
    ),
)


def _normalise_drug(name: str) -> str:
    text = name.casefold().replace("'", "").replace("\u2019", "").replace(".", "")
    return " ".join(re.split(r"[\s\-_]+", text)).strip()


def drug_classes_of(name: str) -> frozenset[str]:
    """Class keys of :data:`DRUG_CLASSES` that the generic ``name`` belongs to (empty for unknown names)."""
    key = _normalise_drug(name)
    return frozenset(cls for cls, members in DRUG_CLASSES.items() if key in members)


@dataclass(frozen=True)
class Candidate:
    """What eligibility needs to know about a prospective patient (CONTRACTS §4.4).

    Validated at construction: unknown ``sex``/``indication``/``route``/condition codes and impossible numbers raise
    :class:`InvalidCandidate` naming the field. ``conditions`` and ``medications`` may be given as any collection of
    strings and are stored as frozensets.
    """

    age_years: int
    sex: str
    indication: str
    route: str
    failed_antidepressant_trials: int
    systolic_mmhg: int | float
    diastolic_mmhg: int | float
    conditions: frozenset[str]
    medications: frozenset[str]
    pregnant: bool
    breastfeeding: bool

    def __post_init__(self) -> None:
        _whole("age_years", self.age_years, 0, MAX_PLAUSIBLE_AGE_YEARS)
        _code("sex", self.sex, SEXES)
        _code("indication", self.indication, INDICATIONS)
        _code("route", self.route, ROUTES)
        _whole("failed_antidepressant_trials", self.failed_antidepressant_trials, 0, None)
        _pressure("systolic_mmhg", self.systolic_mmhg, PLAUSIBLE_SYSTOLIC_MMHG)
        _pressure("diastolic_mmhg", self.diastolic_mmhg, PLAUSIBLE_DIASTOLIC_MMHG)
        if self.diastolic_mmhg >= self.systolic_mmhg:
            raise InvalidCandidate("diastolic_mmhg", f"{self.diastolic_mmhg!r} must be below the systolic")
        object.__setattr__(self, "conditions", _strings("conditions", self.conditions))
        object.__setattr__(self, "medications", _strings("medications", self.medications))
        for condition in sorted(self.conditions):
            _code("conditions", condition, CONDITIONS)
        for medication in self.medications:
            if not _normalise_drug(medication):
                raise InvalidCandidate("medications", "a medication name is blank")
        for flag in ("pregnant", "breastfeeding"):
            if not isinstance(getattr(self, flag), bool):
                raise InvalidCandidate(flag, f"must be True or False (got {getattr(self, flag)!r})")


def _code(field: str, value: object, vocabulary: tuple[str, ...]) -> None:
    if value not in vocabulary:
        raise InvalidCandidate(field, f"unknown code {value!r}; expected one of {', '.join(vocabulary)}")


def _whole(field: str, value: object, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidCandidate(field, f"must be a whole number (got {value!r})")
    if value < low or (high is not None and value > high):
        bounds = f"{low}-{high}" if high is not None else f"at least {low}"
        raise InvalidCandidate(field, f"{value!r} is not plausible (expected {bounds})")


def _pressure(field: str, value: object, bounds: tuple[int, int]) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:  # value != value: NaN
        raise InvalidCandidate(field, f"must be a number in mmHg (got {value!r})")
    low, high = bounds
    if not low <= value <= high:
        raise InvalidCandidate(field, f"{value!r} mmHg is not a plausible blood pressure (data entry: {low}-{high})")


def _strings(field: str, value: object) -> frozenset[str]:
    if isinstance(value, str | bytes) or not isinstance(value, frozenset | set | list | tuple):
        raise InvalidCandidate(field, f"must be a collection of strings (got {value!r})")
    for item in value:
        if not isinstance(item, str):
            raise InvalidCandidate(field, f"{item!r} is not a string")
    return frozenset(value)


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


def _esketamine_label(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.route == _ESKETAMINE and c.indication not in (_TRD, _SI):
        return (
            f"Esketamine is approved for treatment-resistant depression and depression with acute suicidal ideation, "
            f"not {c.indication.replace('_', ' ')}: off-label use needs prescriber review."
        )
    return None


def _weak_evidence(c: Candidate, t: EligibilityThresholds) -> str | None:
    if c.indication in _WEAK_EVIDENCE_INDICATIONS:
        return (
            f"Evidence for ketamine in {c.indication.replace('_', ' ')} is weak or absent beyond the immediate term "
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


def _medication_messages(medications: frozenset[str]) -> dict[str, str]:
    by_class: dict[str, set[str]] = {}
    for name in medications:
        for cls in drug_classes_of(name):
            by_class.setdefault(cls, set()).add(_normalise_drug(name))
    messages: dict[str, str] = {}
    for code, classes, template in _MEDICATION_RULES:
        present = [cls for cls in classes if cls in by_class]
        if not present:
            continue
        if len(classes) == 1:
            drugs = ", ".join(sorted(by_class[present[0]]))
        else:
            drugs = "; ".join(f"{_CLASS_LABELS[cls]}: {', '.join(sorted(by_class[cls]))}" for cls in present)
        messages[code] = template.format(drugs=drugs)
    return messages


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
