"""Parameter sweeps: a grid of scenario edits, every variant at every point, one results folder.

``xborder sweep FILE --param PATH=V1,V2,... [--param ...]`` runs every combination of the values
(the grid, first parameter varying slowest) × every variant × every replication, with the same
seed at every point (common random numbers: points and variants replay the same incidents), and
writes one folder:

- ``sweep.parquet`` / ``sweep.csv``: the tidy table, one row per point × variant (all incidents),
  with the KPIs and their 95 % intervals and the paired difference to the first variant
  (:data:`KPIS`, :func:`sweep_table`);
- ``sweep-areas.parquet`` / ``.csv``: the same per focus area of the scenario (if it has any);
- ``sweep-replications.parquet``: the KPIs of every replication (what the tables are made from);
- ``sweep.json``: the parameters, the points and their folders, the variants, replications and
  seed; ``scenario.yaml`` (the file as given) and ``versions.json``; ``run.json`` (timing);
- ``points/p01/`` …: a full results folder per point (``incidents.parquet``, ``missions.parquet``,
  ``units.parquet``, ``summary.json``, ``scenario.yaml`` as run), readable by ``xborder compare``
  and ``xborder plot``;
- ``figures/sweep.png`` (and ``.svg``; one per focus area): each KPI against the first swept
  parameter, one line per variant with its 95 % band.

Paths
-----
``PATH`` addresses a field of the scenario file as written:

- ``horizon``, ``demand.scale``, ``policy.call_processing``: keys of the base document (every
  variant inherits them unless it sets them itself);
- ``agreements[0].threshold``: item 0 of a list; ``stations[Hoogstraten ambulance].units.ambulance``:
  the item of a named list with that ``name`` (quotes allowed: ``stations["A. B"]``);
- ``variants.benelux-2009.agreements[0].request_delay.mean``: a field inside a variant's edits
  (``variants[name.with.dots]`` for names with dots); a variant's edits by name work the same way:
  ``variants.national.stations[Baarle joint fire corps (NL-BE)].also_serves``.

Missing keys are created (the scenario's validation then names unknown ones); list items must
exist. Values are YAML scalars split on commas outside brackets and quotes: ``2 min``, ``0.5``,
``true``, ``[NL, BE]``. Every point is validated like a scenario file; problems are reported as
``file:line field: message (--param PATH=VALUE)``, with the line of the field in the file.

Statistics
----------
Per replication (warm-up incidents left out, as in ``summary.json``): mean and 90th percentile of
the response time, the share of urgent incidents within their norm (a call never reached counts
as outside), cross-border missions and calls. The tables give their mean over replications with
a Student-t 95 % interval, and the paired difference (variant minus the first variant,
replication by replication: common random numbers) with its t-interval. ``summary.json`` of each
point keeps its own intervals (Wilson for shares, bootstrap for percentile differences).
"""

from __future__ import annotations

import copy
import difflib
import itertools
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from sim.analysis.frames import TABLES
from sim.analysis.measures import judged, norm_limits, within
from sim.analysis.stats import mean_ci, paired_diff_ci
from sim.errors import UsageError
from sim.scenario import FIXED_IN_VARIANTS, Problem, Scenario, ScenarioError
from sim.study.folders import write_json, write_parquet, write_text

KPIS: tuple[str, ...] = ("mean_s", "p90_s", "within_norm", "cross_border_missions", "calls")
"""Per-replication KPIs: mean and p90 response time (s), share of urgent calls within the norm,
cross-border missions and measured calls per replication."""

PLOTTED: tuple[str, ...] = ("mean_s", "p90_s", "within_norm", "cross_border_missions")
NOT_SWEPT = {"name": "it names the scenario", "seed": "every point uses the same seed (common random "
             "numbers); use --seed", "replications": "use --reps", "description": "it is a text"}


