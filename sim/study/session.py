"""Running tasks into results folders: one path for runs and sweeps, interrupted or not.

A run writes one results folder; a sweep one per point (:mod:`sim.study.sweep`). Each finished
task is written at once as parquet parts (``parts/`` of its folder, :class:`PartsFolder`), and a
folder is assembled from its parts as soon as its last task is in. So a run stopped by Ctrl-C or
by a worker process the system killed keeps what finished: :func:`run_tasks` assembles every folder
from the parts it has (``"complete": false`` in its ``summary.json``), lets the caller write its
own files, writes ``run.json`` and raises :class:`RunInterrupted` or :class:`RunFailed`.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from tqdm import tqdm

from sim.analysis.frames import TABLES, concat_frames
from sim.analysis.summary import summarise
from sim.errors import UsageError
from sim.scenario import Scenario
from sim.study.distributed import OnDone, WorkerLost, execute
from sim.study.folders import write_json, write_parquet, write_text
from sim.study.tasks import Bundle, Task


class TaskFolder(Protocol):
    """Where the finished tasks of one point go (:class:`PartsFolder`, or a tally that writes nothing)."""

    remaining: int

    def add(self, variant: str, rep: int, frames: Mapping[str, pd.DataFrame]) -> None:
        """Take the frames of one finished task."""

    def finalize(self, *, complete: bool) -> Any:
        """Called once the point's last task is in."""

    def settle(self) -> None:
        """Called after the run ends or stops."""


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


# ---------------------------------------------------------------------------------------- settings


def run_settings(scenario: Scenario, *, reps: int | None, seed: int | None, variants: Sequence[str] | None,
                 workers: int) -> tuple[list[str], int, int]:
    """The variants (file order), replications and seed of a run (the file's unless given), checked."""
    names = scenario.variant_names
    if variants is not None:
        unknown = [v for v in variants if v not in scenario.variants]
        if unknown:
            raise UsageError(f"{scenario.filename}: unknown variant(s) {', '.join(unknown)} "
                             f"(the file has: {', '.join(scenario.variant_names)})")
        names = [v for v in scenario.variant_names if v in variants]
    n = int(reps if reps is not None else scenario.replications)
    s = int(seed if seed is not None else scenario.seed)
    if n < 1:
        raise UsageError("--reps must be at least 1")
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    return names, n, s


def task_list(points: Sequence[str], variants: Sequence[str], reps: int) -> list[Task]:
    """The tasks of `points` × `variants` × `reps`: point by point, replication-major within a point
    (early replications of every variant finish first)."""
    return [(p, v, r) for p in points for r in range(reps) for v in variants]


def progress_bar(total: int, progress: bool, name: str) -> Any:
    """A tqdm bar over finished tasks on stderr, shown only when `progress` and stderr is a terminal."""
    return tqdm(total=total, desc=name, unit="rep", disable=not (progress and sys.stderr.isatty()),
                file=sys.stderr, dynamic_ncols=True)


# ---------------------------------------------------------------------------------------- folders


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


def results_folder(out: str | Path | None, name: str) -> Path:
    """The folder `out` (made; it must not exist or be empty), or a new ``results/<name>/<timestamp>/``."""
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


_NOTES = {
    "response_time": "call to first unit of the incident type's primary kind on scene; "
                     "warm-up incidents left out",
    "within_norm": "urgent incidents (urgency 1) within the norm of their dispatch centre or "
                   "country; calls never reached count as outside",
    "differences": "variant minus the reference (first) variant, paired by replication: "
                   "t-interval of per-replication means and p90s; one replication: batch means",
}


