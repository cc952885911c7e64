"""Demand on the bundled regions: a place's calls stay in its own country.

Each place spreads its calls over roads of its own jurisdiction (:func:`sim.model.demand.place_kernels`),
so Dutch places' calls happen in the Netherlands and none of Baarle-Nassau's lands in the Belgian
enclaves; places with no road of their country within reach lie beyond the road extract, and places
at its edge put there the share of their kernel it does not cover (:func:`sim.model.demand.place_coverage`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sim.model.demand import beyond_places, generate_incidents
from sim.model.places import place_coverage, place_kernels, spread_places
from sim.model.streams import Streams
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def _load(name: str) -> tuple[Any, Any, Any]:
    sc = load_scenario(SCENARIOS / f"{name}.yaml")
    region = sc.load_region()
    return sc, region, sc.model_spec(sc.variant_names[0], region)


def _kernels(region: Any, spec: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d = spec.demand
    kept, off, nodes, _ = place_kernels(region.network, spec.places, spread_m=d.spread_m,
                                        max_distance_m=d.max_place_distance_m)
    return kept, off, nodes


@pytest.mark.slow
def test_dutch_places_calls_in_the_euregio_file_happen_in_the_netherlands() -> None:
    sc, region, spec = _load("euregio-meuse-rhine-be")
    net = region.network
    kept, off, nodes = _kernels(region, spec)
    country = np.asarray(net.countries, dtype=object)
    dutch = [p for p, pl in enumerate(spec.places) if pl.country == "NL"]
    on_roads = [p for p in dutch if kept[p]]
    assert len(on_roads) >= 5  # Maastricht's western quarters and the villages along the border
    for p in on_roads:
        assert set(country[net.node_country[nodes[off[p]:off[p + 1]]]]) == {"NL"}, spec.places[p].name
    # Eijsden has Belgian roads within 1.5 km but no Dutch one: its calls are not Belgian 112 calls
    eijsden = next(p for p in dutch if spec.places[p].name == "Eijsden")
    assert not kept[eijsden]
    # drawn calls: a Dutch call (Meldkamer) is on a Dutch node or beyond the extract; no call of a
    # Dutch place reaches a Belgian centre
    inc = generate_incidents(net, spec, Streams(sc.seed))
    nl = net.countries.index("NL")
    on = ~inc.beyond
    node_country = np.where(on, net.node_country[np.where(on, inc.node, 0)], -1)
    assert (node_country[on & (inc.country == nl)] == nl).all()
    types, centre, _ = beyond_places(net, spec)
    if spec.demand.beyond_radius_m is not None:
        assert types[eijsden].any() and net.centres[centre[eijsden]] == "Meldkamer (NL)"
        assert (inc.beyond & (inc.country == nl)).sum() > 10 * (on & (inc.country == nl)).sum()


@pytest.mark.slow
def test_maastricht_west_calls_happen_mostly_beyond_the_extract() -> None:
    """The extract's Dutch margin holds a few streets of Maastricht-West: its quarters keep on them
    only the share of their kernel those streets cover, the rest beyond the extract; without the
    split one node at the edge took 680 calls a year."""
    _, region, spec = _load("euregio-meuse-rhine-be")
    net, d = region.network, spec.demand
    assert d.split_reach_m is not None
    kept, *_ = _kernels(region, spec)
    dutch = [p for p, pl in enumerate(spec.places) if pl.country == "NL" and kept[p]]
    names = {spec.places[p].name for p in dutch}
    assert {"Malberg", "Belfort", "Pottenberg", "Oud-Caberg"} <= names
    f = place_coverage(net, [spec.places[p] for p in dutch], spread_m=d.spread_m, reach_m=d.split_reach_m)
    pop = np.array([spec.places[p].population for p in dutch])
    assert f.max() < 0.6 and np.average(f, weights=pop) < 0.45
    rate = sum(d.rates_per_1000["NL"].values()) / 1000.0
    people = np.array([pl.population for pl in spec.places])
    nl = np.array([pl.country == "NL" for pl in spec.places])

    def top_node(reach_m: float | None) -> float:
        pi, node, w = spread_places(net, spec.places, spread_m=d.spread_m,
                                    max_distance_m=d.max_place_distance_m, reach_m=reach_m)
        return float(np.bincount(node[nl[pi]], weights=(w * people[pi] * rate)[nl[pi]]).max())

    assert top_node(None) > 650 and top_node(d.split_reach_m) < 300
    # and the belgian places well inside the extract keep their calls: 98 % of Belgians on the roads
    be = [p for p, pl in enumerate(spec.places) if pl.country == "BE" and kept[p]]
    f_be = place_coverage(net, [spec.places[p] for p in be], spread_m=d.spread_m, reach_m=d.split_reach_m)
    assert np.average(f_be, weights=people[be]) > 0.97


def test_baarle_nassau_calls_never_land_in_the_enclaves() -> None:
    sc, region, spec = _load("baarle-turnhout")
    net = region.network
    kept, off, nodes = _kernels(region, spec)
    country = np.asarray([*net.countries, ""], dtype=object)[net.node_country]
    in_enclaves = sc.focus_masks(net.lat, net.lon, country)["Baarle-Hertog enclaves"]
    assert in_enclaves.sum() > 50
    for name in ("Baarle-Nassau", "Hoogbraak"):
        p = next(i for i, pl in enumerate(spec.places) if pl.name == name)
        own = nodes[off[p]:off[p + 1]]
        assert kept[p] and len(own) > 100
        assert not in_enclaves[own].any() and set(country[own]) == {"NL"}
    # and the enclaves' own calls stay Belgian
    p = next(i for i, pl in enumerate(spec.places) if pl.name == "Baarle-Hertog (enclaves)")
    assert set(country[nodes[off[p]:off[p + 1]]]) == {"BE"}
