"""Key numbers and charts of a saved view, computed from its filters and settings alone.

Compare, the deck report (HTML) and the slides (PPTX) show a scenario through ``summarise``:
everything comes from the scenario's stored state (its filters read by ``Filters.from_params``,
its page's settings), never from widgets. Each page registers its own summary below, what-if
results included; a page without one shows the headline figures under the scenario's filters.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
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
    notes: list[str] = field(default_factory=list)   # what a reader must know (a what-if that extrapolates)

    def formatted(self) -> dict[str, str]:
        return {k: format_value(v, self.formats.get(k, ",.0f")) for k, v in self.metrics.items()}


def format_value(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return format(value, fmt)


SummaryFn = Callable[[sqlite_utils.Database, Filters, dict], Summary]
_REGISTRY: dict[str, SummaryFn] = {}


def register(page: str, fn: SummaryFn | None = None):
    """Register ``fn(db, filters, params) -> Summary`` as ``page``'s own summary (usable as a decorator)."""
    if fn is None:
        return lambda f: register(page, f)
    _REGISTRY[page] = fn
    return fn


def registered() -> dict[str, SummaryFn]:
    return dict(_REGISTRY)


def headline(db: sqlite_utils.Database, f: Filters, params: dict | None = None) -> Summary:
    """The Overview's headline figures under the filters, and activity per month."""
    k = overview.kpis(db, f)
    s = Summary(
        metrics={"Interactions": k.interactions, "Active customers": k.active_customers,
                 "Conversations": k.threads, "Company talk share": k.outbound_share if k.interactions else None,
                 "Public posts": k.posts, "Mean sentiment": k.mean_sentiment if k.posts else None,
                 "Negative posts": k.negative_share if k.posts else None, "Reshares": k.reshares},
        formats={"Company talk share": ".0%", "Mean sentiment": "+.2f", "Negative posts": ".0%"},
    )
    s.figures.append(charts.monthly_activity(overview.monthly_activity(db, f), f.caption()))
    return s


register("overview", headline)


# -- what each page's own view reads from its settings --------------------------------------------
def _get(params: Mapping, key: str, default=None):
    v = params.get(key, default)
    if isinstance(v, list):
        v = v[0] if v else default
    return default if v is None or v == "" else v


def _flag(params: Mapping, key: str, default: bool) -> bool:
    v = _get(params, key, None)
    return default if v is None else str(v).lower() in ("true", "1", "on")


def _values(params: Mapping, key: str) -> list[str]:
    v = params.get(key)
    if v is None or v == "":
        return []
    return [str(x) for x in (v if isinstance(v, list) else [v]) if x not in (None, "")]


def whatif_settings(params: Mapping) -> tuple[float, float | None]:
    """(resolution cut as a share, first-response cap in hours or None) as Continuum's sliders read them."""
    cut = float(_get(params, "wi_cut", 30))
    cap = _get(params, "wi_frt", 24)
    return cut / 100.0, (None if str(cap) == "no change" else float(cap))


