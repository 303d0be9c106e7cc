"""Opioid morphine milligram equivalents (MME) per day and the CDC 2022 dosage and naloxone prompts (CONTRACTS §10).

Pure Python. Sources (shared/knowledge/pain.md §1–§2):

- Conversion factors: Dowell D, Ragan KR, Jones CM, Baldwin GT, Chou R. "CDC Clinical Practice Guideline for
  Prescribing Opioids for Pain — United States, 2022." MMWR Recomm Rep 2022;71(No. RR-3), Table "Morphine milligram
  equivalent doses for commonly prescribed opioids for pain management" (factors adapted from Von Korff et al., Clin J
  Pain 2008 and Nielsen et al., Pharmacoepidemiol Drug Saf 2016). All doses are mg/day except transdermal fentanyl,
  which is the patch strength in mcg/h. Older tables (hydromorphone 4, methadone 3 or tiered, tramadol 0.1) are stale.
- The 50 and 90 MME/day prompts: the CDC 2022 opioid clinical-decision-support implementation guide (Recommendations
  4 and 5) fires at ≥ 50 MME/day and separates ≥ 90 MME/day; the 2016 guideline advised avoiding increases to ≥ 90.
  They are decision-support parameters, not legal limits: both are keyword parameters.
- Naloxone: CDC 2022 Recommendation 8 ("… including offering naloxone").

MME per drug = daily dose × factor, kept exact (every factor has at most two decimals); ``display`` rounds to one
decimal as the CDC computable guideline does (``Round(dailyDose × factor, 1)``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ketaclinic.domain import outcomes

__all__ = [
    "CDC_2022_SOURCE",
    "FACTORS",
    "FOOTNOTED",
    "GENERAL_CAUTIONS",
    "IMMPACT_SOURCE",
    "MCG_PER_HOUR",
    "MG_PER_DAY",
    "MME_HIGH_AT",
    "MME_REASSESS_AT",
    "NALOXONE_SOURCE",
    "Caution",
    "MmeResult",
    "Opioid",
    "Prompt",
    "display",
    "display_name",
    "dose_prompts",
    "identify_opioid",
    "meaningful_targets",
    "mme_per_day",
    "naloxone_prompt",
    "unit_for",
]

MG_PER_DAY: Final = "mg/day"
MCG_PER_HOUR: Final = "mcg/h"

CDC_2022_SOURCE: Final = (
    "CDC Clinical Practice Guideline for Prescribing Opioids for Pain, 2022 (Dowell et al., MMWR Recomm Rep "
    "2022;71(RR-3)), MME table"
)
THRESHOLD_SOURCE: Final = (
    "CDC 2022 guideline, Recommendations 4 and 5, as implemented in CDC's opioid clinical-decision-support guide "
    "(prompt at ≥ 50 MME/day; ≥ 90 separated); 2016 guideline: avoid increasing to ≥ 90 MME/day"
)
NALOXONE_SOURCE: Final = "CDC 2022 guideline, Recommendation 8 (Dowell et al., MMWR Recomm Rep 2022;71(RR-3))"


@dataclass(frozen=True, slots=True)
class Opioid:
    key: str
    label: str
    factor: Decimal
    unit: str


# CDC 2022 MME table (Dowell et al. 2022), in the table's order.
FACTORS: Final[dict[str, Opioid]] = {
    o.key: o
    for o in (
        Opioid("codeine", "Codeine", Decimal("0.15"), MG_PER_DAY),
        Opioid("fentanyl transdermal", "Fentanyl transdermal patch", Decimal("2.4"), MCG_PER_HOUR),
        Opioid("hydrocodone", "Hydrocodone", Decimal("1.0"), MG_PER_DAY),
        Opioid("hydromorphone", "Hydromorphone", Decimal("5.0"), MG_PER_DAY),
        Opioid("methadone", "Methadone", Decimal("4.7"), MG_PER_DAY),
        Opioid("morphine", "Morphine", Decimal("1.0"), MG_PER_DAY),
        Opioid("oxycodone", "Oxycodone", Decimal("1.5"), MG_PER_DAY),
        Opioid("oxymorphone", "Oxymorphone", Decimal("3.0"), MG_PER_DAY),
        Opioid("tapentadol", "Tapentadol", Decimal("0.4"), MG_PER_DAY),
        Opioid("tramadol", "Tramadol", Decimal("0.2"), MG_PER_DAY),
    )
}

_UNIT_SPELLINGS: Final[dict[str, str]] = {
    "mg/day": MG_PER_DAY,
    "mg/d": MG_PER_DAY,
    "mg": MG_PER_DAY,
    "mcg/h": MCG_PER_HOUR,
    "mcg/hr": MCG_PER_HOUR,
    "µg/h": MCG_PER_HOUR,
    "microgram/h": MCG_PER_HOUR,
}


# The 2022 table marks tapentadol (†) and tramadol (§) with footnotes whose text was not retrieved (pain.md §1,
# VERIFY): the chart says so next to them instead of guessing the text.
FOOTNOTED: Final = frozenset({"tapentadol", "tramadol"})


@dataclass(frozen=True, slots=True)
class Caution:
    code: str
    text: str
    source: str


# The table's cautions, quoted (Dowell et al. 2022, MME table notes).
GENERAL_CAUTIONS: Final = (
    Caution(
        "estimate",
        "Equianalgesic dose conversions are only estimates and cannot account for individual variability in genetics "
        "and pharmacokinetics.",
        CDC_2022_SOURCE,
    ),
    Caution(
        "not_for_conversion",
        "Do not use the calculated dose in MMEs to determine the doses to use when converting one opioid to another; "
        "the new opioid is typically dosed at a substantially lower dose than the calculated MME dose.",
        CDC_2022_SOURCE,
    ),
)

_DRUG_CAUTIONS: Final[dict[str, Caution]] = {
    "methadone": Caution(
        "methadone",
        "Use particular caution with methadone dose conversions because methadone has a long and variable half-life, "
        "and peak respiratory depressant effect occurs later and lasts longer than peak analgesic effect.",
        CDC_2022_SOURCE,
    ),
    "fentanyl transdermal": Caution(
        "fentanyl_transdermal",
        "Use particular caution with transdermal fentanyl because it is dosed in mcg/hr instead of mg/day.",
        CDC_2022_SOURCE,
    ),
}


@dataclass(frozen=True, slots=True)
class MmeResult:
    """``total`` and ``per_drug`` in MME/day (exact); ``flags`` = the drug-specific cautions that apply."""

    total: Decimal
    per_drug: dict[str, Decimal]
    flags: tuple[Caution, ...]


@dataclass(frozen=True, slots=True)
class Prompt:
    code: str
    level: str  # "info" or "warning"
    text: str
    source: str


def identify_opioid(name: str) -> str | None:
    """The table key for a medication name, or ``None`` when the name is not one of the table's opioids.

    Matches the table's drug name as a whole word, so "Oxycodone ER" and "oxycodone/acetaminophen" are oxycodone. The
    table has only the transdermal fentanyl row: "fentanyl" alone, or with "patch" or "transdermal", is the patch (its
    dose in mcg/h); any other fentanyl product (buccal, nasal, injection …) is not in the table."""
    words = name.lower().replace("/", " ").replace("-", " ").split()
    if "fentanyl" in words:
        return "fentanyl transdermal" if set(words) <= _FENTANYL_PATCH_WORDS else None
    for key in FACTORS:
        if key in words:
            return key
    return None


_FENTANYL_PATCH_WORDS: Final = frozenset({"fentanyl", "transdermal", "patch", "td", "system"})


#: Formulation abbreviations written in capitals on screen ("oxycodone er" → "Oxycodone ER").
FORMULATION_ABBREVIATIONS: Final = frozenset({"er", "ir", "sr", "cr", "xr", "xl", "la", "er/la", "odt", "td"})


def display_name(name: str) -> str:
    """A medication name as stored (lower case) for the screen: first letter capital, formulation abbreviations in
    capitals, the rest unchanged ("oxycodone er" → "Oxycodone ER")."""
    words = [word.upper() if word in FORMULATION_ABBREVIATIONS else word for word in name.strip().split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def unit_for(name: str) -> str:
    """The unit the table multiplies for this opioid. Raises ``ValueError`` for a name not in the table."""
    return FACTORS[_key(name)].unit


def _key(name: str) -> str:
    key = identify_opioid(name)
    if key is None:
        known = ", ".join(sorted(FACTORS))
        raise ValueError(f"{name!r} is not in the CDC 2022 MME table; the table covers: {known}.")
    return key


def _unit(spelling: str) -> str:
    unit = _UNIT_SPELLINGS.get(spelling.strip().lower().replace(" ", ""))
    if unit is None:
        raise ValueError(f"Unknown dose unit {spelling!r}: use mg/day, or mcg/h for a fentanyl patch.")
    return unit


def _line(item: Sequence[object]) -> tuple[str, Decimal]:
    if len(item) not in (2, 3):
        raise ValueError("Each item is (opioid, daily dose) or (opioid, daily dose, unit).")
    name, dose = item[0], item[1]
    if not isinstance(name, str):
        raise ValueError("The opioid must be named as text.")
    key = _key(name)
    opioid = FACTORS[key]
    if isinstance(dose, bool) or not isinstance(dose, Decimal | int):
        raise ValueError(f"The dose of {opioid.label} must be a Decimal (mg/day, or mcg/h for a fentanyl patch).")
    amount = Decimal(dose)
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"The dose of {opioid.label} must be a positive number.")
    if len(item) == 3:
        spelling = item[2]
        if not isinstance(spelling, str):
            raise ValueError("The unit must be text, e.g. 'mg/day' or 'mcg/h'.")
        unit = _unit(spelling)
        if unit != opioid.unit:
            if opioid.unit == MCG_PER_HOUR:
                raise ValueError(
                    "A fentanyl patch is entered as its strength in mcg/h (e.g. 25 mcg/h), not in mg: the CDC 2022 "
                    "table multiplies the patch strength in mcg/h by 2.4."
                )
            raise ValueError(f"{opioid.label} is entered in mg/day (the CDC 2022 table's unit), not {spelling}.")
    return key, amount * opioid.factor


def mme_per_day(items: Iterable[Sequence[object]]) -> MmeResult:
    """Total MME/day of an opioid list.

    ``items``: ``(name, daily dose)`` or ``(name, daily dose, unit)``; the dose is mg/day, or the patch strength in
    mcg/h for transdermal fentanyl. The same opioid twice (e.g. extended- and immediate-release) is summed. Raises
    ``ValueError`` for an opioid not in the table, a non-positive dose, or a dose in the wrong unit (a fentanyl patch
    in mg)."""
    per_drug: dict[str, Decimal] = {}
    for item in items:
        key, mme = _line(item)
        per_drug[key] = per_drug.get(key, Decimal(0)) + mme
    flags = tuple(_DRUG_CAUTIONS[key] for key in per_drug if key in _DRUG_CAUTIONS)
    return MmeResult(total=sum(per_drug.values(), Decimal(0)), per_drug=per_drug, flags=flags)


def display(mme: Decimal) -> Decimal:
    """One decimal place, half up (CDC opioid-CDS: ``Round(dailyDose × factor, 1)``)."""
    return mme.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


MME_REASSESS_AT: Final = Decimal(50)
MME_HIGH_AT: Final = Decimal(90)


def dose_prompts(
    total: Decimal, *, reassess_at: Decimal = MME_REASSESS_AT, high_at: Decimal = MME_HIGH_AT
) -> tuple[Prompt, ...]:
    """The dosage prompts for a total MME/day: none below ``reassess_at``; one at or above it; a stronger one at or
    above ``high_at`` (thresholds are decision-support parameters — a clinic may set its own)."""
    if reassess_at >= high_at:
        raise ValueError("The reassessment threshold must be below the high-dose threshold.")
    if total >= high_at:
        return (
            Prompt(
                "mme_high",
                "warning",
                f"{display(total)} MME/day is at or above {high_at}: review the benefits and risks of continuing. "
                "If tapering, do not stop abruptly or reduce rapidly from higher dosages unless there are warning "
                "signs of impending overdose (Recommendation 5).",
                THRESHOLD_SOURCE,
            ),
        )
    if total >= reassess_at:
        return (
            Prompt(
                "mme_reassess",
                "info",
                f"{display(total)} MME/day is at or above {reassess_at}: carefully evaluate individual benefits and "
                "risks before increasing the dosage (Recommendation 4).",
                THRESHOLD_SOURCE,
            ),
        )
    return ()


def naloxone_prompt(
    total: Decimal,
    *,
    naloxone_documented: bool,
    on_opioid_therapy: bool = True,
    warn_at: Decimal = MME_REASSESS_AT,
) -> Prompt | None:
    """Offer naloxone to a patient on opioid therapy unless naloxone is already documented (Recommendation 8); a
    warning rather than information from ``warn_at`` MME/day — the clinic's reassessment threshold (default
    ``MME_REASSESS_AT``, the CDC opioid-CDS trigger). ``total`` may be 0 when no daily dose is known yet."""
    if warn_at <= 0:
        raise ValueError("The naloxone warning threshold is a positive MME/day.")
    if not on_opioid_therapy or naloxone_documented:
        return None
    high = total >= warn_at
    return Prompt(
        "naloxone",
        "warning" if high else "info",
        "Patient is on opioid therapy and no naloxone is on the medication list: evaluate the risk of opioid-related "
        "harms and offer naloxone (Recommendation 8)."
        + (
            f" {display(total)} MME/day is at or above the clinic's reassessment threshold of {warn_at}."
            if high
            else ""
        ),
        NALOXONE_SOURCE,
    )


IMMPACT_SOURCE: Final = "IMMPACT (Dworkin et al., J Pain 2008;9:105–121)"


def meaningful_targets(baseline: Decimal) -> tuple[Decimal, Decimal]:
    """The pain scores (NRS or PEG, 0–10) at or below which the reduction from ``baseline`` is moderately (≥ 30 %) and
    substantially (≥ 50 %) important (IMMPACT, Dworkin et al. 2008; ``domain.outcomes`` constants), two decimals."""
    if not Decimal(0) <= baseline <= Decimal(10):
        raise ValueError("A pain baseline is on the 0–10 scale.")
    step = Decimal("0.01")

    def at(pct: float) -> Decimal:
        return (baseline * (Decimal(100) - Decimal(str(pct))) / Decimal(100)).quantize(step, rounding=ROUND_HALF_UP)

    return at(outcomes.PAIN_MODERATE_IMPROVEMENT_MIN_PCT), at(outcomes.PAIN_SUBSTANTIAL_IMPROVEMENT_MIN_PCT)
