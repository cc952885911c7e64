"""The graph cache proves its integrity: a damaged or altered cache is rebuilt, never trusted.

Each case builds a tiny network (its cache written), damages the cache file in one way, loads again
and checks that (a) the load rebuilt the cache with a one-line notice on stderr and (b) the network
equals the one from a clean cache, array for array.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest

from sim.roads.osm import load_network

ARRAYS = ("lat", "lon", "edge_u", "edge_v", "edge_length_m", "edge_time_s", "node_country",
          "node_centre", "edge_highway", "edge_maxspeed_kmh", "edge_geom_offsets", "edge_geom_lonlat")


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path: Path) -> None:
    rng = np.random.default_rng(7)
    path.write_bytes(rng.integers(0, 256, size=path.stat().st_size, dtype=np.uint8).tobytes())


def _flip_one_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))


def _rewrite(path: Path, change) -> None:
    """Rewrite the cache with one array changed and the rest (digest included) kept as it was."""
    with np.load(path, allow_pickle=False) as z:
        payload = {k: z[k] for k in z.files}
    change(payload)
    with open(path, "wb") as fh:
        np.savez(fh, **payload)


def _double_lengths(path: Path) -> None:
    _rewrite(path, lambda p: p.__setitem__("edge_length_m", p["edge_length_m"] * 2.0))


def _drop_digest(path: Path) -> None:
    _rewrite(path, lambda p: p.pop("digest"))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _zip_without_info(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("lat.npy", b"not an array")


@pytest.mark.parametrize("damage", [_truncate, _random_bytes, _flip_one_byte, _double_lengths, _drop_digest,
                                    _empty, _zip_without_info], ids=lambda f: f.__name__.strip("_"))
def test_damaged_cache_is_rebuilt_and_equals_a_clean_one(tiny_osm, isolated_cache, capsys, damage) -> None:
    clean = load_network(tiny_osm)
    assert clean.meta["cache"] == "built"
    path = Path(clean.meta["cache_path"])
    capsys.readouterr()
    damage(path)
    again = load_network(tiny_osm)
    err = capsys.readouterr().err
    assert again.meta["cache"] == "built", "a damaged cache must not be used"
    assert err.count("\n") == 1 and "cannot be used" in err and str(path) in err
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(again, name), getattr(clean, name), err_msg=name)
    # and the rebuilt cache is trusted again, silently
    third = load_network(tiny_osm)
    assert third.meta["cache"] == "hit"
    assert capsys.readouterr().err == ""
