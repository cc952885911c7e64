"""``xborder compare``: print the planner's table of a results folder as text, markdown, CSV or JSON.

The numbers are :func:`sim.analysis.compare.compare_table`'s; this module only lays them out (and,
like every command module, imports the layers below when a command runs, not when it is registered).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

FORMATS: tuple[str, ...] = ("text", "markdown", "csv", "json")
"""Output formats of ``xborder compare``."""

_LABELS = {"count_per_replication": "calls per replication",
           "judged_per_replication": "calls with a norm", "mean_s": "mean response",
           "median_s": "median", "p90_s": "p90", "p95_s": "p95", "within_norm_share": "within norm",
           "within_10min_share": "within 10 min", "within_15min_share": "within 15 min",
           "unserved": "unserved calls", "cross_border_incidents": "cross-border incidents"}
"""Row labels of the statistics (every measure of :data:`sim.analysis.compare.MEASURES`)."""

Block = tuple[str, list[tuple[str, list[str]]]]
"""A titled table: (title, [(row label, one cell per variant)])."""


# ---------------------------------------------------------------------------------------- cells


def _missing(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def _mmss(seconds: Any) -> str:
    if _missing(seconds):
        return "–"
    s = float(seconds)
    sign = "-" if s < 0 else ""
    total = round(abs(s))
    h, rem = divmod(total, 3600)
    m, sec = divmod(rem, 60)
    return f"{sign}{h}:{m:02d}:{sec:02d}" if h else f"{sign}{m}:{sec:02d}"


def _pct(x: Any) -> str:
    return "–" if _missing(x) else f"{100 * float(x):.1f} %"


def _count(x: Any) -> str:
    return "–" if _missing(x) else str(int(x))


def _signed(s: float) -> str:
    return ("+" if s >= 0 else "") + _mmss(s)


_FORMAT: dict[str, Callable[[Any], str]] = {
    "count_per_replication": lambda x: "–" if _missing(x) else f"{x:.1f}",
    "judged_per_replication": lambda x: "–" if _missing(x) else f"{x:.1f}",
    "mean_s": _mmss, "median_s": _mmss, "p90_s": _mmss, "p95_s": _mmss,
    "within_norm_share": _pct, "within_10min_share": _pct, "within_15min_share": _pct,
    "unserved": _count, "cross_border_incidents": _count,
}


class _Cells:
    """Look-up of the table's rows by (section, scope, group, measure, variant)."""

    def __init__(self, table: pd.DataFrame) -> None:
        keys = ["section", "scope", "group", "measure", "variant"]
        self.table = table
        self.rows = {tuple(k): r for k, r in zip(table[keys].itertuples(index=False, name=None),
                                                 table.to_dict("records"), strict=True)}

    def groups(self, section: str, scope: str, column: str = "group") -> list[str]:
        """The distinct values of `column` among rows of `section` and `scope`, in table order."""
        sel = (self.table["section"] == section) & (self.table["scope"] == scope)
        return list(dict.fromkeys(self.table.loc[sel, column]))

    def value(self, *key: str) -> Any:
        row = self.rows.get(key)
        return None if row is None else row["value"]

    def diff(self, *key: str) -> str:
        row = self.rows.get(key)
        if row is None or _missing(row["value"]):
            return "–"
        if _missing(row["low"]) or _missing(row["high"]):
            return f"{_signed(row['value'])} (no interval)"
        star = " *" if not _missing(row["excludes_zero"]) and bool(row["excludes_zero"]) else ""
        return f"{_signed(row['value'])} [{_signed(row['low'])}, {_signed(row['high'])}]{star}"


# ---------------------------------------------------------------------------------------- blocks


