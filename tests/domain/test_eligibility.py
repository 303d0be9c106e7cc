"""Eligibility rules: every row of shared/knowledge/clinical-rules.md §2, both sides of every boundary."""

from __future__ import annotations

import dataclasses
import math

import pytest

from ketaclinic.domain import eligibility
from ketaclinic.domain.eligibility import (
    CONDITIONS,
    DRUG_CLASSES,
    INDICATIONS,
    ROUTES,
    RULES,
    Candidate,
    EligibilityThresholds,
    InvalidCandidate,
    assess,
    drug_classes_of,
)

RULE_CODES_IN_FILE_ORDER = (
    "age_under_18",
    "aneurysmal_vascular_disease",
    "arteriovenous_malformation",
    "intracerebral_hemorrhage_history",
    "ketamine_hypersensitivity",
    "uncontrolled_hypertension",
    "poorly_controlled_cardiovascular_disease",
    "active_psychosis",
    "severe_hepatic_impairment",
    "preeclampsia",
    "psychotic_disorder_history",
    "bipolar_without_mood_stabilizer",
    "active_substance_use_disorder",
    "elevated_intracranial_pressure",
    "elevated_intraocular_pressure",
    "untreated_hyperthyroidism",
    "recent_suicide_attempt",
    "pregnancy",
    "breastfeeding",
    "esketamine_bp_above_140_90",
    "trd_criteria_not_met",
    "esketamine_outside_label",
    "moderate_hepatic_impairment",
    "benzodiazepine",
    "cns_depressant",
    "maoi_blood_pressure",
    "stimulant_blood_pressure",
    "lamotrigine",
    "other_nmda_antagonist",
    "naltrexone",
    "cyp_interaction",
    "weak_evidence_for_indication",
    "esketamine_age_65_plus",
    "theophylline_seizure_threshold",
    "sympathomimetic_vital_signs",
    "alcohol_cns_depression",
    "recent_cardiovascular_event",
    "genitourinary_symptoms",
    "baseline_liver_tests",
)
LEVEL_OF = {rule.code: rule.level for rule in RULES}


def make(**changes: object) -> Candidate:
    """A clean 45-year-old TRD patient for IV ketamine: eligible with no findings."""
    fields: dict[str, object] = {
        "age_years": 45,
        "sex": "female",
        "indication": "treatment_resistant_depression",
        "route": "iv",
        "failed_antidepressant_trials": 3,
        "systolic_mmhg": 128,
        "diastolic_mmhg": 82,
        "conditions": frozenset(),
        "medications": frozenset(),
        "pregnant": False,
        "breastfeeding": False,
    }
    fields.update(changes)
    return Candidate(**fields)  # type: ignore[arg-type]


def codes(**changes: object) -> tuple[str, ...]:
    return assess(make(**changes)).codes


# --- The contract and the table ---------------------------------------------------------------------------------


def test_contract_example_is_eligible_with_no_findings():
    c = eligibility.Candidate(
        age_years=45,
        sex="female",
        indication="treatment_resistant_depression",
        route="iv",
        failed_antidepressant_trials=3,
        systolic_mmhg=128,
        diastolic_mmhg=82,
        conditions=frozenset(),
        medications=frozenset({"sertraline"}),
        pregnant=False,
        breastfeeding=False,
    )
    a = eligibility.assess(c)
    assert a.status == "eligible"
    assert a.findings == ()


def test_the_rule_table_is_the_whole_file_table_in_order():
    assert tuple(rule.code for rule in RULES) == RULE_CODES_IN_FILE_ORDER


def test_candidate_fields_are_exactly_the_contract():
    assert [f.name for f in dataclasses.fields(Candidate)] == [
        "age_years",
        "sex",
        "indication",
        "route",
        "failed_antidepressant_trials",
        "systolic_mmhg",
        "diastolic_mmhg",
        "conditions",
        "medications",
        "pregnant",
        "breastfeeding",
        # Added with defaults (issue 16 item 12), so every contract call still works.
        "audit_c_score",
        "serial_programme",
        "liver_tests_days_ago",
    ]


def test_vocabulary_is_the_files():
    assert len(INDICATIONS) == 10 and "crps" in INDICATIONS
    assert ROUTES == ("iv", "im", "intranasal_esketamine", "intranasal", "oral", "sublingual")
    assert len(CONDITIONS) == 19 and "recent_suicide_attempt" in CONDITIONS
    assert CONDITIONS[-2:] == ("recent_cardiovascular_event", "genitourinary_symptoms")


def test_findings_and_assessment_are_frozen():
    a = assess(make(age_years=17))
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.status = "eligible"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.findings[0].level = "caution"  # type: ignore[misc]


