"""Run every variant of a scenario over its replications, in parallel, into a results folder or memory.

One task per (variant, replication) (:mod:`sim.study.tasks`): all variants replay the same
incidents (common random numbers) and results do not depend on the order of tasks or on the worker
that ran them. A results folder is written as :mod:`sim.study.session` says: each finished
replication at once, so an interrupted run (Ctrl-C, or a worker process killed by the system)
keeps what finished, with ``"complete": false`` in ``summary.json``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.analysis.frames import TABLES, concat_frames
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
from sim.study.tasks import Task, bundle_for


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
        results.open()
        write_json(folder / "versions.json", package_versions())
        run_tasks(folder, bundle, task_list([""], names, n), {"": results}, seed=s, workers=workers,
                  dask=target, progress=progress, label=sc.name, started=time.time(),
                  run_info={"workers": workers})
    return folder
