"""Run every variant of a scenario over its replications, in parallel, into a results folder.

One task per (variant, replication). Each task is deterministic in (seed, replication): the engine
draws every random input from streams spawned from ``SeedSequence(seed, spawn_key=(replication,))``
(:class:`sim.model.streams.Streams`), so all variants replay the same incidents (common random numbers)
and results do not depend on the order of tasks or on the worker that ran them.

Each finished replication is written at once as parquet parts (``parts/``), so an interrupted run
(Ctrl-C, or a worker process killed by the system) keeps what finished: the final files are
assembled from the parts in (variant order in the file, replication) order and ``summary.json``
says ``"complete": false``.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.frames import TABLES, concat_frames, records_to_frames
from sim.analysis.summary import summarise
from sim.errors import UsageError
from sim.scenario import Scenario, load_scenario
from sim.study.distributed import WorkerLost
from sim.study.folders import write_json, write_parquet, write_text


class RunFailed(RuntimeError):
    """A run stopped by a failure it cannot recover from (a worker process died); the finished
    replications were kept in `path` (``"complete": false``)."""

    def __init__(self, path: Path, done: int, total: int, reason: str) -> None:
        super().__init__(f"{reason}; kept {done} of {total} finished replications in {path}")
        self.path, self.done, self.total = path, done, total


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run; the finished replications were kept in `path`."""

    def __init__(self, path: Path, done: int, total: int) -> None:
        super().__init__(f"interrupted: kept {done} of {total} finished replications in {path}")
        self.path, self.done, self.total = path, done, total


# ---------------------------------------------------------------------------------------- tasks

_CACHE: dict[str, Any] = {}
"""Per process: the loaded region, model specs and prepared matrices of the current scenario."""


def _scenario_key(scenario: Scenario) -> str:
    return hashlib.sha256(f"{scenario.path}\n{scenario.text}".encode()).hexdigest()


def _state(scenario: Scenario) -> dict[str, Any]:
    """Region, specs and prepared matrices of `scenario`, loaded once per process."""
    key = _scenario_key(scenario)
    st = _CACHE.get(key)
    if st is None:
        _CACHE.clear()
        region = scenario.load_region()
        st = {"region": region, "specs": scenario.model_specs(region), "prepared": {}}
        _CACHE[key] = st
    return st


def warm(scenario: Scenario) -> None:
    """Load the region and model specs of `scenario` in this process (a pool initializer)."""
    _state(scenario)


def _prepared(st: dict[str, Any], variant: str) -> Any:
    """The prepared matrices of `variant`; variants with the same stations and hospitals share one."""
    from sim.engine import prepare
    from sim.study.distributed import _prepare_key

    prepared = st["prepared"].get(variant)
    if prepared is None:
        spec = st["specs"][variant]
        shared = st.setdefault("shared", {})
        key = _prepare_key(spec)
        prepared = shared.get(key)
        if prepared is None:
            prepared = shared[key] = prepare(st["region"].network, spec)
        st["prepared"][variant] = prepared
    return prepared


def run_task(scenario: Scenario, variant: str, replication: int, seed: int) -> dict[str, pd.DataFrame]:
    """Simulate one replication of one variant; return its incidents, missions and units.

    A plain top-level function (picklable) for process pools and Dask: everything it needs comes
    from its arguments; the region and prepared matrices are cached per process, and variants with
    the same stations and hospitals are prepared once.
    """

    st = _state(scenario)
    network = st["region"].network
    spec = st["specs"][variant]
    prepared = _prepared(st, variant)
    return simulate_frames(scenario, network, spec, prepared, variant=variant, replication=replication,
                           seed=seed)


