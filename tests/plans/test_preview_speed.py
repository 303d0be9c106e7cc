"""The fast PK preview (issue 16 item 15): the memoised preview is the uncached one, and the directly written SVG
charts still carry what a prescriber reads (axes with units, the band, the curve at its Cmax, legend, footnotes).

Speed itself is measured by benchmarks/preview_bench.py (design/TESTING.md: speed targets are benchmarks, not timed
tests).
"""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from typing import Any

import numpy as np
import pytest

from ketaclinic.charts.pk_svg import render_comparison_svg, render_preview_svg
from ketaclinic.domain import pk
from ketaclinic.domain.pk import planning
from ketaclinic.plans import preview as pk_preview

SVG = "{http://www.w3.org/2000/svg}"
PATIENT: dict[str, Any] = {"weight_kg": 70.0, "age_years": 45.0, "sex": "female", "height_cm": 168.0}
PLANS = [
    {"route": "iv", "dose_mg": 35.0, "duration_min": 40.0},
    {"route": "intranasal_esketamine", "dose_mg": 84.0, "duration_min": None},
    {"route": "im", "dose_mg": 35.0, "duration_min": None},
    {"route": "oral", "dose_mg": 150.0, "duration_min": None, "ke0_per_min": 0.2},
]


def _svg(uri: str) -> ET.Element:
    assert uri.startswith("data:image/svg+xml;base64,")
    return ET.fromstring(base64.b64decode(uri.split(",", 1)[1]))  # noqa: S314 (our own chart, not untrusted input)


def _texts(root: ET.Element) -> list[str]:
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("plan", PLANS, ids=lambda plan: plan["route"])
def test_the_cached_preview_equals_an_uncached_computation(plan: dict[str, Any]) -> None:
    pk_preview.preview.cache_clear()  # type: ignore[attr-defined]
    first = pk_preview.preview(**PATIENT, **plan)
    again = pk_preview.preview(**PATIENT, **plan)  # from the cache
    assert pk_preview.preview.cache_info().hits >= 1  # type: ignore[attr-defined]
    uncached = pk_preview.compute_preview(**PATIENT, **plan)
    assert first == uncached and again == uncached  # every number, note and chart byte
    assert again.as_dict() == uncached.as_dict()


def test_a_changed_input_is_a_new_computation_and_a_cached_result_cannot_be_altered_by_a_caller() -> None:
    plan = {**PATIENT, **PLANS[0]}
    shown = pk_preview.preview(**plan)
    shown.notes.append("changed by a caller")
    shown.comparison[0]["dose_mg"] = -1
    assert pk_preview.preview(**plan) == pk_preview.compute_preview(**plan)
    heavier = pk_preview.preview(**{**plan, "weight_kg": 80.0, "dose_mg": 48.0})
    assert heavier == pk_preview.compute_preview(**{**plan, "weight_kg": 80.0, "dose_mg": 48.0})
    assert heavier.typical != shown.typical


def test_errors_are_raised_every_time_not_cached() -> None:
    for _ in range(2):
        with pytest.raises(ValueError, match="dose_mg"):
            pk_preview.preview(**PATIENT, route="intranasal_esketamine", dose_mg=30.0, duration_min=None)


def test_the_preview_tables_are_the_engines_figures() -> None:
    """The numbers beside the chart come straight from the PK engine (same seed, same n, same horizon)."""
    result = pk_preview.preview(**PATIENT, **PLANS[0])
    subject = pk.Subject(weight_kg=70.0, age_years=45.0, sex="female", height_cm=168.0)
    doses = planning.session_doses("iv", 35.0, duration_min=40.0)
    model = result.model_id
    typical = pk.simulate(doses, subject, model=model, t_end_min=pk_preview.HORIZON_MIN)
    population = pk.simulate_population(
        doses, subject, model=model, n=pk_preview.POPULATION_N, seed=pk_preview.SEED, t_end_min=pk_preview.HORIZON_MIN
    )
    assert result.typical["cmax_ng_ml"] == round(typical.cmax_ng_ml, 1)
    assert result.typical["auc_ng_h_per_ml"] == round(typical.auc_ng_h_per_ml, 1)
    assert result.population["cmax_ng_ml"]["p95"] == round(float(np.percentile(population.cmax_ng_ml, 95)), 1)


