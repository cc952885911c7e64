"""The emergency-driving model: vehicle speeds, lights and sirens, caps, start/stop, estimated legs.

The regional tests check on both bundled regions, with the engine's own matrices and factors, that
no urgent route of any vehicle is driven faster than its host country's cap allows (edge by edge,
so the route's average speed is below the caps of the roads it uses), and that a base beyond the
extract reaches a point in the time a base on the network at the same distance would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _helpers import exact_driving
from scipy.sparse.csgraph import dijkstra

from sim.engine import prepare, simulate
from sim.errors import UsageError
from sim.model.agreements import DispatchPolicy
from sim.model.demand import IncidentLog, IncidentType
from sim.model.distributions import Dist
from sim.model.spec import ModelSpec
from sim.model.units import EntryPoint, OffNetworkAccess, Station, Turnout
from sim.roads.driving import (
    END_SPEED_KMH,
    LIGHTS_AND_SIRENS,
    RELATIVE_SPEED,
    DrivingModel,
    kolesar_walker_s,
)
from sim.roads.network import RoadNetwork, haversine_m
from sim.roads.speeds import SpeedSettings
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _limited(limits: list[float], countries: list[int], times: list[float]) -> RoadNetwork:
    """Three nodes 1 km apart in a row, both ways, with the given limits, countries and times."""
    net = RoadNetwork.from_arrays(lat=[51.0, 51.0, 51.0], lon=[4.0, 4.0, 4.0],
                                  edges=[(0, 1), (1, 0), (1, 2), (2, 1)], times_s=times,
                                  lengths_m=[1000.0] * 4, countries=["BE", "NL"])
    net.edge_limit_kmh = np.asarray(limits, float)
    net.edge_country = np.asarray(countries, np.int64)
    return net


# ---------------------------------------------------------------------------------- the model alone
def test_defaults_follow_the_calibration_and_the_modelling_choices() -> None:
    d = DrivingModel()
    assert LIGHTS_AND_SIRENS == 1.15  # calibrated on the NL 2015 response distribution (docs/model.md)
    assert d.speedup("ambulance", urgent=False) == 1.0
    assert d.speedup("ambulance", urgent=True) == pytest.approx(1.15)
    assert d.speedup("pumper", urgent=True) == pytest.approx(RELATIVE_SPEED["pumper"][0] * 1.15)
    assert d.speedup(None, urgent=True) == 1.0 and d.relative("boat") == 1.0
    assert all(source for _, source in RELATIVE_SPEED.values())
    # Kolesar-Walker: a run from a standstill to a standstill loses v / a against cruising
    assert pytest.approx(42 * 0.86 * 1.15) == END_SPEED_KMH
    assert d.start_stop("ambulance") == pytest.approx(END_SPEED_KMH / 3.6 / 1.4)
    assert d.start_stop("pumper") > d.start_stop("ambulance") > 0  # trucks accelerate more slowly
    assert d.start_stop(None) == 0.0
    assert DrivingModel(start_stop_s={"ambulance": 0.0}).start_stop("ambulance") == 0.0
    assert kolesar_walker_s("boat") == pytest.approx(kolesar_walker_s("ambulance"))


def test_factors_are_exact_multiples_when_no_cap_binds() -> None:
    net = RoadNetwork.from_arrays(lat=[51.0, 51.0], lon=[4.0, 4.01], edges=[(0, 1), (1, 0)],
                                  times_s=[100.0, 100.0])  # no road classes: no limits, no caps
    f = DrivingModel(lights_and_sirens=2.0, relative_speed={"pumper": 0.5}).factors(
        net, ["ambulance", "pumper"])
    assert f.urgent.tolist() == [0.5, 1.0] and f.normal.tolist() == [1.0, 2.0] and not f.capped


def test_a_cap_lowers_the_speedup_until_no_edge_exceeds_it() -> None:
    # edges driven normally at 36 km/h (1 km in 100 s); limits 50 (BE) and 30 (NL) km/h
    net = _limited([50.0, 50.0, 30.0, 30.0], [0, 0, 1, 1], [100.0] * 4)
    d = DrivingModel(lights_and_sirens=3.0)  # 108 km/h with lights and sirens: above every cap
    f = d.factors(net, ["ambulance", "pumper"])
    # ambulance: NL 30 + 40 = 70 km/h binds (70 / 36); pumper (relative 0.88): 30 + 20 = 50 km/h
    assert 1 / f.urgent[0] == pytest.approx(70 / 36)
    assert 1 / f.urgent[1] == pytest.approx(50 / 36)
    assert f.capped["ambulance"] == pytest.approx(70 / 36)
    assert d.max_speedup("ambulance", net) == pytest.approx(70 / 36)
    loose = DrivingModel(lights_and_sirens=3.0, caps_kmh={"NL": {"ambulance": 100.0}})
    assert 1 / loose.factors(net, ["ambulance"]).urgent[0] == pytest.approx(90 / 36)  # BE 50 + 40
    assert not DrivingModel().factors(net, ["ambulance", "pumper", "ladder", "smur"]).capped


def test_invalid_parameters_are_refused() -> None:
    with pytest.raises(ValueError, match="lights_and_sirens"):
        DrivingModel(lights_and_sirens=0.0)
    with pytest.raises(ValueError, match="relative speed of pumper"):
        DrivingModel(relative_speed={"pumper": -1.0})
    with pytest.raises(ValueError, match="start/stop"):
        DrivingModel(start_stop_s={"ambulance": -1.0})
    with pytest.raises(ValueError, match="cap NL/ambulance"):
        DrivingModel(caps_kmh={"NL": {"ambulance": -5.0}})
    assert DrivingModel().cache_key() != DrivingModel(lights_and_sirens=1.2).cache_key()


# ---------------------------------------------------------------------------------- both regions
@pytest.fixture(scope="module", params=["baarle-turnhout", "euregio-meuse-rhine-be"])
def region_case(request: pytest.FixtureRequest) -> dict[str, Any]:
    sc = load_scenario(SCENARIOS / f"{request.param}.yaml")
    region = sc.load_region()
    spec: ModelSpec = sc.model_spec(sc.variant_names[0], region)
    return {"name": request.param, "region": region, "spec": spec, "prep": prepare(region.network, spec)}


def test_no_urgent_route_exceeds_the_host_countrys_cap(region_case: dict[str, Any]) -> None:
    net: RoadNetwork = region_case["region"].network
    spec: ModelSpec = region_case["spec"]
    prep = region_case["prep"]
    assert net.edge_limit_kmh is not None and np.isfinite(net.edge_limit_kmh).all()
    rng = np.random.default_rng(7)
    vehicles = sorted({u for s in spec.stations for u in s.units})
    f = spec.driving.factors(net, vehicles)
    country = net.edge_country_codes()
    hop = net._hop_edge
    checked = 0
    worst = 0.0
    for vi, vehicle in enumerate(vehicles):
        caps = np.array([spec.driving.cap_kmh(c, vehicle) for c in [None, *net.countries]])[country + 1]
        # the time each edge takes at exactly its cap: no route may be faster than their sum
        cap_time = net.edge_length_m / ((net.edge_limit_kmh + caps) / 3.6)
        on_net = [i for i, s in enumerate(spec.stations) if s.units.get(vehicle) and s.off_network is None]
        for si in rng.choice(on_net, size=min(12, len(on_net)), replace=False):
            src = int(prep.station_node[si])
            dist, pred = dijkstra(net._graph, indices=src, return_predecessors=True)
            targets = rng.choice(net.n_nodes, size=150, replace=False)
            for x in targets:
                if not np.isfinite(dist[x]) or x == src:
                    continue
                length = floor = 0.0
                y = int(x)
                while y != src:
                    e = hop[(int(pred[y]), y)]
                    length += net.edge_length_m[e]
                    floor += cap_time[e]
                    y = int(pred[y])
                urgent = prep.fwd[si, x] * f.urgent[vi] + f.start_stop_s[vi]  # as the engine prices it
                assert prep.fwd[si, x] == pytest.approx(dist[x])
                assert urgent >= floor, (vehicle, spec.stations[si].name, int(x))
                worst = max(worst, floor / urgent)
                checked += 1
    assert checked > 1000
    assert worst < 0.9  # with the calibrated speeds the caps are never close


def test_estimated_legs_are_driven_below_the_cap(region_case: dict[str, Any]) -> None:
    net: RoadNetwork = region_case["region"].network
    spec: ModelSpec = region_case["spec"]
    prep = region_case["prep"]
    f = spec.driving.factors(net, ["ambulance"])
    legs = [leg for s, group in zip(spec.stations, prep.station_legs, strict=True) for leg in group
            if leg.estimated and s.units.get("ambulance")]
    assert legs
    for leg in legs:
        urgent_kmh = leg.distance_m / (leg.time_s * f.urgent[0]) * 3.6
        assert 10 < urgent_kmh < 100 + 40  # below the Dutch motorway day limit plus the cap


def test_a_base_off_the_network_is_as_far_as_one_on_it(region_case: dict[str, Any]) -> None:
    """An estimated leg takes the time the network's own routes take at that straight-line
    distance: checked against routes from other nodes than the ones the pace was measured from."""
    net: RoadNetwork = region_case["region"].network
    pace = net.leg_pace
    rng = np.random.default_rng(11)
    src = rng.choice(net.n_nodes, size=12, replace=False)
    times = net.times_from(src)
    straight = haversine_m(net.lat[src][:, None], net.lon[src][:, None], net.lat[None, :],
                           net.lon[None, :])
    for lo, hi in ((2e3, 3e3), (5e3, 7.5e3), (1e4, 1.5e4)):
        m = (straight >= lo) & (straight < hi) & np.isfinite(times)
        assert m.sum() > 100
        measured = np.median(times[m])
        estimated = np.median(pace.time_s(straight[m]))
        assert estimated == pytest.approx(measured, rel=0.15), (lo, hi)


# ---------------------------------------------------------------------------------- several entry points
def test_a_post_with_two_entries_drives_through_the_fastest_and_returns_by_it() -> None:
    """0 -100 s- 1 -100 s- 2 -300 s- 3 (both ways); the post enters at node 0 (leg 50 s) or node 3
    (leg 80 s); lights and sirens halve every time, no start/stop cost.

    Call at node 3 at 0: through node 3 (80 s x 0.5 = 40), on scene 100 s, free at 170; home by
    node 3 (80 s): on the leg beyond node 3 from 170. Call at node 2 at 200: the unit is 30 s out
    on that leg, so it turns back to node 3 and drives 3 -> 2 (300 s x 0.5): 30 + 150 = 180 s.
    """


    net = RoadNetwork.from_arrays(lat=[51.0] * 4, lon=[4.0, 4.01, 4.02, 4.05],
                                  edges=[(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)],
                                  times_s=[100, 100, 100, 100, 300, 300])
    post = Station("post", 51.1, 4.02, "XX", "centre", {"ambulance": 1},
                   off_network=OffNetworkAccess(entry_lat=51.0, entry_lon=4.0, access_time_s=50.0,
                                                more_entries=(EntryPoint(51.0, 4.05, "east", 80.0),)))
    spec = ModelSpec(
        incident_types=(IncidentType("u", 1, {"ambulance": 1}, {"ambulance": Dist.fixed(100)}),),
        stations=(post,), hospitals=(), turnout={"ambulance": Turnout(day=Dist.fixed(30))},
        policy=DispatchPolicy(call_processing=Dist.fixed(0)), driving=exact_driving(2.0),
        horizon_s=5_000.0,
        incident_log=IncidentLog(t_s=(0.0, 200.0), lat=(51.0, 51.0), lon=(4.05, 4.02), type=("u", "u")))
    prep = prepare(net, spec)
    np.testing.assert_array_equal(prep.fwd[0], [50, 150, 250, 80])
    np.testing.assert_array_equal(prep.rev[0], [50, 150, 250, 80])
    assert prep.station_estimated[0] and len(prep.landmark_station) == 0  # not a landmark
    m = simulate(net, spec, seed=0).missions
    np.testing.assert_array_equal(m["t_arrive_s"], [70, 380])
    np.testing.assert_array_equal(m["travel_s"], [40, 180])
    np.testing.assert_array_equal(m["from_returning"], [False, True])
    np.testing.assert_array_equal(m["t_base_s"], [np.nan, 480 + 250])  # home by node 0: 200 + 50
    assert m["estimated_leg"][0]


def test_a_network_timed_with_other_road_speeds_is_refused(baarle_network: RoadNetwork) -> None:
    other = DrivingModel(roads=SpeedSettings(class_kmh={**SpeedSettings().class_kmh, "primary": 90.0}))
    with pytest.raises(UsageError, match="timed with other road speeds"):
        other.factors(baarle_network, ["ambulance"])
    spec = ModelSpec(incident_types=(), stations=(), hospitals=(), turnout={}, driving=other)
    with pytest.raises(UsageError, match="timed with other road speeds"):
        prepare(baarle_network, spec)
    DrivingModel().check_network(baarle_network)  # the speeds it was loaded with
