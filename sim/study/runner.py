"""Run every variant of a scenario over its replications, in parallel, into a results folder or memory.

One task per (variant, replication) (:mod:`sim.study.tasks`): all variants replay the same
incidents (common random numbers) and results do not depend on the order of tasks or on the worker
that ran them. A results folder is written as :mod:`sim.study.session` says: each finished
replication at once, so a run that stops (Ctrl-C, SIGTERM, SIGHUP, a worker process killed by the
system, a full disk, an error) keeps what finished, with ``"complete": false`` and the reason in
``summary.json``; :func:`resume_run` runs the missing replications and gives the files an
uninterrupted run would have given.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.frames import TABLES, concat_frames
from sim.errors import DataError, UsageError
from sim.scenario import Scenario, load_scenario
from sim.study.distributed import connected, execute
from sim.study.folders import write_json
from sim.study.session import (
    PartsFolder,
    package_versions,
    progress_bar,
    results_folder,
    run_settings,
    run_tasks,
    task_list,
)
from sim.study.tasks import Bundle, Task, bundle_for


def run_replications(scenario: Scenario | str | Path, *, reps: int | None = None, seed: int | None = None,
                     workers: int = 1, variants: Sequence[str] | None = None,
                     progress: bool = False) -> dict[str, pd.DataFrame]:
    """Run a scenario in memory and return ``{"incidents", "missions", "units", "requests"}`` DataFrames.

    For notebooks; nothing is written. Rows are in (variant order in the file, replication) order.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    names, n, s = run_settings(sc, reps=reps, seed=seed, variants=variants, workers=workers)
    got: dict[Task, dict[str, pd.DataFrame]] = {}
    bar = progress_bar(len(names) * n, progress, sc.name)
    try:
        def done(task: Task, frames: dict[str, pd.DataFrame]) -> None:
            got[task] = frames
            bar.update(1)

        execute(bundle_for(sc, names), task_list([""], names, n), seed=s, workers=workers, on_done=done)
    finally:
        bar.close()
    order = [("", v, r) for v in names for r in range(n)]
    return {t: concat_frames([got[k][t] for k in order]) for t in TABLES}


