"""``ketaclinic pk simulate``: the PK simulator on the command line.

Registered by ``ketaclinic.cli`` through :func:`register`. Prints Cmax, Tmax and AUC for the typical subject (and
percentile bands with ``--population``), ``--json`` prints one JSON object, ``--plot`` writes a PNG or SVG chart
(``ketaclinic.charts.pk.render_chart``, which the plan page draws too). Bad input prints a message naming the flag on
stderr and exits 2.

NumPy, SciPy and matplotlib are imported only when a pk command runs, so ``ketaclinic --help`` stays fast.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ketaclinic.charts.pk import DISSOCIATIVE_RANGE_NG_ML, format_minutes, render_chart

if TYPE_CHECKING:
    from ketaclinic.domain.pk import Dose, PKResult, PopulationResult

__all__ = ["DISSOCIATIVE_RANGE_NG_ML", "register", "render_chart", "run_simulate"]

# Kept here (not imported from the domain) so that building the parser does not load NumPy; a test checks they
# match ketaclinic.domain.pk.MODEL_IDS and ROUTES.
MODEL_CHOICES = ("domino1984", "clements1981", "hijazi2003", "kamp2020", "herd2007", "fanta2015", "perez_ruixo2021")
ROUTE_CHOICES = ("iv", "im", "intranasal", "oral", "sublingual")
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
        "--japanese", action="store_true", help="Japanese ancestry, implies --asian (perez_ruixo2021: FRn × 1.34)"
    )
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
            japanese=args.japanese,
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
            "asian": args.asian or args.japanese,  # Japanese implies Asian (pk.Subject)
            "japanese": args.japanese,
        },
        "t_end_min": _r(result.t_min[-1]),
        **_exposure(result.cmax_ng_ml, result.tmax_min, result.auc_ng_h_per_ml),
        "auc_method": result.auc_method,
        "sampling_site": result.sampling_site,  # "venous" / "arterial" / None: the source does not say
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
            "caveat": result.metabolite_caveat,  # never an AUC without it (noresketamine: ~45 % high)
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


def _describe(subject: dict[str, Any]) -> str:
    parts = [f"{subject['weight_kg']:g} kg"]
    if subject["age_years"] is not None:
        parts.append(f"{subject['age_years']:g} years")
    if subject["sex"]:
        parts.append(subject["sex"])
    if subject["height_cm"] is not None:
        parts.append(f"{subject['height_cm']:g} cm")
    if subject["japanese"]:
        parts.append("Japanese ancestry")
    elif subject["asian"]:
        parts.append("Asian ancestry")
    return ", ".join(parts)


def _text(summary: dict[str, Any]) -> str:
    from ketaclinic.domain.pk.planning import sampling_site_label

    lines = [
        f"Model       {summary['model']} — {summary['drug']}",
        f"            {summary['citation']}",
        f"Dose        {summary['dose_mg']:g} mg {summary['route']}"
        + (f" over {summary['duration_min']:g} min" if summary["duration_min"] else ""),
        "Subject     " + _describe(summary["subject"]),
        f"Horizon     {summary['t_end_min'] / 60:g} h",
        "",
        f"Typical patient, {sampling_site_label(summary['sampling_site'])}",
        f"  Cmax      {summary['cmax_ng_ml']:.1f} ng/mL",
        f"  Tmax      {format_minutes(summary['tmax_min'])}",
        f"  AUC       {summary['auc_ng_h_per_ml']:.1f} ng·h/mL (0–{summary['t_end_min'] / 60:g} h, analytic)",
    ]
    if "time_above_threshold_min" in summary:
        lines.append(f"  Above {summary['threshold_ng_ml']:g} ng/mL for {summary['time_above_threshold_min']:.1f} min")
    if summary["metabolite"]:
        m = summary["metabolite"]
        lines += [
            f"Metabolite  {m['name']} ({m['units']})",
            f"  Cmax {m['cmax_ng_ml']:.1f} ng/mL at {format_minutes(m['tmax_min'])}, "
            f"AUC {m['auc_ng_h_per_ml']:.1f} ng·h/mL",
            *([f"  CAVEAT: {m['caveat']}"] if m["caveat"] else []),
        ]
    if summary["effect_site"]:
        e = summary["effect_site"]
        lines += [
            f"Effect site ke0 {e['ke0_per_min']:.4g} /min ({e['ke0_source']})",
            f"  Cmax {e['cmax_ng_ml']:.1f} ng/mL at {format_minutes(e['tmax_min'])}",
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
                lines.append(f"  {'at ' + format_minutes(t[i]):<18}{values}")
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
