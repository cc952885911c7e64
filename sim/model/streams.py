"""Independent random streams for common random numbers (CRN).

Every random input of the model draws from its own `numpy.random.Generator`, all spawned from one
``numpy.random.SeedSequence(seed, spawn_key=(replication,))``. Stream ``k`` in :data:`STREAM_NAMES`
is child ``k`` of that sequence, so the order is part of the contract: new streams are only ever
appended, which leaves every existing stream unchanged.

Two variants run with the same ``(seed, replication)`` therefore see the same arrival times, places,
types and service-time draws, whatever their stations or agreements; and a variant run alone gives
exactly what it gives among others (nothing is shared between runs).
"""

from __future__ import annotations

import zlib

import numpy as np

STREAM_NAMES: tuple[str, ...] = (
    "arrivals",         # 0: counts per hour bin and times within the bin
    "places",           # 1: place of each incident and the network node it falls on
    "types",            # 2: incident type (and country group) of each incident
    "call_processing",  # 3: call-processing time at the dispatch centre
    "on_scene",         # 4: on-scene time per unit slot
    "transport",        # 5: whether the patient is transported
    "handover",         # 6: hospital handover time
    "turnout",          # 7: turnout time per unit slot (day and night draws)
    "request_delay",    # 8: delay to arrange help from abroad (one sub-stream per agreement name)
    "optional_needs",   # 9: whether optional units (e.g. SMUR at a road collision) are sent
    "travel",           # 10: the realised leg to the scene over the expected one, per unit slot
)
"""Stream names in spawn order. Append only: never reorder or remove (it would change results)."""


class Streams:
    """One `numpy.random.Generator` per named random input.

    Parameters
    ----------
    seed
        Root seed of the study.
    replication
        Replication number; replications are independent (different ``spawn_key``).

    Examples
    --------
    >>> s = Streams(42)
    >>> s["arrivals"].random() == Streams(42).arrivals.random()
    True
    """

    def __init__(self, seed: int, replication: int = 0) -> None:
        self.seed = int(seed)
        self.replication = int(replication)
        root = np.random.SeedSequence(self.seed, spawn_key=(self.replication,))
        self._seqs = dict(zip(STREAM_NAMES, root.spawn(len(STREAM_NAMES)), strict=True))
        self._gens = {name: np.random.Generator(np.random.PCG64(seq)) for name, seq in self._seqs.items()}

    def __getitem__(self, name: str) -> np.random.Generator:
        try:
            return self._gens[name]
        except KeyError:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAM_NAMES)}") from None

    def __getattr__(self, name: str) -> np.random.Generator:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._gens[name]
        except KeyError:
            raise AttributeError(name) from None

    def keyed(self, name: str, key: str) -> np.random.Generator:
        """A fresh generator for `key` within stream `name` (e.g. one per agreement name).

        It depends only on ``(seed, replication, name, key)``: adding, removing or reordering other
        keys (agreements in another variant) leaves it unchanged. Each call starts it afresh.
        """
        seq = self._seqs[name]
        child = np.random.SeedSequence(
            seq.entropy, spawn_key=(*seq.spawn_key, 1 << 20, zlib.crc32(key.encode("utf-8")))
        )
        return np.random.Generator(np.random.PCG64(child))