@register("continuum")
def continuum_summary(db: sqlite_utils.Database, f: Filters, params: dict) -> Summary:
    """Continuum: conversations in view and the what-if's expected vents and kudos, now and under
    the scenario's faster resolution / first response, with the what-if chart."""
    from analysis import continuum
    from analysis.charts import continuum as cc

    k = overview.kpis(db, f)
    s = Summary(metrics={"Interactions": k.interactions, "Conversations": k.threads,
                         "Company talk share": k.outbound_share if k.interactions else None},
                formats={"Company talk share": ".0%"})
    labels = continuum.labels_of(continuum.vocabulary(db))
    by_label = {v: c for c, v in labels.items()}
    focus = tuple(by_label.get(v, v) for v in _values(params, "focus"))
    raw_path = _get(params, "focus_path")
    path = continuum.path_from_label(str(raw_path), labels) if raw_path else None
    window = int(float(_get(params, "gp_window", 7)))
    brand_only = _flag(params, "gp_brand", True) and continuum.brand_accounts_known(db)
    cut, cap = whatif_settings(params)
    wi = continuum.whatif_view(db, f, focus, path or None, window, brand_only, cut, cap)
    s.metrics["Conversations in the what-if"] = wi.population
    for outcome, e in wi.effects.items():
        name = "Vents" if outcome == "vent" else "Kudos"
        s.metrics[f"{name} expected now"] = e["baseline"]
        s.metrics[f"{name} expected under the what-if"] = e["whatif"]
        s.metrics[f"{name}: change"] = e["relative"]
        s.formats[f"{name}: change"] = "+.0%"
    s.notes += list(getattr(wi, "warnings", []) or [])
    words = continuum.whatif_words(cut, cap) if hasattr(continuum, "whatif_words") else ""
    s.figures.append(cc.whatif_effect(wi.effects, f.caption(), whatif=f"What if: {words}" if words else ""))
    return s


@register("listening")
def listening_summary(db: sqlite_utils.Database, f: Filters, params: dict) -> Summary:
    """Listening: posts, mean sentiment and label shares under the filters, volume over time."""
    from analysis import listening
    from analysis.charts import listening as lcharts

    grain = str(_get(params, "ls_grain", "week"))
    if grain not in listening.GRAINS:
        grain = "week"
    rows = listening.daily(db, listening.sql_filters(f))
    view = listening.narrow(rows, f, _flag(params, "ls_reshares", True))
    sm = listening.summary(view)
    s = Summary(metrics={"Posts": sm.posts, "Mean sentiment": sm.mean_sentiment, "Positive": sm.positive_share,
                         "Negative": sm.negative_share},
                formats={"Mean sentiment": "+.2f", "Positive": ".0%", "Negative": ".0%"})
    if sm.posts:
        s.figures.append(lcharts.volume_by_platform(listening.over_time(view, grain), grain, f.caption()))
    return s


@register("perception")
def perception_summary(db: sqlite_utils.Database, f: Filters, params: dict) -> Summary:
    """Perception gap: the brand's content alignment with consumer interest (the IBM reference), before
    and after the scenario's content shifts, with their 95% intervals, and the alignment chart."""
    from analysis import perception as P
    from analysis.charts import perception as pcharts

    shares = P.load_reference()
    mix, voice = P.brand_content(db, f)
    changes: dict[str, float] = {}
    for i in range(1, 4):
        motive, points = _get(params, f"pg_wi_m{i}"), _get(params, f"pg_wi_s{i}", 0)
        if motive and motive != "—" and float(points):
            changes[str(motive)] = changes.get(str(motive), 0.0) + float(points)
    s = Summary(metrics={"Brand messages": voice["total"]}, formats={})
    if not voice["total"]:
        return s
    interest = shares[["motive", "consumer_share"]]
    before = P.alignment_score(mix, interest)
    after = P.alignment_score(P.reallocate(mix, changes), interest) if changes else before
    unc = P.alignment_whatif(mix, shares, changes)
    s.metrics.update({"Alignment score": before.score, "Alignment after the what-if": after.score,
                      "Alignment change (95% low)": unc["change"][1], "Alignment change": after.score - before.score,
                      "Alignment change (95% high)": unc["change"][2]})
    s.formats.update({"Alignment score": ".0f", "Alignment after the what-if": ".0f",
                      "Alignment change": "+.1f", "Alignment change (95% low)": "+.1f",
                      "Alignment change (95% high)": "+.1f"})
    source = _get(params, "pg_source")
    if source and "IBM" not in str(source):
        s.notes.append(f"Alignment is measured against the IBM 2010 reference here; the view itself compares with "
                       f"the survey '{source}'.")
    caption = f"Brand accounts and public channels · {f.caption()} · consumer interest: IBM IBV 2010"
    s.figures.append(pcharts.content_alignment(before.table, caption, after=after.table if changes else None,
                                               interest_label="Consumers"))
    return s


