"""Benchmark what a planner runs: a simulated year of every variant, through the command line.

For each scenario a temporary copy with ``horizon: 365 d`` is run as

    python3 -m sim.cli run COPY --reps 1 --workers 1 --out TMP

in a fresh process with the numeric libraries limited to one thread: imports, region load,
preparation, simulation, result files (parquet parts, assembled tables), summary and the printed
table, end to end. Its wall time, CPU time and peak memory (``os.wait4`` of that process) are the
headline. A second fresh process runs the same command in-process (``sim.cli.main.main``) with a
timer around the functions the command calls, found by identity in every loaded ``sim`` module,
and reports each phase's share of its wall time:

- imports: the command line and the modules its ``run`` imports (pandas, numpy, the engine ...);
- region: ``Scenario.load_region`` and ``Scenario.model_specs`` (from the graph cache);
- prepare: ``sim.engine.prepare`` (station and hospital matrices);
- simulate: ``sim.engine.simulate``;
- records: records to frames, parquet written and read back, tables assembled;
- summary: ``sim.analysis.summary.summarise``;
- other: everything else (argument parsing, JSON and YAML files, the printed table).

Before the measured processes an unmeasured run of two days builds a cold graph cache and the
compiled core's cache, so that neither is counted.

Usage::

    python3 benchmarks/year.py [--region baarle-turnhout|euregio-meuse-rhine-be|arlon-luxembourg|all]
                               [--json]

Targets: a year of the Euregio scenario, every variant, with the foreign side's own calls, under
30 s and 2 GiB on one core (issue 12; issue 17 set 20 s and 1.5 GiB for the workload before the
foreign calls, which doubled the calls), the summary under 15 % of it (issue 17); a year of
Arlon–Luxembourg under 30 s (issue 14); Baarle–Turnhout under 10 s (issue 6). Wall time on a busy
machine is noisy: the CPU time is printed beside it, with the load average when the run started.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = {
    "baarle-turnhout": ROOT / "scenarios" / "baarle-turnhout.yaml",
    "euregio-meuse-rhine-be": ROOT / "scenarios" / "euregio-meuse-rhine-be.yaml",
    "arlon-luxembourg": ROOT / "scenarios" / "arlon-luxembourg.yaml",
}
TARGETS: dict[str, dict[str, float | None]] = {
    "baarle-turnhout": {"wall_s": 10.0, "rss_gib": None, "summary_share": None},
    "euregio-meuse-rhine-be": {"wall_s": 30.0, "rss_gib": 2.0, "summary_share": 0.15},
    "arlon-luxembourg": {"wall_s": 30.0, "rss_gib": None, "summary_share": None},
}
ONE_THREAD = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMBA_NUM_THREADS")}
HORIZON = "365 d"
PHASES = ("imports", "region", "prepare", "simulate", "records", "summary", "other")


# ---------------------------------------------------------------------------------------- child


class _Timer:
    """Exclusive time per phase: a call inside a timed call counts for the outer one only."""

    def __init__(self) -> None:
        self.seconds = dict.fromkeys(PHASES, 0.0)
        self.depth = 0

    def wrap(self, phase: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth:
                return fn(*args, **kwargs)
            self.depth += 1
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[phase] += time.perf_counter() - t0
                self.depth -= 1

        timed.__wrapped__ = fn  # type: ignore[attr-defined]
        return timed


def _patch(timer: _Timer, phase: str, owner: Any, name: str) -> None:
    """Time `owner.name` and every other binding of the same function in the loaded sim modules."""
    original = getattr(owner, name)
    timed = timer.wrap(phase, original)
    setattr(owner, name, timed)
    for mod in [m for k, m in sys.modules.items() if k.startswith("sim") and m is not None]:
        for attr, value in list(vars(mod).items()):
            if value is original:
                setattr(mod, attr, timed)


def _child(path: str, out: str) -> dict[str, Any]:
    """In the measured process: the command line in-process, its phases timed."""
    sys.path.insert(0, str(ROOT))  # this checkout's sim, as python3 -m sim.cli run from ROOT
    t_start = time.perf_counter()
    import pandas as pd

    import sim.analysis.frames as frames
    import sim.analysis.summary as summary
    import sim.engine as engine
    import sim.study.folders as folders
    import sim.study.runner  # noqa: F401  (imported by the run command; its bindings get timed)
    from sim.cli import main as cli_main
    from sim.scenario import Scenario

    t_imports = time.perf_counter() - t_start
    if Path(sys.modules["sim"].__file__ or "").parent != ROOT / "sim":
        raise RuntimeError(f"measuring {sys.modules['sim'].__file__}, not this checkout's sim")

    timer = _Timer()
    timer.seconds["imports"] = t_imports
    for phase, owner, name in (("region", Scenario, "load_region"), ("region", Scenario, "model_specs"),
                               ("prepare", engine, "prepare"), ("simulate", engine, "simulate"),
                               ("records", frames, "records_to_frames"), ("records", frames, "concat_frames"),
                               ("records", folders, "write_parquet"), ("records", pd, "read_parquet"),
                               ("summary", summary, "summarise")):
        _patch(timer, phase, owner, name)
    with contextlib.redirect_stdout(io.StringIO()):
        code = cli_main(["run", path, "--reps", "1", "--workers", "1", "--out", out])
    wall = time.perf_counter() - t_start
    phases = dict(timer.seconds)
    phases["other"] = wall - sum(v for k, v in phases.items() if k != "other")
    inc = pd.read_parquet(Path(out) / "incidents.parquet", columns=["variant"])
    return {"exit": code, "wall_s": wall, "phases": phases,
            "calls_per_variant": len(inc) / max(1, inc["variant"].nunique()),
            "variants": int(inc["variant"].nunique())}


# ---------------------------------------------------------------------------------------- parent


def _year_copy(path: Path, folder: Path, horizon: str) -> Path:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["horizon"] = horizon
    copy = folder / path.name
    copy.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return copy


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, Any, str, str]:
    """Run `cmd`; its wall time, exit status and own resource usage (``os.wait4``), stdout, stderr."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return wall, proc.returncode, usage, out.read(), err.read()


