"""Scenarios: YAML files with line numbers, their schema, checks, and the model they build.

Modules, by job: :mod:`~sim.scenario.quantities` (durations, distances, speeds with units),
:mod:`~sim.scenario.problems` (a problem located by file, line and field),
:mod:`~sim.scenario.files` (the files a scenario names, read within limits),
:mod:`~sim.scenario.yaml_lines` (YAML with line numbers and bounded expansion, variants merged),
:mod:`~sim.scenario.schema` (the pydantic models), :mod:`~sim.scenario.checks` (checks across
fields and against the network), :mod:`~sim.scenario.specs` (a document as a ModelSpec),
:mod:`~sim.scenario.focus` (focus areas), :mod:`~sim.scenario.region` (a region's data),
:mod:`~sim.scenario.field_paths` (a field addressed by path), :mod:`~sim.scenario.ranges` and
:mod:`~sim.scenario.uncertain` (the ``uncertain:`` block), :mod:`~sim.scenario.written_defaults`
(defaults written out) and :mod:`~sim.scenario.build` (:class:`Scenario`, :func:`load_scenario`).

Imports :mod:`sim.model` and :mod:`sim.roads`. Other layers import the names below from here, not
from the modules that hold them.
"""

from sim.scenario.build import Scenario, load_scenario, validate_file
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.quantities import parse_duration
from sim.scenario.schema import FIXED_IN_VARIANTS

__all__ = ["FIXED_IN_VARIANTS", "Problem", "Scenario", "ScenarioError", "load_scenario", "parse_duration",
           "validate_file"]
