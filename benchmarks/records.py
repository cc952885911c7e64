"""Dump the records of the bundled studies, or compare two dumps column by column.

The check behind every refactor that must not change a result: a year of Baarle–Turnhout and
45 days of the Euregio, every variant, two replications, written as parquet (incidents, missions,
units), then compared bit for bit (NaN equal to NaN, dtypes equal).

Usage::

    python3 benchmarks/records.py dump DIR        # before the change
    python3 benchmarks/records.py dump DIR2       # after it
    python3 benchmarks/records.py compare DIR DIR2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's sim, not another one installed in editable mode
CASES = {"baarle-turnhout": "365 d", "euregio-meuse-rhine-be": "45 d"}
TABLES = ("incidents", "missions", "units")


def _run(path: Path, horizon: str) -> dict[str, pd.DataFrame]:
    import sim

    return sim.run_in_memory(sim.load_scenario(path).with_changes({"horizon": horizon}), reps=2, workers=2)


def dump(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, horizon in CASES.items():
        frames = _run(ROOT / "scenarios" / f"{name}.yaml", horizon)
        for t in TABLES:
            frames[t].to_parquet(out / f"{name}-{t}.parquet")
            print(f"{name} {t}: {len(frames[t])} rows")


def compare(a: Path, b: Path) -> int:
    bad = 0
    for name in CASES:
        for t in TABLES:
            x = pd.read_parquet(a / f"{name}-{t}.parquet")
            y = pd.read_parquet(b / f"{name}-{t}.parquet")
            if list(x.columns) != list(y.columns):
                print(f"{name} {t}: columns differ: {set(x.columns) ^ set(y.columns)}")
                bad += 1
                continue
            diff = [c for c in x.columns if not x[c].equals(y[c]) or x[c].dtype != y[c].dtype]
            print(f"{name} {t}: {len(x)} rows, {len(x.columns)} columns: "
                  + ("identical" if not diff and len(x) == len(y) else f"DIFFER in {diff}"))
            bad += bool(diff) or len(x) != len(y)
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("dump").add_argument("dir", type=Path)
    c = sub.add_parser("compare")
    c.add_argument("a", type=Path)
    c.add_argument("b", type=Path)
    args = ap.parse_args()
    if args.cmd == "dump":
        dump(args.dir)
        return 0
    return compare(args.a, args.b)


if __name__ == "__main__":
    sys.exit(main())
