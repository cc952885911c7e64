"""The two kinds of error a user can fix.

Both are printed by the command line as one line on stderr with exit code 2, never a traceback;
library code raises them, and only :mod:`sim.cli` turns them into that line.
"""

from __future__ import annotations


class DataError(ValueError):
    """Bad or missing input data; the message names the file and what is wrong."""


class UsageError(Exception):
    """A request that cannot be carried out as asked (an unknown variant, ``--reps 0``, a results
    folder that exists); the message says what to change."""
