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
* Blood pressure bounds (``vocabulary.PLAUSIBLE_*_MMHG``) are data-entry validation, not clinical thresholds.

The package is split by concept: ``rules`` (the §2 table and its thresholds), ``candidate`` (the validated input),
``medications`` (the drug-class table) and ``assessment`` (applying the table). The vocabulary names re-exported here
(``INDICATIONS``, ``ROUTES``, ``CONDITIONS``, ...) live in :mod:`ketaclinic.domain.vocabulary`.
"""

from __future__ import annotations

from ketaclinic.domain.eligibility.assessment import Assessment, Finding, assess
from ketaclinic.domain.eligibility.candidate import Candidate, InvalidCandidate
from ketaclinic.domain.eligibility.labels import CONDITION_LABELS, DRUG_CLASS_LABELS, FINDING_LABELS, label
from ketaclinic.domain.eligibility.medications import DRUG_CLASSES, drug_classes_of
from ketaclinic.domain.eligibility.rules import (
    DEFAULT_THRESHOLDS,
    LEVELS,
    RULES,
    STATUSES,
    EligibilityThresholds,
    Level,
    Rule,
    Status,
)
from ketaclinic.domain.vocabulary import (
    CONDITIONS,
    INDICATIONS,
    MAX_PLAUSIBLE_AGE_YEARS,
    PAIN_INDICATIONS,
    ROUTES,
    SEXES,
)

__all__ = [
    "CONDITIONS",
    "CONDITION_LABELS",
    "DEFAULT_THRESHOLDS",
    "DRUG_CLASSES",
    "DRUG_CLASS_LABELS",
    "FINDING_LABELS",
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
    "label",
]
