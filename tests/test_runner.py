"""``xborder run``: identical files for 1 and 2 workers, Ctrl-C keeps finished replications, no overwrite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import sim.study.tasks as tasks
from sim.cli.main import main
from sim.errors import UsageError
from sim.study.runner import run_scenario
from sim.study.session import RunInterrupted, new_results_dir

REPO = Path(__file__).resolve().parents[1]
TABLES = ("incidents", "missions", "units")
FILES = ("incidents.parquet", "missions.parquet", "units.parquet", "summary.json", "scenario.yaml",
         "versions.json")

# A small study on the bundled Baarle-Turnhout network: two days, Belgian and Dutch units, the
# enclaves as a focus area; `benelux` lends ambulances and pumpers both ways after a request delay.
SMALL = """\
name: small
region: baarle-turnhout
horizon: 2 d
warmup: 6 h
replications: 3
seed: 7
demand:
  max_place_distance: 1.5 km
focus:
  - name: Baarle-Hertog enclaves
    enclaves_of: BE
    source: enclaves in jurisdictions.geojson
stations:
  - name: Turnhout
    country: BE
    dispatch_centre: 112 Antwerpen
    lat: 51.3138986
    lon: 4.9437965
    source: Eurostat healthcare services 2020
    units: {ambulance: 2, smur: 1, pumper: 1, ladder: 1}
  - name: Hoogstraten
    country: BE
    dispatch_centre: 112 Antwerpen
    lat: 51.40029
    lon: 4.76034
    source: town centre, approximate
    units: {ambulance: 1, pumper: 1}
  - name: Baarle-Nassau
    country: NL
    dispatch_centre: Meldkamer (NL)
    lat: 51.4475
    lon: 4.92917
    source: town centre, approximate
    units: {ambulance: 1, pumper: 1}
  - name: Gilze
    country: NL
    dispatch_centre: Meldkamer (NL)
    lat: 51.54693404
    lon: 4.94681132
    source: RIVM ambulance posts 2019
    units: {ambulance: 1}
    off_network:
      entry: {lat: 51.45679, lon: 4.944873, source: extract node}
variants:
  national:
    agreements: []
  benelux:
    agreements:
      - name: benelux
        parties: [NL, BE]
        unit_types: [ambulance, pumper]
        rule: always_fastest
        request_delay: {kind: lognormal, mean: 2 min, sd: 1 min}
