"""YAML read with its line numbers, and variants merged over the base document line by line.

:func:`read_yaml` returns plain values and a parallel tree of :class:`Lines`, so that a problem
found at ``stations[3].lat`` is reported at the line where that value is written. :func:`merge`
deep-merges a variant over the base document and carries the line of whichever value wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.scenario.problems import Problem, ScenarioError, path_str

NAMED_LISTS = {("stations",), ("hospitals",), ("agreements",), ("incident_types",), ("focus",),
               ("demand", "places"), ("demand", "extra_places")}
"""The lists of named items a variant may edit by name (``{"Baarle fire": null}`` removes it)."""


@dataclass
class Lines:
    """Line numbers mirroring a YAML value: the line of this node and of its children."""

    line: int
    children: dict[Any, Lines] | list[Lines] | None = None

    def find(self, loc: Sequence[Any]) -> int:
        """The line of the value at `loc`, or of its nearest written ancestor."""
        node = self
        for part in loc:
            kids = node.children
            if isinstance(kids, dict) and part in kids:
                node = kids[part]
                continue
            if isinstance(kids, list) and isinstance(part, int) and 0 <= part < len(kids):
                node = kids[part]
                continue
            break
        return node.line

    def child(self, key: Any) -> Lines:
        """The lines of the mapping entry `key`, or this node's line if it has none."""
        kids = self.children
        return kids.get(key, Lines(self.line)) if isinstance(kids, dict) else Lines(self.line)


def read_yaml(text: str, filename: str) -> tuple[dict[str, Any], Lines, list[Problem]]:
    """Parse YAML into plain values and a parallel tree of line numbers (1-based).

    Returns
    -------
    data, lines, problems
        The top-level mapping, its lines, and the duplicate keys found (the later value is kept).

    Raises
    ------
    ScenarioError
        When the text is not YAML, is empty or is not a mapping.
    """
    loader = yaml.SafeLoader(text)
    problems: list[Problem] = []
    try:
        root = _root_node(loader, filename)

        def build(node: yaml.Node, line: int, loc: tuple[Any, ...]) -> tuple[Any, Lines]:
            if isinstance(node, yaml.MappingNode):
                loader.flatten_mapping(node)
                out: dict[Any, Any] = {}
                kids: dict[Any, Lines] = {}
                for knode, vnode in node.value:
                    key = loader.construct_object(knode, deep=True)
                    kline = knode.start_mark.line + 1
                    if key in out:
                        problems.append(Problem(filename, kline, path_str((*loc, key)),
                                                "duplicate key (the earlier one would be ignored)"))
                    out[key], kids[key] = build(vnode, kline, (*loc, key))
                return out, Lines(line, kids)
            if isinstance(node, yaml.SequenceNode):
                items, lines = [], []
                for i, item in enumerate(node.value):
                    v, lk = build(item, item.start_mark.line + 1, (*loc, i))
                    items.append(v)
                    lines.append(lk)
                return items, Lines(line, lines)
            return loader.construct_object(node, deep=True), Lines(line)

        try:
            data, lines = build(root, root.start_mark.line + 1, ())
        except yaml.YAMLError as exc:
            raise ScenarioError([Problem(filename, 0, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError([Problem(filename, lines.line, "",
                                     "a scenario file is a mapping of keys (name, region, stations, ...)")])
    return data, lines, problems


def _root_node(loader: yaml.SafeLoader, filename: str) -> yaml.Node:
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        msg = " ".join(str(s) for s in (exc.context, exc.problem) if s)
        raise ScenarioError([Problem(filename, line, "", f"not valid YAML: {msg}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(filename, 0, "", f"not valid YAML: {exc}")]) from None
    if root is None:
        raise ScenarioError([Problem(filename, 1, "", "the file is empty")])
    return root


def _is_named_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) and "name" in x for x in v)


def merge(base: Any, bl: Lines, over: Any, ol: Lines, loc: tuple[str, ...] = ()) -> tuple[Any, Lines]:
    """Deep-merge `over` onto `base`, carrying the line numbers of whichever value wins.

    Mappings merge key by key; a list replaces the base list, except that a mapping over one of
    the :data:`NAMED_LISTS` edits its items by name (``null`` removes one, a new name adds one).
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        bk = dict(bl.children) if isinstance(bl.children, dict) else {}
        for key, val in over.items():
            kl = ol.child(key)
            if key in out:
                out[key], bk[key] = merge(out[key], bk.get(key, Lines(bl.line)), val, kl, (*loc, key))
            else:
                out[key], bk[key] = val, kl
        return out, Lines(bl.line, bk)
    if loc in NAMED_LISTS and isinstance(over, dict) and _is_named_list(base):
        return _merge_named(base, bl, over, ol)
    return over, ol


def _merge_named(base: list[Any], bl: Lines, over: dict[Any, Any], ol: Lines) -> tuple[Any, Lines]:
    items = list(base)
    lines = list(bl.children) if isinstance(bl.children, list) else [Lines(bl.line)] * len(items)
    for name, val in over.items():
        idx = next((i for i, x in enumerate(items) if x.get("name") == name), None)
        kl = ol.child(name)
        if val is None:
            if idx is not None:
                del items[idx], lines[idx]
            continue
        if idx is None:
            new = {"name": name, **val} if isinstance(val, dict) else val
            items.append(new)
            lines.append(kl)
        else:
            items[idx], lines[idx] = merge(items[idx], lines[idx], val, kl, ())
    return items, Lines(ol.line, lines)
