"""The headless report: every page's headline figures under the global filters as one flat JSON object.

Keys are dotted names (``service.first_response_minutes.median``), documented in the README; a figure
the data cannot give (no resolution kind, no brand post, no cascade) is ``None`` (JSON null), never NaN.
Every figure comes from the function the pages use, so the report and the app agree.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sqlite_utils

from analysis import cascades, continuum, overview, perception, service
from analysis.filters import Filters
from analysis.store import report as q
from analysis.store.roles import ROLES

# The sections, in the order they are computed (the progress bar's steps).
SECTIONS = ("overview", "service", "sentiment", "continuum", "perception", "cascades")
ROLE_KEYS = {"customer": "customers", "public": "public", "brand": "brand"}


def clean(value):
    """A JSON-safe value: NaN and infinities become None, numpy scalars Python ones."""
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(float(value)) else None
    return value


def _share(part, whole):
    return part / whole if whole else None


def overview_figures(db: sqlite_utils.Database, f: Filters) -> dict:
    k = overview.kpis(db, f)
    return {
        "interactions": k.interactions, "active_customers": k.active_customers, "overview.threads": k.threads,
        "overview.inbound": k.inbound, "overview.outbound": k.outbound, "overview.revenue": k.revenue,
        "posts": k.posts, "overview.reshares": k.reshares,
        "talk_share": _share(k.outbound, k.inbound + k.outbound),
    }


def service_figures(db: sqlite_utils.Database, f: Filters) -> dict:
    v = service.service_view(db, f)
    out = {
        "conversations": v.conversations, "unanswered_conversations": v.unanswered,
        "unanswered_share": _share(v.unanswered, v.conversations),
        "service.answered": v.answered,
        "service.resolution_known": v.resolution_known,
        "service.resolved": v.resolved if v.resolution_known else None,
        "service.brand_messages": v.brand_messages,
        "service.handoffs_to_private": v.handoffs if v.handoff_known else None,
        "service.handoff_to_private_share": _share(v.handoffs, v.brand_messages) if v.handoff_known else None,
    }
    for name, t in (("first_response_minutes", v.first_response), ("resolution_minutes", v.resolution)):
        known = name == "first_response_minutes" or v.resolution_known
        for stat, value in t.as_dict().items():
            out[f"service.{name}.{stat}"] = value if known else None
    out["service.public_vs_private_first_response_p"] = service.queue_test(v.frame)
    sides = service.breakdown(v.frame, "start_side").set_index("group") if v.conversations else None
    for side, label in service.SIDES.items():
        row = sides.loc[label] if sides is not None and label in sides.index else None
        out[f"service.started_{side}.conversations"] = int(row["conversations"]) if row is not None else 0
        for stat in ("median", "p90"):
            out[f"service.started_{side}.first_response_minutes.{stat}"] = (
                row[f"first_response_{stat}"] if row is not None else None)
    return out


def sentiment_figures(db: sqlite_utils.Database, f: Filters) -> dict:
    rows = q.sentiment_by_role(db, f).set_index("role")
    out = {}
    for role in ROLES:
        key = ROLE_KEYS[role]
        r = rows.loc[role] if role in rows.index else None
        n = int(r["n_scored"]) if r is not None else 0
        out[f"sentiment.{key}.posts"] = int(r["posts"]) if r is not None else 0
        out[f"sentiment.{key}.mean"] = float(r["mean"]) if n else None
        out[f"sentiment.{key}.negative_share"] = int(r["negative"]) / n if n else None
        out[f"sentiment.{key}.positive_share"] = int(r["positive"]) / n if n else None
    return out


def continuum_figures(db: sqlite_utils.Database, f: Filters) -> dict:
    n, public = q.public_touch_share(db, f)
    j = continuum.journeys_view(db, f)
    return {
        "continuum.public_touch_share": _share(public, n),
        "continuum.threads": j.threads,
        "continuum.taken_private": j.taken_offline,
        "continuum.went_public": j.went_public,
    }


def perception_figures(db: sqlite_utils.Database, f: Filters) -> dict:
    """The brand's public voice (Perception page): its public messages and the share that broadcast rather
    than answer someone, with the 95% Wilson interval."""
    b = perception.broadcast_vs_listen(db, f)
    return {"perception.brand_public_messages": b["total"],
            "perception.broadcast_share": b["broadcast_share"],
            "perception.broadcast_share_ci95": [b["broadcast_lo"], b["broadcast_hi"]] if b["total"] else None}


def cascade_figures(db: sqlite_utils.Database, f: Filters) -> dict:
    """Reshare cascades, or reply trees when the data has no reshares (``cascades.kind`` says which)."""
    kind = "reshare" if q.has_reshares(db) else "reply"
    obs = cascades.observed_cascades(db, kind)
    table = cascades.filter_cascades(obs.table, f)
    s = cascades.summary(table, cascades.root_count(db, f, kind))
    return {
        "cascades.kind": kind, "cascades.originals": s["originals"], "cascades.count": s["cascades"],
        "cascades.reshared_share": s["reshared_share"], "cascades.max_size": s["largest"] if s["cascades"] else None,
        "cascades.max_depth": s["deepest"] if s["cascades"] else None,
        "cascades.median_structural_virality": s["median_virality"],
    }


SECTION_FUNCTIONS: dict[str, Callable[[sqlite_utils.Database, Filters], dict]] = {
    "overview": overview_figures, "service": service_figures, "sentiment": sentiment_figures,
    "continuum": continuum_figures, "perception": perception_figures, "cascades": cascade_figures,
}


def report(db: sqlite_utils.Database, f: Filters, progress: Callable[[str, int, int], None] | None = None) -> dict:
    """Every section's figures under ``f`` as one flat dict with sorted keys, JSON-safe."""
    out: dict = {
        "filters.caption": f.caption(),
        "filters.from": f.date_from.isoformat() if f.date_from else None,
        "filters.to": f.date_to.isoformat() if f.date_to else None,
        "filters.segments": list(f.segments), "filters.regions": list(f.regions),
        "filters.platforms": list(f.platforms),
    }
    for i, name in enumerate(SECTIONS):
        if progress:
            progress("report", i, len(SECTIONS))
        out.update(SECTION_FUNCTIONS[name](db, f))
    if progress:
        progress("report", len(SECTIONS), len(SECTIONS))
    return {k: [clean(x) for x in out[k]] if isinstance(out[k], list) else clean(out[k]) for k in sorted(out)}


def write_json(figures: dict, path: str | Path) -> None:
    """Write the report; ``allow_nan=False`` makes a NaN that slipped through an error, not invalid JSON."""
    text = json.dumps(figures, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    if str(path) == "-":
        print(text, end="")
    else:
        Path(path).write_text(text, encoding="utf-8")


def parse_day(text: str) -> dt.date:
    """A --from/--to day (YYYY-MM-DD)."""
    return dt.date.fromisoformat(text)