# --- Condition rows -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_triggers_its_own_code_at_the_tables_level(condition):
    a = assess(make(conditions=frozenset({condition})))
    assert a.codes == (condition,)
    finding = a.findings[0]
    rule = next(r for r in RULES if r.code == condition)
    assert finding.level == rule.level
    assert finding.source == rule.source
    assert finding.message and finding.message[0].isupper()
    expected = {"absolute": "ineligible", "relative": "needs_review", "caution": "eligible"}[rule.level]
    assert a.status == expected


def test_no_condition_no_condition_finding():
    assert codes() == ()


def test_recorded_uncontrolled_hypertension_with_normal_reading():
    a = assess(make(conditions={"uncontrolled_hypertension"}))
    assert a.findings[0].message.startswith("Uncontrolled hypertension is recorded")


def test_recorded_and_measured_hypertension_is_one_finding():
    a = assess(make(conditions={"uncontrolled_hypertension"}, systolic_mmhg=190))
    assert a.codes == ("uncontrolled_hypertension",)
    assert "190/82" in a.findings[0].message


# --- Age ------------------------------------------------------------------------------------------------------------


def test_age_17_is_under_18_absolute():
    a = assess(make(age_years=17))
    assert a.codes == ("age_under_18",)
    assert a.status == "ineligible"
    assert a.findings[0].source.startswith("adult service")


def test_age_18_is_an_adult():
    assert codes(age_years=18) == ()


# --- Blood pressure -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sbp", "dbp", "uncontrolled"),
    [(180, 82, False), (181, 82, True), (128, 100, False), (128, 101, True), (180, 100, False)],
)
def test_measured_bp_above_180_or_100_is_uncontrolled_hypertension(sbp, dbp, uncontrolled):
    a = assess(make(systolic_mmhg=sbp, diastolic_mmhg=dbp))
    assert ("uncontrolled_hypertension" in a.codes) is uncontrolled
    if uncontrolled:
        assert a.status == "ineligible"
        assert a.findings[0].level == "absolute"
        assert f"{sbp}/{dbp} mmHg" in a.findings[0].message


@pytest.mark.parametrize(
    ("sbp", "dbp", "fires"),
    [(140, 90, False), (141, 80, True), (130, 91, True), (180, 100, True), (181, 95, False), (150, 101, False)],
)
def test_esketamine_140_90_rule_only_when_not_above_180_100(sbp, dbp, fires):
    a = assess(make(route="intranasal_esketamine", systolic_mmhg=sbp, diastolic_mmhg=dbp))
    assert ("esketamine_bp_above_140_90" in a.codes) is fires
    assert ("uncontrolled_hypertension" in a.codes) is (sbp > 180 or dbp > 100)


def test_esketamine_bp_rule_is_relative_and_names_the_reading():
    a = assess(make(route="intranasal_esketamine", systolic_mmhg=150, diastolic_mmhg=85))
    assert a.codes == ("esketamine_bp_above_140_90",)
    assert a.status == "needs_review"
    assert "150/85 mmHg" in a.findings[0].message


def test_the_140_90_rule_is_esketamine_only():
    assert codes(route="iv", systolic_mmhg=150, diastolic_mmhg=95) == ()


def test_float_blood_pressure_is_accepted():
    assert codes(systolic_mmhg=180.5) == ("uncontrolled_hypertension",)


# --- Pregnancy, breastfeeding ---------------------------------------------------------------------------------------


def test_pregnancy_is_relative():
    a = assess(make(pregnant=True))
    assert a.codes == ("pregnancy",)
    assert a.status == "needs_review"


def test_breastfeeding_is_relative():
    a = assess(make(breastfeeding=True))
    assert a.codes == ("breastfeeding",)
    assert a.status == "needs_review"


# --- Indication and route rules -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("trials", "fires"), [(0, True), (1, True), (2, False), (3, False)])
def test_trd_needs_two_failed_trials(trials, fires):
    assert ("trd_criteria_not_met" in codes(failed_antidepressant_trials=trials)) is fires


def test_trd_rule_applies_only_to_the_trd_indication():
    assert codes(indication="major_depression", failed_antidepressant_trials=0) == ()


def test_trd_message_counts_the_trials():
    a = assess(make(failed_antidepressant_trials=1))
    assert a.findings[0].message.startswith("1 failed adequate antidepressant trial")


@pytest.mark.parametrize(
    ("indication", "fires"),
    [
        ("treatment_resistant_depression", False),
        ("depression_with_suicidal_ideation", False),
        ("major_depression", True),
        ("crps", True),
    ],
)
def test_esketamine_outside_label(indication, fires):
    assert ("esketamine_outside_label" in codes(route="intranasal_esketamine", indication=indication)) is fires


def test_outside_label_is_esketamine_only():
    assert codes(route="iv", indication="major_depression") == ()


