"""The PK chart: concentration over time for one simulated session, with the population band and the doses marked.

Drawn for ``ketaclinic pk simulate --plot`` by :func:`render_chart` (matplotlib, Agg, no pyplot global state; PNG or
SVG), and for the plan page's preview by ``charts.pk_svg`` (the same figure written as SVG directly, in
milliseconds). The legend's words and the footnotes (:func:`chart_labels`, :func:`footer_lines`) are shared by both.
matplotlib and NumPy load only when a chart is drawn.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ketaclinic.domain.pk import Dose, PKResult, PopulationResult

__all__ = [
    "DISSOCIATIVE_RANGE_NG_ML",
    "Y_LABEL",
    "chart_labels",
    "detail_window_min",
    "footer_lines",
    "format_minutes",
    "format_span",
    "render_chart",
]

#: Plasma range observed with racemic ketamine's dissociative effects (Krystal 1994), drawn for reference.
DISSOCIATIVE_RANGE_NG_ML = (100.0, 250.0)
BLUE, BAND, ORANGE, PURPLE, GREEN = "#1f4e99", "#9dbbe6", "#d9730d", "#7b3fa0", "#2e9e5b"


def format_minutes(minutes: float) -> str:
    """``42.0 min`` below two hours, ``2.50 h`` from there."""
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.2f} h"


def format_span(minutes: float) -> str:
    return f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:g} h"


def detail_window_min(result: PKResult, doses: Sequence[Dose]) -> float:
    """A close-up long enough to show every dose and peak (3 × the latest of them, at least 2 h, whole hours)."""
    latest = max(
        [result.tmax_min]
        + [d.start_min + d.duration_min for d in doses]
        + [e.tmax_min for e in (result.effect_site, result.metabolite) if e is not None]
    )
    window = max(120.0, 60.0 * math.ceil(3 * latest / 60.0))
    return window if window <= 0.5 * float(result.t_min[-1]) else float(result.t_min[-1])


Y_LABEL = "Concentration (ng/mL)"


def chart_labels(
    result: PKResult, population: PopulationResult | None, info: Any, reference: tuple[float, float] | None
) -> dict[str, str]:
    """The legend's words, shared by :func:`render_chart` and :func:`render_preview_svg` (one place to change them)."""
    # Imported here, not at the top: building the command line's parser must not load NumPy (the pk package does).
    from ketaclinic.domain.pk.planning import sampling_site_label

    site = sampling_site_label(result.sampling_site)  # venous or arterial: the measured references differ
    labels = {"plasma": f"{info.drug[0].upper() + info.drug[1:]}, {site} (typical for this patient)"}
    if reference is not None:
        labels["reference"] = f"observed dissociative range {reference[0]:g}–{reference[1]:g} ng/mL (Krystal 1994)"
    if population is not None:
        assumed = ", assumed variability" if population.variability_assumed else ""
        labels["band"] = f"population 5–95 % (n = {population.n}{assumed})"
    if result.effect_site_ng_ml is not None:
        labels["effect_site"] = f"effect site (ke0 {result.ke0_per_min:.3g}/min)"
    if result.metabolite_ng_ml is not None:
        equivalents = " (apparent, esketamine mass eq.)" if "equivalents" in (info.metabolite_units or "") else ""
        labels["metabolite"] = f"{info.metabolite}{equivalents}"
    return labels


def footer_lines(result: PKResult, population: PopulationResult | None, info: Any) -> list[str]:
    """The chart's footnotes, shared by both renderers."""
    footer = [f"Model: {info.citation}."]
    if population is not None and population.variability_assumed:
        footer.append("Population band from ASSUMED variability (ω = 0.30 on volumes and clearances).")
    if result.metabolite_ng_ml is not None and result.metabolite_caveat:
        footer.append(result.metabolite_caveat)
    if result.uncertain:  # the measured values go beside the curve, first and in red
        measured = " ".join(n.replace("Uncertain", "UNCERTAIN", 1) for n in result.notes if n.startswith("Uncertain"))
        footer.insert(0, measured or "UNCERTAIN")
    return footer