def simulate_frames(scenario: Scenario, network: Any, spec: Any, prepared: Any, *, variant: str,
                    replication: int, seed: int) -> dict[str, pd.DataFrame]:
    """One replication of `spec` on `network` with its `prepared` matrices, as result frames.

    The body of :func:`run_task` without the per-process cache (:mod:`sim.study.distributed` passes the
    region and matrices it sent to each worker): the same inputs give the same frames.
    """
    from sim.engine import simulate

    records = simulate(network, spec, seed=int(seed), replication=int(replication), prepared=prepared)
    inc = records.incidents
    focus = scenario.focus_masks(inc["lat"], inc["lon"], inc["country"]) if scenario.base.focus else None
    return records_to_frames(records, variant=variant, replication=int(replication), focus=focus)


# ---------------------------------------------------------------------------------------- running


def tasks_for(scenario: Scenario, *, reps: int, variants: Sequence[str]) -> list[tuple[str, int]]:
    """The (variant, replication) tasks, replication-major so early replications finish first."""
    return [(v, r) for r in range(reps) for v in variants]


def _check_variants(scenario: Scenario, variants: Sequence[str] | None) -> list[str]:
    if variants is None:
        return scenario.variant_names
    unknown = [v for v in variants if v not in scenario.variants]
    if unknown:
        raise UsageError(f"{scenario.filename}: unknown variant(s) {', '.join(unknown)} "
                       f"(the file has: {', '.join(scenario.variant_names)})")
    return [v for v in scenario.variant_names if v in variants]  # file order


def run_settings(scenario: Scenario, *, reps: int | None, seed: int | None, variants: Sequence[str] | None,
                 workers: int) -> tuple[list[str], int, int]:
    """The variants, replications and seed of a run (the file's unless given), checked."""
    names = _check_variants(scenario, variants)
    n = int(reps if reps is not None else scenario.replications)
    s = int(seed if seed is not None else scenario.seed)
    if n < 1:
        raise UsageError("--reps must be at least 1")
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    return names, n, s


def bundle_for(scenario: Scenario, variants: Sequence[str]) -> Any:
    """A :class:`sim.study.distributed.Bundle` of `variants` from this process's cache (prepared once)."""
    from sim.study.distributed import Bundle

    st = _state(scenario)
    for v in variants:
        _prepared(st, v)
    return Bundle(region=st["region"], scenarios={"": scenario},
                  specs={("", v): st["specs"][v] for v in variants},
                  prepared={("", v): st["prepared"][v] for v in variants})


def _execute(scenario: Scenario, tasks: Sequence[tuple[str, int]], *, seed: int, workers: int,
             on_done: Callable[[str, int, dict[str, pd.DataFrame]], None]) -> None:
    """Run tasks here or on a local process pool (:func:`sim.study.distributed.execute`), calling
    `on_done` in this process as each finishes (any order)."""
    from sim.study.distributed import Task, execute

    variants = list(dict.fromkeys(v for v, _ in tasks))

    def done(task: Task, frames: dict[str, pd.DataFrame]) -> None:
        on_done(task[1], task[2], frames)

    execute(bundle_for(scenario, variants), [("", v, r) for v, r in tasks], seed=seed, workers=workers,
            on_done=done)


