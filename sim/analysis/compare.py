"""The planner's table of a run: every variant's statistics side by side, differences, missions.

:func:`compare_table` reads a run's ``summary.json`` (:func:`sim.analysis.summary.summarise`) into
one long table, one number per row, which ``xborder compare`` prints as text, markdown, CSV or
JSON. Its columns:

``section``
    ``statistics`` (a group's statistics), ``differences`` (a variant minus the reference variant,
    paired by replication), ``cross_border_missions`` (missions by direction, all replications),
    ``cross_border_missions_by_type`` (missions by direction and unit type, all replications, for
    all incidents and each focus area),
    ``utilisation`` (busy time over time on duty, by unit type: all units, scope ``overall``, and
    each country's, scope ``country``) or ``requests`` (requests for help between dispatch
    centres, all replications: :mod:`sim.analysis.requests`).
``scope``, ``group``
    Which incidents: ``overall`` (group ``""``), ``service`` (``ambulance`` or ``fire`` calls),
    ``norm`` (a country's calls of one norm class, ``NL/a2``: judged against that class's norm, or
    by the shares within 10 and 15 min where the country has none), ``focus`` (a focus area),
    ``focus_service`` (a focus area's calls of one service, ``Baarle-Hertog enclaves/ambulance``),
    ``dispatch_centre`` (a centre that received calls) or ``type`` (an incident type); for
    requests, scope ``agreement`` and the agreement's name.
``measure``
    For statistics and differences one of :data:`MEASURES`; the direction (``BE->NL``) for
    cross-border missions; the direction and unit type (``BE->LU ambulance``) for cross-border
    missions by type; the unit type for utilisation; for requests the direction (lending
    country -> incident country) and one of :data:`REQUEST_MEASURES`, as ``NL->BE declined``.
``variant``, ``value``
    The variant and the number: seconds for times, a share (0-1) for shares, a count for counts
    (missing numbers are NaN).
``low``, ``high``, ``excludes_zero``
    The 95 % interval where there is one (Wilson for the share within the norm; t-interval or
    t-interval or batch means for differences, as ``method`` in
    summary.json says) and, for differences, whether it excludes zero.

The table's ``attrs`` hold what the heading says: ``scenario``, ``replications`` (the most any
variant has), ``horizon_s``, ``seed``, ``complete``, ``norms`` (the labels of the norms the calls
were judged against), ``norm_groups`` (each norm group's norm label, ``None`` for none),
``variants`` (those with results, in order), ``reference`` and ``focus_areas``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from sim.model.norms import NORM_CLASSES

MEASURES: tuple[str, ...] = ("count_per_replication", "judged_per_replication", "mean_s", "median_s", "p90_s",
                             "p95_s", "within_norm_share", "within_10min_share", "within_15min_share",
                             "unserved", "cross_border_incidents")
"""The statistics of each group, in the order of the table."""

DIFFERENCES: tuple[str, ...] = ("mean_s", "p90_s")
"""The differences against the reference variant."""

REQUEST_MEASURES: tuple[str, ...] = ("asked", "declined", "declined_none_free", "declined_keep_home_min",
                                     "declined_not_sooner")
"""The request counts of each agreement and direction in the table (of
:data:`sim.analysis.requests.COUNTS`)."""

COLUMNS: tuple[str, ...] = ("section", "scope", "group", "measure", "variant", "value", "low", "high",
                            "excludes_zero")
"""The columns of :func:`compare_table`."""

_SCOPES = (("service", "by_service"), ("norm", "by_norm"), ("focus", "focus"),
           ("dispatch_centre", "by_dispatch_centre"), ("type", "by_type"))
"""Scopes other than ``overall``: (name in the table, key in summary.json)."""


def norm_group_label(group: str) -> str:
    """A ``by_norm`` group for people: ``"NL/a2"`` -> ``"NL A2"``, ``"BE/fire_8"`` -> ``"BE building
    fire"``."""
    country, _, cls = group.rpartition("/")
    c = NORM_CLASSES.get(cls)
    return f"{country} {c.label if c is not None else cls}".strip()