WEAK = [
    "fibromyalgia",
    "neuropathic_pain",
    "cancer_pain",
    "postsurgical_pain",
    "other_chronic_pain",
    "spinal_cord_injury_pain",
]


@pytest.mark.parametrize("indication", WEAK)
def test_weak_evidence_indications_get_a_caution(indication):
    a = assess(make(indication=indication))
    assert a.codes == ("weak_evidence_for_indication",)
    assert a.status == "eligible"
    assert a.findings[0].level == "caution"


@pytest.mark.parametrize("indication", ["crps", "major_depression", "depression_with_suicidal_ideation"])
def test_crps_and_depression_have_no_weak_evidence_caution(indication):
    assert "weak_evidence_for_indication" not in codes(indication=indication)


@pytest.mark.parametrize(("age", "fires"), [(64, False), (65, True), (80, True)])
def test_esketamine_65_plus(age, fires):
    assert ("esketamine_age_65_plus" in codes(route="intranasal_esketamine", age_years=age)) is fires


def test_65_plus_caution_is_esketamine_only():
    assert codes(route="iv", age_years=70) == ()


# --- Medications ----------------------------------------------------------------------------------------------------

DRUG_TO_CODE = [
    ("alprazolam", "benzodiazepine"),
    ("clonazepam", "benzodiazepine"),
    ("zolpidem", "cns_depressant"),
    ("oxycodone", "cns_depressant"),
    ("buprenorphine", "cns_depressant"),
    ("phenelzine", "maoi_blood_pressure"),
    ("selegiline", "maoi_blood_pressure"),
    ("methylphenidate", "stimulant_blood_pressure"),
    ("modafinil", "stimulant_blood_pressure"),
    ("lamotrigine", "lamotrigine"),
    ("memantine", "other_nmda_antagonist"),
    ("dextromethorphan", "other_nmda_antagonist"),
    ("amantadine", "other_nmda_antagonist"),
    ("naltrexone", "naltrexone"),
    ("carbamazepine", "cyp_interaction"),
    ("rifampin", "cyp_interaction"),
    ("st johns wort", "cyp_interaction"),
    ("ketoconazole", "cyp_interaction"),
    ("clopidogrel", "cyp_interaction"),
]


@pytest.mark.parametrize(("drug", "code"), DRUG_TO_CODE)
def test_each_drug_class_yields_its_caution_naming_the_drug(drug, code):
    a = assess(make(medications={drug}))
    assert a.codes == (code,)
    assert a.status == "eligible"
    assert a.findings[0].level == "caution"
    assert drug in a.findings[0].message


ALL_KNOWN_DRUGS = sorted({name for members in DRUG_CLASSES.values() for name in members})


@pytest.mark.parametrize("drug", ALL_KNOWN_DRUGS)
def test_every_listed_drug_yields_a_finding(drug):
    assert codes(medications={drug})


def test_phenobarbital_is_both_a_sedative_hypnotic_and_a_cyp_inducer():
    assert codes(medications={"phenobarbital"}) == ("cns_depressant", "cyp_interaction")


def test_unknown_medication_is_accepted_and_yields_nothing():
    assert codes(medications={"sertraline", "Vitamin D"}) == ()


def test_medication_names_are_case_insensitive_and_normalised():
    assert codes(medications={"LORAZEPAM"}) == ("benzodiazepine",)
    assert codes(medications={"St. John's Wort"}) == ("cyp_interaction",)
    assert codes(medications={"St-John\u2019s_Wort"}) == ("cyp_interaction",)
    assert codes(medications={"  Zolpidem  "}) == ("cns_depressant",)


def test_one_finding_per_class_naming_every_drug_in_it():
    a = assess(make(medications={"lorazepam", "Alprazolam"}))
    assert a.codes == ("benzodiazepine",)
    assert "alprazolam, lorazepam" in a.findings[0].message


def test_cns_depressant_groups_opioids_and_z_drugs_in_one_finding():
    a = assess(make(medications={"oxycodone", "zolpidem", "tramadol"}))
    assert a.codes == ("cns_depressant",)
    message = a.findings[0].message
    assert "Z-drug: zolpidem" in message
    assert "opioid: oxycodone, tramadol" in message


def test_cyp_finding_says_which_drug_raises_and_which_lowers_exposure():
    a = assess(make(medications={"carbamazepine", "ketoconazole"}))
    assert a.codes == ("cyp_interaction",)
    message = a.findings[0].message
    assert "inducer, lowers ketamine exposure: carbamazepine" in message
    assert "inhibitor, raises ketamine exposure: ketoconazole" in message


def test_benzodiazepine_does_not_also_count_as_cns_depressant():
    assert codes(medications={"diazepam"}) == ("benzodiazepine",)


def test_drug_classes_of():
    assert drug_classes_of("Phenobarbital") == {"barbiturate", "cyp_inducer"}
    assert drug_classes_of("sertraline") == frozenset()


