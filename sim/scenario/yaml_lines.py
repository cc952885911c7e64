"""YAML read with its line numbers, and variants merged over the base document line by line.

:func:`read_yaml` returns plain values and a parallel tree of :class:`Lines`, so that a problem
found at ``stations[3].lat`` is reported at the line where that value is written. :func:`merge`
deep-merges a variant over the base document and carries the line of whichever value wins.

A scenario file is read with the YAML 1.2 core schema: only ``true`` and ``false`` are booleans
(``yes``, ``no``, ``on`` and ``off`` stay text, so ``ambulance: yes`` is an error rather than one
unit), integers are decimal (no octal ``010``, no sexagesimal ``1:30``), dates stay text.
What a file can make the reader allocate is bounded: :data:`MAX_DEPTH` levels of nesting,
:data:`MAX_VALUES` values once aliases are expanded (a "billion laughs" file stops there), no
recursive alias, no complex keys, no tags on lists and mappings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from sim.scenario.problems import Problem, ScenarioError, path_str, unknown_name

NAMED_LISTS = {("stations",), ("hospitals",), ("agreements",), ("incident_types",), ("focus",),
               ("demand", "places"), ("demand", "extra_places")}
"""The lists of named items a variant may edit by name (``{"Baarle fire": null}`` removes it)."""
_ITEM = {"stations": "station", "hospitals": "hospital", "agreements": "agreement",
         "incident_types": "incident type", "focus": "focus area", "places": "place",
         "extra_places": "place"}

MAX_DEPTH = 40
"""Deepest nesting of mappings and lists in a scenario file (the bundled ones use 5)."""
MAX_VALUES = 100_000
"""Most values (mappings, lists and scalars) a scenario file may hold once its aliases are expanded
(the Euregio scenario holds about 3,000)."""

# YAML's printable characters (YAML 1.1 and 1.2, as PyYAML checks them)
_NOT_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_BOOL, _INT, _FLOAT, _TIMESTAMP = (f"tag:yaml.org,2002:{t}" for t in ("bool", "int", "float", "timestamp"))
_MERGE, _SEQ, _MAP = "tag:yaml.org,2002:merge", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader with the YAML 1.2 core schema's scalars and bounded nesting."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0
        self.flattening: set[int] = set()

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _Limit(self.peek_event().start_mark.line + 1,
                             f"nested more than {MAX_DEPTH} levels deep (the limit of a scenario file)")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Merge keys (``<<: *base``) as PyYAML does, keeping only the merged keys that win.

        PyYAML keeps every merged entry, so merges of merges grow exponentially; here a merged key
        is dropped when the mapping itself or a later merge sets it (the value that wins is the same).
        """
        if id(node) in self.flattening:
            raise _Limit(node.start_mark.line + 1, "a merge key (<<) refers to a mapping that contains it")
        n_own = sum(1 for k, _ in node.value if k.tag != _MERGE)
        self.flattening.add(id(node))
        try:
            super().flatten_mapping(node)
        finally:
            self.flattening.discard(id(node))
        cut = len(node.value) - n_own
        merged, own = node.value[:cut], node.value[cut:]
        seen = {_scalar_key(k) for k, _ in own} - {None}
        keep = []
        for k, v in reversed(merged):
            key = _scalar_key(k)
            if key is not None:
                if key in seen:
                    continue
                seen.add(key)
            keep.append((k, v))
        node.value = keep[::-1] + own


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_BOOL, _INT, _FLOAT, _TIMESTAMP)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
# integers of up to 40 digits (longer ones stay text, which every number field refuses)
_Loader.add_implicit_resolver(_INT, re.compile(r"^[-+]?(?:0|[1-9][0-9]{0,39})$"), list("-+0123456789"))
_Loader.add_implicit_resolver(
    _FLOAT, re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)(?:[eE][-+]?[0-9]+)?"
                       r"|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+.0123456789"))


class _Dumper(yaml.SafeDumper):
    """A dumper whose plain scalars read back the same with :class:`_Loader` (quotes ``'1e5'``)."""