def _heading(attrs: Mapping[Any, Any]) -> list[str]:
    why = attrs.get("stopped") or "interrupted or a worker lost"
    state = "complete" if attrs["complete"] else f"INCOMPLETE ({why})"
    lines = [f"Scenario {attrs['scenario']}: {attrs['replications']} replication(s) of "
             f"{(attrs['horizon_s'] or 0) / 86400:g} d per variant, seed {attrs['seed']}, {state}"]
    if attrs["norms"]:
        lines.append("Norms: " + "; ".join(attrs["norms"]))
    if attrs.get("norm_groups"):  # summaries written before the norms per class have none
        lines.append("Each call is judged against the norm of its country and class (NL A1 and A2 apart, "
                     "fires against fire norms); calls with no norm show the shares within 10 and 15 min.")
    return lines


def _norm_title(group: str, norm: str | None) -> str:
    from sim.analysis.compare import norm_group_label

    return f"{norm_group_label(group)} calls, " + (f"norm {norm}" if norm else "no norm")


def _group_blocks(cells: _Cells, variants: list[str], *, by_type: bool) -> Iterator[Block]:
    """The statistics tables: all incidents, focus areas, dispatch centres (and incident types)."""
    def rows(scope: str, group: str) -> list[tuple[str, list[str]]]:
        return [(label, [_FORMAT[m](cells.value("statistics", scope, group, m, v)) for v in variants])
                for m, label in _LABELS.items()]

    yield "All incidents", rows("overall", "")
    for s in cells.groups("statistics", "service"):
        yield f"{s.capitalize()} calls", rows("service", s)
    norm_groups = cells.table.attrs.get("norm_groups", {})
    for g in cells.groups("statistics", "norm"):
        yield _norm_title(g, norm_groups.get(g)), rows("norm", g)
    for f in cells.table.attrs["focus_areas"]:
        yield f, rows("focus", f)
        for label, g in _focus_services(cells, f):
            yield label, rows("focus_service", g)
    for c in sorted(cells.groups("statistics", "dispatch_centre")):
        yield f"Dispatch centre {c}", rows("dispatch_centre", c)
    if by_type:
        for t in sorted(cells.groups("statistics", "type")):
            yield f"Incident type {t}", rows("type", t)


def _count_blocks(cells: _Cells, variants: list[str]) -> Iterator[Block]:
    """Cross-border missions by direction, then by direction and unit type (all incidents and each
    focus area with any); requests for help by agreement and direction (if any); unit utilisation by
    type (if any)."""
    directions = sorted(cells.groups("cross_border_missions", "overall", "measure"))
    yield "Cross-border missions (all replications)", [
        (d, [_count(cells.value("cross_border_missions", "overall", "", d, v)) for v in variants])
        for d in directions] or [("none", ["0"] * len(variants))]
    t = cells.table
    section = "cross_border_missions_by_type"
    scopes = [("overall", "", "all incidents")] + [("focus", f, f) for f in t.attrs["focus_areas"]]
    for scope, group, label in scopes:
        sel = (t["section"] == section) & (t["scope"] == scope) & (t["group"] == group)
        measures = list(dict.fromkeys(t.loc[sel, "measure"]))
        if measures:
            yield f"Cross-border missions by unit type, {label} (all replications)", [
                (m, [_count(cells.value(section, scope, group, m, v)) for v in variants]) for m in measures]
    asked = t[(t["section"] == "requests") & t["measure"].str.endswith(" asked")]
    pairs = list(dict.fromkeys(zip(asked["group"], asked["measure"].str.removesuffix(" asked"), strict=True)))
    if pairs:
        yield "Requests for help: asked / declined (all replications)", [
            (f"{d} {ag}", [f"{_count(cells.value('requests', 'agreement', ag, f'{d} asked', v))} / "
                             f"{_count(cells.value('requests', 'agreement', ag, f'{d} declined', v))}"
                             for v in variants])
            for ag, d in pairs]
    util_types = sorted(cells.groups("utilisation", "overall", "measure"))
    if util_types:
        by_country = [(c, u) for c in cells.groups("utilisation", "country")
                      for u in util_types if any(cells.value("utilisation", "country", c, u, v) is not None
                                                 for v in variants)]
        yield "Unit utilisation (busy time over time on duty)", [
            (f"{c} {u}", [_pct(cells.value("utilisation", "country", c, u, v)) for v in variants])
            for c, u in by_country] + [
            (f"all {u}", [_pct(cells.value("utilisation", "overall", "", u, v)) for v in variants])
            for u in util_types]


