"""``xborder compare --format text|markdown|csv|json``: one table, four layouts, summary.json's numbers."""

from __future__ import annotations

import copy
import io
import json
import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from _helpers import short_copy

from sim.analysis.compare import COLUMNS, compare_table
from sim.cli.compare import print_compare
from sim.cli.main import main
from sim.study.runner import run_scenario

MEASURES = ("count_per_replication", "judged_per_replication", "mean_s", "median_s", "p90_s", "p95_s",
            "within_norm_share", "within_10min_share", "within_15min_share", "unserved",
            "cross_border_incidents")
"""The statistics the planner's table shows, written out here (not read from the package)."""


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("compare")
    return run_scenario(short_copy(base), reps=2, seed=3, out=base / "out", workers=1, progress=False)


@pytest.fixture(scope="module")
def summary(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "summary.json").read_text(encoding="utf-8")))


def _output(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["compare", *args]) == 0
    return capsys.readouterr().out


def _stats(res: dict[str, Any], scope: str, group: str) -> dict[str, dict[str, int]]:
    """A variant's cross-border missions by direction and unit type, all incidents or a focus area."""
    st = res["overall"] if scope == "overall" else res["focus"][group]
    return dict(st["cross_border_missions_by_type"])


def _expected(summary: dict[str, Any], *, by_type: bool) -> dict[tuple[str, ...], tuple[Any, ...]]:
    """(section, scope, group, measure, variant) -> (value, low, high, excludes_zero), from summary.json."""
    out: dict[tuple[str, ...], tuple[Any, ...]] = {}
    vs = summary["variants"]
    centres = {c for res in vs.values() for c, st in res["by_dispatch_centre"].items() if st["count"]}
    directions = {d for res in vs.values() for d in res["overall"]["cross_border_missions"]}
    for v, res in vs.items():
        groups = [("overall", "", res["overall"])] + [("focus", f, st) for f, st in res["focus"].items()]
        services = [("service", k, st) for k, st in res["by_service"].items()]
        services += [("norm", k, st) for k, st in res["by_norm"].items()]
        services += [("focus_service", f"{f}/{k}", st) for f, by in res["focus_by_service"].items()
                     for k, st in by.items()]
        groups += [("dispatch_centre", c, st) for c, st in res["by_dispatch_centre"].items() if c in centres]
        groups += [("type", t, st) for t, st in res["by_type"].items()] if by_type else []
        for scope, group, st in groups + services:
            for m in MEASURES:
                low, high = st["within_norm_ci"] if m == "within_norm_share" else (None, None)
                value = (st["urgent_with_norm"] / st["count"] * st["count_per_replication"]
                         if m == "judged_per_replication" else st[m])
                out[("statistics", scope, group, m, v)] = (value, low, high, None)
        for d in directions:
            out[("cross_border_missions", "overall", "", d, v)] = (
                res["overall"]["cross_border_missions"].get(d, 0), None, None, None)
        for scope, group, st in groups[:1 + len(res["focus"])]:  # all incidents, focus areas
            keys = {(d, u) for r in vs.values() for d, by in _stats(r, scope, group).items() for u in by}
            for d, u in keys:
                out[("cross_border_missions_by_type", scope, group, f"{d} {u}", v)] = (
                    st["cross_border_missions_by_type"].get(d, {}).get(u, 0), None, None, None)
        for u, share in res["overall"]["utilisation"].items():
            out[("utilisation", "overall", "", u, v)] = (share, None, None, None)
        for country, by_type_ in res["utilisation_by_country"].items():
            for u, share in by_type_.items():
                out[("utilisation", "country", country, u, v)] = (share, None, None, None)
    requests = summary["requests"]
    pairs = {(ag, d) for by in requests.values() for ag, dirs in by.items() for d in dirs}
    for v in vs:
        for ag, d in pairs:
            for m in ("asked", "declined", "declined_none_free", "declined_keep_home_min",
                      "declined_not_sooner"):
                out[("requests", "agreement", ag, f"{d} {m}", v)] = (
                    requests[v].get(ag, {}).get(d, {}).get(m, 0), None, None, None)
    for v, d in summary["differences"].items():
        groups = [("overall", "", d["overall"])] + [("focus", f, e) for f, e in d["focus"].items()]
        groups += [("service", k, e) for k, e in d["by_service"].items()]
        groups += [("norm", k, e) for k, e in d["by_norm"].items()]
        groups += [("focus_service", f"{f}/{k}", e) for f, by in d["focus_by_service"].items()
                   for k, e in by.items()]
        groups += [("dispatch_centre", c, e) for c, e in d["by_dispatch_centre"].items() if c in centres]
        groups += [("type", t, e) for t, e in d["by_type"].items()] if by_type else []
        for scope, group, entry in groups:
            for m in ("mean_s", "p90_s"):
                iv = entry[m]
                out[("differences", scope, group, m, v)] = (iv["estimate"], iv["low"], iv["high"],
                                                            iv["excludes_zero"])
    return out


