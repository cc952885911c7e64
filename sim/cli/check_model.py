"""``xborder check-model``: the validation report, the model against published figures."""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from sim.errors import UsageError


def _check_model(args: argparse.Namespace) -> int:
    from sim.scenario import parse_duration
    from sim.study.validation import CASES, validation_rows, write_report

    if args.reps is not None and args.reps < 1:
        raise UsageError("--reps must be at least 1")
    if args.workers < 1:
        raise UsageError("--workers must be at least 1")
    if args.horizon is not None:
        try:
            if parse_duration(args.horizon) <= 0:
                raise ValueError("must be longer than 0 s")
        except ValueError as exc:
            raise UsageError(f"--horizon {args.horizon}: {exc}") from None
    folder = Path(args.scenarios)
    missing = [f for f, _ in CASES.values() if not (folder / f).is_file()]
    if missing:
        raise UsageError(f"{folder}: missing {', '.join(missing)} (--scenarios names the folder of the "
                         "bundled scenarios)")
    t0 = time.perf_counter()
    rows = validation_rows(folder, horizon=args.horizon, reps=args.reps, workers=args.workers,
                           queue_calls=args.queue_calls)
    settings = {"horizon": args.horizon or "each file's", "replications": args.reps or "each file's",
                "seed": "each file's", "queue calls": args.queue_calls}
    md, js = write_report(rows, Path(args.out), settings=settings)
    agree = sum(r.agrees for r in rows)
    print(f"{agree} of {len(rows)} published figures agree with the model; wrote {md} and {js} "
          f"({time.perf_counter() - t0:.1f} s)")
    for r in rows:
        if not r.agrees:
            print(f"  disagrees ({r.figure.use}): {r.figure.what}: published {r.figure.value:,.4g}, "
                  f"model {r.model:,.4g} [{r.low:,.4g}, {r.high:,.4g}] {r.figure.unit}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``check-model`` to the ``xborder`` command line."""
    p = subparsers.add_parser(
        "check-model", help="run the bundled scenarios and write the validation report",
        description="Run the bundled scenarios (the variant of each that stands for the arrangement in "
                    "force) and M/M/c queues through the engine, and write validation.md and "
                    "validation.json: one row per published figure the model can produce, with its "
                    "source, the model's value with its 95 % interval, the difference, whether it "
                    "agrees and whether it was used for calibration or kept for checking.")
    p.add_argument("--scenarios", default="scenarios",
                   help="folder of the bundled scenarios (default scenarios)")
    p.add_argument("--out", default="docs", help="folder to write validation.md and .json (default docs)")
    p.add_argument("--horizon", default=None, help="simulated time of every scenario, e.g. '7 d' "
                                                   "(default: each file's)")
    p.add_argument("--reps", type=int, default=None, help="replications (default: each file's)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--queue-calls", type=int, default=25_000,
                   help="calls of each queueing check (default 25000)")
    p.set_defaults(func=_check_model)
