"""``ketaclinic pk simulate``: the PK simulator on the command line, and the chart the plan page reuses.

Registered by ``ketaclinic.cli`` through :func:`register`. Prints Cmax, Tmax and AUC for the typical subject (and
percentile bands with ``--population``), ``--json`` prints one JSON object, ``--plot`` writes a PNG or SVG chart
(:func:`render_chart`). Bad input prints a message naming the flag on stderr and exits 2.

NumPy, SciPy and matplotlib are imported only when a pk command runs, so ``ketaclinic --help`` stays fast.
"""

from __future__ import annotations

import argparse
import io
import json
import math
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ketaclinic.domain.pk import Dose, PKResult, PopulationResult

__all__ = ["DISSOCIATIVE_RANGE_NG_ML", "register", "render_chart", "run_simulate"]

# Kept here (not imported from the domain) so that building the parser does not load NumPy; a test checks they
# match ketaclinic.domain.pk.MODEL_IDS and ROUTES.
MODEL_CHOICES = ("domino1984", "clements1981", "hijazi2003", "kamp2020", "herd2007", "fanta2015", "perez_ruixo2021")
ROUTE_CHOICES = ("iv", "im", "intranasal", "oral", "sublingual")
#: Plasma range observed with racemic ketamine's dissociative effects (Krystal 1994), drawn for reference.
DISSOCIATIVE_RANGE_NG_ML = (100.0, 250.0)
BAND_PERCENTILES = (5.0, 50.0, 95.0)
MAX_POPULATION = 100_000
# domain argument name → the flag that sets it (domain ValueErrors name the argument)
_FLAGS = {
    "weight_kg": "--weight-kg",
    "age_years": "--age-years",
    "height_cm": "--height-cm",
    "amount_mg": "--dose-mg",
    "duration_min": "--duration-min",
    "route": "--route",
    "model": "--model",
    "t_end_min": "--hours",
    "step_min": "--step-min",
    "ke0_per_min": "--ke0-per-min",
    "ke0_t_peak_min": "--ke0-t-peak-min",
    "t_peak_min": "--ke0-t-peak-min",
}


def _number(kind: str, low: float, inclusive: bool) -> Any:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or value < low or (value == low and not inclusive):
            raise argparse.ArgumentTypeError(f"must be {'>=' if inclusive else '>'} {low:g} (got {text})")
        return value

    parse.__name__ = kind
    return parse


_positive = _number("positive number", 0.0, inclusive=False)
_non_negative = _number("non-negative number", 0.0, inclusive=True)


def _integer(low: int, high: int | None) -> Any:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(
                f"must be between {low} and {high} (got {text})" if high else f"must be >= {low} (got {text})"
            )
        return value

    parse.__name__ = "integer"
    return parse


def register(subparsers: Any) -> None:
    """Add ``pk simulate`` to the top-level ``ketaclinic`` subparsers; ``args.func(args)`` returns the exit code."""
    pk_parser = subparsers.add_parser("pk", help="pharmacokinetic simulator (ketamine, esketamine)")
    pk_sub = pk_parser.add_subparsers(dest="pk_command", required=True, metavar="ACTION")
    sim = pk_sub.add_parser(
        "simulate",
        help="concentrations a dose and route produce, for a patient and across the population",
        description="Simulate plasma concentrations of one dose with a published PK model: Cmax, Tmax, AUC for the "
        "typical patient, percentile bands with --population, a chart with --plot.",
    )
    sim.add_argument("--model", choices=MODEL_CHOICES, default="kamp2020", help="PK model (default kamp2020)")
    sim.add_argument("--route", choices=ROUTE_CHOICES, default="iv", help="route (default iv)")
    dose = sim.add_mutually_exclusive_group(required=True)
    dose.add_argument("--dose-mg-per-kg", type=_non_negative, metavar="MG_PER_KG", help="dose per kg of weight")
    dose.add_argument("--dose-mg", type=_non_negative, metavar="MG", help="dose in mg of base drug")
    sim.add_argument("--duration-min", type=_non_negative, default=0.0, metavar="MIN", help="iv infusion duration")
    sim.add_argument("--weight-kg", type=_positive, default=70.0, metavar="KG", help="body weight (default 70)")
    sim.add_argument("--age-years", type=_non_negative, metavar="YEARS")
    sim.add_argument("--sex", choices=("male", "female"))
    sim.add_argument("--height-cm", type=_positive, metavar="CM")
    sim.add_argument("--asian", action="store_true", help="Asian ancestry (perez_ruixo2021 covariate)")
    sim.add_argument(
        "--population",
        type=_integer(1, MAX_POPULATION),
        metavar="N",
        help="also simulate N subjects (percentile bands)",
    )
    sim.add_argument("--hours", type=_positive, default=24.0, help="simulated time (default 24)")
    sim.add_argument("--step-min", type=_positive, default=1.0, metavar="MIN", help="output step (default 1)")
    sim.add_argument("--seed", type=_integer(0, None), default=0, help="random seed of --population (default 0)")
    ke0 = sim.add_mutually_exclusive_group()
    ke0.add_argument("--ke0-per-min", type=_positive, metavar="KE0", help="effect-site rate constant (1/min)")
    ke0.add_argument("--ke0-t-peak-min", type=_positive, metavar="MIN", help="derive ke0 from a bolus t_peak")
    sim.add_argument("--threshold-ng-ml", type=_non_negative, metavar="NG_ML", help="report time above this level")
    sim.add_argument("--plot", metavar="PATH", help="write a chart (.png or .svg)")
    sim.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    sim.set_defaults(func=run_simulate)


