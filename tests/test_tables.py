"""The tables the figures draw (sim.analysis.tables), on small hand-made frames with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.analysis.coverage import Coverage, coverage
from sim.analysis.measures import measured_calls, within_norm
from sim.analysis.stats import mean_ci, wilson_ci
from sim.analysis.tables import (
    band_shares,
    class_shares,
    coverage_classes,
    cross_border_counts,
    hex_cells,
    hex_classes,
    hex_outlines,
    hex_quantile,
    norm_shares,
    response_ecdf,
    service_calls,
    spec_coverage,
    station_utilisation,
    unit_utilisation,
    urgent_calls,
    variant_order,
)
from sim.model.agreements import Agreement
from sim.model.defaults import default_demand
from sim.model.demand import Demand
from sim.model.norms import Norm
from sim.model.places import Place
from sim.model.spec import ModelSpec
from sim.model.units import Station
from sim.roads.driving import DrivingModel
from sim.roads.network import RoadNetwork

NORMS = {
    "BE": Norm("BE", "ambulance", 15 * 60.0, 0.90, source="test"),
    "NL": Norm("NL", "ambulance", 15 * 60.0, 0.95, source="test"),
    "Centre A": Norm("BE", "ambulance", 10 * 60.0, 0.80, source="test"),  # stricter than its country
}


def _incidents(rows: list[tuple[str, int, str, str, int, float, bool]]) -> pd.DataFrame:
    """``(variant, replication, dispatch_centre, country, urgency, response minutes, in_warmup)``."""
    df = pd.DataFrame(rows, columns=["variant", "replication", "dispatch_centre", "country", "urgency",
                                     "response_min", "in_warmup"])
    df["response_time_s"] = df.pop("response_min") * 60.0
    df["incident_id"] = np.arange(len(df))
    return df


# ---------------------------------------------------------------------------------------- calls


def test_variant_order_is_given_or_of_first_appearance() -> None:
    df = pd.DataFrame({"variant": ["b", "a", "b", "c"]})
    assert variant_order(df) == ["b", "a", "c"]
    assert variant_order(df, ["c", "a"]) == ["c", "a"]
    assert variant_order(df.iloc[0:0]) == []


def test_urgent_calls_leave_out_warm_up_and_lower_urgency() -> None:
    # results without a norm_class column: the class follows the urgency (1: urgent)
    inc = _incidents([("v", 0, "A", "BE", 1, 5.0, False), ("v", 0, "A", "BE", 2, 5.0, False),
                      ("v", 0, "A", "BE", 1, 5.0, True), ("v", 0, "A", "BE", 1, 7.0, False)])
    assert list(urgent_calls(inc)["response_time_s"]) == [300.0, 420.0]


def test_urgent_calls_are_the_class_urgent_not_fires_or_a2() -> None:
    inc = _classed([("v", 0, "A", "BE", "urgent", 5.0, False), ("v", 0, "A", "BE", "fire", 6.0, False),
                    ("v", 0, "A", "NL", "a2", 7.0, False), ("v", 0, "A", "NL", "fire_8", 8.0, False),
                    ("v", 0, "A", "NL", "", 9.0, False), ("v", 0, "A", "NL", "urgent", 10.0, False)])
    assert list(urgent_calls(inc)["response_time_s"]) == [300.0, 600.0]
    assert list(service_calls(inc, "fire")["response_time_s"]) == [360.0, 480.0]
    assert list(service_calls(inc, "ambulance")["response_time_s"]) == [300.0, 420.0, 600.0]


def test_response_ecdf_counts_calls_never_reached_in_the_total_only() -> None:
    x, y = response_ecdf([600.0, np.nan, 120.0, 300.0])
    assert list(x) == [2.0, 5.0, 10.0]
    assert list(y) == [25.0, 50.0, 75.0]  # of 4 calls: the curve stops below 100 %


# ---------------------------------------------------------------------------------------- norms


def test_norm_shares_use_the_centres_norm_then_the_countrys_with_wilson_intervals() -> None:
    rows = [
        # Centre A (10 min): 8 and 12 min judged, 9 min in the warm-up, a lower urgency (no class in
        # results without a norm_class column) and a
        # call never reached (outside)
        ("nat", 0, "Centre A", "BE", 1, 8.0, False), ("nat", 1, "Centre A", "BE", 1, 12.0, False),
        ("nat", 0, "Centre A", "BE", 1, 9.0, True), ("nat", 0, "Centre A", "BE", 2, 30.0, False),
        ("nat", 1, "Centre A", "BE", 1, np.nan, False),
        # Centre B takes the BE norm (15 min): 12 min is within
        ("nat", 0, "Centre B", "BE", 1, 12.0, False), ("nat", 0, "Centre B", "BE", 1, 16.0, False),
        # no norm for XX: left out
        ("nat", 0, "Centre X", "XX", 1, 1.0, False),
        ("agr", 0, "Centre A", "BE", 1, 8.0, False),
    ]
    inc = _incidents(rows)
    df = norm_shares(inc, norms=NORMS)
    assert list(zip(df["dispatch_centre"], df["norm_class"], df["variant"], strict=True)) == [
        ("Centre A", "urgent", "nat"), ("Centre A", "urgent", "agr"), ("Centre B", "urgent", "nat")]
    a = df[(df["dispatch_centre"] == "Centre A") & (df["variant"] == "nat")].iloc[0]
    assert (a["n"], a["within"], a["limit_min"], a["target"], a["service"]) == (3, 1, 10.0, 0.80, "ambulance")
    ci = wilson_ci(1, 3)
    assert (a["share"], a["low"], a["high"]) == (ci.estimate, ci.low, ci.high)
    b = df[df["dispatch_centre"] == "Centre B"].iloc[0]
    assert (b["n"], b["within"], b["limit_min"], b["target"]) == (2, 1, 15.0, 0.90)
    # the same calls as sim.analysis.measures judges
    nat = measured_calls(inc[inc["variant"] == "nat"])
    judged, within = within_norm(nat, NORMS)
    assert int(df.loc[df["variant"] == "nat", "n"].sum()) == int(judged.sum())
    assert int(df.loc[df["variant"] == "nat", "within"].sum()) == int((judged & within).sum())


CLASS_NORMS = {
    "BE": Norm("BE", "ambulance", 15 * 60.0, 0.90, source="test"),
    "NL": Norm("NL", "ambulance", 15 * 60.0, 0.95, source="test"),
    "NL/a2": Norm("NL", "ambulance", 30 * 60.0, 0.95, source="test", norm_class="a2"),
    "NL/fire_8": Norm("NL", "fire", 8 * 60.0, np.nan, source="test", norm_class="fire_8"),
}


def _classed(rows: list[tuple[str, int, str, str, str, float, bool]]) -> pd.DataFrame:
    """``(variant, replication, dispatch_centre, country, norm_class, response minutes, in_warmup)``."""
    df = pd.DataFrame(rows, columns=["variant", "replication", "dispatch_centre", "country", "norm_class",
                                     "response_min", "in_warmup"])
    df["response_time_s"] = df.pop("response_min") * 60.0
    df["urgency"] = 1
    df["incident_id"] = np.arange(len(df))
    return df


SERVICES = _classed([
    # NL A1: 10 and 14 within 15 min, 16 and never reached outside; 5 min in the warm-up
    ("v", 0, "RAV", "NL", "urgent", 10.0, False), ("v", 0, "RAV", "NL", "urgent", 14.0, False),
    ("v", 1, "RAV", "NL", "urgent", 16.0, False), ("v", 1, "RAV", "NL", "urgent", np.nan, False),
    ("v", 0, "RAV", "NL", "urgent", 5.0, True),
    # NL A2: 20 min within 30, 31 outside
    ("v", 0, "RAV", "NL", "a2", 20.0, False), ("v", 1, "RAV", "NL", "a2", 31.0, False),
    # NL building fires: 7 min within 8, 9 outside (a norm without a target share)
    ("v", 0, "VR", "NL", "fire_8", 7.0, False), ("v", 0, "VR", "NL", "fire_8", 9.0, False),
    # an NL B ride: no class, in no table
    ("v", 0, "RAV", "NL", "", 50.0, False),
    # BE: one urgent call; fires without a norm: 9, 12, 16 min; a building fire of 7 min (no BE norm)
    ("v", 0, "112", "BE", "urgent", 12.0, False),
    ("v", 0, "112", "BE", "fire", 9.0, False), ("v", 1, "112", "BE", "fire", 12.0, False),
    ("v", 1, "112", "BE", "fire", 16.0, False), ("v", 0, "112", "BE", "fire_8", 7.0, False),
])


def test_norm_shares_judge_each_class_against_its_own_norm_nl_a1_and_a2_apart() -> None:
    df = norm_shares(SERVICES, norms=CLASS_NORMS)
    got = [(r.dispatch_centre, r.norm_class, r.service, r.n, r.within, r.limit_min)
           for r in df.itertuples()]
    assert got == [("112", "urgent", "ambulance", 1, 1, 15.0), ("RAV", "urgent", "ambulance", 4, 2, 15.0),
                   ("RAV", "a2", "ambulance", 2, 1, 30.0), ("VR", "fire_8", "fire", 2, 1, 8.0)]
    assert list(df["target"].iloc[:3]) == [0.90, 0.95, 0.95]
    assert np.isnan(df["target"].iloc[3])  # the Dutch fire norm sets a time, no share
    ci = wilson_ci(2, 4)
    assert tuple(df.loc[1, ["share", "low", "high"]]) == (ci.estimate, ci.low, ci.high)


def test_band_shares_measure_the_calls_without_a_norm_within_10_and_15_min() -> None:
    df = band_shares(SERVICES, norms=CLASS_NORMS, service="fire")
    got = [(r.dispatch_centre, r.country, r.norm_class, r.band_min, r.n, r.within) for r in df.itertuples()]
    assert got == [("112", "BE", "fire_8", 10.0, 1, 1), ("112", "BE", "fire_8", 15.0, 1, 1),
                   ("112", "BE", "fire", 10.0, 3, 1), ("112", "BE", "fire", 15.0, 3, 2)]
    ci = wilson_ci(2, 3)
    assert tuple(df.loc[3, ["share", "low", "high"]]) == (ci.estimate, ci.low, ci.high)
    # every call with a norm has one here: nothing of the ambulance service is left without one
    assert len(band_shares(SERVICES, norms=CLASS_NORMS, service="ambulance")) == 0
    # with no norms at all every class of call is measured by the bands (the B ride is not)
    every = band_shares(SERVICES, norms={})
    assert int(every.loc[every["band_min"] == 15.0, "n"].sum()) == 13


def test_class_shares_put_every_class_on_one_row_ambulance_before_fire() -> None:
    df = class_shares(SERVICES, norms=CLASS_NORMS)
    got = [(r.dispatch_centre, r.norm_class, r.has_norm, r.n, r.within, r.limit_min) for r in df.itertuples()]
    assert got == [("112", "urgent", True, 1, 1, 15.0), ("RAV", "urgent", True, 4, 2, 15.0),
                   ("RAV", "a2", True, 2, 1, 30.0),
                   ("112", "fire_8", False, 1, 1, 15.0), ("112", "fire", False, 3, 2, 15.0),
                   ("VR", "fire_8", True, 2, 1, 8.0)]
    assert df.loc[~df["has_norm"], "target"].isna().all()


def test_a_centre_spanning_two_countries_keeps_its_largest_one() -> None:
    inc = _incidents([("v", 0, "Centre B", "BE", 1, 5.0, False), ("v", 0, "Centre B", "NL", 1, 5.0, False),
                      ("v", 0, "Centre B", "NL", 1, 20.0, False)])
    df = norm_shares(inc, norms=NORMS)
    assert len(df) == 1
    assert (df.loc[0, "country"], df.loc[0, "n"], df.loc[0, "target"]) == ("NL", 2, 0.95)


def test_norm_shares_of_no_calls_is_an_empty_table() -> None:
    df = norm_shares(_incidents([]), norms=NORMS)
    assert len(df) == 0 and "share" in df.columns and "norm_class" in df.columns
    assert len(band_shares(_incidents([]), norms=NORMS)) == 0
    assert list(class_shares(_incidents([]), norms=NORMS).columns)[-1] == "has_norm"


# ---------------------------------------------------------------------------------------- missions


def _missions(rows: list[tuple[str, int, int, str, str, bool]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["variant", "replication", "incident_id", "unit_type", "direction",
                                       "cross_border"])


def test_cross_border_counts_per_replication_leave_out_the_warm_up() -> None:
    inc = _incidents([("v", 0, "A", "BE", 1, 5.0, False), ("v", 0, "A", "BE", 1, 5.0, True),
                      ("v", 1, "A", "BE", 1, 5.0, False), ("v", 2, "A", "BE", 1, 5.0, False)])
    ids = inc["incident_id"].tolist()
    missions = _missions([
        ("v", 0, ids[0], "ambulance", "NL->BE", True), ("v", 0, ids[0], "ambulance", "NL->BE", True),
        ("v", 0, ids[1], "ambulance", "NL->BE", True),  # a warm-up incident's
        ("v", 1, ids[2], "ambulance", "NL->BE", True), ("v", 1, ids[2], "smur", "BE", False),
    ])
    df = cross_border_counts(missions, incidents=inc)
    assert len(df) == 1
    row = df.iloc[0]
    ci = mean_ci([2.0, 1.0, 0.0])  # replication 2 has none
    assert (row["unit_type"], row["direction"], row["replications"]) == ("ambulance", "NL->BE", 3)
    assert (row["mean"], row["low"], row["high"]) == pytest.approx((ci.estimate, ci.low, ci.high))
    weekly = cross_border_counts(missions, incidents=inc, per_s=14 * 86_400.0)
    assert weekly.iloc[0]["mean"] == pytest.approx(0.5)  # 1 per replication of two weeks
    assert cross_border_counts(missions).iloc[0]["mean"] == pytest.approx(2.0)  # reps 0, 1: 3 and 1


# ---------------------------------------------------------------------------------------- units


def test_station_utilisation_sums_units_then_averages_replications() -> None:
    units = pd.DataFrame({
        "variant": ["v"] * 5, "replication": [0, 0, 1, 1, 0], "station": ["S", "S", "S", "S", "T"],
        "unit_id": [1, 2, 1, 2, 3], "busy_s": [10.0, 30.0, 20.0, 20.0, 5.0],
        "on_duty_s": [100.0, 100.0, 100.0, 100.0, 0.0],
    })
    df = station_utilisation(units).set_index("station")
    ci = mean_ci([0.2, 0.2])
    assert df.loc["S", "units"] == 2
    assert (df.loc["S", "mean"], df.loc["S", "low"], df.loc["S", "high"]) == pytest.approx(
        (ci.estimate, ci.low, ci.high), nan_ok=True)
    assert np.isnan(df.loc["T", "mean"])  # never on duty: no utilisation


def test_unit_utilisation_weighs_by_time_on_duty_per_country_and_type() -> None:
    # BE ambulances busy 30 of 200 s (rep 0) and 50 of 200 s (rep 1); NL's idle ambulance on duty
    # far longer is its own row, not averaged in
    units = pd.DataFrame({
        "variant": ["v"] * 6, "replication": [0, 0, 1, 1, 0, 1],
        "country": ["BE", "BE", "BE", "BE", "NL", "NL"],
        "unit_type": ["ambulance"] * 6, "unit_id": [1, 2, 1, 2, 3, 3],
        "busy_s": [10.0, 20.0, 40.0, 10.0, 0.0, 0.0],
        "on_duty_s": [100.0, 100.0, 100.0, 100.0, 1000.0, 1000.0],
    })
    df = unit_utilisation(units).set_index(["country", "unit_type"])
    ci = mean_ci([0.15, 0.25])
    assert df.loc[("BE", "ambulance"), "units"] == 2
    assert tuple(df.loc[("BE", "ambulance"), ["mean", "low", "high"]]) == pytest.approx(
        (ci.estimate, ci.low, ci.high))
    assert df.loc[("NL", "ambulance"), "mean"] == 0.0


# ---------------------------------------------------------------------------------------- hexagons


def test_every_hexagon_holds_its_centre_and_the_inside_of_its_corners() -> None:
    cells = np.array([[q, r] for q in range(387, 394) for r in range(-3123, -3116)])
    outlines = hex_outlines(cells, size_km=2.0, lat0=51.4)
    centres = np.array([o.mean(axis=0) for o in outlines])
    assert np.array_equal(hex_cells(centres[:, 0], centres[:, 1], size_km=2.0, lat0=51.4), cells)
    # a point just inside each corner, towards the centre, is still in the cell
    inner = np.concatenate([c + 0.95 * (o - c) for c, o in zip(centres, outlines, strict=True)])
    assert np.array_equal(hex_cells(inner[:, 0], inner[:, 1], size_km=2.0, lat0=51.4),
                          np.repeat(cells, 6, axis=0))
    # hexagons 2 km across the flats: neighbouring centres lie 2 km apart
    km = (centres[1] - centres[0]) * [111.32 * np.cos(np.radians(51.4)), 110.57]
    assert np.hypot(*km) == pytest.approx(2.0)


def test_hex_quantile_takes_the_higher_value_counts_nan_as_late_and_drops_small_cells() -> None:
    lon = np.full(7, 4.9)
    lat = np.full(7, 51.4)
    values = [1.0, 2.0, 3.0, 4.0, np.nan, 6.0, 7.0]
    out = hex_quantile(lon, lat, values, size_km=1.0, lat0=51.4, q=0.5, min_count=5)
    assert len(out) == 1 and out["count"].iloc[0] == 7
    assert out["value"].iloc[0] == 4.0
    assert hex_quantile(lon, lat, values, size_km=1.0, lat0=51.4, q=1.0)["value"].iloc[0] == np.inf
    assert len(hex_quantile(lon, lat, values, size_km=1.0, lat0=51.4, min_count=8)) == 0


def test_hex_classes_take_the_rounded_median_class() -> None:
    lon = np.r_[np.full(3, 4.9), np.full(2, 5.0)]
    lat = np.full(5, 51.4)
    out = hex_classes(lon, lat, [0, 3, 4, 1, 2], size_km=1.0, lat0=51.4)
    assert sorted(out.to_numpy().tolist()) == [2.0, 3.0]  # medians 3 and 1.5 (rounded to even: 2)


# ---------------------------------------------------------------------------------------- coverage


def test_coverage_classes_split_national_from_gained_per_threshold() -> None:
    m = 60.0
    nat = np.array([5, 10, np.inf, 10, np.inf, 8, 20]) * m
    agr = np.array([5, 5, 10, 10, np.inf, 8, 7]) * m
    cov = Coverage(thresholds_s=(8 * m, 15 * m), time_national_s=nat, time_agreements_s=agr,
                   node_population=np.zeros(7), table=pd.DataFrame(), unassigned_population=0.0,
                   vehicle="ambulance")
    cls, bounds = coverage_classes(cov)
    assert list(bounds) == [8.0, 15.0]
    # within 8 nationally; within 8 only with agreements; within 15 only with agreements;
    # within 15 nationally; beyond; exactly 8 is within; within 8 with agreements, beyond without
    assert cls.tolist() == [0, 1, 3, 2, 4, 0, 1]


def test_spec_coverage_spreads_places_as_the_variants_demand_does() -> None:
    n = 12
    lon = 4.9 + 0.01 * np.arange(n)
    edges = [(i, i + 1) for i in range(n - 1)] + [(i + 1, i) for i in range(n - 1)]
    network = RoadNetwork.from_arrays(
        lat=np.full(n, 51.4), lon=lon, edges=edges, times_s=np.full(len(edges), 120.0),
        node_country=[0] * 6 + [1] * 6, node_centre=[0] * 6 + [1] * 6,
        countries=["BE", "NL"], centres=["112 Antwerpen", "Meldkamer (NL)"])
    stations = (Station(name="Be", lat=51.4, lon=float(lon[0]), country="BE",
                        dispatch_centre="112 Antwerpen", units={"ambulance": 1}),)
    places = (Place("p", "BE", 51.4, float(lon[3]), 1000.0),)
    driving = DrivingModel(lights_and_sirens=1.0)
    agreements = (Agreement(name="Benelux", parties=("BE", "NL"), unit_types=("ambulance",)),)

    def spec(demand: Demand) -> ModelSpec:
        return ModelSpec(incident_types=(), stations=stations, hospitals=(), turnout={}, demand=demand,
                         places=places, agreements=agreements, driving=driving)

    narrow = spec_coverage(network, spec(Demand(rates_per_1000={}, spread_m=1.0)))
    wide = spec_coverage(network, spec(default_demand()))  # the defaults: spread over 1.5 km
    expected = coverage(network, stations, places, agreements=agreements, driving=driving, spread_m=1.0)
    pd.testing.assert_frame_equal(narrow.table, expected.table)
    # the place sits 3 hops (6 min) from the station; spread wide (over Belgian nodes 1 to 5),
    # part of it lies beyond 8 min
    assert narrow.table.loc[0, "national"] == pytest.approx(1000.0)
    assert wide.table.loc[0, "national"] < 1000.0
