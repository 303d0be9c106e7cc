"""The literature benchmarks are clinical-rules.md §6, row for row."""

from __future__ import annotations

from pathlib import Path

import pytest

from ketaclinic.domain import benchmarks

RULES = Path("/work/shared/knowledge/clinical-rules.md")


def test_there_is_one_row_per_line_of_the_table_in_file_order() -> None:
    sources = [row.source for row in benchmarks.BENCHMARKS]
    assert sources[0] == "ORKA-1, McInnes JAD 2022"
    assert sources[-1] == "Sigtermans Pain 2009"
    assert len(sources) == 10


def test_values_are_the_figures_of_the_file() -> None:
    by_source = {row.source: row for row in benchmarks.BENCHMARKS}
    assert by_source["ORKA-1, McInnes JAD 2022"].values == "53.6 % / 28.9 %"
    assert by_source["Hull JAD 2022"].values == "62.8 % / 32.6 %"
    assert by_source["TRANSFORM-2"].values == "69.3 % / 52.5 % (placebo+AD 52.0 % / 31.0 %)"
    assert by_source["Orhurhu Anesth Analg 2019"].values == "−1.83 points"


@pytest.mark.skipif(not RULES.exists(), reason="knowledge file not present")
def test_every_value_and_measure_appears_verbatim_in_the_knowledge_file() -> None:
    text = RULES.read_text(encoding="utf-8")
    for row in benchmarks.BENCHMARKS:
        assert row.values in text, row.source
        assert row.measure in text, row.source
    assert benchmarks.REALISTIC_TARGET in text.replace("\n", " ")


def test_for_measure_selects_the_section_rows() -> None:
    pain = benchmarks.for_measure("pain")
    assert [row.source for row in pain] == ["Orhurhu Anesth Analg 2019", "Sigtermans Pain 2009"]
    depression = benchmarks.for_measure("depression")
    assert len(depression) == 8 and all("depression" in row.measures for row in depression)
    assert [row.source for row in benchmarks.for_measure("relapse")] == ["SUSTAIN-1"]


def test_for_measure_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown benchmark kind 'anxiety'"):
        benchmarks.for_measure("anxiety")
