"""The model: pure values and their drawing (units, agreements, incidents, spec, streams, defaults).

No I/O. Imports :mod:`sim.roads` at most."""
