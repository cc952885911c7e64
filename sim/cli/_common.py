"""Shared pieces of the command line: list options, the figures' language and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

from sim.errors import UsageError


def comma_list(text: str | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]`` (an option such as ``--variants``); ``None`` when not given."""
    return [v.strip() for v in text.split(",")] if text else None


def language(text: str) -> str:
    """The language of ``--lang`` (``"FR "`` -> ``"fr"``); a UsageError naming the choices if unknown."""
    from sim.figures.i18n import LANGUAGES

    lang = str(text).strip().lower()
    if lang not in LANGUAGES:
        raise UsageError(f"--lang: unknown language {text!r}; choose from {', '.join(LANGUAGES)}")
    return lang


def print_json(obj: Any) -> None:
    """Print `obj` as indented JSON on stdout (numpy scalars and paths converted)."""

    def default(o: Any) -> Any:
        if hasattr(o, "item"):
            return o.item()
        if hasattr(o, "tolist"):
            return o.tolist()
        return str(o)

    json.dump(obj, sys.stdout, indent=2, default=default, ensure_ascii=False)
    sys.stdout.write("\n")