_Dumper.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers


def dump_yaml(data: Any) -> str:
    """`data` as YAML text that :func:`read_yaml` reads back to the same values."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)


class _Limit(yaml.YAMLError):
    """A file beyond what the reader accepts, at a line."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line, self.message = line, message


def _scalar_key(node: yaml.Node) -> tuple[str, str] | None:
    return (node.tag, node.value) if isinstance(node, yaml.ScalarNode) else None


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


def unprintable(text: str, filename: str) -> list[Problem]:
    """The first character YAML does not allow (a control character, U+FFFE ...), if any."""
    m = _NOT_PRINTABLE.search(text)
    if m is None:
        return []
    line = text.count("\n", 0, m.start()) + 1
    col = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
    more = len(_NOT_PRINTABLE.findall(text)) - 1
    extra = f" ({more} more after it)" if more else ""
    return [Problem(filename, line, "", f"character U+{ord(m.group()):04X} at column {col} is not allowed "
                                        f"in a YAML file (a control or non-character){extra}: remove it")]


def read_yaml(text: str, filename: str) -> tuple[dict[str, Any], Lines, list[Problem]]:
    """Parse YAML into plain values and a parallel tree of line numbers (1-based).

    Returns
    -------
    data, lines, problems
        The top-level mapping, its lines, and the duplicate keys found (the later value is kept).

    Raises
    ------
    ScenarioError
        When the text is not YAML, is empty, is not a mapping, or exceeds the reader's limits
        (:data:`MAX_DEPTH`, :data:`MAX_VALUES`, recursive aliases, keys that are not scalars).
    """
    bad = unprintable(text, filename)
    if bad:
        raise ScenarioError(bad)
    problems: list[Problem] = []
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(exc, filename)]) from None
    try:
        root = _root_node(loader, filename)
        data, lines = _Builder(loader, filename, problems).build(root, root.start_mark.line + 1, ())
    except yaml.YAMLError as exc:
        raise ScenarioError([_yaml_problem(exc, filename)]) from None
    except RecursionError:
        raise ScenarioError([Problem(filename, 0, "", "nested too deeply to read")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError([Problem(filename, lines.line, "",
                                     "a scenario file is a mapping of keys (name, region, stations, ...)")])
    return data, lines, problems


class _Builder:
    """Plain values and lines from composed nodes, within the reader's limits."""

    def __init__(self, loader: _Loader, filename: str, problems: list[Problem]) -> None:
        self.loader, self.filename, self.problems = loader, filename, problems
        self.count = 0
        self.active: set[int] = set()

    def build(self, node: yaml.Node, line: int, loc: tuple[Any, ...]) -> tuple[Any, Lines]:
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Limit(line, f"the file holds more than {MAX_VALUES:,} values once its aliases are "
                               "expanded (the limit of a scenario file; an alias repeated many times?)")
        if id(node) in self.active:
            raise _Limit(line, f"{path_str(loc) or 'the document'} refers to itself through an alias "
                               "(a recursive alias)")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node, line, loc), Lines(line)
        if node.tag not in (_SEQ, _MAP):
            raise _Limit(line, f"{path_str(loc) or 'the document'} has the tag {node.tag}: a scenario file "
                               "holds plain mappings, lists and values")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, line, loc)
            items, kids = [], []
            for i, item in enumerate(node.value):
                v, lk = self.build(item, item.start_mark.line + 1, (*loc, i))
                items.append(v)
                kids.append(lk)
            return items, Lines(line, kids)
        finally:
            self.active.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode, line: int, loc: tuple[Any, ...]) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:  # e.g. a tagged !!int of 5,000 digits
            why = " ".join(str(exc).split())[:120]
            raise _Limit(line, f"{path_str(loc) or 'the document'}: cannot read {node.value[:40]!r} "
                               f"as {node.tag.rsplit(':', 1)[-1]} ({why})") from None

    def _mapping(self, node: yaml.MappingNode, line: int, loc: tuple[Any, ...]) -> tuple[Any, Lines]:
        self.loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        kids: dict[Any, Lines] = {}
        for knode, vnode in node.value:
            kline = knode.start_mark.line + 1
            if not isinstance(knode, yaml.ScalarNode):
                kind = "list" if isinstance(knode, yaml.SequenceNode) else "mapping"
                raise _Limit(kline, f"{path_str(loc) or 'the document'} has a {kind} as a key: "
                                    "keys are plain names")
            key = self._scalar(knode, kline, loc)
            if key in out:
                self.problems.append(Problem(self.filename, kline, path_str((*loc, key)),
                                             "duplicate key (the earlier one would be ignored)"))
            out[key], kids[key] = self.build(vnode, kline, (*loc, key))
        return out, Lines(line, kids)


