"""The ``xborder`` command line: argument parsing and printing only.

Imports every layer above it; nothing imports it.
"""

from sim.cli.main import main

__all__ = ["main"]
