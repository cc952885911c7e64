"""The engine: a prepared model run on SimPy with the compiled decision core, giving records.

Imports :mod:`sim.model` and :mod:`sim.roads`."""
