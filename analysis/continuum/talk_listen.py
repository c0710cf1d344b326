"""Talk against listen: outbound against inbound touches per channel and month, against the 25/75 rule."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Practitioners' rule of thumb: a company should talk about a quarter of the time and listen the rest.
TALK_RULE = 0.25


@dataclass
class TalkListen:
    per_channel: pd.DataFrame   # channel, label, publicness, side, inbound, outbound, total, talk_share
    over_time: pd.DataFrame     # month, scope, inbound, outbound, total, talk_share
    inbound: int
    outbound: int

    @property
    def talk_share(self) -> float:
        total = self.inbound + self.outbound
        return self.outbound / total if total else float("nan")


def talk_listen(monthly: pd.DataFrame, focus: Iterable[str] = ()) -> TalkListen:
    """Outbound (talk) against inbound (listen) per channel, overall and per month, from monthly counts.

    ``monthly`` has month, channel, direction, n and the channel's label, publicness and side.
    """
    m = monthly if not list(focus or []) else monthly[monthly["channel"].isin(list(focus))]
    if m is None or m.empty:
        empty = pd.DataFrame(columns=["channel", "label", "publicness", "side", "inbound", "outbound", "total",
                                      "talk_share"])
        return TalkListen(empty, pd.DataFrame(columns=["month", "scope", "inbound", "outbound", "total",
                                                       "talk_share"]), 0, 0)
    m = m.assign(inbound=np.where(m["direction"] == "inbound", m["n"], 0),
                 outbound=np.where(m["direction"] == "outbound", m["n"], 0))
    per = (m.groupby(["channel", "label", "publicness", "side"], dropna=False)[["inbound", "outbound"]].sum()
           .reset_index())
    per["total"] = per["inbound"] + per["outbound"]
    per["talk_share"] = per["outbound"] / per["total"].where(per["total"] > 0)
    per = per.sort_values(["publicness", "channel"], ascending=[False, True]).reset_index(drop=True)
    overall = m.groupby("month")[["inbound", "outbound"]].sum().reset_index().assign(scope="All channels")
    halves = (m.groupby(["month", "side"])[["inbound", "outbound"]].sum().reset_index()
              .assign(scope=lambda d: np.where(d["side"] == "public", "Public half", "Private half"))
              .drop(columns="side"))
    over = pd.concat([overall, halves], ignore_index=True)
    over["total"] = over["inbound"] + over["outbound"]
    over["talk_share"] = over["outbound"] / over["total"].where(over["total"] > 0)
    over = over.sort_values(["scope", "month"]).reset_index(drop=True)
    return TalkListen(per, over[["month", "scope", "inbound", "outbound", "total", "talk_share"]],
                      int(per["inbound"].sum()), int(per["outbound"].sum()))
