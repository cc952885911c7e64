"""``xborder validate`` and ``xborder run``: check a scenario file, run it into a results folder."""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sim.cli._common import comma_list
from sim.cli.compare import print_compare
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

    if args.resume is not None:
        return _resume(args)
    if args.file is None:
        raise UsageError("run needs a scenario file (or --resume RESULTS_DIR)")
    try:
        sc = load_scenario(args.file)
        problems = sc.check_network(sc.load_region())
    except ScenarioError as exc:
        problems = exc.problems
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 2
    if args.reps is not None and args.reps < 1:
        raise UsageError("--reps must be at least 1")
    t0 = time.perf_counter()
    return _finish(lambda: run_scenario(sc, reps=args.reps, seed=args.seed, out=args.out,
                                        workers=args.workers, progress=not args.no_progress,
                                        variants=comma_list(args.variants), dask=args.dask),
                   args, t0, region=sc.load_region)


def _resume(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError
    from sim.study.runner import read_plan, resume_run, scenario_as_run

    given = ["scenario file"] * (args.file is not None) + [
        f"--{k}" for k in ("reps", "seed", "out", "variants") if getattr(args, k) is not None]
    if given:
        raise UsageError("--resume runs the folder's own scenario, variants, replications and seed: "
                         f"give no {' or '.join(given)} with it")
    folder = Path(args.resume)
    try:
        sc = scenario_as_run(folder, read_plan(folder))
    except ScenarioError as exc:
        for p in exc.problems:
            print(p, file=sys.stderr)
        return 2
    ran: list[int] = []

    def resume() -> Path:
        path, n = resume_run(folder, workers=args.workers, progress=not args.no_progress, dask=args.dask)
        ran.append(n)
        return path

    t0 = time.perf_counter()
    rc = _finish(resume, args, t0, region=sc.load_region)
    if rc == 0 and ran == [0]:
        print(f"({folder} was complete: nothing to resume)", file=sys.stderr)
    return rc


def _finish(run: Callable[[], Path], args: argparse.Namespace, t0: float,
            region: Callable[[], Any]) -> int:
    """Run, then print the planner's table (and draw the figures with --plot); a stopped run ends
    with one line, how to resume it and the exit code of its stop."""
    from sim.study.folders import load_results
    from sim.study.session import RunFailed, RunInterrupted

    try:
        folder = run()
    except (RunInterrupted, RunFailed) as exc:
        line = f"xborder: {exc}" if isinstance(exc, RunInterrupted) else f"xborder: error: {exc}"
        if exc.done < exc.total or exc.unassembled:
            line += f"; xborder run --resume {exc.path} finishes it"
        print(line, file=sys.stderr)
        return exc.exit_code
    print(f"Results in {folder} ({time.perf_counter() - t0:.1f} s)")
    print_compare(load_results(folder).summary, out=sys.stdout)
    if args.plot:
        from sim.figures.run import plot_results  # matplotlib is imported only when plotting

        written = plot_results(folder, region=region())
        print(f"{len(written)} figure file(s) in {folder / 'figures'}")
    return 0


# ---------------------------------------------------------------------------------------- register


def register(subparsers: Any) -> None:
    """Add ``validate`` and ``run`` to the ``xborder`` command line."""
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
                    "units.parquet, summary.json, scenario.yaml, versions.json, run.json. Never "
                    "overwrites results. Ctrl-C, SIGTERM, SIGHUP or a failure keep the finished "
                    "replications (\"complete\": false in summary.json, with the reason); "
                    "--resume RESULTS_DIR runs the missing ones.")
    p.add_argument("file", nargs="?", default=None, help="scenario YAML file")
    p.add_argument("--resume", default=None, metavar="RESULTS_DIR",
                   help="finish a stopped run: run the replications its folder lacks, with its own "
                        "scenario, variants, replications and seed (same files as an uninterrupted run)")
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
