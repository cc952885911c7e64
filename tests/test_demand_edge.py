"""Places at the edge of the road extract: their calls split between the network and beyond it.

A kept place puts the share of its kernel that the extract covers (:func:`sim.model.demand.place_coverage`)
on the network and, with ``demand.beyond_radius_m`` and a post of its country near it, the rest beyond
the extract (:func:`sim.model.demand.beyond_places`); its total demand does not change.
"""

from __future__ import annotations

import numpy as np

from sim.model.defaults import default_hour_of_week, default_incident_types, default_rates, default_turnout
from sim.model.demand import SECONDS_PER_YEAR, Demand, beyond_places, generate_incidents
from sim.model.places import Place, place_coverage, spread_places
from sim.model.spec import ModelSpec
from sim.model.streams import Streams
from sim.model.units import Station
from sim.roads.network import EARTH_RADIUS_M, RoadNetwork

LAT, LON = 51.0, 4.0
SPREAD, REACH = 1500.0, 200.0


def _lon(east_m: np.ndarray) -> np.ndarray:
    return LON + np.degrees(east_m / (EARTH_RADIUS_M * np.cos(np.radians(LAT))))


def _net(east: np.ndarray, north: np.ndarray) -> RoadNetwork:
    """Nodes of country NL at every (east, north) of the two axes (metres from the place), in rows
    joined west to east."""
    ee, nn = np.meshgrid(east, north)
    lat, lon = LAT + np.degrees(nn.ravel() / EARTH_RADIUS_M), _lon(ee.ravel())
    k = len(east)
    edges = [(i, i + 1) for i in range(lat.size - 1) if (i + 1) % k]
    return RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=np.full(len(edges), 10.0),
                                   node_country=np.zeros(lat.size, int), node_centre=np.zeros(lat.size, int),
                                   countries=["NL"], centres=["Meldkamer"])


def _edge_net() -> RoadNetwork:
    # roads every 100 m west of 170 m west of the place, none east of it
    return _net(np.arange(-2970.0, -169.0, 100.0), np.arange(-3000.0, 3001.0, 100.0))


def _expected_edge_coverage() -> float:
    """The kernel's grid (every spread/8 over its disc, Gaussian weights of scale spread): the points
    at or west of the place lie within 200 m of a node (at most sqrt(170² + 50²) = 177 m), those at
    187.5 m east or more are farther than 357 m from every node."""
    k = np.arange(-8, 9)
    ii, jj = np.meshgrid(k, k)
    inside = ii ** 2 + jj ** 2 <= 64
    w = np.exp(-0.5 * (ii ** 2 + jj ** 2) / 64.0) * inside
    return float(w[jj <= 0].sum() / w.sum())


PLACE = Place("edge", "NL", LAT, LON, 100_000.0)
POST = Station("post", LAT, float(_lon(np.array(3000.0))[()]), "NL", "Meldkamer", {"ambulance": 2})


def _spec(places: tuple[Place, ...], *, beyond: bool, horizon_s: float = 365 * 86_400.0) -> ModelSpec:
    demand = Demand(default_rates(), default_hour_of_week(), spread_m=SPREAD, max_place_distance_m=3000.0,
                    beyond_radius_m=10_000.0 if beyond else None, extract_reach_m=REACH)
    return ModelSpec(incident_types=default_incident_types(), stations=(POST,), hospitals=(),
                     turnout=default_turnout(), places=places, demand=demand, horizon_s=horizon_s)


def test_a_place_at_the_edge_of_the_extract_is_covered_by_half_its_kernel() -> None:
    f = place_coverage(_edge_net(), [PLACE], spread_m=SPREAD, reach_m=REACH)
    expect = _expected_edge_coverage()
    assert 0.5 < expect < 0.56
    np.testing.assert_allclose(f, [expect], rtol=1e-12)
    # the same on the population spread (coverage maps, validation)
    _, _, w = spread_places(_edge_net(), [PLACE], spread_m=SPREAD, max_distance_m=3000.0, reach_m=REACH)
    np.testing.assert_allclose(w.sum(), expect, rtol=1e-12)
    _, _, w = spread_places(_edge_net(), [PLACE], spread_m=SPREAD, max_distance_m=3000.0)
    np.testing.assert_allclose(w.sum(), 1.0)


