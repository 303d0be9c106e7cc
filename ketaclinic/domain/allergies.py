"""Is a drug one the patient is recorded as allergic to, by ingredient or by drug class?

The chair's rescue medications (ondansetron, promethazine, midazolam, lorazepam, clonidine, labetalol: clinical-rules.md
§4 "Rescue medications"), the plan's premedication (free text) and ketamine or esketamine itself are checked against
the allergies on the chart. A match is a hard stop that only a prescriber overrides with a written reason; this module
only finds the matches.

Class membership follows the WHO ATC classification (WHO Collaborating Centre for Drug Statistics Methodology, ATC
index) and, where a label states cross-sensitivity within the class, that label:

- 5-HT3 receptor antagonists, ATC A04AA: Zofran (ondansetron) US label §5.1, hypersensitivity "reported in patients who
  have exhibited hypersensitivity to other selective 5-HT3 receptor antagonists".
- ketamine and esketamine, ATC N01AX03 / N01AX14 (N06AX27): Spravato US label §4, contraindicated with "known
  hypersensitivity to esketamine, ketamine, or any of the excipients".
- benzodiazepines, ATC N05BA / N05CD / N03AE: Ativan (lorazepam) Injection US label, Contraindications, "known
  sensitivity to benzodiazepines".
- alpha-2 adrenergic agonists, ATC C02AC (clonidine, guanfacine), N05CM18 (dexmedetomidine), N02CX / lofexidine.
- phenothiazines, ATC R06AD / N05AA / N05AB: Phenergan (promethazine) US label, Contraindications, hypersensitivity "to
  promethazine or to other phenothiazines".
- opioids, ATC N02A (and N01AH anaesthetic opioids).
- NSAIDs, ATC M01A (and aspirin, N02BA01): NSAID US labels (e.g. ketorolac), Contraindications, allergic-type reactions
  "after taking aspirin or other NSAIDs".
- beta blockers, ATC C07 (labetalol C07AG01).

A name the tables do not know still matches an allergy to the same word (ingredient match); it just has no class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "CLASSES",
    "AllergyMatch",
    "DrugClass",
    "RecordedAllergy",
    "check",
    "describe",
    "ingredients_in",
]

ATC_SOURCE = "WHO ATC classification"


@dataclass(frozen=True)
class DrugClass:
    code: str
    name: str
    members: frozenset[str]
    aliases: tuple[str, ...]
    """Words that name the whole class in an allergy entry ("benzodiazepines", "NSAID"): matched as word prefixes."""
    source: str


CLASSES: tuple[DrugClass, ...] = (
    DrugClass(
        "5ht3_antagonists",
        "5-HT3 receptor antagonist",
        frozenset({"ondansetron", "granisetron", "dolasetron", "palonosetron", "tropisetron"}),
        ("5-ht3", "5ht3", "5 ht3", "setron", "serotonin antagonist", "serotonin receptor antagonist"),
        f"{ATC_SOURCE} A04AA; Zofran (ondansetron) US label §5.1 (cross-sensitivity with other 5-HT3 antagonists)",
    ),
    DrugClass(
        "ketamine",
        "ketamine (arylcyclohexylamine)",
        frozenset({"ketamine", "esketamine", "arketamine"}),
        ("arylcyclohexylamine",),
        f"{ATC_SOURCE} N01AX03, N01AX14; Spravato US label §4 (hypersensitivity to esketamine or ketamine)",
    ),
    DrugClass(
        "benzodiazepines",
        "benzodiazepine",
        frozenset(
            {
                "alprazolam",
                "chlordiazepoxide",
                "clobazam",
                "clonazepam",
                "diazepam",
                "lorazepam",
                "midazolam",
                "oxazepam",
                "remimazolam",
                "temazepam",
                "triazolam",
            }
        ),
        ("benzodiazepine", "benzos"),
        f"{ATC_SOURCE} N05BA, N05CD, N03AE; Ativan (lorazepam) Injection US label, Contraindications "
        "(known sensitivity to benzodiazepines)",
    ),
    DrugClass(
        "alpha2_agonists",
        "alpha-2 adrenergic agonist",
        frozenset({"clonidine", "dexmedetomidine", "guanfacine", "lofexidine"}),
        ("alpha-2", "alpha 2", "alpha2"),
        f"{ATC_SOURCE} C02AC, N05CM18; Precedex (dexmedetomidine) US label §12.1 (alpha-2 adrenergic agonist)",
    ),
    DrugClass(
        "phenothiazines",
        "phenothiazine",
        frozenset({"promethazine", "prochlorperazine", "chlorpromazine", "perphenazine", "trimeprazine"}),
        ("phenothiazine",),
        f"{ATC_SOURCE} R06AD, N05AA, N05AB; Phenergan (promethazine) US label, Contraindications "
        "(hypersensitivity to other phenothiazines)",
    ),
    DrugClass(
        "opioids",
        "opioid",
        frozenset(
            {
                "buprenorphine",
                "codeine",
                "fentanyl",
                "hydrocodone",
                "hydromorphone",
                "meperidine",
                "methadone",
                "morphine",
                "oxycodone",
                "oxymorphone",
                "remifentanil",
                "sufentanil",
                "tapentadol",
                "tramadol",
            }
        ),
        ("opioid", "opiate", "narcotic"),
        f"{ATC_SOURCE} N02A, N01AH (opioids)",
    ),
    DrugClass(
        "nsaids",
        "NSAID",
        frozenset(
            {
                "aspirin",
                "celecoxib",
                "diclofenac",
                "ibuprofen",
                "indomethacin",
                "ketorolac",
                "meloxicam",
                "naproxen",
            }
        ),
        ("nsaid", "non-steroidal anti-inflammatory", "nonsteroidal anti-inflammatory"),
        f"{ATC_SOURCE} M01A, N02BA01; NSAID US labels (e.g. ketorolac), Contraindications "
        "(allergic-type reactions after aspirin or other NSAIDs)",
    ),
    DrugClass(
        "beta_blockers",
        "beta blocker",
        frozenset({"atenolol", "carvedilol", "esmolol", "labetalol", "metoprolol", "propranolol"}),
        ("beta blocker", "beta-blocker", "betablocker"),
        f"{ATC_SOURCE} C07 (beta blocking agents; labetalol C07AG01)",
    ),
)

BRAND_NAMES = {
    "zofran": "ondansetron",
    "phenergan": "promethazine",
    "versed": "midazolam",
    "ativan": "lorazepam",
    "valium": "diazepam",
    "xanax": "alprazolam",
    "klonopin": "clonazepam",
    "catapres": "clonidine",
    "precedex": "dexmedetomidine",
    "ketalar": "ketamine",
    "spravato": "esketamine",
    "toradol": "ketorolac",
    "advil": "ibuprofen",
    "motrin": "ibuprofen",
    "trandate": "labetalol",
    "compazine": "prochlorperazine",
}
"""US brand names of the drugs above, so an allergy written as "Zofran" still matches ondansetron."""

KNOWN = frozenset().union(*(c.members for c in CLASSES))


@dataclass(frozen=True)
class RecordedAllergy:
    substance: str
    reaction: str = ""
    severity: str = ""


@dataclass(frozen=True)
class AllergyMatch:
    drug: str
    """The ingredient checked (lower case)."""
    allergy: RecordedAllergy
    basis: str
    """``ingredient`` (the same drug) or ``class`` (another drug of the same class)."""
    drug_class: str
    message: str
    source: str


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9\-]+", " ", text.lower()).split())


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


def _has_prefix(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}", text) is not None


def ingredients_in(text: str) -> tuple[str, ...]:
    """The known ingredients a free text names (generic or US brand name), in alphabetical order."""
    clean = _normalise(text)
    found = {name for name in KNOWN if _has_word(clean, name)}
    found |= {generic for brand, generic in BRAND_NAMES.items() if _has_word(clean, brand)}
    return tuple(sorted(found))


def describe(allergy: RecordedAllergy) -> str:
    """The allergy in words: "ondansetron (hives, severe)"."""
    details = [part for part in (allergy.reaction.strip(), allergy.severity.strip()) if part]
    return f"{allergy.substance.strip()} ({', '.join(details)})" if details else allergy.substance.strip()


def _class_of(drug: str, allergy_text: str, allergy_ingredients: Iterable[str]) -> DrugClass | None:
    for drug_class in CLASSES:
        if drug not in drug_class.members:
            continue
        if set(allergy_ingredients) & drug_class.members or any(
            _has_prefix(allergy_text, alias) for alias in drug_class.aliases
        ):
            return drug_class
    return None


def check(text: str, allergies: Sequence[RecordedAllergy]) -> tuple[AllergyMatch, ...]:
    """Every recorded allergy that a drug (or a free text naming drugs, like a premedication line) matches.

    An ingredient matches an allergy to the same ingredient; a known ingredient also matches an allergy to another
    member of its class or to the class by name. An unknown name matches an allergy whose substance it contains.
    """
    clean = _normalise(text)
    drugs = ingredients_in(text)
    matches: list[AllergyMatch] = []
    for allergy in allergies:
        allergy_text = _normalise(allergy.substance)
        if not allergy_text:
            continue
        allergy_ingredients = ingredients_in(allergy.substance)
        matched = False
        for drug in drugs:
            if drug in allergy_ingredients:
                matches.append(_match(drug, allergy, None))
                matched = True
                continue
            drug_class = _class_of(drug, allergy_text, allergy_ingredients)
            if drug_class is not None:
                matches.append(_match(drug, allergy, drug_class))
                matched = True
        if not matched and _has_word(clean, allergy_text):
            matches.append(_match(allergy_text, allergy, None))
    return tuple(matches)


def _match(drug: str, allergy: RecordedAllergy, drug_class: DrugClass | None) -> AllergyMatch:
    if drug_class is None:
        return AllergyMatch(
            drug,
            allergy,
            "ingredient",
            "",
            f"Recorded allergy: {describe(allergy)}. {drug.capitalize()} is that drug.",
            "the patient's allergy record",
        )
    return AllergyMatch(
        drug,
        allergy,
        "class",
        drug_class.name,
        f"Recorded allergy: {describe(allergy)}. {drug.capitalize()} is also a {drug_class.name} "
        "(same drug class: cross-sensitivity possible).",
        drug_class.source,
    )
