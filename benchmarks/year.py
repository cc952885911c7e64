"""Benchmark a simulated year of every variant of the bundled scenarios on one core.

For each scenario (``scenarios/baarle-turnhout.yaml``, ``scenarios/euregio-meuse-rhine-be.yaml``) a
fresh Python process (one process, no pool, numeric libraries limited to one thread) loads the
scenario with its horizon set to 365 days, loads the region (from the graph cache), and for every
variant in turn prepares the station and hospital matrices (once per distinct set of stations and
hospitals, as ``xborder run`` does), simulates one replication and turns the records into the
result frames (as ``xborder run --workers 1`` does per task). It reports its
wall time, CPU time and peak memory (``resource.getrusage(...).ru_maxrss``). Before the measured
process, an unmeasured one loads the region so that a cold graph cache is not counted.

Usage::

    python3 benchmarks/year.py [--region baarle-turnhout|euregio-meuse-rhine-be|all] [--json]

Targets (issue 6): a year of the Euregio scenario, every variant, in under 60 s and under 4 GiB;
a year of Baarle–Turnhout in under 10 s. The verdict uses the whole process (imports, region load,
preparation, simulation, frames). Wall time on a busy machine is noisy: the CPU time is printed
beside it, with the load average when the run started.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "baarle-turnhout": ROOT / "scenarios" / "baarle-turnhout.yaml",
    "euregio-meuse-rhine-be": ROOT / "scenarios" / "euregio-meuse-rhine-be.yaml",
}
TARGETS: dict[str, dict[str, float | None]] = {
    "baarle-turnhout": {"wall_s": 10.0, "rss_gib": None},
    "euregio-meuse-rhine-be": {"wall_s": 60.0, "rss_gib": 4.0},
}
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")}
HORIZON = "365 d"


# ---------------------------------------------------------------------------------------- child


def _child(path: str, seed: int, *, load_only: bool) -> dict[str, Any]:
    """Run in the measured process: everything a one-worker run of a year does, timed by step."""
    t_start = time.perf_counter()
    import yaml

    from sim.analysis.frames import records_to_frames
    from sim.scenario import Scenario, load_scenario

    original = load_scenario(path)
    data = dict(original.data)
    data["horizon"] = HORIZON
    sc = Scenario.from_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                            filename=original.filename, path=original.path)
    t_import = time.perf_counter()
    region = sc.load_region()
    specs = sc.model_specs(region)
    t_load = time.perf_counter()
    if load_only:
        return {"load_s": t_load - t_import}
    from sim.engine import prepare, simulate
    from sim.study.tasks import prepare_key

    variants = []
    shared: dict[str, Any] = {}  # as xborder run: variants with the same stations share one Prepared
    for v in sc.variant_names:
        t0 = time.perf_counter()
        key = prepare_key(specs[v])
        if key not in shared:
            shared[key] = prepare(region.network, specs[v])
        prepared = shared[key]
        t1 = time.perf_counter()
        records = simulate(region.network, specs[v], seed=seed, replication=0, prepared=prepared)
        t2 = time.perf_counter()
        inc = records.incidents
        focus = sc.focus_masks(inc["lat"], inc["lon"], inc["country"]) if sc.base.focus else None
        frames = records_to_frames(records, variant=v, replication=0, focus=focus)
        t3 = time.perf_counter()
        variants.append({
            "variant": v, "prepare_s": t1 - t0, "simulate_s": t2 - t1, "frames_s": t3 - t2,
            "incidents": len(frames["incidents"]), "missions": len(frames["missions"]),
            "events": int(records.n_events), "events_per_s": records.n_events / max(t2 - t1, 1e-9),
        })
        del prepared, records, frames
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "nodes": int(region.network.n_nodes), "stations": len(specs[sc.variant_names[0]].stations),
        "import_s": t_import - t_start, "load_s": t_load - t_import,
        "variants": variants,
        "work_s": time.perf_counter() - t_load,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "rss_gib": usage.ru_maxrss * 1024 / 2**30,  # ru_maxrss is in KiB on Linux
    }


# ---------------------------------------------------------------------------------------- parent


def _measure(name: str, path: Path, seed: int) -> dict[str, Any]:
    env = {**os.environ, **ONE_THREAD}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(path), "--seed", str(seed)]
    # unmeasured: build the graph cache if it is cold
    subprocess.run([*cmd, "--load-only"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"region": name, "error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res.update(region=name, scenario=str(path.relative_to(ROOT)), wall_s=wall, horizon=HORIZON,
               target=TARGETS[name])
    tgt = TARGETS[name]
    ok_wall = wall < float(tgt["wall_s"] or float("inf"))
    ok_rss = tgt["rss_gib"] is None or res["rss_gib"] < float(tgt["rss_gib"])
    res["meets_target"] = bool(ok_wall and ok_rss)
    return res


def _verdict(r: dict[str, Any]) -> str:
    if r["meets_target"]:
        return "OK"
    tgt = r["target"]
    if r["cpu_s"] < float(tgt["wall_s"]) and (tgt["rss_gib"] is None or r["rss_gib"] < float(tgt["rss_gib"])):
        return "wall over, CPU within (busy machine?)"
    return "over target"


def _table(rows: list[dict[str, Any]]) -> str:
    head = ["scenario (1 year, 1 core)", "variants", "calls/var", "events", "load s", "prepare s",
            "simulate s", "frames s", "total s", "CPU s", "peak GiB", "target", "verdict"]
    lines = []
    for r in rows:
        if "error" in r or "missing" in r:
            lines.append([r["region"], r.get("missing") or f"error: {r['error']}"] + [""] * (len(head) - 2))
            continue
        vs = r["variants"]
        tgt = r["target"]
        target = f"< {tgt['wall_s']:g} s" + (f", < {tgt['rss_gib']:g} GiB" if tgt["rss_gib"] else "")
        lines.append([
            r["region"], str(len(vs)), f"{sum(v['incidents'] for v in vs) / len(vs):,.0f}",
            f"{sum(v['events'] for v in vs):,}", f"{r['import_s'] + r['load_s']:.1f}",
            f"{sum(v['prepare_s'] for v in vs):.1f}", f"{sum(v['simulate_s'] for v in vs):.1f}",
            f"{sum(v['frames_s'] for v in vs):.1f}", f"{r['wall_s']:.1f}", f"{r['cpu_s']:.1f}",
            f"{r['rss_gib']:.2f}", target, _verdict(r),
        ])
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip() for x in lines]
    for r in rows:
        for v in r.get("variants", []):
            out.append(f"  {r['region']} · {v['variant']}: {v['incidents']:,} calls, {v['events']:,} events, "
                       f"prepare {v['prepare_s']:.2f} s, simulate {v['simulate_s']:.2f} s "
                       f"({v['events_per_s']:,.0f} events/s), frames {v['frames_s']:.2f} s")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--region", default="all", choices=[*SCENARIOS, "all"])
    parser.add_argument("--seed", type=int, default=2009)
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--load-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.seed, load_only=args.load_only)))
        return 0

    names = list(SCENARIOS) if args.region == "all" else [args.region]
    load = os.getloadavg()
    rows = []
    for name in names:
        path = SCENARIOS[name]
        if not path.is_file():
            rows.append({"region": name, "missing": f"{path.relative_to(ROOT)} not found"})
            continue
        rows.append(_measure(name, path, args.seed))
    report = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": [round(x, 2) for x in load]},
        "results": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{report['date']} · {report['machine']['platform']} · {report['machine']['cpus']} CPUs · "
              f"load average {load[0]:.2f} at start (other work on the machine makes wall times noisy)")
        print(_table(rows))
    return 0 if all(r.get("meets_target", True) for r in rows if "missing" not in r) else 1


if __name__ == "__main__":
    sys.exit(main())
