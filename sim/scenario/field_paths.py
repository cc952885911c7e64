"""Addressing a field of a scenario file as written: ``agreements[0].threshold`` and the like.

Used by sweeps (``--param PATH=...``) and by the ``uncertain:`` block of a scenario file.

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
``true``, ``[NL, BE]`` (:func:`split_values`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any


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


class PathError(Exception):
    """A path that leads nowhere in a document; `resolved` is the location of the last node reached."""

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

    Raises ``PathError`` (with the resolved location of the last node reached) for an index or
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
                raise PathError(tuple(resolved), f"{where} is {_show(node)}, not a list{hint}")
            if not -len(node) <= part < len(node):
                raise PathError(tuple(resolved), f"no item [{part}]: {where} has {len(node)} "
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
                    raise PathError(tuple(resolved), f"{where} has no item named {part.name!r} ({known})")
                key = idx
            elif isinstance(node, dict):  # a variant's edits of a named list, by name
                key = part.name
            else:
                raise PathError(tuple(resolved), f"{where} is {_show(node)}, not a list of named items")
        else:
            if not isinstance(node, dict):
                raise PathError(tuple(resolved), f"{where} is {_show(node)}, not a mapping: "
                                                 f"it has no key {part!r}")
            key = part
            if not last and isinstance(loc[i + 1], int) and part not in node:
                close = difflib.get_close_matches(part, [str(k) for k in node], n=1)
                raise PathError(tuple(resolved), f"{format_path(loc[:i + 1])}: no such list in the file"
                                + (f" (did you mean {close[0]!r}?)" if close else ""))
        if last:
            node[key] = value
            return
        if isinstance(node, dict) and (key not in node or node[key] is None):
            node[key] = {}
        node = node[key]
        resolved.append(key)