class PartsFolder:
    """A results folder written from parts: the frames of each finished task go to ``parts/`` at
    once; :meth:`finalize` assembles the tables and ``summary.json`` from them.

    Parameters
    ----------
    path
        The folder (it exists).
    scenario
        The scenario its tasks run (for ``scenario.yaml``, the norms and focus areas).
    variants, reps, seed
        What it holds: `reps` replications of each variant, in this order in the tables.
    """

    def __init__(self, path: Path, scenario: Scenario, *, variants: Sequence[str], reps: int,
                 seed: int) -> None:
        self.path, self.scenario = path, scenario
        self.variants, self.reps, self.seed = list(variants), reps, seed
        self.remaining = len(self.variants) * reps
        self._index = {v: i for i, v in enumerate(self.variants)}

    @property
    def parts(self) -> Path:
        return self.path / "parts"

    def open(self) -> None:
        """Make ``parts/`` and write ``scenario.yaml`` (the scenario as run)."""
        self.parts.mkdir(parents=True)
        write_text(self.path / "scenario.yaml",
                   self.scenario.as_run_yaml(replications=self.reps, seed=self.seed))

    def _part(self, variant: str, rep: int, table: str) -> Path:
        return self.parts / f"{self._index[variant]:03d}-{variant}-{rep:05d}-{table}.parquet"

    def add(self, variant: str, rep: int, frames: Mapping[str, pd.DataFrame]) -> None:
        """Write the frames of one finished task as parts."""
        for t in TABLES:
            write_parquet(self._part(variant, rep, t), frames[t])
        self.remaining -= 1

    def finalize(self, *, complete: bool) -> dict[str, Any]:
        """Assemble the tables from the parts in (variant, replication) order, write them and
        ``summary.json``, remove ``parts/``; return the summary."""
        frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
        done: dict[str, list[int]] = {v: [] for v in self.variants}
        for v in self.variants:
            for r in range(self.reps):
                files = [self._part(v, r, t) for t in TABLES]
                if all(f.is_file() for f in files):
                    done[v].append(r)
                    for t, f in zip(TABLES, files, strict=True):
                        frames[t].append(pd.read_parquet(f))
        tables = {t: concat_frames(frames[t]) if frames[t] else pd.DataFrame() for t in TABLES}
        for t in TABLES:
            write_parquet(self.path / f"{t}.parquet", tables[t])
        summary = self._summary(tables, done, complete=complete)
        write_json(self.path / "summary.json", summary)
        if self.parts.is_dir():  # the parts, and any temporary file a Ctrl-C left behind mid-write
            shutil.rmtree(self.parts)
        return summary

    def _summary(self, tables: Mapping[str, pd.DataFrame], done: Mapping[str, list[int]], *,
                 complete: bool) -> dict[str, Any]:
        sc, variants = self.scenario, self.variants
        focus = [f.name for f in sc.base.focus]
        norms = sc.norms()
        summary: dict[str, Any] = {
            "scenario": sc.name,
            "description": sc.base.description,
            "complete": bool(complete),
            "variant_order": list(variants),
            "reference": variants[0] if variants else None,
            "replications_requested": self.reps,
            "replications_done": dict(done),
            "seed": self.seed,
            "horizon_s": sc.base.horizon,
            "warmup_s": sc.base.warmup,
            "focus_areas": focus,
            "norms": {k: {"limit_s": n.limit_s, "target_share": n.target_share, "service": n.service,
                          "label": n.label, "source": n.source} for k, n in norms.items()},
            "notes": dict(_NOTES),
        }
        if len(tables["incidents"].columns) and len(tables["units"].columns):
            present = [v for v in variants if done[v]]
            summary.update(summarise(tables["incidents"], tables["missions"], tables["units"],
                                     variants=present, norms=norms, focus=focus, seed=self.seed))
        else:
            summary.update({"variants": {}, "differences": {}})
        return summary

    def settle(self) -> None:
        """After a stop: assemble the folder from the parts it has, unless it was assembled.

        A folder whose assembly was cut short after ``summary.json`` only loses its leftover parts.
        """
        if not self.parts.is_dir():
            return
        if (self.path / "summary.json").is_file():
            shutil.rmtree(self.parts)
        else:
            self.finalize(complete=self.remaining == 0)


# ---------------------------------------------------------------------------------------- running


def run_tasks(root: Path, bundle: Bundle, tasks: Sequence[Task], folders: Mapping[str, TaskFolder], *,
              seed: int, workers: int, dask: Any, progress: bool, label: str, started: float,
              run_info: Mapping[str, Any], on_task: OnDone | None = None,
              write_outputs: Callable[[bool], None] | None = None) -> None:
    """Run `tasks` into their folders (``folders[point]``); on Ctrl-C or a lost worker keep what finished.

    Each finished task is written to its folder as parts, then handed to `on_task`; a folder is
    assembled when its last task is in. At the end, or when the run stops, every folder is
    assembled from what it has, ``write_outputs(complete)`` writes the caller's own files and
    ``root/run.json`` says when, where (`run_info`) and how many tasks ran.

    Parameters
    ----------
    root
        The run's folder (named in the errors; gets ``run.json``).
    workers, dask
        As in :func:`sim.study.distributed.execute`.
    label, progress
        The progress bar's name; whether to show it.
    started
        When the run started (``time.time()``).

    Raises
    ------
    RunInterrupted
        On Ctrl-C, after writing what finished.
    RunFailed
        When a worker process dies, after writing what finished.
    """
    finished = 0
    bar = progress_bar(len(tasks), progress, label)

    def done(task: Task, frames: dict[str, pd.DataFrame]) -> None:
        nonlocal finished
        folder = folders[task[0]]
        folder.add(task[1], task[2], frames)
        if on_task is not None:
            on_task(task, frames)
        finished += 1
        if folder.remaining == 0:
            folder.finalize(complete=True)
        bar.update(1)

    def close(complete: bool) -> None:
        for f in folders.values():
            f.settle()
        if write_outputs is not None:
            write_outputs(complete)
        write_run_info(root, started, run_info, finished, len(tasks))

    try:
        execute(bundle, tasks, seed=seed, on_done=done, workers=workers, dask=dask)
    except (KeyboardInterrupt, WorkerLost) as exc:
        bar.close()
        close(False)
        if isinstance(exc, WorkerLost):
            raise RunFailed(root, finished, len(tasks), str(exc)) from exc
        raise RunInterrupted(root, finished, len(tasks)) from None
    finally:
        bar.close()
    close(True)


def write_run_info(folder: Path, started: float, where: Mapping[str, Any], done: int, total: int) -> None:
    """``run.json``: when the run started, how long it took, where it ran, how many tasks finished.

    Kept out of the result files, which do not depend on timing or workers.
    """
    write_json(folder / "run.json", {
        "started": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "elapsed_s": round(time.time() - started, 2), **where,
        "tasks_done": done, "tasks_total": total, "host": platform.node(), "pid": os.getpid(),
    })
