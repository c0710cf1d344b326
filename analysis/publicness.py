"""The public↔private vocabulary as the pages use it: where a channel counts as public, and placing
channels (an edit on Continuum, a placement on the Data page). The queries are in ``analysis.store``."""

from __future__ import annotations

from collections.abc import Mapping

import sqlite_utils

from analysis import store

PUBLIC_THRESHOLD = store.PUBLIC_THRESHOLD  # a channel with publicness at or above it is public


def save(db: sqlite_utils.Database, changes: Mapping[str, float]) -> int:
    """Give each channel its new publicness in [0, 1] (a channel an import brought is then placed);
    returns how many were set. A value out of range is refused before anything is written."""
    for channel, value in changes.items():
        if not 0.0 <= float(value) <= 1.0:
            raise ValueError(f"publicness of {channel!r} must be between 0 and 1, got {value}")
    for channel, value in changes.items():
        store.set_publicness(db, channel, float(value))
    return len(changes)
