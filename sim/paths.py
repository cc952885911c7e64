"""Where the bundled data and the build caches live.

The data is found through the environment variable ``XBORDER_DATA`` (default: ``../shared/data``
beside the checkout). Build caches go to ``XBORDER_CACHE`` (default: ``.cache/xborder`` in the
checkout), in sub-folders keyed by the hash of the input file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]


def data_dir() -> Path:
    """Return the folder of the bundled data (``$XBORDER_DATA`` or ``../shared/data``)."""
    env = os.environ.get("XBORDER_DATA")
    if env:
        return Path(env).expanduser().resolve()
    return (_CHECKOUT.parent / "shared" / "data").resolve()


def cache_dir() -> Path:
    """Return the build-cache folder (``$XBORDER_CACHE`` or ``.cache/xborder`` in the checkout)."""
    env = os.environ.get("XBORDER_CACHE")
    path = Path(env).expanduser() if env else _CHECKOUT / ".cache" / "xborder"
    path.mkdir(parents=True, exist_ok=True)
    return path


def file_hash(path: str | os.PathLike[str], *, algorithm: str = "sha256") -> str:
    """Return the hex digest of a file's bytes (first 16 hex digits are enough for cache keys)."""
    h = hashlib.new(algorithm)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def bundled_regions() -> list[str]:
    """Names of the bundled regions (one ``osm/<name>.osm.bz2`` each)."""
    osm = data_dir() / "osm"
    if not osm.is_dir():
        return []
    return sorted(p.name.removesuffix(".osm.bz2") for p in osm.glob("*.osm.bz2"))


def _umask_mode() -> int:
    old = os.umask(0)
    os.umask(old)
    return 0o666 & ~old


@contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str = ".tmp") -> Iterator[Path]:
    """A temporary file beside `path` to write, moved onto `path` when the block ends without an
    error and removed otherwise: a reader never sees a half-written file, and two processes writing
    the same file never take each other's temporary file (its name is unique, ``mkstemp``).

    `suffix` ends the temporary name, for writers that choose the format by extension (GDAL's
    ``.gpkg``, ``.xlsx``, ``.mp4``). The file exists (empty) when the block starts; it gets the
    permissions of a file created under the current umask.
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600 files
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
