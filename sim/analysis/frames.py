"""Engine records as DataFrames: one row per incident, mission, unit and request for help, with
``variant`` and ``replication`` columns added (the tables of a results folder).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

TABLES = ("incidents", "missions", "units", "requests")
"""The tables of a run: one frame (and parquet file) each."""
KEY = ["variant", "replication"]



# ---------------------------------------------------------------------------------------- frames


def records_to_frames(records: Any, *, variant: str, replication: int,
                      focus: Mapping[str, npt.NDArray[np.bool_]] | None = None) -> dict[str, pd.DataFrame]:
    """The engine's records of one replication as DataFrames with ``variant`` and ``replication``.

    Parameters
    ----------
    records
        A :class:`sim.engine.records.SimRecords` (``.incidents``, ``.missions``, ``.units``,
        ``.requests``: dicts of arrays).
    focus
        Focus-area name -> boolean mask over the incidents; adds a ``focus`` column holding the name
        of the first area an incident lies in (``""`` if none).
    """
    out: dict[str, pd.DataFrame] = {}
    for table in TABLES:
        cols = getattr(records, table)
        df = pd.DataFrame({k: np.asarray(v) for k, v in cols.items()})
        df.insert(0, "replication", np.full(len(df), int(replication), dtype=np.int64))
        df.insert(0, "variant", pd.Series([variant] * len(df), dtype=object))
        out[table] = df
    inc = out["incidents"]
    labels = np.full(len(inc), "", dtype=object)
    for name, mask in (focus or {}).items():
        m = np.asarray(mask, dtype=bool)
        labels[(labels == "") & m] = name
    inc["focus"] = labels
    return out


def concat_frames(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate per-replication frames (keeps the columns of the first when all are empty)."""
    non_empty = [p for p in parts if len(p)]
    if not non_empty:
        return parts[0].iloc[0:0].copy() if parts else pd.DataFrame()
    return pd.concat(non_empty, ignore_index=True)


# ---------------------------------------------------------------------------------------- stats


