"""Stops: SIGTERM and SIGHUP to a 2-worker run keep what finished and leave no process behind, a
killed parent leaves no orphan worker, failures after the folder is made (a full disk, an engine
error) keep it assembled with the reason, and ``--resume`` gives the files of an uninterrupted run."""

from __future__ import annotations

import dataclasses
import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from test_runner import SMALL

import sim.study.session as session
import sim.study.tasks as tasks
from sim.cli.main import main
from sim.errors import UsageError
from sim.scenario import load_scenario
from sim.study.runner import resume_run, run_scenario
from sim.study.session import PartsFolder, RunFailed, safe_folder_name
from sim.study.stops import Stopped, held_stops, stop_signals

REPO = Path(__file__).resolve().parents[1]
TABLES = ("incidents", "missions", "units")
SAME = (*(f"{t}.parquet" for t in TABLES), "summary.json", "scenario.yaml", "versions.json")
"""The files a resumed run must write byte for byte as an uninterrupted one (``run.json`` aside)."""
REPS = 4
HOLD_FROM = 2
"""In the subprocess runs, tasks of this replication and later wait until the run is stopped."""


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    f = tmp_path_factory.mktemp("scenario") / "small.yaml"
    f.write_text(SMALL, encoding="utf-8")
    return f


@pytest.fixture(scope="module")
def reference(small_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted run of REPS replications."""
    return run_scenario(small_file, out=tmp_path_factory.mktemp("runs") / "whole", reps=REPS, workers=1,
                        progress=False)


def assert_same_files(folder: Path, reference: Path) -> None:
    for t in TABLES:
        pd.testing.assert_frame_equal(pd.read_parquet(folder / f"{t}.parquet"),
                                      pd.read_parquet(reference / f"{t}.parquet"), check_exact=True)
    for name in SAME:
        assert (folder / name).read_bytes() == (reference / name).read_bytes(), name
    assert not (folder / "parts").exists()


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def _run_info(folder: Path) -> dict:
    return json.loads((folder / "run.json").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------------------- signals

# The run in a subprocess: tasks of replication HOLD_FROM and later wait (each worker on its first
# one) until the run is stopped, so what finished is known: replications 0 and 1 of both variants.
_ENTRY = f"""
import os, sys, time
from pathlib import Path
import sim.study.tasks as tasks

real = tasks.simulate_frames
held = Path(sys.argv.pop(1))


def simulate_frames(*args, replication, **kw):
    if replication >= {HOLD_FROM}:
        (held / str(os.getpid())).write_text("waiting", encoding="utf-8")
        while True:
            time.sleep(0.5)
    return real(*args, replication=replication, **kw)


tasks.simulate_frames = simulate_frames
from sim.cli.main import main
sys.exit(main())
"""


def _start_held_run(scenario: Path, out: Path, held: Path) -> subprocess.Popen[str]:
    """``xborder run --workers 2`` in a session of its own; returns once both workers wait."""
    held.mkdir()
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.Popen([sys.executable, "-c", _ENTRY, str(held), "run", str(scenario), "--reps",
                             str(REPS), "--workers", "2", "--out", str(out), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 180
    while (len(list(held.iterdir())) < 2
           or len(list((out / "parts").glob("*-units.parquet"))) < 2 * HOLD_FROM):
        if proc.poll() is not None:
            pytest.fail(f"the run ended early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail("the run never reached its waiting tasks")
        time.sleep(0.05)
    return proc


def _session_processes(sid: int) -> list[psutil.Process]:
    """The live processes of session `sid` (zombies, which hold no memory, left out)."""
    out = []
    for p in psutil.process_iter():
        try:
            if os.getsid(p.pid) == sid and p.status() != psutil.STATUS_ZOMBIE:
                out.append(p)
        except (OSError, psutil.Error):
            continue
    return out


def _left_behind(sid: int) -> list[int]:
    """The pids of session `sid` still alive after up to 30 s (dying takes the kernel a moment);
    those are killed, so that a failing test leaves no process behind either."""
    deadline = time.monotonic() + 30
    while (alive := _session_processes(sid)) and time.monotonic() < deadline:
        time.sleep(0.1)
    for p in alive:
        p.kill()
    return [p.pid for p in alive]


@pytest.mark.parametrize(("sig", "to_group"), [(signal.SIGTERM, False), (signal.SIGTERM, True),
                                                (signal.SIGHUP, True)],
                         ids=["sigterm", "sigterm-to-group", "sighup-to-group"])
def test_a_stop_signal_keeps_what_finished_leaves_no_process_and_resumes(
        small_file: Path, reference: Path, tmp_path: Path, sig: signal.Signals, to_group: bool) -> None:
    # `kill PID` signals the parent; `timeout` and a closed terminal signal its whole process group
    out = tmp_path / "stopped"
    proc = _start_held_run(small_file, out, tmp_path / "held")
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert len(workers) >= 2
    if to_group:
        os.killpg(proc.pid, sig)
    else:
        proc.send_signal(sig)
    try:
        _, stderr = proc.communicate(timeout=120)  # a hang fails here
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, stderr
    assert stderr.strip() == (f"xborder: stopped by {sig.name}: kept 4 of 8 finished replications in "
                              f"{out}; xborder run --resume {out} finishes it"), stderr
    assert _left_behind(proc.pid) == []
    summary = _summary(out)
    assert (summary["complete"], summary["stopped"]) == (False, f"stopped by {sig.name}")
    assert summary["replications_done"] == {"national": [0, 1], "benelux": [0, 1]}
    assert not (out / "parts").exists()
    info = _run_info(out)
    assert (info["complete"], info["stopped"], info["tasks_done"], info["tasks_total"]) == (
        False, f"stopped by {sig.name}", 4, 8)
    # the kept replications are those of the uninterrupted run
    whole = pd.read_parquet(reference / "incidents.parquet")
    pd.testing.assert_frame_equal(pd.read_parquet(out / "incidents.parquet"),
                                  whole[whole["replication"] < 2].reset_index(drop=True), check_exact=True)
    assert main(["run", "--resume", str(out), "--workers", "2", "--no-progress"]) == 0
    assert_same_files(out, reference)
    info = _run_info(out)
    assert (info["complete"], info["stopped"], info["tasks_done"], info["resumed"]) == (True, None, 8, 1)


def test_a_killed_parent_leaves_no_worker_and_its_parts_resume(small_file: Path, reference: Path,
                                                               tmp_path: Path) -> None:
    # SIGKILL (the out-of-memory killer, kill -9) gives no chance to clean up: the workers, which
    # wait in their tasks, must end with their parent, and the parts left behind resume
    out = tmp_path / "killed"
    proc = _start_held_run(small_file, out, tmp_path / "held")
    proc.kill()
    proc.communicate(timeout=60)
    assert _left_behind(proc.pid) == []
    assert (out / "parts").is_dir() and not (out / "summary.json").exists()
    assert _run_info(out)["stopped"] == session.NOT_RECORDED
    assert resume_run(out, workers=1, progress=False) == (out, 4)
    assert_same_files(out, reference)


def test_stop_signals_raise_stopped_and_respect_ignored_signals() -> None:
    before = signal.getsignal(signal.SIGHUP), signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with stop_signals():
            assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
            with pytest.raises(Stopped) as info:
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(5)  # the handler runs before this ends
            assert (info.value.signum, str(info.value)) == (signal.SIGTERM, "stopped by SIGTERM")
            with held_stops() as held:
                os.kill(os.getpid(), signal.SIGTERM)
                for _ in range(100):  # the handler only notes it
                    if held:
                        break
                    time.sleep(0.01)
            assert held == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) == before[1]
    finally:
        signal.signal(signal.SIGHUP, before[0])


# ---------------------------------------------------------------------------------------- failures


def _no_space_for(match: str, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Writing a parquet file whose path matches `match` fails as on a full disk; returns the paths."""
    real = session.write_parquet
    refused: list[Path] = []

    def write_parquet(path: Path, df: pd.DataFrame) -> None:
        if match in str(path):
            refused.append(path)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, df)

    monkeypatch.setattr(session, "write_parquet", write_parquet)
    return refused