def _focus_services(cells: _Cells, area: str) -> list[tuple[str, str]]:
    """(label, group) of the ``focus_service`` groups of focus area `area` (its calls by service)."""
    from sim.analysis.compare import focus_service_label

    return [(focus_service_label(g), g) for g in cells.groups("statistics", "focus_service")
            if g.rpartition("/")[0] == area]


def _diff_groups(cells: _Cells) -> list[tuple[str, str, str]]:
    """(label, scope, group) of the differences shown: all incidents, focus areas, dispatch centres."""
    from sim.analysis.compare import norm_group_label

    return ([("all incidents", "overall", "")]
            + [(f"{s} calls", "service", s) for s in cells.groups("statistics", "service")]
            + [(f"{norm_group_label(g)} calls", "norm", g) for g in cells.groups("statistics", "norm")]
            + [x for f in cells.table.attrs["focus_areas"]
               for x in [(f, "focus", f),
                         *((label, "focus_service", g) for label, g in _focus_services(cells, f))]]
            + [(c, "dispatch_centre", c) for c in sorted(cells.groups("statistics", "dispatch_centre"))])


# ---------------------------------------------------------------------------------------- text


def _text_table(title: str, rows: list[tuple[str, list[str]]], variants: list[str], out: Any) -> None:
    w0 = max([len(r[0]) for r in rows] + [len(title)]) + 2
    widths = [max(len(v), *(len(r[1][i]) for r in rows)) + 2 for i, v in enumerate(variants)]
    print(title.ljust(w0) + "".join(v.rjust(w) for v, w in zip(variants, widths, strict=True)), file=out)
    for label, cells in rows:
        print(("  " + label).ljust(w0) + "".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)),
              file=out)
    print(file=out)


def print_text(table: pd.DataFrame, *, out: Any = None, by_type: bool = False) -> None:
    """Print the planner's table: variants side by side, differences with intervals, missions."""
    out = out or sys.stdout
    attrs = table.attrs
    variants = list(attrs["variants"])
    for line in _heading(attrs):
        print(line, file=out)
    print(file=out)
    if not variants:
        print("No finished replications.", file=out)
        return
    cells = _Cells(table)
    for title, rows in _group_blocks(cells, variants, by_type=by_type):
        _text_table(title, rows, variants, out)
    diff_variants = cells.groups("differences", "overall", "variant")
    if diff_variants:
        ref = attrs["reference"]
        print(f"Differences against {ref} (variant minus {ref}; 95 % interval; * excludes zero)", file=out)
        groups = _diff_groups(cells)
        w0 = max(len(g[0]) for g in groups) + max(len(v) for v in diff_variants) + 6
        print("  " + "".ljust(w0 - 2) + "mean response".ljust(34) + "p90", file=out)
        for v in diff_variants:
            for label, scope, group in groups:
                mean = cells.diff("differences", scope, group, "mean_s", v)
                p90 = cells.diff("differences", scope, group, "p90_s", v)
                print(f"  {v} · {label}".ljust(w0) + mean.ljust(34) + p90, file=out)
        print(file=out)
    for title, rows in _count_blocks(cells, variants):
        _text_table(title, rows, variants, out)


def planner_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """:func:`sim.analysis.compare.compare_table` of `summary`, with why the run stopped (if it did)
    in ``attrs["stopped"]``."""
    from sim.analysis.compare import compare_table

    table = compare_table(summary)
    table.attrs["stopped"] = summary.get("stopped")
    return table


def print_compare(summary: dict[str, Any], *, out: Any = None, by_type: bool = False) -> None:
    """Print the planner's table of a run's `summary` as text (``xborder compare``)."""
    print_text(planner_table(summary), out=out, by_type=by_type)