def _fail(flag: str, message: str) -> int:
    print(f"ketaclinic pk simulate: error: {flag}: {message}", file=sys.stderr)
    return 2


def _flag_for(message: str) -> str:
    for name, flag in _FLAGS.items():
        if message.startswith(f"{name} ") or f" {name} " in message:
            return flag
    return "input"


def run_simulate(args: argparse.Namespace) -> int:
    """Run ``pk simulate``; returns 0, or 2 on bad input (message naming the flag on stderr)."""
    if args.plot is not None and Path(args.plot).suffix.lower() not in (".png", ".svg"):
        return _fail("--plot", f"the chart is written as PNG or SVG: give a path ending in .png or .svg ({args.plot})")

    from ketaclinic.domain import pk

    try:
        subject = pk.Subject(
            weight_kg=args.weight_kg,
            age_years=args.age_years,
            sex=args.sex,
            height_cm=args.height_cm,
            asian=args.asian,
        )
        amount = args.dose_mg if args.dose_mg is not None else args.dose_mg_per_kg * args.weight_kg
        doses = [pk.Dose(args.route, amount, duration_min=args.duration_min)]
        options: dict[str, Any] = {
            "model": args.model,
            "t_end_min": args.hours * 60.0,
            "step_min": args.step_min,
            "ke0_per_min": args.ke0_per_min,
            "ke0_t_peak_min": args.ke0_t_peak_min,
        }
        result = pk.simulate(doses, subject, **options)
        population = (
            pk.simulate_population(doses, subject, n=args.population, seed=args.seed, **options)
            if args.population
            else None
        )
    except ValueError as exc:
        flag = _flag_for(str(exc))
        if flag == "--dose-mg" and args.dose_mg is None:
            flag = "--dose-mg-per-kg"
        return _fail(flag, str(exc))

    if args.plot is not None:
        path = Path(args.plot)
        try:
            path.write_bytes(
                render_chart(result, population, fmt=path.suffix.lower().lstrip("."), doses=doses, title=_title(args))
            )
        except OSError as exc:
            return _fail("--plot", f"cannot write {path}: {exc.strerror or exc}")
    summary = _summary(args, doses, result, population)
    if args.json:
        print(json.dumps(summary, allow_nan=False))
    else:
        print(_text(summary))
    return 0


def _title(args: argparse.Namespace) -> str:
    amount = args.dose_mg if args.dose_mg is not None else args.dose_mg_per_kg * args.weight_kg
    per_kg = f" ({args.dose_mg_per_kg:g} mg/kg)" if args.dose_mg is None else ""
    over = f" over {args.duration_min:g} min" if args.duration_min > 0 else ""
    return f"{args.model}: {amount:.4g} mg{per_kg} {args.route}{over}, {args.weight_kg:g} kg"


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def _exposure(cmax: float, tmax: float, auc: float) -> dict[str, float]:
    return {"cmax_ng_ml": _r(cmax), "tmax_min": _r(tmax), "auc_ng_h_per_ml": _r(auc)}


