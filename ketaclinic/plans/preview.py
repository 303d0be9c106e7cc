"""Pharmacokinetic preview of a planned session, for the plan page and the API (issue 6).

The typical patient's predicted plasma concentration (effect site when the prescriber gives a ke0), the population
5–95 % band, Cmax/Tmax/AUC, and the racemic routes side by side at doses of equal systemic exposure
(ketaclinic.domain.pk.planning). Charts are SVG embedded as data URIs, so the page keeps its strict CSP.

Speed (issue 16 item 15): the live panel asks for a preview on every form change, most of which leave the PK inputs as
they were. :func:`preview` is memoised on its arguments (all of them, exactly: no rounding, so a cached preview is the
one :func:`compute_preview` would return, which tests/plans/test_preview_speed.py checks); a changed input costs one
simulation (~40–60 ms) and the charts, which ``ketaclinic.charts.pk`` writes as SVG directly (~5 ms each; matplotlib
took 0.3–1.3 s). ``benchmarks/preview_bench.py`` measures it.
"""

from __future__ import annotations

import base64
import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ParamSpec

from ketaclinic.charts.pk_svg import render_comparison_svg, render_preview_svg
from ketaclinic.domain import pk
from ketaclinic.domain.pk import planning

HORIZON_MIN = 12 * 60  # a session day: the clinic cares about the hours after dosing
POPULATION_N = 500
SEED = 0  # same plan → same band (pharmacokinetics.md §3: seeded RNG)
CACHE_SIZE = 64  # previews kept per process (~0.2 MB each, mostly the four SVG data URIs: ~11 MB at most)
ROUTE_COLOURS = {"iv": "#1f5f8b", "im": "#2a9d8f", "intranasal": "#8a5a00", "sublingual": "#7b3fa0", "oral": "#b3261e"}


@dataclass
class Preview:
    model_id: str
    model_citation: str
    chart_data_uri: str
    comparison_data_uri: str | None
    typical: dict[str, float]
    population: dict[str, dict[str, float]]
    comparison: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    effect_site: bool = False
    sampling_site: str | None = None  # "venous" / "arterial" / None (not stated): the chart says which
    uncertain: bool = False
    #: The same charts laid out for a phone (panels stacked); the page picks one by width (``<picture>``).
    chart_narrow_data_uri: str | None = None
    comparison_narrow_data_uri: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "citation": self.model_citation,
            "typical": self.typical,
            "population": self.population,
            "comparison": self.comparison,
            "notes": self.notes,
            "effect_site": self.effect_site,
            "sampling_site": self.sampling_site,
            "uncertain": self.uncertain,
        }


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _comparison_chart(
    curves: list[tuple[planning.EquivalentDose, pk.PKResult]], layout: str = "wide", site: str | None = None
) -> bytes:
    return render_comparison_svg(
        [
            (
                f"{equivalent.route} {equivalent.dose_mg:g} mg (F {equivalent.bioavailability:.0%})",
                ROUTE_COLOURS[equivalent.route],
                result.t_min,
                result.plasma_ng_ml,
            )
            for equivalent, result in curves
        ],
        layout=layout,
        y_label=f"{planning.sampling_site_label(site).split(' (')[0].capitalize()} (ng/mL)",
    )


P = ParamSpec("P")


def _memoised(compute: Callable[P, Preview]) -> Callable[P, Preview]:
    """``compute`` behind an LRU cache keyed on every argument; each caller gets its own copy of the result.

    The key is the arguments as given (floats compared exactly), so a parameter added to ``compute`` later joins the
    key by itself. Errors are not cached. ``wrapper.cache_clear()`` empties it; ``wrapper.__wrapped__`` is ``compute``.
    """
    cached = functools.lru_cache(maxsize=CACHE_SIZE)(compute)

    @functools.wraps(compute)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Preview:
        return copy.deepcopy(cached(*args, **kwargs))  # type: ignore[arg-type]

    wrapper.cache_clear = cached.cache_clear  # type: ignore[attr-defined]
    wrapper.cache_info = cached.cache_info  # type: ignore[attr-defined]
    return wrapper


