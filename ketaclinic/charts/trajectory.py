"""The trajectory chart: one scale's scores over time as an SVG (matplotlib, Agg, no pyplot global state).

What it draws, for the scale selected on the trajectory page:

- the scores as points joined by a line, the y axis from the scale's range (instruments.md) with its name as label;
- the baseline, the response line (50 % of baseline: response = ≥ 50 % reduction) and, where the scale defines one,
  the remission threshold (PHQ-9 < 5, GAD-7 < 5, QIDS-SR16 ≤ 5, MADRS: the clinic's cut-off, default ≤ 9), all
  from clinical-rules.md §5 through the ``domain.outcomes`` constants (``domain.trajectory.reference_lines``); pain
  scales get the IMMPACT ≥ 30 % and ≥ 50 % reduction lines instead;
- one dashed vertical line per treatment session that started, labelled with its number, route and dose; other
  marks (the pain plan's referrals) carry their own ``style`` and ``short`` label.

The page shows the same data as a table; the SVG carries a ``<title>`` and ``<desc>`` and ``role="img"`` for screen
readers. Text stays text (``svg.fonttype = none``), so it is crisp and searchable at any width.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from html import escape
from typing import TYPE_CHECKING, Protocol

from django.utils import timezone

from ketaclinic.domain.trajectory import ReferenceLines

if TYPE_CHECKING:
    from matplotlib.axes import Axes


class ChartScore(Protocol):
    @property
    def total(self) -> float: ...
    @property
    def taken_at(self) -> dt.datetime: ...


class ChartSession(Protocol):
    @property
    def started_at(self) -> dt.datetime: ...
    @property
    def number(self) -> int: ...
    @property
    def label(self) -> str: ...


class Trajectory(Protocol):
    """What the chart reads of a patient's trajectory (``followup.queries.trajectory.Trajectory`` has it)."""

    @property
    def scale(self) -> str | None: ...
    @property
    def scale_label(self) -> str: ...
    @property
    def total_range(self) -> tuple[float, float] | None: ...
    @property
    def scores(self) -> Sequence[ChartScore]: ...
    @property
    def sessions(self) -> Sequence[ChartSession]: ...
    @property
    def lines(self) -> ReferenceLines | None: ...


INK = "#1f2933"
SCORE = "#1d4e89"
BASELINE = "#6b7280"
RESPONSE = "#b45309"
REMISSION = "#15803d"
SESSION = "#9ca3af"


def _description(view: Trajectory) -> str:
    parts = [f"{view.scale_label} scores over time for this patient: {len(view.scores)} score(s)"]
    if view.scores:
        first, last = view.scores[0], view.scores[-1]
        parts.append(f"from {first.total:g} on {first.taken_at:%Y-%m-%d} to {last.total:g} on {last.taken_at:%Y-%m-%d}")
    if view.sessions:
        parts.append(f"{len(view.sessions)} treatment session(s) marked")
    return ", ".join(parts) + ". The same data is in the table below the chart."


#: Figure sizes in inches at 100 px per inch: "wide" fills a tablet card (768 px), "narrow" a phone (390 px) without
#: shrinking the text below legibility.
SIZES = {"wide": (7.2, 4.0), "narrow": (3.6, 3.6)}