def run_scenario(scenario: Scenario | str | Path, *, reps: int | None = None, seed: int | None = None,
                 out: str | Path | None = None, workers: int = 1, progress: bool = True,
                 variants: Sequence[str] | None = None, dask: str | None = None) -> Path:
    """Run every variant of a scenario and write a results folder; return its path.

    Parameters
    ----------
    scenario
        A :class:`Scenario` or the path of a scenario file.
    reps, seed
        Override the file's ``replications`` and ``seed``.
    out
        The results folder (must not exist or be empty); default ``results/<scenario>/<timestamp>/``.
    workers
        Processes; 1 runs in this process. The files do not depend on it.
    progress
        Show a progress bar (only on a terminal).
    variants
        Run only these variants (file order is kept; the first one run is the reference).
    dask
        Run the tasks on Dask (:mod:`sim.study.distributed`): ``"local"`` for a LocalCluster of
        `workers` processes (one per core if `workers` is 1), or a scheduler address. The files
        are identical to a local run.

    Raises
    ------
    sim.study.session.RunInterrupted
        On Ctrl-C, after writing the finished replications (``"complete": false``).
    sim.study.session.RunFailed
        When a worker process dies (e.g. killed for lack of memory), after writing the finished
        replications (``"complete": false``).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    names, n, s = run_settings(sc, reps=reps, seed=seed, variants=variants, workers=workers)
    with connected(dask) as target:
        # region and matrices first: errors show before any folder is made, and forked workers share them
        bundle = bundle_for(sc, names)
        folder = results_folder(out, sc.name)
        results = PartsFolder(folder, sc, variants=names, reps=n, seed=s)

        def setup() -> None:
            results.open()
            write_json(folder / "versions.json", package_versions())

        run_tasks(folder, bundle, task_list([""], names, n), {"": results}, seed=s, workers=workers,
                  dask=target, progress=progress, label=sc.name, started=time.time(),
                  run_info=_plan(sc, names, n, s, workers=workers, dask=dask), setup=setup)
    return folder


def _plan(sc: Scenario, variants: Sequence[str], reps: int, seed: int, *, workers: int,
          dask: Any) -> dict[str, Any]:
    """What ``run.json`` says a run is (all :func:`resume_run` needs) and where it runs."""
    return {"kind": "run", "scenario": sc.name, "scenario_file": str(sc.path) if sc.path else None,
            "variants": list(variants), "replications": int(reps), "seed": int(seed), "workers": workers,
            "dask": None if dask is None else (dask if isinstance(dask, str) else "client")}


# ---------------------------------------------------------------------------------------- resume


def read_plan(folder: Path) -> dict[str, Any]:
    """What the run of `folder` is, from its ``run.json`` (``DataError`` naming what is wrong)."""
    f = folder / "run.json"
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such results folder")
    if not f.is_file():
        raise DataError(f"{folder}: no run.json: not a results folder written by xborder run")
    try:
        info = json.loads(f.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"{f}: cannot read it ({exc})") from None
    if not isinstance(info, dict):
        raise DataError(f"{f}: not a JSON object")
    if info.get("kind") == "sweep":
        raise UsageError(f"{folder}: a sweep's folder cannot be resumed (run the sweep again)")
    ok = (isinstance(info.get("variants"), list) and info["variants"]
          and all(isinstance(v, str) for v in info["variants"])
          and isinstance(info.get("replications"), int) and info["replications"] >= 1
          and isinstance(info.get("seed"), int) and info["seed"] >= 0
          and isinstance(info.get("scenario"), str))
    if info.get("kind") != "run" or not ok:
        raise DataError(f"{f}: does not say what the run is (kind, scenario, variants, replications, "
                        "seed): not a run xborder can resume")
    return info


def scenario_as_run(folder: Path, plan: dict[str, Any]) -> Scenario:
    """The scenario of a results folder as it ran (its ``scenario.yaml``), with paths in it
    relative to the original scenario file (``run.json``'s ``scenario_file``) and its name."""
    f = folder / "scenario.yaml"
    if not f.is_file():
        raise DataError(f"{folder}: scenario.yaml is missing: the run stopped before it began "
                        "(start it again)")
    source = Path(plan["scenario_file"]) if plan.get("scenario_file") else f
    try:
        text = f.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{f}: cannot read it ({exc})") from None
    sc = Scenario.from_text(text, filename=source.name, path=source)
    missing = [v for v in plan["variants"] if v not in sc.variants]
    if missing:
        raise DataError(f"{f}: has no variant {', '.join(missing)} (run.json names it)")
    return dataclasses.replace(sc, name=plan["scenario"])


def resume_run(folder: str | Path, *, workers: int = 1, progress: bool = True,
               dask: str | None = None) -> tuple[Path, int]:
    """Run the replications a results folder lacks and assemble it; return it and how many ran.

    The scenario, variants, replications and seed are the folder's (``run.json``,
    ``scenario.yaml``); the finished replications are kept (from ``parts/`` or the assembled
    tables), only the missing ones run, and the files are those an uninterrupted run would have
    written (``run.json`` aside). A complete folder is left as it is (0 replications run).

    Raises
    ------
    sim.errors.DataError, sim.errors.UsageError
        If the folder is not a run's results folder, or its files are damaged.
    sim.study.session.RunInterrupted, sim.study.session.RunFailed
        As for :func:`run_scenario` (the folder can be resumed again).
    """
    path = Path(folder)
    plan = read_plan(path)
    sc = scenario_as_run(path, plan)
    names, n, s = plan["variants"], plan["replications"], plan["seed"]
    run_settings(sc, reps=n, seed=s, variants=names, workers=workers)
    results = PartsFolder(path, sc, variants=names, reps=n, seed=s)
    have = results.finished()
    if (path / "summary.json").is_file() and not results.parts.is_dir() and len(have) == len(names) * n:
        return path, 0
    todo = [t for t in task_list([""], names, n) if (t[1], t[2]) not in have]
    with connected(dask) as target:
        bundle = bundle_for(sc, names) if todo else Bundle(region=None, scenarios={}, specs={})

        def setup() -> None:
            results.reopen()
            if not (path / "versions.json").is_file():
                write_json(path / "versions.json", package_versions())

        run_tasks(path, bundle, todo, {"": results}, seed=s, workers=workers, dask=target,
                  progress=progress, label=sc.name, started=time.time(), setup=setup,
                  done_before=len(have),
                  run_info={**_plan(sc, names, n, s, workers=workers, dask=dask),
                            "resumed": int(plan.get("resumed", 0)) + 1})
    return path, len(todo)
