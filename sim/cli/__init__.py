"""The ``xborder`` command line: argument parsing and printing only.

Imports every layer below it; nothing inside the package imports it. Each command module registers
its subcommands with light imports only and imports the layers a command needs when it runs, so that
``xborder --help`` does not load the engine, pandas, Dask or matplotlib.
"""

from sim.cli.main import main

__all__ = ["main"]