def _draw(
    ax: Any,
    result: PKResult,
    population: PopulationResult | None,
    doses: Sequence[Dose],
    info: Any,
    reference: tuple[float, float] | None,
    until_min: float,
    *,
    annotate: bool,
) -> None:
    hours = until_min > 180
    scale = 60.0 if hours else 1.0
    shown = result.t_min <= until_min + 1e-9
    t = result.t_min[shown] / scale
    labels = chart_labels(result, population, info, reference)
    if reference is not None:
        low, high = reference
        ax.axhspan(
            low,
            high,
            color=GREEN,
            alpha=0.10,
            lw=0,
            zorder=0,
            label=labels["reference"],
        )
        for level in (low, high):
            ax.axhline(level, color=GREEN, lw=0.8, ls=(0, (4, 3)), alpha=0.7, zorder=1)
    if population is not None:
        p5, p95 = population.percentiles([5, 95])
        ax.fill_between(
            t,
            p5[shown],
            p95[shown],
            color=BAND,
            alpha=0.55,
            lw=0,
            label=labels["band"],
        )
    ax.plot(t, result.plasma_ng_ml[shown], color=BLUE, lw=2.2, label=labels["plasma"])
    if result.effect_site_ng_ml is not None:
        ax.plot(
            t,
            result.effect_site_ng_ml[shown],
            color=ORANGE,
            lw=1.8,
            ls=(0, (1, 1.5)),
            label=labels["effect_site"],
        )
    if result.metabolite_ng_ml is not None:
        ax.plot(t, result.metabolite_ng_ml[shown], color=PURPLE, lw=1.5, ls="-.", label=labels["metabolite"])
    for i, dose in enumerate(doses):
        start = dose.start_min / scale
        if dose.duration_min > 0:
            ax.axvspan(
                start,
                (dose.start_min + dose.duration_min) / scale,
                color="#888888",
                alpha=0.13,
                lw=0,
                label="infusion" if i == 0 else None,
            )
        ax.plot(
            [start],
            [0],
            marker="^",
            color="#333333",
            ms=8,
            clip_on=False,
            zorder=6,
            ls="none",
            transform=ax.get_xaxis_transform(),
            label="dose" if i == 0 else None,
        )
    if annotate and result.tmax_min <= until_min:
        ax.plot([result.tmax_min / scale], [result.cmax_ng_ml], "o", color=BLUE, ms=5, zorder=5)
        ax.annotate(
            f"Cmax {result.cmax_ng_ml:.0f} ng/mL\nat {format_minutes(result.tmax_min)}",
            (result.tmax_min / scale, result.cmax_ng_ml),
            xytext=(10, 4),
            textcoords="offset points",
            fontsize=8.5,
            color=BLUE,
            va="bottom",
        )
    ax.set_xlim(0, until_min / scale)
    ax.set_xlabel("Time after first dose (h)" if hours else "Time after first dose (min)")
    ax.grid(True, color="#e3e3e3", lw=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def render_chart(
    result: PKResult,
    population: PopulationResult | None = None,
    *,
    fmt: str = "png",
    doses: Sequence[Dose] = (),
    title: str | None = None,
    reference_range_ng_ml: tuple[float, float] | None = DISSOCIATIVE_RANGE_NG_ML,
    dpi: int = 150,
) -> bytes:
    """Concentration-time chart as PNG or SVG bytes.

    Draws the typical patient's plasma curve, the population's 5–95 % band and median (when ``population`` is
    given), the effect site and metabolite when simulated, dose markers, and the observed 100–250 ng/mL
    dissociative range for reference. Uses matplotlib's Agg backend (no GUI; safe in a web worker).

    Parameters
    ----------
    result : PKResult
        The typical patient.
    population : PopulationResult, optional
        The same doses simulated across the population.
    fmt : {"png", "svg"}
    doses : sequence of Dose
        Drawn as markers (and infusion spans) along the time axis.
    title : str, optional
    reference_range_ng_ml : (float, float) or None
        Horizontal reference band; None hides it.
    dpi : int
        PNG resolution.

    Returns
    -------
    bytes
        The encoded image.
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be png or svg (got {fmt!r})")
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ketaclinic.domain import pk

    info = pk.models()[result.model]
    t_end = float(result.t_min[-1])
    detail_min = detail_window_min(result, doses)
    footer = [part for line in footer_lines(result, population, info) for part in textwrap.wrap(line, 160)]
    split = detail_min < t_end
    fig = Figure(figsize=(11.0, 5.4 + 0.18 * len(footer)), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(
        2,
        2 if split else 1,
        height_ratios=(1.0, 0.12 + 0.035 * len(footer)),
        width_ratios=(1.0, 1.35) if split else None,
    )
    if split:
        left = fig.add_subplot(grid[0, 0])
        right = fig.add_subplot(grid[0, 1], sharey=left)
        _draw(left, result, population, doses, info, reference_range_ng_ml, detail_min, annotate=True)
        _draw(right, result, population, doses, info, reference_range_ng_ml, t_end, annotate=False)
        left.set_title(f"First {format_span(detail_min)}", fontsize=10, loc="left", color="#333333")
        right.set_title(f"Whole {format_span(t_end)}", fontsize=10, loc="left", color="#333333")
        axes = [left, right]
    else:
        axes = [fig.add_subplot(grid[0, 0])]
        _draw(axes[0], result, population, doses, info, reference_range_ng_ml, t_end, annotate=True)
    top = max(float(result.plasma_ng_ml.max()), reference_range_ng_ml[1] if reference_range_ng_ml else 0.0)
    if population is not None:
        top = max(top, float(population.percentiles([95]).max()))
    for series in (result.effect_site_ng_ml, result.metabolite_ng_ml):
        if series is not None:
            top = max(top, float(series.max()))
    axes[0].set_ylim(0, top * 1.15 if top > 0 else 1.0)
    axes[0].set_ylabel(Y_LABEL)
    fig.suptitle(title or f"{result.model}: {info.drug}", fontsize=12, x=0.01, ha="left")

    # legend and footnotes in their own row, so the layout engine keeps them apart
    bottom = fig.add_subplot(grid[1, :])
    bottom.axis("off")
    handles, names = axes[-1].get_legend_handles_labels()
    bottom.legend(
        handles, names, loc="upper center", ncols=3 if split else 2, fontsize=8.5, frameon=False, borderaxespad=0
    )
    for i, line in enumerate(reversed(footer)):
        warning = line.startswith("UNCERTAIN")
        bottom.annotate(
            line,
            (0.0, 0.0),
            xycoords="axes fraction",
            xytext=(0, 11.5 * i),
            textcoords="offset points",
            fontsize=8.5 if warning else 7.5,
            va="bottom",
            color="#b00020" if warning else "#555555",
            weight="bold" if warning else "normal",
        )

    buffer = io.BytesIO()
    metadata: dict[str, Any] = {"Date": None} if fmt == "svg" else {}
    with matplotlib.rc_context({"svg.hashsalt": "ketaclinic"}):  # same input, same SVG bytes
        fig.savefig(buffer, format=fmt, dpi=dpi, metadata=metadata)
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------------------------
# The plan page's preview, drawn as SVG directly (issue 16 item 15).
#
# matplotlib took 0.3–1.3 s per preview (layout and text measurement of two figures), most of the request. The web
# preview draws the same figure — panels, band, curves, doses, Cmax, reference range, legend, footnotes — as SVG
# elements in ~5 ms. Text stays text; colours are presentation attributes (no ``style``), so the page's strict CSP
# holds whether the SVG is a data URI or inline. Two layouts: ``wide`` (panels side by side, for ≥ 40 rem) and
# ``narrow`` (panels stacked, larger type relative to the width, for phones).
# ----------------------------------------------------------------------------------------------------------------
