"""Analysis: one definition of each measure, summaries, statistics and coverage.

Imports :mod:`sim.model`, :mod:`sim.roads` and the engine's records."""
