"""Literature benchmarks shown beside the clinic outcomes dashboard (pure data).

Every row is copied verbatim from ``shared/knowledge/clinical-rules.md`` §6 ("Outcome benchmarks for the clinic
dashboard"): the source, the population/design, the measure and the values exactly as the file gives them. Nothing
here is computed; the dashboard only places the clinic's own rates next to these figures, so a reader can compare
like with like (same scale, same definition of response and remission, clinical-rules.md §5).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["BENCHMARKS", "REALISTIC_TARGET", "Benchmark", "for_measure"]


@dataclass(frozen=True)
class Benchmark:
    """One published figure: ``source`` (study and citation), ``population`` (design, n, series), ``measure`` (what was
    counted) and ``values`` (the figures as printed in clinical-rules.md §6). ``measures`` tags the dashboard sections
    the row belongs beside: ``"depression"`` (response/remission) or ``"pain"`` (NRS), plus ``"relapse"``."""

    source: str
    population: str
    measure: str
    values: str
    measures: frozenset[str]


_DEPRESSION: Final = frozenset({"depression"})
_PAIN: Final = frozenset({"pain"})

#: clinical-rules.md §6, in the order of the file.
BENCHMARKS: Final[tuple[Benchmark, ...]] = (
    Benchmark(
        source="ORKA-1, McInnes JAD 2022",
        population="real world, n = 537, 4–8 infusions",
        measure="PHQ-9 response / remission",
        values="53.6 % / 28.9 %",
        measures=_DEPRESSION,
    ),
    Benchmark(
        source="Oliver JCP 2022",
        population="n = 424, 6 infusions in 21 days",
        measure="response / remission at 6 weeks",
        values="50 % / 20 %; after 10 infusions 72 % / 38 %",
        measures=_DEPRESSION,
    ),
    Benchmark(
        source="Phillips AJP 2019",
        population="6 infusions",
        measure="cumulative response",
        values="59 %",
        measures=_DEPRESSION,
    ),
    Benchmark(
        source="ELEKT-D, Anand NEJM 2023",
        population="ketamine vs ECT",
        measure="QIDS-SR16 response, ketamine vs ECT",
        values="55.4 % vs 41.2 %",
        measures=_DEPRESSION,
    ),
    Benchmark(
        source="TRANSFORM-2",
        population="esketamine, < 65",
        measure="MADRS response / remission day 28",
        values="69.3 % / 52.5 % (placebo+AD 52.0 % / 31.0 %)",
        measures=_DEPRESSION,
    ),
    Benchmark(
        source="TRANSFORM-3",
        population="≥ 65",
        measure="response / remission",
        values="27.0 % / 17.5 %",
        measures=_DEPRESSION,
    ),
    Benchmark(
        source="SUSTAIN-1",
        population="stable remitters",
        measure="relapse in stable remitters",
        values="26.7 % vs 45.3 % (HR 0.49)",
        measures=frozenset({"depression", "relapse"}),
    ),
    Benchmark(
        source="Hull JAD 2022",
        population="at-home SL, n = 1,247",
        measure="PHQ-9 response / remission",
        values="62.8 % / 32.6 %",
        measures=_DEPRESSION,
    ),
    Benchmark(
        source="Orhurhu Anesth Analg 2019",
        population="chronic pain meta-analysis",
        measure="NRS change up to 2 weeks",
        values="−1.83 points",
        measures=_PAIN,
    ),
    Benchmark(
        source="Sigtermans Pain 2009",
        population="CRPS",
        measure="week-1 NRS ketamine vs placebo",
        values="2.68 vs 5.45; benefit gone by week 12",
        measures=_PAIN,
    ),
)

#: clinical-rules.md §6: "A realistic target for a 6-infusion IV series is ~50–60 % response and ~20–30 % remission on
#: PHQ-9."
REALISTIC_TARGET: Final = (
    "A realistic target for a 6-infusion IV series is ~50–60 % response and ~20–30 % remission on PHQ-9."
)


def for_measure(kind: str) -> tuple[Benchmark, ...]:
    """The benchmarks to show beside one dashboard section: ``"depression"``, ``"pain"`` or ``"relapse"``.

    Raises
    ------
    ValueError
        Any other kind (so a typo never shows an empty table silently).
    """
    known = frozenset().union(*(row.measures for row in BENCHMARKS))
    if kind not in known:
        raise ValueError(f"unknown benchmark kind {kind!r}; use one of {', '.join(sorted(known))}")
    return tuple(row for row in BENCHMARKS if kind in row.measures)