def _same(a: Any, b: Any) -> bool:
    """Equal numbers, or both missing (None in JSON, NaN or an empty CSV cell)."""
    missing = [x is None or (isinstance(x, float) and math.isnan(x)) for x in (a, b)]
    return all(missing) if any(missing) else a == b


def _check(rows: list[dict[str, Any]], summary: dict[str, Any], *, by_type: bool) -> None:
    want = _expected(summary, by_type=by_type)
    got = {tuple(str(r[k]) for k in ("section", "scope", "group", "measure", "variant")):
           (r["value"], r["low"], r["high"], r["excludes_zero"]) for r in rows}
    assert len(got) == len(rows)  # one row per number
    assert set(got) == set(want)
    bad = {k: (got[k], want[k]) for k in want if not all(map(_same, got[k], want[k]))}
    assert not bad


def test_csv_parses_back_to_the_numbers_of_summary_json(folder: Path, summary: dict[str, Any],
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    for by_type in (False, True):
        text = _output(capsys, str(folder), "--format", "csv", *(["--by-type"] if by_type else []))
        table = pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])
        assert list(table.columns) == list(COLUMNS)
        table["group"] = table["group"].fillna("")
        table["excludes_zero"] = table["excludes_zero"].map({True: True, False: False, "True": True,
                                                             "False": False})
        _check(table.to_dict("records"), summary, by_type=by_type)
    # the differences really are in it, with their intervals
    assert (table["section"] == "differences").sum() >= 2 * 2 and table["low"].notna().any()


