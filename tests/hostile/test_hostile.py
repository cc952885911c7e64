"""Hostile input: every case of ``cases.py`` ends in a clean exit 2 or a run that is not silently wrong.

Each case runs in this process through ``sim.cli.main``: ``validate`` first, then, for the
accepted cases marked ``run``, ``run --reps 1``. What is checked:

- never a traceback: the command returns (no exception escapes ``main``), and neither output
  names a Python exception type;
- no hang and no runaway memory: each case ends within 60 s (an alarm) and the process never
  holds more than 2 GiB (its peak resident size);
- a refused case exits 2, every line on stderr names the file (``scenario.yaml:LINE field:
  message``, or the path it could not read), at most a few dozen lines, and holds the text the
  case expects (the field, the file and line of a bad row, the limit that was hit);
- an accepted case that runs gives a result that is not silently wrong: see :func:`check_result`.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from cases import SCENARIO, Case, Link, Sparse, all_cases, counts, table

from sim.cli.main import main
from sim.paths import data_dir

CASES = all_cases()
TIME_LIMIT_S = 60
MEMORY_LIMIT = 2 << 30
_EXCEPTION = re.compile(r"Traceback|^\s*File \"|^[A-Z]\w*(Error|Exception)\b", re.MULTILINE)
"""What a traceback or a bare exception leaves in the output."""


def write_case(case: Case, folder: Path) -> Path:
    """Lay out a case's files in `folder`; return the path to validate."""
    data = str(data_dir())
    for rel, content in case.files.items():
        f = folder / rel
        f.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Link):
            f.symlink_to(content.target.replace("{data}", data))
        elif isinstance(content, Sparse):
            with open(f, "wb") as fh:
                fh.truncate(content.size)
        elif isinstance(content, bytes):
            f.write_bytes(content)
        else:
            f.write_text(content, encoding="utf-8", newline="")
    if case.path.startswith("/"):
        return Path(case.path)
    target = folder / case.path
    if case.path == "folder":
        target.mkdir()
        return target
    if case.path == SCENARIO:
        text = case.scenario
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8", newline="")
    return target


