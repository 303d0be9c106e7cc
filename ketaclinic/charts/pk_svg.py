"""The plan page's PK preview charts as SVG written directly (issue 16, item 15): the figure of ``charts.pk``'s
:func:`~ketaclinic.charts.pk.render_chart` in a few milliseconds (matplotlib's layout took 0.3–1.3 s per preview),
with a ``narrow`` layout for phones; :func:`render_comparison_svg` draws the preview's routes side by side. The
legend's words and footnotes come from ``charts.pk`` so both charts say the same."""

from __future__ import annotations

import html
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ketaclinic.charts.pk import (
    BAND,
    BLUE,
    DISSOCIATIVE_RANGE_NG_ML,
    GREEN,
    ORANGE,
    PURPLE,
    Y_LABEL,
    chart_labels,
    detail_window_min,
    footer_lines,
    format_minutes,
    format_span,
)

if TYPE_CHECKING:
    from ketaclinic.domain.pk import Dose, PKResult, PopulationResult

__all__ = ["render_comparison_svg", "render_preview_svg"]


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
            svg.rect(left, mid - font * 0.4, swatch, font * 0.8, colour, 0.55 if colour == BAND else 0.25)
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
    detail_min = detail_window_min(result, doses)
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
    windows = [(detail_min, True, f"First {format_span(detail_min)}"), (t_end, False, f"Whole {format_span(t_end)}")]
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
            panel.hspan(low, high, GREEN, 0.10)
            for level in (low, high):
                panel.hline(level, GREEN, 1.0, "dashed", 0.7)
        for i, dose in enumerate(doses):
            if dose.duration_min > 0:
                panel.vspan(dose.start_min / scale, (dose.start_min + dose.duration_min) / scale, "#888888", 0.13)
                if index == 0 and i == 0:
                    entries.append(("span", "#888888", "infusion"))
        if band is not None and population is not None:
            panel.band(t, band[0][shown], band[1][shown], BAND, 0.55)
        panel.curve(t, result.plasma_ng_ml[shown], BLUE, 2.4)
        if result.effect_site_ng_ml is not None:
            panel.curve(t, result.effect_site_ng_ml[shown], ORANGE, 2.0, "dotted")
        if result.metabolite_ng_ml is not None:
            panel.curve(t, result.metabolite_ng_ml[shown], PURPLE, 1.6, "dashdot")
        panel.finish_axes()
        for dose in doses:
            svg.add(_triangle(panel.sx(dose.start_min / scale), panel.y0 + panel.h + 0.6 * font, 0.6 * font))
        if annotate and result.tmax_min <= until:
            px, py = panel.sx(result.tmax_min / scale), panel.sy(result.cmax_ng_ml)
            svg.add(f'<circle cx="{_f(px)}" cy="{_f(py)}" r="4" fill="{BLUE}"/>')
            lines = [f"Cmax {result.cmax_ng_ml:.0f} ng/mL", f"at {format_minutes(result.tmax_min)}"]
            room = panel.x0 + panel.w - px
            anchor, dx = ("start", 10.0) if room > _text_width(lines[0], font) + 14 else ("end", -10.0)
            ty = max(panel.y0 + font, py - 8 - font * 1.2)
            for k, line in enumerate(lines):
                svg.text(
                    px + dx, ty + k * font * 1.2, line, size=font, fill=BLUE, anchor=anchor, weight="bold", halo=True
                )
    # legend entries in render_chart's order (reference, band, typical, effect site, metabolite, infusion, dose)
    labels = chart_labels(result, population, info, reference_range_ng_ml)
    ordered: list[tuple[str, str, str]] = []
    if "reference" in labels:
        ordered.append(("band", GREEN, labels["reference"]))
    if "band" in labels:
        ordered.append(("band", BAND, labels["band"]))
    ordered.append(("solid", BLUE, labels["plasma"]))
    if "effect_site" in labels:
        ordered.append(("dotted", ORANGE, labels["effect_site"]))
    if "metabolite" in labels:
        ordered.append(("dashdot", PURPLE, labels["metabolite"]))
    ordered += entries
    if doses:
        ordered.append(("marker", "#333333", "dose"))
    y += _legend(svg, ordered, 8, y, width - 16, font)
    y += 6
    for line in _wrap(footer_lines(result, population, info), width - 16, font - 1):
        warning = line.startswith("UNCERTAIN")
        y += (font - 1) * 1.35
        colour, weight = ("#b00020", "bold") if warning else ("#555555", None)
        svg.text(8, y, line, size=font - 1, fill=colour, weight=weight)
    y += 10
    desc = (
        f"Predicted {info.drug} plasma concentration over {format_span(t_end)}: Cmax {result.cmax_ng_ml:.0f} ng/mL at "
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
        panel.hspan(low, high, GREEN, 0.08)
        entries.append(("band", GREEN, f"observed dissociative range {low:g}–{high:g} ng/mL"))
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