def test_a_full_disk_mid_run_keeps_the_folder_assembled_and_resumes(
        small_file: Path, reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "full"
    refused = _no_space_for("parts/001-00001-incidents", monkeypatch)  # benelux, replication 1
    assert main(["run", str(small_file), "--reps", str(REPS), "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err
    reason = f"{refused[0]}: No space left on device"
    assert err.strip() == (f"xborder: error: {reason}; kept 3 of 8 finished replications in {out}; "
                           f"xborder run --resume {out} finishes it")
    summary = _summary(out)
    assert (summary["complete"], summary["stopped"]) == (False, reason)
    assert summary["replications_done"] == {"national": [0, 1], "benelux": [0]}
    assert _run_info(out)["stopped"] == reason and not (out / "parts").exists()
    monkeypatch.undo()
    assert main(["run", "--resume", str(out), "--no-progress"]) == 0
    assert_same_files(out, reference)


def test_a_full_disk_when_only_the_assembly_is_left_keeps_the_parts_and_resumes(
        small_file: Path, reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "full"
    _no_space_for(f"{out}/incidents.parquet", monkeypatch)  # every replication is in, the tables not
    assert main(["run", str(small_file), "--reps", str(REPS), "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"xborder: error: {out}/incidents.parquet: No space left on device; kept 8 of 8 "
                          f"finished replications in {out} (not assembled: ")
    assert err.endswith(f"; xborder run --resume {out} finishes it") and "Traceback" not in err
    assert len(list((out / "parts").glob("*.parquet"))) == 8 * 3 and not (out / "summary.json").exists()
    assert _run_info(out)["complete"] is False
    assert main(["compare", str(out)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"xborder: error: {out}: not assembled (the run stopped before it could assemble its results); "
        f"xborder run --resume {out} finishes it")
    monkeypatch.undo()
    assert resume_run(out, progress=False) == (out, 0)  # nothing to run: only the assembly
    assert_same_files(out, reference)
    assert resume_run(out, progress=False) == (out, 0)  # a complete folder is left as it is
    assert_same_files(out, reference)


def test_a_full_disk_on_a_real_small_filesystem(small_file: Path, reference: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    mount = tmp_path / "tmpfs"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if made.returncode != 0:
        pytest.skip("this machine does not let the tests mount a small tmpfs")
    try:
        out = mount / "run"
        assert main(["run", str(small_file), "--reps", str(REPS), "--out", str(out), "--no-progress"]) == 1
        err = capsys.readouterr().err.strip()
        assert "No space left on device" in err and "Traceback" not in err and len(err.splitlines()) == 1
        assert err.endswith(f"xborder run --resume {out} finishes it")
        assert (out / "run.json").is_file()
        if (out / "summary.json").is_file():  # assembled from what fitted
            assert _summary(out)["complete"] is False and "No space left" in _summary(out)["stopped"]
        else:  # not even the assembly fitted: the parts wait for --resume
            assert (out / "parts").is_dir()
        subprocess.run(["mount", "-o", "remount,size=20m", str(mount)], check=True)
        assert main(["run", "--resume", str(out), "--no-progress"]) == 0
        assert_same_files(out, reference)
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_an_engine_error_keeps_what_finished_and_its_traceback(
        small_file: Path, reference: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    real = tasks.simulate_frames

    def broken(*args, variant, replication, **kw):  # type: ignore[no-untyped-def]
        if (variant, replication) == ("benelux", 1):
            raise ValueError("an impossible\nstate in the engine")
        return real(*args, variant=variant, replication=replication, **kw)

    monkeypatch.setattr(tasks, "simulate_frames", broken)
    out = tmp_path / "broken"
    assert main(["run", str(small_file), "--reps", str(REPS), "--out", str(out), "--no-progress"]) == 1
    err = capsys.readouterr().err
    reason = "ValueError: an impossible state in the engine"
    assert err == (f"xborder: error: {reason}; kept 3 of 8 finished replications in {out}; "
                   f"xborder run --resume {out} finishes it\n")
    assert _summary(out)["stopped"] == reason
    info = _run_info(out)
    assert info["stopped"] == reason and "Traceback" in info["error"] and "in broken" in info["error"]
    monkeypatch.undo()
    assert main(["run", "--resume", str(out), "--no-progress"]) == 0
    assert_same_files(out, reference)
    assert "error" not in _run_info(out)


def test_a_stopped_sweep_exits_as_its_signal(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from _helpers import short_copy

    real = tasks.Bundle.run
    calls: list[tasks.Task] = []

    def run(self: tasks.Bundle, task: tasks.Task, seed: int) -> dict[str, pd.DataFrame]:
        calls.append(task)
        if len(calls) == 2:
            raise Stopped(signal.SIGTERM)
        return real(self, task, seed)

    monkeypatch.setattr(tasks.Bundle, "run", run)
    out = tmp_path / "sweep"
    assert main(["sweep", str(short_copy(tmp_path)), "--param", "demand.scale=1,2", "--reps", "1",
                 "--variants", "national", "--out", str(out), "--no-progress"]) == 143
    assert capsys.readouterr().err.strip() == (
        f"xborder: stopped by SIGTERM: kept 1 of 2 finished replications in {out}")
    meta = json.loads((out / "sweep.json").read_text(encoding="utf-8"))
    assert (meta["complete"], meta["stopped"]) == (False, "stopped by SIGTERM")
    assert _summary(out / "points" / "p01")["complete"] is True
    assert _summary(out / "points" / "p02")["stopped"] == "stopped by SIGTERM"
    with pytest.raises(UsageError, match="a sweep's folder cannot be resumed"):
        resume_run(out)


# ---------------------------------------------------------------------------------------- requests


def test_bad_requests_end_in_one_line_before_any_folder(small_file: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "neg"
    assert main(["run", str(small_file), "--seed", "-1", "--out", str(out), "--no-progress"]) == 2
    assert capsys.readouterr().err.strip() == "xborder: error: --seed must be at least 0 (got -1)"
    assert not out.exists()
    (tmp_path / "file.txt").write_text("not a folder", encoding="utf-8")
    bad = tmp_path / "file.txt" / "run"
    assert main(["run", str(small_file), "--out", str(bad), "--no-progress"]) == 2
    assert capsys.readouterr().err.strip() == (f"xborder: error: {bad}: cannot write the results folder "
                                               "there (Not a directory)")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "results").write_text("a file where results/ should be", encoding="utf-8")
    assert main(["run", str(small_file), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("xborder: error: results/small: cannot write the results folder there (")
    assert main(["run", "--resume", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"xborder: error: {tmp_path / 'nowhere'}: no such results folder")
    assert main(["run", str(small_file), "--resume", str(tmp_path)]) == 2
    assert "give no scenario file with it" in capsys.readouterr().err
    assert main(["run", "--resume", str(tmp_path), "--seed", "3"]) == 2
    assert "give no --seed with it" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------- names


@pytest.mark.parametrize(("name", "safe"), [
    ("baarle-turnhout", "baarle-turnhout"),
    ("../../x", "x"),
    ("/etc/passwd", "etc-passwd"),
    ("..", "scenario"),
    (".hidden", "hidden"),
    ("-rf", "rf"),
    ("", "scenario"),
    ("Liège – Maastricht 2024", "Liege-Maastricht-2024"),
    ("a/../b", "a-..-b"),
    ("x" * 300, "x" * 80),
])
def test_scenario_names_become_safe_folder_names(name: str, safe: str) -> None:
    assert safe_folder_name(name) == safe


def test_a_scenario_name_never_writes_outside_results(small_file: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    names = ("../../escape", str(tmp_path / "absolute"))
    for name in names:
        sc = dataclasses.replace(load_scenario(small_file), name=name)
        folder = run_scenario(sc, reps=1, variants=["national"], workers=1, progress=False)
        assert folder.resolve().parent.parent == (work / "results").resolve()
        assert _summary(folder)["scenario"] == name  # the summary keeps the name as written
    assert sorted(p.name for p in (work / "results").iterdir()) == sorted(safe_folder_name(n) for n in names)
    assert [p.name for p in tmp_path.iterdir()] == ["a"]


def test_a_very_long_variant_name_fits_in_the_parts(small_file: Path, reference: Path,
                                                    tmp_path: Path) -> None:
    # parts are named by the variant's place in the run, not its name (a file name has 255 bytes)
    long = "v" * 300
    sc = load_scenario(small_file)
    folder = PartsFolder(tmp_path / "long", sc, variants=[long], reps=1, seed=7)
    folder.path.mkdir()
    folder.open()
    frames = {}
    for t in TABLES:
        df = pd.read_parquet(reference / f"{t}.parquet")
        df = df[(df["variant"] == "national") & (df["replication"] == 0)].reset_index(drop=True)
        frames[t] = df.assign(variant=long)
    folder.add(long, 0, frames)
    summary = folder.finalize()
    assert summary["complete"] and summary["replications_done"] == {long: [0]}
    measured = frames["incidents"][~frames["incidents"]["in_warmup"]]
    assert summary["variants"][long]["overall"]["count"] == len(measured) > 0
    assert (folder.path / "incidents.parquet").is_file() and not folder.parts.exists()


def test_run_failed_and_interrupted_say_what_was_kept(tmp_path: Path) -> None:
    failed = RunFailed(tmp_path, 3, 8, "disk full", exit_code=1)
    assert str(failed) == f"disk full; kept 3 of 8 finished replications in {tmp_path}"
    stopped = session.RunInterrupted(tmp_path, 3, 8, signum=signal.SIGHUP)
    assert (str(stopped), stopped.exit_code) == (
        f"stopped by SIGHUP: kept 3 of 8 finished replications in {tmp_path}", 129)
