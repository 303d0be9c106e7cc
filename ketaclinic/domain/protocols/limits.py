"""The closed vocabularies and hard limits a protocol is validated against.

Severities, dosing-weight bases, limit names, the session-rule vocabularies and the **hard limits** no clinic setting
can loosen: the IV low-dose ceilings (Pennsylvania low-dose ketamine guideline 2020; clinical-rules.md §3) and the
Spravato label rules (one device = 28 mg, doses 28/56/84 mg only, fasting before dosing, observation ≥ 120 min after
it; Spravato PI, clinical-rules.md §3-§4). Monitoring reads the observation minimum from here as well.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Final, Literal

__all__ = [
    "ABSOLUTE_MAXIMA",
    "ESKETAMINE_ALLOWED_DOSES_MG",
    "ESKETAMINE_DEVICE_MG",
    "ESKETAMINE_FASTING_FOOD_MIN",
    "ESKETAMINE_FASTING_LIQUIDS_MIN",
    "ESKETAMINE_MIN_OBSERVATION_MIN",
    "LABEL_ANAESTHETIC_IM_MG_PER_KG",
    "LABEL_ANAESTHETIC_IV_BOLUS_MG_PER_KG",
    "LABEL_ANAESTHETIC_IV_RATE_MG_PER_KG_PER_MIN",
    "LABEL_ANAESTHETIC_SOURCE",
    "LIMIT_NAMES",
    "LOW_DOSE_BOLUS_CEILING_MG_PER_KG",
    "LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H",
    "MIN_SEVERITY",
    "NOT_OVERRIDABLE",
    "PREDOSE_MEASURES",
    "REGULATORY_STATUSES",
    "RULE_BASES",
    "SEDATION_SCALES",
    "SEVERITIES",
    "WEIGHT_BASES",
    "Severity",
]

Severity = Literal["caution", "override_allowed", "hard_stop"]
SEVERITIES: Final[tuple[Severity, ...]] = ("caution", "override_allowed", "hard_stop")
"""Least to most blocking: ``caution`` informs; ``override_allowed`` blocks unless a prescriber records a reason;
``hard_stop`` blocks (label rules)."""

WEIGHT_BASES: Final = ("total", "ideal", "adjusted")
"""Dosing-weight bases (clinical-rules.md §3 "Dosing weight")."""

REGULATORY_STATUSES: Final = ("label", "off_label")
"""``label``: FDA label rules (esketamine), encoded as hard stops; ``off_label``: consensus defaults (§ intro)."""

LIMIT_NAMES: Final = (
    "dose_range",
    "infusion_mg_per_kg_per_h_max",
    "bolus_mg_per_kg_max",
    "rate_mg_per_kg_per_h_max",
    "rate_mg_per_h_max",
    "daily_mg_max",
    "course_mg_max",
    "allowed_doses_mg",
)
"""The limits a protocol may set; each one present needs a severity in ``limit_severity``."""

LOW_DOSE_INFUSION_CEILING_MG_PER_KG_PER_H: Final = Decimal("1")
"""Hard ceiling for IV infusion protocols: ≤ 1 mg/kg/h (Pennsylvania low-dose ketamine guideline 2020; §3)."""
LOW_DOSE_BOLUS_CEILING_MG_PER_KG: Final = Decimal("0.5")
"""Hard ceiling for an IV bolus: ≤ 0.5 mg/kg (Pennsylvania low-dose ketamine guideline 2020; §3)."""
LABEL_ANAESTHETIC_SOURCE: Final = (
    "Ketalar US label §2.2: IV induction 1–4.5 mg/kg (alternatively 1–2 mg/kg at 0.5 mg/kg/min), "
    "IM induction 6.5–13 mg/kg"
)
"""Where the absolute maxima come from: the anaesthetic (induction) doses of the Ketalar US label."""
LABEL_ANAESTHETIC_IV_BOLUS_MG_PER_KG: Final = Decimal("1")
"""An IV bolus of 1 mg/kg or more is an anaesthetic induction dose (Ketalar US label §2.2: 1–4.5 mg/kg). Never
signable."""
LABEL_ANAESTHETIC_IV_RATE_MG_PER_KG_PER_MIN: Final = Decimal("0.5")
"""IV ketamine delivered at 0.5 mg/kg/min or faster is the label's induction rate (Ketalar US label §2.2: 1–2 mg/kg at
0.5 mg/kg/min). Never signable."""
LABEL_ANAESTHETIC_IM_MG_PER_KG: Final = Decimal("6.5")
"""An IM dose of 6.5 mg/kg or more is an anaesthetic induction dose (Ketalar US label §2.2: 6.5–13 mg/kg). Never
signable."""
ABSOLUTE_MAXIMA: Final[Mapping[str, tuple[str, Decimal]]] = MappingProxyType(
    {
        "absolute_bolus_mg_per_kg": ("iv", LABEL_ANAESTHETIC_IV_BOLUS_MG_PER_KG),
        "absolute_rate_mg_per_kg_per_min": ("iv", LABEL_ANAESTHETIC_IV_RATE_MG_PER_KG_PER_MIN),
        "absolute_im_mg_per_kg": ("im", LABEL_ANAESTHETIC_IM_MG_PER_KG),
    }
)
"""The protocol fields holding the absolute maximum (a dose at or above it is never signable, no override passes),
the route each belongs to, and the label figure no clinic may raise it above (a clinic may lower it)."""
ESKETAMINE_DEVICE_MG: Final = Decimal("28")
"""One Spravato device = 28 mg (one spray per nostril) (Spravato PI; §3)."""
ESKETAMINE_ALLOWED_DOSES_MG: Final = (Decimal("28"), Decimal("56"), Decimal("84"))
"""The only esketamine doses (Spravato PI; §3): 28 mg (≥ 65 only), 56 mg, 84 mg; anything else is rejected."""

MIN_SEVERITY: Final[Mapping[str, Severity]] = MappingProxyType(
    {
        "infusion_mg_per_kg_per_h_max": "override_allowed",
        "bolus_mg_per_kg_max": "override_allowed",
        "allowed_doses_mg": "hard_stop",
    }
)
"""Severity floors: the low-dose ceiling blocks unless overridden (§3); esketamine doses are a label hard stop."""

ESKETAMINE_FASTING_FOOD_MIN: Final = 120
"""Esketamine: no food for 2 h before dosing (Spravato PI; clinical-rules.md §3). Protocols may ask for longer."""
ESKETAMINE_FASTING_LIQUIDS_MIN: Final = 30
"""Esketamine: no liquids for 30 min before dosing (Spravato PI; clinical-rules.md §3)."""
ESKETAMINE_MIN_OBSERVATION_MIN: Final = 120
"""Esketamine: observe ≥ 2 h after dosing (clinical-rules.md §3-§4; Spravato PI / REMS). A label rule: protocols may
raise it, never lower it."""


PREDOSE_MEASURES: Final = ("phq9", "gad7", "qids_sr16", "pain_nrs", "peg", "bpi")
"""Scales a protocol may ask for before each session (clinical-rules.md §5 "Measurement cadence": PHQ-9, GAD-7, a pain
score for pain patients). Their scoring is ``domain.instruments``."""

SEDATION_SCALES: Final = ("moaas", "rass")
"""The sedation scale read with each set of vitals: MOAA/S (Chernik 1990) or RASS (Sessler 2002) (§4 alert table)."""

RULE_BASES: Final = ("label", "clinic_policy")
"""Where a session rule comes from: ``label`` (the Spravato PI, cited) or ``clinic_policy`` (no cited figure in the
knowledge files: a default the clinic sets for itself, shown as such)."""

NOT_OVERRIDABLE: Final = frozenset({"id", "route", "regulatory", "indications", "sources", "esketamine"})
"""Fields a clinic override may not change (identity, and the Spravato label regimen)."""
