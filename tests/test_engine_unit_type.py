"""The recipe "add a unit type", followed: a row in ``sim.model.units.UNIT_TYPES`` and nothing else.

A test-only ``boat`` (fire service) is registered through :func:`register_unit_type`; a station holds
one, an incident type needs one, and the run's records carry its exact times, an ``rt_boat_s``
column and its missions. Whether it takes patients to hospital follows ``UnitType.transports``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pytest

import sim.engine
from sim.engine import incident_columns, simulate
from sim.model.agreements import DispatchPolicy
from sim.model.defaults import default_turnout
from sim.model.demand import IncidentLog, IncidentType
from sim.model.distributions import Dist
from sim.model.spec import ModelSpec
from sim.model.units import (
    UNIT_TYPES,
    Hospital,
    Station,
    Turnout,
    UnitType,
    register_unit_type,
    unregister_unit_type,
)
from sim.roads.driving import DrivingModel
from sim.roads.network import RoadNetwork

fixed = Dist.fixed


@pytest.fixture
def register_boat() -> Iterator[Callable[[bool], UnitType]]:
    """Registers the test-only ``boat`` type (transporting patients or not); removed afterwards."""

    def register(transports: bool) -> UnitType:
        boat = UnitType("boat", "fire", Turnout(day=fixed(45.0)), transports=transports,
                        description="water rescue boat (test only)")
        register_unit_type(boat)
        return boat

    yield register
    if "boat" in UNIT_TYPES:
        unregister_unit_type("boat")


def _line() -> RoadNetwork:
    # 0 -100 s- 1 -200 s- 2 -300 s- 3, both ways
    lat, lon = [51.0, 51.0, 51.0, 51.0], [4.0, 4.01, 4.03, 4.06]
    edges = [(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)]
    return RoadNetwork.from_arrays(lat=lat, lon=lon, edges=edges, times_s=[100, 100, 200, 200, 300, 300])


def _spec() -> ModelSpec:
    types = (
        IncidentType("water_rescue", 1, {"boat": 1}, {"boat": fixed(900)}, transport_share=1.0,
                     handover=fixed(300)),
        IncidentType("medical", 1, {"ambulance": 1}, {"ambulance": fixed(600)}, transport_share=1.0,
                     handover=fixed(300)),
    )
    return ModelSpec(
        incident_types=types,
        stations=(Station("harbour", 51.0, 4.0, "XX", "centre", {"boat": 1, "ambulance": 1}),),
        hospitals=(Hospital("hosp", "XX", 51.0, 4.06),),
        turnout={"boat": Turnout(day=fixed(45.0)), "ambulance": Turnout(day=fixed(30))},
        policy=DispatchPolicy(call_processing=fixed(60)),
        driving=DrivingModel(lights_and_sirens=2.0, relative_speed={},
                             start_stop_s={"boat": 0.0, "ambulance": 0.0}),
        horizon_s=10_000.0,
        incident_log=IncidentLog(t_s=(0.0, 5000.0), lat=(51.0, 51.0), lon=(4.03, 4.01),
                                 type=("water_rescue", "medical")),
    )


@pytest.mark.parametrize("transports", [False, True])
def test_a_registered_unit_type_runs_with_exact_times(register_boat: Callable[[bool], UnitType],
                                                      transports: bool) -> None:
    register_boat(transports)
    assert default_turnout()["boat"].day == fixed(45.0)  # the defaults read the table too
    r = simulate(_line(), _spec(), seed=0)
    i, m, u = r.incidents, r.missions, r.units
    assert list(i) == list(incident_columns()) == list(sim.engine.INCIDENT_COLUMNS)
    assert list(i)[11:16] == ["rt_ambulance_s", "rt_smur_s", "rt_pumper_s", "rt_ladder_s", "rt_boat_s"]
    # water rescue at node 2: alert 60, turnout 45, 300 s x 0.5, 900 s on scene (leaves at 1155).
    # Medical call at node 1 at 5000: alert 5060, turnout 30, 100 s x 0.5, 600 s on scene, then the
    # ambulance drives 1 -> 3 (500 s x 0.5) to the hospital, 300 s handover, 600 s back home.
    np.testing.assert_array_equal(m["unit_id"], ["harbour/boat/1", "harbour/ambulance/1"])
    np.testing.assert_array_equal(m["unit_type"], ["boat", "ambulance"])
    np.testing.assert_array_equal(m["t_alert_s"], [60, 5060])
    np.testing.assert_array_equal(m["t_depart_s"], [105, 5090])
    np.testing.assert_array_equal(m["t_arrive_s"], [255, 5140])
    np.testing.assert_array_equal(m["t_leave_scene_s"], [1155, 5740])
    if transports:  # the boat takes the patient 2 -> 3 (300 s x 0.5), hands over, drives 3 -> 0
        np.testing.assert_array_equal(m["t_hospital_s"], [1305, 5990])
        np.testing.assert_array_equal(m["hospital"], ["hosp", "hosp"])
        np.testing.assert_array_equal(m["t_free_s"], [1605, 6290])
        np.testing.assert_array_equal(m["t_base_s"], [2205, 6890])
    else:  # the patient is left for another transport: the boat drives 2 -> 0 (300 s)
        np.testing.assert_array_equal(m["t_hospital_s"], [np.nan, 5990])
        np.testing.assert_array_equal(m["hospital"], ["", "hosp"])
        np.testing.assert_array_equal(m["t_free_s"], [1155, 6290])
        np.testing.assert_array_equal(m["t_base_s"], [1455, 6890])
    np.testing.assert_array_equal(i["rt_boat_s"], [255, np.nan])
    np.testing.assert_array_equal(i["rt_ambulance_s"], [np.nan, 140])
    np.testing.assert_array_equal(i["response_time_s"], [255, 140])
    assert i["served"].all()
    np.testing.assert_array_equal(u["unit_type"], ["boat", "ambulance"])
    busy_boat = (1605 if transports else 1155) - 60  # busy until free (returning units are sent again)
    np.testing.assert_array_equal(u["busy_s"], [busy_boat, 6290 - 5060])


def test_the_unit_type_table_is_read_per_run(register_boat: Callable[[bool], UnitType]) -> None:
    """Columns follow the table when a type comes and goes; a station with an unknown type is refused."""
    assert "rt_boat_s" not in incident_columns()
    register_boat(False)
    cols = incident_columns()
    assert cols[cols.index("served") - 1] == "rt_boat_s"  # the last of the rt_<type>_s columns
    unregister_unit_type("boat")
    assert "rt_boat_s" not in sim.engine.INCIDENT_COLUMNS
    spec = _spec()
    with pytest.raises(ValueError, match="unknown unit type 'boat'"):
        simulate(_line(), spec, seed=0)
