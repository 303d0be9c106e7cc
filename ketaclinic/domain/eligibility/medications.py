"""Medications: the drug-class table of clinical-rules.md §2 and the caution findings it yields.

Medications are generic names, matched case-insensitively against :data:`DRUG_CLASSES`; a name not in the table is
accepted and yields no finding. Names are normalised before lookup: case-folded, apostrophes and full stops removed,
hyphens and underscores read as spaces, runs of spaces collapsed ("St. John's Wort" → "st johns wort"). One finding per
code: CYP3A4/2B6 inducers and inhibitors are one ``cyp_interaction`` finding whose message says which drug raises and
which lowers ketamine exposure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

__all__ = ["DRUG_CLASSES", "drug_classes_of"]

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
        "methylxanthine": frozenset({"theophylline", "aminophylline"}),
        "sympathomimetic": frozenset(
            {"pseudoephedrine", "phenylephrine", "ephedrine", "epinephrine", "norepinephrine", "vasopressin"}
        ),
        "alcohol": frozenset({"alcohol", "ethanol"}),
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
    "methylxanthine": "theophylline or aminophylline",
    "sympathomimetic": "sympathomimetic or vasopressin",
    "alcohol": "alcohol",
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
        "theophylline_seizure_threshold",
        ("methylxanthine",),
        "Theophylline or aminophylline ({drugs}): the Ketalar label says do not give with ketamine (it may lower the "
        "seizure threshold); needs prescriber review.",
    ),
    (
        "sympathomimetic_vital_signs",
        ("sympathomimetic",),
        "Sympathomimetic or vasopressin ({drugs}, decongestants included): ketamine's blood-pressure and heart-rate "
        "rise may add up; monitor vital signs closely.",
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
