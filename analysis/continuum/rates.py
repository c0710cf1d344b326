"""Rates of an outcome per group with 95% Wilson intervals, and the time bins they are read by."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis import stats

FIRST_RESPONSE_BINS = ([0, 1, 4, 24, 72, np.inf], ["under 1 h", "1–4 h", "4–24 h", "1–3 days", "over 3 days"])
RESOLUTION_BINS = ([0, 24, 72, 168, 336, np.inf], ["under 1 day", "1–3 days", "3–7 days", "1–2 weeks",
                                                    "over 2 weeks"])
NO_RESPONSE = "no response"
NOT_RESOLVED = "not resolved"


def rates(frame: pd.DataFrame, by: str, outcomes: Iterable[str] = ("vent", "kudos")) -> pd.DataFrame:
    """Rate of each outcome per group with a 95% Wilson interval (outcome, bin, n, events, rate, low, high)."""
    rows = []
    if frame.empty:
        return pd.DataFrame(columns=["outcome", "bin", "n", "events", "rate", "low", "high"])
    for outcome in outcomes:
        g = frame.groupby(by, observed=False)[outcome].agg(["size", "sum"]).reset_index()
        g.columns = ["bin", "n", "events"]
        g.insert(0, "outcome", outcome)
        rows.append(g)
    out = pd.concat(rows, ignore_index=True)
    out["n"] = out["n"].astype(int)
    out["events"] = out["events"].astype(int)
    out["rate"] = out["events"] / out["n"].where(out["n"] > 0)
    out["low"], out["high"] = stats.wilson_interval(out["events"].to_numpy(), out["n"].to_numpy())
    out["bin"] = out["bin"].astype(str)
    return out


def add_bins(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    frt = pd.cut(out["first_response_h"], FIRST_RESPONSE_BINS[0], labels=FIRST_RESPONSE_BINS[1], right=False)
    out["first_response_bin"] = pd.Categorical(frt.cat.add_categories([NO_RESPONSE]).fillna(NO_RESPONSE),
                                               categories=[*FIRST_RESPONSE_BINS[1], NO_RESPONSE], ordered=True)
    res = pd.cut(out["resolution_h"], RESOLUTION_BINS[0], labels=RESOLUTION_BINS[1], right=False)
    out["resolution_bin"] = pd.Categorical(res.cat.add_categories([NOT_RESOLVED]).fillna(NOT_RESOLVED),
                                           categories=[*RESOLUTION_BINS[1], NOT_RESOLVED], ordered=True)
    return out
