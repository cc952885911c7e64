"""Studies: runs and sweeps over replications and variants, process pools and Dask, results folders.

Imports :mod:`sim.engine`, :mod:`sim.scenario` and :mod:`sim.analysis`."""