def test_json_parses_back_to_the_numbers_of_summary_json(folder: Path, summary: dict[str, Any],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    for by_type in (False, True):
        args = ["--format", "json", *(["--by-type"] if by_type else [])]
        doc = json.loads(_output(capsys, str(folder), *args))
        _check(doc["rows"], summary, by_type=by_type)
    assert doc["variants"] == summary["variant_order"] and doc["reference"] == summary["variant_order"][0]
    assert (doc["scenario"], doc["seed"], doc["horizon_s"], doc["complete"], doc["replications"]) == (
        summary["scenario"], 3, summary["horizon_s"], True, 2)
    assert doc["focus_areas"] == summary["focus_areas"] == ["Baarle-Hertog enclaves"]
    # the norms the calls were judged against, in report order; each norm group's norm
    used = [st["norm"]["label"] for st in summary["variants"]["national"]["by_norm"].values() if st["norm"]]
    assert doc["norms"] == list(dict.fromkeys(used)) and "NL A2 30 min / 95 %" in doc["norms"]
    assert doc["norm_groups"]["BE/fire"] is None and doc["norm_groups"]["BE/urgent"] == "BE 15 min / 90 %"


def _text_tables(text: str) -> dict[str, list[list[str]]]:
    """The side-by-side tables of the text layout: title -> rows of cells (label first)."""
    out: dict[str, list[list[str]]] = {}
    blocks = text.split("\n\n")
    for block in blocks[1:]:
        lines = block.strip("\n").splitlines()
        if not lines or lines[0].startswith("Differences"):
            continue
        title = lines[0].split("  ")[0]
        out[title] = [[c.strip() for c in line.strip().split("  ") if c.strip()] for line in lines[1:]]
    return out


def test_text_is_the_default_and_markdown_shows_the_same_cells(folder: Path, summary: dict[str, Any],
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    text = _output(capsys, str(folder))
    assert _output(capsys, str(folder), "--format", "text") == text
    buf = io.StringIO()
    print_compare(summary, out=buf)
    assert buf.getvalue() == text
    md = _output(capsys, str(folder), "--format", "markdown")
    tables = _text_tables(text)
    assert {"All incidents", "Baarle-Hertog enclaves", "Cross-border missions (all replications)",
            "Requests for help: asked / declined (all replications)",
            "Unit utilisation (busy time over time on duty)", "Ambulance calls", "Fire calls",
            "NL A2 calls, norm NL A2 30 min / 95 %", "BE other fire calls, no norm"} <= set(tables)
    for title, rows in tables.items():
        assert f"### {title}\n" in md
        for cells in rows:
            assert "| " + " | ".join(cells) + " |" in md, (title, cells)
    # the differences: one markdown row per variant and group, with the text's cells
    diff_lines = [line for line in text.splitlines() if " · " in line]
    vs = summary["variants"]
    centres = {c for res in vs.values() for c, st in res["by_dispatch_centre"].items() if st["count"]}
    n_groups = 1 + len(summary["focus_areas"]) + len(centres) + len(vs["national"]["by_service"]) + len(
        vs["national"]["by_norm"]) + sum(len(by) for by in vs["national"]["focus_by_service"].values())
    assert len(diff_lines) == (len(vs) - 1) * n_groups > 0
    heading = next(line for line in text.splitlines() if line.split() == ["mean", "response", "p90"])
    at = heading.index("mean")
    for line in diff_lines:  # the columns start where their heading does
        head, label = line[:at].strip().split(" · ")
        mean, p90 = line[at:at + 34].strip(), line[at + 34:].strip()
        assert f"| {head} | {label} | {mean} | {p90} |" in md
    assert "### Incident type" not in md
    # cross-border missions by direction and unit type, as in summary.json
    by_type = tables["Cross-border missions by unit type, all incidents (all replications)"]
    variants = summary["variant_order"]
    want = sorted({(d, u) for v in variants for d, by in
                   vs[v]["overall"]["cross_border_missions_by_type"].items() for u in by})
    assert want and [row[0] for row in by_type] == [f"{d} {u}" for d, u in want]
    for row, (d, u) in zip(by_type, want, strict=True):
        counts = [vs[v]["overall"]["cross_border_missions_by_type"].get(d, {}).get(u, 0) for v in variants]
        assert row[1:] == [str(c) for c in counts]
    for i, v in enumerate(variants):  # the printed counts add up to the missions by direction
        totals: dict[str, int] = {}
        for row in by_type:
            direction = row[0].split()[0]
            totals[direction] = totals.get(direction, 0) + int(row[1 + i])
        assert {d: n for d, n in totals.items() if n} == vs[v]["overall"]["cross_border_missions"]
    assert "### Incident type" in _output(capsys, str(folder), "--format", "markdown", "--by-type")


def test_compare_table_of_a_run_without_finished_replications(capsys: pytest.CaptureFixture[str]) -> None:
    summary = {"scenario": "s", "complete": False, "variant_order": ["a", "b"], "replications_done":
               {"a": [], "b": []}, "seed": 1, "horizon_s": 86400.0, "norms": {}, "focus_areas": [],
               "variants": {}, "differences": {}}
    table = compare_table(summary)
    assert list(table.columns) == list(COLUMNS) and len(table) == 0
    assert table.attrs["variants"] == [] and table.attrs["replications"] == 0
    buf = io.StringIO()
    print_compare(summary, out=buf)
    assert buf.getvalue() == ("Scenario s: 0 replication(s) of 1 d per variant, seed 1, INCOMPLETE "
                              "(interrupted or a worker lost)\n\nNo finished replications.\n")


def test_compare_table_leaves_out_centres_without_calls(summary: dict[str, Any]) -> None:
    edited = copy.deepcopy(summary)
    centre = sorted(edited["variants"]["national"]["by_dispatch_centre"])[0]
    for res in edited["variants"].values():
        res["by_dispatch_centre"][centre]["count"] = 0
    before, after = compare_table(summary), compare_table(edited)
    assert centre in set(before["group"]) and centre not in set(after["group"])
    assert len(before) - len(after) == (before["group"] == centre).sum() > 0
