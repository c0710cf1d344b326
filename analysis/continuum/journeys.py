"""Journeys: moves between channels and between the halves, the commonest paths, conversations taken
private and gone public."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis.continuum.channels import monthly_mix
from analysis.continuum.conversations import ServiceBase, service_base, thread_mask
from analysis.continuum.selection import path_label
from analysis.continuum.vocabulary import complete_vocab, labels_of, public_set, vocabulary
from analysis.filters import Filters

# Drawn, not computed: the Sankey shows this many of the largest moves, the bar chart this many paths.
MAX_DRAWN_MOVES = 30
MAX_DRAWN_PATHS = 12


@dataclass
class Journeys:
    threads: int
    resolved: int
    moves: pd.DataFrame          # src, dst, n, src_side, dst_side (every move, largest first)
    sides: pd.DataFrame          # src_side, dst_side, n
    paths: pd.DataFrame          # path, label, n, share, resolved_share, crossing (every path, commonest first)
    taken_offline: int           # threads with a public -> private move
    taken_offline_resolved: int
    went_public: int             # threads with a private -> public move
    went_public_resolved: int
    went_public_kinds: pd.DataFrame  # kind of the first public touch after a private one: kind, n

    @property
    def moves_total(self) -> int:
        return int(self.moves["n"].sum()) if len(self.moves) else 0


def journeys(base: ServiceBase, mask: np.ndarray, vocab: pd.DataFrame) -> Journeys:
    """Moves between channels and halves, paths, and the threads that crossed between the halves."""
    pub = public_set(vocab)
    labels = labels_of(vocab)
    th = base.threads[mask]
    n_threads = len(th)
    sel = mask[base.moves["thread"].to_numpy()] if len(base.moves) else np.zeros(0, dtype=bool)
    mv = base.moves[sel]
    src_pub = mv["src"].isin(pub).to_numpy()
    dst_pub = mv["dst"].isin(pub).to_numpy()
    side = np.array(["private", "public"], dtype=object)
    moves = (mv.groupby(["src", "dst"]).size().rename("n").reset_index()
             if len(mv) else pd.DataFrame(columns=["src", "dst", "n"]))
    moves["src_side"] = np.where(moves["src"].isin(pub), "public", "private")
    moves["dst_side"] = np.where(moves["dst"].isin(pub), "public", "private")
    moves = moves.sort_values(["n", "src", "dst"], ascending=[False, True, True]).reset_index(drop=True)
    sides = (pd.DataFrame({"src_side": side[src_pub.astype(int)], "dst_side": side[dst_pub.astype(int)]})
             .groupby(["src_side", "dst_side"]).size().rename("n").reset_index())

    offline_threads = np.unique(mv["thread"].to_numpy()[src_pub & ~dst_pub])
    public_moves = mv[~src_pub & dst_pub]
    public_threads = np.unique(public_moves["thread"].to_numpy())
    resolved = base.threads["resolved"].to_numpy()
    kinds = (public_moves.drop_duplicates("thread")["dst_kind"].replace("", "unknown").value_counts()
             .rename_axis("kind").rename("n").reset_index())

    flags = np.zeros(len(base.threads), dtype=int)
    flags[offline_threads] |= 1
    flags[public_threads] |= 2
    crossing = np.array(["stayed on one side", "taken private", "went public", "taken private and went public"],
                        dtype=object)
    if n_threads:
        pf = pd.DataFrame({"path": th["path"].to_numpy(), "resolved": th["resolved"].to_numpy(),
                           "flag": flags[mask]})
        paths = pf.groupby("path").agg(n=("resolved", "size"), resolved_share=("resolved", "mean"),
                                       flag=("flag", "max")).reset_index()
        paths = paths.sort_values(["n", "path"], ascending=[False, True]).reset_index(drop=True)
        paths["share"] = paths["n"] / n_threads
        paths["crossing"] = crossing[paths["flag"].to_numpy()]
        # Labels for every distinct path (not every thread); the page shows the commonest.
        paths["label"] = [path_label(p, labels) for p in paths["path"]]
        paths = paths[["path", "label", "n", "share", "resolved_share", "crossing"]]
    else:
        paths = pd.DataFrame(columns=["path", "label", "n", "share", "resolved_share", "crossing"])
    return Journeys(
        threads=n_threads, resolved=int(th["resolved"].sum()), moves=moves, sides=sides, paths=paths,
        taken_offline=len(offline_threads), taken_offline_resolved=int(resolved[offline_threads].sum()),
        went_public=len(public_threads), went_public_resolved=int(resolved[public_threads].sum()),
        went_public_kinds=kinds)


def journeys_view(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (),
                  path: str | None = None) -> Journeys:
    base = service_base(db)
    return journeys(base, thread_mask(base, f, focus, path), vocabulary(db))


def path_options(db: sqlite_utils.Database, f: Filters, limit: int = 40) -> list[str]:
    """The commonest paths under the filters (the choices of the focus-path box), commonest first."""
    base = service_base(db)
    paths = base.threads.loc[thread_mask(base, f), "path"]
    counts = paths.value_counts().rename_axis("path").rename("n").reset_index()
    return counts.sort_values(["n", "path"], ascending=[False, True])["path"].head(limit).tolist()


def conversation_monthly(db: sqlite_utils.Database, f: Filters, focus: tuple[str, ...] = (),
                         path: str | None = None) -> pd.DataFrame:
    """Touches of the conversations in view per month, channel and direction (for talk/listen)."""
    base = service_base(db)
    mask = thread_mask(base, f, focus, path)
    return conversation_counts(base, mask, vocabulary(db))


def conversation_counts(base: ServiceBase, mask: np.ndarray, vocab: pd.DataFrame) -> pd.DataFrame:
    tc = base.touches
    sel = mask[tc["thread"].to_numpy()] if len(tc) else np.zeros(0, dtype=bool)
    t = tc[sel]
    if t.empty:
        return pd.DataFrame(columns=["month", "channel", "direction", "n", "label", "publicness", "side"])
    month = pd.to_datetime(t["t"].to_numpy(), unit="s").strftime("%Y-%m")
    counts = (pd.DataFrame({"month": month, "channel": t["channel"].astype(str).to_numpy(),
                            "direction": np.where(t["inbound"].to_numpy(), "inbound", "outbound")})
              .groupby(["month", "channel", "direction"]).size().rename("n").reset_index())
    v = complete_vocab(vocab, counts["channel"].unique())
    return monthly_mix(counts, v)
