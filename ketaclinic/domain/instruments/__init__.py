"""Rating scales and clinical scores: definitions, validation and scoring (design/CONTRACTS.md §4.1).

Pure Python. Every instrument, band string, flag and code comes from ``shared/knowledge/instruments.md``; each
instrument lives in its own module (``phq9``, ``cssrs_screener``...) with its citation, and this package is the public
catalogue::

    from ketaclinic.domain import instruments
    s = instruments.score("phq9", [0, 1, 0, 1, 1, 0, 0, 1, 0])
    s.total, s.band, s.flags, s.subscales        # 4, "minimal", frozenset(), {}
    instruments.get("phq9").items[8].code        # "44260-8"

``answers`` is a sequence in the published item order. Scoring refuses, with ``InvalidAnswers`` naming every offending
item, a wrong length, a missing required answer, a bool or non-integer where a whole number is needed, or an
out-of-range value: a partial PHQ-9 silently scored low is a known real-world bug. Totals are ``int`` for sums and
``float`` for means (PEG, BPI severity).

Flags: ``suicidality`` (PHQ-9 item 9 ≥ 1, QIDS-SR16 item 12 ≥ 1, MADRS item 10 ≥ 4, C-SSRS band other than
``negative``) and ``discharge_ready`` (modified Aldrete or PADSS total ≥ ``discharge_threshold``, default
``DISCHARGE_THRESHOLD`` = 9, a protocol setting passed through ``score(..., discharge_threshold=...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from types import MappingProxyType
from typing import Final, Protocol

from . import (
    aldrete,
    audit_c,
    bladder_symptoms,
    bpi,
    cadss,
    cssrs_screener,
    gad7,
    madrs,
    moaas,
    padss,
    pain_nrs,
    peg,
    phq9,
    qids_sr16,
    rass,
)
from ._core import (
    DISCHARGE_READY,
    SUICIDALITY,
    Instrument,
    InvalidAnswers,
    Item,
    Problem,
    Score,
    UnknownInstrument,
)

__all__ = [
    "CSSRS_RECOMMENDED_ACTIONS",
    "DISCHARGE_READY",
    "DISCHARGE_THRESHOLD",
    "PHQ9_ITEM9_SAFETY_WORKFLOW",
    "SUICIDALITY",
    "Instrument",
    "InvalidAnswers",
    "Item",
    "Problem",
    "Score",
    "UnknownInstrument",
    "cssrs_recommended_action",
    "get",
    "ids",
    "score",
]

#: Default modified Aldrete / PADSS total for ``discharge_ready`` (clinical-rules.md §4; instruments.md § aldrete,
#: § padss). Both instruments cite 9; each module keeps its own constant so a protocol can tune them separately.
DISCHARGE_THRESHOLD: Final = aldrete.DISCHARGE_THRESHOLD
#: Steps a PHQ-9 item 9 ≥ 1 starts (instruments.md § phq9).
PHQ9_ITEM9_SAFETY_WORKFLOW: Final = phq9.SAFETY_WORKFLOW
#: Suggested action per positive C-SSRS band (instruments.md § cssrs_screener; Columbia triage guidance).
CSSRS_RECOMMENDED_ACTIONS: Final = cssrs_screener.RECOMMENDED_ACTIONS


class _DischargeScorer(Protocol):
    def __call__(self, answers: Sequence[object], *, discharge_threshold: int = ...) -> Score: ...


_SCORERS: Final[Mapping[str, Callable[[Sequence[object]], Score]]] = MappingProxyType(
    {
        "phq9": phq9.score,
        "gad7": gad7.score,
        "qids_sr16": qids_sr16.score,
        "madrs": madrs.score,
        "cssrs_screener": cssrs_screener.score,
        "cadss": cadss.score,
        "bpi": bpi.score,
        "peg": peg.score,
        "pain_nrs": pain_nrs.score,
        "aldrete": aldrete.score,
        "padss": padss.score,
        "moaas": moaas.score,
        "rass": rass.score,
        "audit_c": audit_c.score,
        "bladder_symptoms": bladder_symptoms.score,
    }
)
_DISCHARGE_SCORERS: Final[Mapping[str, _DischargeScorer]] = MappingProxyType(
    {"aldrete": aldrete.score, "padss": padss.score}
)
_DEFINITIONS: Final[Mapping[str, Instrument]] = MappingProxyType(
    {
        definition.id: definition
        for definition in (
            phq9.DEFINITION,
            gad7.DEFINITION,
            qids_sr16.DEFINITION,
            madrs.DEFINITION,
            cssrs_screener.DEFINITION,
            cadss.DEFINITION,
            bpi.DEFINITION,
            peg.DEFINITION,
            pain_nrs.DEFINITION,
            aldrete.DEFINITION,
            padss.DEFINITION,
            moaas.DEFINITION,
            rass.DEFINITION,
            audit_c.DEFINITION,
            bladder_symptoms.DEFINITION,
        )
    }
)


def ids() -> tuple[str, ...]:
    """All instrument ids: those of shared/knowledge/instruments.md in its order, then the home-programme screens
    (AUDIT-C, the bladder symptom check)."""
    return tuple(_DEFINITIONS)


def get(instrument_id: str) -> Instrument:
    """The definition of an instrument (items, options, codes, source, licence note, bands).

    Raises
    ------
    UnknownInstrument
        (a ``ValueError``) naming ``instrument_id`` when no instrument has that id.
    """
    try:
        return _DEFINITIONS[instrument_id]
    except (KeyError, TypeError):
        raise UnknownInstrument(instrument_id, ids()) from None


def score(instrument_id: str, answers: Sequence[object], *, discharge_threshold: int | None = None) -> Score:
    """Validate and score one completed instrument.

    Parameters
    ----------
    instrument_id:
        One of ``ids()``.
    answers:
        Answers in the published item order: whole numbers for every scale except the C-SSRS screener, whose answers
        are ``True``/``False``/``None``; ``None`` where an item may be left unanswered (BPI interference, PHQ-9
        difficulty, PADSS bleeding).
    discharge_threshold:
        Aldrete/PADSS only: the total at or above which ``discharge_ready`` is flagged. ``None`` uses the
        instrument's cited default (``DISCHARGE_THRESHOLD`` = 9).

    Returns
    -------
    Score
        ``instrument``, ``total``, ``band`` (exact strings from instruments.md, or ``None``), ``flags`` and
        ``subscales``.

    Raises
    ------
    UnknownInstrument
        (a ``ValueError``) for an unknown id.
    InvalidAnswers
        (a ``ValueError``) naming every offending item.
    ValueError
        ``discharge_threshold`` given for an instrument that has none, or outside 0–10.
    """
    get(instrument_id)
    if discharge_threshold is None:
        return _SCORERS[instrument_id](answers)
    if instrument_id not in _DISCHARGE_SCORERS:
        raise ValueError(
            f"discharge_threshold applies only to {' and '.join(_DISCHARGE_SCORERS)}, not to {instrument_id!r}"
        )
    return _DISCHARGE_SCORERS[instrument_id](answers, discharge_threshold=discharge_threshold)


def cssrs_recommended_action(band: str) -> str | None:
    """Action the workflow suggests for a C-SSRS band (``low``, ``moderate``, ``high``); ``None`` for ``negative``.

    Raises
    ------
    ValueError
        ``band`` is not a C-SSRS band.
    """
    return cssrs_screener.recommended_action(band)