"""


@pytest.fixture(scope="module")
def small_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    f = tmp_path_factory.mktemp("scenario") / "small.yaml"
    f.write_text(SMALL, encoding="utf-8")
    return f


@pytest.fixture(scope="module")
def run_one_worker(small_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "one"
    return run_scenario(small_file, out=out, workers=1, progress=False)


def test_run_writes_the_results_folder(run_one_worker: Path) -> None:
    names = {p.name for p in run_one_worker.iterdir()}
    assert set(FILES) <= names and "parts" not in names
    summary = json.loads((run_one_worker / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] is True
    assert summary["replications_done"] == {"national": [0, 1, 2], "benelux": [0, 1, 2]}
    inc = pd.read_parquet(run_one_worker / "incidents.parquet")
    required = ["variant", "replication", "incident_id", "type", "urgency", "t_call_s", "lat", "lon",
                "country", "dispatch_centre", "response_time_s", "served", "cross_border"]
    assert set(required) <= set(inc.columns)
    # common random numbers: both variants get the very same calls
    key = ["replication", "incident_id", "type", "t_call_s", "lat", "lon"]
    nat = inc[inc["variant"] == "national"][key].reset_index(drop=True)
    ben = inc[inc["variant"] == "benelux"][key].reset_index(drop=True)
    pd.testing.assert_frame_equal(nat, ben)
    assert len(nat) > 0 and sorted(set(nat["replication"])) == [0, 1, 2]
    # the scenario as run carries the effective replications and seed
    text = (run_one_worker / "scenario.yaml").read_text(encoding="utf-8")
    assert "replications: 3" in text and "seed: 7" in text
    versions = json.loads((run_one_worker / "versions.json").read_text(encoding="utf-8"))
    assert {"python", "numpy", "simpy", "pandas"} <= set(versions)


def test_one_and_two_workers_give_identical_files(run_one_worker: Path, small_file: Path,
                                                   tmp_path: Path) -> None:
    two = run_scenario(small_file, out=tmp_path / "two", workers=2, progress=False)
    for t in TABLES:
        a = pd.read_parquet(run_one_worker / f"{t}.parquet")
        b = pd.read_parquet(two / f"{t}.parquet")
        pd.testing.assert_frame_equal(a, b, check_exact=True)
    for name in FILES:
        assert (run_one_worker / name).read_bytes() == (two / name).read_bytes(), name
    run_info = json.loads((two / "run.json").read_text(encoding="utf-8"))
    assert run_info["workers"] == 2 and run_info["tasks_done"] == run_info["tasks_total"] == 6


def test_interrupted_run_keeps_its_finished_replications(run_one_worker: Path, small_file: Path,
                                                         tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Ctrl-C while the fourth task runs: tasks go replication by replication (national, benelux)
    real = tasks.simulate_frames
    calls: list[tuple[str, int]] = []

    def interrupted_after_three(*args, variant, replication, **kw):  # type: ignore[no-untyped-def]
        calls.append((variant, replication))
        if len(calls) == 4:
            raise KeyboardInterrupt
        return real(*args, variant=variant, replication=replication, **kw)

    monkeypatch.setattr(tasks, "simulate_frames", interrupted_after_three)
    with pytest.raises(RunInterrupted) as info:
        run_scenario(small_file, out=tmp_path / "cut", workers=1, progress=False)
    folder = info.value.path
    assert (info.value.done, info.value.total) == (3, 6)
    assert folder == tmp_path / "cut"
    names = {p.name for p in folder.iterdir()}
    assert set(FILES) <= names and "parts" not in names
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] is False
    assert summary["replications_done"] == {"national": [0, 1], "benelux": [0]}
    assert set(summary["variants"]) == {"national", "benelux"}
    assert summary["variants"]["national"]["replications"] == 2
    # the kept replications are exactly those of the complete run
    for t in TABLES:
        cut = pd.read_parquet(folder / f"{t}.parquet")
        full = pd.read_parquet(run_one_worker / f"{t}.parquet")
        keep = ((full["variant"] == "national") & full["replication"].isin([0, 1])) | \
               ((full["variant"] == "benelux") & (full["replication"] == 0))
        pd.testing.assert_frame_equal(cut, full[keep].reset_index(drop=True), check_exact=True)
    run_info = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    assert (run_info["tasks_done"], run_info["tasks_total"]) == (3, 6)


def test_ctrl_c_on_the_command_line_exits_130_and_keeps_the_folder(
        small_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    real = tasks.simulate_frames
    calls: list[str] = []

    def cut(*args, variant, **kw):  # type: ignore[no-untyped-def]
        calls.append(variant)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, variant=variant, **kw)

    monkeypatch.setattr(tasks, "simulate_frames", cut)
    out = tmp_path / "cli"
    assert main(["run", str(small_file), "--out", str(out), "--no-progress"]) == 130
    err = capsys.readouterr().err
    assert err.strip() == (f"xborder: interrupted: kept 1 of 6 finished replications in {out}; "
                           f"xborder run --resume {out} finishes it")
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["replications_done"] == {
        "national": [0], "benelux": []}


def _interrupt_run(scenario: Path, out: Path, *, reps: int, signals: int) -> tuple[int, str]:
    """Run ``xborder run --workers 2`` in a subprocess; once the first replication is on disk send
    it `signals` SIGINTs 0.2 s apart (real Ctrl-Cs); ``(exit code, stderr)``."""
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    # as from a terminal: Python only turns SIGINT into KeyboardInterrupt when it did not inherit
    # SIGINT ignored, which a test runner started in the background (CI, nohup, `cmd &`) passes on
    entry = ("import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
             "from sim.cli.main import main; sys.exit(main())")
    proc = subprocess.Popen([sys.executable, "-c", entry, "run", str(scenario), "--reps", str(reps),
                             "--workers", "2", "--out", str(out), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.monotonic() + 120
        while not list((out / "parts").glob("*-units.parquet")) and proc.poll() is None:
            assert time.monotonic() < deadline, "no replication finished within 120 s"
            time.sleep(0.05)
        for k in range(signals):
            if k:
                time.sleep(0.2)
            proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=120)  # a hang fails here
    finally:
        if proc.poll() is None:
            proc.kill()
    return proc.returncode, stderr


def test_sigint_to_a_two_worker_run_keeps_what_finished(small_file: Path, tmp_path: Path) -> None:
    # the replications in progress when Ctrl-C comes are finished and kept too
    out = tmp_path / "sigint"
    rc, stderr = _interrupt_run(small_file, out, reps=300, signals=1)
    assert rc == 130, stderr
    assert "Traceback" not in stderr
    assert "xborder: interrupted: kept" in stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] is False
    done = summary["replications_done"]
    assert 1 <= sum(len(r) for r in done.values()) < 600
    inc = pd.read_parquet(out / "incidents.parquet")
    got = {(v, int(r)) for v, r in inc[["variant", "replication"]].drop_duplicates().itertuples(index=False)}
    assert got == {(v, r) for v, reps in done.items() for r in reps}
    assert not (out / "parts").exists()


def test_second_sigint_stops_at_once_without_hanging(tmp_path: Path) -> None:
    # Ctrl-C twice: the first lets the replications in progress finish, the second stops the workers
    # (one may be sending its result: the run must neither hang on that nor print a traceback)
    f = tmp_path / "longer.yaml"
    f.write_text(SMALL.replace("horizon: 2 d", "horizon: 90 d"), encoding="utf-8")
    out = tmp_path / "twice"
    rc, stderr = _interrupt_run(f, out, reps=100, signals=2)
    assert rc == 130, stderr
    assert "Traceback" not in stderr and "Exception" not in stderr, stderr
    assert "xborder: interrupted: kept" in stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] is False and sum(len(r) for r in summary["replications_done"].values()) >= 1
    assert not (out / "parts").exists()


def test_results_are_never_overwritten(run_one_worker: Path, small_file: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    before = {p.name: p.read_bytes() for p in run_one_worker.iterdir() if p.is_file()}
    with pytest.raises(UsageError, match="exists and is not empty; results are never overwritten"):
        run_scenario(small_file, out=run_one_worker, workers=1, progress=False)
    assert main(["run", str(small_file), "--out", str(run_one_worker), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (f"xborder: error: {run_one_worker}: exists and is not empty; results are never "
                           "overwritten (choose another --out)")
    assert {p.name: p.read_bytes() for p in run_one_worker.iterdir() if p.is_file()} == before
    # the default folder results/<name>/<timestamp>: a second folder in the same second gets a suffix
    monkeypatch.chdir(tmp_path)
    a = new_results_dir(Path("results"), "small")
    b = new_results_dir(Path("results"), "small")
    assert a != b and a.parent == b.parent == Path("results") / "small"
    assert b.name == f"{a.name}-2" or b.name > a.name
    (a / "keep.txt").write_text("mine", encoding="utf-8")
    c = run_scenario(small_file, workers=1, progress=False, reps=1, variants=["national"])
    assert c.parent == Path("results") / "small" and c not in (a, b)
    assert (a / "keep.txt").read_text(encoding="utf-8") == "mine"
    assert json.loads((c / "summary.json").read_text(encoding="utf-8"))["complete"] is True


def test_variants_with_the_same_stations_share_their_prepared_matrices(tmp_path: Path) -> None:
    from _helpers import short_copy

    from sim.scenario import load_scenario

    sc = load_scenario(short_copy(tmp_path))
    bundle = tasks.bundle_for(sc, ["national", "benelux-2009", "fastest-unit"])
    # national edits the joint Baarle corps (no Belgian calls), the two others keep the same stations
    assert tasks.distinct_prepared(bundle) == 2
    assert bundle.prepared[("", "benelux-2009")] is bundle.prepared[("", "fastest-unit")]
    assert bundle.prepared[("", "national")] is not bundle.prepared[("", "benelux-2009")]
    # the per-process cache hands out the very same objects
    assert tasks.bundle_for(sc, ["fastest-unit"]).prepared[("", "fastest-unit")] is \
        bundle.prepared[("", "fastest-unit")]


def test_a_worker_killed_during_a_run_keeps_what_finished_and_says_why(
        small_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # the operating system kills a worker (e.g. out of memory): the run stops with a clear error,
    # exit code 1, and the replications that finished are assembled as after Ctrl-C
    out = tmp_path / "killed"
    real = tasks.simulate_frames

    def killed_once_two_are_kept(*args, variant, replication, **kw):  # type: ignore[no-untyped-def]
        if (variant, replication) == ("benelux", 2):
            deadline = time.monotonic() + 60
            while len(list((out / "parts").glob("*-units.parquet"))) < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*args, variant=variant, replication=replication, **kw)

    monkeypatch.setattr(tasks, "simulate_frames", killed_once_two_are_kept)
    rc = main(["run", str(small_file), "--reps", "3", "--workers", "2", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 1, err
    assert "xborder: error: a worker process died abruptly" in err and "Traceback" not in err
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["complete"] is False
    done = {(v, r) for v, reps in summary["replications_done"].items() for r in reps}
    assert 2 <= len(done) < 6 and ("benelux", 2) not in done
    assert f"kept {len(done)} of 6 finished replications in {out}" in err
    kept = pd.read_parquet(out / "incidents.parquet")[["variant", "replication"]].drop_duplicates()
    assert {(v, int(r)) for v, r in kept.itertuples(index=False)} == done
    assert not (out / "parts").exists()
