"""Scenarios: YAML files with line numbers, their schema, checks, and the model they build.

Imports :mod:`sim.model` and :mod:`sim.roads`. Other layers import the names below from here, not
from the modules that hold them.
"""

from sim.scenario.scenario import (
    FIXED_IN_VARIANTS,
    Problem,
    Scenario,
    ScenarioError,
    load_scenario,
    parse_duration,
    validate_file,
)

__all__ = ["FIXED_IN_VARIANTS", "Problem", "Scenario", "ScenarioError", "load_scenario", "parse_duration",
           "validate_file"]
