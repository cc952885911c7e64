"""Random streams: independent, reproducible, stable when streams are appended (CRN)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.model.streams import STREAM_NAMES, Streams


def test_same_seed_same_draws_and_names_complete() -> None:
    a, b = Streams(7, 2), Streams(7, 2)
    for name in ("arrivals", "places", "types", "call_processing", "on_scene", "transport", "handover",
                 "turnout", "request_delay", "optional_needs"):
        assert name in STREAM_NAMES
        np.testing.assert_array_equal(a[name].random(5), b[name].random(5))


def test_streams_are_distinct_and_replications_differ() -> None:
    s = Streams(7)
    draws = {n: s[n].random(4).tobytes() for n in STREAM_NAMES}
    assert len(set(draws.values())) == len(STREAM_NAMES)
    assert Streams(7, 0).arrivals.random() != Streams(7, 1).arrivals.random()
    assert Streams(7, 0).arrivals.random() != Streams(8, 0).arrivals.random()


def test_stream_k_is_child_k_of_the_seed_sequence() -> None:
    # The documented derivation: stream k = spawn child k of SeedSequence(seed, spawn_key=(rep,)).
    # Appending a stream name therefore never changes the existing ones.
    root = np.random.SeedSequence(11, spawn_key=(3,))
    kids = root.spawn(len(STREAM_NAMES) + 5)
    s = Streams(11, 3)
    for k, name in enumerate(STREAM_NAMES):
        expect = np.random.Generator(np.random.PCG64(kids[k])).random(3)
        np.testing.assert_array_equal(s[name].random(3), expect)


def test_using_one_stream_does_not_move_another() -> None:
    a, b = Streams(5), Streams(5)
    a.on_scene.random(1000)
    assert a.handover.random() == b.handover.random()


def test_keyed_substreams_depend_only_on_their_key() -> None:
    s = Streams(3)
    x = s.keyed("request_delay", "Benelux").random(4)
    s.request_delay.random(10)
    s.keyed("request_delay", "other").random(10)
    np.testing.assert_array_equal(Streams(3).keyed("request_delay", "Benelux").random(4), x)
    assert not np.array_equal(s.keyed("request_delay", "other").random(4), x)


def test_unknown_stream_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown random stream"):
        Streams(1)["nope"]
