"""Uncertain inputs and sensitivity studies: the block's checks, SALib's indices, ranking and runners."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _helpers import BAARLE_SCENARIO, short_copy

from sim.analysis.sensitivity import Factor, design, gains, indices
from sim.cli.main import main
from sim.model.units import UNIT_TYPES
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.written_defaults import write_defaults
from sim.study.sensitivity import plan_sensitivity, run_sensitivity
from sim.study.session import RunInterrupted
from sim.study.tasks import Bundle, Task

FILE = BAARLE_SCENARIO.read_text(encoding="utf-8")
BASE = FILE[:FILE.index("\n# Uncertain inputs")] + "\n"  # the default study without its block
DELAY = "variants.benelux-2009.agreements[0].request_delay.mean"
LINE = BASE.count("\n") + 3  # the line of the first key of a block appended as below


def _with_block(block: str, text: str = BASE) -> str:
    return text + "\nuncertain:\n" + block


def _problems(block: str) -> list[str]:
    with pytest.raises(ScenarioError) as exc:
        Scenario.from_text(_with_block(block), filename="b.yaml")
    return [str(p) for p in exc.value.problems]


# ---------------------------------------------------------------------------------------- the block


def test_inputs_are_read_with_ranges_in_si_units_and_their_lines() -> None:
    sc = Scenario.from_text(_with_block(
        f"  {DELAY}:\n    range: 1..5 min\n    reason: the phone call is not measured\n"
        "  stations[Hoogstraten ambulance].units.ambulance: {range: 1..3, reason: posts are a choice}\n"
        "  speeds.lights_and_sirens:\n    range: 1.0..1.25\n    distribution: triangular\n"
        "    mode: 1.1\n    reason: JEMSS\n    label: lights and sirens\n"), filename="b.yaml")
    delay, units, factor = sc.uncertain
    assert (delay.name, delay.low, delay.high, delay.scale.unit) == (DELAY, 60.0, 300.0, "min")
    assert delay.line == LINE
    assert (units.low, units.high, units.scale.integer, units.text(2.4)) == (1.0, 3.0, True, 2)
    assert (factor.distribution, dict(factor.params), factor.label) == ("triangular", {"mode": 1.1},
                                                                        "lights and sirens")
    assert delay.text(150.0) == "2.5 min"
    point = sc.at_values([150.0, 2.6, 1.2])
    assert point.variants["benelux-2009"].agreements[0].request_delay.mean == 150.0
    assert point.base.stations[2].units == {"ambulance": 3}
    assert point.base.speeds.lights_and_sirens == 1.2
    assert point.uncertain == () and "uncertain" not in point.data


@pytest.mark.parametrize(("block", "message"), [
    (f"  {DELAY}: {{range: 1 min..5 min}}\n",
     f"b.yaml:{LINE} uncertain.{DELAY}.reason: missing (required)"),
    (f"  {DELAY}: {{range: 5 min..1 min, reason: x}}\n",
     f"b.yaml:{LINE} uncertain.{DELAY}.range: '5 min..1 min': the low end must be below the high end"),
    (f"  {DELAY}: {{range: 1 min..5 km, reason: x}}\n",
     f"b.yaml:{LINE} uncertain.{DELAY}.range: '1 min..5 km': the ends are a duration and a distance"),
    (f"  {DELAY}: {{range: 1 min, reason: x}}\n",
     f"b.yaml:{LINE} uncertain.{DELAY}.range: write LOW..HIGH, e.g. '1 min..5 min' or '0.6..0.8'"),
    ("  variants.benelux.agreements[0].threshold: {range: 1 min..5 min, reason: x}\n",
     f"b.yaml:{LINE} uncertain.variants.benelux.agreements[0].threshold: unknown variant 'benelux' "
     "(did you mean 'benelux-2009'?)"),
    ("  variants.benelux-2009.agreements[1].threshold: {range: 1 min..5 min, reason: x}\n",
     f"b.yaml:{LINE} uncertain.variants.benelux-2009.agreements[1].threshold: no item [1]: "
     "variants.benelux-2009.agreements has 1 item"),
    ("  seed: {range: 1..5, reason: x}\n",
     f"b.yaml:{LINE} uncertain.seed: cannot be uncertain: every point uses the same seed (common random "
     "numbers)"),
    ("  variants.national.horizon: {range: 1 d..2 d, reason: x}\n",
     f"b.yaml:{LINE} uncertain.variants.national.horizon: a variant cannot change horizon (every variant "
     "shares it)"),
    ("  a..b: {range: 1..2, reason: x}\n",
     f"b.yaml:{LINE} uncertain.a..b: bad path 'a..b': empty key at 'a..'"),
    (f"  {DELAY}: {{range: 1..5, reason: x}}\n",
     f"b.yaml:{LINE} uncertain.{DELAY}: at its low end (1): agreements[0].request_delay.mean (variant "
     "'benelux-2009'): 1 needs a unit, e.g. '90 s', '15 min', '2 h' or '28 d'"),
    ("  incident_types[medical_urgent].transport_share: {range: 0.5..1.5, reason: x}\n",
     f"b.yaml:{LINE} uncertain.incident_types[medical_urgent].transport_share: at its high end (1.5): "
     "incident_types[0].transport_share: must be between 0 and 1"),
    ("  demand.scale: {range: 0.5..1.5, distribution: triangular, reason: x}\n",
     f"b.yaml:{LINE} uncertain.demand.scale: a triangular range takes mode; missing mode"),
    ("  demand.scale: {range: 0.5..1.5, distribution: normal, mean: 1, sd: 2 min, reason: x}\n",
     f"b.yaml:{LINE} uncertain.demand.scale: sd '2 min' must be a number, as the range is"),
    ("  demand.scale: {range: 0.5..1.5, reason: x, also: [demand.scale]}\n",
     f"b.yaml:{LINE} uncertain.demand.scale.also[0]: demand.scale is already uncertain (under demand.scale)"),
])
def test_bad_entries_get_their_exact_message(block: str, message: str) -> None:
    assert _problems(block) == [message]


def test_a_field_the_schema_does_not_know_is_reported_at_its_own_input_only() -> None:
    block = ("  demand.scale: {range: 0.9..1.1, reason: x}\n"
             "  polcy.call_processing: {range: 1 min..2 min, reason: x}\n")
    assert _problems(block) == [
        f"b.yaml:{LINE + 1} uncertain.polcy.call_processing: at its low end (1 min): "
        "polcy: unknown key 'polcy' (did you mean 'policy'?)"]


def test_a_variant_cannot_declare_uncertain_inputs() -> None:
    block = "    uncertain: {demand.scale: {range: 1..2, reason: x}}\n"
    text = BASE.replace("  national:\n", "  national:\n" + block)
    with pytest.raises(ScenarioError, match=r"variants\.national\.uncertain: the uncertain block belongs to "
                                            "the file, not to a variant"):
        Scenario.from_text(text, filename="b.yaml")


def test_defaults_written_out_build_the_same_model() -> None:
    sc = load_scenario(BAARLE_SCENARIO)
    region = sc.load_region()
    data = copy.deepcopy(sc.data)
    write_defaults(data, ("incident_types", 0))
    write_defaults(data, ("policy", "call_processing", "mean"))
    for unit in UNIT_TYPES:
        write_defaults(data, ("turnout", unit, "day", "mean"))
    assert {"incident_types", "turnout"} <= set(data) and "call_processing" in data["policy"]
    written = Scenario.from_data(data, path=sc.path)
    for v in sc.variant_names:
        assert written.model_spec(v, region) == sc.model_spec(v, region)


def test_every_bundled_study_declares_its_uncertain_inputs() -> None:
    for path in sorted((BAARLE_SCENARIO.parent).glob("*.yaml")):
        sc = load_scenario(path)
        assert len(sc.uncertain) >= 4, path.name
        assert all(i.reason.strip() and i.low < i.high for i in sc.uncertain), path.name


# ---------------------------------------------------------------------------------------- analysis


def test_sobol_first_order_indices_of_an_additive_function_match_theory() -> None:
    """Y = sum a_i X_i with independent inputs: S1_i = a_i^2 Var X_i / sum_j a_j^2 Var X_j = ST_i."""
    factors = [Factor("a", 0.0, 1.0), Factor("b", 0.0, 2.0), Factor("c", -1.0, 1.0), Factor("d", 0.0, 1.0),
               Factor("e", 2.0, 4.0, "triangular", {"mode": 3.0})]
    coef = np.array([1.0, 2.0, 0.75, 0.0, 1.5])
    var = np.array([1 / 12, 4 / 12, 4 / 12, 1 / 12, 4 / 24])  # triangular(2, 3, 4): (b - a)^2 / 24
    x = design(factors, method="sobol", n=2048, seed=7)
    assert x.shape == (2048 * 7, 5)
    table = indices(factors, x, x @ coef, method="sobol", seed=1)
    expected = coef ** 2 * var / (coef ** 2 * var).sum()
    np.testing.assert_allclose(table["S1"], expected, atol=0.02)
    np.testing.assert_allclose(table["ST"], expected, atol=0.02)
    assert table.sort_values("rank")["input"].tolist() == ["b", "e", "c", "a", "d"]


def test_morris_effects_of_a_linear_function_are_its_slopes_over_the_range() -> None:
    factors = [Factor("a", 0.0, 1.0), Factor("b", 10.0, 30.0), Factor("c", 0.0, 1.0)]
    x = design(factors, method="morris", n=6, seed=3)
    assert x.shape == (6 * 4, 3)
    table = indices(factors, x, 3 * x[:, 0] - 0.5 * x[:, 1], method="morris", seed=1)
    np.testing.assert_allclose(table["mu"], [3.0, -10.0, 0.0], atol=1e-9)
    np.testing.assert_allclose(table["sigma"], 0.0, atol=1e-9)
    assert table["rank"].tolist() == [2, 1, 3]


def test_gains_are_paired_differences_averaged_over_replications() -> None:
    rows = []
    for point, shift in (("p1", 0.0), ("p2", 10.0)):
        for r, base in enumerate((100.0, 140.0)):
            rows.append({"point": point, "variant": "ref", "replication": r, "area": "", "mean_s": base,
                         "p90_s": base * 2, "within_norm": 0.5})
            rows.append({"point": point, "variant": "v", "replication": r, "area": "", "mean_s": base - shift,
                         "p90_s": base * 2 - 3 * shift, "within_norm": 0.5 + shift / 100})
    g = gains(pd.DataFrame(rows), reference="ref")
    assert g[["point", "variant", "replications"]].values.tolist() == [["p1", "v", 2], ["p2", "v", 2]]
    np.testing.assert_allclose(g["mean_s"], [0.0, -10.0])
    np.testing.assert_allclose(g["p90_s"], [0.0, -30.0])
    np.testing.assert_allclose(g["within_norm"], [0.0, 0.1])


# ---------------------------------------------------------------------------------------- studies

TOY = """  variants.fastest-unit.agreements[0].request_delay:
    range: 0 s..20 min
    reason: by construction the input that dominates the gain
  incident_types[medical_urgent].on_scene.ambulance.mean:
    range: 19.9 min..20.1 min
    reason: a tiny range
  turnout.ambulance.day.mean:
    range: 119 s..121 s
    reason: a tiny range
