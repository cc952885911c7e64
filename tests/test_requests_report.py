"""Requests for help in the summary and the planner's table: counts by agreement and direction."""

from __future__ import annotations

import io

import pandas as pd

from sim.analysis.compare import compare_table
from sim.analysis.requests import request_counts
from sim.cli.compare import print_compare


def _requests() -> pd.DataFrame:
    rows = [  # variant, agreement, direction, outcome, reason, in_warmup
        ("ag", "M8", "NL->BE", "accepted", "", False),
        ("ag", "M8", "NL->BE", "declined", "none_free", False),
        ("ag", "M8", "NL->BE", "declined", "keep_home_min", False),
        ("ag", "M8", "NL->BE", "declined", "none_free", True),  # warm-up: left out
        ("ag", "M8", "BE->NL", "pending", "", False),
        ("ag", "M8", "BE->NL", "accepted", "", False),
        ("other", "M8", "BE->NL", "accepted", "", False),  # a variant not reported
    ]
    return pd.DataFrame(rows, columns=["variant", "agreement", "direction", "outcome", "reason", "in_warmup"])


def test_request_counts_by_variant_agreement_and_direction() -> None:
    got = request_counts(_requests(), variants=["none", "ag"])
    assert got == {"none": {}, "ag": {"M8": {
        "BE->NL": {"asked": 2, "accepted": 1, "declined": 0, "declined_none_free": 0,
                   "declined_keep_home_min": 0, "declined_not_sooner": 0, "pending": 1},
        "NL->BE": {"asked": 3, "accepted": 1, "declined": 2, "declined_none_free": 1,
                   "declined_keep_home_min": 1, "declined_not_sooner": 0, "pending": 0}}}}
    # a results folder written before requests were recorded
    assert request_counts(pd.DataFrame(), variants=["ag"]) == {"ag": {}}


def test_declined_requests_are_rows_of_the_planners_table_and_its_text() -> None:
    summary = {"scenario": "s", "complete": True, "variant_order": ["none", "ag"],
               "replications_done": {"none": [0], "ag": [0]}, "seed": 1, "horizon_s": 86400.0, "norms": {},
               "focus_areas": [], "differences": {},
               "variants": {v: {"overall": {}, "by_dispatch_centre": {}, "by_type": {}, "focus": {}}
                            for v in ("none", "ag")},
               "requests": request_counts(_requests(), variants=["none", "ag"])}
    table = compare_table(summary)
    req = table[table["section"] == "requests"].set_index(["group", "measure", "variant"])["value"]
    assert req[("M8", "NL->BE declined", "ag")] == 2
    assert req[("M8", "NL->BE declined_none_free", "ag")] == 1
    assert req[("M8", "NL->BE declined", "none")] == 0
    assert req[("M8", "BE->NL asked", "ag")] == 2
    assert len(req) == 2 * 5 * 2  # directions x measures x variants
    buf = io.StringIO()
    print_compare(summary, out=buf)
    block = buf.getvalue().split("Requests for help: asked / declined (all replications)")[1]
    lines = [line.split("  ") for line in block.strip("\n").splitlines()[1:3]]
    assert [[c.strip() for c in line if c.strip()] for line in lines] == [
        ["BE->NL M8", "0 / 0", "2 / 0"], ["NL->BE M8", "0 / 0", "3 / 2"]]
