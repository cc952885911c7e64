"""Core pieces every layer relies on: csgraph travel times, distributions, intervals."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from scipy import stats as st

from sim.analysis.stats import mean_ci, paired_diff_ci, wilson_ci
from sim.model.distributions import Dist
from sim.roads.network import RoadNetwork, haversine_m


def _random_network(seed: int, n: int = 60, m: int = 240) -> tuple[RoadNetwork, nx.MultiDiGraph]:
    rng = np.random.default_rng(seed)
    lat, lon = 51 + rng.random(n) * 0.1, 4.9 + rng.random(n) * 0.1
    edges = rng.integers(0, n, size=(m, 2))
    times = rng.uniform(1.0, 100.0, m)
    net = RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=times)
    g = nx.MultiDiGraph()
    g.add_nodes_from(range(n))
    for (u, v), t in zip(edges, times, strict=True):
        g.add_edge(int(u), int(v), t=float(t))
    return net, g


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_times_from_and_to_equal_networkx(seed: int) -> None:
    net, g = _random_network(seed)
    fwd = net.times_from(np.arange(net.n_nodes))
    back = net.times_to(np.arange(net.n_nodes))
    for s in range(net.n_nodes):
        dist = nx.single_source_dijkstra_path_length(g, s, weight="t")
        row = np.full(net.n_nodes, np.inf)
        for k, v in dist.items():
            row[k] = v
        np.testing.assert_allclose(fwd[s], row, rtol=0, atol=1e-9)
        np.testing.assert_allclose(back[:, s], row, rtol=0, atol=1e-9)  # t(s -> x) seen from x


def test_parallel_edges_keep_the_fastest_and_route_walks_them() -> None:
    net = RoadNetwork.from_arrays(
        lat=[0, 0, 0], lon=[0, 0.01, 0.02], edges=[[0, 1], [0, 1], [1, 2], [2, 0]],
        times_s=[10, 4, 5, 7], lengths_m=[100, 400, 50, 300],
    )
    t, length, path = net.route(0, 2)
    assert (t, length, path) == (9.0, 450.0, [0, 1, 2])
    d, hop = net.times_to([0], return_next_hop=True)
    assert d[0].tolist() == [0.0, 12.0, 7.0]
    assert hop[0, 1] == 2 and hop[0, 2] == 0  # from 1 the route to 0 goes through 2


def test_nearest_nodes_and_haversine() -> None:
    net = RoadNetwork.from_arrays(lat=[51.0, 51.0, 51.1], lon=[4.0, 4.1, 4.0], edges=[[0, 1]],
                                  times_s=[1.0])
    idx, dist = net.nearest_nodes([51.0001, 51.099], [4.0999, 4.0])
    assert idx.tolist() == [1, 2]
    # one degree of latitude is about 111.2 km
    assert haversine_m(51.0, 4.0, 52.0, 4.0) == pytest.approx(111_195, rel=1e-3)
    assert dist[1] == pytest.approx(111.2, rel=1e-2)


@pytest.mark.parametrize(
    "dist",
    [Dist.exponential(720), Dist.lognormal(1800, 900), Dist("weibull", shape=1.5, scale=1080),
     Dist("gamma", mean=100, sd=50), Dist("uniform", low=60, high=180),
     Dist("triangular", low=0, mode=60, high=300)],
)
def test_distribution_sample_mean_matches_expected(dist: Dist) -> None:
    x = dist.sample(np.random.default_rng(7), 200_000)
    assert np.all(x >= 0)
    # 6 standard errors: fails only if the sampler is wrong
    se = x.std() / np.sqrt(len(x))
    assert abs(x.mean() - dist.expected()) < 6 * se


def test_cap_bounds_samples() -> None:
    x = Dist.lognormal(1800, 1800, cap=5280).sample(np.random.default_rng(1), 10_000)
    assert x.max() == 5280


def test_mean_ci_matches_scipy_and_covers() -> None:
    x = np.array([3.0, 5.0, 4.0, 6.0, 2.0])
    ci = mean_ci(x)
    lo, hi = st.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=st.sem(x))
    assert (ci.low, ci.high) == pytest.approx((lo, hi))
    d = paired_diff_ci(x, x - 1.0)
    assert d.estimate == pytest.approx(-1.0) and d.low == pytest.approx(-1.0)


def test_wilson_interval_known_value() -> None:
    # Wilson 95 % interval for 8 of 10 (Newcombe 1998 worked values): 0.490 to 0.943
    ci = wilson_ci(8, 10)
    assert ci.low == pytest.approx(0.4902, abs=1e-3) and ci.high == pytest.approx(0.9433, abs=1e-3)


def test_night_hours_wrap_midnight_or_not_and_the_compiled_rule_agrees() -> None:
    from sim.engine import _core
    from sim.model.units import Turnout, is_night

    day, night = Dist.fixed(60.0), Dist.fixed(90.0)
    wrapped = Turnout(day=day, night=night, night_start_hour=23.0, night_end_hour=7.0)
    early = Turnout(day=day, night=night, night_start_hour=0.0, night_end_hour=6.0)
    hour = 3600.0
    assert wrapped.at(23.5 * hour) is night and wrapped.at(2 * hour) is night
    assert wrapped.at(7 * hour) is day and wrapped.at(12 * hour) is day
    assert early.at(3 * hour) is night and early.at(27 * hour) is night
    assert early.at(6 * hour) is day and early.at(23.5 * hour) is day and early.at(24 * hour) is night
    assert not any(is_night(t * hour, 5.0, 5.0) for t in range(24))
    # the engine compiles this same function: both give the same answer
    for start, end in ((23.0, 7.0), (0.0, 6.0), (5.0, 5.0), (22.5, 22.75)):
        for t in np.linspace(0.0, 3 * 86_400.0, 977):
            assert _core._is_night(float(t), start, end) == is_night(float(t), start, end)