"""


def _toy(tmp_path: Path) -> Path:
    path = short_copy(tmp_path, horizon="3 d")
    text = path.read_text(encoding="utf-8")
    path.write_text(_with_block(TOY, text[:text.index("\n# Uncertain inputs")] + "\n"), encoding="utf-8")
    return path


def test_the_input_that_dominates_by_construction_is_ranked_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sens"
    code = main(["sensitivity", str(_toy(tmp_path)), "--trajectories", "4", "--reps", "1",
                 "--variants", "national,fastest-unit", "--out", str(out), "--no-progress",
                 "--lang", "all"])
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(out / "sensitivity.csv", keep_default_na=False)
    for o in ("mean_s", "p90_s"):
        sel = table[(table["area"] == "") & (table["output"] == o)]
        assert sel.sort_values("rank")["input"].iloc[0] == "variants.fastest-unit.agreements[0].request_delay"
    meta = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert meta["complete"] and meta["design_points"] == 4 * 4 and meta["method"] == "morris"
    assert meta["headline"]["ranked_inputs"][0] == "variants.fastest-unit.agreements[0].request_delay"
    bands = pd.read_csv(out / "sensitivity-bands.csv", keep_default_na=False)
    row = bands[(bands["area"] == "") & (bands["output"] == "mean_s")].iloc[0]
    assert row["min"] < row["nominal"] <= row["max"] or row["nominal"] == row["min"]
    stem = "sensitivity-fastest-unit-all-mean_s"
    assert {p.name for p in (out / "figures").glob(f"{stem}*")} == {
        f"{stem}{lang}.{fmt}" for lang in ("", ".fr", ".nl", ".de") for fmt in ("png", "svg")}
    assert "fastest-unit vs national, all calls: mean response" in capsys.readouterr().out


def test_identical_models_run_once_and_results_do_not_depend_on_workers_or_dask(tmp_path: Path) -> None:
    sc = load_scenario(_toy(tmp_path))
    region = sc.load_region()
    plan = plan_sensitivity(sc, n=2, reps=1, region=region, variants=["national", "fastest-unit"])
    # a step of the request delay leaves the national variant as it was: run once
    assert len(plan.points) == 1 + 2 * 4 and len(plan.specs) < len(plan.runs)
    assert all(plan.runs[(p, "fastest-unit")] == (p, "fastest-unit") for p in plan.points)
    runs = (("one", {}), ("two", {"workers": 2}), ("dask", {"dask": "local", "workers": 2}))
    folders = [run_sensitivity(sc, n=2, reps=1, out=tmp_path / name, variants=["national", "fastest-unit"],
                               region=region, progress=False, **kw) for name, kw in runs]
    for name in ("sensitivity-replications.parquet", "sensitivity.parquet", "sensitivity-bands.parquet"):
        first = pd.read_parquet(folders[0] / name)
        for other in folders[1:]:
            pd.testing.assert_frame_equal(first, pd.read_parquet(other / name))


def test_an_interrupted_study_keeps_the_finished_replications(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    real = Bundle.run
    calls: list[Task] = []

    def run(self: Bundle, task: Task, seed: int) -> dict[str, pd.DataFrame]:
        calls.append(task)
        if len(calls) == 4:  # Ctrl-C while the 4th task runs
            raise KeyboardInterrupt
        return real(self, task, seed)

    monkeypatch.setattr(Bundle, "run", run)
    sc = load_scenario(_toy(tmp_path))
    out = tmp_path / "cut"
    with pytest.raises(RunInterrupted, match="kept 3 of"):
        run_sensitivity(sc, n=2, reps=1, out=out, variants=["national", "fastest-unit"], progress=False)
    meta = json.loads((out / "sensitivity.json").read_text(encoding="utf-8"))
    assert not meta["complete"] and "headline" not in meta
    kept = pd.read_parquet(out / "sensitivity-replications.parquet")
    pairs = set(zip(kept["point"], kept["variant"], strict=True))
    assert {(p, v) for p, v, _ in calls[:3]} <= pairs  # and the points whose model is one of those
    assert (calls[3][0], calls[3][1]) not in pairs
    assert not (out / "sensitivity.parquet").exists() and (out / "run.json").is_file()