@pytest.mark.parametrize("layout", ["wide", "narrow"])
def test_the_preview_chart_has_axes_units_band_legend_and_the_cmax(layout: str) -> None:
    result = pk_preview.preview(**PATIENT, **PLANS[0])
    root = _svg(result.chart_data_uri if layout == "wide" else result.chart_narrow_data_uri or "")
    texts = _texts(root)
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    assert "iv: 35 mg for 70 kg (racemic ketamine)" in " ".join(texts)
    assert texts.count("Concentration (ng/mL)") == (2 if layout == "narrow" else 1)
    assert "Time after first dose (min)" in texts and "Time after first dose (h)" in texts
    assert {"First 2 h", "Whole 12 h"} <= set(texts)
    assert any(t.startswith("population 5–95 % (n = 500") for t in texts)
    assert any(t.startswith("observed dissociative range 100–250 ng/mL") for t in texts)
    assert "infusion" in texts and "dose" in texts
    assert any(t.startswith("Model: ") for t in texts)
    assert f"Cmax {result.typical['cmax_ng_ml']:.0f} ng/mL" in texts
    assert len(root.findall(f"{SVG}polygon[@fill-opacity='0.55']")) == 2  # the band, in both panels
    # the typical curve's highest point is where the Cmax marker is
    curve = root.findall(f"{SVG}polyline[@stroke='#1f4e99']")[0]
    points = np.array([[float(v) for v in p.split(",")] for p in curve.get("points", "").split()])
    marker = root.find(f"{SVG}circle")
    assert marker is not None
    top = points[np.argmin(points[:, 1])]
    assert top[0] == pytest.approx(float(marker.get("cx", "nan")), abs=0.11)
    assert top[1] == pytest.approx(float(marker.get("cy", "nan")), abs=0.11)
    # no style attributes or elements (the page's CSP), and numbers on the y axis in order
    raw = base64.b64decode(result.chart_data_uri.split(",", 1)[1]).decode()
    assert "style" not in raw and "<script" not in raw
    assert re.search(r">0</text>.*>100</text>.*>200</text>", raw, re.S)


def test_uncertain_and_metabolite_and_effect_site_are_drawn_and_named() -> None:
    oral = _texts(_svg(pk_preview.preview(**PATIENT, **PLANS[3]).chart_data_uri))
    assert any(t.startswith("UNCERTAIN") for t in oral)  # the measured values beside the curve (issue 16)
    assert "effect site (ke0 0.2/min)" in oral
    esketamine = _texts(_svg(pk_preview.preview(**PATIENT, **PLANS[1]).chart_data_uri))
    assert any(t.startswith("noresketamine") for t in esketamine)
    label = "Esketamine, plasma (sampling site not stated by the model's source) (typical for this patient)"
    assert label in esketamine


def test_the_route_comparison_chart() -> None:
    result = pk_preview.preview(**PATIENT, **PLANS[0])
    for uri in (result.comparison_data_uri, result.comparison_narrow_data_uri):
        texts = _texts(_svg(uri or ""))
        assert "Venous plasma (ng/mL)" in texts and "Time after dosing (h)" in texts  # clements1981: venous
        assert [t.split()[0] for t in texts if "mg (F" in t] == ["iv", "im", "intranasal", "sublingual", "oral"]
    assert pk_preview.preview(**PATIENT, **PLANS[1]).comparison_data_uri is None


def test_svg_charts_are_deterministic_and_check_their_layout() -> None:
    subject = pk.Subject(weight_kg=70.0)
    doses = [pk.Dose("iv", 35.0, duration_min=40.0)]
    typical = pk.simulate(doses, subject, model="kamp2020", t_end_min=720)
    population = pk.simulate_population(doses, subject, model="kamp2020", n=50, seed=1, t_end_min=720)
    svg = render_preview_svg(typical, population, doses=doses)
    assert svg == render_preview_svg(typical, population, doses=doses)
    assert render_preview_svg(typical, doses=doses, reference_range_ng_ml=None) != svg
    short = pk.simulate(doses, subject, model="kamp2020", t_end_min=120)
    assert b"Whole" not in render_preview_svg(short, doses=doses)  # one panel when the horizon is short
    with pytest.raises(ValueError, match="layout"):
        render_preview_svg(typical, layout="tall")
    with pytest.raises(ValueError, match="layout"):
        render_comparison_svg([], layout="tall")