class SweepError(UsageError):
    """A bad ``--param`` (one line per problem, exit code 2)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# ---------------------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class ByName:
    """A list item addressed by its ``name`` (``stations[Hoogstraten ambulance]``)."""

    name: str


Part = str | int | ByName


def format_path(loc: Iterable[Part]) -> str:
    """``("agreements", 0, "threshold")`` -> ``"agreements[0].threshold"``."""
    out = ""
    for p in loc:
        if isinstance(p, int):
            out += f"[{p}]"
        elif isinstance(p, ByName):
            out += f"[{p.name}]"
        else:
            out += ("." if out else "") + p
    return out


def parse_path(text: str) -> tuple[Part, ...]:
    """Parse ``a.b[0].c[Name]`` into ``("a", "b", 0, "c", ByName("Name"))``.

    Raises
    ------
    ValueError
        With a message saying what is wrong where.
    """
    s = text.strip()
    if not s:
        raise ValueError("empty path")
    out: list[Part] = []
    i = 0
    need_key = True
    while i < len(s):
        c = s[i]
        if c == "[":
            j, name = _bracket(s, i)
            out.append(name)
            i = j
            need_key = False
            if i < len(s) and s[i] not in ".[":
                raise ValueError(f"expected '.' or '[' after ']' at {s[:i]!r}")
            continue
        if c == ".":
            if need_key:
                raise ValueError(f"empty key at {s[:i + 1]!r}")
            i += 1
            need_key = True
            if i == len(s):
                raise ValueError("the path ends with '.'")
            continue
        m = re.match(r"[^.\[\]]+", s[i:])
        if not m or (out and not need_key):
            raise ValueError(f"unexpected {c!r} at {s[:i + 1]!r}")
        key = m.group(0).strip()
        if not key:
            raise ValueError(f"empty key at {s[:i + 1]!r}")
        out.append(key)
        i += m.end()
        need_key = False
    if need_key:
        raise ValueError("the path ends with '.'")
    return tuple(out)


def _bracket(s: str, i: int) -> tuple[int, Part]:
    """Parse ``[...]`` starting at ``s[i] == "["``; return the index after ``]`` and the part."""
    body_start = i + 1
    if body_start < len(s) and s[body_start] in "'\"":
        q = s[body_start]
        end = s.find(q, body_start + 1)
        if end < 0 or end + 1 >= len(s) or s[end + 1] != "]":
            raise ValueError(f"unclosed quote in {s[i:]!r}")
        return end + 2, ByName(s[body_start + 1:end])
    end = s.find("]", body_start)
    if end < 0:
        raise ValueError(f"unclosed '[' in {s[i:]!r}")
    body = s[body_start:end].strip()
    if not body:
        raise ValueError(f"empty [] in {s[:end + 1]!r}")
    if re.fullmatch(r"-?\d+", body):
        return end + 1, int(body)
    return end + 1, ByName(body)


def split_values(text: str) -> list[str]:
    """Split on commas outside brackets, braces and quotes (``1 min, [NL, BE]`` -> two values)."""
    out, depth, quote, cur = [], 0, "", ""
    for c in text:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "," and depth == 0:
            out.append(cur)
            cur = ""
            continue
        cur += c
    out.append(cur)
    return [v.strip() for v in out]


@dataclass(frozen=True)
class SweepParam:
    """One ``--param PATH=V1,V2,...``: where it goes and its values (as written and parsed)."""

    path: str
    loc: tuple[Part, ...]
    labels: tuple[str, ...]
    values: tuple[Any, ...]

    def arg(self, k: int) -> str:
        """``--param PATH=VALUE`` of the k-th value."""
        return f"--param {self.path}={self.labels[k]}"


def parse_param(text: str) -> SweepParam:
    """Parse ``PATH=V1,V2,...`` (raises :class:`SweepError` naming the argument)."""
    head = f"--param {text}"
    if "=" not in text:
        raise SweepError([f"{head}: write PATH=V1,V2,..., e.g. agreements[0].threshold=1 min,3 min"])
    path, _, vals = text.partition("=")
    try:
        loc = parse_path(path)
    except ValueError as exc:
        raise SweepError([f"{head}: bad path: {exc}"]) from None
    labels = split_values(vals)
    problems = []
    if not vals.strip():
        problems.append(f"{head}: no values after '='")
    elif any(not v for v in labels):
        problems.append(f"{head}: empty value (values are separated by commas)")
    values: list[Any] = []
    for v in labels:
        try:
            values.append(yaml.safe_load(v) if v else None)
        except yaml.YAMLError as exc:
            problems.append(f"{head}: value {v!r} is not valid YAML ({str(exc).splitlines()[0]})")
    dup = sorted({v for v in labels if labels.count(v) > 1})
    if dup:
        problems.append(f"{head}: value {dup[0]!r} is given twice")
    if problems:
        raise SweepError(problems)
    return SweepParam(path=format_path(loc), loc=loc, labels=tuple(labels), values=tuple(values))


# ---------------------------------------------------------------------------------------- points


@dataclass
class SweepPoint:
    """One point of the grid: its number (1-based), folder name, values and scenario."""

    index: int
    name: str
    labels: dict[str, str]
    values: dict[str, Any]
    scenario: Scenario


class _PathError(Exception):
    def __init__(self, resolved: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.resolved, self.message = resolved, message


def _show(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)} item{'s' * (len(value) != 1)}"
    return repr(value)


def _names(items: list[Any]) -> list[str]:
    return [str(x["name"]) for x in items if isinstance(x, dict) and "name" in x]


def assign(data: dict[str, Any], loc: Sequence[Part], value: Any) -> None:
    """Set ``data`` at `loc` to `value` in place, creating missing keys of mappings.

    Raises ``_PathError`` (with the resolved location of the last node reached) for an index or
    name that does not exist, or a key or index into something that is not a mapping or a list.
    """
    node: Any = data
    resolved: list[str | int] = []
    for i, part in enumerate(loc):
        last = i == len(loc) - 1
        where = format_path(loc[:i]) or "the file"
        if isinstance(part, int):
            if not isinstance(node, list):
                hint = f" (address its items by name: {where}[NAME])" if isinstance(node, dict) else ""
                raise _PathError(tuple(resolved), f"{where} is {_show(node)}, not a list{hint}")
            if not -len(node) <= part < len(node):
                raise _PathError(tuple(resolved), f"no item [{part}]: {where} has {len(node)} "
                                                  f"item{'s' * (len(node) != 1)}")
            key: str | int = part % len(node)
        elif isinstance(part, ByName):
            if isinstance(node, list):
                names = _names(node)
                idx = next((j for j, x in enumerate(node)
                            if isinstance(x, dict) and x.get("name") == part.name), None)
                if idx is None:
                    close = difflib.get_close_matches(part.name, names, n=1)
                    known = f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(names)
                    raise _PathError(tuple(resolved), f"{where} has no item named {part.name!r} ({known})")
                key = idx
            elif isinstance(node, dict):  # a variant's edits of a named list, by name
                key = part.name
            else:
                raise _PathError(tuple(resolved), f"{where} is {_show(node)}, not a list of named items")
        else:
            if not isinstance(node, dict):
                raise _PathError(tuple(resolved), f"{where} is {_show(node)}, not a mapping: "
                                                  f"it has no key {part!r}")
            key = part
            if not last and isinstance(loc[i + 1], int) and part not in node:
                close = difflib.get_close_matches(part, [str(k) for k in node], n=1)
                raise _PathError(tuple(resolved), f"{format_path(loc[:i + 1])}: no such list in the file"
                                 + (f" (did you mean {close[0]!r}?)" if close else ""))
        if last:
            node[key] = value
            return
        if isinstance(node, dict) and (key not in node or node[key] is None):
            node[key] = {}
        node = node[key]
        resolved.append(key)


def _base_hint(sc: Scenario, loc: Sequence[Part]) -> str:
    """Where the variants set the first key of a base path (it may be meant for them)."""
    variants = sc.data.get("variants") or {}
    setters = []
    for v, over in variants.items():
        if isinstance(over, dict) and loc and loc[0] in over:
            try:
                assign(copy.deepcopy(over), loc, None)
            except _PathError:
                continue
            setters.append(str(v))
    if not setters:
        return ""
    rest = format_path(loc)
    return (f"; variant{'s' * (len(setters) > 1)} {', '.join(setters)} set{'s' * (len(setters) == 1)} "
            f"{loc[0]}: address {'one' if len(setters) > 1 else 'it'} as variants.{setters[0]}.{rest}")


def _check_target(sc: Scenario, p: SweepParam) -> list[str]:
    """Problems with where a parameter points (before any value is tried)."""
    loc = p.loc
    first = loc[0]
    if isinstance(first, str) and first in NOT_SWEPT:
        return [f"{sc.filename}:{sc.line_of((first,))} {p.path}: cannot be swept: {NOT_SWEPT[first]} "
                f"(--param {p.path})"]
    if first == "variants":
        names = list(sc.data.get("variants") or {})
        if len(loc) < 3 or isinstance(loc[1], int):
            return [f"{sc.filename} {p.path}: address a field inside a variant, e.g. "
                    f"variants.{names[0] if names else 'NAME'}.agreements[0].threshold (--param {p.path})"]
        vname = loc[1].name if isinstance(loc[1], ByName) else str(loc[1])
        if vname not in names:
            hint = difflib.get_close_matches(vname, names, n=1)
            known = f"did you mean {hint[0]!r}?" if hint else "the file has: " + (", ".join(names) or "none")
            return [f"{sc.filename}:{sc.line_of(('variants',))} {p.path}: unknown variant {vname!r} "
                    f"({known}) (--param {p.path})"]
        if isinstance(loc[2], str) and loc[2] in FIXED_IN_VARIANTS:
            return [f"{sc.filename}:{sc.line_of(('variants', vname))} {p.path}: a variant cannot change "
                    f"{loc[2]} (every variant shares it); sweep the base field {format_path(loc[2:])} "
                    f"(--param {p.path})"]
    return []


def _remap(problem: Problem, original: Scenario, suffix: str) -> str:
    """A problem found in an edited copy, with the line of its field in the original file."""
    try:
        loc = tuple(x if not isinstance(x, ByName) else x.name for x in parse_path(problem.path)) \
            if problem.path else ()
    except ValueError:
        loc = ()
    line = original.line_of(loc, problem.variant or None) if loc else problem.line
    where = f"{original.filename}:{line}" if line else original.filename
    what = problem.path + (f" (variant {problem.variant!r})" if problem.variant else "")
    head = f"{where} {what}" if what else where
    return f"{head}: {problem.message} ({suffix})"


def _path_problem(sc: Scenario, p: SweepParam) -> str | None:
    """Whether the path of `p` leads somewhere in the file (it does not depend on the value)."""
    try:
        assign(copy.deepcopy(sc.data), p.loc, None)
    except _PathError as exc:
        line = sc.line_of(exc.resolved) if exc.resolved else 0
        where = f"{sc.filename}:{line}" if line else sc.filename
        hint = _base_hint(sc, p.loc) if p.loc[0] != "variants" and exc.message.startswith("no item") else ""
        return f"{where} {p.path}: {exc.message}{hint} (--param {p.path})"
    return None


def _edited(sc: Scenario, edits: Sequence[tuple[SweepParam, int]], region: Any) -> tuple[Scenario | None,
                                                                                         list[str]]:
    """The scenario with the edits applied and validated (or the problems, one line each)."""
    data = copy.deepcopy(sc.data)
    suffix = ", ".join(p.arg(k) for p, k in edits)
    for p, k in edits:
        assign(data, p.loc, copy.deepcopy(p.values[k]))  # paths checked by _path_problem
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=110)
    try:
        point = Scenario.from_text(text, filename=sc.filename, path=sc.path)
        problems = point.check_network(region) if region is not None else []
    except ScenarioError as exc:
        problems = exc.problems
    if problems:
        return None, list(dict.fromkeys(_remap(pr, sc, suffix) for pr in problems))
    return point, []


def build_points(sc: Scenario, params: Sequence[SweepParam], *, region: Any = None) -> list[SweepPoint]:
    """Every point of the grid (first parameter slowest), each a validated scenario.

    Each value is first tried alone (so a problem names its own ``--param PATH=VALUE``), then every
    combination. With `region`, the checks that need the road network run too.

    Raises
    ------
    SweepError
        Listing every problem, one line each.
    """
    if not params:
        raise SweepError(["give at least one --param PATH=V1,V2,..."])
    problems: list[str] = []
    seen: dict[str, str] = {}
    for p in params:
        if p.path in seen:
            problems.append(f"--param {p.path}: given twice")
        seen[p.path] = p.path
        problems += _check_target(sc, p) or [x for x in [_path_problem(sc, p)] if x]
    if problems:
        raise SweepError(problems)
    singles: dict[tuple[int, int], tuple[Scenario | None, list[str]]] = {}
    for i, p in enumerate(params):
        for k in range(len(p.values)):
            singles[(i, k)] = _edited(sc, [(p, k)], region)
            problems += singles[(i, k)][1]
    if problems:
        raise SweepError(list(dict.fromkeys(problems)))
    grid = list(itertools.product(*[range(len(p.values)) for p in params]))
    width = max(2, len(str(len(grid))))
    points = []
    for i, ks in enumerate(grid, start=1):
        point, probs = singles[(0, ks[0])] if len(params) == 1 else \
            _edited(sc, list(zip(params, ks, strict=True)), region)
        problems += probs
        if point is not None:
            points.append(SweepPoint(index=i, name=f"p{i:0{width}d}",
                                     labels={p.path: p.labels[k] for p, k in zip(params, ks, strict=True)},
                                     values={p.path: p.values[k] for p, k in zip(params, ks, strict=True)},
                                     scenario=point))
    if problems:
        raise SweepError(list(dict.fromkeys(problems)))
    return points


def unchanged_variants(points: Sequence[SweepPoint], variants: Sequence[str]) -> list[str]:
    """Variants whose validated document is the same at every point (the sweep does not touch them)."""
    if len(points) < 2:
        return []
    out = []
    for v in variants:
        first = points[0].scenario.variants[v]
        if all(p.scenario.variants[v] == first for p in points[1:]):
            out.append(v)
    return out


# ---------------------------------------------------------------------------------------- KPIs


def replication_kpis(frames: Mapping[str, pd.DataFrame], *, norms: Mapping[str, Any],
                     areas: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The KPIs of one replication of one variant, for all incidents (area ``""``) and each area.

    `frames` are the task's ``incidents``, ``missions`` (and ``units``) frames; warm-up incidents
    are left out; shares count urgent incidents (urgency 1) whose dispatch centre or country has a
    norm, a call never reached counting as outside.
    """
    inc = frames["incidents"]
    mis = frames["missions"]
    measured = inc[~inc["in_warmup"].astype(bool)] if len(inc) else inc
    limits = norm_limits(measured, norms) if len(measured) else np.zeros(0)
    rt_all = measured["response_time_s"].to_numpy(dtype=float) if len(measured) else np.zeros(0)
    focus = measured["focus"].astype(str).to_numpy() if "focus" in measured else np.full(len(measured), "")
    ids = measured["incident_id"].to_numpy() if len(measured) else np.zeros(0)
    xb = mis[mis["cross_border"].astype(bool)] if len(mis) else mis
    xb_ids = xb["incident_id"].to_numpy() if len(xb) else np.zeros(0)
    out = []
    for area in ("", *areas):
        sel = np.ones(len(measured), bool) if area == "" else focus == area
        rt = rt_all[sel]
        fin = rt[np.isfinite(rt)]
        urgent = judged(measured[sel], limits[sel])
        n_urgent = int(urgent.sum())
        n_within = int((urgent & within(rt, limits[sel])).sum())
        out.append({
            "area": area,
            "calls": float(sel.sum()),
            "mean_s": float(fin.mean()) if len(fin) else math.nan,
            "p90_s": float(np.quantile(fin, 0.9)) if len(fin) else math.nan,
            "within_norm": n_within / n_urgent if n_urgent else math.nan,
            "cross_border_missions": float(np.isin(xb_ids, ids[sel]).sum()),
        })
    return out