# --- Status and reporting -------------------------------------------------------------------------------------------


def test_every_finding_is_reported_in_table_order():
    a = assess(
        make(
            age_years=70,
            route="intranasal_esketamine",
            indication="fibromyalgia",
            systolic_mmhg=200,
            conditions={"active_psychosis", "moderate_hepatic_impairment", "psychotic_disorder_history"},
            medications={"lorazepam", "phenelzine"},
            pregnant=True,
            breastfeeding=True,
        )
    )
    assert a.codes == (
        "uncontrolled_hypertension",
        "active_psychosis",
        "psychotic_disorder_history",
        "pregnancy",
        "breastfeeding",
        "esketamine_outside_label",
        "moderate_hepatic_impairment",
        "benzodiazepine",
        "maoi_blood_pressure",
        "weak_evidence_for_indication",
        "esketamine_age_65_plus",
    )
    assert a.status == "ineligible"
    for finding in a.findings:
        assert finding.level == LEVEL_OF[finding.code]


def test_relative_without_absolute_needs_review():
    a = assess(make(conditions={"elevated_intraocular_pressure"}, medications={"lamotrigine"}))
    assert a.status == "needs_review"


def test_cautions_alone_stay_eligible_and_are_listed():
    a = assess(make(conditions={"moderate_hepatic_impairment"}, medications={"naltrexone"}))
    assert a.status == "eligible"
    assert a.codes == ("moderate_hepatic_impairment", "naltrexone")


def test_clinic_thresholds_change_the_numbers():
    strict = EligibilityThresholds(trd_min_failed_trials=4, adult_age_years=21)
    a = assess(make(failed_antidepressant_trials=3, age_years=20), strict)
    assert a.codes == ("age_under_18", "trd_criteria_not_met")
    assert "at least 4" in a.findings[1].message


@pytest.mark.parametrize("bad", [-1, 1.5, True, "2"])
def test_thresholds_must_be_whole_non_negative_numbers(bad):
    with pytest.raises(ValueError, match="trd_min_failed_trials"):
        EligibilityThresholds(trd_min_failed_trials=bad)


# --- Input validation -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("indication", "depression"),
        ("route", "rectal"),
        ("sex", "unknown"),
        ("conditions", frozenset({"hypertension"})),
    ],
)
def test_unknown_codes_raise_naming_the_field_and_code(field, value):
    with pytest.raises(ValueError, match=field) as info:
        make(**{field: value})
    assert isinstance(info.value, InvalidCandidate)
    assert info.value.field == field
    shown = next(iter(value)) if isinstance(value, frozenset) else value
    assert repr(shown) in str(info.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("systolic_mmhg", 400),
        ("systolic_mmhg", -120),
        ("systolic_mmhg", 0),
        ("diastolic_mmhg", -5),
        ("diastolic_mmhg", 250),
        ("systolic_mmhg", math.nan),
        ("systolic_mmhg", "120"),
        ("systolic_mmhg", True),
        ("age_years", -1),
        ("age_years", 200),
        ("age_years", 45.5),
        ("age_years", True),
        ("failed_antidepressant_trials", -1),
        ("failed_antidepressant_trials", None),
        ("pregnant", "no"),
        ("breastfeeding", None),
    ],
)
def test_impossible_values_raise_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"^{field}:"):
        make(**{field: value})


def test_diastolic_at_or_above_systolic_is_impossible():
    with pytest.raises(ValueError, match=r"^diastolic_mmhg:"):
        make(systolic_mmhg=100, diastolic_mmhg=100)
    assert codes(systolic_mmhg=100, diastolic_mmhg=99) == ()


def test_bp_plausibility_bounds_are_inclusive():
    make(systolic_mmhg=300, diastolic_mmhg=200)
    make(systolic_mmhg=40, diastolic_mmhg=20)
    with pytest.raises(ValueError, match="systolic_mmhg"):
        make(systolic_mmhg=301)


@pytest.mark.parametrize("bad", ["lorazepam", b"x", 42, None])
def test_collections_must_be_collections_of_strings(bad):
    with pytest.raises(ValueError, match=r"^medications:"):
        make(medications=bad)


def test_collection_items_must_be_strings():
    with pytest.raises(ValueError, match=r"^conditions:"):
        make(conditions={1})


def test_blank_medication_name_is_rejected():
    with pytest.raises(ValueError, match=r"^medications:"):
        make(medications={" - "})


def test_sets_and_lists_are_stored_as_frozensets():
    c = make(conditions=["preeclampsia"], medications={"lorazepam"})
    assert c.conditions == frozenset({"preeclampsia"})
    assert isinstance(c.conditions, frozenset)
    assert isinstance(c.medications, frozenset)
    hash(c)
