"""``xborder validate``, ``xborder run`` and ``xborder compare``: scenarios and results for planners."""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

from sim.cli._common import comma_list
from sim.errors import UsageError

# ---------------------------------------------------------------------------------------- validate


def _validate(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError, load_scenario

    path = Path(args.file)
    try:
        sc = load_scenario(path)
        problems = [] if args.no_network else sc.check_network(sc.load_region())
    except ScenarioError as exc:
        problems = exc.problems
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        n = len(problems)
        print(f"{path.name}: {n} problem{'s' * (n != 1)}", file=sys.stderr)
        return 2
    n_units = sum(sum(s.units.values()) for s in sc.base.stations)
    where = sc.base.region or (sc.base.network.file if sc.base.network else "")
    print(f"{path.name}: OK — {len(sc.variants)} variant(s) ({', '.join(sc.variant_names)}), "
          f"{where}, {len(sc.base.stations)} stations with {n_units} units, "
          f"{sc.replications} replications of {sc.base.horizon / 86400:g} d")
    return 0


# ---------------------------------------------------------------------------------------- run


def _run(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError, load_scenario
    from sim.study.runner import run_scenario
    from sim.study.session import RunFailed, RunInterrupted

    try:
        sc = load_scenario(args.file)
        region_problems = sc.check_network(sc.load_region())
    except ScenarioError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    if region_problems:
        for p in region_problems:
            print(p, file=sys.stderr)
        return 2
    if args.reps is not None and args.reps < 1:
        raise UsageError("--reps must be at least 1")
    variants = comma_list(args.variants)
    t0 = time.perf_counter()
    try:
        folder = run_scenario(sc, reps=args.reps, seed=args.seed, out=args.out, workers=args.workers,
                              progress=not args.no_progress, variants=variants, dask=args.dask)
    except RunInterrupted as exc:
        print(f"xborder: {exc}", file=sys.stderr)
        return 130
    except RunFailed as exc:
        print(f"xborder: error: {exc}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - t0
    print(f"Results in {folder} ({elapsed:.1f} s)")
    from sim.study.folders import load_results

    print_compare(load_results(folder).summary, out=sys.stdout)
    if args.plot:
        from sim.figures.plot import plot_results  # the plot module is optional at import time

        written = plot_results(folder, region=sc.load_region())
        print(f"{len(written)} figure file(s) in {folder / 'figures'}")
    return 0


# ---------------------------------------------------------------------------------------- compare


def _mmss(seconds: Any) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "–"
    s = float(seconds)
    sign = "-" if s < 0 else ""
    total = round(abs(s))
    h, rem = divmod(total, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * float(x):.1f} %"


def _diff(d: dict[str, Any] | None) -> str:
    if not d or d.get("estimate") is None:
        return "–"
    lo, hi = d.get("low"), d.get("high")
    star = " *" if d.get("excludes_zero") else ""
    if lo is None or hi is None:
        return f"{_signed(d['estimate'])} (no interval)"
    return f"{_signed(d['estimate'])} [{_signed(lo)}, {_signed(hi)}]{star}"


def _signed(s: float) -> str:
    return ("+" if s >= 0 else "") + _mmss(s)


def _rows_for(stats: dict[str, dict[str, Any]], variants: list[str]) -> list[tuple[str, list[str]]]:
    def col(key: str, fmt: Any) -> list[str]:
        return [fmt(stats[v].get(key)) if v in stats else "–" for v in variants]

    return [
        ("calls per replication", col("count_per_replication", lambda x: "–" if x is None else f"{x:.1f}")),
        ("mean response", col("mean_s", _mmss)),
        ("median", col("median_s", _mmss)),
        ("p90", col("p90_s", _mmss)),
        ("p95", col("p95_s", _mmss)),
        ("urgent within norm", col("within_norm_share", _pct)),
        ("unserved calls", col("unserved", lambda x: "–" if x is None else str(x))),
        ("cross-border incidents", col("cross_border_incidents", lambda x: "–" if x is None else str(x))),
    ]


def _table(title: str, rows: list[tuple[str, list[str]]], variants: list[str], out: Any) -> None:
    w0 = max([len(r[0]) for r in rows] + [len(title)]) + 2
    widths = [max(len(v), *(len(r[1][i]) for r in rows)) + 2 for i, v in enumerate(variants)]
    print(title.ljust(w0) + "".join(v.rjust(w) for v, w in zip(variants, widths, strict=True)), file=out)
    for label, cells in rows:
        print(("  " + label).ljust(w0) + "".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)),
              file=out)
    print(file=out)


def print_compare(summary: dict[str, Any], *, out: Any = None, by_type: bool = False) -> None:
    """Print the planner's table: variants side by side, differences with intervals, missions."""
    out = out or sys.stdout
    variants = list(summary.get("variant_order") or summary.get("variants", {}).keys())
    variants = [v for v in variants if v in summary.get("variants", {})]
    vs = summary.get("variants", {})
    reps = summary.get("replications_done", {})
    n = max((len(r) for r in reps.values()), default=0)
    state = "complete" if summary.get("complete") else "INCOMPLETE (interrupted or a worker lost)"
    print(f"Scenario {summary.get('scenario')}: {n} replication(s) of "
          f"{(summary.get('horizon_s') or 0) / 86400:g} d per variant, seed {summary.get('seed')}, "
          f"{state}", file=out)
    norms = summary.get("norms", {})
    if norms:
        print("Norms (urgent calls): " + "; ".join(n_.get("label", k) for k, n_ in norms.items()), file=out)
    print(file=out)
    if not variants:
        print("No finished replications.", file=out)
        return
    _table("All incidents", _rows_for({v: vs[v]["overall"] for v in variants}, variants), variants, out)
    for f in summary.get("focus_areas", []):
        _table(f, _rows_for({v: vs[v]["focus"].get(f, {}) for v in variants}, variants), variants, out)
    # centres that received calls (a centre with units but no calls, e.g. a helper's, has no table)
    centres = sorted({c for v in variants for c, st in vs[v]["by_dispatch_centre"].items()
                      if st.get("count")})
    for c in centres:
        _table(f"Dispatch centre {c}",
               _rows_for({v: vs[v]["by_dispatch_centre"].get(c, {}) for v in variants}, variants),
               variants, out)
    if by_type:
        types = sorted({t for v in variants for t in vs[v]["by_type"]})
        for t in types:
            _table(f"Incident type {t}", _rows_for({v: vs[v]["by_type"].get(t, {}) for v in variants},
                                                   variants), variants, out)
    diffs = summary.get("differences", {})
    if diffs:
        ref = summary.get("reference") or variants[0]
        print(f"Differences against {ref} (variant minus {ref}; 95 % interval; * excludes zero)", file=out)
        groups = [("all incidents", "overall", None)]
        groups += [(f, "focus", f) for f in summary.get("focus_areas", [])]
        groups += [(c, "by_dispatch_centre", c) for c in centres]
        w0 = max(len(g[0]) for g in groups) + max(len(v) for v in diffs) + 6
        print("  " + "".ljust(w0 - 2) + "mean response".ljust(34) + "p90", file=out)
        for v, d in diffs.items():
            for label, key, sub in groups:
                entry = d.get(key, {}) if sub is None else d.get(key, {}).get(sub, {})
                print(f"  {v} · {label}".ljust(w0) + _diff(entry.get("mean_s")).ljust(34)
                      + _diff(entry.get("p90_s")), file=out)
        print(file=out)
    directions = sorted({k for v in variants for k in vs[v]["overall"].get("cross_border_missions", {})})
    rows = [(d, [str(vs[v]["overall"].get("cross_border_missions", {}).get(d, 0)) for v in variants])
            for d in directions] or [("none", ["0"] * len(variants))]
    _table("Cross-border missions (all replications)", rows, variants, out)
    util_types = sorted({u for v in variants for u in vs[v]["overall"].get("utilisation", {})})
    if util_types:
        _table("Unit utilisation", [(u, [_pct(vs[v]["overall"].get("utilisation", {}).get(u))
                                          for v in variants]) for u in util_types], variants, out)


def _compare(args: argparse.Namespace) -> int:
    from sim.study.folders import load_results

    res = load_results(args.results_dir)
    print_compare(res.summary, out=sys.stdout, by_type=args.by_type)
    return 0


# ---------------------------------------------------------------------------------------- register


def register(subparsers: Any) -> None:
    """Add ``validate``, ``run`` and ``compare`` to the ``xborder`` command line."""
    p = subparsers.add_parser(
        "validate", help="check a scenario file and report every problem with file, line and field",
        description="Check a scenario file: schema, units, names, and (unless --no-network) the road "
                    "network. Prints one line per problem (file:line field: message); exit code 2 "
                    "when there is any.")
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--no-network", action="store_true", help="skip the checks that load the road network")
    p.set_defaults(func=_validate)

    p = subparsers.add_parser(
        "run", help="run every variant of a scenario and write a results folder",
        description="Run every variant of a scenario with common random numbers. Writes "
                    "results/<scenario>/<timestamp>/ (or --out): incidents.parquet, missions.parquet, "
                    "units.parquet, summary.json, scenario.yaml, versions.json. Never overwrites "
                    "results; Ctrl-C keeps the finished replications.")
    p.add_argument("file", help="scenario YAML file")
    p.add_argument("--reps", type=int, default=None, help="replications (default: the file's)")
    p.add_argument("--seed", type=int, default=None, help="root random seed (default: the file's)")
    p.add_argument("--out", default=None, help="results folder (must not exist or be empty)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (results do not depend on it)")
    p.add_argument("--dask", default=None, metavar="ADDRESS|local",
                   help="run on Dask: 'local' starts a LocalCluster (--workers processes, default one per "
                        "core), or the scheduler address of a cluster (tcp://host:8786); same files")
    p.add_argument("--variants", default=None, help="comma-separated variants to run (default: all)")
    p.add_argument("--plot", action="store_true", help="draw the standard figures into the results folder")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)

    p = subparsers.add_parser(
        "compare", help="print variants side by side with their differences and intervals",
        description="Print the planner's table of a results folder: variants side by side, the "
                    "differences against the first variant with 95 % intervals, cross-border "
                    "missions by direction.")
    p.add_argument("results_dir", help="a folder written by xborder run")
    p.add_argument("--by-type", action="store_true", help="also one table per incident type")
    p.set_defaults(func=_compare)
