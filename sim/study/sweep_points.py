"""The points of a sweep: ``--param PATH=V1,V2,...`` parsed, and the grid of edited scenarios, validated.

Every point is validated like a scenario file; problems are reported as
``file:line field: message (--param PATH=VALUE)``, with the line of the field in the file.
Paths and values: :mod:`sim.scenario.field_paths`.
"""

from __future__ import annotations

import copy
import difflib
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.errors import UsageError
from sim.scenario import FIXED_IN_VARIANTS, Problem, Scenario, ScenarioError
from sim.scenario.field_paths import ByName, Part, PathError, assign, format_path, parse_path, split_values

NOT_SWEPT = {"name": "it names the scenario", "seed": "every point uses the same seed (common random "
             "numbers); use --seed", "replications": "use --reps", "description": "it is a text"}


class SweepError(UsageError):
    """A bad ``--param`` (one line per problem, exit code 2)."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


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



@dataclass
class SweepPoint:
    """One point of the grid: its number (1-based), folder name, values and scenario."""

    index: int
    name: str
    labels: dict[str, str]
    values: dict[str, Any]
    scenario: Scenario



def _base_hint(sc: Scenario, loc: Sequence[Part]) -> str:
    """Where the variants set the first key of a base path (it may be meant for them)."""
    variants = sc.data.get("variants") or {}
    setters = []
    for v, over in variants.items():
        if isinstance(over, dict) and loc and loc[0] in over:
            try:
                assign(copy.deepcopy(over), loc, None)
            except PathError:
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
    except PathError as exc:
        line = sc.line_of(exc.resolved) if exc.resolved else 0
        where = f"{sc.filename}:{line}" if line else sc.filename
        hint = _base_hint(sc, p.loc) if p.loc[0] != "variants" and exc.message.startswith("no item") else ""
        return f"{where} {p.path}: {exc.message}{hint} (--param {p.path})"
    return None


def _edited(sc: Scenario, edits: Sequence[tuple[SweepParam, int]], region: Any) -> tuple[Scenario | None,
                                                                                         list[str]]:
    """The scenario with the edits applied and validated (or the problems, one line each)."""
    data = copy.deepcopy(sc.data)
    data.pop("uncertain", None)  # a point is one scenario: the file's declared ranges do not apply to it
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