def render_svg(view: Trajectory, *, size: str = "wide") -> bytes:
    """The chart of ``view`` (one scale) as SVG bytes; an empty chart with a message when there are no scores."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "ketaclinic", "font.size": 11}):
        narrow = size == "narrow"
        fig = Figure(figsize=SIZES["narrow" if narrow else "wide"], dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        axis = fig.add_subplot()
        low, high = view.total_range or (0.0, 1.0)
        axis.set_ylim(low, high + (high - low) * 0.08)
        axis.set_ylabel(f"{view.scale_label} total ({low:g}–{high:g})" if view.scale else "Score")
        axis.set_xlabel("Date (clinic time zone)")
        axis.grid(axis="y", color="#e5e7eb", linewidth=0.8)
        for side in ("top", "right"):
            axis.spines[side].set_visible(False)
        if not view.scores:
            axis.text(0.5, 0.5, "No scores yet", ha="center", va="center", transform=axis.transAxes, color=INK)
            axis.set_xticks([])
        else:
            _draw(axis, view, narrow=narrow)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return _accessible(buffer.getvalue(), title=f"{view.scale_label} trajectory", desc=_description(view))


def _draw(axis: Axes, view: Trajectory, *, narrow: bool) -> None:
    from matplotlib import dates as mdates

    def x(moment: dt.datetime) -> float:
        return float(mdates.date2num(moment))  # type: ignore[no-untyped-call]

    times = [x(score.taken_at) for score in view.scores]
    totals = [score.total for score in view.scores]
    lines = view.lines
    if lines is not None:
        if lines.baseline_total is not None:
            axis.axhline(
                lines.baseline_total, color=BASELINE, linewidth=1.2, label=f"Baseline {lines.baseline_total:g}"
            )
        if lines.response_total is not None:
            what = "≥ 50 % reduction" if lines.moderate_total is not None else "Response (50 % of baseline)"
            axis.axhline(lines.response_total, color=RESPONSE, linewidth=1.2, linestyle="--", label=f"{what}")
        if lines.moderate_total is not None:
            axis.axhline(lines.moderate_total, color=RESPONSE, linewidth=1, linestyle=":", label="≥ 30 % reduction")
        if lines.remission_total is not None:
            sign = "≤" if lines.remission_inclusive else "<"
            axis.axhline(
                lines.remission_total,
                color=REMISSION,
                linewidth=1.2,
                linestyle="-.",
                label=f"Remission {sign} {lines.remission_total:g}",
            )
    axis.plot(times, totals, color=SCORE, linewidth=2, marker="o", markersize=6, label="Score", zorder=3)
    top = axis.get_ylim()[1]
    start = min(times)
    end = max(times)
    for mark in view.sessions:
        at = x(mark.started_at)
        # Other events (a pain plan's referrals) may ride along as marks with their own ``short`` label and style.
        style = getattr(mark, "style", None) or {"color": SESSION, "linestyle": "--"}
        axis.axvline(at, linewidth=1, zorder=1, **style)
        start, end = min(start, at), max(end, at)
        axis.annotate(
            getattr(mark, "short", None) or f"#{mark.number}" if narrow else mark.label,
            xy=(at, top),
            xytext=(2, -2),
            textcoords="offset points",
            rotation=90,
            va="top",
            ha="left",
            fontsize=8,
            color=INK,
        )
    if end - start < 2:  # (days) a day's worth of scores: show a few days so the date ticks make sense
        start, end = start - 1, end + 1
    span = end - start
    axis.set_xlim(start - span * 0.03, end + span * 0.03)
    zone = timezone.get_current_timezone()  # the clinic's zone (set per request by accounts.middleware)
    locator = mdates.AutoDateLocator(tz=zone)  # type: ignore[no-untyped-call]
    axis.xaxis.set_major_locator(locator)
    formatter = mdates.ConciseDateFormatter(locator, tz=zone, show_offset=not narrow)  # type: ignore[no-untyped-call]
    axis.xaxis.set_major_formatter(formatter)
    axis.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2 if narrow else 3)


def _accessible(svg: bytes, *, title: str, desc: str) -> bytes:
    """Add ``role="img"``, ``aria-labelledby`` and ``<title>``/``<desc>`` right after the opening ``<svg>`` tag."""
    text = svg.decode("utf-8")
    start = text.index("<svg")
    close = text.index(">", start)
    head = text[:close] + ' role="img" aria-labelledby="chart-title chart-desc">'
    extra = f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(desc)}</desc>'
    return (head + extra + text[close + 1 :]).encode("utf-8")
