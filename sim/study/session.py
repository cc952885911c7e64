"""Running tasks into results folders: one path for runs and sweeps, stopped or not.

A run writes one results folder; a sweep one per point (:mod:`sim.study.sweep`). Each finished
task is written at once as parquet parts (``parts/`` of its folder, :class:`PartsFolder`), and a
folder is assembled from its parts as soon as its last task is in. Whatever stops a run once its
folder exists (Ctrl-C, SIGTERM or SIGHUP (:mod:`sim.study.stops`), a worker process the system
killed, a full disk, an error in the engine) ends in one place, :func:`run_tasks`: every folder is
assembled from the parts it has (``"complete": false`` and the reason, ``"stopped"``, in its
``summary.json``), the caller writes its own files, ``run.json`` records the reason too, and
:class:`RunInterrupted` or :class:`RunFailed` is raised. A folder that could not be assembled
(the disk still full) keeps its parts. ``run.json`` is written first, with what the run is (scenario
file, variants, replications, seed): :func:`sim.study.runner.resume_run` reads it to run only the
missing replications.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
from tqdm import tqdm

from sim.analysis.frames import TABLES, concat_frames
from sim.analysis.requests import request_counts
from sim.analysis.summary import summarise
from sim.errors import DataError, UsageError
from sim.scenario import Scenario
from sim.study.distributed import OnDone, WorkerLost, execute
from sim.study.folders import load_results, table_record, write_json, write_parquet, write_text
from sim.study.stops import Stopped, held_stops, signal_name, stop_signals
from sim.study.tasks import Bundle, Task

NOT_RECORDED = ("no reason recorded: the run is going on, or its process was killed (SIGKILL, out of "
                "memory) or the machine stopped")
"""``run.json``'s ``stopped`` until the run ends and says how."""


def _kept(what: str, path: Path, done: int, total: int, unassembled: str | None, sep: str = ": ") -> str:
    text = f"{what}{sep}kept {done} of {total} finished replications in {path}"
    if unassembled:
        text += f" (not assembled: {unassembled}; they are in its parts/)"
    return text


class TaskFolder(Protocol):
    """Where the finished tasks of one point go (:class:`PartsFolder`, or a tally that writes nothing)."""

    remaining: int

    def add(self, variant: str, rep: int, frames: Mapping[str, pd.DataFrame]) -> None:
        """Take the frames of one finished task."""

    def finalize(self, *, stopped: str | None = None) -> Any:
        """Called once the point's last task is in."""

    def settle(self, stopped: str | None) -> None:
        """Called after the run ends or stops (`stopped`: why, or None)."""


class RunFailed(RuntimeError):
    """A run stopped by a failure (a worker process died, the disk is full, an error in a task);
    the finished replications were kept in `path` (``"complete": false``).

    Attributes
    ----------
    path, done, total
        The run's folder; finished and planned replications (tasks).
    reason
        What stopped it (as in ``summary.json`` and ``run.json``).
    exit_code
        2 for an error the user can fix (:class:`sim.errors.DataError`, ``UsageError``), else 1.
    unassembled
        Why the folder could not be assembled (its parts are kept), or None.
    """

    def __init__(self, path: Path, done: int, total: int, reason: str, *, exit_code: int = 1,
                 unassembled: str | None = None) -> None:
        super().__init__(_kept(reason, path, done, total, unassembled, sep="; "))
        self.path, self.done, self.total, self.reason = path, done, total, reason
        self.exit_code, self.unassembled = exit_code, unassembled


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP: `signum`) during a run; the finished replications were kept in
    `path`. `exit_code` is 128 + `signum`; `unassembled` as in :class:`RunFailed`."""

    def __init__(self, path: Path, done: int, total: int, *, signum: int = signal.SIGINT,
                 unassembled: str | None = None) -> None:
        what = "interrupted" if signum == signal.SIGINT else f"stopped by {signal_name(signum)}"
        super().__init__(_kept(what, path, done, total, unassembled))
        self.path, self.done, self.total, self.signum = path, done, total, int(signum)
        self.exit_code, self.unassembled = 128 + int(signum), unassembled


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
    if s < 0:
        raise UsageError(f"--seed must be at least 0 (got {s})")
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

NAME_MAX = 80
"""The longest folder name :func:`safe_folder_name` gives."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_folder_name(name: str) -> str:
    """`name` (a scenario's) as one safe folder name.

    Accents are dropped (``é`` -> ``e``); letters, digits, ``.``, ``_`` and ``-`` are kept and
    every other run of characters (``/``, spaces, ...) becomes one ``-``; dots and dashes go from
    both ends (never ``..``, a hidden folder or an option) and the name is cut to
    :data:`NAME_MAX` characters. ``scenario`` if nothing is left.
    """
    text = "".join(c for c in unicodedata.normalize("NFKD", str(name)) if not unicodedata.combining(c))
    text = _UNSAFE.sub("-", text).lstrip(".-")[:NAME_MAX].rstrip(".-")
    return text or "scenario"