def _measure(name: str, path: Path) -> dict[str, Any]:
    env = {**os.environ, **ONE_THREAD}
    with tempfile.TemporaryDirectory(prefix="xborder-year-") as tmp:
        folder = Path(tmp)
        (folder / "warm").mkdir()
        warm = _year_copy(path, folder / "warm", "2 d")
        cli = [sys.executable, "-m", "sim.cli", "run"]
        wall, code, _, _, err = _run([*cli, str(warm), "--reps", "1", "--workers", "1", "--out",
                                      str(folder / "warm-out")], env)
        if code != 0:
            return {"region": name, "error": (err.strip().splitlines() or ["failed"])[-1]}
        year = _year_copy(path, folder, HORIZON)
        wall, code, usage, _, err = _run([*cli, str(year), "--reps", "1", "--workers", "1", "--out",
                                          str(folder / "out")], env)
        if code != 0:
            return {"region": name, "error": (err.strip().splitlines() or ["failed"])[-1]}
        _, code, _, out, err = _run([sys.executable, str(Path(__file__).resolve()), "--child", str(year),
                                     "--out", str(folder / "phases")], env)
        if code != 0:
            return {"region": name, "error": (err.strip().splitlines() or ["failed"])[-1]}
    res: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    res.update(region=name, scenario=str(path.relative_to(ROOT)), horizon=HORIZON, target=TARGETS[name],
               cli={"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                    "rss_gib": usage.ru_maxrss * 1024 / 2**30})  # ru_maxrss is in KiB on Linux
    res["verdict"] = _verdict(res)
    return res


def _verdict(r: dict[str, Any]) -> str:
    tgt, cli = r["target"], r["cli"]
    share = r["phases"]["summary"] / r["wall_s"]
    over = []
    if tgt["rss_gib"] is not None and cli["rss_gib"] >= tgt["rss_gib"]:
        over.append("memory")
    if tgt["summary_share"] is not None and share >= tgt["summary_share"]:
        over.append("summary share")
    if tgt["wall_s"] is not None and cli["wall_s"] >= tgt["wall_s"]:
        over.append("wall" if cli["cpu_s"] >= tgt["wall_s"] else "wall (CPU within: busy machine?)")
    return "OK" if not over else "over: " + ", ".join(over)


def _table(rows: list[dict[str, Any]]) -> str:
    head = ["scenario (1 year, 1 core)", "variants", "calls/var", "wall s", "CPU s", "peak GiB",
            *(f"{p} %" for p in PHASES), "target", "verdict"]
    lines = []
    for r in rows:
        if "error" in r or "missing" in r:
            lines.append([r["region"], r.get("missing") or f"error: {r['error']}"] + [""] * (len(head) - 2))
            continue
        tgt, cli = r["target"], r["cli"]
        target = ", ".join(x for x in (
            f"< {tgt['wall_s']:g} s" if tgt["wall_s"] else "",
            f"< {tgt['rss_gib']:g} GiB" if tgt["rss_gib"] else "",
            f"summary < {100 * tgt['summary_share']:g} %" if tgt["summary_share"] else "") if x) or "–"
        lines.append([r["region"], str(r["variants"]), f"{r['calls_per_variant']:,.0f}",
                      f"{cli['wall_s']:.1f}", f"{cli['cpu_s']:.1f}", f"{cli['rss_gib']:.2f}",
                      *(f"{100 * r['phases'][p] / r['wall_s']:.0f}" for p in PHASES), target, r["verdict"]])
    widths = [max(len(h), *(len(x[i]) for x in lines)) for i, h in enumerate(head)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    out += ["  ".join(c.ljust(w) for c, w in zip(x, widths, strict=True)).rstrip() for x in lines]
    for r in rows:
        if "phases" in r:
            out.append(f"  {r['region']}, in-process run {r['wall_s']:.1f} s: " + ", ".join(
                f"{p} {r['phases'][p]:.2f} s" for p in PHASES))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--region", default="all", choices=[*SCENARIOS, "all"])
    parser.add_argument("--json", action="store_true", help="print JSON instead of the table")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.out)))
        return 0
    names = list(SCENARIOS) if args.region == "all" else [args.region]
    load = os.getloadavg()
    rows = []
    for name in names:
        path = SCENARIOS[name]
        if not path.is_file():
            rows.append({"region": name, "missing": f"{path.relative_to(ROOT)} not found"})
            continue
        rows.append(_measure(name, path))
    report: dict[str, Any] = {
        "date": datetime.now().isoformat(timespec="seconds"),
        "machine": {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_average_at_start": [round(x, 2) for x in load],
                    "load_average_at_end": [round(x, 2) for x in os.getloadavg()]},
        "results": rows,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        end = os.getloadavg()
        print(f"{report['date']} · {report['machine']['platform']} · {report['machine']['cpus']} CPUs · "
              f"load average {load[0]:.2f} at start, {end[0]:.2f} at end (other work on the machine "
              "makes wall times noisy; CPU time is the process's own)")
        print(_table(rows))
    return 0 if all(r.get("verdict", "OK") == "OK" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
