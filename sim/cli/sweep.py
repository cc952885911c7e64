"""``xborder sweep``: run a grid of scenario edits over every variant into one results folder."""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli._common import comma_list
from sim.errors import UsageError
from sim.figures.i18n import LANGUAGES

if TYPE_CHECKING:
    from sim.scenario import Scenario
    from sim.study.sweep_points import SweepParam, SweepPoint


def _mmss(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    sign = "-" if seconds < 0 else "+" if seconds > 0 else ""
    m, s = divmod(round(abs(seconds)), 60)
    return f"{sign}{m}:{s:02d}"


def _iv(row: Any, key: str, fmt: Any, signed: bool = False) -> str:
    est, lo, hi = (float(row[key]), float(row[f"{key}_low"]), float(row[f"{key}_high"]))
    if not math.isfinite(est):
        return "–"
    def f(x: float) -> str:
        return str(fmt(x)) if signed else str(fmt(x)).lstrip("+")

    text = f(est)
    if math.isfinite(lo) and math.isfinite(hi):
        text += f" [{f(lo)}, {f(hi)}]"
    return text


def print_sweep(table: Any, *, params: list[str], out: Any = None) -> None:
    """Print the tidy table: one line per point × variant, KPIs with 95 % intervals."""
    out = out or sys.stdout
    header = [*params, "variant", "mean response", "p90", "within norm", "cross-border/rep",
              "mean vs reference"]
    rows = []
    for _, r in table.iterrows():
        rows.append([*(str(r[p]) for p in params), str(r["variant"]),
                     _iv(r, "mean_s", _mmss), _iv(r, "p90_s", _mmss),
                     _iv(r, "within_norm", lambda x: f"{100 * x:.1f} %"),
                     _iv(r, "cross_border_missions", lambda x: f"{x:.1f}"),
                     _iv(r, "mean_s_diff", _mmss, signed=True)])
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(header)]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(), file=out)
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(), file=out)


def _check_options(args: argparse.Namespace) -> None:
    if args.reps is not None and args.reps < 1:
        raise UsageError("--reps must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.dask is not None and args.dask.strip() != "local" and args.workers is not None:
        raise UsageError("--workers sets the size of --dask local; "
                         "a cluster at an address has its own workers")


def _problems(lines: list[str]) -> int:
    for line in lines:
        print(line, file=sys.stderr)
    return 2


def _announcer(args: argparse.Namespace, sc: Scenario, variants: list[str] | None,
               workers: int) -> Callable[[list[SweepPoint]], None]:
    """What to print once the points are known: the size of the sweep, the variants it leaves alone."""
    from sim.study.session import run_settings
    from sim.study.sweep_points import unchanged_variants

    def announce(points: list[SweepPoint]) -> None:
        names, reps, seed = run_settings(sc, reps=args.reps, seed=args.seed, variants=variants,
                                         workers=workers)
        print(f"Sweep of {sc.name}: {len(points)} point(s) × {len(names)} variant(s) × {reps} "
              f"replication(s) = {len(points) * len(names) * reps} runs, seed {seed}"
              + (f", on Dask ({args.dask})" if args.dask else f", {workers} worker(s)"))
        same = unchanged_variants(points, [v for v in sc.variant_names if v in names])
        if same:
            print(f"  note: the sweep does not change variant(s) {', '.join(same)} (they set these fields "
                  "themselves or do not use them)")

    return announce


def _draw(folder: Path, params: list[SweepParam], lang: str) -> None:
    from sim.figures.sweep import plot_sweep_folder  # matplotlib is imported only when drawing

    plot_sweep_folder(folder, params, lang=lang)


def _sweep(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError, load_scenario
    from sim.study.session import RunFailed, RunInterrupted
    from sim.study.sweep import run_sweep
    from sim.study.sweep_outputs import load_sweep
    from sim.study.sweep_points import SweepError, parse_param

    _check_options(args)
    try:
        sc = load_scenario(args.file)
        region = sc.load_region()
        problems = [str(p) for p in sc.check_network(region)]
    except ScenarioError as exc:
        problems = [str(p) for p in exc.problems]
    if problems:
        return _problems(problems)
    params = []
    bad: list[str] = []
    for text in args.param:
        try:
            params.append(parse_param(text))
        except SweepError as exc:
            bad += exc.problems
    if bad:
        return _problems(bad)
    variants = comma_list(args.variants)
    workers = args.workers if args.workers is not None else 1
    t0 = time.perf_counter()
    try:
        folder = run_sweep(sc, params, reps=args.reps, seed=args.seed, out=args.out, workers=workers,
                           dask=args.dask, progress=not args.no_progress, variants=variants,
                           region=region, on_points=_announcer(args, sc, variants, workers))
    except SweepError as exc:
        return _problems(exc.problems)
    except RunInterrupted as exc:  # the figures of what finished, as for a whole sweep
        _draw(exc.path, params, args.lang)
        print(f"xborder: {exc}", file=sys.stderr)
        return exc.exit_code  # 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP
    except RunFailed as exc:
        _draw(exc.path, params, args.lang)
        print(f"xborder: error: {exc}", file=sys.stderr)
        return exc.exit_code
    _draw(folder, params, args.lang)
    print(f"Sweep results in {folder} ({time.perf_counter() - t0:.1f} s)")
    print_sweep(load_sweep(folder), params=[p.path for p in params])
    return 0


def register(subparsers: Any) -> None:
    """Add ``sweep`` to the ``xborder`` command line."""
    p = subparsers.add_parser(
        "sweep", help="run every variant over a grid of parameter values into one results folder",
        description="Run every variant of a scenario at every point of a grid of parameter values, "
                    "with the same seed everywhere (common random numbers). PATH addresses a field of "
                    "the file: horizon, demand.scale, agreements[0].threshold, "
                    "stations[Hoogstraten ambulance].units.ambulance, "
                    "variants.benelux-2009.agreements[0].request_delay.mean. Values are separated by "
                    "commas (YAML: '2 min', 0.5, [NL, BE]). Writes sweep.csv/.parquet (one row per "
                    "point × variant: KPIs with 95 % intervals and the paired difference to the first "
                    "variant), sweep.json, one results folder per point and figures/sweep.png. Never "
                    "overwrites results.")
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--param", action="append", required=True, metavar="PATH=V1,V2,...",
                   help="a field and its values (repeat for a grid; the first is the x axis of the figure)")
    p.add_argument("--reps", type=int, default=None,
                   help="replications per point and variant (default: the file's)")
    p.add_argument("--seed", type=int, default=None, help="root random seed, the same at every point "
                                                          "(default: the file's)")
    p.add_argument("--out", default=None, help="results folder (must not exist or be empty; default "
                                               "results/<scenario>-sweep/<timestamp>/)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default 1); with --dask local the number of Dask workers "
                        "(default: one per core)")
    p.add_argument("--dask", default=None, metavar="ADDRESS|local",
                   help="run on Dask: 'local' starts a LocalCluster, or the scheduler address of a cluster "
                        "(tcp://host:8786); the results do not depend on it")
    p.add_argument("--variants", default=None, help="comma-separated variants to run (default: all)")
    p.add_argument("--lang", default="en", choices=LANGUAGES, help="language of the figures")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_sweep)