def _cannot(path: Path, exc: OSError) -> UsageError:
    return UsageError(f"{path}: cannot write the results folder there ({exc.strerror or exc})")


def new_results_dir(root: Path, name: str) -> Path:
    """``root/<name>/<timestamp>/`` (`name` made safe, :func:`safe_folder_name`), with a ``-2``,
    ``-3`` … suffix rather than ever reusing one; ``UsageError`` if it cannot be made."""
    base = root / safe_folder_name(name)
    try:
        base.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot(base, exc) from None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    for i in range(1, 10_000):
        cand = base / (stamp if i == 1 else f"{stamp}-{i}")
        try:
            cand.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise _cannot(cand, exc) from None
        return cand
    raise UsageError(f"{base}: cannot create a new results folder")


def results_folder(out: str | Path | None, name: str) -> Path:
    """The folder `out` (made; it must not exist or be empty), or a new ``results/<name>/<timestamp>/``.

    Raises
    ------
    UsageError
        If `out` is a file or a folder with files in it, or the folder cannot be made or written in.
    """
    if out is None:
        p = new_results_dir(Path("results"), name)
    else:
        p = Path(out)
        if p.exists():
            if not p.is_dir():
                raise UsageError(f"{p}: exists and is not a folder")
            if any(p.iterdir()):
                raise UsageError(f"{p}: exists and is not empty; results are never overwritten "
                                 "(choose another --out)")
        try:
            p.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _cannot(p, exc) from None
    try:  # a folder that exists but refuses files (read-only) fails here, before any work
        fd, probe = tempfile.mkstemp(dir=p, prefix=".xborder-", suffix=".tmp")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise _cannot(p, exc) from None
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
    "within_norm": "calls within the norm of their class (NL A1 and A2, fires by building type ...: "
                   "sim.model.norms.NORM_CLASSES) set for their dispatch centre or country; calls of a "
                   "class without a norm there are not judged (see within_10min/15min shares); calls "
                   "never reached count as outside",
    "services": "by_service: ambulance and fire calls apart (the service of the call's norm class); "
                "by_norm: '<country>/<class>' groups with their norm (null: none in that country)",
    "utilisation": "busy time over time on duty, per unit type; utilisation_by_country: per country",
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
        # variants by their place in the run: a name may be too long for a file name
        return self.parts / f"{self._index[variant]:03d}-{rep:05d}-{table}.parquet"

    def add(self, variant: str, rep: int, frames: Mapping[str, pd.DataFrame]) -> None:
        """Write the frames of one finished task as parts."""
        for t in TABLES:
            write_parquet(self._part(variant, rep, t), frames[t])
        self.remaining -= 1

    def _in_parts(self, variant: str, rep: int) -> bool:
        return all(self._part(variant, rep, t).is_file() for t in TABLES)

    def finalize(self, *, stopped: str | None = None) -> dict[str, Any]:
        """Assemble the tables from the parts in (variant, replication) order, write them and
        ``summary.json`` (complete unless `stopped` says why not), remove ``parts/``; return the
        summary."""
        frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLES}
        done: dict[str, list[int]] = {v: [] for v in self.variants}
        for v in self.variants:
            for r in range(self.reps):
                if self._in_parts(v, r):
                    done[v].append(r)
                    for t in TABLES:
                        frames[t].append(pd.read_parquet(self._part(v, r, t)))
        tables = {t: concat_frames(frames[t]) if frames[t] else pd.DataFrame() for t in TABLES}
        records = {}
        for t in TABLES:
            write_parquet(self.path / f"{t}.parquet", tables[t])
            records[f"{t}.parquet"] = table_record(self.path / f"{t}.parquet", tables[t])
        summary = self._summary(tables, done, stopped=stopped)
        summary["tables"] = records
        write_json(self.path / "summary.json", summary)
        if self.parts.is_dir():  # the parts, and any temporary file a stop left behind mid-write
            shutil.rmtree(self.parts)
        return summary

    def _summary(self, tables: Mapping[str, pd.DataFrame], done: Mapping[str, list[int]], *,
                 stopped: str | None) -> dict[str, Any]:
        sc, variants = self.scenario, self.variants
        focus = [f.name for f in sc.base.focus]
        norms = sc.norms()
        summary: dict[str, Any] = {
            "scenario": sc.name,
            "description": sc.base.description,
            "complete": stopped is None,
            "stopped": stopped,
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
            summary["requests"] = request_counts(tables["requests"], variants=present)  # issue 12: requests
        else:
            summary.update({"variants": {}, "differences": {}})
        return summary

    def settle(self, stopped: str | None) -> None:
        """After a stop (`stopped` says why): assemble the folder from the parts it has, unless it
        was assembled; complete if every task is in.

        A folder whose assembly was cut short after ``summary.json`` only loses its leftover parts.
        """
        if (self.path / "summary.json").is_file():
            if self.parts.is_dir():
                shutil.rmtree(self.parts)
            return
        self.finalize(stopped=None if self.remaining == 0 else stopped or NOT_RECORDED)

    # ------------------------------------------------------------------------ resuming

    def finished(self) -> set[tuple[str, int]]:
        """The (variant, replication) this folder holds: in its parts, or in its assembled tables
        (``summary.json``'s ``replications_done``, checked by :func:`sim.study.folders.load_results`)."""
        have = {(v, r) for v in self.variants for r in range(self.reps) if self._in_parts(v, r)}
        if (self.path / "summary.json").is_file():
            summary = load_results(self.path).summary
            have |= {(v, int(r)) for v, reps in summary["replications_done"].items() for r in reps
                     if v in self._index and 0 <= int(r) < self.reps}
        return have

    def reopen(self) -> int:
        """Make an assembled folder whole parts again, to run its missing tasks; return how many
        tasks it holds.

        Each finished task's rows of the assembled tables become its parts (as they were written,
        so assembling again gives the same tables), then ``summary.json`` and the tables are
        removed. Until ``summary.json`` goes, a stop here leaves the folder as it was.
        """
        self.parts.mkdir(exist_ok=True)
        summary_file = self.path / "summary.json"
        if summary_file.is_file():
            res = load_results(self.path)
            tables = {t: getattr(res, t) for t in TABLES}
            for v, reps in res.summary["replications_done"].items():
                for r in reps:
                    if v in self._index and 0 <= int(r) < self.reps and not self._in_parts(v, int(r)):
                        for t, df in tables.items():
                            mine = (df["variant"] == v) & (df["replication"] == int(r))
                            write_parquet(self._part(v, int(r), t), df[mine].reset_index(drop=True))
            summary_file.unlink()
        for t in TABLES:
            (self.path / f"{t}.parquet").unlink(missing_ok=True)
        have = sum(self._in_parts(v, r) for v in self.variants for r in range(self.reps))
        self.remaining = len(self.variants) * self.reps - have
        return have


# ---------------------------------------------------------------------------------------- running


def run_tasks(root: Path, bundle: Bundle, tasks: Sequence[Task], folders: Mapping[str, TaskFolder], *,
              seed: int, workers: int, dask: Any, progress: bool, label: str, started: float,
              run_info: Mapping[str, Any], on_task: OnDone | None = None,
              write_outputs: Callable[[str | None], None] | None = None,
              setup: Callable[[], None] | None = None, done_before: int = 0) -> None:
    """Run `tasks` into their folders (``folders[point]``); whatever stops them, keep what finished.

    ``run.json`` is written first (`run_info`: what the run is and where it runs), then `setup`
    runs (the caller's first files). Each finished task is written to its folder as parts, then
    handed to `on_task`; a folder is assembled when its last task is in. At the end, or when the
    run stops, every folder is assembled from what it has, ``write_outputs(stopped)`` writes the
    caller's own files (`stopped`: None, or why the run stopped) and ``run.json`` says when, how
    many tasks ran and, if it stopped, why. SIGTERM and SIGHUP stop it as Ctrl-C does
    (:func:`sim.study.stops.stop_signals`).

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
    done_before
        Tasks the folders already hold (a resumed run): counted in the totals.

    Raises
    ------
    RunInterrupted
        On Ctrl-C, SIGTERM or SIGHUP, after writing what finished.
    RunFailed
        On any other failure (a worker process died, the disk is full, a task raised), after
        writing what finished.
    """
    total = done_before + len(tasks)
    count = [done_before]
    bar = progress_bar(len(tasks), progress, label)

    def done(task: Task, frames: dict[str, pd.DataFrame]) -> None:
        folder = folders[task[0]]
        folder.add(task[1], task[2], frames)
        if on_task is not None:
            on_task(task, frames)
        count[0] += 1
        if folder.remaining == 0:
            folder.finalize()
        bar.update(1)

    def close(stopped: str | None, error: str | None = None) -> None:
        for f in folders.values():
            f.settle(stopped)
        if write_outputs is not None:
            write_outputs(stopped)
        write_run_info(root, started, run_info, count[0], total, stopped=stopped, error=error)

    with stop_signals():
        try:
            write_run_info(root, started, run_info, count[0], total, stopped=NOT_RECORDED)
            if setup is not None:
                setup()
            execute(bundle, tasks, seed=seed, on_done=done, workers=workers, dask=dask)
            bar.close()
            close(None)
        except BaseException as exc:  # every stop keeps what finished, then re-raises
            bar.close()
            raise _after_stop(exc, close, root, count, total) from _cause(exc)


def _cause(exc: BaseException) -> BaseException | None:
    """The cause a stop's exception is raised from: none for a signal or a lost worker (their
    message says it all), the error itself otherwise (its traceback, for a library caller)."""
    return None if isinstance(exc, KeyboardInterrupt | WorkerLost) else exc


def _describe(exc: BaseException) -> tuple[str, str | None]:
    """Why a run stopped, in one line, and the traceback worth keeping in ``run.json`` (if any)."""
    if isinstance(exc, Stopped):
        return f"stopped by {signal_name(exc.signum)}", None
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted (Ctrl-C)", None
    if isinstance(exc, WorkerLost | DataError | UsageError):
        return str(exc), None
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror}", None
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__, "".join(
        traceback.format_exception(exc))


