"""A corrupt numba cache of the compiled core is removed and compiled again, with the same records.

Each run is a subprocess with its own ``NUMBA_CACHE_DIR`` (other tests' caches are not touched): the
first fills the cache, the next ones find it truncated, overwritten with random bytes, or missing
its data files.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent

_RUN = """
import pickle, sys
from _helpers import exact_driving
from sim.engine import simulate
from sim.model.agreements import DispatchPolicy
from sim.model.demand import IncidentLog, IncidentType
from sim.model.distributions import Dist
from sim.model.spec import ModelSpec
from sim.model.units import Hospital, Station, Turnout
from sim.roads.network import RoadNetwork

net = RoadNetwork.from_arrays(lat=[51.0] * 4, lon=[4.0, 4.01, 4.03, 4.06],
                              edges=[(0, 1), (1, 0), (1, 2), (2, 1), (2, 3), (3, 2)],
                              times_s=[100, 100, 200, 200, 300, 300])
fixed = Dist.fixed
types = (IncidentType("u", 1, {"ambulance": 1}, {"ambulance": Dist.exponential(600)}, transport_share=0.5,
                      handover=fixed(300)),)
spec = ModelSpec(
    incident_types=types,
    stations=(Station("a", 51.0, 4.0, "XX", "centre", {"ambulance": 1}, source="test"),
              Station("b", 51.0, 4.06, "XX", "centre", {"ambulance": 1}, source="test")),
    hospitals=(Hospital("hosp", "XX", 51.0, 4.03),),
    turnout={"ambulance": Turnout(day=Dist.exponential(60))}, driving=exact_driving(2.0),
    policy=DispatchPolicy(call_processing=fixed(60)), horizon_s=20_000.0,
    incident_log=IncidentLog(t_s=tuple(500.0 * k for k in range(30)), lat=(51.0,) * 30,
                             lon=tuple((4.0, 4.02, 4.05)[k % 3] for k in range(30)), type=("u",) * 30),
)
r = simulate(net, spec, seed=3)
with open(sys.argv[1], "wb") as f:
    pickle.dump((r.incidents, r.missions, r.units, r.n_events), f)
"""

NOTICE = "xborder: numba cache "


def _run(cache: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache),
           "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    return subprocess.run([sys.executable, "-c", _RUN, str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, check=False)


def _records(path: Path) -> tuple[dict[str, np.ndarray], ...]:
    with open(path, "rb") as f:
        incidents, missions, units, n_events = pickle.load(f)
    return incidents, missions, units, {"n_events": np.array([n_events])}


def _same(a: Path, b: Path) -> None:
    for ta, tb in zip(_records(a), _records(b), strict=True):
        assert list(ta) == list(tb)
        for col in ta:
            np.testing.assert_array_equal(ta[col], tb[col], err_msg=col)


def _core_files(cache: Path, suffix: str) -> list[Path]:
    return sorted(p for p in cache.rglob(f"_core.*{suffix}") if ".tmp." not in p.name)


@pytest.mark.slow
def test_a_corrupt_numba_cache_is_compiled_again_with_the_same_records(tmp_path: Path) -> None:
    cache = tmp_path / "numba"
    first = _run(cache, tmp_path / "clean.pkl")
    assert first.returncode == 0, first.stderr
    assert NOTICE not in first.stderr
    index, data = _core_files(cache, ".nbi"), _core_files(cache, ".nbc")
    assert index and data

    def corrupt(paths: list[Path], content: bytes) -> None:
        for p in paths:
            p.write_bytes(content)

    rng = np.random.default_rng(0)
    cases = {
        # the data files cut short: unpickling them fails once the index points at them
        "truncated": lambda: corrupt(data, data[0].read_bytes()[:20]),
        # the index files overwritten: unpickling the index fails
        "random": lambda: corrupt(index, rng.integers(0, 256, 4000, dtype=np.uint8).tobytes()),
    }
    for name, damage in cases.items():
        damage()
        run = _run(cache, tmp_path / f"{name}.pkl")
        assert run.returncode == 0, run.stderr
        notices = [line for line in run.stderr.splitlines() if line.startswith(NOTICE)]
        assert len(notices) == 1, run.stderr
        assert notices[0].startswith(f"{NOTICE}{cache}") and "could not be read (" in notices[0]
        assert "compiling the engine again" in notices[0] and "Traceback" not in run.stderr, run.stderr
        _same(tmp_path / "clean.pkl", tmp_path / f"{name}.pkl")
        index, data = _core_files(cache, ".nbi"), _core_files(cache, ".nbc")
        assert index and data  # written again

    # one function's data files gone, its index kept: numba itself treats them as not cached
    gone = [p for p in data if p.name.startswith("_core.free-")]
    assert gone
    for p in gone:
        p.unlink()
    run = _run(cache, tmp_path / "missing.pkl")
    assert run.returncode == 0, run.stderr
    assert NOTICE not in run.stderr and "Traceback" not in run.stderr, run.stderr
    _same(tmp_path / "clean.pkl", tmp_path / "missing.pkl")


def test_errors_outside_numbas_cache_are_not_taken_for_a_corrupt_cache(
        capsys: pytest.CaptureFixture[str]) -> None:
    from sim.engine._load import with_core

    def build(module: object) -> None:
        raise ValueError("not a cache error")

    with pytest.raises(ValueError, match="not a cache error"):
        with_core(build)
    assert capsys.readouterr().err == ""
