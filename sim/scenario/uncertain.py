"""The uncertain inputs a scenario declares: where each goes, its range, and the file at given values.

Each key of the ``uncertain:`` block (:mod:`sim.scenario.ranges` for its range) is a field path
(:mod:`sim.scenario.field_paths`); a path into a default the file leaves out (the default incident
types, a unit type's turnout, the call processing time) writes that default first
(:mod:`sim.scenario.written_defaults`). :func:`read_inputs` checks every path and gives the inputs;
:func:`edited_data` is the file's document with the inputs set to given values (the points of a
sensitivity study); :func:`end_problems` validates the document at the low and at the high ends.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sim.scenario.field_paths import ByName, Part, PathError, assign, format_path, parse_path
from sim.scenario.problems import Problem
from sim.scenario.ranges import Scale, UncertainSpec
from sim.scenario.schema import FIXED_IN_VARIANTS
from sim.scenario.written_defaults import write_defaults
from sim.scenario.yaml_lines import Lines

NOT_UNCERTAIN = {"name": "it names the scenario", "description": "it is a text",
                 "seed": "every point uses the same seed (common random numbers)",
                 "replications": "the study sets them", "uncertain": "it is this block",
                 "region": "it is a name", "network": "it is a file", "focus": "it is an area"}
"""Top-level fields an ``uncertain:`` path may not address, and why."""


@dataclass(frozen=True)
class UncertainInput:
    """One declared uncertain input, checked.

    Attributes
    ----------
    name
        Its path as written in the block (the key); the input's name in tables.
    locs
        The parsed path and those of ``also``: every field that takes the value.
    low, high
        The range in SI units (seconds, km/h, metres) or plain numbers.
    scale
        How a value is written back into the file (unit, whole number).
    distribution, params
        ``uniform``, ``triangular`` (``mode``) or ``normal`` (``mean``, ``sd``, cut to the range).
    reason, label
        Why it is uncertain; how figures name it (its path if the file gives no label).
    line
        The line of its key in the file.
    """

    name: str
    locs: tuple[tuple[Part, ...], ...]
    low: float
    high: float
    scale: Scale
    distribution: str
    params: Mapping[str, float]
    reason: str
    label: str
    line: int

    def text(self, x: float) -> Any:
        """The value `x` (SI units) as the file writes it."""
        return self.scale.text(x)


def _base_loc(loc: Sequence[Part]) -> tuple[Part, ...]:
    """A variant's path without ``variants.NAME`` (where its defaults are written)."""
    return tuple(loc[2:]) if loc and loc[0] == "variants" else tuple(loc)


def _shallow(value: Any) -> Any:
    return dict(value) if isinstance(value, dict) else list(value) if isinstance(value, list) else value


def _copy_for(data: Mapping[str, Any], loc: tuple[Part, ...]) -> dict[str, Any]:
    """A copy of `data` that assigning at `loc` and writing its defaults leaves as it was: the
    containers along the path (and the top-level field its defaults go to) are copied, the rest shared."""
    doc = dict(data)
    base = _base_loc(loc)
    if base and isinstance(base[0], str) and base[0] in doc:
        doc[base[0]] = _shallow(doc[base[0]])
    node: Any = doc
    for part in loc[:-1]:
        if isinstance(node, dict):
            key: Any = part.name if isinstance(part, ByName) else part
            if key not in node:
                break
        elif isinstance(node, list):
            if isinstance(part, int) and -len(node) <= part < len(node):
                key = part % len(node)
            else:
                name = part.name if isinstance(part, ByName) else None
                key = next((i for i, x in enumerate(node) if isinstance(x, dict) and x.get("name") == name),
                           None)
                if key is None:
                    break
        else:
            break
        node[key] = _shallow(node[key])
        node = node[key]
    return doc


