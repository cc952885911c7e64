"""Incident generation: Poisson counts by hour of week, placement by population, CRN draws."""

from __future__ import annotations

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
    Place,
    generate_incidents,
    incidents_from_log,
    place_kernels,
    unit_slots,
)
from sim.model.spec import ModelSpec
from sim.model.streams import Streams
from sim.model.units import unit_type_names
from sim.roads.network import RoadNetwork


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