@register("cascades")
def cascades_summary(db: sqlite_utils.Database, f: Filters, params: dict) -> Summary:
    """Cascades: the observed cascades under the filters (reshares or replies, as the view shows)."""
    from analysis import cascades
    from analysis.charts import cascades as cc

    kind = str(_get(params, "cascade_kind", "reshare"))
    kind = "reply" if kind.lower().startswith("repl") else "reshare"
    table = cascades.filter_cascades(cascades.observed_cascades(db, kind).table, f)
    n_roots = cascades.root_count(db, f, kind)
    sm = cascades.summary(table, n_roots)
    s = Summary(metrics={"Original posts": sm["originals"], "Cascades": sm["cascades"],
                         "Ever passed on": sm["reshared_share"] if sm["originals"] else None,
                         "Largest cascade (posts)": sm["largest"] if sm["cascades"] else None,
                         "Deepest chain (steps)": sm["deepest"] if sm["cascades"] else None,
                         "Median structural virality": sm["median_virality"] if sm["cascades"] else None},
                formats={"Ever passed on": ".1%", "Median structural virality": ".2f"})
    if _get(params, "lab_run"):
        s.notes.append("The simulation lab's results are not repeated here: open the view to rerun them "
                       "(same seed, same results).")
    s.figures.append(cc.cascade_ccdf(cascades.size_counts(table, n_roots), f.caption()))
    return s


@register("service")
def service_summary(db: sqlite_utils.Database, f: Filters, params: dict) -> Summary:
    """Service timing: conversations, unanswered share, first response and resolution, hand-offs."""
    from analysis import service

    return service.summary(db, f, params)


@register("customer_360")
def customer_summary(db: sqlite_utils.Database, f: Filters, params: dict) -> Summary:
    """Customer 360: the chosen customer's history in figures and the timeline (not narrowed by filters)."""
    from analysis import customer_360
    from analysis.charts import customer_360 as ccharts

    customer = _get(params, "customer")
    v = customer_360.view(db, str(customer)) if customer else None
    if v is None:
        s = headline(db, f, params)
        s.notes.append("No customer chosen in this view: the headline figures are shown instead.")
        return s
    items = v.items
    s = Summary(metrics={"Interactions": int((items["source"] == "interaction").sum()),
                         "Public posts": int((items["source"] == "post").sum()),
                         "Open threads": len(v.open_threads), "Went public": int(items["went_public"].sum())})
    s.figures.append(ccharts.timeline(items, f"{customer}: whole history"))
    return s


def summarise(db: sqlite_utils.Database, page: str, params: Mapping) -> Summary:
    """The page's own summary under the scenario's filters (the headline figures for a page without one).

    Raises ValueError (FilterError) when the stored filters cannot be read: the caller shows it as a
    note on that scenario.
    """
    f = Filters.from_params(params)
    fn = _REGISTRY.get(page, headline)
    return fn(db, f, dict(params))


def difference(a: Summary, b: Summary) -> pd.DataFrame:
    """Key numbers of two summaries side by side with B − A ("–" where either lacks the figure)."""
    rows = []
    for label in dict.fromkeys([*a.metrics, *b.metrics]):
        va, vb = a.metrics.get(label), b.metrics.get(label)
        fmt = a.formats.get(label) or b.formats.get(label) or ",.0f"
        numbers = all(isinstance(v, (int, float)) and not (isinstance(v, float) and math.isnan(v)) for v in (va, vb))
        diff = (vb - va) if numbers else None
        dfmt = "+" + fmt.lstrip("+")
        rows.append({"figure": label, "A": format_value(va, fmt), "B": format_value(vb, fmt),
                     "B − A": format_value(diff, dfmt), "difference": diff})
    return pd.DataFrame(rows, columns=["figure", "A", "B", "B − A", "difference"])