def _target_problem(data: Mapping[str, Any], loc: tuple[Part, ...]) -> str | None:
    """Why `loc` cannot be an uncertain input of the document `data` (``None`` if it can)."""
    first = loc[0]
    if isinstance(first, str) and first in NOT_UNCERTAIN:
        return f"cannot be uncertain: {NOT_UNCERTAIN[first]}"
    if first == "variants":
        names = [str(v) for v in (data.get("variants") or {})]
        if len(loc) < 3 or isinstance(loc[1], int):
            return (f"address a field inside a variant, e.g. variants.{names[0] if names else 'NAME'}."
                    "agreements[0].threshold")
        vname = loc[1].name if isinstance(loc[1], ByName) else str(loc[1])
        if vname not in names:
            hint = difflib.get_close_matches(vname, names, n=1)
            return f"unknown variant {vname!r} (" + (f"did you mean {hint[0]!r}?)" if hint else
                                                     "the file has: " + (", ".join(names) or "none") + ")")
        if isinstance(loc[2], str) and loc[2] in FIXED_IN_VARIANTS:
            return f"a variant cannot change {loc[2]} (every variant shares it)"
    if _base_loc(loc)[:2] in (("speeds", "class_speeds"), ("speeds", "normal_factor"),
                              ("speeds", "rural_factor")):
        return ("cannot be uncertain: it times the road network, loaded once for every point; vary "
                "speeds.lights_and_sirens or a vehicle's speeds.relative_speed instead")
    doc = _copy_for(data, loc)
    write_defaults(doc, _base_loc(loc))
    try:
        assign(doc, loc, None)
    except PathError as exc:
        return exc.message
    return None


def read_inputs(data: Mapping[str, Any], block: Mapping[str, UncertainSpec], lines: Lines,
                filename: str) -> tuple[list[UncertainInput], list[Problem]]:
    """The inputs of a validated ``uncertain:`` block, and the problems of its paths.

    Parameters
    ----------
    data
        The file's document as written.
    block
        The validated block (path -> :class:`sim.scenario.ranges.UncertainSpec`).
    lines
        The file's line numbers.
    """
    inputs: list[UncertainInput] = []
    problems: list[Problem] = []
    seen: dict[tuple[Part, ...], str] = {}
    for key, spec in block.items():
        line = lines.find(("uncertain", key))
        locs: list[tuple[Part, ...]] = []
        for where, text in [("", key)] + [(f".also[{i}]", p) for i, p in enumerate(spec.also)]:
            at = f"uncertain.{key}{where}"
            try:
                loc = parse_path(text)
            except ValueError as exc:
                problems.append(Problem(filename, line, at, f"bad path {text!r}: {exc}"))
                continue
            why = _target_problem(data, loc)
            if why is None and loc in seen:
                why = f"{format_path(loc)} is already uncertain (under {seen[loc]})"
            if why is not None:
                problems.append(Problem(filename, line, at, why))
                continue
            seen[loc] = key
            locs.append(loc)
        if len(locs) == 1 + len(spec.also):
            low, high, scale, params = spec.params()
            inputs.append(UncertainInput(name=key, locs=tuple(locs), low=low, high=high, scale=scale,
                                         distribution=spec.distribution, params=params,
                                         reason=spec.reason, label=spec.label or key, line=line))
    return inputs, problems


def edited_data(data: Mapping[str, Any], inputs: Sequence[UncertainInput],
                values: Sequence[float]) -> dict[str, Any]:
    """The document `data` with each input set to its value (SI units), without the ``uncertain:`` block."""
    doc = copy.deepcopy(dict(data))
    doc.pop("uncertain", None)
    for inp, x in zip(inputs, values, strict=True):
        for loc in inp.locs:
            write_defaults(doc, _base_loc(loc))
            assign(doc, loc, copy.deepcopy(inp.text(float(x))))
    return doc


def end_problems(data: Mapping[str, Any], inputs: Sequence[UncertainInput], filename: str,
                 validate: Callable[[dict[str, Any]], list[Problem]]) -> list[Problem]:
    """Problems of the document with every input at its low end, then at its high end.

    `validate` gives the problems of an edited document. When one of the two fails, each input's
    end is tried alone (the other fields as the file writes them), so a problem is reported at the
    line of the input that causes it; an input whose low end fails is not tried at its high end.
    """
    if not inputs:
        return []
    out: list[Problem] = []
    reported: set[str] = set()
    for end in ("low", "high"):
        values = [getattr(i, end) for i in inputs]
        together = validate(edited_data(data, inputs, values))
        if not together:
            continue
        found = len(out)
        for inp, x in zip(inputs, values, strict=True):
            if inp.name in reported:
                continue
            for p in validate(edited_data(data, [inp], [x])):
                what = p.path + (f" (variant {p.variant!r})" if p.variant else "")
                out.append(Problem(filename, inp.line, f"uncertain.{inp.name}",
                                   f"at its {end} end ({inp.text(x)}): {what}: {p.message}"))
                reported.add(inp.name)
        if len(out) == found and not reported:  # only the inputs together fail
            p = together[0]
            out.append(Problem(filename, inputs[0].line, "uncertain",
                               f"with every input at its {end} end: {p.path}: {p.message}"))
    return list(dict.fromkeys(out))
