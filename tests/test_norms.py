"""Norms per class of call: the table, how incident types and scenarios name a class, and how a call
finds its norm (NL A1 and A2 apart, fires against fire norms, no norm where a country has none)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.analysis.measures import judged, norm_classes, norm_limits, services, within, within_bands
from sim.model.countries import COUNTRIES, DEFAULT_NORMS
from sim.model.defaults import default_incident_types, default_rates
from sim.model.demand import IncidentType
from sim.model.distributions import Dist
from sim.model.norms import NORM_CLASSES, Norm, find_norm, norm_key, split_norm_key
from sim.scenario import Scenario, ScenarioError, validate_file

GOOD = Path(__file__).resolve().parents[1] / "scenarios" / "baarle-turnhout.yaml"


def test_published_norms_are_in_the_country_table() -> None:
    # facts: NL A1 15 min / 95 %, A2 30 min; NL fire 5/6/8/10 min by building, 15 min technical
    # rescue; BE 15 min / 90 % for urgent ambulance calls and no legal fire norm
    got = {k: (n.limit_s / 60, n.target_share) for k, n in DEFAULT_NORMS.items()
           if k.startswith(("NL", "BE"))}
    assert got.pop("NL") == (15, 0.95) and got.pop("NL/a2") == (30, 0.95) and got.pop("BE") == (15, 0.90)
    assert {k: v[0] for k, v in got.items()} == {"NL/fire_5": 5, "NL/fire_6": 6, "NL/fire_8": 8,
                                                 "NL/fire_10": 10, "NL/technical_rescue": 15}
    assert all(math.isnan(share) for _, share in got.values())  # the decree sets times, no share
    assert not any(k.startswith("BE/") for k in DEFAULT_NORMS)
    assert all(n.norm_class in NORM_CLASSES for n in DEFAULT_NORMS.values())
    assert {c.norm.norm_class for c in COUNTRIES.values()} == {"urgent"}


def test_norm_keys_round_trip() -> None:
    assert norm_key("NL") == "NL" and norm_key("NL", "a2") == "NL/a2"
    assert split_norm_key("NL") == ("NL", "urgent") and split_norm_key("112 Antwerpen/fire_8") == (
        "112 Antwerpen", "fire_8")
    with pytest.raises(ValueError, match="unknown norm class 'a3'"):
        Norm("NL", "ambulance", 60.0, 0.9, "test", norm_class="a3")


def test_default_types_name_their_class_and_dutch_a1_a2_b_add_up() -> None:
    classes = {t.name: t.norm_class for t in default_incident_types()}
    assert classes == {"medical_urgent": "urgent", "medical_non_urgent": "", "cardiac_arrest": "urgent",
                       "road_collision": "urgent", "structure_fire": "fire_8", "fire_small": "fire",
                       "medical_a2": "a2"}
    nl = default_rates()["NL"]
    a1 = nl["medical_urgent"] + nl["cardiac_arrest"] + nl["road_collision"]
    # vzinfo.nl: 80.6 runs per 1,000, 78 % urgent (A1 + A2); A1 60 % of them (modelling choice)
    assert a1 + nl["medical_a2"] + nl["medical_non_urgent"] == pytest.approx(80.6)
    assert a1 == pytest.approx(0.6 * 62.9) and nl["medical_a2"] == pytest.approx(0.4 * 62.9)
    assert default_rates()["BE"]["medical_a2"] == 0.0  # Belgium's 112 has no A2 class


@pytest.mark.parametrize(("needs", "urgency", "cls"), [
    ({"ambulance": 1}, 1, "urgent"), ({"ambulance": 1}, 2, "a2"), ({"ambulance": 1}, 3, ""),
    ({"smur": 1}, 1, "urgent"), ({"pumper": 1}, 1, "fire"), ({"pumper": 1, "ambulance": 1}, 2, "fire"),
    ({"ambulance": 1, "pumper": 1}, 1, "urgent"),
])
def test_a_type_without_a_class_gets_one_from_its_first_unit_and_urgency(needs: dict[str, int], urgency: int,
                                                                          cls: str) -> None:
    t = IncidentType("t", urgency, needs, on_scene={"default": Dist.fixed(60.0)})
    assert t.norm_class == cls


def test_an_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="norm class 'fire_7' of 't' is unknown"):
        IncidentType("t", 1, {"pumper": 1}, on_scene={}, norm_class="fire_7")


def _frame(rows: list[tuple[str, str, str, float]], *, classes: bool = True) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["dispatch_centre", "country", "norm_class", "response_time_s"])
    df["urgency"] = [1 if c in ("urgent", "fire", "fire_8") else 2 if c == "a2" else 3
                     for c in df["norm_class"]]
    return df if classes else df.drop(columns="norm_class")


def test_each_call_finds_the_norm_of_its_class_centre_first() -> None:
    norms = dict(DEFAULT_NORMS)
    norms["112 Antwerpen/fire_8"] = Norm("", "fire", 600.0, 0.8, "test", norm_class="fire_8")
    inc = _frame([("Meldkamer (NL)", "NL", "urgent", 800.0), ("Meldkamer (NL)", "NL", "a2", 1700.0),
                  ("Meldkamer (NL)", "NL", "fire_8", 500.0), ("112 Antwerpen", "BE", "fire", 500.0),
                  ("112 Antwerpen", "BE", "fire_8", 590.0), ("112 Antwerpen", "BE", "urgent", math.nan),
                  ("Meldkamer (NL)", "NL", "", 100.0)])
    limits = norm_limits(inc, norms)
    np.testing.assert_array_equal(limits, [900.0, 1800.0, 480.0, math.nan, 600.0, 900.0, math.nan])
    assert judged(inc, limits).tolist() == [True, True, True, False, True, True, False]
    rt = inc["response_time_s"].to_numpy(float)
    assert within(rt, limits).tolist() == [True, True, False, False, True, False, False]  # NaN: outside
    assert within_bands(rt)["within_10min"].tolist() == [False, False, True, True, True, False, True]
    assert within_bands(rt)["within_15min"].tolist() == [True, False, True, True, True, False, True]
    assert services(inc).tolist() == ["ambulance", "ambulance", "fire", "fire", "fire", "ambulance", ""]
    assert find_norm(norms, centre="x", country="BE", norm_class="fire") is None


def test_results_without_the_class_column_judge_urgency_1_as_before() -> None:
    inc = _frame([("Meldkamer (NL)", "NL", "urgent", 800.0), ("Meldkamer (NL)", "NL", "a2", 1700.0)],
                 classes=False)
    assert norm_classes(inc).tolist() == ["urgent", ""]
    np.testing.assert_array_equal(norm_limits(inc, DEFAULT_NORMS), [900.0, math.nan])


def _with(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def test_scenario_norms_block_sets_a_class_and_names_wrong_keys(tmp_path: Path) -> None:
    text = GOOD.read_text(encoding="utf-8")
    assert "\nnorms:" not in text
    block = ("norms:\n  NL/a2: {limit: 25 min, share: 0.9, source: test}\n"
             "  112 Antwerpen/fire_8: {limit: 10 min, share: 0.8, source: test, service: fire}\n")
    good = _with(text, "\nstations:", "\n" + block + "stations:")
    sc = Scenario.from_text(good, filename="s.yaml")
    norms = sc.norms()
    assert norms["NL/a2"].limit_s == 1500.0 and norms["NL/a2"].norm_class == "a2"
    assert norms["112 Antwerpen/fire_8"].norm_class == "fire_8" and norms["NL"].limit_s == 900.0
    known = "a2, fire, fire_10, fire_5, fire_6, fire_8, technical_rescue, urgent"
    for key, message in (("NL/a3", f"unknown norm class (after the '/') 'a3' (known: {known})"),
                         ("XX/a2", "unknown country or dispatch centre 'XX' (known: 112 Antwerpen, BE, DE, "
                                   "FR, LU, Meldkamer (NL), NL)")):
        f = tmp_path / "s.yaml"
        f.write_text(_with(good, "  NL/a2:", f"  {key}:"), encoding="utf-8")
        problems = [str(p) for p in validate_file(f)]
        line = good.splitlines().index("  NL/a2: {limit: 25 min, share: 0.9, source: test}") + 1
        assert problems == [f"s.yaml:{line} norms.{key}: {message}"], problems


def test_an_incident_type_names_its_class_in_the_file() -> None:
    text = GOOD.read_text(encoding="utf-8")
    text = text[:text.index("\nuncertain:")] + "\n"  # its ranges name the default types
    types = ("incident_types:\n  - name: care_home_fire\n    urgency: 1\n    needs: {pumper: 2}\n"
             "    norm: fire_5\n  - name: medical_urgent\n    urgency: 1\n    needs: {ambulance: 1}\n")
    sc = Scenario.from_text(_with(text, "\nstations:", "\n" + types + "stations:"), filename="s.yaml")
    spec = sc.model_spec(sc.variant_names[0], sc.load_region())
    assert {t.name: t.norm_class for t in spec.incident_types} == {
        "care_home_fire": "fire_5", "medical_urgent": "urgent"}
    bad = _with(text, "\nstations:", "\n" + types.replace("fire_5", "fire_7") + "stations:")
    line = bad.splitlines().index("    norm: fire_7") + 1
    with pytest.raises(ScenarioError, match=rf"s\.yaml:{line} incident_types\[0\]\.norm: must be 'urgent'"):
        Scenario.from_text(bad, filename="s.yaml")
