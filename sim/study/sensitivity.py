"""Sensitivity studies: which of a scenario's declared uncertain inputs move the gain, and how far.

``xborder sensitivity FILE`` takes the inputs of the file's ``uncertain:`` block
(:mod:`sim.scenario.uncertain`), builds the points of a SALib design over their ranges (Morris
trajectories, or Saltelli's scheme for Sobol' indices: :func:`sim.analysis.sensitivity.design`),
runs every variant at every point, and at the file's own values (the point ``nominal``), over the
same replications with the same seed (common random numbers: every point and variant replays the
same calls), and writes one folder (:mod:`sim.study.sensitivity_outputs`).

A point and variant whose model is the same as another's (a Morris step that changes an input of
another variant, say) is run once: the same model with the same seed and replication gives the
same records. Tasks run as a run's do (:func:`sim.study.session.run_tasks`: a process pool or
Dask; Ctrl-C or a lost worker keeps the replications that finished, ``"complete": false``). No
results folder is written per point: the per-replication KPIs are the data.
"""

from __future__ import annotations

import hashlib
import pickle
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.sensitivity import Factor, design
from sim.analysis.sweep_stats import replication_kpis
from sim.errors import UsageError
from sim.scenario import Scenario, ScenarioError
from sim.study.distributed import connected
from sim.study.folders import write_json, write_text
from sim.study.sensitivity_outputs import write_outputs
from sim.study.session import package_versions, results_folder, run_settings, run_tasks, task_list
from sim.study.tasks import Task, bundle_of

NOMINAL = "nominal"
"""The point with the file's own values."""


@dataclass
class Plan:
    """What a sensitivity study runs.

    Attributes
    ----------
    method, n, levels
        The design (:func:`sim.analysis.sensitivity.design`).
    factors
        The uncertain inputs, in the file's order (the columns of `x`).
    x
        The design points, one row per point (SI units), in the order of :attr:`points` after
        ``nominal``.
    points
        Point names: ``nominal``, then ``p0001`` ... one per row of `x`.
    scenarios
        Point -> its validated scenario.
    variants, reps, seed
        What runs at every point.
    runs
        ``(point, variant)`` -> the ``(point, variant)`` whose tasks give its records (itself, or an
        earlier one with the same model).
    """

    method: str
    n: int
    levels: int
    factors: list[Factor]
    x: np.ndarray
    points: list[str]
    scenarios: dict[str, Scenario]
    variants: list[str]
    reps: int
    seed: int
    runs: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    specs: dict[tuple[str, str], Any] = field(default_factory=dict)

    @property
    def tasks(self) -> list[Task]:
        """The tasks that run: one per replication of each distinct model, point by point."""
        out: list[Task] = []
        for p in self.points:
            run = [v for v in self.variants if self.runs[(p, v)] == (p, v)]
            out += task_list([p], run, self.reps) if run else []
        return out


def factors(scenario: Scenario) -> list[Factor]:
    """The uncertain inputs of `scenario` as :class:`sim.analysis.sensitivity.Factor`."""
    return [Factor(name=i.name, low=i.low, high=i.high, distribution=i.distribution, params=dict(i.params))
            for i in scenario.uncertain]


def _point_scenarios(scenario: Scenario, x: np.ndarray, names: Sequence[str],
                     region: Any) -> dict[str, Scenario]:
    """Each design point's scenario, validated (a ``UsageError`` lists the problems of the first bad one)."""
    out = {NOMINAL: scenario}
    for name, row in zip(names, x, strict=True):
        try:
            sc = scenario.at_values(row)
            problems = sc.check_network(region)
        except ScenarioError as exc:
            problems = exc.problems
        if problems:
            values = ", ".join(f"{i.name} = {i.text(v)}"
                               for i, v in zip(scenario.uncertain, row, strict=True))
            raise UsageError(f"{scenario.filename}: point {name} ({values}) is not a valid scenario:\n"
                             + "\n".join(str(p) for p in problems))
        out[name] = sc
    return out


def _digest(sc: Scenario, spec: Any) -> str:
    """What makes a (point, variant)'s per-replication KPIs: its model, norms and focus areas."""
    return hashlib.sha256(pickle.dumps((spec, sc.norms(), sc.base.focus), protocol=5)).hexdigest()


