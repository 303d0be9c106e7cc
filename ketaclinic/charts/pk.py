"""The PK chart: concentration over time for one simulated session, with the population band and the doses marked.

Drawn for ``ketaclinic pk simulate --plot`` by :func:`render_chart` (matplotlib, Agg, no pyplot global state; PNG or
SVG), and for the plan page's preview (``plans.preview``) by :func:`render_preview_svg`, which writes the same figure
as SVG directly in a few milliseconds (matplotlib's layout took 0.3–1.3 s per preview, issue 16 item 15), with a
``narrow`` layout for phones; :func:`render_comparison_svg` draws the preview's routes side by side. matplotlib and
NumPy load only when a chart is drawn.
"""

from __future__ import annotations

import html
import io
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ketaclinic.domain.pk import Dose, PKResult, PopulationResult

__all__ = ["DISSOCIATIVE_RANGE_NG_ML", "format_minutes", "render_chart", "render_comparison_svg", "render_preview_svg"]

#: Plasma range observed with racemic ketamine's dissociative effects (Krystal 1994), drawn for reference.
DISSOCIATIVE_RANGE_NG_ML = (100.0, 250.0)
_BLUE, _BAND, _ORANGE, _PURPLE, _GREEN = "#1f4e99", "#9dbbe6", "#d9730d", "#7b3fa0", "#2e9e5b"


def format_minutes(minutes: float) -> str:
    """``42.0 min`` below two hours, ``2.50 h`` from there."""
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.2f} h"


def _fmt_span(minutes: float) -> str:
    return f"{minutes:g} min" if minutes < 120 else f"{minutes / 60:g} h"


def _detail_window_min(result: PKResult, doses: Sequence[Dose]) -> float:
    """A close-up long enough to show every dose and peak (3 × the latest of them, at least 2 h, whole hours)."""
    latest = max(
        [result.tmax_min]
        + [d.start_min + d.duration_min for d in doses]
        + [e.tmax_min for e in (result.effect_site, result.metabolite) if e is not None]
    )
    window = max(120.0, 60.0 * math.ceil(3 * latest / 60.0))
    return window if window <= 0.5 * float(result.t_min[-1]) else float(result.t_min[-1])


Y_LABEL = "Concentration (ng/mL)"


