"""Parameter sweeps: paths, values, exact messages, the grid, the tidy table and identical results."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import short_copy

from sim.analysis.frames import TABLES
from sim.analysis.measures import norm_limits
from sim.analysis.stats import mean_ci, paired_diff_ci
from sim.cli.main import main
from sim.scenario import load_scenario
from sim.scenario.field_paths import ByName, assign, parse_path, split_values
from sim.study.session import RunFailed, RunInterrupted
from sim.study.sweep import run_sweep
from sim.study.sweep_points import SweepError, build_points, parse_param, unchanged_variants
from sim.study.tasks import Bundle, Task

ROOT = Path(__file__).resolve().parents[1]
BAARLE = ROOT / "scenarios" / "baarle-turnhout.yaml"
DELAY = "variants.benelux-2009.agreements[0].request_delay"





# ---------------------------------------------------------------------------------------- syntax


@pytest.mark.parametrize(("text", "loc"), [
    ("horizon", ("horizon",)),
    ("demand.scale", ("demand", "scale")),
    ("agreements[0].threshold", ("agreements", 0, "threshold")),
    ("agreements[-1].threshold", ("agreements", -1, "threshold")),
    ("stations[Hoogstraten ambulance].units.ambulance",
     ("stations", ByName("Hoogstraten ambulance"), "units", "ambulance")),
    ('stations["A. B [x"].lat', ("stations", ByName("A. B [x"), "lat")),
    ("variants.benelux-2009.agreements[0].request_delay.mean",
     ("variants", "benelux-2009", "agreements", 0, "request_delay", "mean")),
    ("variants[v.1].horizon", ("variants", ByName("v.1"), "horizon")),
    ("a[0][1]", ("a", 0, 1)),
])
def test_paths(text: str, loc: tuple[object, ...]) -> None:
    assert parse_path(text) == loc


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty path"),
    ("a..b", "empty key at 'a..'"),
    ("a.", "the path ends with '.'"),
    (".a", "empty key at '.'"),
    ("a[0", "unclosed '[' in '[0'"),
    ("a[]", "empty [] in 'a[]'"),
    ("a[0]b", "expected '.' or '[' after ']' at 'a[0]'"),
    ("a['x]", "unclosed quote in \"['x]\""),
    ("a]", "unexpected ']' at 'a]'"),
])
def test_bad_paths(text: str, message: str) -> None:
    with pytest.raises(ValueError) as exc:
        parse_path(text)
    assert str(exc.value) == message


def test_values_split_on_commas_outside_brackets_and_quotes() -> None:
    assert split_values("1 min, 2 min,3 min") == ["1 min", "2 min", "3 min"]
    assert split_values("[NL, BE], {kind: fixed, value: 2 min}, 'a,b'") == [
        "[NL, BE]", "{kind: fixed, value: 2 min}", "'a,b'"]
    p = parse_param("demand.scale=0.5, 1,2.0,true,[NL, BE],2 min")
    assert p.path == "demand.scale"
    assert p.values == (0.5, 1, 2.0, True, ["NL", "BE"], "2 min")
    assert p.labels == ("0.5", "1", "2.0", "true", "[NL, BE]", "2 min")
    assert p.arg(5) == "--param demand.scale=2 min"


@pytest.mark.parametrize(("text", "message"), [
    ("horizon", "--param horizon: write PATH=V1,V2,..., e.g. agreements[0].threshold=1 min,3 min"),
    ("horizon=", "--param horizon=: no values after '='"),
    ("horizon=7 d,,8 d", "--param horizon=7 d,,8 d: empty value (values are separated by commas)"),
    ("horizon=7 d,7 d", "--param horizon=7 d,7 d: value '7 d' is given twice"),
    ("a[0=1", "--param a[0=1: bad path: unclosed '[' in '[0'"),
    ("agreements=[1", "--param agreements=[1: value '[1' is not valid YAML (while parsing a flow sequence)"),
])
def test_bad_param_syntax(text: str, message: str) -> None:
    with pytest.raises(SweepError) as exc:
        parse_param(text)
    assert exc.value.problems == [message]


def test_assign_creates_keys_edits_named_items_and_refuses_missing_items() -> None:
    data = {"stations": [{"name": "A", "units": {"ambulance": 1}}], "agreements": [],
            "variants": {"v": {"stations": {"A": {"also_serves": []}}}}}
    assign(data, parse_path("stations[A].units.ambulance"), 3)
    assign(data, parse_path("policy.call_processing"), "90 s")
    assign(data, parse_path("variants.v.stations[B].units"), {"pumper": 1})
    assert data["stations"][0]["units"] == {"ambulance": 3}
    assert data["policy"] == {"call_processing": "90 s"}
    assert data["variants"]["v"]["stations"] == {"A": {"also_serves": []}, "B": {"units": {"pumper": 1}}}
    with pytest.raises(Exception, match=r"no item \[0\]: agreements has 0 items"):
        assign(data, parse_path("agreements[0].threshold"), "1 min")
    with pytest.raises(Exception, match="stations has no item named 'a' "):
        assign(data, parse_path("stations[a].lat"), 1.0)


# ---------------------------------------------------------------------------------------- messages


@pytest.mark.parametrize(("param", "message"), [
    ("variants.benelux.agreements[0].threshold=1 min",
     "baarle-turnhout.yaml:223 variants.benelux.agreements[0].threshold: unknown variant 'benelux' "
     "(did you mean 'benelux-2009'?) (--param variants.benelux.agreements[0].threshold)"),
    ("agreements[0].threshold=1 min,2 min",
     "baarle-turnhout.yaml:221 agreements[0].threshold: no item [0]: agreements has 0 items; variants "
     "benelux-2009, benelux-2009-faster-by, fastest-unit set agreements: address one as "
     "variants.benelux-2009.agreements[0].threshold (--param agreements[0].threshold)"),
    ("variants.benelux-2009.agreements[0].threshold=2 min,-1 min",
     "baarle-turnhout.yaml:239 agreements[0].threshold (variant 'benelux-2009'): must be between 0 s "
     "and 7 d (--param variants.benelux-2009.agreements[0].threshold=-1 min)"),
    ("horizon=7 d,7",
     "baarle-turnhout.yaml:31 horizon: 7 needs a unit, e.g. '90 s', '15 min', '2 h' or '28 d' "
     "(--param horizon=7)"),
    ("policy.hospitl=nearest",
     "baarle-turnhout.yaml:68 policy.hospitl: unknown key 'hospitl' (did you mean 'hospital'?) "
     "(--param policy.hospitl=nearest)"),
    ("seed=1,2",
     "baarle-turnhout.yaml:34 seed: cannot be swept: every point uses the same seed (common random "
     "numbers); use --seed (--param seed)"),
    ("variants.national.horizon=2 d",
     "baarle-turnhout.yaml:224 variants.national.horizon: a variant cannot change horizon (every variant "
     "shares it); sweep the base field horizon (--param variants.national.horizon)"),
    ("stations[Hoogstraten ambulanse].units.ambulance=1,2",
     "baarle-turnhout.yaml:72 stations[Hoogstraten ambulanse].units.ambulance: stations has no item named "
     "'Hoogstraten ambulanse' (did you mean 'Hoogstraten ambulance'?) "
     "(--param stations[Hoogstraten ambulanse].units.ambulance)"),
    ("stations[Hoogstraten ambulance].lat=51.4,50.0",
     "baarle-turnhout.yaml:89 stations[2]: 'Hoogstraten ambulance' is 143.3 km from the nearest road of the "
     "network (more than 1 km): move it or declare off_network with an entry point on a border road "
     "(--param stations[Hoogstraten ambulance].lat=50.0)"),
    ("stations[0].units[0]=1",
     "baarle-turnhout.yaml:80 stations[0].units[0]: stations[0].units is a mapping, not a list (address its "
     "items by name: stations[0].units[NAME]) (--param stations[0].units[0])"),
    (f"{DELAY}.kind=gamma,weibull",
     "baarle-turnhout.yaml:240 agreements[0].request_delay (variant 'benelux-2009'): a weibull distribution "
     f"takes shape and scale; missing shape, scale; mean, sd does not apply (--param {DELAY}.kind=weibull)"),
    ("variants.fastest-unit.agreements[0].request_delay.mean=1 min",
     "baarle-turnhout.yaml:273 variants.fastest-unit.agreements[0].request_delay.mean: "
     "variants.fastest-unit.agreements[0].request_delay is '0 s', not a mapping: it has no key 'mean' "
     "(--param variants.fastest-unit.agreements[0].request_delay.mean)"),
])
def test_bad_param_gets_its_exact_message_and_exit_2(param: str, message: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    assert main(["sweep", str(BAARLE), "--param", param, "--reps", "1", "--out", str(out),
                 "--no-progress"]) == 2
    captured = capsys.readouterr()
    assert captured.err.strip().splitlines() == [message]
    assert captured.out == ""
    assert not out.exists()


def test_every_bad_param_is_reported_at_once(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", str(BAARLE), "--param", "horizon", "--param", "seed=1,2", "--param", "x[=1",
                 "--no-progress"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "--param horizon: write PATH=V1,V2,..., e.g. agreements[0].threshold=1 min,3 min",
        "--param x[=1: bad path: unclosed '[' in '['",
    ]
    assert main(["sweep", str(BAARLE), "--param", "seed=1,2", "--param", "horizon=2 d,3",
                 "--param", "variants.national.agreements[0].threshold=1 min", "--no-progress"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "baarle-turnhout.yaml:34 seed: cannot be swept: every point uses the same seed (common random "
        "numbers); use --seed (--param seed)",
        "baarle-turnhout.yaml:226 variants.national.agreements[0].threshold: no item [0]: "
        "variants.national.agreements has 0 items (--param variants.national.agreements[0].threshold)",
    ]


@pytest.mark.parametrize(("args", "message"), [
    (["--reps", "0"], "xborder: error: --reps must be at least 1"),
    (["--workers", "0"], "xborder: error: --workers must be at least 1"),
    (["--dask", "tcp://127.0.0.1:9", "--workers", "2"],
     "xborder: error: --workers sets the size of --dask local; a cluster at an address has its own workers"),
    (["--variants", "national,nope"],
     "xborder: error: baarle-turnhout.yaml: unknown variant(s) nope (the file has: national, benelux-2009, "
     "benelux-2009-faster-by, fastest-unit)"),
])
def test_bad_options_exit_2(args: list[str], message: str, tmp_path: Path,
                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "never"
    assert main(["sweep", str(BAARLE), "--param", "demand.scale=1,2", "--out", str(out), "--no-progress",
                 *args]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [message]
    assert not out.exists()


def test_missing_param_and_bad_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sweep", str(BAARLE)])
    assert exc.value.code == 2
    assert "the following arguments are required: --param" in capsys.readouterr().err
    bad = tmp_path / "bad.yaml"
    text = BAARLE.read_text(encoding="utf-8").replace("horizon: 28 d", "horizon: 28")
    bad.write_text(text, encoding="utf-8")
    assert main(["sweep", str(bad), "--param", "demand.scale=1,2"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "bad.yaml:31 horizon: 28 needs a unit, e.g. '90 s', '15 min', '2 h' or '28 d'"]


def test_results_are_never_overwritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["sweep", str(short_copy(tmp_path)), "--param", "demand.scale=1,2", "--reps", "1",
                 "--out", str(out), "--no-progress"]) == 2
    assert "exists and is not empty; results are never overwritten" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]


# ---------------------------------------------------------------------------------------- the grid


def test_grid_points_are_validated_scenarios_first_parameter_slowest(tmp_path: Path) -> None:
    sc = load_scenario(short_copy(tmp_path))
    params = [parse_param(f"{DELAY}.mean=1 min,4 min"), parse_param("demand.scale=1,1.5,2")]
    points = build_points(sc, params)
    assert [p.name for p in points] == ["p01", "p02", "p03", "p04", "p05", "p06"]
    assert [tuple(p.labels.values()) for p in points] == [
        ("1 min", "1"), ("1 min", "1.5"), ("1 min", "2"), ("4 min", "1"), ("4 min", "1.5"), ("4 min", "2")]
    region = sc.load_region()
    for p in points:
        spec = p.scenario.model_spec("benelux-2009", region)
        assert spec.agreements[0].request_delay.mean == 60.0 * float(p.labels[f"{DELAY}.mean"].split()[0])
        assert spec.demand.scale == float(p.labels["demand.scale"])
        assert p.scenario.base.horizon == 2 * 86400.0
    # the delay touches benelux-2009 only, the scale every variant
    assert unchanged_variants(points[:3:2], sc.variant_names) == []
    assert unchanged_variants([points[0], points[3]], sc.variant_names) == [
        "national", "benelux-2009-faster-by", "fastest-unit"]


# ---------------------------------------------------------------------------------------- running


def _recompute(point_dir: Path, norms: dict[str, object]) -> pd.DataFrame:
    """Per-replication KPIs straight from a point's parquet files (independent of sim.study.sweep)."""
    inc = pd.read_parquet(point_dir / "incidents.parquet")
    mis = pd.read_parquet(point_dir / "missions.parquet")
    inc = inc[~inc["in_warmup"] & ~inc["beyond_extract"]]  # the measured calls
    rows = []
    for (v, r), g in inc.groupby(["variant", "replication"], sort=False):
        rt = g["response_time_s"].dropna()
        lim = norm_limits(g, norms)  # type: ignore[arg-type]
        urgent = np.isfinite(lim)  # calls whose class has a norm
        within = (g["response_time_s"].to_numpy()[urgent] <= lim[urgent]).mean()
        m = mis[(mis["variant"] == v) & (mis["replication"] == r) & mis["incident_id"].isin(g["incident_id"])]
        rows.append({"variant": v, "replication": r, "mean_s": rt.mean(), "p90_s": rt.quantile(0.9),
                     "within_norm": within, "cross_border_missions": float(m["cross_border"].sum())})
    return pd.DataFrame(rows)