def sweep_table(per_rep: pd.DataFrame, *, params: Sequence[str], variants: Sequence[str]) -> pd.DataFrame:
    """The tidy table from per-replication KPIs: one row per point × variant (× area).

    Columns: ``point``, the parameters (values as written), ``area`` (if present), ``variant``,
    ``reference``, ``replications``, and for each KPI its mean over replications with
    ``_low``/``_high`` (Student-t 95 %), and ``_diff`` / ``_diff_low`` / ``_diff_high``: the paired
    difference to the reference variant over the replications both have (empty for the reference).
    """
    ref = variants[0]
    keys = ["point", *params] + (["area"] if "area" in per_rep else [])
    rows = []
    for gkey, g in per_rep.groupby(keys, sort=False):
        gvals = gkey if isinstance(gkey, tuple) else (gkey,)
        ref_rows = g[g["variant"] == ref].set_index("replication")
        for v in variants:
            d = g[g["variant"] == v].set_index("replication").sort_index()
            if not len(d):
                continue
            row: dict[str, Any] = dict(zip(keys, gvals, strict=True))
            row.update(variant=v, reference=ref, replications=len(d))
            common = sorted(set(d.index) & set(ref_rows.index))
            for k in KPIS:
                iv = mean_ci(d[k].to_numpy(float))
                row[k], row[f"{k}_low"], row[f"{k}_high"] = iv.estimate, iv.low, iv.high
            for k in KPIS:
                if v == ref or not common:
                    row[f"{k}_diff"] = row[f"{k}_diff_low"] = row[f"{k}_diff_high"] = math.nan
                    continue
                a = ref_rows.loc[common, k].to_numpy(float)
                b = d.loc[common, k].to_numpy(float)
                ok = np.isfinite(a) & np.isfinite(b)
                iv = paired_diff_ci(a[ok], b[ok])
                row[f"{k}_diff"], row[f"{k}_diff_low"], row[f"{k}_diff_high"] = iv.estimate, iv.low, iv.high
            rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------- running


