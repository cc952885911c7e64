"""Shared pieces of the command line: list options and JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any


def comma_list(text: str | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]`` (an option such as ``--variants``); ``None`` when not given."""
    return [v.strip() for v in text.split(",")] if text else None


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
