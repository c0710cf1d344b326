"""Chart clicks and paths: the values a Plotly selection points at, and paths written as keys or labels."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

PATH_SEP = ">"
TRUNCATED = "…"


def selected_values(selection, known: Iterable[str] | None = None) -> list[str]:
    """The values a Plotly selection points at, from each point's first ``customdata`` item.

    ``selection`` is what ``st.plotly_chart(on_select=...)`` returns (or its ``selection`` part).
    Values not in ``known`` (when given) are dropped; order is kept, duplicates removed.
    """
    if not selection:
        return []
    sel = selection.get("selection", selection) if hasattr(selection, "get") else selection
    points = sel.get("points", []) if hasattr(sel, "get") else []
    allowed = set(known) if known is not None else None
    out: list[str] = []
    for p in points or []:
        cd = p.get("customdata") if hasattr(p, "get") else None
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if cd is None or (isinstance(cd, float) and np.isnan(cd)):
            continue
        v = str(cd)
        if (allowed is None or v in allowed) and v not in out:
            out.append(v)
    return out


def focus_from_selection(selection, channels: Iterable[str]) -> list[str]:
    """Focus channels from a click on the continuum chart (empty when nothing valid was clicked)."""
    return selected_values(selection, channels)


def path_from_selection(selection) -> str | None:
    """The path (``a>b>c``) from a click on the path chart, or None."""
    vals = selected_values(selection)
    return vals[0] if vals else None


def path_channels(path: str) -> list[str]:
    return [p for p in path.split(PATH_SEP) if p and p != TRUNCATED]


def path_label(path: str, labels: dict[str, str]) -> str:
    parts = [labels.get(p, p) if p != TRUNCATED else TRUNCATED for p in path.split(PATH_SEP) if p]
    return " → ".join(parts)


def path_from_label(label: str, labels: dict[str, str]) -> str:
    """The path key of a path written in labels (``Phone → Email``), as a shared link carries it."""
    inverse = {v: k for k, v in labels.items()}
    parts = [p.strip() for p in str(label).split("→") if p.strip()]
    return PATH_SEP.join(TRUNCATED if p == TRUNCATED else inverse.get(p, p) for p in parts)