def run_sweep(scenario: Scenario, params: Sequence[SweepParam], *, reps: int | None = None,
              seed: int | None = None, out: str | Path | None = None, workers: int = 1,
              dask: Any = None, progress: bool = True, variants: Sequence[str] | None = None,
              lang: str = "en", plot: bool = True, region: Any = None,
              on_points: Callable[[list[SweepPoint]], None] | None = None) -> Path:
    """Run the grid of `params` over every variant and replication; write one folder; return it.

    Parameters
    ----------
    scenario
        The validated scenario file.
    params
        The swept parameters (:func:`parse_param`).
    reps, seed
        Override the file's ``replications`` and ``seed`` (the same seed at every point).
    out
        The folder (must not exist or be empty); default ``results/<scenario>-sweep/<timestamp>/``.
    workers, dask
        As in :func:`sim.study.distributed.execute`: local processes, or ``"local"`` / a scheduler address
        (then `workers` is the LocalCluster size). The files do not depend on them.
    progress
        Show a progress bar over finished tasks (only on a terminal).
    variants
        Run only these variants (file order; the first run is the reference).
    lang, plot
        Language of the figures; whether to draw them.
    region
        The loaded region (default: loaded here).
    on_points
        Called with the points once they are validated, before anything runs.

    Raises
    ------
    SweepError
        For bad parameters (nothing is written).
    sim.study.runner.RunInterrupted
        On Ctrl-C, after writing what finished (``"complete": false`` in ``sweep.json``).
    sim.study.runner.RunFailed
        When a worker process dies, after writing what finished, as on Ctrl-C.
    """
    from sim.study import distributed
    from sim.study.runner import (
        RunFailed,
        RunInterrupted,
        _bar,
        _part_name,
        _prepare_out,
        finalize,
        new_results_dir,
        package_versions,
        run_settings,
    )

    names, n, s = run_settings(scenario, reps=reps, seed=seed, variants=variants, workers=workers)
    if region is None:
        region = scenario.load_region()
    points = build_points(scenario, params, region=region)
    if on_points is not None:
        on_points(points)
    client = None
    if isinstance(dask, str) and dask.strip() != "local":
        client = distributed.connect(dask)  # before any folder: a wrong address writes nothing
    started = time.time()
    bundle = distributed.make_bundle(region, {p.name: p.scenario for p in points}, names)
    folder = (new_results_dir(Path("results"), f"{scenario.name}-sweep") if out is None
              else _prepare_out(out, f"{scenario.name}-sweep"))
    pdirs = {p.name: folder / "points" / p.name for p in points}
    for p in points:
        (pdirs[p.name] / "parts").mkdir(parents=True)
        write_text(pdirs[p.name] / "scenario.yaml", p.scenario.as_run_yaml(replications=n, seed=s))
    write_text(folder / "scenario.yaml", scenario.as_run_yaml(replications=n, seed=s))
    write_json(folder / "versions.json", package_versions())
    areas = [f.name for f in scenario.base.focus]
    by_name = {p.name: p for p in points}
    norms = {p.name: p.scenario.norms() for p in points}
    index = {v: i for i, v in enumerate(names)}
    tasks = [(p.name, v, r) for p in points for r in range(n) for v in names]
    remaining = {p.name: n * len(names) for p in points}
    kpi_rows: list[dict[str, Any]] = []
    finished = 0
    bar = _bar(len(tasks), progress, f"{scenario.name} sweep")

    def done(task: distributed.Task, frames: dict[str, pd.DataFrame]) -> None:
        nonlocal finished
        pname, v, r = task
        parts = pdirs[pname] / "parts"
        for t in TABLES:
            write_parquet(parts / _part_name(index[v], v, r, t), frames[t])
        for row in replication_kpis(frames, norms=norms[pname], areas=areas):
            kpi_rows.append({"point": by_name[pname].index, **by_name[pname].labels, "variant": v,
                             "replication": r, **row})
        finished += 1
        remaining[pname] -= 1
        if remaining[pname] == 0:  # the point is complete: assemble its folder now
            finalize(pdirs[pname], by_name[pname].scenario, variants=names, reps=n, seed=s, complete=True)
        bar.update(1)

    complete = False
    try:
        distributed.execute(bundle, tasks, seed=s, on_done=done, workers=workers,
                            dask=client if client is not None else dask)
        complete = True
    except (KeyboardInterrupt, distributed.WorkerLost) as exc:
        bar.close()
        for p in points:  # points not assembled yet, or whose assembly Ctrl-C cut short
            parts = pdirs[p.name] / "parts"
            if not parts.is_dir():
                continue
            if (pdirs[p.name] / "summary.json").is_file():  # cut short while removing the parts
                for f in parts.glob("*.parquet"):
                    f.unlink()
                parts.rmdir()
            else:
                finalize(pdirs[p.name], p.scenario, variants=names, reps=n, seed=s,
                         complete=remaining[p.name] == 0)
        _write_outputs(folder, scenario, points, params, kpi_rows, names=names, reps=n, seed=s,
                       areas=areas, lang=lang, plot=plot, complete=False)
        _write_run_info(folder, started, workers, dask, finished, len(tasks))
        if isinstance(exc, distributed.WorkerLost):
            raise RunFailed(folder, finished, len(tasks), str(exc)) from exc
        raise RunInterrupted(folder, finished, len(tasks)) from None
    finally:
        bar.close()
        if client is not None:
            client.close()
    _write_outputs(folder, scenario, points, params, kpi_rows, names=names, reps=n, seed=s, areas=areas,
                   lang=lang, plot=plot, complete=complete)
    _write_run_info(folder, started, workers, dask, finished, len(tasks))
    return folder


