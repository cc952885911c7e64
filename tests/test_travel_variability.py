"""Trip-to-trip variability of the leg to the scene: a lognormal factor with median 1 per unit slot.

The dispatcher chooses on expected times; the leg actually driven is the expected one × a factor
drawn per incident slot from the stream ``travel``. With ``variability`` 0 (the default) every leg
takes exactly its expected time (the exact-event-log and Erlang C tests rely on it); with it on,
realised over expected legs have median 1 and the coefficient of variation of
:func:`sim.roads.driving.travel_cv`, and two variants see the same draws (common random numbers).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from _helpers import exact_driving

from sim.engine import simulate
from sim.model.agreements import DispatchPolicy
from sim.model.demand import IncidentLog, IncidentType
from sim.model.distributions import Dist
from sim.model.spec import ModelSpec
from sim.model.streams import STREAM_NAMES
from sim.model.units import Station, Turnout
from sim.roads.driving import VARIABILITY_MIN_S, DrivingModel, travel_cv, travel_factor
from sim.roads.network import RoadNetwork

LON = [4.0, 4.01, 4.02, 4.04, 4.07, 4.12]
"""Six nodes in a row; from node 0 the legs take 60, 180, 420, 900 and 1860 s (1 to 31 min)."""


def _row() -> RoadNetwork:
    times = [60, 120, 240, 480, 960]
    edges = [(a, a + 1) for a in range(5)] + [(a + 1, a) for a in range(5)]
    return RoadNetwork.from_arrays(lat=[51.0] * 6, lon=LON, edges=edges, times_s=times + times)


def _spec(variability: float, *, base: int = 0, n: int = 3000) -> ModelSpec:
    """`n` calls, one every 3 hours, spread over nodes 1-5: every unit is back at `base` (ten
    ambulances there) before the next call, so every leg starts there."""
    nodes = [1 + k % 5 for k in range(n)]
    fixed = Dist.fixed
    return ModelSpec(
        incident_types=(IncidentType("a", 1, {"ambulance": 1}, {"ambulance": fixed(600)}),),
        stations=(Station("base", 51.0, LON[base], "XX", "centre", {"ambulance": 10}),),
        hospitals=(), turnout={"ambulance": Turnout(day=fixed(0))},
        driving=replace(exact_driving(), variability=variability),
        policy=DispatchPolicy(call_processing=fixed(0)), horizon_s=10_800.0 * (n + 1),
        incident_log=IncidentLog(t_s=tuple(10_800.0 * k for k in range(n)), lat=(51.0,) * n,
                                 lon=tuple(LON[x] for x in nodes), type=("a",) * n),
    )


def _legs(variability: float, **kw: int) -> pd.Series:
    m = simulate(_row(), _spec(variability, **kw), seed=7).missions
    assert not np.asarray(m["from_returning"]).any()  # every leg from the base
    return pd.Series(np.asarray(m["travel_s"], float), index=np.asarray(m["incident_id"], int))


def _z(realised: pd.Series, expected: pd.Series, variability: float) -> np.ndarray:
    """The standard normal draw behind each realised leg."""
    sigma = np.array([math.sqrt(math.log1p(travel_cv(variability, t) ** 2)) for t in expected])
    return np.log(realised.to_numpy() / expected.to_numpy()) / sigma


def test_the_factor_has_median_one_and_the_coefficient_of_variation_of_its_leg() -> None:
    assert travel_cv(0.25, 600.0) == pytest.approx(0.25)
    assert travel_cv(0.25, 2400.0) == pytest.approx(0.125)  # a four times longer leg: half the CV
    assert travel_cv(0.25, 10.0) == travel_cv(0.25, VARIABILITY_MIN_S) == pytest.approx(0.5)
    assert travel_cv(0.0, 300.0) == 0.0 and travel_factor(0.0, 1.7) == 1.0
    assert travel_factor(0.4, 0.0) == 1.0  # the median
    z = np.random.default_rng(1).standard_normal(400_000)
    f = np.array([travel_factor(0.4, x) for x in z[:2000]])
    assert np.all(f > 0)
    f = np.exp(math.sqrt(math.log1p(0.4**2)) * z)  # the same formula, vectorised
    assert float(np.std(f) / np.mean(f)) == pytest.approx(0.4, rel=0.02)
    assert travel_factor(0.4, 1.3) == pytest.approx(math.exp(math.sqrt(math.log1p(0.16)) * 1.3))
    with pytest.raises(ValueError, match="variability"):
        DrivingModel(variability=-0.1)
    assert DrivingModel().variability == 0.0 and STREAM_NAMES[-1] == "travel"


def test_with_variability_zero_every_leg_takes_its_expected_time() -> None:
    legs = _legs(0.0, n=50)
    # node 1..5 from node 0: 60, 180, 420, 900, 1860 s with lights and sirens at x 1
    assert legs.to_numpy().tolist() == [[60.0, 180.0, 420.0, 900.0, 1860.0][k % 5] for k in range(50)]


def test_realised_legs_have_median_one_and_the_spread_of_their_length() -> None:
    v = 0.25
    expected, realised = _legs(0.0), _legs(v)
    assert list(expected.index) == list(realised.index)  # the same calls, all from the base
    ratio = realised / expected
    assert float(np.median(ratio)) == pytest.approx(1.0, abs=0.02)
    z = _z(realised, expected, v)
    assert abs(float(np.mean(z))) < 0.06 and float(np.std(z)) == pytest.approx(1.0, abs=0.05)
    # per leg length: the spread of the factor is the coefficient of variation of that length
    for t in (60.0, 180.0, 420.0, 900.0, 1860.0):
        r = ratio[expected == t].to_numpy()
        assert float(np.std(r) / np.mean(r)) == pytest.approx(travel_cv(v, t), rel=0.12), t
    # the dispatcher's choice does not see the draw: the same unit type, base and call order
    assert (realised > 0).all()


def test_both_arms_of_a_comparison_see_the_same_draws() -> None:
    v = 0.3
    near = _z(_legs(v, n=500), _legs(0.0, n=500), v)
    far_exp = _legs(0.0, base=4, n=500)  # the base elsewhere: other expected legs, one of 0 s
    far = _z(_legs(v, base=4, n=500)[far_exp > 0], far_exp[far_exp > 0], v)
    assert len(far) == 400 and not np.allclose(far_exp.to_numpy()[:5], [60, 180, 420, 900, 1860])
    np.testing.assert_allclose(near[(far_exp > 0).to_numpy()], far, rtol=1e-9, atol=1e-9)
    assert float(np.std(near)) > 0.5  # and they do vary
