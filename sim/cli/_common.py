"""Shared pieces of the command line: list options, the figures' language and JSON output."""

from __future__ import annotations

import json
import sys
from pathlib import Path
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


def results_dir(text: str) -> Path:
    """The results folder `text` names, checked the same way for every command that reads one
    (``compare``, ``plot``, ``export``, ``report``, ``animate``): a UsageError if it is missing or not
    a folder; without ``summary.json``, the DataError of :func:`sim.study.folders.load_results`,
    which says what the folder lacks (and how to finish a run that was never assembled)."""
    folder = Path(text)
    if not folder.exists():
        raise UsageError(f"{folder}: no such results folder (give a folder written by xborder run)")
    if not folder.is_dir():
        raise UsageError(f"{folder}: not a folder (give a folder written by xborder run)")
    if not (folder / "summary.json").is_file():
        from sim.study.folders import load_results

        load_results(folder)
    return folder


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
