"""Tasks on a process pool and on Dask: the bundle sent once, identical frames, errors, lazy import."""

from __future__ import annotations

import concurrent.futures as cf
import json
import multiprocessing as mp
import os
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _helpers import short_copy

from sim.analysis.frames import TABLES, concat_frames
from sim.cli.main import main
from sim.scenario import Scenario, load_scenario
from sim.study import distributed
from sim.study.runner import run_replications
from sim.study.tasks import Task, bundle_for, distinct_prepared, make_bundle

ROOT = Path(__file__).resolve().parents[1]
BAARLE = ROOT / "scenarios" / "baarle-turnhout.yaml"





def test_bundle_shares_prepared_matrices_and_gives_the_frames_of_the_cached_bundle(tmp_path: Path) -> None:
    sc = load_scenario(short_copy(tmp_path))
    region = sc.load_region()
    bundle = make_bundle(region, {"": sc}, sc.variant_names)
    # national edits a station (the Baarle corps serves no Belgian calls), the two others share one set
    assert distinct_prepared(bundle) == 2
    assert bundle.prepared[("", "benelux-2009")] is bundle.prepared[("", "fastest-unit")]
    assert bundle.prepared[("", "national")] is not bundle.prepared[("", "benelux-2009")]
    for v in sc.variant_names:
        got = bundle.run(("", v, 1), 77)
        want = bundle_for(sc, [v]).run(("", v, 1), 77)  # the per-process cache
        for t in TABLES:
            pd.testing.assert_frame_equal(got[t], want[t])


def test_local_pool_gives_the_frames_of_a_serial_run(tmp_path: Path) -> None:
    sc = load_scenario(short_copy(tmp_path))
    bundle = make_bundle(sc.load_region(), {"a": sc}, sc.variant_names)
    tasks = [("a", v, r) for r in range(2) for v in sc.variant_names]
    serial: dict[Task, dict[str, pd.DataFrame]] = {}
    pooled: dict[Task, dict[str, pd.DataFrame]] = {}
    distributed.execute(bundle, tasks, seed=3, on_done=serial.__setitem__, workers=1)
    distributed.execute(bundle, tasks, seed=3, on_done=pooled.__setitem__, workers=2)
    assert list(serial) == tasks and set(pooled) == set(tasks)
    for task in tasks:
        for t in TABLES:
            pd.testing.assert_frame_equal(pooled[task][t], serial[task][t])
    # the replications differ from each other (the comparison above is not between empty frames)
    a, b = serial[("a", "national", 0)]["incidents"], serial[("a", "national", 1)]["incidents"]
    assert len(a) > 20 and not a["t_call_s"].head(20).equals(b["t_call_s"].head(20))


@pytest.mark.slow
def test_run_on_a_dask_local_cluster_writes_the_files_of_a_one_worker_run(tmp_path: Path) -> None:
    path = short_copy(tmp_path)
    one, dask = tmp_path / "one", tmp_path / "dask"
    assert main(["run", str(path), "--reps", "2", "--seed", "11", "--workers", "1", "--out", str(one),
                 "--no-progress"]) == 0
    assert main(["run", str(path), "--reps", "2", "--seed", "11", "--dask", "local", "--workers", "2",
                 "--out", str(dask), "--no-progress"]) == 0
    for t in TABLES:
        a, b = pd.read_parquet(one / f"{t}.parquet"), pd.read_parquet(dask / f"{t}.parquet")
        assert len(a) > 0
        pd.testing.assert_frame_equal(a, b)
    assert (one / "summary.json").read_text() == (dask / "summary.json").read_text()
    summary = json.loads((dask / "summary.json").read_text())
    assert summary["complete"]
    assert summary["replications_done"] == {v: [0, 1] for v in summary["variant_order"]}
    assert sorted(p.name for p in dask.iterdir()) == sorted(p.name for p in one.iterdir())