def _labels(
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


def _footer_lines(result: PKResult, population: PopulationResult | None, info: Any) -> list[str]:
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
    labels = _labels(result, population, info, reference)
    if reference is not None:
        low, high = reference
        ax.axhspan(
            low,
            high,
            color=_GREEN,
            alpha=0.10,
            lw=0,
            zorder=0,
            label=labels["reference"],
        )
        for level in (low, high):
            ax.axhline(level, color=_GREEN, lw=0.8, ls=(0, (4, 3)), alpha=0.7, zorder=1)
    if population is not None:
        p5, p95 = population.percentiles([5, 95])
        ax.fill_between(
            t,
            p5[shown],
            p95[shown],
            color=_BAND,
            alpha=0.55,
            lw=0,
            label=labels["band"],
        )
    ax.plot(t, result.plasma_ng_ml[shown], color=_BLUE, lw=2.2, label=labels["plasma"])
    if result.effect_site_ng_ml is not None:
        ax.plot(
            t,
            result.effect_site_ng_ml[shown],
            color=_ORANGE,
            lw=1.8,
            ls=(0, (1, 1.5)),
            label=labels["effect_site"],
        )
    if result.metabolite_ng_ml is not None:
        ax.plot(t, result.metabolite_ng_ml[shown], color=_PURPLE, lw=1.5, ls="-.", label=labels["metabolite"])
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
        ax.plot([result.tmax_min / scale], [result.cmax_ng_ml], "o", color=_BLUE, ms=5, zorder=5)
        ax.annotate(
            f"Cmax {result.cmax_ng_ml:.0f} ng/mL\nat {format_minutes(result.tmax_min)}",
            (result.tmax_min / scale, result.cmax_ng_ml),
            xytext=(10, 4),
            textcoords="offset points",
            fontsize=8.5,
            color=_BLUE,
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
    detail_min = _detail_window_min(result, doses)
    footer = [part for line in _footer_lines(result, population, info) for part in textwrap.wrap(line, 160)]
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
        left.set_title(f"First {_fmt_span(detail_min)}", fontsize=10, loc="left", color="#333333")
        right.set_title(f"Whole {_fmt_span(t_end)}", fontsize=10, loc="left", color="#333333")
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

_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
_GREY_TEXT, _AXIS, _GRID = "#333333", "#444444", "#e3e3e3"


def _f(value: float) -> str:
    """A coordinate with at most one decimal (compact and deterministic)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else ("0" if text == "-0.0" else text)


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _nice_step(span: float, target: int, steps: Sequence[float] | None = None) -> float:
    raw = span / max(target, 1)
    if steps is not None:
        return next((s for s in steps if s >= raw), steps[-1])
    magnitude = 10 ** math.floor(math.log10(raw)) if raw > 0 else 1.0
    return next(m * magnitude for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * magnitude >= raw - 1e-12)


def _ticks(low: float, high: float, step: float) -> list[float]:
    first = math.ceil(low / step - 1e-9)
    return [i * step for i in range(first, math.floor(high / step + 1e-9) + 1)]


def _text_width(text: str, size: float) -> float:
    """Rough advance width of ``text`` in a sans-serif face (for layout only)."""
    return 0.56 * size * len(text)


class _Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, element: str) -> None:
        self.parts.append(element)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        fill: str = _GREY_TEXT,
        anchor: str = "start",
        weight: str | None = None,
        rotate: bool = False,
        halo: bool = False,
    ) -> None:
        extra = f' font-weight="{weight}"' if weight else ""
        if halo:  # a white outline under the glyphs keeps a label readable over curves
            extra += ' stroke="#ffffff" stroke-width="4" stroke-linejoin="round" paint-order="stroke"'
        if rotate:
            extra += f' transform="rotate(-90 {_f(x)} {_f(y)})"'
        self.add(
            f'<text x="{_f(x)}" y="{_f(y)}" font-size="{_f(size)}" fill="{fill}" text-anchor="{anchor}"{extra}>'
            f"{_esc(text)}</text>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str, width: float, extra: str = "") -> None:
        self.add(
            f'<line x1="{_f(x1)}" y1="{_f(y1)}" x2="{_f(x2)}" y2="{_f(y2)}" stroke="{stroke}" '
            f'stroke-width="{_f(width)}"{extra}/>'
        )

    def rect(self, x: float, y: float, w: float, h: float, fill: str, opacity: float | None = None) -> None:
        extra = f' fill-opacity="{opacity:g}"' if opacity is not None else ""
        self.add(f'<rect x="{_f(x)}" y="{_f(y)}" width="{_f(w)}" height="{_f(h)}" fill="{fill}"{extra}/>')

    def document(self, width: float, height: float, title: str, desc: str) -> bytes:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_f(width)} {_f(height)}" '
            f'width="{_f(width)}" height="{_f(height)}" role="img" font-family="{_FONT}">'
            f"<title>{_esc(title)}</title><desc>{_esc(desc)}</desc>"
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
        )
        return (head + "".join(self.parts) + "</svg>").encode()


#: Dash patterns in user units (matplotlib's ``(0, (4, 3))``, dotted and dash-dot at these line widths).
_DASHES = {"solid": "", "dashed": "6 4", "dotted": "2 3", "dashdot": "8 3 2 3"}


class _Panel:
    """One plot area: data → SVG coordinates, grid, axes and ticks."""

    def __init__(
        self, svg: _Svg, x: float, y: float, w: float, h: float, x_max: float, y_max: float, *, hours: bool
    ) -> None:
        self.svg, self.x0, self.y0, self.w, self.h = svg, x, y, w, h
        self.x_max, self.y_max, self.hours = x_max, y_max, hours

    def sx(self, value: float) -> float:
        return self.x0 + self.w * value / self.x_max

    def sy(self, value: float) -> float:
        return self.y0 + self.h * (1.0 - value / self.y_max)

    def path(self, xs: Any, ys: Any) -> str:
        """``x,y x,y …`` in SVG units with one decimal (formatted in one C-level ``%`` for speed: ~1,400 points)."""
        import numpy as np

        px = self.x0 + self.w * np.asarray(xs, dtype=float) / self.x_max
        py = self.y0 + self.h * (1.0 - np.asarray(ys, dtype=float) / self.y_max)
        pairs = np.column_stack([px, py]).ravel() + 0.0  # + 0.0 turns -0.0 into 0.0
        return ("%.1f,%.1f " * len(px) % tuple(pairs.tolist())).rstrip()

    def curve(self, xs: Any, ys: Any, colour: str, width: float, dash: str = "solid") -> None:
        pattern = f' stroke-dasharray="{_DASHES[dash]}"' if _DASHES[dash] else ""
        self.svg.add(
            f'<polyline points="{self.path(xs, ys)}" fill="none" stroke="{colour}" stroke-width="{_f(width)}" '
            f'stroke-linejoin="round"{pattern}/>'
        )

    def band(self, xs: Any, low: Any, high: Any, colour: str, opacity: float) -> None:
        import numpy as np

        points = self.path(np.concatenate([xs, xs[::-1]]), np.concatenate([high, low[::-1]]))
        self.svg.add(f'<polygon points="{points}" fill="{colour}" fill-opacity="{opacity:g}" stroke="none"/>')

    def hspan(self, low: float, high: float, colour: str, opacity: float) -> None:
        top, bottom = self.sy(min(high, self.y_max)), self.sy(max(low, 0.0))
        self.svg.rect(self.x0, top, self.w, bottom - top, colour, opacity)

    def vspan(self, start: float, end: float, colour: str, opacity: float) -> None:
        left, right = self.sx(max(start, 0.0)), self.sx(min(end, self.x_max))
        if right > left:
            self.svg.rect(left, self.y0, right - left, self.h, colour, opacity)

    def hline(self, value: float, colour: str, width: float, dash: str = "solid", opacity: float = 1.0) -> None:
        extra = f' stroke-dasharray="{_DASHES[dash]}"' if _DASHES[dash] else ""
        extra += f' stroke-opacity="{opacity:g}"' if opacity < 1 else ""
        y = self.sy(value)
        self.svg.line(self.x0, y, self.x0 + self.w, y, colour, width, extra)

    def grid_and_axes(self, *, font: float, x_label: str, y_label: str | None, x_ticks: int = 6) -> None:
        svg = self.svg
        y_step = _nice_step(self.y_max, 5)
        x_step = _nice_step(self.x_max, x_ticks, (0.25, 0.5, 1, 2, 3, 4, 6, 12, 24) if self.hours else None)
        if not self.hours:
            x_step = _nice_step(self.x_max, x_ticks, (5, 10, 15, 20, 30, 60, 120, 240))
        x_ticks_at = _ticks(0.0, self.x_max, x_step)
        y_ticks_at = _ticks(0.0, self.y_max, y_step)
        for value in x_ticks_at:
            x = self.sx(value)
            svg.line(x, self.y0, x, self.y0 + self.h, _GRID, 0.8)
        for value in y_ticks_at:
            y = self.sy(value)
            svg.line(self.x0, y, self.x0 + self.w, y, _GRID, 0.8)
        self._ticks_x, self._ticks_y = x_ticks_at, y_ticks_at
        self._font, self._x_label, self._y_label = font, x_label, y_label

    def finish_axes(self) -> None:
        """Axis lines, ticks and labels, drawn over the data."""
        svg, font, bottom = self.svg, self._font, self.y0 + self.h
        svg.line(self.x0, self.y0, self.x0, bottom, _AXIS, 1.0)
        svg.line(self.x0, bottom, self.x0 + self.w, bottom, _AXIS, 1.0)
        for value in self._ticks_x:
            x = self.sx(value)
            svg.line(x, bottom, x, bottom + 5, _AXIS, 1.0)
            svg.text(x, bottom + 7 + font, f"{value:g}", size=font, anchor="middle")
        for value in self._ticks_y:
            y = self.sy(value)
            svg.line(self.x0 - 5, y, self.x0, y, _AXIS, 1.0)
            svg.text(self.x0 - 8, y + 0.35 * font, f"{value:g}", size=font, anchor="end")
        svg.text(self.x0 + self.w / 2, bottom + 2 * font + 16, self._x_label, size=font + 1, anchor="middle")
        if self._y_label:
            svg.text(self.x0 - 3.4 * font - 8, self.y0 + self.h / 2, self._y_label, size=font + 1, anchor="middle",
                     rotate=True)  # fmt: skip


def _legend(svg: _Svg, entries: list[tuple[str, str, str]], x: float, y: float, width: float, font: float) -> float:
    """Legend entries (kind, colour, label) in as many columns as fit (a label too long for one column wraps);
    returns the height used."""
    if not entries:
        return 0.0
    swatch, gap, leading = 26.0, 8.0, font * 1.25
    longest = max(_text_width(label, font) for _, _, label in entries) + swatch + gap + 18
    columns = max(1, min(3, int(width // longest), len(entries)))
    column_width = width / columns
    rows = math.ceil(len(entries) / columns)
    wrapped = [_wrap([label], column_width - swatch - gap - 8, font) for _, _, label in entries]
    heights = [
        max(len(wrapped[c * rows + r]) for c in range(columns) if c * rows + r < len(entries)) * leading + 0.3 * font
        for r in range(rows)
    ]
    for i, (kind, colour, _) in enumerate(entries):
        column, line = divmod(i, rows)
        left, mid = x + column * column_width, y + sum(heights[:line]) + (leading + 0.3 * font) / 2
        if kind == "band":
            svg.rect(left, mid - font * 0.4, swatch, font * 0.8, colour, 0.55 if colour == _BAND else 0.25)
        elif kind == "span":
            svg.rect(left, mid - font * 0.4, swatch, font * 0.8, colour, 0.25)
        elif kind == "marker":
            svg.add(_triangle(left + swatch / 2, mid + font * 0.3, font * 0.6))
        else:
            width_px = 2.2 if kind == "solid" else 1.8
            extra = f' stroke-dasharray="{_DASHES[kind]}"' if _DASHES.get(kind) else ""
            svg.line(left, mid, left + swatch, mid, colour, width_px, extra)
        for k, text in enumerate(wrapped[i]):
            svg.text(left + swatch + gap, mid + 0.35 * font + k * leading, text, size=font)
    return sum(heights)


def _triangle(x: float, base_y: float, size: float) -> str:
    """An upward dose marker whose tip points at the time axis from below (the axis is at ``base_y - size``)."""
    half = size * 0.6
    return (
        f'<polygon points="{_f(x)},{_f(base_y - size)} {_f(x - half)},{_f(base_y)} {_f(x + half)},{_f(base_y)}" '
        f'fill="#333333"/>'
    )


def _wrap(lines: Sequence[str], width_px: float, font: float) -> list[str]:
    chars = max(20, int(width_px / (0.56 * font)))
    return [part for line in lines for part in (textwrap.wrap(line, chars) or [""])]


def render_preview_svg(
    result: PKResult,
    population: PopulationResult | None = None,
    *,
    doses: Sequence[Dose] = (),
    title: str | None = None,
    reference_range_ng_ml: tuple[float, float] | None = DISSOCIATIVE_RANGE_NG_ML,
    layout: str = "wide",
    band: tuple[Any, Any] | None = None,
) -> bytes:
    """The figure of :func:`render_chart` as SVG written directly (no matplotlib): for the plan page's preview.

    ``layout`` is ``"wide"`` (close-up and whole-horizon panels side by side) or ``"narrow"`` (stacked, for phones).
    ``band`` may pass the population's 5th and 95th percentile series when the caller has them already (they are
    computed from ``population`` otherwise). Deterministic: the same input gives the same bytes.
    """
    if layout not in ("wide", "narrow"):
        raise ValueError(f"layout must be wide or narrow (got {layout!r})")
    from ketaclinic.domain import pk

    info = pk.models()[result.model]
    narrow = layout == "narrow"
    t_end = float(result.t_min[-1])
    detail_min = _detail_window_min(result, doses)
    split = detail_min < t_end
    if population is not None and band is None:
        p5, p95 = population.percentiles([5, 95])
        band = (p5, p95)
    top = max(float(result.plasma_ng_ml.max()), reference_range_ng_ml[1] if reference_range_ng_ml else 0.0)
    if band is not None:
        top = max(top, float(band[1].max()))
    for series in (result.effect_site_ng_ml, result.metabolite_ng_ml):
        if series is not None:
            top = max(top, float(series.max()))
    y_max = top * 1.15 if top > 0 else 1.0  # as render_chart

    width, font = (360.0, 13.0) if narrow else (1100.0, 14.0)
    left_margin, right_margin = 4.2 * font + 18, 16.0
    svg = _Svg()
    chart_title = title or f"{result.model}: {info.drug}"
    y = 8.0
    for line in _wrap([chart_title], width - 16, font + 3):
        y += (font + 3) * 1.3
        svg.text(8, y, line, size=font + 3, weight="bold")
    y += 10
    panel_h = 230.0 if narrow else 320.0
    windows = [(detail_min, True, f"First {_fmt_span(detail_min)}"), (t_end, False, f"Whole {_fmt_span(t_end)}")]
    if not split:
        windows = [(t_end, True, "")]
    panels: list[tuple[_Panel, float, bool]] = []
    if narrow or not split:
        for until, annotate, heading in windows:
            if heading:
                y += font * 1.4
                svg.text(left_margin, y, heading, size=font + 1)
            y += 8
            panel = _Panel(svg, left_margin, y, width - left_margin - right_margin, panel_h, 1, y_max, hours=False)
            panels.append((panel, until, annotate))
            y += panel_h + 2 * font + 30
    else:
        gap = 5.2 * font
        usable = width - left_margin - right_margin - gap
        widths = (usable / 2.35, usable * 1.35 / 2.35)
        x = left_margin
        y += font * 1.4
        for (until, annotate, heading), w in zip(windows, widths, strict=True):
            svg.text(x, y, heading, size=font + 1)
            panel = _Panel(svg, x, y + 8, w, panel_h, 1, y_max, hours=False)
            panels.append((panel, until, annotate))
            x += w + gap
        y += 8 + panel_h + 2 * font + 30

    entries: list[tuple[str, str, str]] = []
    for index, (panel, until, annotate) in enumerate(panels):
        hours = until > 180
        scale = 60.0 if hours else 1.0
        panel.x_max, panel.hours = until / scale, hours
        shown = result.t_min <= until + 1e-9
        t = result.t_min[shown] / scale
        panel.grid_and_axes(
            font=font,
            x_label="Time after first dose (h)" if hours else "Time after first dose (min)",
            y_label=Y_LABEL if (index == 0 or narrow) else None,
            x_ticks=5 if (narrow or panel.w < 450) else 8,
        )
        if reference_range_ng_ml is not None:
            low, high = reference_range_ng_ml
            panel.hspan(low, high, _GREEN, 0.10)
            for level in (low, high):
                panel.hline(level, _GREEN, 1.0, "dashed", 0.7)
        for i, dose in enumerate(doses):
            if dose.duration_min > 0:
                panel.vspan(dose.start_min / scale, (dose.start_min + dose.duration_min) / scale, "#888888", 0.13)
                if index == 0 and i == 0:
                    entries.append(("span", "#888888", "infusion"))
        if band is not None and population is not None:
            panel.band(t, band[0][shown], band[1][shown], _BAND, 0.55)
        panel.curve(t, result.plasma_ng_ml[shown], _BLUE, 2.4)
        if result.effect_site_ng_ml is not None:
            panel.curve(t, result.effect_site_ng_ml[shown], _ORANGE, 2.0, "dotted")
        if result.metabolite_ng_ml is not None:
            panel.curve(t, result.metabolite_ng_ml[shown], _PURPLE, 1.6, "dashdot")
        panel.finish_axes()
        for dose in doses:
            svg.add(_triangle(panel.sx(dose.start_min / scale), panel.y0 + panel.h + 0.6 * font, 0.6 * font))
        if annotate and result.tmax_min <= until:
            px, py = panel.sx(result.tmax_min / scale), panel.sy(result.cmax_ng_ml)
            svg.add(f'<circle cx="{_f(px)}" cy="{_f(py)}" r="4" fill="{_BLUE}"/>')
            lines = [f"Cmax {result.cmax_ng_ml:.0f} ng/mL", f"at {format_minutes(result.tmax_min)}"]
            room = panel.x0 + panel.w - px
            anchor, dx = ("start", 10.0) if room > _text_width(lines[0], font) + 14 else ("end", -10.0)
            ty = max(panel.y0 + font, py - 8 - font * 1.2)
            for k, line in enumerate(lines):
                svg.text(
                    px + dx, ty + k * font * 1.2, line, size=font, fill=_BLUE, anchor=anchor, weight="bold", halo=True
                )
    # legend entries in render_chart's order (reference, band, typical, effect site, metabolite, infusion, dose)
    labels = _labels(result, population, info, reference_range_ng_ml)
    ordered: list[tuple[str, str, str]] = []
    if "reference" in labels:
        ordered.append(("band", _GREEN, labels["reference"]))
    if "band" in labels:
        ordered.append(("band", _BAND, labels["band"]))
    ordered.append(("solid", _BLUE, labels["plasma"]))
    if "effect_site" in labels:
        ordered.append(("dotted", _ORANGE, labels["effect_site"]))
    if "metabolite" in labels:
        ordered.append(("dashdot", _PURPLE, labels["metabolite"]))
    ordered += entries
    if doses:
        ordered.append(("marker", "#333333", "dose"))
    y += _legend(svg, ordered, 8, y, width - 16, font)
    y += 6
    for line in _wrap(_footer_lines(result, population, info), width - 16, font - 1):
        warning = line.startswith("UNCERTAIN")
        y += (font - 1) * 1.35
        colour, weight = ("#b00020", "bold") if warning else ("#555555", None)
        svg.text(8, y, line, size=font - 1, fill=colour, weight=weight)
    y += 10
    desc = (
        f"Predicted {info.drug} plasma concentration over {_fmt_span(t_end)}: Cmax {result.cmax_ng_ml:.0f} ng/mL at "
        f"{format_minutes(result.tmax_min)}"
        + (f", with the population 5–95 % band (n = {population.n})" if population is not None else "")
        + "."
    )
    return svg.document(width, y, chart_title, desc)


def render_comparison_svg(
    curves: Sequence[tuple[str, str, Any, Any]],
    *,
    title: str = "Same systemic dose by each route (typical patient)",
    reference_range_ng_ml: tuple[float, float] | None = DISSOCIATIVE_RANGE_NG_ML,
    until_h: float = 6.0,
    layout: str = "wide",
    y_label: str = "Plasma (ng/mL)",
) -> bytes:
    """Typical plasma curves of several routes on one axis, as SVG written directly.

    ``curves`` are ``(label, colour, t_min, plasma_ng_ml)``; the x axis is hours 0–``until_h``.
    """
    if layout not in ("wide", "narrow"):
        raise ValueError(f"layout must be wide or narrow (got {layout!r})")
    narrow = layout == "narrow"
    width, font = (360.0, 13.0) if narrow else (1100.0, 14.0)
    left_margin, right_margin = 4.2 * font + 18, 16.0
    until_min = until_h * 60.0
    top = max([float(plasma[t <= until_min + 1e-9].max()) for _, _, t, plasma in curves] or [0.0])
    if reference_range_ng_ml is not None:
        top = max(top, reference_range_ng_ml[1])
    y_max = top * 1.1 if top > 0 else 1.0
    svg = _Svg()
    y = 8.0
    for line in _wrap([title], width - 16, font + 2):
        y += (font + 2) * 1.3
        svg.text(8, y, line, size=font + 2, weight="bold")
    y += 14
    panel_h = 220.0 if narrow else 270.0
    panel = _Panel(svg, left_margin, y, width - left_margin - right_margin, panel_h, until_h, y_max, hours=True)
    panel.grid_and_axes(font=font, x_label="Time after dosing (h)", y_label=y_label, x_ticks=6)
    entries: list[tuple[str, str, str]] = []
    if reference_range_ng_ml is not None:
        low, high = reference_range_ng_ml
        panel.hspan(low, high, _GREEN, 0.08)
        entries.append(("band", _GREEN, f"observed dissociative range {low:g}–{high:g} ng/mL"))
    lines = []
    for label, colour, t, plasma in curves:
        shown = t <= until_min + 1e-9
        panel.curve(t[shown] / 60.0, plasma[shown], colour, 2.2)
        lines.append(("solid", colour, label))
    entries = lines + entries
    panel.finish_axes()
    y += panel_h + 2 * font + 30
    y += _legend(svg, entries, 8, y, width - 16, font) + 10
    desc = "Typical plasma concentration by route at doses of equal systemic exposure: " + "; ".join(
        label for label, *_ in curves
    )
    return svg.document(width, y, title, desc)
