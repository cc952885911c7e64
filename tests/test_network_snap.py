"""Snapping points to the network, off-network access legs, several entry points."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.units import EntryPoint, OffNetworkAccess
from sim.roads.network import (
    AccessLeg,
    OffNetworkError,
    RoadNetwork,
    access_legs,
    entry_legs,
    estimated_leg_s,
    haversine_m,
    leg_times,
)


@pytest.fixture
def line() -> RoadNetwork:
    # three nodes 0.01° of longitude apart (about 700 m at 51°N), two-way
    return RoadNetwork.from_arrays(lat=[51.0, 51.0, 51.0], lon=[4.0, 4.01, 4.02],
                                   edges=[(0, 1), (1, 0), (1, 2), (2, 1)], times_s=[60.0] * 4,
                                   name="line")


def test_snap_scalar_and_arrays(line) -> None:
    idx, dist = line.snap(51.001, 4.0101)
    assert (idx, type(idx), type(dist)) == (1, int, float)
    assert dist == pytest.approx(float(haversine_m(51.001, 4.0101, 51.0, 4.01)))
    idxs, dists = line.snap([51.0, 51.0], [4.0, 4.019])
    assert idxs.tolist() == [0, 2]
    assert dists[0] == 0.0 and 0 < dists[1] < 100


def test_snap_error_names_the_point(line) -> None:
    with pytest.raises(OffNetworkError) as err:
        line.snap(51.05, 4.01, labels="Post Breda-Noord")
    msg = str(err.value)
    assert "Post Breda-Noord (51.05000, 4.01000)" in msg
    assert "5,560 m" in msg and "limit 1,000 m" in msg and "'line'" in msg


def test_snap_error_with_several_points_names_the_first_far_one(line) -> None:
    with pytest.raises(OffNetworkError, match=r"b \(51\.10000.*and 1 more point"):
        line.snap([51.0, 51.1, 51.2], [4.0, 4.0, 4.0], labels=["a", "b", "c"])


def test_snap_limit_is_configurable(line) -> None:
    idx, dist = line.snap(51.02, 4.0, max_distance_m=3000)
    assert idx == 0 and 2000 < dist < 3000
    with pytest.raises(OffNetworkError, match="limit 100 m"):
        line.snap(51.002, 4.0, max_distance_m=100)


def test_off_network_error_is_a_value_error(line) -> None:
    with pytest.raises(ValueError):
        line.snap(52.0, 4.0)


def test_access_leg_estimated_from_distance(line) -> None:
    acc = OffNetworkAccess(entry_lat=51.0, entry_lon=4.0201, entry_name="N12 border",
                           detour_factor=1.4, speed_kmh=60.0)
    (leg,) = access_legs(line, lat=51.0, lon=4.1, access=acc)
    straight = float(haversine_m(51.0, 4.1, 51.0, 4.02))
    assert isinstance(leg, AccessLeg)
    assert leg.node == 2 and leg.entry_name == "N12 border" and leg.estimated
    assert leg.distance_m == pytest.approx(straight * 1.4)
    assert leg.time_s == pytest.approx(straight * 1.4 / (60 / 3.6))


def test_access_leg_without_a_speed_goes_at_the_networks_pace(line) -> None:
    acc = OffNetworkAccess(entry_lat=51.0, entry_lon=4.0201)
    (leg,) = access_legs(line, lat=51.0, lon=4.1, access=acc)
    straight = float(haversine_m(51.0, 4.1, 51.0, 4.02))
    assert leg.time_s == pytest.approx(estimated_leg_s(line, straight))
    # the line's own routes: 60 s per 700 m hop, so about 11.6 km/h in a straight line
    pace = line.leg_pace
    assert pace.pace_s_per_m[0] == pytest.approx(60.0 / float(haversine_m(51.0, 4.0, 51.0, 4.01)), rel=1e-6)
    assert leg.time_s == pytest.approx(straight * pace.pace_s_per_m[0])


def test_access_leg_with_given_time(line) -> None:
    acc = OffNetworkAccess(entry_lat=51.0, entry_lon=4.0, entry_name="E19", access_time_s=420.0)
    (leg,) = access_legs(line, lat=51.0, lon=3.9, access=acc)
    assert leg.node == 0 and leg.time_s == 420.0 and leg.estimated


def test_access_leg_entry_off_network_is_an_error(line) -> None:
    acc = OffNetworkAccess(entry_lat=51.5, entry_lon=4.0, entry_name="nowhere road")
    with pytest.raises(OffNetworkError, match="nowhere road"):
        access_legs(line, lat=51.6, lon=4.0, access=acc)


def test_a_base_with_two_entries_uses_the_fastest_for_each_node(line) -> None:
    acc = OffNetworkAccess(entry_lat=51.0, entry_lon=4.0, entry_name="west", access_time_s=100.0,
                           more_entries=(EntryPoint(51.0, 4.02, "east", 130.0),))
    legs = entry_legs(line, lat=51.1, lon=4.01, access=acc)
    assert [(leg.node, leg.time_s, leg.entry_name) for leg in legs] == [(0, 100.0, "west"),
                                                                        (2, 130.0, "east")]
    on = entry_legs(line, lat=51.0, lon=4.0)
    fwd, pred = leg_times(line, [legs, on], predecessors=True)
    # west: 100, 160, 220; east: 250, 190, 130 -> 100, 160, 130
    np.testing.assert_array_equal(fwd[0], [100.0, 160.0, 130.0])
    np.testing.assert_array_equal(fwd[1], [0.0, 60.0, 120.0])
    np.testing.assert_array_equal(pred[0], [-9999, 0, -9999])  # node 2 is reached from the east entry
    rev, nxt = leg_times(line, [legs], reverse=True, predecessors=True)
    np.testing.assert_array_equal(rev[0], [100.0, 160.0, 130.0])
    np.testing.assert_array_equal(nxt[0], [-9999, 0, -9999])  # leave by the nearer entry
    assert np.array_equal(leg_times(line, [legs]), fwd[:1])
    limited = leg_times(line, [legs], limit=120.0)
    np.testing.assert_array_equal(limited[0], [100.0, np.inf, np.inf])


def test_dutch_post_reaches_baarle_through_a_border_road(baarle_region) -> None:
    net = baarle_region.network
    post = next(p for p in baarle_region.ambulance_posts if "Tilburg" in p.name or "Goirle" in p.name)
    with pytest.raises(OffNetworkError, match=post.name.split(" ")[0]):
        net.snap(post.lat, post.lon, labels=post.name)
    # enter at the N639 into Baarle-Nassau from the north-west (a Dutch node in the extract)
    acc = OffNetworkAccess(entry_lat=51.4455, entry_lon=4.9270, entry_name="Baarle-Nassau north")
    (leg,) = access_legs(net, lat=post.lat, lon=post.lon, access=acc)
    assert net.country_of([leg.node]) == ["NL"]
    assert 5 * 60 < leg.time_s < 60 * 60 and leg.estimated
    assert np.isfinite(net.times_from([leg.node])).all()
