"""``xborder plot``: draw the standard figures of a results folder into ``RESULTS_DIR/figures/``."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from sim.cli._common import language, results_dir
from sim.errors import UsageError

FORMATS: tuple[str, ...] = ("png", "svg", "pdf")
"""Figure formats ``xborder plot`` can write."""


def parse_formats(text: str) -> list[str]:
    """``"png, svg"`` -> ``["png", "svg"]`` (lower case, duplicates dropped, order kept).

    Raises
    ------
    UsageError
        If the list is empty or names a format other than png, svg or pdf.
    """
    items = [f.strip().lower().lstrip(".") for f in text.split(",")]
    items = [f for f in dict.fromkeys(items) if f]
    if not items:
        raise UsageError(f"--format: no format given; choose from {', '.join(FORMATS)} (comma-separated)")
    bad = [f for f in items if f not in FORMATS]
    if bad:
        raise UsageError(f"--format: unknown format {', '.join(repr(b) for b in bad)}; "
                       f"choose from {', '.join(FORMATS)} (comma-separated)")
    return items


def _plot(args: argparse.Namespace) -> int:
    lang = language(args.lang)
    formats = parse_formats(args.format)
    folder = results_dir(args.results_dir)
    from sim.figures.run import plot_results  # matplotlib is imported only when plotting

    t0 = time.perf_counter()
    written = plot_results(folder, lang=lang, formats=formats)
    elapsed = time.perf_counter() - t0
    for path in written:
        print(path)
    print(f"{len(written)} figure file(s) in {folder / 'figures'} ({elapsed:.1f} s)", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add ``plot`` to the ``xborder`` command line."""
    p = subparsers.add_parser(
        "plot", help="draw the standard figures of a results folder",
        description="Draw the standard figures of a results folder into RESULTS_DIR/figures/: "
                    "response-time CDFs with the national norms, maps of the region and of the 90th "
                    "percentile of response times per variant, share within the norm per dispatch "
                    "centre, cross-border missions by direction, unit utilisation per station and "
                    "population coverage within 8 and 15 min. 16:9 at 1920x1080 pixels. English "
                    "files are <name>.<format>, other languages <name>.<lang>.<format>.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder written by xborder run")
    p.add_argument("--lang", default="en", metavar="{en,fr,nl,de}",
                   help="language of titles, labels and legends (default: en)")
    p.add_argument("--format", default="png,svg", metavar="png,svg,pdf",
                   help="comma-separated file formats (default: png,svg)")
    p.set_defaults(func=_plot)
