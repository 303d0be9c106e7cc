"""The words a clinician reads for each code of the eligibility vocabulary (clinical-rules.md §1-§2).

Codes are what is stored and what the API carries (CONTRACTS.md §4.4: fixed); screens show these labels instead.
``label(code)`` knows indications, routes, condition codes, finding codes and drug classes; an unknown code raises
``ValueError`` (as everywhere in the vocabulary).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from ketaclinic.domain.vocabulary import INDICATION_CHOICES, ROUTE_CHOICES

__all__ = ["CONDITION_LABELS", "DRUG_CLASS_LABELS", "FINDING_LABELS", "label"]

CONDITION_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "aneurysmal_vascular_disease": "Aneurysmal vascular disease",
        "arteriovenous_malformation": "Arteriovenous malformation (AVM)",
        "intracerebral_hemorrhage_history": "History of intracerebral haemorrhage",
        "ketamine_hypersensitivity": "Hypersensitivity to ketamine or esketamine",
        "uncontrolled_hypertension": "Uncontrolled hypertension",
        "poorly_controlled_cardiovascular_disease": "Poorly controlled cardiovascular disease",
        "active_psychosis": "Active psychosis",
        "psychotic_disorder_history": "History of a psychotic disorder",
        "bipolar_without_mood_stabilizer": "Bipolar disorder without a mood stabiliser",
        "active_substance_use_disorder": "Active substance use disorder",
        "severe_hepatic_impairment": "Severe hepatic impairment",
        "moderate_hepatic_impairment": "Moderate hepatic impairment",
        "elevated_intracranial_pressure": "Raised intracranial pressure",
        "elevated_intraocular_pressure": "Raised intraocular pressure (e.g. glaucoma)",
        "preeclampsia": "Pre-eclampsia",
        "untreated_hyperthyroidism": "Untreated hyperthyroidism",
        "recent_suicide_attempt": "Suicide attempt within the last 3 months",
        "recent_cardiovascular_event": "Heart attack or other cardiovascular event within the last 6 weeks",
        "genitourinary_symptoms": (
            "Bladder symptoms: urgency, frequency, pain passing urine, blood in urine, bladder pain"
        ),
    }
)
"""Every condition code, in the vocabulary's order."""

FINDING_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        **CONDITION_LABELS,
        "age_under_18": "Under 18 (adult service)",
        "pregnancy": "Pregnancy",
        "breastfeeding": "Breastfeeding",
        "esketamine_bp_above_140_90": "Blood pressure above 140/90 before esketamine",
        "trd_criteria_not_met": "Treatment-resistant depression criteria not met",
        "esketamine_outside_label": "Esketamine outside its approved indications",
        "benzodiazepine": "Benzodiazepine",
        "cns_depressant": "Other sedating medicine (opioid, Z-drug, sedative-hypnotic)",
        "maoi_blood_pressure": "MAO inhibitor: blood pressure",
        "stimulant_blood_pressure": "Psychostimulant: blood pressure",
        "lamotrigine": "Lamotrigine",
        "other_nmda_antagonist": "Another NMDA antagonist",
        "naltrexone": "Naltrexone",
        "cyp_interaction": "CYP3A4/2B6 interaction",
        "weak_evidence_for_indication": "Weak evidence for this indication",
        "esketamine_age_65_plus": "Esketamine at 65 or over",
        "theophylline_seizure_threshold": "Theophylline or aminophylline: seizure threshold",
        "sympathomimetic_vital_signs": "Sympathomimetic or vasopressin: watch the vital signs",
        "alcohol_cns_depression": "Alcohol: added sedation",
        "baseline_liver_tests": "Liver tests before a series",
    }
)
"""Every finding code of the rule table (the condition findings carry the condition's label)."""

DRUG_CLASS_LABELS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "benzodiazepine": "Benzodiazepine",
        "z_drug": "Z-drug (sleep medicine)",
        "opioid": "Opioid",
        "barbiturate": "Barbiturate",
        "maoi": "MAO inhibitor",
        "psychostimulant": "Psychostimulant",
        "nmda_antagonist": "NMDA antagonist",
        "cyp_inducer": "CYP3A4/2B6 inducer",
        "cyp_inhibitor": "CYP3A4/2B6 inhibitor",
        "lamotrigine": "Lamotrigine",
        "naltrexone": "Naltrexone",
        "methylxanthine": "Theophylline or aminophylline",
        "sympathomimetic": "Sympathomimetic or vasopressin (decongestants included)",
        "alcohol": "Alcohol",
    }
)
"""Every drug class of the class table."""

_ALL: Final[Mapping[str, str]] = MappingProxyType(
    {**DRUG_CLASS_LABELS, **FINDING_LABELS, **dict(ROUTE_CHOICES), **dict(INDICATION_CHOICES)}
)


def label(code: str) -> str:
    """The clinician's words for an indication, route, condition, finding or drug-class code."""
    try:
        return _ALL[code]
    except KeyError:
        raise ValueError(f"unknown code {code!r}") from None
