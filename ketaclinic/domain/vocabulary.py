"""The shared vocabulary of the domain and the apps: indications, routes, condition codes and plausibility bounds.

One place for the codes and bounds that several domain modules and several apps read, so none of them writes a list
twice and no domain module has to import another only for a constant. The codes are the closed vocabulary of
``shared/knowledge/clinical-rules.md`` §1 (an unknown code is an error wherever it is checked); the ``*_CHOICES``
lists pair each code with the label the screens show. The ``PLAUSIBLE_*`` bounds are data-entry validation chosen for
this software (a systolic of 400 mmHg is a typing error), not clinical thresholds: a value outside them is refused,
naming the field, and never becomes an alert. This module imports nothing from ketaclinic.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "CONDITIONS",
    "DEFAULT_JURISDICTION",
    "DEPRESSION_WITH_SUICIDAL_IDEATION",
    "DISCHARGE_SCORE_MAX",
    "ESKETAMINE_ROUTE",
    "INDICATIONS",
    "INDICATION_CHOICES",
    "IV_ROUTE",
    "JURISDICTIONS",
    "JURISDICTION_CHOICES",
    "MAX_PLAUSIBLE_AGE_YEARS",
    "PAIN_INDICATIONS",
    "PLAUSIBLE_DIASTOLIC_MMHG",
    "PLAUSIBLE_HEART_RATE_PER_MIN",
    "PLAUSIBLE_MOAAS",
    "PLAUSIBLE_RASS",
    "PLAUSIBLE_RESPIRATORY_RATE_PER_MIN",
    "PLAUSIBLE_SPO2_PERCENT",
    "PLAUSIBLE_SYSTOLIC_MMHG",
    "PLAUSIBLE_TEMPERATURE_C",
    "ROUTES",
    "ROUTE_CHOICES",
    "SEXES",
    "TREATMENT_RESISTANT_DEPRESSION",
]

# --- Patient ---------------------------------------------------------------------------------------------------------
SEXES: Final = ("male", "female")
"""Sex as used by the Devine ideal-body-weight formula (CONTRACTS §4.3)."""

MAX_PLAUSIBLE_AGE_YEARS: Final = 130
"""Data-entry validation for ``age_years`` (no one has lived past 122), not a clinical threshold."""

# --- Indications (clinical-rules.md §1) ------------------------------------------------------------------------------
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

INDICATION_CHOICES: Final = [
    ("treatment_resistant_depression", "Treatment-resistant depression"),
    ("major_depression", "Major depression"),
    ("depression_with_suicidal_ideation", "Depression with acute suicidal ideation"),
    ("crps", "Complex regional pain syndrome (CRPS)"),
    ("fibromyalgia", "Fibromyalgia"),
    ("neuropathic_pain", "Neuropathic pain"),
    ("spinal_cord_injury_pain", "Spinal cord injury pain"),
    ("cancer_pain", "Cancer pain"),
    ("postsurgical_pain", "Postsurgical pain"),
    ("other_chronic_pain", "Other chronic pain"),
]
"""(code, label) for every indication, in :data:`INDICATIONS` order: the choices of the intake and decision screens."""

TREATMENT_RESISTANT_DEPRESSION: Final = "treatment_resistant_depression"
"""TRD: ≥ 2 failed adequate antidepressant trials in the current episode (clinical-rules.md §2)."""
DEPRESSION_WITH_SUICIDAL_IDEATION: Final = "depression_with_suicidal_ideation"
"""MDD with acute suicidal ideation: the second esketamine indication (Spravato PI)."""

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

# --- Routes (clinical-rules.md §1) -----------------------------------------------------------------------------------
ROUTES: Final = ("iv", "im", "intranasal_esketamine", "intranasal", "oral", "sublingual")
"""Route codes (clinical-rules.md §1); ``intranasal`` is compounded racemic ketamine."""

ROUTE_CHOICES: Final = [
    ("iv", "IV infusion"),
    ("im", "IM injection"),
    ("intranasal_esketamine", "Esketamine nasal spray (Spravato)"),
    ("intranasal", "Intranasal ketamine (compounded racemic)"),
    ("oral", "Oral"),
    ("sublingual", "Sublingual"),
]
"""(code, label) for every route, in :data:`ROUTES` order: the choices of the intake and decision screens."""

IV_ROUTE: Final = "iv"
"""Intravenous infusion (or bolus): the only route that infuses."""
ESKETAMINE_ROUTE: Final = "intranasal_esketamine"
"""Esketamine nasal spray (Spravato): the route whose FDA label rules are hard stops."""

# --- Condition codes (clinical-rules.md §1) --------------------------------------------------------------------------
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
    "recent_cardiovascular_event",
    "genitourinary_symptoms",
)
"""Condition codes (clinical-rules.md §1 and the two added with the §2 rules of issue 16: a cardiovascular event
within 6 weeks, and lower urinary tract symptoms)."""

# --- Label jurisdiction (clinical-rules.md, "Label jurisdiction") ---------------------------------------------------
JURISDICTIONS: Final = ("us", "eu")
"""Which esketamine label a clinic follows: ``us`` = the FDA prescribing information (the default), ``eu`` = the EU/UK
summary of product characteristics (SmPC)."""
DEFAULT_JURISDICTION: Final = "us"
JURISDICTION_CHOICES: Final = (
    ("us", "United States: FDA prescribing information"),
    ("eu", "EU / UK: summary of product characteristics (SmPC)"),
)

# --- Data-entry plausibility bounds (inclusive) ----------------------------------------------------------------------
# Input validation, NOT clinical thresholds: a value outside these ranges is a typing or device error and raises
# ImplausibleVitals. The bounds are deliberately wide so that a real emergency value (an SpO2 of 60 %, a respiratory
# rate of 0 in apnoea, a systolic of 60 mmHg) is always accepted and alerts.
PLAUSIBLE_SYSTOLIC_MMHG: Final = (40, 300)
"""Systolic BP accepted at data entry, mmHg (400 is a typing error)."""
PLAUSIBLE_DIASTOLIC_MMHG: Final = (20, 200)
"""Diastolic BP accepted at data entry, mmHg; it must also be below the systolic of the same reading."""
PLAUSIBLE_HEART_RATE_PER_MIN: Final = (20, 300)
"""Heart rate accepted at data entry, beats/min (0 and 400 are rejected)."""
PLAUSIBLE_SPO2_PERCENT: Final = (50, 100)
"""SpO2 accepted at data entry, %. Over 100 is impossible; finger oximeters are not credible below 50 % (re-seat the
probe and re-measure)."""
PLAUSIBLE_RESPIRATORY_RATE_PER_MIN: Final = (0, 80)
"""Respiratory rate accepted at data entry, breaths/min (0 = apnoea is real and must alert; over 80 is an error)."""
PLAUSIBLE_TEMPERATURE_C: Final = (25, 45)
"""Body temperature accepted at data entry, °C."""
PLAUSIBLE_MOAAS: Final = (0, 5)
"""MOAA/S range (Chernik 1990; knowledge/instruments.md "moaas")."""
PLAUSIBLE_RASS: Final = (-5, 4)
"""RASS range (Sessler 2002; knowledge/instruments.md "rass")."""
DISCHARGE_SCORE_MAX: Final = 10
"""Both the modified Aldrete and PADSS totals run 0-10 (knowledge/instruments.md)."""
