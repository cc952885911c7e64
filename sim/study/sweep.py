"""Parameter sweeps: a grid of scenario edits, every variant at every point, one results folder.

``xborder sweep FILE --param PATH=V1,V2,... [--param ...]`` runs every combination of the values
(the grid, first parameter varying slowest; :mod:`sim.study.sweep_points`) × every variant × every
replication, with the same seed at every point (common random numbers: points and variants replay
the same incidents), and writes one folder:

- ``sweep.parquet`` / ``sweep.csv``, ``sweep-areas.*``, ``sweep-replications.parquet`` and
  ``sweep.json``: the tables of the KPIs (:mod:`sim.study.sweep_outputs`,
  :mod:`sim.analysis.sweep_stats`); ``scenario.yaml`` (the file as given) and ``versions.json``;
  ``run.json`` (timing);
- ``points/p01/`` …: a full results folder per point (``incidents.parquet``, ``missions.parquet``,
  ``units.parquet``, ``summary.json``, ``scenario.yaml`` as run), readable by ``xborder compare``
  and ``xborder plot``.

The command line then draws ``figures/sweep.png`` (:func:`sim.figures.sweep.plot_sweep_folder`).
A sweep is run and stopped as a run is (:mod:`sim.study.session`): Ctrl-C, SIGTERM, SIGHUP, a
lost worker or any failure keeps every finished replication, each point's folder assembled from
what it has (a sweep cannot be resumed).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.sweep_stats import replication_kpis
from sim.scenario import Scenario
from sim.study.distributed import connected
from sim.study.folders import write_json, write_text
from sim.study.session import (
    PartsFolder,
    package_versions,
    results_folder,
    run_settings,
    run_tasks,
    task_list,
)
from sim.study.sweep_outputs import write_outputs
from sim.study.sweep_points import SweepParam, SweepPoint, build_points
from sim.study.tasks import Task, make_bundle


def run_sweep(scenario: Scenario, params: Sequence[SweepParam], *, reps: int | None = None,
              seed: int | None = None, out: str | Path | None = None, workers: int = 1,
              dask: Any = None, progress: bool = True, variants: Sequence[str] | None = None,
              region: Any = None, on_points: Callable[[list[SweepPoint]], None] | None = None) -> Path:
    """Run the grid of `params` over every variant and replication; write one folder; return it.

    Parameters
    ----------
    scenario
        The validated scenario file.
    params
        The swept parameters (:func:`sim.study.sweep_points.parse_param`).
    reps, seed
        Override the file's ``replications`` and ``seed`` (the same seed at every point).
    out
        The folder (must not exist or be empty); default ``results/<scenario>-sweep/<timestamp>/``.
    workers, dask
        As in :func:`sim.study.distributed.execute`: local processes, or ``"local"`` / a scheduler address
        (then `workers` is the LocalCluster size). The files do not depend on them.
    progress
        Show a progress bar over finished tasks (only on a terminal).
    variants
        Run only these variants (file order; the first run is the reference).
    region
        The loaded region (default: loaded here).
    on_points
        Called with the points once they are validated, before anything runs.

    Raises
    ------
    sim.study.sweep_points.SweepError
        For bad parameters (nothing is written).
    sim.study.session.RunInterrupted
        On Ctrl-C, SIGTERM or SIGHUP, after writing what finished (``"complete": false`` in
        ``sweep.json``).
    sim.study.session.RunFailed
        On any other failure (a worker process died, the disk is full, ...), after writing what
        finished, as on Ctrl-C.
    """
    names, n, s = run_settings(scenario, reps=reps, seed=seed, variants=variants, workers=workers)
    if region is None:
        region = scenario.load_region()
    points = build_points(scenario, params, region=region)
    if on_points is not None:
        on_points(points)
    with connected(dask) as target:  # before any folder: a wrong address writes nothing
        started = time.time()
        bundle = make_bundle(region, {p.name: p.scenario for p in points}, names)
        folder = results_folder(out, f"{scenario.name}-sweep")
        folders = {p.name: PartsFolder(folder / "points" / p.name, p.scenario, variants=names, reps=n,
                                       seed=s) for p in points}

        def setup() -> None:
            for f in folders.values():
                f.open()
            write_text(folder / "scenario.yaml", scenario.as_run_yaml(replications=n, seed=s))
            write_json(folder / "versions.json", package_versions())

        by_name = {p.name: p for p in points}
        norms = {p.name: p.scenario.norms() for p in points}
        areas = [f.name for f in scenario.base.focus]
        kpi_rows: list[dict[str, Any]] = []

        def on_task(task: Task, frames: dict[str, pd.DataFrame]) -> None:
            point = by_name[task[0]]
            for row in replication_kpis(frames, norms=norms[point.name], areas=areas):
                kpi_rows.append({"point": point.index, **point.labels, "variant": task[1],
                                 "replication": task[2], **row})

        def outputs(stopped: str | None) -> None:
            write_outputs(folder, scenario, points, params, kpi_rows, variants=names, reps=n, seed=s,
                          stopped=stopped)

        run_tasks(folder, bundle, task_list([p.name for p in points], names, n), folders, seed=s,
                  workers=workers, dask=target, progress=progress, label=f"{scenario.name} sweep",
                  started=started, run_info=_plan(scenario, points, names, n, s, workers=workers, dask=dask),
                  on_task=on_task, write_outputs=outputs, setup=setup)
    return folder


def _plan(scenario: Scenario, points: Sequence[SweepPoint], variants: Sequence[str], reps: int, seed: int,
          *, workers: int, dask: Any) -> dict[str, Any]:
    """What ``run.json`` says a sweep is, and where it runs."""
    return {"kind": "sweep", "scenario": scenario.name,
            "scenario_file": str(scenario.path) if scenario.path else None, "variants": list(variants),
            "replications": reps, "seed": seed, "points": [p.name for p in points], "workers": workers,
            "dask": None if dask is None else (dask if isinstance(dask, str) else "client")}
