"""Building blocks shared by every rating scale: definitions, scores, validation and banding.

Nothing here knows a clinical number; each instrument module (``phq9.py``, ``bpi.py``...) declares its items, bands
and flags with the citation from ``shared/knowledge/instruments.md`` and uses these helpers to validate and score.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, SupportsIndex, TypeVar, cast

__all__ = [
    "DISCHARGE_READY",
    "LICENCE_NOT_STATED",
    "SUICIDALITY",
    "Instrument",
    "IntAnswers",
    "InvalidAnswers",
    "Item",
    "Problem",
    "Score",
    "UnknownInstrument",
    "band_for",
    "collect_answers",
    "numbered_options",
    "required_ints",
    "validate_int_answers",
    "whole_number_setting",
]

V = TypeVar("V")

#: What ``validate_int_answers`` returns: one value per item, ``None`` only for an unanswered optional item.
IntAnswers = tuple[int | None, ...]


def _no_codes() -> Mapping[str, str]:
    return MappingProxyType({})


def _no_subscales() -> Mapping[str, float | None]:
    return MappingProxyType({})


def numbered_options(low: int, high: int, anchors: Mapping[int, str] | None = None) -> tuple[tuple[int, str], ...]:
    """Options ``low..high`` labelled with the anchor where one is given, otherwise with the bare number.

    Used where the knowledge file gives no (or only some) anchor wording, or where the licence forbids reproducing
    it: the clinic's own licensed form supplies the full wording.
    """
    named = anchors or {}
    return tuple((value, named.get(value, str(value))) for value in range(low, high + 1))


@dataclass(frozen=True, slots=True)
class Item:
    """One question of an instrument.

    Attributes
    ----------
    number:
        1-based position in the published item order (the order ``answers`` must follow).
    key:
        Stable machine name (``"worst"``, ``"q6_within_3_months"``), used for storage and local codes.
    label:
        Short label used in error messages and where the licence forbids the full text.
    text:
        Full item text where the instrument is free to reproduce (PHQ-9, GAD-7, QIDS-SR16); otherwise the short label.
    options:
        ``(value, label)`` pairs, lowest value first. C-SSRS uses ``(True, "Yes"), (False, "No")``.
    code:
        LOINC code of the item, or ``None`` where the knowledge file gives none.
    required:
        ``False`` where ``None`` is an accepted answer (BPI interference items, PHQ-9 difficulty question,
        PADSS bleeding, C-SSRS skip logic is handled by that module).
    scored:
        ``False`` for items recorded but not scored (the PHQ-9 difficulty question).
    default:
        Value used when an optional item is left ``None`` (PADSS bleeding defaults to 2); ``None`` keeps it unanswered.
    """

    number: int
    key: str
    label: str
    text: str
    options: tuple[tuple[int, str], ...]
    code: str | None = None
    required: bool = True
    scored: bool = True
    default: int | None = None

    @property
    def values(self) -> tuple[int, ...]:
        """Allowed answer values in option order."""
        return tuple(value for value, _ in self.options)

    @property
    def low(self) -> int:
        """Smallest allowed answer value."""
        return min(self.values)

    @property
    def high(self) -> int:
        """Largest allowed answer value."""
        return max(self.values)

    def describe(self) -> str:
        """``item 9 (Thoughts of death or self-harm)``: how error messages name the item."""
        return f"item {self.number} ({self.label})"


@dataclass(frozen=True)
class Instrument:
    """Definition of a rating scale: items, scoring metadata, codes and provenance.

    ``bands`` are ``(lower_bound, name)`` pairs in ascending order: the band of a total is the name of the last
    pair whose lower bound is ``<=`` the total. An instrument without a validated cut-off has no bands (band ``None``).
    ``total_range`` is the closed range of the headline total. ``unverified_codes`` lists codes the knowledge file
    marks VERIFY, so an interop layer can refuse or flag them.
    """

    id: str
    name: str
    items: tuple[Item, ...]
    source: str
    licence_note: str
    total_range: tuple[float, float]
    bands: tuple[tuple[float, str], ...] = ()
    triage_bands: tuple[str, ...] = ()
    recall_period: str | None = None
    instructions: str | None = None
    loinc_panel: str | None = None
    loinc_total: str | None = None
    band_code: str | None = None
    answer_codes: tuple[tuple[int, str], ...] = ()
    subscale_names: tuple[str, ...] = ()
    subscale_codes: Mapping[str, str] = field(default_factory=_no_codes, hash=False)
    flag_names: frozenset[str] = frozenset()
    unverified_codes: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "subscale_codes", MappingProxyType(dict(self.subscale_codes)))

    @property
    def band_names(self) -> tuple[str, ...]:
        """Every band string the instrument can return, least to most severe (empty when band is always ``None``)."""
        return self.triage_bands or tuple(name for _, name in self.bands)

    @property
    def item_codes(self) -> tuple[str | None, ...]:
        """LOINC code of each item in order (``None`` where there is none)."""
        return tuple(item.code for item in self.items)


@dataclass(frozen=True)
class Score:
    """Result of scoring one completed instrument.

    ``total`` is an ``int`` where the instrument sums items and a ``float`` where it averages them (PEG, BPI).
    ``answers`` holds the validated answers with defaults applied (store them, not just the total).
    """

    instrument: str
    total: int | float
    band: str | None
    flags: frozenset[str] = frozenset()
    subscales: Mapping[str, float | None] = field(default_factory=_no_subscales, hash=False)
    answers: tuple[int | bool | None, ...] = ()

    def __post_init__(self) -> None:
        # A caller's dict must not be able to change a frozen score afterwards.
        object.__setattr__(self, "subscales", MappingProxyType(dict(self.subscales)))


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a set of answers cannot be scored; ``item`` is ``None`` for problems with the whole sequence."""

    item: Item | None
    message: str

    def __str__(self) -> str:
        return f"{self.item.describe()}: {self.message}" if self.item else self.message


