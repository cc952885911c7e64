"""Roads: the road network, its speeds, OSM loading, jurisdictions and shortest-path searches.

Imports nothing of ``sim`` but :mod:`sim.errors` and :mod:`sim.paths`."""
