"""Every figure the app draws, over one shared core: theme, colour-blind-safe palette,
font sizes that read when projected, titles that say what and under which filters.

Concern-specific charts live in sibling modules (``analysis.charts.<concern>``),
each a few lines over ``finish``.
"""

from __future__ import annotations

import copy
import datetime as dt
import html
import math
import re
import threading

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

# Okabe & Ito's palette: distinguishable with the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, BLACK = PALETTE
GREY = "#8C8C8C"
POSITIVE, NEUTRAL, NEGATIVE = GREEN, GREY, VERMILION
PUBLIC, PRIVATE = ORANGE, BLUE
FONT = "Inter, Segoe UI, Helvetica, Arial, sans-serif"

# A sequential scale that stays readable in greyscale and for colour-blind readers.
SEQUENTIAL = "Cividis"
DIVERGING = [[0.0, VERMILION], [0.5, "#F2F2F2"], [1.0, BLUE]]

# Per thread: Streamlit runs each browser session's script in its own thread, and one
# session's presentation mode must not enlarge another's charts.
_state = threading.local()

pio.templates["continuum"] = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT, size=15, color="#222"),
        title=dict(font=dict(size=20), x=0.0, xanchor="left"),
        colorway=PALETTE,
        paper_bgcolor="white",
        plot_bgcolor="white",
        xaxis=dict(gridcolor="#E5E5E5", zerolinecolor="#BBBBBB", title=dict(font=dict(size=15)),
                   tickfont=dict(size=13), automargin=True),
        yaxis=dict(gridcolor="#E5E5E5", zerolinecolor="#BBBBBB", title=dict(font=dict(size=15)),
                   tickfont=dict(size=13), automargin=True),
        legend=dict(font=dict(size=13), title=dict(font=dict(size=13))),
        hoverlabel=dict(font=dict(size=14, family=FONT)),
        margin=dict(l=10, r=10, t=70, b=60),
    )
)
# Every figure starts with the theme: applying it in ``finish`` instead would validate the whole
# template a second time on every chart (plotly's updates are the bulk of a page's rerun).
pio.templates.default = "continuum"


def escape(text) -> str:
    """User text (handles, terms, channel names) for Plotly labels and hovers, which read a little HTML."""
    if text is None or (isinstance(text, float) and text != text):
        return ""
    return html.escape(str(text), quote=False)


def set_presentation(enabled: bool) -> None:
    """Larger fonts for a projector (workshop presentation mode)."""
    _state.scale = 1.35 if enabled else 1.0


def font_scale() -> float:
    return getattr(_state, "scale", 1.0)


def finish(fig: go.Figure, title: str, caption: str | None = None, *, height: int = 440,
           x_title: str | None = None, y_title: str | None = None, legend: bool = True) -> go.Figure:
    """Apply the theme, a title that says what the chart shows, and the filter caption.

    The layout is finished as a plain dict and assigned once (``_as_dicts``): plotly's property objects
    cost tens of milliseconds per update and a millisecond per read, and a chart needed a dozen updates
    and hundreds of reads (0.50 s of CPU for the Listening page's seven charts, about 0.25 s so).
    """
    s = font_scale()
    # The caption carries filter values (segment, region and platform names: user data);
    # Plotly reads a little HTML in titles, so it is escaped here, once, for every chart.
    full_title = title if not caption else f"{title}<br><sup>{html.escape(caption)}</sup>"
    # Room above the plot for every line of title and caption.
    lines = full_title.count("<br>") + 1
    d = _as_dicts(fig)
    layout = d["layout"]
    top = max(round((30 + 26 * lines) * s), _get(layout, "margin", "t") or 0)
    changes: dict = dict(
        title=dict(text=full_title, font=dict(size=round(20 * s))),
        margin=dict(t=top),
        font=dict(size=round(15 * s)), height=round(height * (1.15 if s > 1 else 1)),
        showlegend=legend, legend=dict(font=dict(size=round(13 * s))),
        hoverlabel=dict(font=dict(size=round(14 * s))),
    )
    if _get(layout, "template", "layout", "font", "family") != FONT:  # a figure made with another template
        changes["template"] = "continuum"
    axes = _axes(layout)
    for name in axes:
        # A chart that chose its own tick size keeps it.
        axis = {}
        if _get(layout, name, "tickfont", "size") is None:
            axis["tickfont"] = dict(size=round(13 * s))
        if _get(layout, name, "title", "font", "size") is None:
            axis["title"] = dict(font=dict(size=round(15 * s)))
        if axis:
            changes[name] = axis
    _merge(layout, changes)
    _readable_ticks(d)
    if legend:
        _legend_below(d, s)
    for prefix, text in (("x", x_title), ("y", y_title)):
        if text is not None:
            _merge(layout, {name: {"title": {"text": text}} for name in axes if name.startswith(prefix)})
    fig.layout = layout  # one assignment: validated once, the traces untouched
    return fig


