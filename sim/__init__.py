"""xborder: how much faster emergency help arrives when units may cross the border.

The model (network, demand, resources, policy, engine) is free of I/O and plotting; loading,
results and plots sit at the edges.
"""

from __future__ import annotations

__version__ = "0.1.0"
