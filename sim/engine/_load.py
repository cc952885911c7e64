"""Loading the compiled core from numba's on-disk cache, compiling it again when that cache is corrupt.

numba reads a function's cache (an index ``.nbi`` and data ``.nbc`` files, pickled) when the function
is first compiled for a signature: a truncated or overwritten file raises from inside numba. Such an
error is recognised by numba's cache reader on its traceback; the cache files of that module are
removed, one line is printed on stderr, and the core is imported and built again (compiled afresh).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import TypeVar

T = TypeVar("T")

_CORE = "sim.engine._core"
_CACHING = os.path.join("numba", "core", "caching.py")


def with_core(build: Callable[[ModuleType], T]) -> T:
    """``build(core)`` with the compiled core's module, imported here (numba is imported with it).

    When reading numba's cache fails (on import or in `build`), that module's cache files are
    removed and the core is imported and `build` called again; errors of `build` itself propagate.
    """
    repaired: set[tuple[str, str]] = set()
    while True:
        try:
            return build(importlib.import_module(_CORE))
        except Exception as error:
            where = _unreadable_cache(error)
            if where is None or where in repaired:
                raise
            repaired.add(where)
            folder, stem = where
            _forget_core()
            _remove_cache(folder, stem)
            reason = " ".join(f"{type(error).__name__}: {error}".split())
            print(f"xborder: numba cache {folder} could not be read ({reason}); compiling the engine again",
                  file=sys.stderr)


def _unreadable_cache(error: BaseException) -> tuple[str, str] | None:
    """``(cache folder, module file stem)`` of the numba cache whose reading raised `error`, or None."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        for frame, _ in traceback.walk_tb(current.__traceback__):
            if not frame.f_code.co_filename.endswith(_CACHING):
                continue
            cache = frame.f_locals.get("self")
            folder, impl = getattr(cache, "_cache_path", None), getattr(cache, "_impl", None)
            base = getattr(impl, "filename_base", None)
            if isinstance(folder, str) and isinstance(base, str):
                return folder, base.split(".", 1)[0]
        current = current.__cause__ or current.__context__
    return None


def _forget_core() -> None:
    """Drop the core module, so that importing it again builds fresh dispatchers."""
    sys.modules.pop(_CORE, None)
    package = sys.modules.get(_CORE.rpartition(".")[0])
    if package is not None and hasattr(package, "_core"):
        delattr(package, "_core")


def _remove_cache(folder: str, stem: str) -> None:
    """Remove numba's index and data files of module `stem` in `folder` (absent ones are fine)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(stem + ".") and name.endswith((".nbi", ".nbc")):
            with contextlib.suppress(FileNotFoundError):  # removed by another process meanwhile
                os.remove(os.path.join(folder, name))
