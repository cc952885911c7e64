"""``xborder sensitivity``: which of a scenario's declared uncertain inputs move the gain."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sim.cli._common import comma_list
from sim.errors import UsageError
from sim.figures.i18n import LANGUAGES

if TYPE_CHECKING:
    from sim.study.sensitivity import Plan

_FORMATS = ("png", "svg", "pdf")


def _languages(text: str) -> list[str]:
    langs = list(LANGUAGES) if text.strip() == "all" else comma_list(text) or []
    bad = [x for x in langs if x not in LANGUAGES]
    if bad or not langs:
        raise UsageError(f"--lang {text}: choose among {', '.join(LANGUAGES)} (comma-separated) or all")
    return langs


def _formats(text: str) -> list[str]:
    formats = comma_list(text) or []
    bad = [x for x in formats if x not in _FORMATS]
    if bad or not formats:
        raise UsageError(f"--format {text}: choose among {', '.join(_FORMATS)} (comma-separated)")
    return formats


def _check_options(args: argparse.Namespace) -> None:
    if args.reps is not None and args.reps < 1:
        raise UsageError("--reps must be at least 1")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.dask is not None and args.dask.strip() != "local" and args.workers is not None:
        raise UsageError("--workers sets the size of --dask local; "
                         "a cluster at an address has its own workers")
    if args.levels < 2 or args.levels % 2:
        raise UsageError("--levels must be an even number of at least 2")


def _announce(args: argparse.Namespace, name: str, workers: int) -> Any:
    def show(plan: Plan) -> None:
        print(f"Sensitivity of {name}: {plan.method}, {len(plan.factors)} uncertain inputs, "
              f"{len(plan.points)} points (the file's values and {len(plan.x)} design points) × "
              f"{len(plan.variants)} variants × {plan.reps} replications, seed {plan.seed}: "
              f"{len(plan.specs)} distinct models, {len(plan.tasks)} runs"
              + (f", on Dask ({args.dask})" if args.dask else f", {workers} worker(s)"))

    return show


def _mmss(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "–"
    m, s = divmod(round(abs(seconds)), 60)
    return f"{'-' if seconds < 0 else '+'}{m}:{s:02d}"


def print_summary(folder: Path, *, out: Any = None) -> None:
    """The gain of each variant and area at the file's values, its band and the inputs ranked first."""
    from sim.study.sensitivity_outputs import load_sensitivity

    out = out or sys.stdout
    res = load_sensitivity(folder)
    if not len(res.bands):
        return
    for _, b in res.bands[res.bands["output"] == "mean_s"].iterrows():
        idx = res.indices[(res.indices["variant"] == b["variant"]) & (res.indices["area"] == b["area"])
                          & (res.indices["output"] == "mean_s")].sort_values("rank")
        top = ", ".join(idx["label"].head(3)) if len(idx) else "not analysed"
        print(f"  {b['variant']} vs {b['reference']}, {b['area'] or 'all calls'}: mean response "
              f"{_mmss(b['nominal'])} [{_mmss(b['nominal_low'])}, {_mmss(b['nominal_high'])}] over "
              f"replications; {_mmss(b['p05'])} to {_mmss(b['p95'])} over the declared uncertainty; "
              f"moved most by {top}", file=out)


def _draw(folder: Path, langs: list[str], formats: list[str]) -> int:
    from sim.figures.sensitivity import plot_sensitivity_folder  # matplotlib only when drawing

    return sum(len(plot_sensitivity_folder(folder, lang=lang, formats=formats)) for lang in langs)


def _sensitivity(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError, load_scenario
    from sim.study.sensitivity import run_sensitivity
    from sim.study.session import RunFailed, RunInterrupted

    _check_options(args)
    langs, formats = _languages(args.lang), _formats(args.format)
    try:
        sc = load_scenario(args.file)
        region = sc.load_region()
        problems = [str(p) for p in sc.check_network(region)]
    except ScenarioError as exc:
        problems = [str(p) for p in exc.problems]
    if problems:
        for line in problems:
            print(line, file=sys.stderr)
        return 2
    workers = args.workers if args.workers is not None else 1
    t0 = time.perf_counter()
    try:
        folder = run_sensitivity(sc, method=args.method, n=args.trajectories, levels=args.levels,
                                 reps=args.reps, seed=args.seed, out=args.out, workers=workers,
                                 dask=args.dask, progress=not args.no_progress,
                                 variants=comma_list(args.variants), region=region,
                                 on_plan=_announce(args, sc.name, workers))
    except RunInterrupted as exc:
        print(f"xborder: {exc} (indices need every point: none computed)", file=sys.stderr)
        return 130
    except RunFailed as exc:
        print(f"xborder: error: {exc}", file=sys.stderr)
        return 1
    n = _draw(folder, langs, formats)
    print(f"Sensitivity results in {folder} ({time.perf_counter() - t0:.1f} s; {n} figure files)")
    print_summary(folder)
    return 0


def register(subparsers: Any) -> None:
    """Add ``sensitivity`` to the ``xborder`` command line."""
    p = subparsers.add_parser(
        "sensitivity", help="which declared uncertain inputs move the gain (Morris or Sobol')",
        description="Screen the inputs a scenario declares in its uncertain: block with the Morris "
                    "method (or estimate Sobol' indices), with SALib's designs and indices: every "
                    "variant runs at every point with the same seed and replications (common random "
                    "numbers), and at the file's own values. Writes sensitivity.csv/.parquet (indices "
                    "per variant, area, output and input), sensitivity-bands.csv (the gain at the "
                    "file's values with its replication interval, and its band over the declared "
                    "uncertainty), sensitivity.json and one figure per output in figures/. Outputs: "
                    "the gain (variant minus the first variant) in mean and 90th-percentile response "
                    "time and in the share of urgent calls within the norm, for all calls and each "
                    "focus area. Never overwrites results.")
    p.add_argument("file", help="scenario YAML file with an uncertain: block")
    p.add_argument("--method", choices=("morris", "sobol"), default="morris",
                   help="morris (screening, default) or sobol (first and total order)")
    p.add_argument("--trajectories", type=int, default=10, metavar="N",
                   help="Morris trajectories, N (k + 1) points; for sobol the base sample, a power "
                        "of 2, N (k + 2) points (default 10)")
    p.add_argument("--levels", type=int, default=4, help="Morris grid levels (even; default 4)")
    p.add_argument("--reps", type=int, default=None,
                   help="replications per point and variant (default: the file's)")
    p.add_argument("--seed", type=int, default=None,
                   help="root random seed, the same at every point; also seeds the design "
                        "(default: the file's)")
    p.add_argument("--out", default=None, help="results folder (must not exist or be empty; default "
                                               "results/<scenario>-sensitivity/<timestamp>/)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default 1); with --dask local the number of Dask workers")
    p.add_argument("--dask", default=None, metavar="ADDRESS|local",
                   help="run on Dask: 'local' starts a LocalCluster, or a scheduler address; the "
                        "results do not depend on it")
    p.add_argument("--variants", default=None, help="comma-separated variants (the first is the reference)")
    p.add_argument("--lang", default="en", help="figure languages, comma-separated, or all (default en)")
    p.add_argument("--format", default="png,svg", help="figure formats, comma-separated (default png,svg)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_sensitivity)
