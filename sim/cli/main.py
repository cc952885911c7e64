"""The ``xborder`` command line.

Each group of subcommands lives in its own module with a ``register(subparsers)`` function that
adds its parsers and sets ``func`` on them. Errors the user can fix raise
:class:`sim.errors.UsageError` or :class:`sim.errors.DataError` and end with one line on stderr and
exit code 2, never a traceback; a file that cannot be written (``OSError``) ends with one line and
exit code 1. Ctrl-C, SIGTERM and SIGHUP (:func:`sim.study.stops.stop_signals`) end a command with
one line and the exit code of the signal: 130, 143 and 129.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from sim.errors import DataError, UsageError
from sim.study.stops import exit_code, stop_signals

# modules that add subcommands: network, validate/run, compare, plot, sweep, export/report/animate
_COMMAND_MODULES = ("sim.cli.network", "sim.cli.run", "sim.cli.compare", "sim.cli.plot", "sim.cli.sweep",
                    "sim.cli.outputs", "sim.cli.sensitivity", "sim.cli.check_model")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="xborder",
        description="Simulate cross-border emergency help on real border-region road networks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``xborder``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        with stop_signals():
            return int(args.func(args) or 0)
    except (UsageError, DataError) as exc:
        print(f"xborder: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM / SIGHUP (sim.study.stops.Stopped)
        print(f"xborder: {str(exc) or 'interrupted'}", file=sys.stderr)
        return exit_code(exc)
    except BrokenPipeError:
        # the reader went away (``xborder compare DIR | head``): not an error of ours; silence the
        # flush at exit (https://docs.python.org/3/library/signal.html#note-on-sigpipe)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as exc:  # a file that cannot be written: the disk is full, a folder read-only
        print(f"xborder: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