def _after_stop(exc: BaseException, close: Callable[[str | None, str | None], None], root: Path,
                count: list[int], total: int) -> BaseException:
    """Keep what finished after `exc` stopped the run; the exception to raise instead.

    Further SIGTERM/SIGHUP wait until the folders are assembled (:func:`held_stops`); one that
    came meanwhile (workers and parent signalled together) makes the stop a signal's.
    """
    reason, details = _describe(exc)
    unassembled = None
    with held_stops() as held:
        try:
            close(reason, details)
        except Exception as err:  # e.g. the disk is still full: the parts are kept
            unassembled = _describe(err)[0]
    if not isinstance(exc, Exception | KeyboardInterrupt):  # SystemExit and the like: as they are
        return exc
    signum = getattr(exc, "signum", None) or (held[0] if held else None)
    if isinstance(exc, KeyboardInterrupt) or signum is not None:
        return RunInterrupted(root, count[0], total, signum=signum or signal.SIGINT,
                              unassembled=unassembled)
    code = 2 if isinstance(exc, DataError | UsageError) else 1
    return RunFailed(root, count[0], total, reason, exit_code=code, unassembled=unassembled)


def write_run_info(folder: Path, started: float, where: Mapping[str, Any], done: int, total: int, *,
                   stopped: str | None, error: str | None = None) -> None:
    """``run.json``: what the run is and where it runs (`where`), when it started, how long it
    took, how many tasks finished, whether it is complete and, if not, why (`stopped`; `error`:
    the traceback of an unexpected error).

    Kept out of the result files, which do not depend on timing or workers.
    """
    info = {
        "started": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "elapsed_s": round(time.time() - started, 2), **where,
        "tasks_done": done, "tasks_total": total, "complete": stopped is None and done == total,
        "stopped": stopped, "host": platform.node(), "pid": os.getpid(),
    }
    if error:
        info["error"] = error
    write_json(folder / "run.json", info)