def test_a_place_in_the_middle_of_the_roads_is_covered_and_calls_nothing_beyond() -> None:
    axis = np.arange(-5000.0, 5001.0, 200.0)
    net = _net(axis, axis)
    assert place_coverage(net, [PLACE], spread_m=SPREAD, reach_m=REACH)[0] == 1.0
    inc = generate_incidents(net, _spec((PLACE,), beyond=True, horizon_s=30 * 86_400.0), Streams(3))
    assert len(inc) > 100 and not inc.beyond.any()


def test_the_edge_place_puts_the_uncovered_share_of_its_calls_beyond_the_extract() -> None:
    net, f = _edge_net(), _expected_edge_coverage()
    spec = _spec((PLACE,), beyond=True)
    types, centre, share = beyond_places(net, spec)
    amb = np.array([t.primary == "ambulance" for t in spec.incident_types])
    np.testing.assert_array_equal(types[0], amb)  # the post holds ambulances only: fire stays on the roads
    assert centre.tolist() == [0]
    np.testing.assert_allclose(share, [1.0 - f], rtol=1e-12)
    inc = generate_incidents(net, spec, Streams(11))
    rate = {t.name: r * PLACE.population / 1000.0 for t, r in
            zip(spec.incident_types, [default_rates()["NL"].get(t.name, 0.0) for t in spec.incident_types],
                strict=True)}
    years = spec.horizon_s / SECONDS_PER_YEAR
    total = sum(rate.values()) * years
    beyond = sum(rate[t.name] for t, a in zip(spec.incident_types, amb, strict=True) if a) * years * (1 - f)
    # total calls unchanged, the ambulance calls' uncovered share beyond (Poisson, 4 sd)
    assert abs(len(inc) - total) < 4 * np.sqrt(total)
    assert abs(inc.beyond.sum() - beyond) < 4 * np.sqrt(beyond)
    assert amb[inc.type_idx[inc.beyond]].all()
    assert (inc.node[inc.beyond] == -1).all() and (inc.centre[inc.beyond] == 0).all()
    # beyond the extract means east of the roads: in the kernel's cells 187.5 m east or more
    east = (inc.lon[inc.beyond] - LON) * np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(LAT))
    assert east.min() >= 187.5 - 93.75 - 1e-6 and east.max() <= SPREAD + 93.75
    # without beyond_extract every call stays on the roads, at the same total
    off = generate_incidents(net, _spec((PLACE,), beyond=False), Streams(11))
    assert not off.beyond.any() and abs(len(off) - total) < 4 * np.sqrt(total)


def test_calls_beyond_the_extract_leave_the_edge_place_s_calls_on_the_roads_unchanged() -> None:
    """A second place wholly beyond the extract adds calls from the keyed sub-streams only."""
    net = _edge_net()
    far = Place("far", "NL", LAT, float(_lon(np.array(6000.0))[()]), 50_000.0)
    a = generate_incidents(net, _spec((PLACE,), beyond=True, horizon_s=60 * 86_400.0), Streams(5))
    b = generate_incidents(net, _spec((PLACE, far), beyond=True, horizon_s=60 * 86_400.0), Streams(5))
    on_a, on_b = ~a.beyond, ~b.beyond
    assert b.beyond.sum() > a.beyond.sum()
    for name in ("t_call", "node", "type_idx", "call_processing", "on_scene", "transport"):
        np.testing.assert_array_equal(getattr(a, name)[on_a], getattr(b, name)[on_b], err_msg=name)
