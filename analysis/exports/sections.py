"""The sections a report or a deck is made of (heading, text, metrics, figures, tables, notes): checked,
with values and notes in words."""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Mapping

import numpy as np


def format_value(value) -> str:
    """A metric value in words: thousands separators, two decimals (three significant below 1)."""
    if value is None:
        return "–"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        v = float(value)
        if v != v:
            return "–"
        if v.is_integer() and abs(v) < 1e15:
            return f"{int(v):,}"
        return f"{v:.3g}" if abs(v) < 1 else f"{v:,.2f}"
    return str(value)


def notes_list(notes) -> list[str]:
    if notes is None:
        return []
    if isinstance(notes, str):
        return [notes] if notes.strip() else []
    return [str(n) for n in notes if n is not None and str(n).strip()]


SECTION_KEYS = {"heading", "text", "caption", "notes", "metrics", "figures", "tables"}


def check_sections(sections) -> list[Mapping]:
    out = []
    for i, sec in enumerate(sections or []):
        if not isinstance(sec, Mapping):
            raise TypeError(f"section {i + 1} must be a dict, got {type(sec).__name__}")
        unknown = set(sec) - SECTION_KEYS
        if unknown:
            raise ValueError(f"section {i + 1} has unknown keys {sorted(unknown)}; "
                             f"allowed: {sorted(SECTION_KEYS)}")
        out.append(sec)
    return out


def timestamp(generated_at: dt.datetime | None) -> dt.datetime:
    when = generated_at or dt.datetime.now().astimezone()
    return when if when.tzinfo else when.astimezone()