def plan_sensitivity(scenario: Scenario, *, method: str = "morris", n: int = 10, levels: int = 4,
                     reps: int | None = None, seed: int | None = None, variants: Sequence[str] | None = None,
                     region: Any, workers: int = 1) -> Plan:
    """The design, the points' scenarios and which tasks run (see :class:`Plan`).

    Raises
    ------
    sim.errors.UsageError
        Without declared inputs (or with one), with fewer than two variants, or when a point is not
        a valid scenario.
    """
    names, n_reps, s = run_settings(scenario, reps=reps, seed=seed, variants=variants, workers=workers)
    if len(scenario.uncertain) < 2:
        raise UsageError(f"{scenario.filename}: declare at least two inputs in an uncertain: block "
                         "(path: {range: LOW..HIGH, reason: ...})")
    if len(names) < 2:
        raise UsageError("a sensitivity study needs a reference and at least one other variant")
    if n < 1 or (method == "sobol" and n & (n - 1)):
        raise UsageError("--trajectories must be at least 1 (a power of 2 for sobol)")
    facts = factors(scenario)
    x = design(facts, method=method, n=n, seed=s, levels=levels)
    width = max(4, len(str(len(x))))
    point_names = [f"p{i:0{width}d}" for i in range(1, len(x) + 1)]
    scenarios = _point_scenarios(scenario, x, point_names, region)
    plan = Plan(method=method, n=n, levels=levels, factors=facts, x=x, points=[NOMINAL, *point_names],
                scenarios=scenarios, variants=names, reps=n_reps, seed=s)
    first: dict[str, tuple[str, str]] = {}
    for p in plan.points:
        for v in names:
            spec = scenarios[p].model_spec(v, region)
            key = first.setdefault(_digest(scenarios[p], spec), (p, v))
            plan.runs[(p, v)] = key
            if key == (p, v):
                plan.specs[(p, v)] = spec
    return plan


class _Tally:
    """A point's tasks counted as they finish (the caller keeps their KPIs; nothing is written)."""

    def __init__(self, tasks: int) -> None:
        self.remaining = tasks

    def add(self, variant: str, rep: int, frames: Mapping[str, pd.DataFrame]) -> None:
        self.remaining -= 1

    def finalize(self, *, stopped: str | None = None) -> None:
        return None

    def settle(self, stopped: str | None) -> None:
        return None


def run_sensitivity(scenario: Scenario, *, method: str = "morris", n: int = 10, levels: int = 4,
                    reps: int | None = None, seed: int | None = None, out: str | Path | None = None,
                    workers: int = 1, dask: Any = None, progress: bool = True,
                    variants: Sequence[str] | None = None, region: Any = None,
                    on_plan: Callable[[Plan], None] | None = None) -> Path:
    """Run a sensitivity study of `scenario`'s uncertain inputs; write one folder and return it.

    Parameters
    ----------
    method, n, levels
        ``"morris"`` with `n` trajectories on `levels` grid levels, or ``"sobol"`` with `n` base
        samples (a power of 2).
    reps, seed
        Override the file's ``replications`` and ``seed`` (the same at every point).
    out
        The folder (must not exist or be empty); default ``results/<scenario>-sensitivity/<timestamp>/``.
    workers, dask
        As in :func:`sim.study.distributed.execute`; the files do not depend on them.
    variants
        Run only these variants (file order; the first is the reference the gains are taken from).
    region
        The loaded region (default: loaded here).
    on_plan
        Called with the :class:`Plan` before anything runs.

    Raises
    ------
    sim.errors.UsageError
        See :func:`plan_sensitivity` (nothing is written).
    sim.study.session.RunInterrupted, sim.study.session.RunFailed
        On Ctrl-C or a lost worker, after writing what finished (``"complete": false``).
    """
    if region is None:
        region = scenario.load_region()
    plan = plan_sensitivity(scenario, method=method, n=n, levels=levels, reps=reps, seed=seed,
                            variants=variants, region=region, workers=workers)
    if on_plan is not None:
        on_plan(plan)
    with connected(dask) as target:
        started = time.time()
        used = sorted({p for p, _ in plan.specs})
        bundle = bundle_of(region, {p: plan.scenarios[p] for p in used}, plan.specs)
        folder = results_folder(out, f"{scenario.name}-sensitivity")
        write_text(folder / "scenario.yaml", scenario.as_run_yaml(replications=plan.reps, seed=plan.seed))
        write_json(folder / "versions.json", package_versions())
        tasks = plan.tasks
        sinks = {p: _Tally(sum(1 for t in tasks if t[0] == p)) for p in used}
        shared: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for key, run in plan.runs.items():
            shared.setdefault(run, []).append(key)
        areas = [f.name for f in scenario.base.focus]
        norms = {p: plan.scenarios[p].norms() for p in used}
        kpi_rows: list[dict[str, Any]] = []

        def on_task(task: Task, frames: dict[str, pd.DataFrame]) -> None:
            rows = replication_kpis(frames, norms=norms[task[0]], areas=areas)
            for point, variant in shared[(task[0], task[1])]:
                kpi_rows.extend({"point": point, "variant": variant, "replication": task[2], **r}
                                for r in rows)

        def outputs(stopped: str | None) -> None:
            write_outputs(folder, scenario, plan, kpi_rows, complete=stopped is None)

        where = None if dask is None else (dask if isinstance(dask, str) else "client")
        run_tasks(folder, bundle, tasks, sinks, seed=plan.seed, workers=workers, dask=target,
                  progress=progress, label=f"{scenario.name} sensitivity", started=started,
                  run_info={"workers": workers, "dask": where, "tasks_distinct": len(tasks),
                            "tasks_design": len(plan.points) * len(plan.variants) * plan.reps},
                  on_task=on_task, write_outputs=outputs)
    return folder
