"""The engine: a prepared model run on SimPy with the compiled decision core, giving records.

Imports :mod:`sim.model` and :mod:`sim.roads`. Other layers import the names below from here, not
from the modules that hold them. ``INCIDENT_COLUMNS`` follows :data:`sim.model.units.UNIT_TYPES`
(one ``rt_<type>_s`` column per unit type): it is computed on access, as
:func:`incident_columns`.
"""

from typing import Any

from sim.engine.prepare import Prepared, prepare
from sim.engine.records import MISSION_COLUMNS, REQUEST_COLUMNS, UNIT_COLUMNS, SimRecords, incident_columns
from sim.engine.simulate import simulate

__all__ = ["INCIDENT_COLUMNS", "MISSION_COLUMNS", "REQUEST_COLUMNS", "UNIT_COLUMNS", "Prepared", "SimRecords",
           "incident_columns", "prepare", "simulate"]


def __getattr__(name: str) -> Any:
    if name == "INCIDENT_COLUMNS":
        return incident_columns()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