@pytest.mark.slow
def test_sweep_tables_are_identical_with_1_and_2_workers_and_dask(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = short_copy(tmp_path)
    args = ["sweep", str(path), "--param", f"{DELAY}=0 s,20 min", "--reps", "2", "--seed", "4",
            "--no-progress"]
    outs = {k: tmp_path / k for k in ("one", "two")}
    assert main([*args, "--workers", "1", "--out", str(outs["one"])]) == 0
    printed = capsys.readouterr().out
    assert ("Sweep of baarle-turnhout: 2 point(s) × 4 variant(s) × 2 replication(s) = 16 runs, "
            "seed 4") in printed
    assert ("note: the sweep does not change variant(s) national, benelux-2009-faster-by, fastest-unit"
            in printed)
    sc = load_scenario(path)
    param = parse_param(f"{DELAY}=0 s,20 min")
    run_sweep(sc, [param], reps=2, seed=4, out=outs["two"], workers=2, progress=False)
    dask = tmp_path / "dask"
    # a threaded LocalCluster keeps this quick; `xborder run --dask local` (worker processes) is in
    # test_distributed
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with cluster, Client(cluster) as client:
        run_sweep(sc, [param], reps=2, seed=4, out=dask, dask=client, progress=False)
        assert client.status == "running"  # a client given is left open

    one = outs["one"]
    table = pd.read_parquet(one / "sweep.parquet")
    for other in (outs["two"], dask):
        for name in ("sweep.parquet", "sweep-areas.parquet", "sweep-replications.parquet"):
            pd.testing.assert_frame_equal(pd.read_parquet(other / name), pd.read_parquet(one / name))
        assert (other / "sweep.csv").read_text() == (one / "sweep.csv").read_text()
        for p in ("p01", "p02"):
            for t in TABLES:
                pd.testing.assert_frame_equal(pd.read_parquet(other / "points" / p / f"{t}.parquet"),
                                              pd.read_parquet(one / "points" / p / f"{t}.parquet"))
            assert (other / "points" / p / "summary.json").read_text() == \
                (one / "points" / p / "summary.json").read_text()

    # the folder: tables, one results folder per point, figures
    meta = json.loads((one / "sweep.json").read_text())
    assert meta["complete"] and meta["parameters"] == [{"path": DELAY, "values": ["0 s", "20 min"]}]
    assert [p["folder"] for p in meta["points"]] == ["points/p01", "points/p02"]
    assert sorted(f.name for f in (one / "figures").iterdir()) == [
        "sweep-baarle-hertog-enclaves.png", "sweep-baarle-hertog-enclaves.svg", "sweep.png", "sweep.svg"]
    assert "request_delay: 20 min" in (one / "points" / "p02" / "scenario.yaml").read_text()
    assert json.loads((one / "points" / "p02" / "summary.json").read_text())["complete"]

    # one row per point × variant; the same seed everywhere: unchanged variants give equal rows
    assert list(table["point"]) == [1] * 4 + [2] * 4
    assert list(table["variant"]) == ["national", "benelux-2009", "benelux-2009-faster-by",
                                      "fastest-unit"] * 2
    assert list(table[DELAY]) == ["0 s"] * 4 + ["20 min"] * 4
    kpis = [c for c in table.columns if c.startswith(("mean_s", "p90_s", "within_norm", "cross_border"))]
    for v in ("national", "benelux-2009-faster-by", "fastest-unit"):
        a = table[(table["point"] == 1) & (table["variant"] == v)][kpis].reset_index(drop=True)
        b = table[(table["point"] == 2) & (table["variant"] == v)][kpis].reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b)
    assert table.loc[table["variant"] == "national", "mean_s_diff"].isna().all()

    # the table recomputed from the per-point parquet files
    norms = sc.norms()
    for p, point in (("p01", 1), ("p02", 2)):
        per_rep = _recompute(one / "points" / p, norms)  # type: ignore[arg-type]
        ref = per_rep[per_rep["variant"] == "national"].set_index("replication")
        for v, d in per_rep.groupby("variant"):
            row = table[(table["point"] == point) & (table["variant"] == v)].iloc[0]
            d = d.set_index("replication")
            for k in ("mean_s", "p90_s", "within_norm", "cross_border_missions"):
                iv = mean_ci(d[k])
                assert row[k] == pytest.approx(iv.estimate)
                assert row[f"{k}_low"] == pytest.approx(iv.low)
                assert row[f"{k}_high"] == pytest.approx(iv.high)
                if v != "national":
                    diff = paired_diff_ci(ref[k].to_numpy(), d[k].to_numpy())
                    assert row[f"{k}_diff"] == pytest.approx(diff.estimate)
                    assert row[f"{k}_diff_high"] == pytest.approx(diff.high)