def run_replications(scenario: Scenario | str | Path, *, reps: int | None = None, seed: int | None = None,
                     workers: int = 1, variants: Sequence[str] | None = None,
                     progress: bool = False) -> dict[str, pd.DataFrame]:
    """Run a scenario in memory and return ``{"incidents", "missions", "units"}`` DataFrames.

    For notebooks; nothing is written. Rows are in (variant order in the file, replication) order.
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    names, n, s = run_settings(sc, reps=reps, seed=seed, variants=variants, workers=workers)
    got: dict[tuple[str, int], dict[str, pd.DataFrame]] = {}
    bar = _bar(len(names) * n, progress, sc.name)
    try:
        def done(v: str, r: int, frames: dict[str, pd.DataFrame]) -> None:
            got[(v, r)] = frames
            bar.update(1)

        _execute(sc, tasks_for(sc, reps=n, variants=names), seed=s, workers=workers, on_done=done)
    finally:
        bar.close()
    order = [(v, r) for v in names for r in range(n)]
    return {t: concat_frames([got[k][t] for k in order]) for t in TABLES}


def _bar(total: int, progress: bool, name: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=name, unit="rep", disable=not (progress and sys.stderr.isatty()),
                file=sys.stderr, dynamic_ncols=True)


def _part_name(vi: int, variant: str, rep: int, table: str) -> str:
    return f"{vi:03d}-{variant}-{rep:05d}-{table}.parquet"


def new_results_dir(root: Path, name: str) -> Path:
    """``root/<name>/<timestamp>/``, with a ``-2``, ``-3`` … suffix rather than ever reusing one."""
    base = root / name
    base.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10_000):
        cand = base / (stamp if i == 1 else f"{stamp}-{i}")
        try:
            cand.mkdir()
        except FileExistsError:
            continue
        return cand
    raise UsageError(f"{base}: cannot create a new results folder")


def _prepare_out(out: str | Path | None, name: str) -> Path:
    if out is None:
        return new_results_dir(Path("results"), name)
    p = Path(out)
    if p.exists():
        if not p.is_dir():
            raise UsageError(f"{p}: exists and is not a folder")
        if any(p.iterdir()):
            raise UsageError(f"{p}: exists and is not empty; results are never overwritten "
                           "(choose another --out)")
    p.mkdir(parents=True, exist_ok=True)
    return p


def package_versions() -> dict[str, str]:
    """Versions of Python, xborder and the packages that shape results (and the git commit)."""
    out = {"python": platform.python_version()}
    for pkg in ("xborder", "numpy", "scipy", "pandas", "pyarrow", "simpy", "networkx", "osmnx",
                "shapely", "pydantic", "PyYAML"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=Path(__file__).resolve().parent,
                                capture_output=True, text=True, timeout=5, check=False)
        if commit.returncode == 0:
            out["git_commit"] = commit.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return out


def finalize(folder: Path, scenario: Scenario, *, variants: Sequence[str], reps: int, seed: int,
             complete: bool) -> dict[str, Any]:
    """Assemble the final files from ``parts/`` and write ``summary.json``; return the summary."""
    parts = folder / "parts"
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
    done: dict[str, list[int]] = {v: [] for v in variants}
    for vi, v in enumerate(variants):
        for r in range(reps):
            files = [parts / _part_name(vi, v, r, t) for t in TABLES]
            if all(f.is_file() for f in files):
                done[v].append(r)
                for t, f in zip(TABLES, files, strict=True):
                    frames[t].append(pd.read_parquet(f))
    tables = {t: concat_frames(frames[t]) if frames[t] else pd.DataFrame() for t in TABLES}
    for t in TABLES:
        write_parquet(folder / f"{t}.parquet", tables[t])
    focus = [f.name for f in scenario.base.focus]
    norms = scenario.norms()
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "description": scenario.base.description,
        "complete": bool(complete),
        "variant_order": list(variants),
        "reference": variants[0] if variants else None,
        "replications_requested": reps,
        "replications_done": done,
        "seed": seed,
        "horizon_s": scenario.base.horizon,
        "warmup_s": scenario.base.warmup,
        "focus_areas": focus,
        "norms": {k: {"limit_s": n.limit_s, "target_share": n.target_share, "service": n.service,
                      "label": n.label, "source": n.source} for k, n in norms.items()},
        "notes": {
            "response_time": "call to first unit of the incident type's primary kind on scene; "
                             "warm-up incidents left out",
            "within_norm": "urgent incidents (urgency 1) within the norm of their dispatch centre or "
                           "country; calls never reached count as outside",
            "differences": "variant minus the reference (first) variant, paired by replication: "
                           "t-interval of per-replication means and p90s; one replication: batch means",
        },
    }
    if len(tables["incidents"].columns) and len(tables["units"].columns):
        present = [v for v in variants if done[v]]
        summary.update(summarise(tables["incidents"], tables["missions"], tables["units"],
                                 variants=present, norms=norms, focus=focus, seed=seed))
    else:
        summary.update({"variants": {}, "differences": {}})
    write_json(folder / "summary.json", summary)
    if parts.is_dir():  # the parts, and any temporary file a Ctrl-C left behind mid-write
        shutil.rmtree(parts)
    return summary


def run_scenario(scenario: Scenario | str | Path, *, reps: int | None = None, seed: int | None = None,
                 out: str | Path | None = None, workers: int = 1, progress: bool = True,
                 variants: Sequence[str] | None = None,
                 executor: Callable[..., None] | None = None, dask: str | None = None) -> Path:
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
    executor
        Replaces the built-in task loop: called as ``executor(scenario, tasks, seed=..., on_done=...)``
        (used by the Dask runner).
    dask
        Run the tasks on Dask (:mod:`sim.study.distributed`): ``"local"`` for a LocalCluster of
        `workers` processes (one per core if `workers` is 1), or a scheduler address. The files
        are identical to a local run.

    Raises
    ------
    RunInterrupted
        On Ctrl-C, after writing the finished replications (``"complete": false``).
    RunFailed
        When a worker process dies (e.g. killed for lack of memory), after writing the finished
        replications (``"complete": false``).
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    names, n, s = run_settings(sc, reps=reps, seed=seed, variants=variants, workers=workers)
    if dask is not None and executor is None:
        from sim.study.distributed import dask_executor

        executor = dask_executor(dask, workers=workers)
    # load the region here first: errors show before any folder is made, and forked workers share it
    warm(sc)
    folder = _prepare_out(out, sc.name)
    parts = folder / "parts"
    parts.mkdir()
    write_text(folder / "scenario.yaml", sc.as_run_yaml(replications=n, seed=s))
    write_json(folder / "versions.json", package_versions())
    index = {v: i for i, v in enumerate(names)}
    tasks = tasks_for(sc, reps=n, variants=names)
    finished = 0
    started = time.time()
    bar = _bar(len(tasks), progress, sc.name)

    def done(v: str, r: int, frames: dict[str, pd.DataFrame]) -> None:
        nonlocal finished
        for t in TABLES:
            write_parquet(parts / _part_name(index[v], v, r, t), frames[t])
        finished += 1
        bar.update(1)

    complete = False
    try:
        if executor is not None:
            executor(sc, tasks, seed=s, on_done=done)
        else:
            _execute(sc, tasks, seed=s, workers=workers, on_done=done)
        complete = True
    except (KeyboardInterrupt, WorkerLost) as exc:
        bar.close()
        finalize(folder, sc, variants=names, reps=n, seed=s, complete=False)
        _write_run_info(folder, started, workers, finished, len(tasks))
        if isinstance(exc, WorkerLost):
            raise RunFailed(folder, finished, len(tasks), str(exc)) from exc
        raise RunInterrupted(folder, finished, len(tasks)) from None
    finally:
        bar.close()
    finalize(folder, sc, variants=names, reps=n, seed=s, complete=complete)
    _write_run_info(folder, started, workers, finished, len(tasks))
    return folder


def _write_run_info(folder: Path, started: float, workers: int, done: int, total: int) -> None:
    # kept out of summary.json so that the result files do not depend on timing or workers
    write_json(folder / "run.json", {
        "started": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "elapsed_s": round(time.time() - started, 2), "workers": workers,
        "tasks_done": done, "tasks_total": total, "host": platform.node(), "pid": os.getpid(),
    })


def describe(results_dir: Path) -> Iterable[str]:
    """Lines listing the files of a results folder (for the command line)."""
    for f in sorted(results_dir.iterdir()):
        if f.is_file():
            yield f"  {f.name:<18} {f.stat().st_size / 1024:8.1f} KiB"


def read_summary(results_dir: Path) -> dict[str, Any]:
    """The summary.json of a results folder."""
    return dict(json.loads((results_dir / "summary.json").read_text(encoding="utf-8")))