class InvalidAnswers(ValueError):
    """The answers cannot be scored; the message names every offending item (number and label).

    Attributes
    ----------
    instrument:
        Instrument id.
    problems:
        Every problem found, not only the first.
    """

    def __init__(self, instrument: str, problems: Sequence[Problem]) -> None:
        self.instrument = instrument
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__(f"{instrument}: " + "; ".join(str(problem) for problem in self.problems))


class UnknownInstrument(ValueError):
    """No instrument has this id."""

    def __init__(self, instrument_id: object, known: Sequence[str]) -> None:
        self.instrument_id = instrument_id
        super().__init__(f"unknown instrument {instrument_id!r}; known instruments: {', '.join(known)}")


def _answer_count_problem(definition: Instrument, answers: Sequence[object]) -> Problem | None:
    """Check the number of answers; trailing unscored optional items (PHQ-9 difficulty) may be left off."""
    full = len(definition.items)
    shortest = full
    while shortest > 0 and not definition.items[shortest - 1].scored and not definition.items[shortest - 1].required:
        shortest -= 1
    if shortest <= len(answers) <= full:
        return None
    expected = str(full) if shortest == full else f"{shortest} to {full}"
    if len(answers) < shortest:
        missing = definition.items[len(answers)]
        return Problem(missing, f"is missing (expected {expected} answers, got {len(answers)})")
    return Problem(None, f"expected {expected} answers, got {len(answers)}: there is no item {full + 1}")