def test_interrupted_sweep_keeps_finished_points_and_replications(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    real = Bundle.run
    calls = []

    def run(self: Bundle, task: Task, seed: int) -> dict[str, pd.DataFrame]:
        calls.append(task)
        if len(calls) == 6:  # Ctrl-C while the 6th task runs
            raise KeyboardInterrupt
        return real(self, task, seed)

    monkeypatch.setattr(Bundle, "run", run)
    sc = load_scenario(short_copy(tmp_path))
    out = tmp_path / "cut"
    with pytest.raises(RunInterrupted, match="kept 5 of 8 finished replications"):
        run_sweep(sc, [parse_param("demand.scale=1,2")], reps=1, seed=1, out=out, workers=1, progress=False)
    assert calls[:6] == [("p01", "national", 0), ("p01", "benelux-2009", 0),
                         ("p01", "benelux-2009-faster-by", 0), ("p01", "fastest-unit", 0),
                         ("p02", "national", 0), ("p02", "benelux-2009", 0)]
    assert not json.loads((out / "sweep.json").read_text())["complete"]
    table = pd.read_parquet(out / "sweep.parquet")
    assert list(zip(table["point"], table["variant"], table["replications"], strict=True)) == [
        (1, "national", 1), (1, "benelux-2009", 1), (1, "benelux-2009-faster-by", 1), (1, "fastest-unit", 1),
        (2, "national", 1)]
    p1 = json.loads((out / "points" / "p01" / "summary.json").read_text())
    p2 = json.loads((out / "points" / "p02" / "summary.json").read_text())
    assert p1["complete"] and not p2["complete"]
    assert p2["replications_done"] == {"national": [0], "benelux-2009": [], "benelux-2009-faster-by": [],
                                       "fastest-unit": []}
    assert not list(out.rglob("parts"))
    assert len(pd.read_parquet(out / "points" / "p02" / "incidents.parquet")["variant"].unique()) == 1


def test_ctrl_c_during_a_sweep_on_the_command_line_draws_what_finished(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    real = Bundle.run
    calls = []

    def run(self: Bundle, task: Task, seed: int) -> dict[str, pd.DataFrame]:
        calls.append(task)
        if len(calls) == 6:  # Ctrl-C while the 6th task runs
            raise KeyboardInterrupt
        return real(self, task, seed)

    monkeypatch.setattr(Bundle, "run", run)
    out = tmp_path / "cut"
    assert main(["sweep", str(short_copy(tmp_path)), "--param", "demand.scale=1,2", "--reps", "1",
                 "--seed", "1", "--out", str(out), "--no-progress"]) == 130
    captured = capsys.readouterr()
    assert captured.err.strip() == f"xborder: interrupted: kept 5 of 8 finished replications in {out}"
    assert "Sweep results" not in captured.out
    assert not json.loads((out / "sweep.json").read_text())["complete"]
    assert len(pd.read_parquet(out / "sweep.parquet")) == 5
    # the figures of what finished, as for a whole sweep
    assert sorted(f.name for f in (out / "figures").iterdir()) == [
        "sweep-baarle-hertog-enclaves.png", "sweep-baarle-hertog-enclaves.svg", "sweep.png", "sweep.svg"]


def test_a_worker_killed_during_a_sweep_keeps_what_finished(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal
    import time

    real = Bundle.run
    out = tmp_path / "killed"

    def run(self: Bundle, task: Task, seed: int) -> dict[str, pd.DataFrame]:
        if task == ("p02", "fastest-unit", 0):  # the last task, once point 1 is assembled
            deadline = time.monotonic() + 60
            while not (out / "points" / "p01" / "summary.json").is_file() and time.monotonic() < deadline:
                time.sleep(0.02)
            os.kill(os.getpid(), signal.SIGKILL)
        return real(self, task, seed)

    monkeypatch.setattr(Bundle, "run", run)
    sc = load_scenario(short_copy(tmp_path))
    with pytest.raises(RunFailed, match=r"a worker process died abruptly.*finished replications in"):
        run_sweep(sc, [parse_param("demand.scale=1,2")], reps=1, seed=1, out=out, workers=2, progress=False)
    assert not json.loads((out / "sweep.json").read_text())["complete"]
    p1 = json.loads((out / "points" / "p01" / "summary.json").read_text())
    p2 = json.loads((out / "points" / "p02" / "summary.json").read_text())
    assert p1["complete"] and not p2["complete"]
    assert p2["replications_done"]["fastest-unit"] == []
    assert not list(out.rglob("parts"))