def focus_service_label(group: str) -> str:
    """A ``focus_service`` group for people: ``"Baarle-Hertog enclaves/fire"`` -> ``"Baarle-Hertog
    enclaves, fire calls"``."""
    area, _, service = group.rpartition("/")
    return f"{area}, {service} calls" if area else group


def _num(x: Any) -> float:
    return math.nan if x is None else float(x)


def _judged_per_replication(stats: Mapping[str, Any]) -> float:
    """Calls judged against a norm per replication (``urgent_with_norm`` of all replications)."""
    count, per_rep = _num(stats.get("count")), _num(stats.get("count_per_replication"))
    judged = _num(stats.get("urgent_with_norm"))
    return judged * per_rep / count if count > 0 else math.nan


def _stat_rows(variant: str, scope: str, group: str, stats: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for m in MEASURES:
        value = _judged_per_replication(stats) if m == "judged_per_replication" else _num(stats.get(m))
        row = {"section": "statistics", "scope": scope, "group": group, "measure": m, "variant": variant,
               "value": value}
        if m == "within_norm_share" and stats.get("within_norm_ci"):
            row["low"], row["high"] = (_num(x) for x in stats["within_norm_ci"])
        rows.append(row)
    return rows


def _diff_rows(variant: str, scope: str, group: str, entry: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for m in DIFFERENCES:
        d = entry.get(m)
        if d is None:
            continue
        rows.append({"section": "differences", "scope": scope, "group": group, "measure": m,
                     "variant": variant, "value": _num(d.get("estimate")), "low": _num(d.get("low")),
                     "high": _num(d.get("high")), "excludes_zero": bool(d.get("excludes_zero"))})
    return rows


def _centres(vs: Mapping[str, Any], variants: list[str]) -> list[str]:
    """Centres that received calls (a centre with units but no calls, e.g. a helper's, has no table)."""
    return sorted({c for v in variants for c, st in vs[v]["by_dispatch_centre"].items() if st.get("count")})


def _request_rows(requests: Mapping[str, Any], variants: list[str]) -> list[dict[str, Any]]:
    """Requests by agreement and direction, a row per variant (0 where a variant has none)."""
    keys = sorted({(ag, d) for v in variants for ag, by in requests.get(v, {}).items() for d in by})
    rows = []
    for ag, direction in keys:
        for m in REQUEST_MEASURES:
            rows += [{"section": "requests", "scope": "agreement", "group": ag, "measure": f"{direction} {m}",
                      "variant": v,
                      "value": float(requests.get(v, {}).get(ag, {}).get(direction, {}).get(m, 0))}
                     for v in variants]
    return rows


def _by_type_rows(vs: Mapping[str, Any], variants: list[str], focus: list[str]) -> list[dict[str, Any]]:
    """Cross-border missions by direction and unit type, all incidents then each focus area, a row
    per variant (0 where a variant has none)."""
    rows = []
    scopes = [("overall", "", {v: vs[v]["overall"] for v in variants})]
    scopes += [("focus", f, {v: vs[v]["focus"].get(f, {}) for v in variants}) for f in focus]
    for scope, group, stats in scopes:
        counts = {v: stats[v].get("cross_border_missions_by_type", {}) for v in variants}
        keys = sorted({(d, u) for v in variants for d, by in counts[v].items() for u in by})
        for d, u in keys:
            rows += [{"section": "cross_border_missions_by_type", "scope": scope, "group": group,
                      "measure": f"{d} {u}", "variant": v, "value": float(counts[v].get(d, {}).get(u, 0))}
                     for v in variants]
    return rows


def compare_table(summary: Mapping[str, Any]) -> pd.DataFrame:
    """The planner's table of a run's summary (``summary.json``), one number per row.

    Parameters
    ----------
    summary
        A run's summary (``sim.load_results(folder).summary``).

    Returns
    -------
    pandas.DataFrame
        The columns :data:`COLUMNS` (see the module's description) and ``attrs`` with the heading.
    """
    vs = summary.get("variants", {})
    variants = [v for v in (summary.get("variant_order") or list(vs)) if v in vs]
    focus = list(summary.get("focus_areas", []))
    centres = _centres(vs, variants)
    rows: list[dict[str, Any]] = []
    services = list(dict.fromkeys(g for v in variants for g in vs[v].get("by_service", {})))
    norm_groups = list(dict.fromkeys(g for v in variants for g in vs[v].get("by_norm", {})))
    for v in variants:
        rows += _stat_rows(v, "overall", "", vs[v]["overall"])
        rows += [r for area, by in vs[v].get("focus_by_service", {}).items() for service, st in by.items()
                 for r in _stat_rows(v, "focus_service", f"{area}/{service}", st)]
        groups = {"service": services, "norm": norm_groups, "focus": focus, "dispatch_centre": centres,
                  "type": sorted(vs[v]["by_type"])}
        for scope, key in _SCOPES:
            have = vs[v].get(key, {})
            rows += [r for g in groups[scope] if g in have for r in _stat_rows(v, scope, g, have[g])]
    for v, d in summary.get("differences", {}).items():
        rows += _diff_rows(v, "overall", "", d.get("overall", {}))
        rows += [r for area, by in d.get("focus_by_service", {}).items() for service, e in by.items()
                 for r in _diff_rows(v, "focus_service", f"{area}/{service}", e)]
        groups = {"service": services, "norm": norm_groups, "focus": focus, "dispatch_centre": centres,
                  "type": sorted(d.get("by_type", {}))}
        for scope, key in _SCOPES:
            rows += [r for g in groups[scope] for r in _diff_rows(v, scope, g, d.get(key, {}).get(g, {}))]
    xb = {v: vs[v]["overall"].get("cross_border_missions", {}) for v in variants}
    for direction in sorted({k for v in variants for k in xb[v]}):
        rows += [{"section": "cross_border_missions", "scope": "overall", "group": "", "measure": direction,
                  "variant": v, "value": float(xb[v].get(direction, 0))} for v in variants]
    rows += _by_type_rows(vs, variants, focus)
    util = {v: vs[v]["overall"].get("utilisation", {}) for v in variants}
    for unit_type in sorted({u for v in variants for u in util[v]}):
        rows += [{"section": "utilisation", "scope": "overall", "group": "", "measure": unit_type,
                  "variant": v, "value": _num(util[v][unit_type])} for v in variants if unit_type in util[v]]
    by_country = {v: vs[v].get("utilisation_by_country", {}) for v in variants}
    for country in sorted({c for v in variants for c in by_country[v]}):
        for unit_type in sorted({u for v in variants for u in by_country[v].get(country, {})}):
            rows += [{"section": "utilisation", "scope": "country", "group": country, "measure": unit_type,
                      "variant": v, "value": _num(by_country[v][country][unit_type])}
                     for v in variants if unit_type in by_country[v].get(country, {})]
    rows += _request_rows(summary.get("requests", {}), variants)
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table["excludes_zero"] = table["excludes_zero"].astype(object)
    reps = summary.get("replications_done", {})
    group_norms = {g: _group_norm(vs, variants, g) for g in norm_groups}
    table.attrs.update({
        "scenario": summary.get("scenario"),
        "replications": max((len(r) for r in reps.values()), default=0),
        "horizon_s": summary.get("horizon_s"),
        "seed": summary.get("seed"),
        "complete": bool(summary.get("complete")),
        "norms": _norm_labels(summary, group_norms),
        "norm_groups": group_norms,
        "variants": variants,
        "reference": summary.get("reference") or (variants[0] if variants else None),
        "focus_areas": focus,
    })
    return table


def _group_norm(vs: Mapping[str, Any], variants: list[str], group: str) -> str | None:
    """The label of a ``by_norm`` group's norm (``None``: the class has no norm in that country)."""
    for v in variants:
        st = vs[v].get("by_norm", {}).get(group)
        if st is not None:
            n = st.get("norm")
            return None if not n else str(n.get("label") or group)
    return None


def _norm_labels(summary: Mapping[str, Any], group_norms: Mapping[str, str | None]) -> list[str]:
    """The labels of the norms the run's calls were judged against (`group_norms`: each norm
    group's); all the run's norms for a summary without norm groups."""
    if group_norms:
        return list(dict.fromkeys(lb for lb in group_norms.values() if lb))
    return [n.get("label", k) for k, n in summary.get("norms", {}).items()]


_WIDE: dict[str, tuple[str, float]] = {
    "count_per_replication": ("calls per replication", 1.0),
    "judged_per_replication": ("calls judged against a norm per replication", 1.0),
    "mean_s": ("mean response (min)", 1 / 60),
    "median_s": ("median (min)", 1 / 60), "p90_s": ("p90 (min)", 1 / 60), "p95_s": ("p95 (min)", 1 / 60),
    "within_norm_share": ("within norm (%)", 100.0), "within_10min_share": ("within 10 min (%)", 100.0),
    "within_15min_share": ("within 15 min (%)", 100.0), "unserved": ("unserved calls", 1.0),
    "cross_border_incidents": ("cross-border incidents", 1.0),
}
"""Statistic -> (column of the wide tables, with its unit; factor from the summary's unit)."""


def _label(scope: str, group: str) -> str:
    return {"overall": "All incidents", "focus": group, "dispatch_centre": f"Dispatch centre {group}",
            "type": f"Incident type {group}", "service": f"{group.capitalize()} calls",
            "focus_service": focus_service_label(group),
            "norm": norm_group_label(group)}.get(scope, group)


def planner_tables(summary: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """:func:`compare_table` as four wide tables for spreadsheets, units in the column names.

    Returns
    -------
    dict of DataFrame
        ``variants`` (one row per group and variant: calls, mean, median, p90, p95 in minutes,
        urgent calls within the norm in per cent with its 95 % interval, unserved calls,
        cross-border incidents), ``differences`` (each variant minus the reference, in minutes, with
        95 % intervals), ``cross-border missions`` (by direction and variant, all replications) and
        ``utilisation`` (by country, unit type and variant, per cent of the time on duty). Groups:
        all incidents, services, norm classes per country, focus areas, dispatch centres.
    """
    long = compare_table(summary)
    long = long[long["scope"] != "type"]
    keys = ["scope", "group", "variant"]
    stats = long[long["section"] == "statistics"]
    variants = stats[keys].drop_duplicates().reset_index(drop=True)
    for measure, (column, factor) in _WIDE.items():
        part = stats[stats["measure"] == measure].set_index(keys)
        variants[column] = part["value"].reindex(pd.MultiIndex.from_frame(variants[keys])).to_numpy() * factor
        if measure == "within_norm_share":
            for end in ("low", "high"):
                values = part[end].reindex(pd.MultiIndex.from_frame(variants[keys])).to_numpy(float)
                variants[f"within norm 95% {end} (%)"] = 100.0 * values
    diffs = long[long["section"] == "differences"]
    differences = diffs[keys].drop_duplicates().reset_index(drop=True)
    differences.insert(3, "against", long.attrs.get("reference"))
    for measure, name in (("mean_s", "mean response"), ("p90_s", "p90")):
        part = diffs[diffs["measure"] == measure].set_index(keys).reindex(
            pd.MultiIndex.from_frame(differences[keys]))
        differences[f"{name} difference (min)"] = part["value"].to_numpy(float) / 60
        differences[f"{name} 95% low (min)"] = part["low"].to_numpy(float) / 60
        differences[f"{name} 95% high (min)"] = part["high"].to_numpy(float) / 60
        excludes = part["excludes_zero"].fillna(False).astype(bool)
        differences[f"{name} interval excludes zero"] = excludes.to_numpy()
    for table in (variants, differences):
        scopes, groups = table.pop("scope"), table.pop("group")
        table.insert(0, "group", [_label(s, g) for s, g in zip(scopes, groups, strict=True)])
    xb = long[long["section"] == "cross_border_missions"]
    util = long[long["section"] == "utilisation"]
    missions = pd.DataFrame({"direction": xb["measure"].to_numpy(), "variant": xb["variant"].to_numpy(),
                             "missions (all replications)": xb["value"].astype(int).to_numpy()})
    used = pd.DataFrame({"country": [g or "all" for g in util["group"]],
                         "unit type": util["measure"].to_numpy(), "variant": util["variant"].to_numpy(),
                         "utilisation (%)": 100.0 * util["value"].to_numpy(float)})
    return {"variants": variants, "differences": differences, "cross-border missions": missions,
            "utilisation": used}