def collect_answers(
    definition: Instrument, answers: object, check: Callable[[Item, object], tuple[V | None, str | None]]
) -> tuple[list[V | None], list[Problem]]:
    """Run ``check`` on every answer; return the checked values and every problem found (nothing is raised here).

    ``check(item, raw)`` returns ``(value, None)`` or ``(anything, message)``. Trailing unscored optional items the
    caller left off are checked as ``None``. When there are too few answers the first missing item is reported once
    and the items after it are not checked; extra answers are reported, not checked.

    Raises
    ------
    InvalidAnswers
        ``answers`` is not a list-like sequence (a ``str`` is refused).
    """
    if not isinstance(answers, Sequence) or isinstance(answers, str | bytes | bytearray):
        raise InvalidAnswers(
            definition.id,
            [Problem(None, f"answers must be a list or tuple in item order, got {type(answers).__name__}")],
        )
    count_problem = _answer_count_problem(definition, answers)
    problems = [] if count_problem is None else [count_problem]
    values: list[V | None] = []
    for index, item in enumerate(definition.items):
        if index >= len(answers) and count_problem is not None:
            values.append(None)  # reported once by the count problem
            continue
        value, message = check(item, answers[index] if index < len(answers) else None)
        if message is not None:
            problems.append(Problem(item, message))
        values.append(value)
    return values, problems


def _check_int(item: Item, value: object) -> tuple[int | None, str | None]:
    """Validate one whole-number answer; return ``(value, None)`` or ``(None, message)``."""
    if value is None:
        if item.required:
            return None, "is missing (required)"
        return item.default, None
    if isinstance(value, bool):
        return None, f"must be a whole number {item.low}–{item.high}, got the bool {value!r}"
    if not isinstance(value, SupportsIndex):  # int and int-likes (NumPy integers); not float, str, Decimal
        return None, f"must be a whole number {item.low}–{item.high}, got {value!r} ({type(value).__name__})"
    number = operator.index(value)
    if number not in item.values:
        return None, f"{number} is out of range {item.low}–{item.high}"
    return number, None


def validate_int_answers(definition: Instrument, answers: object) -> IntAnswers:
    """Validate whole-number answers against ``definition``; collect every problem before raising.

    Returns one value per item (trailing optional items the caller left off become ``None`` or their default).

    Raises
    ------
    InvalidAnswers
        Wrong type or length, a required item missing, a bool or non-integer, or a value outside the item's options.
    """
    values, problems = collect_answers(definition, answers, _check_int)
    if problems:
        raise InvalidAnswers(definition.id, problems)
    return tuple(values)


def required_ints(values: IntAnswers, count: int) -> tuple[int, ...]:
    """The first ``count`` validated values, typed as ints.

    Only for items declared ``required=True`` (or with a default): ``validate_int_answers`` has already
    guaranteed that none of them is ``None``.
    """
    return cast("tuple[int, ...]", values[:count])


def whole_number_setting(name: str, value: object, low: int, high: int) -> int:
    """Validate a tunable integer setting (e.g. a discharge threshold); bools and non-integers are refused.

    Raises
    ------
    ValueError
        ``value`` is not an int in ``low..high``; the message names the setting.
    """
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number {low}–{high}, got {value!r}")
    return value


def band_for(total: float, bands: Sequence[tuple[float, str]]) -> str | None:
    """Name of the band containing ``total`` (see ``Instrument.bands``); ``None`` for an instrument without bands."""
    name: str | None = None
    for lower, band in bands:
        if total >= lower:
            name = band
    return name


#: Flag raised by PHQ-9 item 9, QIDS-SR16 item 12, MADRS item 10 and a non-negative C-SSRS screen.
SUICIDALITY: Final = "suicidality"
#: Flag raised by the modified Aldrete score and PADSS at or above the discharge threshold.
DISCHARGE_READY: Final = "discharge_ready"
#: Licence note for instruments the knowledge file's licensing paragraph does not mention (it names only PHQ-9,
#: GAD-7, QIDS-SR16 as free and MADRS, CADSS, C-SSRS, BPI as restricted).
LICENCE_NOT_STATED: Final = (
    "Licence not stated in shared/knowledge/instruments.md; items carry short labels and the anchors the file gives."
)