def _as_dicts(fig: go.Figure) -> dict:
    """The figure as {"data": [...], "layout": {...}} of plain values (arrays stay arrays; the data only
    to read), with a copy of the layout to change. From plotly's own dicts (``to_dict`` would turn arrays
    into base64 text, which hides the values from ``_readable_ticks``: its fallback)."""
    data, layout = getattr(fig, "_data", None), getattr(fig, "_layout", None)
    if isinstance(data, list) and isinstance(layout, dict) and not fig.frames:
        return {"data": data, "layout": copy.deepcopy(layout)}
    return fig.to_dict()


_AXIS_NAME = re.compile(r"^[xy]axis\d*$")


def _axes(layout: dict) -> list[str]:
    """The figure's cartesian axes: the first x and y axes always (as plotly's ``for_each_xaxis``), and
    every further one the layout has."""
    return sorted({"xaxis", "yaxis", *(k for k in layout if _AXIS_NAME.match(k))})


def _get(d, *path):
    for key in path:
        if not isinstance(d, dict):
            return None
        d = d.get(key)
    return d


def _merge(dst: dict, src: dict) -> None:
    """``src`` into ``dst``, nested dicts merged key by key (what a layout update does)."""
    for key, value in src.items():
        if isinstance(value, dict):
            if not isinstance(dst.get(key), dict):
                dst[key] = {}
            _merge(dst[key], value)
        else:
            dst[key] = value


_DAY_MS = 86_400_000
_DATE_TEXT = re.compile(r"^\d{4}-\d{2}(-\d{2})?([ T]|$)")


def _as_days(values) -> pd.DatetimeIndex | None:
    """Trace x values as dates, or None when they are not dates (categories, numbers)."""
    if values is None or len(values) == 0:
        return None
    arr = np.asarray(values)
    if np.issubdtype(arr.dtype, np.number) or arr.dtype == bool:
        return None
    if not np.issubdtype(arr.dtype, np.datetime64) and not _DATE_TEXT.match(str(arr.flat[0])):
        return None
    parsed = pd.to_datetime(pd.Series(arr, dtype=object).astype(str), errors="coerce", format="mixed")
    return None if parsed.isna().any() else pd.DatetimeIndex(parsed)


def _whole_numbers(values) -> float | None:
    """The largest value when every value is a whole number (a count), else None."""
    if values is None or len(values) == 0:
        return None
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return None
    arr = arr[np.isfinite(arr)]
    if len(arr) == 0 or not np.all(arr == np.round(arr)):
        return None
    return float(np.max(np.abs(arr)))


def _readable_ticks(d: dict) -> None:
    """Ticks that read on small data: a date axis over a few days or one month shows whole days
    (never hours or milliseconds), and an axis of small counts steps by whole numbers (no 0.5); axes
    whose ticks the chart chose are left alone. ``d``: a figure as dicts, its layout changed in place."""
    layout = d["layout"]
    days: dict[str, list] = {}
    counts: dict[str, list] = {}
    for trace in d.get("data", ()):
        if trace.get("type", "scatter") not in ("scatter", "bar", "scattergl"):
            continue
        horizontal = trace.get("orientation") == "h"
        xa = "xaxis" + (trace.get("xaxis") or "x")[1:]
        ya = "yaxis" + (trace.get("yaxis") or "y")[1:]
        along, across = (ya, xa) if horizontal else (xa, ya)
        found = _as_days(trace.get("y") if horizontal else trace.get("x"))
        if found is not None:
            days.setdefault(along, []).append(found)
        counts.setdefault(across, []).append(_whole_numbers(trace.get("x") if horizontal else trace.get("y")))

    def chosen(name):
        return _get(layout, name, "dtick") is not None or bool(_get(layout, name, "tickformat"))

    for name, parts in days.items():
        if chosen(name):
            continue
        allday = parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]
        lo, hi = allday.min(), allday.max()
        span = (hi - lo).days
        monthly = all(p.day.max() == 1 for p in parts)  # one point per month
        if monthly and span <= 92:
            update = dict(dtick="M1", tickformat="%b %Y")
            if span < 27:
                update["range"] = [lo - pd.Timedelta(days=20), hi + pd.Timedelta(days=20)]
            _merge(layout, {name: update})
        elif span <= 14:
            update = dict(dtick=_DAY_MS, tickformat="%d %b %Y")
            if span < 2:
                update["range"] = [lo - pd.Timedelta(days=3), hi + pd.Timedelta(days=3)]
            _merge(layout, {name: update})
    for name, maxima in counts.items():
        if chosen(name) or any(m is None for m in maxima):
            continue
        top = max(maxima)
        if top <= 10:
            _merge(layout, {name: dict(dtick=1 if top <= 6 else 2, tick0=0, tickformat=",d")})


