"""Key numbers and charts of a view, computed from its filters and settings alone.

Used to compare two saved scenarios side by side and to build reports of decks:
everything here comes from a scenario's stored state, not from widgets. A page can
register a richer summary with ``register(page, fn)``; every page gets the
headline figures under the scenario's filters.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
import sqlite_utils

from analysis import charts, overview
from analysis.filters import Filters


@dataclass
class Summary:
    metrics: dict[str, float] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    figures: list = field(default_factory=list)

    def formatted(self) -> dict[str, str]:
        return {k: format_value(v, self.formats.get(k, ",.0f")) for k, v in self.metrics.items()}


def format_value(value: float, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, fmt)


SummaryFn = Callable[[sqlite_utils.Database, Filters, dict], Summary]
_REGISTRY: dict[str, SummaryFn] = {}


# Pages whose summary lives in a module that may not be imported yet (a deck report built elsewhere).
_PAGE_SUMMARIES: dict[str, str] = {"service": "analysis.service.summary"}


def register(page: str, fn: SummaryFn) -> None:
    """Let a page add its own key numbers and charts to scenario comparisons."""
    _REGISTRY[page] = fn


def headline(db: sqlite_utils.Database, f: Filters, params: dict | None = None) -> Summary:
    k = overview.kpis(db, f)
    s = Summary(
        metrics={"Interactions": k.interactions, "Active customers": k.active_customers,
                 "Conversations": k.threads, "Company talk share": k.outbound_share,
                 "Public posts": k.posts, "Mean sentiment": k.mean_sentiment,
                 "Negative posts": k.negative_share, "Reshares": k.reshares},
        formats={"Company talk share": ".0%", "Mean sentiment": "+.2f", "Negative posts": ".0%"},
    )
    s.figures.append(charts.monthly_activity(overview.monthly_activity(db, f), f.caption()))
    return s


def summarise(db: sqlite_utils.Database, page: str, params: dict) -> Summary:
    """The headline figures under the scenario's filters, plus the page's own summary if it has one."""
    f = Filters.from_params(params)
    s = headline(db, f, params)
    extra = _REGISTRY.get(page) or _PAGE_SUMMARIES.get(page)
    if isinstance(extra, str):
        module, name = extra.rsplit(".", 1)
        extra = getattr(__import__(module, fromlist=[name]), name)
    if extra is not None:
        more = extra(db, f, params)
        s.metrics.update(more.metrics)
        s.formats.update(more.formats)
        s.figures.extend(more.figures)
    return s


def difference(a: Summary, b: Summary) -> pd.DataFrame:
    """Key numbers of two summaries side by side with B − A."""
    rows = []
    for label in dict.fromkeys([*a.metrics, *b.metrics]):
        va, vb = a.metrics.get(label), b.metrics.get(label)
        fmt = a.formats.get(label) or b.formats.get(label) or ",.0f"
        diff = (vb - va) if isinstance(va, (int, float)) and isinstance(vb, (int, float)) else float("nan")
        dfmt = "+" + fmt.lstrip("+")
        rows.append({"figure": label, "A": format_value(va, fmt), "B": format_value(vb, fmt),
                     "B − A": format_value(diff, dfmt)})
    return pd.DataFrame(rows)