@contextlib.contextmanager
def bounded() -> Iterator[None]:
    """Fail a case that runs longer than :data:`TIME_LIMIT_S` (an alarm in the main thread)."""

    def alarm(signum: int, frame: object) -> None:
        raise TimeoutError(f"case still running after {TIME_LIMIT_S} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(TIME_LIMIT_S)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def cli(args: list[str]) -> tuple[int, str, str]:
    """``xborder ARGS`` in this process: exit code, stdout, stderr (an escaping exception fails)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), bounded():
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def check_refusal(case: Case, path: Path, code: int, out: str, err: str) -> None:
    assert code == 2, f"expected exit 2, got {code}; stderr: {err[:2000]}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "exit 2 without a message"
    assert len(lines) <= 40, f"{len(lines)} lines of problems: {err[:2000]}"
    name = path.name if path.is_file() or not path.exists() else str(path)
    for line in lines:
        assert line.startswith((name, str(path), path.name, "xborder: error:")), (
            f"a line not naming the file: {line!r}")
        assert len(line) <= 2000, f"a line of {len(line)} characters"
    for text in case.where:
        assert text in err, f"{text!r} not in the message: {err[:2000]}"


def check_result(case: Case, folder: Path) -> None:
    """An accepted case's results are not silently wrong.

    - the summary is complete and holds no infinite or NaN number;
    - every variant drew incidents (as many as the log's rows when the case replays a log, in
      every replication), and reached most of them: under half unserved, a finite mean response
      under an hour;
    - no unit type's utilisation is above 100 %, and no unit is busy longer than it is on duty;
    - every focus area of the scenario has its table.
    """
    text = (folder / "summary.json").read_text(encoding="utf-8")
    assert not re.search(r"\b(Infinity|NaN)\b", text), "an infinite or NaN number in summary.json"
    summary = json.loads(text)
    assert summary["complete"] is True
    incidents = pd.read_parquet(folder / "incidents.parquet")
    units = pd.read_parquet(folder / "units.parquet")
    for variant, stats in summary["variants"].items():
        overall = stats["overall"]
        calls = overall["count_per_replication"]
        assert calls and calls > 0, f"{variant}: no incidents"
        if case.incidents is not None:
            per_rep = incidents[incidents["variant"] == variant].groupby("replication").size()
            assert per_rep.tolist() == [case.incidents] * len(per_rep), (variant, per_rep.tolist())
        assert overall["unserved"] < 0.5 * calls * len(summary["replications_done"][variant]), (
            f"{variant}: {overall['unserved']} unserved of {calls}")
        assert overall["mean_s"] is not None and 0 < overall["mean_s"] < 3600, (variant, overall["mean_s"])
        for unit_type, u in overall.get("utilisation", {}).items():
            assert 0 <= u <= 1, f"{variant}: {unit_type} utilisation {u:.1%}"
        for area in summary["focus_areas"]:
            assert area in stats["focus"], f"{variant}: no table for the focus area {area!r}"
    over = units[units["busy_s"] > units["on_duty_s"] + 1e-6]
    assert over.empty, f"units busy longer than on duty: {over[['unit_id', 'busy_s', 'on_duty_s']].head()}"


def _param(case: Case) -> Any:
    marks = pytest.mark.xfail(reason=case.known, strict=True) if case.known else ()
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_hostile_case(case: Case, tmp_path: Path) -> None:
    path = write_case(case, tmp_path)
    code, out, err = cli(["validate", str(path)])
    assert not _EXCEPTION.search(out + err), f"an exception in the output: {(out + err)[:2000]}"
    if case.expect == "error":
        check_refusal(case, path, code, out, err)
    else:
        assert code == 0, f"refused: {err[:2000]}"
        if case.run:
            results = tmp_path / "results"
            code, out, err = cli(["run", str(path), "--reps", "1", "--out", str(results), "--no-progress"])
            assert not _EXCEPTION.search(out + err), f"an exception in the output: {(out + err)[:2000]}"
            assert code == 0, f"run failed ({code}): {err[:2000]}"
            check_result(case, results)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kB on Linux
    assert peak < MEMORY_LIMIT, f"the process reached {peak / 2**30:.2f} GiB"


def test_case_counts(capsys: pytest.CaptureFixture[str]) -> None:
    """At least 300 cases over the categories of the issue; the table is printed for the report."""
    by_category = counts(CASES)
    assert sum(c["cases"] for c in by_category.values()) >= 300
    assert len(by_category) >= 12 and all(c["cases"] >= 10 for c in by_category.values())
    assert len({c.id for c in CASES}) == len(CASES), "two cases with one name"
    with capsys.disabled():
        sys.stdout.write("\n" + table(CASES) + "\n")


def test_as_run_scenario_keeps_its_incident_log(tmp_path: Path) -> None:
    """The results folder's scenario.yaml resolves its incident log (what ``--plot`` reads)."""
    from sim.scenario import Scenario

    case = next(c for c in CASES if c.name == "the bundled log")
    path = write_case(case, tmp_path / "in")
    out = tmp_path / "results"
    assert cli(["run", str(path), "--reps", "1", "--out", str(out), "--no-progress"])[0] == 0
    os.rename(tmp_path / "in", tmp_path / "moved-after")  # even when the scenario's folder is gone?
    as_run = Scenario.from_text((out / "scenario.yaml").read_text(encoding="utf-8"),
                                filename="scenario.yaml", path=out / "scenario.yaml")
    assert as_run.check_network(as_run.load_region()) != []  # the log moved: named, not a traceback
    os.rename(tmp_path / "moved-after", tmp_path / "in")
    assert as_run.check_network(as_run.load_region()) == []
    specs = as_run.model_specs(as_run.load_region())
    assert all(len(s.incident_log.t_s) == case.incidents for s in specs.values() if s.incident_log)
