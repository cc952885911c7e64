"""``xborder export``, ``xborder report`` and ``xborder animate``: a results folder for QGIS and
spreadsheets, a report that opens in any browser, and a day in motion."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from sim.cli._common import language, results_dir
from sim.errors import UsageError


def _export(args: argparse.Namespace) -> int:
    from sim.study.export import export_results, parse_formats

    formats = parse_formats(args.to)
    folder = results_dir(args.results_dir)
    t0 = time.perf_counter()
    written = export_results(folder, to=formats, out=args.out)
    for path in written:
        print(path)
    print(f"{len(written)} file(s) ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


def _report(args: argparse.Namespace) -> int:
    from sim.figures.report import write_report

    lang = language(args.lang)
    folder = results_dir(args.results_dir)
    t0 = time.perf_counter()
    path = write_report(folder, lang=lang, out=args.out)
    size = path.stat().st_size / 1e6
    print(path)
    print(f"report of {size:.1f} MB ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


def _seconds(text: str | None, option: str) -> float | None:
    if text is None:
        return None
    from sim.scenario import parse_duration

    try:
        return float(parse_duration(text))
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{option}: {exc} (e.g. 30h, 1.5 d, 90 min)") from None


def _animate(args: argparse.Namespace) -> int:
    from sim.figures.animate import animate_results

    folder = results_dir(args.results_dir)
    out = Path(args.out)
    if out.suffix.lower() not in (".mp4", ".gif"):
        raise UsageError(f"--out: {out.name}: give a .mp4 or .gif file")
    if args.day is not None and (args.start is not None or args.end is not None):
        raise UsageError("give either --day or --from/--to, not both")
    if (args.start is None) != (args.end is None):
        raise UsageError("--from and --to go together")
    if args.duration <= 0 or args.fps <= 0:
        raise UsageError("--duration and --fps must be positive")
    variants = [v.strip() for v in args.variant.split(",") if v.strip()]
    t0 = time.perf_counter()
    path = animate_results(folder, variants=variants, replication=args.replication, day=args.day,
                           start_s=_seconds(args.start, "--from"), end_s=_seconds(args.end, "--to"),
                           out=out, lang=language(args.lang), duration_s=args.duration, fps=args.fps)
    print(path)
    print(f"animation written ({time.perf_counter() - t0:.1f} s)", file=sys.stderr)
    return 0


def register(subparsers: Any) -> None:
    """Add ``export``, ``report`` and ``animate`` to the ``xborder`` command line."""
    p = subparsers.add_parser(
        "export", help="write a results folder as a GeoPackage (QGIS), CSV or Excel",
        description="gpkg: one GeoPackage layer per kind (incidents, stations, units, hexagons, coverage "
                    "within 8 and 15 min, cross-border missions, focus areas, jurisdictions), EPSG:4326. "
                    "csv, xlsx: the planner's tables of xborder compare as numbers (minutes, per cent). "
                    "Files go to RESULTS_DIR/export/ unless --out is given.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder written by xborder run")
    p.add_argument("--to", required=True, metavar="gpkg,csv,xlsx", help="comma-separated formats")
    p.add_argument("--out", default=None, metavar="FOLDER",
                   help="where to write (default RESULTS_DIR/export)")
    p.set_defaults(func=_export)

    p = subparsers.add_parser(
        "report", help="write one self-contained HTML report (opens offline in any browser)",
        description="One HTML file with the scenario's question, the planner's table with 95 % "
                    "intervals, every standard figure and an interactive map (variants, hexagons, "
                    "stations, cross-border missions). Needs no internet: no CDN, no map tiles. "
                    "Written to RESULTS_DIR/report[.<lang>].html unless --out is given.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder written by xborder run")
    p.add_argument("--lang", default="en", metavar="{en,fr,nl,de}", help="language (default: en)")
    p.add_argument("--out", default=None, metavar="FILE.html", help="the report file")
    p.set_defaults(func=_report)

    p = subparsers.add_parser(
        "animate", help="animate simulated hours on the region map (MP4 or GIF, 1920x1080)",
        description="Incidents appear as calls come in; each unit drives along its route on the road "
                    "network, coloured by country; a clock and the running count of cross-border "
                    "missions. Two variants side by side with --variant A,B (the same incidents). "
                    "MP4 through the ffmpeg of imageio-ffmpeg; GIF without it.")
    p.add_argument("results_dir", metavar="RESULTS_DIR", help="a folder written by xborder run")
    p.add_argument("--variant", required=True, metavar="V[,W]", help="one variant, or two side by side")
    p.add_argument("--replication", type=int, default=0, help="replication (default 0)")
    p.add_argument("--day", type=int, default=None,
                   help="simulated day to show, 0 = the first (default: the first day after the warm-up)")
    p.add_argument("--from", dest="start", default=None, metavar="T", help="start of the stretch (e.g. 30h)")
    p.add_argument("--to", dest="end", default=None, metavar="T", help="end of the stretch (e.g. 36h)")
    p.add_argument("--out", required=True, metavar="FILE.mp4|FILE.gif", help="the animation file")
    p.add_argument("--duration", type=float, default=60.0, help="length of the film in seconds (default 60)")
    p.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
    p.add_argument("--lang", default="en", metavar="{en,fr,nl,de}", help="language (default: en)")
    p.set_defaults(func=_animate)