def compute_preview(
    *,
    route: str,
    dose_mg: float,
    duration_min: float | None,
    weight_kg: float,
    age_years: float | None,
    sex: str | None,
    height_cm: float | None,
    ke0_per_min: float | None = None,
    ancestry: str = "",
) -> Preview:
    """Simulate one planned session, uncached (use :func:`preview`). Raises ValueError naming a bad argument.
    ``ancestry`` is the patient's recorded ancestry ("japanese", "asian", "other" or ""): the esketamine model's
    covariates (Perez-Ruixo et al. 2021: Asian, and Japanese with FRn × 1.34); the racemic models ignore it."""
    if ancestry not in ("", "japanese", "asian", "other"):
        raise ValueError(f"ancestry: unknown value {ancestry!r}")
    model_id, _ = planning.model_for(route)
    subject = pk.Subject(
        weight_kg=weight_kg,
        age_years=age_years,
        sex=sex if sex in ("male", "female") else None,
        height_cm=height_cm,
        asian=ancestry in ("japanese", "asian"),
        japanese=ancestry == "japanese",
    )
    doses = planning.session_doses(route, dose_mg, duration_min=duration_min or 0.0)
    typical = pk.simulate(doses, subject, model=model_id, t_end_min=HORIZON_MIN, ke0_per_min=ke0_per_min)
    population = pk.simulate_population(
        doses, subject, model=model_id, n=POPULATION_N, seed=SEED, t_end_min=HORIZON_MIN, ke0_per_min=ke0_per_min
    )
    info = pk.models()[model_id]
    band = population.percentiles([5, 95])
    chart_title = f"{route}: {dose_mg:g} mg for {weight_kg:g} kg ({info.drug})"
    charts = {
        layout: render_preview_svg(
            typical, population, doses=doses, title=chart_title, layout=layout, band=(band[0], band[1])
        )
        for layout in ("wide", "narrow")
    }
    bands = {
        name: {f"p{q}": round(float(v), 1) for q, v in zip((5, 50, 95), _percentiles(values), strict=True)}
        for name, values in (
            ("cmax_ng_ml", population.cmax_ng_ml),
            ("tmax_min", population.tmax_min),
            ("auc_ng_h_per_ml", population.auc_ng_h_per_ml),
        )
    }
    notes = list(typical.notes)
    if population.variability_assumed:
        notes.append(
            "The population band uses an ASSUMED variability (ω = 0.30): no published between-subject "
            "variability for this model."
        )
    if ke0_per_min is None:
        notes.append(
            "Effect site not shown: no published ke0 for ketamine in adults; "
            "enter a ke0 to draw it, and record where the value came from."
        )
    comparison: list[dict[str, Any]] = []
    comparison_uri = comparison_narrow_uri = None
    equivalents = planning.equivalent_doses(route, dose_mg)
    if equivalents:
        curves = []
        for equivalent in equivalents:
            result = pk.simulate(
                planning.session_doses(
                    equivalent.route,
                    equivalent.dose_mg,
                    duration_min=(duration_min or 0.0) if equivalent.route == "iv" else 0.0,
                ),
                subject,
                model=model_id,
                t_end_min=HORIZON_MIN,
            )
            curves.append((equivalent, result))
            comparison.append(
                {
                    "route": equivalent.route,
                    "dose_mg": equivalent.dose_mg,
                    "bioavailability": equivalent.bioavailability,
                    "cmax_ng_ml": round(result.cmax_ng_ml, 1),
                    "tmax_min": round(result.tmax_min, 1),
                    "auc_ng_h_per_ml": round(result.auc_ng_h_per_ml, 1),
                    "uncertain": result.uncertain,
                }
            )
        comparison_uri = _data_uri(_comparison_chart(curves, "wide", info.sampling_site))
        comparison_narrow_uri = _data_uri(_comparison_chart(curves, "narrow", info.sampling_site))
    return Preview(
        model_id=model_id,
        model_citation=info.citation,
        chart_data_uri=_data_uri(charts["wide"]),
        comparison_data_uri=comparison_uri,
        typical={
            "cmax_ng_ml": round(typical.cmax_ng_ml, 1),
            "tmax_min": round(typical.tmax_min, 1),
            "auc_ng_h_per_ml": round(typical.auc_ng_h_per_ml, 1),
        },
        population=bands,
        comparison=comparison,
        notes=notes,
        effect_site=typical.effect_site_ng_ml is not None,
        sampling_site=typical.sampling_site,
        uncertain=typical.uncertain,
        chart_narrow_data_uri=_data_uri(charts["narrow"]),
        comparison_narrow_data_uri=comparison_narrow_uri,
    )


preview = _memoised(compute_preview)
"""Simulate one planned session (memoised :func:`compute_preview`; same arguments → equal result, from the cache)."""


def _percentiles(values: Any) -> list[float]:
    import numpy as np

    return [float(v) for v in np.percentile(values, [5, 50, 95])]
