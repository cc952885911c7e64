"""Incident generation: Poisson counts by hour of week, placement by population, CRN draws."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats as st

from sim.model.agreements import Agreement
from sim.model.defaults import (
    default_hour_of_week,
    default_incident_types,
    default_rates,
    default_turnout,
)
from sim.model.demand import (
    SECONDS_PER_YEAR,
    Demand,
    IncidentLog,
    beyond_places,
    generate_incidents,
    incidents_from_log,
    unit_slots,
)
from sim.model.distributions import Dist
from sim.model.places import Place, place_kernels
from sim.model.spec import ModelSpec
from sim.model.streams import Streams
from sim.model.units import Station, unit_type_names
from sim.roads.network import RoadNetwork, haversine_m


def _grid(n: int = 6) -> RoadNetwork:
    """A grid of n x n nodes 1 km apart, west half BE (centre A), east half NL (centre B)."""
    ii, jj = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    lat = 51.0 + ii.ravel() * 0.009
    lon = 4.0 + jj.ravel() * 0.0143
    idx = np.arange(n * n).reshape(n, n)
    edges = []
    for a, b in [(idx[:, :-1], idx[:, 1:]), (idx[:-1, :], idx[1:, :])]:
        for u, v in zip(a.ravel(), b.ravel(), strict=True):
            edges += [(u, v), (v, u)]
    east = (jj.ravel() >= n // 2).astype(int)
    return RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=np.full(len(edges), 60.0),
                                   node_country=east, node_centre=east, countries=["BE", "NL"],
                                   centres=["A", "B"])


def _spec(places: tuple[Place, ...], *, horizon_s: float, demand: Demand | None = None) -> ModelSpec:
    return ModelSpec(incident_types=default_incident_types(), stations=(), hospitals=(),
                     turnout=default_turnout(), places=places, horizon_s=horizon_s,
                     demand=demand or Demand(default_rates(), default_hour_of_week()))


PLACES = (Place("west", "BE", 51.02, 4.02, 40_000), Place("east", "NL", 51.02, 4.06, 20_000),
          Place("far", "NL", 52.5, 6.0, 90_000))


def test_counts_match_rates_and_far_places_are_dropped() -> None:
    net = _grid()
    spec = _spec(PLACES, horizon_s=28 * 86_400.0)
    inc = generate_incidents(net, spec, Streams(1))
    assert inc.dropped == ("far",)
    rates = default_rates()
    per_year = sum(rates["BE"].values()) * 40 + sum(rates["NL"].values()) * 20
    expect = per_year * 28 * 86_400 / SECONDS_PER_YEAR
    # Poisson: the count lies within 4 standard deviations of its mean
    assert abs(len(inc) - expect) < 4 * np.sqrt(expect)
    assert np.all(np.diff(inc.t_call) >= 0) and inc.t_call.max() < spec.horizon_s
    # the incident's country is that of its node (jurisdiction)
    np.testing.assert_array_equal(inc.country, net.node_country[inc.node])
    np.testing.assert_array_equal(inc.centre, net.node_centre[inc.node])


def test_hour_of_week_profile_shapes_arrivals() -> None:
    net = _grid()
    prof = tuple([0.0] * 12 + [1.0] * 12) * 7  # no calls before noon
    spec = _spec(PLACES[:1], horizon_s=14 * 86_400.0,
                 demand=Demand(default_rates(), prof))
    inc = generate_incidents(net, spec, Streams(2))
    hours = (inc.t_call / 3600.0) % 24
    assert len(inc) > 50 and hours.min() >= 12.0  # about 83 expected: the profile keeps the mean


def test_types_follow_rates_chi_square() -> None:
    net = _grid()
    spec = _spec(PLACES[:1], horizon_s=120 * 86_400.0)
    inc = generate_incidents(net, spec, Streams(3))
    r = default_rates()["BE"]
    names = inc.type_names
    p = np.array([r[n] for n in names]) / sum(r.values())
    obs = np.bincount(inc.type_idx, minlength=len(names))
    keep = p > 0
    assert obs[~keep].sum() == 0
    chi = st.chisquare(obs[keep], p[keep] * obs.sum())
    assert chi.pvalue > 1e-4


def test_places_split_by_population_and_spread_over_nearby_nodes() -> None:
    net = _grid()
    places = (Place("a", "BE", 51.0, 4.0, 30_000), Place("b", "BE", 51.045, 4.0, 10_000))
    spec = _spec(places, horizon_s=60 * 86_400.0,
                 demand=Demand(default_rates(), spread_m=1200.0))
    inc = generate_incidents(net, spec, Streams(4))
    kept, off, nodes, _ = place_kernels(net, places, spread_m=1200.0, max_distance_m=3000.0)
    assert kept.all()
    own_a, own_b = set(nodes[off[0]:off[1]].tolist()), set(nodes[off[1]:off[2]].tolist())
    assert own_a == {0, 1, 6}  # the corner node and its two neighbours 1 km away (7 is 1.41 km)
    assert own_b == {30, 31, 24}  # the other corner of the west column
    at_a = np.isin(inc.node, sorted(own_a))
    assert set(inc.node.tolist()) == own_a | own_b
    assert abs(at_a.mean() - 0.75) < 4 * np.sqrt(0.75 * 0.25 / len(inc))
    # the nearest node gets the most incidents (Gaussian kernel)
    assert np.bincount(inc.node[at_a]).argmax() == 0


def test_draws_are_shaped_per_slot_and_common_across_variants() -> None:
    net = _grid()
    spec = _spec(PLACES[:2], horizon_s=20 * 86_400.0)
    ag = Agreement("x", ("BE", "NL"), ("ambulance",))
    spec2 = ModelSpec(**{**spec.__dict__, "agreements": (ag,)})
    a, b = generate_incidents(net, spec, Streams(9)), generate_incidents(net, spec2, Streams(9))
    for name in ("t_call", "node", "type_idx", "call_processing", "on_scene", "turnout_day", "handover",
                 "transport", "slot_active"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert "x" in b.request_delay and "x" not in a.request_delay
    types = spec.incident_types
    fire = [t.name for t in types].index("structure_fire")
    rows = inc_rows = np.flatnonzero(a.type_idx == fire)
    assert len(inc_rows) > 0
    names = unit_type_names()
    assert [names[k] for k in a.slot_type[rows[0]] if k >= 0] == [u for u, _ in unit_slots(types[fire])]
    # optional SMUR at road collisions: about 30 % of them
    rc = np.flatnonzero(a.type_idx == [t.name for t in types].index("road_collision"))
    rc_type = types[[t.name for t in types].index("road_collision")]
    smur_slot = [u for u, _ in unit_slots(rc_type)].index("smur")
    share = a.slot_active[rc, smur_slot].mean()
    assert abs(share - 0.3) < 4 * np.sqrt(0.21 / len(rc)) + 1e-9
    # on-scene draws are finite exactly on used slots
    assert np.all(np.isfinite(a.on_scene[a.slot_type >= 0]))
    assert np.all(np.isnan(a.on_scene[a.slot_type < 0]))


def test_replay_log() -> None:
    net = _grid()
    spec = _spec((), horizon_s=86_400.0)
    log = IncidentLog(t_s=(500.0, 100.0, 90_000.0, 200.0), lat=(51.0, 51.02, 51.0, 55.0),
                      lon=(4.0, 4.03, 4.0, 4.0), type=("medical_urgent", "structure_fire",
                                                      "medical_urgent", "medical_urgent"))
    inc = incidents_from_log(net, log, spec, Streams(1))
    np.testing.assert_array_equal(inc.t_call, [100.0, 500.0])
    assert inc.node[1] == 0 and [inc.type_names[k] for k in inc.type_idx] == ["structure_fire",
                                                                              "medical_urgent"]
    assert inc.dropped == ("log row 2", "log row 3")
    with pytest.raises(ValueError, match="unknown incident types: nope"):
        incidents_from_log(net, IncidentLog((1.0,), (51.0,), (4.0,), ("nope",)), spec, Streams(1))


# ---------------------------------------------------------------------------- demand stays home
def test_a_place_spreads_its_calls_over_nodes_of_its_own_country_only() -> None:
    net = _grid()  # BE west of 4.036, NL east of it (nodes 1 km apart)
    # at the border: 0.5 km from the first NL column, 0.8 km from the last BE one
    border = (Place("be", "BE", 51.02, 4.036, 30_000), Place("nl", "NL", 51.02, 4.036, 30_000))
    kept, off, nodes, _ = place_kernels(net, border, spread_m=1500.0, max_distance_m=3000.0)
    assert kept.all()
    be, nl = nodes[off[0]:off[1]], nodes[off[1]:off[2]]
    assert len(be) and len(nl) and set(be.tolist()).isdisjoint(nl.tolist())
    assert (net.node_country[be] == 0).all() and (net.node_country[nl] == 1).all()
    inc = generate_incidents(net, _spec(border, horizon_s=30 * 86_400.0), Streams(6))
    assert set(inc.node.tolist()) == set(be.tolist()) | set(nl.tolist())
    # each country's calls in that country: BE calls at BE's rates, NL calls at NL's
    rates = default_rates()
    n_nl = int(np.sum(inc.country == 1))
    expect_nl = sum(rates["NL"].values()) * 30 * 30 * 86_400 / SECONDS_PER_YEAR
    assert abs(n_nl - expect_nl) < 4 * np.sqrt(expect_nl)
    # a place whose nearest road of its own country is too far generates nothing, even though a
    # foreign road passes by: it lies beyond the extract
    west_nl = (Place("nl-in-the-west", "NL", 51.02, 4.0, 10_000),)
    kept, _, _, _ = place_kernels(net, west_nl, spread_m=1500.0, max_distance_m=2000.0)
    assert not kept.any()
    assert generate_incidents(net, _spec(west_nl, horizon_s=86_400.0,
                                         demand=Demand(default_rates(), max_place_distance_m=2000.0)),
                              Streams(6)).dropped == ("nl-in-the-west",)


def _beyond_spec(stations: tuple[Station, ...], *, radius_m: float | None, spread_m: float = 1500.0,
                 horizon_s: float = 60 * 86_400.0) -> ModelSpec:
    # "west" and "east" on the grid; "far" 30 km east of it (NL): beyond the extract
    places = (*PLACES[:2], Place("far", "NL", 51.02, 4.5, 50_000), Place("farther", "NL", 51.02, 5.5, 50_000))
    return replace(_spec(places, horizon_s=horizon_s,
                         demand=Demand(default_rates(), default_hour_of_week(), spread_m=spread_m,
                                       beyond_radius_m=radius_m)),
                   stations=stations)


AMB_NL = Station("amb", 51.0, 4.45, "NL", "B", {"ambulance": 1})
FIRE_NL = Station("fire", 51.0, 4.06, "NL", "B", {"pumper": 1})


def test_places_beyond_the_extract_generate_the_calls_their_posts_answer() -> None:
    net = _grid()
    spec = _beyond_spec((AMB_NL, FIRE_NL), radius_m=10_000.0)
    types, centre, _ = beyond_places(net, spec)
    names = [t.name for t in spec.incident_types]
    primary_amb = np.array([t.primary == "ambulance" for t in spec.incident_types])
    # "far": 4 km from the ambulance post, 30 km from the fire post: its ambulance calls only
    np.testing.assert_array_equal(types[2], primary_amb)
    assert not types[:2].any() and not types[3].any()  # on the network; no post within 10 km
    assert centre.tolist() == [-1, -1, 1, -1]  # the centre of the nearest NL node
    inc = generate_incidents(net, spec, Streams(7))
    b = inc.beyond
    assert b.any() and inc.dropped == ("farther",)
    assert (inc.node[b] == -1).all() and (inc.node[~b] >= 0).all()
    assert (inc.country[b] == 1).all() and (inc.centre[b] == 1).all()
    assert set(np.asarray(names)[inc.type_idx[b]]) <= set(np.asarray(names)[primary_amb])
    # at the place's rates, about where the place is (within the spread)
    expect = sum(default_rates()["NL"][n] for n in np.asarray(names)[primary_amb]) * 50 * 60 / 365.0
    assert abs(b.sum() - expect) < 4 * np.sqrt(expect)
    d = haversine_m(51.02, 4.5, inc.lat[b], inc.lon[b])
    assert d.max() <= 1500.0 + 1e-6 and d.mean() > 500.0
    assert np.all(np.diff(inc.t_call) >= 0)
    # a radius per unit type: the fire post 30 km away now counts, the ambulance post 4 km away not
    per_unit = replace(spec, demand=replace(spec.demand, beyond_unit_radius_m={"ambulance": 3000.0,
                                                                             "pumper": 40_000.0}))
    types, _, _ = beyond_places(net, per_unit)
    primary_fire = np.array([t.primary == "pumper" for t in spec.incident_types])
    assert primary_fire.any()
    np.testing.assert_array_equal(types[2], primary_fire)


def test_calls_beyond_the_extract_leave_the_other_calls_unchanged() -> None:
    """Beyond the extract calls come from their own sub-streams (CRN): turning them on leaves every
    draw of the other calls as it was, request delays included."""
    net = _grid()
    ag = Agreement("x", ("BE", "NL"), ("ambulance",), request_delay=Dist.exponential(90.0))
    off = replace(_beyond_spec((AMB_NL,), radius_m=None), agreements=(ag,))
    on = replace(_beyond_spec((AMB_NL,), radius_m=10_000.0), agreements=(ag,))
    a, b = generate_incidents(net, off, Streams(8)), generate_incidents(net, on, Streams(8))
    assert not a.beyond.any() and b.beyond.any()
    keep = ~b.beyond
    for name in ("t_call", "node", "type_idx", "country", "centre", "call_processing", "on_scene",
                 "turnout_day", "turnout_night", "handover", "transport", "slot_active"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name)[keep], err_msg=name)
    np.testing.assert_array_equal(a.request_delay["x"], b.request_delay["x"][keep])
    assert (b.request_delay["x"][b.beyond] == 0).all()