def test_bundle_on_an_in_process_dask_cluster(tmp_path: Path) -> None:
    from dask.distributed import Client, LocalCluster

    sc = load_scenario(short_copy(tmp_path))
    bundle = make_bundle(sc.load_region(), {"": sc}, sc.variant_names)
    tasks = [("", v, 0) for v in sc.variant_names]
    got: dict[Task, dict[str, pd.DataFrame]] = {}
    holders: list[dict[str, list[str]]] = []
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, Client(cluster) as client:

        def done(task: Task, frames: dict[str, pd.DataFrame]) -> None:
            holders.append({w: [k for k in keys if str(k).startswith("Bundle-")]
                            for w, keys in client.has_what().items()})
            got[task] = frames

        distributed.execute(bundle, tasks, seed=5, on_done=done, dask=client)
    # while the tasks ran, the one bundle was on both workers (scattered with broadcast)
    assert len(holders[0]) == 2 and all(len(keys) == 1 for keys in holders[0].values())
    assert len({k for keys in holders[0].values() for k in keys}) == 1
    assert set(got) == set(tasks)
    want = run_replications(sc, reps=1, seed=5)
    for t in TABLES:
        pd.testing.assert_frame_equal(concat_frames([got[("", v, 0)][t] for v in sc.variant_names]), want[t])


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT", "0.5s")
    out = tmp_path / "never"
    assert main(["run", str(short_copy(tmp_path)), "--reps", "1", "--dask", "tcp://127.0.0.1:9",
                 "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith("xborder: error: --dask tcp://127.0.0.1:9: cannot reach a Dask scheduler "
                             "there (")
    assert not out.exists()


def test_dask_is_imported_only_when_used() -> None:
    code = ("import sys, sim.cli.main, sim.study.runner, sim.study.distributed, sim.study.sweep, "
            "sim.study.session, sim.study.tasks, sim.cli.sweep, sim.cli.run, sim.cli.compare; "
            "from sim.cli.main import build_parser; build_parser(); "
            "print(sorted(m for m in sys.modules if m == 'dask' or m.startswith(('dask.', 'distributed'))))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert res.stdout.strip() == "[]"


def test_scenario_round_trip_keeps_the_bundle_picklable(tmp_path: Path) -> None:
    import pickle

    sc = load_scenario(short_copy(tmp_path))
    bundle = make_bundle(sc.load_region(), {"": sc}, ["national"])
    again = pickle.loads(pickle.dumps(bundle))
    assert isinstance(again.scenarios[""], Scenario)
    for t in TABLES:
        task = ("", "national", 0)
        pd.testing.assert_frame_equal(again.run(task, 9)[t], bundle.run(task, 9)[t])


# A worker stopped halfway through sending its result


_EXECUTOR: Any = None


def _send_half_a_result(marker: str) -> None:
    # runs in a forked worker, which inherited the executor: write the header of a 1000-byte message
    # and 10 of its bytes into the result pipe, as a worker terminated mid-send would leave it
    writer = _EXECUTOR._result_queue._writer
    os.write(writer.fileno(), struct.pack("!i", 1000) + b"x" * 10)
    Path(marker).write_text("sent", encoding="utf-8")
    time.sleep(120)


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_stopping_a_pool_ends_the_wait_on_a_half_sent_result(tmp_path: Path) -> None:
    global _EXECUTOR
    ex = cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("fork"))
    _EXECUTOR = ex  # set before the first submit forks the worker
    marker = tmp_path / "sent"
    try:
        fut = ex.submit(_send_half_a_result, str(marker))
        manager = ex._executor_manager_thread  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert time.monotonic() < deadline, "the worker never wrote"
            time.sleep(0.02)
        time.sleep(0.2)  # the pool's thread now waits for the other 990 bytes
        assert manager is not None and manager.is_alive()
        distributed._stop_pool(ex, {fut: ("v", 0)})
        manager.join(timeout=20)
        assert not manager.is_alive(), "the pool's thread still waits on the result pipe"
    finally:
        _EXECUTOR = None


# A worker killed by the operating system (e.g. out of memory)


class _KillingBundle:
    """Stands in for a Bundle: task ``"kill"`` kills its own worker once the others have finished
    (each leaves a marker file); every other task returns a frame naming itself."""

    def __init__(self, markers: Path, n_others: int) -> None:
        self.markers, self.n_others = markers, n_others

    def run(self, task: Task, seed: int) -> dict[str, pd.DataFrame]:
        if task[1] == "kill":
            deadline = time.monotonic() + 60
            while len(list(self.markers.iterdir())) < self.n_others and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(1.0)  # the others' results reach the parent
            os.kill(os.getpid(), signal.SIGKILL)
        (self.markers / f"{task[1]}-{task[2]}").write_text("done", encoding="utf-8")
        return {"t": pd.DataFrame({"variant": [task[1]], "replication": [task[2]], "seed": [seed]})}


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_a_killed_worker_stops_the_pool_and_keeps_what_finished(tmp_path: Path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    others = [("", "ok", r) for r in range(3)]
    done: dict[Task, pd.DataFrame] = {}
    with pytest.raises(distributed.WorkerLost, match="died abruptly"):
        distributed._execute_pool(_KillingBundle(markers, len(others)),  # type: ignore[arg-type]
                                  [("", "kill", 0), *others], seed=7, workers=2,
                                  on_done=lambda task, frames: done.__setitem__(task, frames["t"]))
    assert set(done) == set(others)  # all three had finished before the kill: none is lost
    for (_, v, r), frame in done.items():
        assert frame.to_dict("records") == [{"variant": v, "replication": r, "seed": 7}]


class _SuicideBundle:
    """Task ``"kill"`` kills the worker process that runs it, every time; the others return."""

    def run(self, task: Task, seed: int) -> dict[str, pd.DataFrame]:
        if task[1] == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        return {"t": pd.DataFrame({"variant": [task[1]], "replication": [task[2]]})}


@pytest.mark.slow
def test_a_task_that_kills_its_dask_worker_is_reported_and_the_others_finish() -> None:
    import dask
    from dask.distributed import Client, LocalCluster

    # every task is either handed over or counted lost; Dask also suspects (and may give up on)
    # a task that merely sat on the dying worker, so which innocent ones survive may vary
    tasks = [("", "ok", 0), ("", "kill", 0), ("", "ok", 1), ("", "ok", 2), ("", "ok", 3)]
    done: list[Task] = []
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # read as the scheduler starts
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        with cluster, Client(cluster) as client, \
                pytest.raises(distributed.WorkerLost, match=r"task\(s\) lost: a worker process died") as info:
            distributed._execute_dask(client, _SuicideBundle(), tasks, seed=1,  # type: ignore[arg-type]
                                      on_done=lambda task, frames: done.append(task))
    assert ("", "kill", 0) not in done and len(done) == len(set(done)) and set(done) < set(tasks)
    assert str(info.value).startswith(f"{len(tasks) - len(done)} of {len(tasks)} task(s) lost")
    assert len(done) >= 1  # the other worker went on
