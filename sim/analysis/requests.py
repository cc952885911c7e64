"""Requests for help between dispatch centres: how many were asked, accepted and declined.

Read from the ``requests`` table of a run (:data:`sim.engine.REQUEST_COLUMNS`): one row per request
of a centre for a unit under an agreement. A centre that cannot see the lending centre's units
(``visibility: station``) asks by phone and may be declined; one that sees them only asks for a free
unit, which is always accepted. Requests for calls made during the warm-up are left out, as in the
other statistics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

COUNTS: tuple[str, ...] = ("asked", "accepted", "declined", "declined_none_free", "declined_keep_home_min",
                           "declined_not_sooner", "pending")
"""The counts of each agreement and direction: requests asked, accepted, declined (and declined
because no unit was free, to keep ``keep_home_min`` at home, or because the unit on offer would
arrive no sooner than the requesting centre's own), not answered before the horizon."""


def _counts(rows: pd.DataFrame) -> dict[str, int]:
    outcome, reason = rows["outcome"].astype(str), rows["reason"].astype(str)
    declined = outcome == "declined"
    return {"asked": len(rows), "accepted": int((outcome == "accepted").sum()),
            "declined": int(declined.sum()),
            "declined_none_free": int((declined & (reason == "none_free")).sum()),
            "declined_keep_home_min": int((declined & (reason == "keep_home_min")).sum()),
            "declined_not_sooner": int((declined & (reason == "not_sooner")).sum()),
            "pending": int((outcome == "pending").sum())}


def request_counts(requests: pd.DataFrame, *, variants: Sequence[str]) -> dict[str, Any]:
    """Requests per variant, agreement and direction (lending country -> incident country), over all
    replications, warm-up left out: ``{variant: {agreement: {direction: {count: n}}}}`` with the
    counts of :data:`COUNTS`; a variant without requests maps to ``{}``.

    Parameters
    ----------
    requests
        The run's ``requests`` table (with ``variant`` and ``replication``); may be empty or lack
        columns (a results folder written before requests were recorded).
    variants
        The variants to report, in order.
    """
    out: dict[str, Any] = {v: {} for v in variants}
    if not len(requests) or "outcome" not in requests:
        return out
    measured = requests[~requests["in_warmup"].astype(bool)]
    for (v, ag, direction), rows in measured.groupby(["variant", "agreement", "direction"], sort=True):
        if str(v) in out:
            out[str(v)].setdefault(str(ag), {})[str(direction)] = _counts(rows)
    return out