def _summary(
    args: argparse.Namespace, doses: Sequence[Dose], result: PKResult, population: PopulationResult | None
) -> dict[str, Any]:
    import numpy as np

    from ketaclinic.domain import pk

    info = pk.models()[result.model]
    summary: dict[str, Any] = {
        "model": result.model,
        "drug": info.drug,
        "citation": info.citation,
        "parameter_source": info.parameter_source,
        "route": doses[0].route,
        "dose_mg": _r(doses[0].amount_mg),
        "dose_mg_per_kg": args.dose_mg_per_kg,
        "duration_min": doses[0].duration_min,
        "subject": {
            "weight_kg": args.weight_kg,
            "age_years": args.age_years,
            "sex": args.sex,
            "height_cm": args.height_cm,
            "asian": args.asian,
        },
        "t_end_min": _r(result.t_min[-1]),
        **_exposure(result.cmax_ng_ml, result.tmax_min, result.auc_ng_h_per_ml),
        "auc_method": result.auc_method,
        "effect_site": None,
        "metabolite": None,
        "uncertain": result.uncertain,
        "notes": list(result.notes),
        "population": None,
    }
    if result.effect_site is not None:
        e = result.effect_site
        summary["effect_site"] = {
            "ke0_per_min": _r(result.ke0_per_min or 0.0, 6),
            "ke0_source": result.ke0_source,
            **_exposure(e.cmax_ng_ml, e.tmax_min, e.auc_ng_h_per_ml),
        }
    if result.metabolite is not None:
        m = result.metabolite
        summary["metabolite"] = {
            "name": info.metabolite,
            "units": info.metabolite_units,
            **_exposure(m.cmax_ng_ml, m.tmax_min, m.auc_ng_h_per_ml),
        }
    if args.threshold_ng_ml is not None:
        summary["threshold_ng_ml"] = args.threshold_ng_ml
        summary["time_above_threshold_min"] = _r(result.time_above_min(args.threshold_ng_ml), 2)
    if population is not None:
        q = list(BAND_PERCENTILES)
        stats = population.summary_percentiles(q)
        bands = population.percentiles(q)
        keys = [f"p{p:g}" for p in q]
        summary["population"] = {
            "n": population.n,
            "seed": population.seed,
            "variability": population.variability,
            "variability_assumed": population.variability_assumed,
            **{name: dict(zip(keys, map(_r, values), strict=True)) for name, values in stats.items()},
            "bands": {
                "t_min": [_r(t, 3) for t in population.t_min],
                **{key: [_r(v, 3) for v in band] for key, band in zip(keys, bands, strict=True)},
            },
        }
        if args.threshold_ng_ml is not None:
            above = np.percentile(population.time_above_min(args.threshold_ng_ml), q)
            summary["population"]["time_above_threshold_min"] = dict(zip(keys, map(_r, above), strict=True))
    return summary


def _fmt_time(minutes: float) -> str:
    return f"{minutes:.1f} min" if minutes < 120 else f"{minutes / 60:.2f} h"


def _describe(subject: dict[str, Any]) -> str:
    parts = [f"{subject['weight_kg']:g} kg"]
    if subject["age_years"] is not None:
        parts.append(f"{subject['age_years']:g} years")
    if subject["sex"]:
        parts.append(subject["sex"])
    if subject["height_cm"] is not None:
        parts.append(f"{subject['height_cm']:g} cm")
    if subject["asian"]:
        parts.append("Asian ancestry")
    return ", ".join(parts)


