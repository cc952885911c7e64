"""Coverage: the population a station can reach within a few minutes, with and without agreements.

A node of the road network is *covered* within a threshold (8 and 15 minutes by default) when a
unit based at a station may serve it and can drive there in time. Nationally, a station serves its
own country (and the dispatch centres it ``also_serves``); with agreements, a node is also covered
by the foreign stations that an agreement lets help there. Population comes from populated places
(GeoNames), each spread over the network nodes near it.

Only driving counts: call processing, turnout and the request delay between centres are left out,
so the numbers describe the geometry of the station network, not response times (those come from
the simulation). Model layer: no I/O, no plotting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from sim.model.agreements import Agreement, party_matches
from sim.model.places import Place, spread_places
from sim.model.units import Station
from sim.roads.driving import DrivingModel
from sim.roads.network import RoadNetwork, entry_legs, leg_times

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_THRESHOLDS_S: tuple[float, ...] = (8 * 60.0, 15 * 60.0)
"""8 min (NRW urban norm, kommunen.nrw) and 15 min (NL, BE and LU ambulance norms; RIVM, FOD
Volksgezondheid, CGDIS — see ``shared/reference/emergency-services-facts.md``)."""


@dataclass(frozen=True, eq=False)
class Coverage:
    """Who can be reached within each threshold, nationally and with agreements.

    Attributes
    ----------
    thresholds_s
        The thresholds, in seconds.
    time_national_s, time_agreements_s
        Per node: the shortest driving time (s) from a station allowed to serve it, nationally and
        with agreements (``inf`` where none can reach it).
    node_population
        Per node: the population spread onto it.
    table
        One row per country and threshold: ``country``, ``threshold_min``, ``population`` (the
        country's places), ``national``, ``agreements`` (population covered), ``share_national``,
        ``share_agreements`` (fractions), ``gained`` (agreements minus national).
    unassigned_population
        Population not on the network: of places too far from every road node to be placed, and
        the share beyond the extract of places at its edge (with `reach_m`); counted as not covered.
    vehicle
        The unit type whose stations and driving speed were used (``None``: every station).
    """

    thresholds_s: tuple[float, ...]
    time_national_s: FloatArray
    time_agreements_s: FloatArray
    node_population: FloatArray
    table: pd.DataFrame
    unassigned_population: float
    vehicle: str | None


def may_serve(
    station: Station,
    country: str,
    centre: str,
    *,
    agreements: Sequence[Agreement] = (),
    unit_type: str | None = None,
) -> bool:
    """Whether units of `station` may answer calls at a place in `country` / `centre`.

    Nationally a station serves its own country and the centres it ``also_serves``. An agreement
    adds foreign places when one party names the station (its country or dispatch centre) and the
    other names the place, in a direction the agreement allows, for `unit_type` (any type it covers
    when ``None``), and, if it lists stations, only for those.
    """
    if country == station.country or centre in station.also_serves:
        return True
    own = (station.dispatch_centre, *station.also_serves)
    for ag in agreements:
        if unit_type is not None and unit_type not in ag.unit_types:
            continue
        if ag.stations and station.name not in ag.stations:
            continue
        for lender, borrower in ag.lending_pairs():
            if (party_matches(lender, country=station.country, centres=own)
                    and party_matches(borrower, country=country, centres=(centre,))):
                return True
    return False


def _station_times(
    network: RoadNetwork, stations: Sequence[Station], *, factor: float, start_s: float, limit_s: float
) -> FloatArray:
    """Driving time (s) from each station to every node, shape ``(len(stations), n)``, as the engine
    prices a unit at its base: its legs and the network time (:func:`leg_times`) × `factor`, plus
    the start/stop cost."""
    legs = [entry_legs(network, lat=s.lat, lon=s.lon, access=s.off_network, label=f"station {s.name!r}")
            for s in stations]
    return leg_times(network, legs, limit=limit_s / factor) * factor + start_s


def _node_times(network: RoadNetwork, use: Sequence[Station], *, agreements: Sequence[Agreement],
                unit_type: str | None, factor: float, start_s: float,
                limit_s: float) -> tuple[FloatArray, FloatArray]:
    """Per node, the shortest driving time from a station allowed to serve it: ``(national, with
    agreements)``, ``inf`` where none reaches it within `limit_s`."""
    n = network.n_nodes
    nat = np.full(n, np.inf)
    agr = np.full(n, np.inf)
    if not use or not n:
        return nat, agr
    times = _station_times(network, use, factor=factor, start_s=start_s, limit_s=limit_s)
    node_c, node_z = network.node_country, network.node_centre
    # nodes share their rights by (country, centre): decide once per combination
    combos = np.unique(np.column_stack([node_c, node_z]), axis=0)
    for c, z in combos:
        sel = (node_c == c) & (node_z == z)
        country = network.countries[c] if c >= 0 else ""
        centre = network.centres[z] if z >= 0 else ""
        ok_nat = np.array([may_serve(s, country, centre, unit_type=unit_type) for s in use])
        ok_agr = np.array([may_serve(s, country, centre, agreements=agreements,
                                     unit_type=unit_type) for s in use])
        if ok_nat.any():
            nat[sel] = times[ok_nat][:, sel].min(axis=0)
        if ok_agr.any():
            agr[sel] = times[ok_agr][:, sel].min(axis=0)
    return nat, agr


def coverage(
    network: RoadNetwork,
    stations: Sequence[Station],
    places: Sequence[Place],
    *,
    agreements: Sequence[Agreement] = (),
    unit_type: str | None = "ambulance",
    thresholds_s: Sequence[float] = DEFAULT_THRESHOLDS_S,
    driving: DrivingModel | None = None,
    spread_m: float = 1500.0,
    max_distance_m: float = 3000.0,
    reach_m: float | None = None,
) -> Coverage:
    """Population within each threshold of a station, nationally and with `agreements`.

    Parameters
    ----------
    network
        The road network.
    stations
        Stations; only those holding `unit_type` count (all of them when `unit_type` is ``None``).
    places
        Populated places; their population is spread over nearby nodes as incidents are
        (:func:`sim.model.places.spread_places`).
    agreements
        Agreements in force in the "with agreements" case (see :func:`may_serve`).
    unit_type
        The unit type whose stations and emergency driving are used.
    thresholds_s
        Driving-time thresholds in seconds (default 8 and 15 minutes).
    driving
        The driving model (default :class:`sim.roads.driving.DrivingModel`); driving is with lights
        and sirens, from the base (start/stop cost included).
    spread_m, max_distance_m, reach_m
        How places are spread over nodes (`reach_m`: :attr:`sim.model.demand.Demand.split_reach_m`,
        places at the edge of the extract put only the share it covers on the network).

    Returns
    -------
    Coverage
        Per-node driving times (for maps) and a table of covered population per country.
    """
    thr = tuple(float(x) for x in thresholds_s)
    if not thr:
        raise ValueError("at least one threshold is needed")
    n = network.n_nodes
    use = [s for s in stations if unit_type is None or s.units.get(unit_type, 0) > 0]
    if unit_type is None:
        factor, start = 1.0, 0.0
    else:
        f = (driving or DrivingModel()).factors(network, [unit_type])
        factor, start = float(f.urgent[0]), float(f.start_stop_s[0])
    nat, agr = _node_times(network, use, agreements=agreements, unit_type=unit_type, factor=factor,
                           start_s=start, limit_s=max(thr) * 1.01)
    pi, node, w = spread_places(network, places, spread_m=spread_m, max_distance_m=max_distance_m,
                                reach_m=reach_m)
    pop = np.array([p.population for p in places], dtype=float)
    node_pop = np.asarray(np.bincount(node, weights=w * pop[pi], minlength=n), dtype=float)
    rows = []
    countries = sorted({p.country for p in places})
    place_country = np.array([p.country for p in places])
    for limit in thr:
        cov_nat = np.bincount(pi, weights=w * (nat[node] <= limit), minlength=len(places))
        cov_agr = np.bincount(pi, weights=w * (agr[node] <= limit), minlength=len(places))
        for country in countries:
            m = place_country == country
            total = float(pop[m].sum())
            a, b = float((pop * cov_nat)[m].sum()), float((pop * cov_agr)[m].sum())
            rows.append({
                "country": country, "threshold_min": limit / 60.0, "population": total,
                "national": a, "agreements": b,
                "share_national": a / total if total else np.nan,
                "share_agreements": b / total if total else np.nan,
                "gained": b - a,
            })
    table = pd.DataFrame(rows, columns=["country", "threshold_min", "population", "national",
                                        "agreements", "share_national", "share_agreements",
                                        "gained"])
    return Coverage(thresholds_s=thr, time_national_s=nat, time_agreements_s=agr,
                    node_population=node_pop, table=table,
                    unassigned_population=float(pop.sum() - node_pop.sum()), vehicle=unit_type)
