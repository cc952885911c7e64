"""Scenarios: YAML files with line numbers, their schema, checks, and the model they build.

Imports :mod:`sim.model` and :mod:`sim.roads`."""
