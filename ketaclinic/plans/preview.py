"""Pharmacokinetic preview of a planned session, for the plan page and the API (issue 6).

The typical patient's predicted plasma concentration (effect site when the prescriber gives a ke0), the population
5–95 % band, Cmax/Tmax/AUC, and the racemic routes side by side at doses of equal systemic exposure
(ketaclinic.domain.pk.planning). Charts are SVG embedded as data URIs, so the page keeps its strict CSP.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from ketaclinic.charts.pk import render_chart
from ketaclinic.domain import pk
from ketaclinic.domain.pk import planning

HORIZON_MIN = 12 * 60  # a session day: the clinic cares about the hours after dosing
POPULATION_N = 500
SEED = 0  # same plan → same band (pharmacokinetics.md §3: seeded RNG)
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

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "citation": self.model_citation,
            "typical": self.typical,
            "population": self.population,
            "comparison": self.comparison,
            "notes": self.notes,
            "effect_site": self.effect_site,
        }


def _data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _comparison_chart(curves: list[tuple[planning.EquivalentDose, pk.PKResult]]) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 3.8), layout="constrained")
    FigureCanvasAgg(fig)
    axis = fig.add_subplot()
    for equivalent, result in curves:
        label = f"{equivalent.route} {equivalent.dose_mg:g} mg (F {equivalent.bioavailability:.0%})"
        axis.plot(result.t_min / 60, result.plasma_ng_ml, color=ROUTE_COLOURS[equivalent.route], lw=2, label=label)
    axis.axhspan(100, 250, color="#2e8b57", alpha=0.08, label="observed dissociative range 100–250 ng/mL")
    axis.set_xlabel("Time after dosing (h)")
    axis.set_ylabel("Plasma (ng/mL)")
    axis.set_xlim(0, 6)
    axis.set_ylim(bottom=0)
    axis.grid(color="#dddddd", lw=0.6)
    axis.spines[["top", "right"]].set_visible(False)
    axis.legend(fontsize=8, frameon=False, loc="upper right")
    axis.set_title("Same systemic dose by each route (typical patient)", fontsize=10, loc="left")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg")
    return buffer.getvalue()


def preview(
    *,
    route: str,
    dose_mg: float,
    duration_min: float | None,
    weight_kg: float,
    age_years: float | None,
    sex: str | None,
    height_cm: float | None,
    ke0_per_min: float | None = None,
) -> Preview:
    """Simulate one planned session. Raises ValueError naming a bad argument (from the PK engine)."""
    model_id, _ = planning.model_for(route)
    subject = pk.Subject(
        weight_kg=weight_kg, age_years=age_years, sex=sex if sex in ("male", "female") else None, height_cm=height_cm
    )
    doses = planning.session_doses(route, dose_mg, duration_min=duration_min or 0.0)
    typical = pk.simulate(doses, subject, model=model_id, t_end_min=HORIZON_MIN, ke0_per_min=ke0_per_min)
    population = pk.simulate_population(
        doses, subject, model=model_id, n=POPULATION_N, seed=SEED, t_end_min=HORIZON_MIN, ke0_per_min=ke0_per_min
    )
    info = pk.models()[model_id]
    chart = render_chart(
        typical, population, fmt="svg", doses=doses, title=f"{route}: {dose_mg:g} mg for {weight_kg:g} kg ({info.drug})"
    )
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
    comparison, comparison_uri = [], None
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
        comparison_uri = _data_uri(_comparison_chart(curves))
    return Preview(
        model_id=model_id,
        model_citation=info.citation,
        chart_data_uri=_data_uri(chart),
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
    )


def _percentiles(values: Any) -> list[float]:
    import numpy as np

    return [float(v) for v in np.percentile(values, [5, 50, 95])]