def _write_run_info(folder: Path, started: float, workers: int, dask: Any, done: int, total: int) -> None:
    # timing and where it ran stay out of sweep.json: the tables do not depend on them
    import os
    import platform

    where = None if dask is None else (dask if isinstance(dask, str) else "client")
    write_json(folder / "run.json", {
        "started": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "elapsed_s": round(time.time() - started, 2), "workers": workers, "dask": where,
        "tasks_done": done, "tasks_total": total, "host": platform.node(), "pid": os.getpid(),
    })


def _write_outputs(folder: Path, scenario: Scenario, points: Sequence[SweepPoint],
                   params: Sequence[SweepParam], kpi_rows: list[dict[str, Any]], *, names: Sequence[str],
                   reps: int, seed: int, areas: Sequence[str], lang: str, plot: bool, complete: bool) -> None:
    paths = [p.path for p in params]
    per_rep = pd.DataFrame(kpi_rows, columns=["point", *paths, "variant", "replication", "area", *KPIS])
    per_rep = per_rep.sort_values(["point", "area", "variant", "replication"],
                                  key=lambda c: c.map({v: i for i, v in enumerate(names)})
                                  if c.name == "variant" else c, kind="stable").reset_index(drop=True)
    for path in paths:
        per_rep[path] = per_rep[path].astype(str)
    write_parquet(folder / "sweep-replications.parquet", per_rep)
    overall = sweep_table(per_rep[per_rep["area"] == ""].drop(columns="area"), params=paths, variants=names)
    _write_table(folder, "sweep", overall)
    tables = {"": overall}
    if areas:
        by_area = sweep_table(per_rep[per_rep["area"] != ""], params=paths, variants=names)
        _write_table(folder, "sweep-areas", by_area)
        for a in areas:
            tables[a] = by_area[by_area["area"] == a] if len(by_area) else by_area
    write_json(folder / "sweep.json", {
        "scenario": scenario.name,
        "file": scenario.filename,
        "complete": bool(complete),
        "parameters": [{"path": p.path, "values": list(p.labels)} for p in params],
        "points": [{"point": p.index, "folder": f"points/{p.name}", "values": p.labels} for p in points],
        "variant_order": list(names),
        "reference": names[0],
        "replications": reps,
        "seed": seed,
        "horizon_s": scenario.base.horizon,
        "warmup_s": scenario.base.warmup,
        "focus_areas": list(areas),
        "kpis": {
            "mean_s": "mean response time (s), call to first unit of the primary kind on scene",
            "p90_s": "90th percentile of the response time (s)",
            "within_norm": "share of urgent incidents within their norm (never reached counts as outside)",
            "cross_border_missions": "missions by a unit crossing the border, per replication",
            "calls": "measured calls (after the warm-up) per replication",
        },
        "notes": {
            "replications": "each KPI is computed per replication (warm-up incidents left out)",
            "intervals": "mean over replications with a Student-t 95 % interval (_low, _high)",
            "differences": "variant minus the reference, paired by replication (common random "
                           "numbers): t-interval of the per-replication differences (_diff)",
            "seed": "the same seed at every point and for every variant",
        },
    })
    if plot and len(overall):
        plot_sweep(folder, tables, params=params, variants=names, scenario=scenario.name, reps=reps,
                   lang=lang)


