"""The engine: a prepared model run on SimPy with the compiled decision core, giving records.

Imports :mod:`sim.model` and :mod:`sim.roads`. Other layers import the names below from here, not
from the modules that hold them.
"""

from sim.engine.simulate import (
    INCIDENT_COLUMNS,
    MISSION_COLUMNS,
    UNIT_COLUMNS,
    Prepared,
    SimRecords,
    prepare,
    simulate,
)

__all__ = ["INCIDENT_COLUMNS", "MISSION_COLUMNS", "UNIT_COLUMNS", "Prepared", "SimRecords", "prepare",
           "simulate"]
