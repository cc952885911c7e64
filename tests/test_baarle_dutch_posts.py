"""The Dutch ambulance posts of the default study reach Baarle-Nassau by the roads they would take.

The posts lie beyond the road extract (Dutch roads only in a margin) and reach it through entry
points. Each post's normal driving time to Baarle-Nassau (its legs plus the network) is checked
against a hand computation of the same trip: the provincial road the post takes (wegenwiki.nl N260:
Tilburg - Alphen - Baarle-Nassau; alphen-chaam.nl N639: A58 at Ulvenhout - Chaam - Baarle-Nassau),
its length the polyline through the towns it passes (GeoNames positions) × 1.2 for the road's bends
and the way out of the post, priced at the model's own normal speeds (``min(class, limit) × 0.86``:
rural N260 primary 61 → 52.5 km/h, N639 secondary 50 → 43 km/h, village and town streets
42 → 36 km/h). The band (× 0.8 to × 1.25) covers those estimates, not the speeds: a trip routed the
wrong way (e.g. Ulvenhout → Galder → Belgium → Baarle-Nassau, 48 min) falls far outside it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest

from sim.roads.network import entry_legs, haversine_m, leg_times
from sim.scenario import load_scenario

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "baarle-turnhout.yaml"

BAARLE_NASSAU = (51.4475, 4.92917)
CHAAM = (51.50583, 4.86111)
ALPHEN = (51.48167, 4.95833)
"""GeoNames positions (places.csv of the region)."""

BENDS = 1.2
"""Road length over the polyline through the towns (hand estimate)."""


def _km(*points: tuple[float, float]) -> float:
    return sum(float(haversine_m(*a, *b)) for a, b in itertools.pairwise(points)) / 1000


def _minutes(km_at_kmh: list[tuple[float, float]]) -> float:
    return sum(km / kmh * 60 for km, kmh in km_at_kmh)


def _hand_minutes(post: tuple[float, float], via: tuple[float, float], *, town_km: float,
                  road_kmh: float) -> float:
    """Normal driving minutes: `town_km` of streets at 36 km/h, the rest of the road at `road_kmh`."""
    road = _km(post, via, BAARLE_NASSAU) * BENDS
    return _minutes([(town_km, 42 * 0.86), (road - town_km, road_kmh)])


@pytest.fixture(scope="module")
def case():
    sc = load_scenario(SCENARIO)
    region = sc.load_region()
    spec = sc.model_spec("benelux-2009", region)
    net = region.network
    node, _ = net.snap(*BAARLE_NASSAU)
    return net, {s.name: s for s in spec.stations}, node


HAND = {
    # post: (town on its road, km of village/town streets, model speed of its provincial road, entry)
    "Gilze": (ALPHEN, 2.0, 61 * 0.86, "N260 north of Baarle-Nassau"),
    "Breda-Zuid (Ulvenhout)": (CHAAM, 3.0, 50 * 0.86, "N639 Bredaseweg toward Chaam"),
    "Tilburg-Zuid": (ALPHEN, 4.0, 61 * 0.86, "N260 north of Baarle-Nassau"),
}


@pytest.mark.parametrize("name", list(HAND))
def test_dutch_post_reaches_baarle_nassau_by_its_provincial_road(case, name: str) -> None:
    net, stations, node = case
    st = stations[name]
    via, town_km, road_kmh, entry = HAND[name]
    legs = entry_legs(net, lat=st.lat, lon=st.lon, access=st.off_network, label=name)
    by_leg = {leg.entry_name: float(leg_times(net, [[leg]])[0, node]) for leg in legs}
    best = float(leg_times(net, [legs])[0, node])
    assert best == pytest.approx(min(by_leg.values()), rel=1e-12)
    assert min(by_leg, key=by_leg.__getitem__) == entry, f"{name} should enter at {entry}: {by_leg}"
    hand = _hand_minutes((st.lat, st.lon), via, town_km=town_km, road_kmh=road_kmh)
    assert 0.8 * hand <= best / 60 <= 1.25 * hand, (name, best / 60, hand)


def test_the_n639_leg_is_timed_like_the_network_would_time_that_road(case) -> None:
    # the estimated leg alone (Ulvenhout -> N639 entry) against the same road at the model's speeds
    net, stations, _ = case
    st = stations["Breda-Zuid (Ulvenhout)"]
    (leg,) = [g for g in entry_legs(net, lat=st.lat, lon=st.lon, access=st.off_network)
              if g.entry_name.startswith("N639")]
    entry = (float(net.lat[leg.node]), float(net.lon[leg.node]))
    hand = _minutes([(2.0, 42 * 0.86), (_km((st.lat, st.lon), CHAAM, entry) * BENDS - 2.0, 50 * 0.86)])
    assert leg.estimated and np.isfinite(leg.time_s)
    assert 0.8 * hand <= leg.time_s / 60 <= 1.25 * hand, (leg.time_s / 60, hand)
