"""Coverage: population within reach of stations, nationally and with agreements."""

from __future__ import annotations

import numpy as np
import pytest
from _helpers import exact_driving

from sim.analysis.coverage import coverage, may_serve
from sim.engine import prepare
from sim.model.agreements import Agreement
from sim.model.places import Place, spread_places
from sim.model.spec import ModelSpec
from sim.model.units import OffNetworkAccess, Station
from sim.roads.driving import LIGHTS_AND_SIRENS, DrivingModel
from sim.roads.network import RoadNetwork, access_legs, estimated_leg_s, haversine_m

# a road of 12 nodes, 2 min between neighbours both ways; nodes 0-5 in BE, 6-11 in NL
N = 12
LON = 4.9 + 0.01 * np.arange(N)
NO_FACTOR = exact_driving()


def _line() -> RoadNetwork:
    edges = [(i, i + 1) for i in range(N - 1)] + [(i + 1, i) for i in range(N - 1)]
    return RoadNetwork.from_arrays(
        lat=np.full(N, 51.4), lon=LON, edges=edges, times_s=np.full(len(edges), 120.0),
        node_country=[0] * 6 + [1] * 6, node_centre=[0] * 6 + [1] * 6,
        countries=["BE", "NL"], centres=["112 Antwerpen", "Meldkamer (NL)"],
    )


def _station(name: str, node: int, country: str, centre: str, **kw: object) -> Station:
    return Station(name=name, lat=51.4, lon=float(LON[node]), country=country, dispatch_centre=centre,
                   units={"ambulance": 1}, **kw)  # type: ignore[arg-type]


STATIONS = [_station("Be", 2, "BE", "112 Antwerpen"), _station("Nl", 11, "NL", "Meldkamer (NL)")]
# one place on every node, population 100, 200, ..., 1200
PLACES = [Place(f"p{i}", "BE" if i < 6 else "NL", 51.4, float(LON[i]), 100.0 * (i + 1))
          for i in range(N)]
BENELUX = Agreement(name="Benelux", parties=("BE", "NL"), unit_types=("ambulance",))


def _row(cov, country: str, minutes: float):  # type: ignore[no-untyped-def]
    t = cov.table
    return t[(t.country == country) & (t.threshold_min == minutes)].iloc[0]


def test_agreements_add_the_border_node_that_only_a_foreign_station_reaches() -> None:
    cov = coverage(_line(), STATIONS, PLACES, agreements=[BENELUX], driving=NO_FACTOR, spread_m=1.0)
    # 8 min = 4 hops: BE station (node 2) reaches 0..6, NL station (node 11) reaches 7..11
    assert cov.time_national_s[6] == pytest.approx(600.0)  # from node 11: 5 hops
    assert cov.time_agreements_s[6] == pytest.approx(480.0)  # from node 2 across the border
    nl8 = _row(cov, "NL", 8.0)
    assert nl8.population == pytest.approx(sum(100.0 * (i + 1) for i in range(6, 12)))
    assert nl8.national == pytest.approx(5000.0)  # nodes 7..11
    assert nl8.agreements == pytest.approx(5700.0)  # plus node 6 (700)
    assert nl8.gained == pytest.approx(700.0)
    be8 = _row(cov, "BE", 8.0)
    assert be8.national == be8.agreements == pytest.approx(2100.0)
    # 15 min = 7 hops: everything is covered either way
    nl15 = _row(cov, "NL", 15.0)
    assert nl15.share_national == pytest.approx(1.0) and nl15.share_agreements == pytest.approx(1.0)
    assert cov.node_population.sum() == pytest.approx(7800.0)


def test_emergency_driving_shortens_driving_times() -> None:
    cov = coverage(_line(), STATIONS, PLACES, driving=exact_driving(2.0), spread_m=1.0)
    assert cov.time_national_s[6] == pytest.approx(300.0)
    assert _row(cov, "NL", 8.0).share_national == pytest.approx(1.0)
    # the default model: LIGHTS_AND_SIRENS faster with lights and sirens, plus the start/stop cost
    default = coverage(_line(), STATIONS, PLACES, spread_m=1.0)
    start = DrivingModel().start_stop("ambulance")
    assert default.time_national_s[6] == pytest.approx(600.0 / LIGHTS_AND_SIRENS + start)