def _text(summary: dict[str, Any]) -> str:
    lines = [
        f"Model       {summary['model']} — {summary['drug']}",
        f"            {summary['citation']}",
        f"Dose        {summary['dose_mg']:g} mg {summary['route']}"
        + (f" over {summary['duration_min']:g} min" if summary["duration_min"] else ""),
        "Subject     " + _describe(summary["subject"]),
        f"Horizon     {summary['t_end_min'] / 60:g} h",
        "",
        "Typical patient, plasma",
        f"  Cmax      {summary['cmax_ng_ml']:.1f} ng/mL",
        f"  Tmax      {_fmt_time(summary['tmax_min'])}",
        f"  AUC       {summary['auc_ng_h_per_ml']:.1f} ng·h/mL (0–{summary['t_end_min'] / 60:g} h, analytic)",
    ]
    if "time_above_threshold_min" in summary:
        lines.append(f"  Above {summary['threshold_ng_ml']:g} ng/mL for {summary['time_above_threshold_min']:.1f} min")
    if summary["metabolite"]:
        m = summary["metabolite"]
        lines += [
            f"Metabolite  {m['name']} ({m['units']})",
            f"  Cmax {m['cmax_ng_ml']:.1f} ng/mL at {_fmt_time(m['tmax_min'])}, AUC {m['auc_ng_h_per_ml']:.1f} ng·h/mL",
        ]
    if summary["effect_site"]:
        e = summary["effect_site"]
        lines += [
            f"Effect site ke0 {e['ke0_per_min']:.4g} /min ({e['ke0_source']})",
            f"  Cmax {e['cmax_ng_ml']:.1f} ng/mL at {_fmt_time(e['tmax_min'])}",
        ]
    population = summary["population"]
    if population:
        lines += [
            "",
            f"Population  n = {population['n']}, seed {population['seed']}",
            *textwrap.wrap(
                f"variability: {population['variability']}", 110, initial_indent="  ", subsequent_indent="    "
            ),
            f"  {'':<18}{'p5':>10}{'p50':>10}{'p95':>10}",
        ]
        for key, label in (
            ("cmax_ng_ml", "Cmax (ng/mL)"),
            ("tmax_min", "Tmax (min)"),
            ("auc_ng_h_per_ml", "AUC (ng·h/mL)"),
        ):
            row = population[key]
            lines.append(f"  {label:<18}{row['p5']:>10.1f}{row['p50']:>10.1f}{row['p95']:>10.1f}")
        lines.append("  Concentration band (ng/mL)")
        bands = population["bands"]
        t = bands["t_min"]
        for mark in (5, 15, 30, 45, 60, 90, 120, 240, 480, 720, 1440, 2880):
            if mark <= t[-1]:
                i = min(range(len(t)), key=lambda k: abs(t[k] - mark))
                values = "".join(f"{bands[key][i]:>10.1f}" for key in ("p5", "p50", "p95"))
                lines.append(f"  {'at ' + _fmt_time(t[i]):<18}{values}")
    if summary["uncertain"]:
        lines += ["", "UNCERTAIN PREDICTION: see the notes."]
    if summary["notes"]:
        lines += ["", "Notes"]
        for note in summary["notes"]:
            lines += textwrap.wrap(note, 110, initial_indent="  - ", subsequent_indent="    ")
    low, high = DISSOCIATIVE_RANGE_NG_ML
    lines += [
        "",
        f"For reference: {low:g}–{high:g} ng/mL is the observed dissociative range (Krystal 1994); 0.5 mg/kg over "
        "40 min gives ~185 ng/mL at the end of infusion (Zarate 2006).",
    ]
    return "\n".join(lines)


_BLUE, _BAND, _ORANGE, _PURPLE, _GREEN = "#1f4e99", "#9dbbe6", "#d9730d", "#7b3fa0", "#2e9e5b"


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
    if reference is not None:
        low, high = reference
        ax.axhspan(
            low,
            high,
            color=_GREEN,
            alpha=0.10,
            lw=0,
            zorder=0,
            label=f"observed dissociative range {low:g}–{high:g} ng/mL (Krystal 1994)",
        )
        for level in (low, high):
            ax.axhline(level, color=_GREEN, lw=0.8, ls=(0, (4, 3)), alpha=0.7, zorder=1)
    if population is not None:
        p5, p95 = population.percentiles([5, 95])
        assumed = ", assumed variability" if population.variability_assumed else ""
        ax.fill_between(
            t,
            p5[shown],
            p95[shown],
            color=_BAND,
            alpha=0.55,
            lw=0,
            label=f"population 5–95 % (n = {population.n}{assumed})",
        )
    parent = info.drug[0].upper() + info.drug[1:]
    ax.plot(t, result.plasma_ng_ml[shown], color=_BLUE, lw=2.2, label=f"{parent}, plasma (typical for this patient)")
    if result.effect_site_ng_ml is not None:
        ax.plot(
            t,
            result.effect_site_ng_ml[shown],
            color=_ORANGE,
            lw=1.8,
            ls=(0, (1, 1.5)),
            label=f"effect site (ke0 {result.ke0_per_min:.3g}/min)",
        )
    if result.metabolite_ng_ml is not None:
        equivalents = " (apparent, esketamine mass eq.)" if "equivalents" in info.metabolite_units else ""
        ax.plot(
            t, result.metabolite_ng_ml[shown], color=_PURPLE, lw=1.5, ls="-.", label=f"{info.metabolite}{equivalents}"
        )
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
            f"Cmax {result.cmax_ng_ml:.0f} ng/mL\nat {_fmt_time(result.tmax_min)}",
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
    footer = textwrap.wrap(f"Model: {info.citation}.", 160)
    if population is not None and population.variability_assumed:
        footer.append("Population band from ASSUMED variability (ω = 0.30 on volumes and clearances).")
    if result.uncertain:
        footer.insert(0, "UNCERTAIN: observed oral/sublingual peaks are 1.5–3× higher than these models predict.")
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
    axes[0].set_ylabel("Concentration (ng/mL)")
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
