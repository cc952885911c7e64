"""Tasks: one replication of one variant (at one point of a sweep), and what every task needs.

A task is ``(point, variant, replication)``; a plain run has the single point ``""``. Everything
the tasks need (the region with its road network, the model spec of every point and variant and the
prepared station and hospital matrices) is built once as a :class:`Bundle`, which
:mod:`sim.study.distributed` sends to each worker once. A task is :func:`simulate_frames` of its
spec with the run's seed and its replication: the same inputs give the same frames wherever it runs.

Each task is deterministic in (seed, replication): the engine draws every random input from streams
spawned from ``SeedSequence(seed, spawn_key=(replication,))`` (:class:`sim.model.streams.Streams`),
so all variants replay the same incidents (common random numbers).
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.analysis.frames import records_to_frames
from sim.engine import prepare, simulate
from sim.engine.prepare import share_matrices
from sim.scenario import Scenario

Task = tuple[str, str, int]
"""``(point, variant, replication)``; a plain run has the single point ``""``."""


def simulate_frames(scenario: Scenario, network: Any, spec: Any, prepared: Any, *, variant: str,
                    replication: int, seed: int) -> dict[str, pd.DataFrame]:
    """One replication of `spec` on `network` with its `prepared` matrices, as result frames.

    `scenario` gives the focus areas the incidents are marked with; the frames are
    :func:`sim.analysis.frames.records_to_frames` of the engine's records.
    """
    records = simulate(network, spec, seed=int(seed), replication=int(replication), prepared=prepared)
    inc = records.incidents
    focus = scenario.focus_masks(inc["lat"], inc["lon"], inc["country"]) if scenario.base.focus else None
    return records_to_frames(records, variant=variant, replication=int(replication), focus=focus)


def prepare_key(spec: Any) -> str:
    """A digest of what :func:`sim.engine.prepare` reads from `spec` (its stations and hospitals):
    specs with the same key share one prepared object."""
    return hashlib.sha256(pickle.dumps((spec.stations, spec.hospitals), protocol=5)).hexdigest()


# ---------------------------------------------------------------------------------------- bundle


@dataclass(eq=False)
class Bundle:
    """What every task of a run or sweep needs, built once here and sent to each worker once.

    Attributes
    ----------
    region
        The region (its ``network`` is shared by all points and variants).
    scenarios
        The scenario of each point (for its focus areas).
    specs
        ``(point, variant)`` -> :class:`sim.model.spec.ModelSpec`.
    prepared
        ``(point, variant)`` -> :class:`sim.engine.Prepared`; specs with the same stations and
        hospitals share one object (the engine only reads those from the spec to prepare).
    """

    region: Any
    scenarios: dict[str, Scenario]
    specs: dict[tuple[str, str], Any]
    prepared: dict[tuple[str, str], Any] = field(default_factory=dict)

    def run(self, task: Task, seed: int) -> dict[str, pd.DataFrame]:
        """The result frames of one task (:func:`simulate_frames`)."""
        point, variant, rep = task
        return simulate_frames(self.scenarios[point], self.region.network, self.specs[(point, variant)],
                               self.prepared[(point, variant)], variant=variant, replication=int(rep),
                               seed=int(seed))


def make_bundle(region: Any, scenarios: Mapping[str, Scenario], variants: Sequence[str], *,
                specs: Mapping[tuple[str, str], Any] | None = None) -> Bundle:
    """Build the specs and prepared matrices of every point and variant.

    Parameters
    ----------
    region
        The region all points run on.
    scenarios
        Point name -> scenario.
    variants
        The variants to run (each must exist in every scenario).
    specs
        Model specs already built, ``(point, variant)`` -> spec (the others are built here).
    """
    all_specs: dict[tuple[str, str], Any] = dict(specs or {})
    for point, sc in scenarios.items():
        for v in variants:
            if (point, v) not in all_specs:
                all_specs[(point, v)] = sc.model_spec(v, region)
    return bundle_of(region, scenarios, all_specs)


def bundle_of(region: Any, scenarios: Mapping[str, Scenario], specs: Mapping[tuple[str, str], Any]) -> Bundle:
    """The :class:`Bundle` of exactly these specs, ``(point, variant)`` -> spec: each prepared once
    per distinct stations and hospitals, and the travel-time matrices shared between those on the
    same nodes (:func:`sim.engine.prepare.share_matrices`)."""
    shared: dict[str, Any] = {}
    prepared: dict[tuple[str, str], Any] = {}
    for key, spec in specs.items():
        pk = prepare_key(spec)
        if pk not in shared:
            shared[pk] = prepare(region.network, spec)
        prepared[key] = shared[pk]
    share_matrices(shared.values())
    return Bundle(region=region, scenarios=dict(scenarios), specs=dict(specs), prepared=prepared)


def distinct_prepared(bundle: Bundle) -> int:
    """How many distinct prepared matrices the bundle holds."""
    return len({id(p) for p in bundle.prepared.values()})


# ---------------------------------------------------------------------------------------- cache

_CACHE: dict[str, Any] = {}
"""Per process: the loaded region, model specs and prepared matrices of the current scenario."""


def _state(scenario: Scenario) -> dict[str, Any]:
    """Region, specs and prepared matrices of `scenario`, loaded once per process."""
    key = hashlib.sha256(f"{scenario.path}\n{scenario.text}".encode()).hexdigest()
    st = _CACHE.get(key)
    if st is None:
        _CACHE.clear()
        region = scenario.load_region()
        st = {"region": region, "specs": scenario.model_specs(region), "prepared": {}, "shared": {}}
        _CACHE[key] = st
    return st


def bundle_for(scenario: Scenario, variants: Sequence[str]) -> Bundle:
    """The :class:`Bundle` of `variants` of one scenario (the single point ``""``).

    The region, specs and prepared matrices are kept per process, so a notebook running the same
    scenario again prepares nothing; variants with the same stations and hospitals share one.
    """
    st = _state(scenario)
    for v in variants:
        if v not in st["prepared"]:
            spec = st["specs"][v]
            key = prepare_key(spec)
            if key not in st["shared"]:
                st["shared"][key] = prepare(st["region"].network, spec)
            st["prepared"][v] = st["shared"][key]
    return Bundle(region=st["region"], scenarios={"": scenario},
                  specs={("", v): st["specs"][v] for v in variants},
                  prepared={("", v): st["prepared"][v] for v in variants})