# ---------------------------------------------------------------------------------------- markdown


def _md_table(header: list[str], rows: list[list[str]], out: Any) -> None:
    print("| " + " | ".join(header) + " |", file=out)
    print("|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|", file=out)
    for row in rows:
        print("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |", file=out)
    print(file=out)


def print_markdown(table: pd.DataFrame, *, out: Any = None, by_type: bool = False) -> None:
    """Print the planner's table as markdown: a heading per table, variants as columns."""
    out = out or sys.stdout
    attrs = table.attrs
    variants = list(attrs["variants"])
    print("  \n".join(_heading(attrs)), file=out)
    print(file=out)
    if not variants:
        print("No finished replications.", file=out)
        return
    cells = _Cells(table)
    for title, rows in _group_blocks(cells, variants, by_type=by_type):
        print(f"### {title}\n", file=out)
        _md_table(["", *variants], [[label, *row] for label, row in rows], out)
    diff_variants = cells.groups("differences", "overall", "variant")
    if diff_variants:
        ref = attrs["reference"]
        print(f"### Differences against {ref}\n\nVariant minus {ref}; 95 % interval; * excludes zero.\n",
              file=out)
        _md_table(["variant", "incidents", "mean response", "p90"],
                  [[v, label, cells.diff("differences", scope, group, "mean_s", v),
                    cells.diff("differences", scope, group, "p90_s", v)]
                   for v in diff_variants for label, scope, group in _diff_groups(cells)], out)
    for title, rows in _count_blocks(cells, variants):
        print(f"### {title}\n", file=out)
        _md_table(["", *variants], [[label, *row] for label, row in rows], out)


# ---------------------------------------------------------------------------------------- csv, json


def _plain(x: Any) -> Any:
    """A JSON-ready cell: NaN -> None, numpy scalars -> Python."""
    if hasattr(x, "item"):
        x = x.item()
    return None if isinstance(x, float) and math.isnan(x) else x


def print_csv(table: pd.DataFrame, *, out: Any = None) -> None:
    """Print the table as CSV (the columns of :func:`sim.analysis.compare.compare_table`)."""
    (out or sys.stdout).write(table.to_csv(index=False, lineterminator="\n"))


def print_json(table: pd.DataFrame, *, out: Any = None) -> None:
    """Print one JSON object: the heading (``attrs``) and ``rows``, one object per row."""
    rows = [{k: _plain(v) for k, v in r.items()} for r in table.to_dict("records")]
    doc = {**{k: _plain(v) for k, v in table.attrs.items()}, "rows": rows}
    out = out or sys.stdout
    out.write(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


# ---------------------------------------------------------------------------------------- command


def _compare(args: argparse.Namespace) -> int:
    from sim.cli._common import results_dir
    from sim.study.folders import load_results

    table = planner_table(load_results(results_dir(args.results_dir)).summary)
    if args.format == "text":
        print_text(table, by_type=args.by_type)
    elif args.format == "markdown":
        print_markdown(table, by_type=args.by_type)
    else:
        if not args.by_type:
            attrs = dict(table.attrs)
            table = table[table["scope"] != "type"].reset_index(drop=True)
            table.attrs.update(attrs)
        (print_csv if args.format == "csv" else print_json)(table)
    return 0


def register(subparsers: Any) -> None:
    """Add ``compare`` to the ``xborder`` command line."""
    p = subparsers.add_parser(
        "compare", help="print variants side by side with their differences and intervals",
        description="Print the planner's table of a results folder: variants side by side, the "
                    "differences against the first variant with 95 % intervals, cross-border "
                    "missions by direction and by direction and unit type. --format csv or json "
                    "gives the same numbers one per row "
                    "(section, scope, group, measure, variant, value, low, high, excludes_zero).")
    p.add_argument("results_dir", help="a folder written by xborder run")
    p.add_argument("--by-type", action="store_true", help="also one table per incident type")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (default), markdown, csv or json")
    p.set_defaults(func=_compare)
