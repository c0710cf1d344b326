"""The channel vocabulary: channels with label, publicness and side (public or private half)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import store


def vocabulary(db: sqlite_utils.Database) -> pd.DataFrame:
    """Channels with label, publicness and side, most public first."""
    return with_sides(store.channels(db))


def with_sides(vocab: pd.DataFrame) -> pd.DataFrame:
    v = vocab.copy()
    v["publicness"] = v["publicness"].astype(float)
    v["side"] = np.where(v["publicness"] >= store.PUBLIC_THRESHOLD, "public", "private")
    return v.sort_values(["publicness", "channel"], ascending=[False, True]).reset_index(drop=True)


def complete_vocab(vocab: pd.DataFrame, seen: Iterable[str]) -> pd.DataFrame:
    """Add channels seen in the data but missing from the vocabulary (placed at the threshold, flagged)."""
    known = set(vocab["channel"])
    extra = sorted({c for c in seen if c is not None and c not in known})
    v = vocab.assign(placed=True)
    if extra:
        v = pd.concat([v, pd.DataFrame({"channel": extra, "label": extra, "publicness": store.PUBLIC_THRESHOLD,
                                        "description": "Not in the channel list", "placed": False})],
                      ignore_index=True)
    return with_sides(v)


def labels_of(vocab: pd.DataFrame) -> dict[str, str]:
    return dict(zip(vocab["channel"], vocab["label"].fillna(vocab["channel"])))


def public_set(vocab: pd.DataFrame) -> set[str]:
    return set(vocab.loc[vocab["publicness"] >= store.PUBLIC_THRESHOLD, "channel"])