def test_one_way_agreement_and_station_list() -> None:
    be_st, nl_st = STATIONS
    nl_helps_be = Agreement(name="x", parties=("NL", "BE"), unit_types=("ambulance",),
                            direction="first_helps_second")
    assert may_serve(nl_st, "BE", "112 Antwerpen", agreements=[nl_helps_be], unit_type="ambulance")
    assert not may_serve(be_st, "NL", "Meldkamer (NL)", agreements=[nl_helps_be],
                         unit_type="ambulance")
    assert not may_serve(nl_st, "BE", "112 Antwerpen", agreements=[nl_helps_be], unit_type="pumper")
    by_centre = Agreement(name="y", parties=("112 Antwerpen", "Meldkamer (NL)"),
                          unit_types=("ambulance",), stations=("Other",))
    assert not may_serve(be_st, "NL", "Meldkamer (NL)", agreements=[by_centre])
    listed = Agreement(name="z", parties=("112 Antwerpen", "Meldkamer (NL)"),
                       unit_types=("ambulance",), stations=("Be",))
    assert may_serve(be_st, "NL", "Meldkamer (NL)", agreements=[listed])
    joint = _station("Baarle", 6, "NL", "Meldkamer (NL)", also_serves=("112 Antwerpen",))
    assert may_serve(joint, "BE", "112 Antwerpen")
    # a one-way agreement in the other direction leaves node 6 uncovered within 8 min
    cov = coverage(_line(), STATIONS, PLACES, agreements=[nl_helps_be], driving=NO_FACTOR,
                   spread_m=1.0)
    assert _row(cov, "NL", 8.0).gained == 0.0


def test_stations_without_the_unit_type_and_off_network_access() -> None:
    fire = Station(name="F", lat=51.4, lon=float(LON[6]), country="NL",
                   dispatch_centre="Meldkamer (NL)", units={"pumper": 2})
    cov = coverage(_line(), [*STATIONS, fire], PLACES, driving=NO_FACTOR, spread_m=1.0)
    assert cov.time_national_s[6] == pytest.approx(600.0)  # the fire station does not count
    far = Station(name="Far", lat=51.5, lon=5.1, country="NL", dispatch_centre="Meldkamer (NL)",
                  units={"ambulance": 1},
                  off_network=OffNetworkAccess(entry_lat=51.4, entry_lon=float(LON[8]),
                                               access_time_s=100.0))
    cov = coverage(_line(), [STATIONS[0], far], PLACES, driving=NO_FACTOR, spread_m=1.0)
    assert cov.time_national_s[8] == pytest.approx(100.0)
    assert cov.time_national_s[6] == pytest.approx(340.0)


def test_an_estimated_access_leg_is_the_engines() -> None:
    """The leg from the station to the entry point's node at the network's own pace, added to the
    network time and sped up with it, exactly as the engine prices the station's units."""
    net = _line()
    # 5.5 km north of the road; the entry point lies about 140 m north of node 8
    entry = OffNetworkAccess(entry_lat=51.4013, entry_lon=float(LON[8]))
    far = Station(name="Far", lat=51.45, lon=float(LON[8]), country="NL", dispatch_centre="Meldkamer (NL)",
                  units={"ambulance": 1}, off_network=entry)
    driving = exact_driving(2.0)
    cov = coverage(net, [far], PLACES, driving=driving, spread_m=1.0)
    (leg,) = access_legs(net, lat=far.lat, lon=far.lon, access=far.off_network)
    assert leg.node == 8
    straight = float(haversine_m(far.lat, far.lon, 51.4, LON[8]))
    assert leg.time_s == estimated_leg_s(net, straight)
    prep = prepare(net, ModelSpec(incident_types=(), stations=(far,), hospitals=(), turnout={},
                                  driving=driving))
    assert cov.time_national_s[8] == leg.time_s / 2.0 == prep.fwd[0, 8] / 2.0
    assert cov.time_national_s[10] == pytest.approx((leg.time_s + 240.0) / 2.0)
    assert np.isinf(cov.time_national_s[:6]).all()  # Belgian nodes: not served nationally


def test_places_spread_over_nearby_nodes_and_far_places_are_unassigned() -> None:
    net = _line()
    places = [Place("mid", "BE", 51.4, float(LON[3]), 1000.0), Place("far", "NL", 52.0, 4.9, 50.0)]
    pi, node, w = spread_places(net, places, spread_m=1500.0, max_distance_m=3000.0)
    assert set(pi.tolist()) == {0}
    assert w.sum() == pytest.approx(1.0)
    assert set(node.tolist()) == {1, 2, 3, 4, 5}  # neighbours 700 m apart, within 1.5 km
    assert w[node == 3][0] == w.max()
    cov = coverage(net, STATIONS, places, driving=NO_FACTOR)
    assert cov.unassigned_population == 50.0
    assert _row(cov, "NL", 15.0).agreements == 0.0