def _yaml_problem(exc: yaml.YAMLError, filename: str) -> Problem:
    """One line from a PyYAML error: its line and its words, without the quoted snippet."""
    if isinstance(exc, _Limit):
        return Problem(filename, exc.line, "", exc.message)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(str(s) for s in (exc.context, exc.problem) if s)
        return Problem(filename, mark.line + 1 if mark else 0, "", f"not valid YAML: {msg}")
    return Problem(filename, 0, "", "not valid YAML: " + " ".join(str(exc).split()))


def _root_node(loader: _Loader, filename: str) -> yaml.Node:
    root = loader.get_single_node()
    if root is None:
        raise ScenarioError([Problem(filename, 1, "", "the file is empty")])
    return root


def _is_named_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, dict) and "name" in x for x in v)


def merge(base: Any, bl: Lines, over: Any, ol: Lines, loc: tuple[str, ...] = (),
          problems: list[tuple[tuple[Any, ...], int, str]] | None = None) -> tuple[Any, Lines]:
    """Deep-merge `over` onto `base`, carrying the line numbers of whichever value wins.

    Mappings merge key by key; a list replaces the base list, except that a mapping over one of
    the :data:`NAMED_LISTS` edits its items by name (``null`` removes one, a new name adds one).
    Removing a name the list does not hold is an error: ``(location, line, message)`` is added to
    `problems`.
    """
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        bk = dict(bl.children) if isinstance(bl.children, dict) else {}
        for key, val in over.items():
            kl = ol.child(key)
            if key in out:
                out[key], bk[key] = merge(out[key], bk.get(key, Lines(bl.line)), val, kl, (*loc, key),
                                          problems)
            else:
                out[key], bk[key] = val, kl
        return out, Lines(bl.line, bk)
    if loc in NAMED_LISTS and isinstance(over, dict) and _is_named_list(base):
        return _merge_named(base, bl, over, ol, loc, problems)
    return over, ol


def _removed_absent(items: list[Any], over: dict[Any, Any], ol: Lines, loc: tuple[str, ...],
                    problems: list[tuple[tuple[Any, ...], int, str]] | None) -> None:
    """Record each ``name: null`` of `over` that names no item of `items`."""
    if problems is None:
        return
    names = [str(x.get("name")) for x in items if isinstance(x, dict)]
    what = _ITEM.get(loc[-1], "item")
    for name, val in over.items():
        if val is None and name not in names:
            msg = f"cannot remove {unknown_name(what, str(name), names)}" if names else (
                f"cannot remove {what} {name!r}: the list is empty")
            problems.append(((*loc, name), ol.child(name).line, msg))


def _merge_named(base: list[Any], bl: Lines, over: dict[Any, Any], ol: Lines, loc: tuple[str, ...],
                 problems: list[tuple[tuple[Any, ...], int, str]] | None) -> tuple[Any, Lines]:
    items = list(base)
    lines = list(bl.children) if isinstance(bl.children, list) else [Lines(bl.line)] * len(items)
    _removed_absent(items, over, ol, loc, problems)
    for name, val in over.items():
        idx = next((i for i, x in enumerate(items) if isinstance(x, dict) and x.get("name") == name), None)
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
            items[idx], lines[idx] = merge(items[idx], lines[idx], val, kl, (), problems)
    return items, Lines(ol.line, lines)