def _write_table(folder: Path, stem: str, table: pd.DataFrame) -> None:
    write_parquet(folder / f"{stem}.parquet", table)
    write_text(folder / f"{stem}.csv", table.to_csv(index=False, float_format="%.6g", lineterminator="\n"))


def load_sweep(folder: str | Path) -> pd.DataFrame:
    """The tidy table (``sweep.parquet``) of a sweep folder."""
    from sim.errors import DataError

    p = Path(folder) / "sweep.parquet"
    if not p.is_file():
        raise DataError(f"{folder}: not a sweep folder (no sweep.parquet)")
    return pd.read_parquet(p)


# ---------------------------------------------------------------------------------------- figure


def _axis_values(labels: Sequence[str], values: Sequence[Any]) -> tuple[np.ndarray, str, bool]:
    """x positions of parameter values: numbers, durations in minutes, or categories."""
    from sim.scenario import parse_duration

    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return np.asarray(values, float), "", True
    try:
        return np.asarray([parse_duration(v) / 60 for v in values], float), " (min)", True
    except ValueError:
        return np.arange(len(labels), dtype=float), "", False


def plot_sweep(folder: Path, tables: Mapping[str, pd.DataFrame], *, params: Sequence[SweepParam],
               variants: Sequence[str], scenario: str, reps: int, lang: str = "en",
               formats: Sequence[str] = ("png", "svg")) -> list[Path]:
    """Each KPI against the first parameter, one line per variant with its 95 % band.

    One figure per area (``""``: all incidents) and per combination of the other parameters'
    values, in ``folder/figures/``: ``sweep[-<area>][-<k>].<format>``.
    """
    from sim.figures.i18n import t
    from sim.figures.plot import VARIANT_COLOURS, add_source, new_figure, save_figure, sim_source, style

    first = params[0]
    xs, unit, numeric = _axis_values(first.labels, first.values)
    x_of = dict(zip(first.labels, xs, strict=True))
    others = params[1:]
    combos = list(itertools.product(*[p.labels for p in others])) or [()]
    scale = {"mean_s": 1 / 60, "p90_s": 1 / 60, "within_norm": 100.0, "cross_border_missions": 1.0}
    written: list[Path] = []
    suffix = "" if lang == "en" else f".{lang}"
    for area, table in tables.items():
        for ci, combo in enumerate(combos):
            sel = np.ones(len(table), bool)
            for p, label in zip(others, combo, strict=True):
                sel &= (table[p.path] == label).to_numpy()
            tab = table[sel]
            with style():
                fig = new_figure()
                axes = fig.subplots(2, 2, sharex=True)
                for ax, k in zip(axes.flat, PLOTTED, strict=True):
                    for i, v in enumerate(variants):
                        d = tab[tab["variant"] == v]
                        if not len(d):
                            continue
                        x = d[first.path].map(x_of).to_numpy(float)
                        order = np.argsort(x)
                        x = x[order]
                        y = d[k].to_numpy(float)[order] * scale[k]
                        # t-intervals may pass the possible range (0-100 %, no negative times or counts)
                        top = 100.0 if k == "within_norm" else np.inf
                        lo = np.clip(d[f"{k}_low"].to_numpy(float)[order] * scale[k], 0.0, top)
                        hi = np.clip(d[f"{k}_high"].to_numpy(float)[order] * scale[k], 0.0, top)
                        colour = VARIANT_COLOURS[i % len(VARIANT_COLOURS)]
                        # later variants thinner: a line hidden under an equal one still shows
                        ax.plot(x, y, marker="o", markersize=max(13 - 3 * i, 6),
                                linewidth=max(5.0 - 1.2 * i, 1.6), color=colour, label=v)
                        ax.fill_between(x, lo, hi, color=colour, alpha=0.18, linewidth=0)
                    ax.set_title(t(f"sweep.{k}", lang), fontsize=18)
                    ax.margins(x=0.06)
                    if not numeric:
                        ax.set_xticks(xs, list(first.labels))
                for ax in axes[1]:
                    ax.set_xlabel(first.path + unit, fontsize=16)
                if axes.flat[0].get_legend_handles_labels()[0]:
                    axes.flat[0].legend(title=t("variant", lang), loc="best", fontsize=14)
                where = t("sweep.all", lang) if area == "" else area
                extra = "; ".join(f"{p.path} = {label}" for p, label in zip(others, combo, strict=True))
                title = t("sweep.title", lang, area=where)
                fig.suptitle(title + (f"\n{extra}" if extra else ""),
                             fontsize=26 if len(title) <= 70 and len(extra) <= 70 else 20)
                add_source(fig, f"{sim_source(scenario, reps, lang)} · {t('sweep.bands', lang)}")
            stem = "sweep" + (f"-{_slug(area)}" if area else "") + (f"-{ci + 1}" if len(combos) > 1 else "")
            written += save_figure(fig, folder / "figures" / f"{stem}{suffix}", formats, lang=lang)
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "area"
