"""What is wrong with a scenario file: one :class:`Problem` per mistake, located by file, line and field."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sim.errors import DataError


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario file, located by file, line and field path."""

    file: str
    line: int
    path: str
    message: str
    variant: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = self.path + (f" (variant {self.variant!r})" if self.variant else "")
        return f"{where} {what}: {self.message}" if what else f"{where}: {self.message}"


MAX_PROBLEMS = 30
"""Most problems reported for one file; the rest are counted in a last line."""


def capped(problems: Sequence[Problem]) -> list[Problem]:
    """The first :data:`MAX_PROBLEMS` problems, and a line counting the others if there are more."""
    if len(problems) <= MAX_PROBLEMS:
        return list(problems)
    first = problems[0]
    rest = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS],
            Problem(first.file, 0, "", f"{rest} more problem{'s' * (rest != 1)} not shown (fix these first)")]


class ScenarioError(DataError):
    """A scenario file with problems; ``str()`` gives one line per problem (at most
    :data:`MAX_PROBLEMS`, then a line counting the others)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = capped(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def path_str(loc: Iterable[str | int]) -> str:
    """``("stations", 3, "lat")`` -> ``"stations[3].lat"``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def unknown_name(what: str, name: str, known: Iterable[str]) -> str:
    """``unknown <what> <name>`` with the closest known name, or the list of known names."""
    known = sorted(set(known))
    if not known:
        return f"unknown {what} {name!r} (there are none)"
    hint = difflib.get_close_matches(name, known, n=1) or [
        k for k in known if name and (k.lower().startswith(name.lower()) or name.lower() in k.lower())][:1]
    if hint:
        return f"unknown {what} {name!r} (did you mean {hint[0]!r}?)"
    return f"unknown {what} {name!r} (known: {', '.join(known)})"