def _legend_below(d: dict, scale: float = 1.0) -> None:
    """A horizontal legend under the plot gets a band of its own at the bottom of the figure, below the
    x-axis title, with room for as many rows as its entries need on a narrow (half-width) chart; placed at
    a fixed fraction of the plot height instead, it lands on the axis title whenever the chart is short.
    ``d``: a figure as dicts, its layout changed in place."""
    layout = d["layout"]
    y = _get(layout, "legend", "y")
    if _get(layout, "legend", "orientation") != "h" or y is None or y >= 0:
        return
    names = [str(t["name"]) for t in d.get("data", ()) if t.get("showlegend") is not False and t.get("name")]
    if _get(layout, "legend", "title", "text"):
        names.append(str(_get(layout, "legend", "title", "text")))
    chars = sum(len(n) + 5 for n in names)
    rows = max(1, math.ceil(chars * 7.5 * scale / 520))
    band = round((24 * rows + 10) * scale)
    _merge(layout, dict(legend=dict(yref="container", y=0, yanchor="bottom", x=0, xanchor="left"),
                        margin=dict(b=round(78 * scale) + band)))


def empty(title: str, message: str = "No data under these filters") -> go.Figure:
    """A figure that says plainly that there is nothing to show."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=18, color=GREY), x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish(fig, title, height=260, legend=False)


def _every_period(df: pd.DataFrame, most: int = 5000) -> pd.DataFrame:
    """Every month ('YYYY-MM') or day from the first to the last, for each source, a period without rows
    counted 0: otherwise a gap in the data (tweets of 2017 imported beside 2025's data) is drawn as a
    straight line across it, showing counts that are not there."""
    freq = "M" if df["month"].astype(str).str.len().max() == 7 else "D"
    periods = pd.period_range(df["month"].min(), df["month"].max(), freq=freq)
    if len(periods) > most:
        return df
    labels = periods.strftime("%Y-%m" if freq == "M" else "%Y-%m-%d")
    full = pd.MultiIndex.from_product([sorted(df["source"].unique()), labels], names=["source", "month"])
    return (df.groupby(["source", "month"])["n"].sum().reindex(full, fill_value=0).reset_index()
            [["month", "source", "n"]])


def monthly_activity(df, caption: str | None = None, partial=()) -> go.Figure:
    """Interactions and public posts per month (columns month, source, n); months in ``partial``
    ('YYYY-MM', covered only in part by the view) get hollow markers and a note."""
    title = "Interactions and public posts per month"
    if df is None or df.empty:
        return empty(title)
    cut = set(partial)
    df = _every_period(df)
    fig = go.Figure()
    for i, (source, part) in enumerate(df.groupby("source", sort=True)):
        is_partial = part["month"].isin(cut).to_numpy()
        color = PALETTE[i % len(PALETTE)]
        fig.add_trace(go.Scatter(
            x=part["month"], y=part["n"], name=source, mode="lines+markers",
            line=dict(width=3, color=color),
            marker=dict(size=9, color=color, symbol=["circle-open" if p else "circle" for p in is_partial],
                        line=dict(width=2, color=color)),
            customdata=[" (partial month)" if p else "" for p in is_partial],
            hovertemplate="%{x}: %{y:,} " + source.lower() + "%{customdata}<extra></extra>"))
    if cut:
        months = ", ".join(dt.date.fromisoformat(m + "-01").strftime("%b %Y") for m in sorted(cut))
        note = f"Hollow points: months only partly in the view ({months})."
        caption = f"{caption.rstrip('.')}. {note}" if caption else note
    return finish(fig, title, caption, x_title="Month", y_title="Count")


def missing_values(df, caption: str | None = None) -> go.Figure:
    """Share of missing values per table.column (columns table, column, missing_share)."""
    title = "Missing values per column"
    if df is None or df.empty:
        return empty(title)
    d = df.assign(name=df["table"] + "." + df["column"]).sort_values("missing_share")
    fig = go.Figure(go.Bar(x=d["missing_share"], y=d["name"], orientation="h", marker_color=BLUE,
                           text=[f"{v:.0%}" for v in d["missing_share"].fillna(0)], textposition="outside",
                           hovertemplate="%{y}: %{x:.1%} missing<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", range=[0, max(0.05, float(d["missing_share"].max() or 0) * 1.25)])
    return finish(fig, title, caption, height=max(300, 28 * len(d) + 120), x_title="Share of rows missing",
                  legend=False)
