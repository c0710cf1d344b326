"""Every figure the app draws, over one shared core: theme, colour-blind-safe palette,
font sizes that read when projected, titles that say what and under which filters.

Concern-specific charts live in sibling modules (``analysis.charts.<concern>``),
each a few lines over ``finish``.
"""

from __future__ import annotations

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
    """Apply the theme, a title that says what the chart shows, and the filter caption."""
    s = font_scale()
    # The caption carries filter values (segment, region and platform names: user data);
    # Plotly reads a little HTML in titles, so it is escaped here, once, for every chart.
    full_title = title if not caption else f"{title}<br><sup>{html.escape(caption)}</sup>"
    # Room above the plot for every line of title and caption.
    lines = full_title.count("<br>") + 1
    top = max(round((30 + 26 * lines) * s), fig.layout.margin.t or 0)
    layout = dict(
        title=dict(text=full_title, font=dict(size=round(20 * s))),
        margin=dict(t=top),
        font=dict(size=round(15 * s)), height=round(height * (1.15 if s > 1 else 1)),
        showlegend=legend, legend=dict(font=dict(size=round(13 * s))),
        hoverlabel=dict(font=dict(size=round(14 * s))),
    )
    if fig.layout.template.layout.font.family != FONT:  # a figure made with another template
        layout["template"] = "continuum"
    # Every axis in one update (a chart that chose its own tick size keeps it): one update per axis
    # costs plotly a full dispatch each.
    for name in fig.layout:
        if not (name.startswith("xaxis") or name.startswith("yaxis")):
            continue
        ax = fig.layout[name]
        axis = {}
        if ax.tickfont.size is None:
            axis["tickfont"] = dict(size=round(13 * s))
        if ax.title.font.size is None:
            axis["title"] = dict(font=dict(size=round(15 * s)))
        if axis:
            layout[name] = axis
    fig.update_layout(**layout)
    readable_ticks(fig)
    if legend:
        legend_below(fig, s)
    if x_title is not None:
        fig.update_xaxes(title_text=x_title)
    if y_title is not None:
        fig.update_yaxes(title_text=y_title)
    return fig


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


def readable_ticks(fig: go.Figure) -> None:
    """Ticks that read on small data: a date axis over a few days or one month shows whole days
    (never hours or milliseconds), and an axis of small counts steps by whole numbers (no 0.5)."""
    days: dict[str, list] = {}
    counts: dict[str, list] = {}
    for trace in fig.data:
        if trace.type not in ("scatter", "bar", "scattergl"):
            continue
        horizontal = getattr(trace, "orientation", None) == "h"
        xa = "xaxis" + (trace.xaxis or "x")[1:]
        ya = "yaxis" + (trace.yaxis or "y")[1:]
        along, across = (ya, xa) if horizontal else (xa, ya)
        d = _as_days(trace.y if horizontal else trace.x)
        if d is not None:
            days.setdefault(along, []).append(d)
        counts.setdefault(across, []).append(_whole_numbers(trace.x if horizontal else trace.y))
    for name, parts in days.items():
        ax = fig.layout[name]
        if ax is None or ax.dtick is not None or ax.tickformat:
            continue
        allday = parts[0].append(parts[1:]) if len(parts) > 1 else parts[0]
        lo, hi = allday.min(), allday.max()
        span = (hi - lo).days
        monthly = all(d.day.max() == 1 for d in parts)  # one point per month
        if monthly and span <= 92:
            update = dict(dtick="M1", tickformat="%b %Y")
            if span < 27:
                update["range"] = [lo - pd.Timedelta(days=20), hi + pd.Timedelta(days=20)]
            fig.layout[name].update(**update)
        elif span <= 14:
            update = dict(dtick=_DAY_MS, tickformat="%d %b %Y")
            if span < 2:
                update["range"] = [lo - pd.Timedelta(days=3), hi + pd.Timedelta(days=3)]
            fig.layout[name].update(**update)
    for name, maxima in counts.items():
        ax = fig.layout[name]
        if ax is None or ax.dtick is not None or ax.tickformat or any(m is None for m in maxima):
            continue
        top = max(maxima)
        if top <= 10:
            fig.layout[name].update(dtick=1 if top <= 6 else 2, tick0=0, tickformat=",d")


def legend_below(fig: go.Figure, scale: float = 1.0) -> None:
    """A horizontal legend under the plot gets a band of its own at the bottom of the figure, below the
    x-axis title, with room for as many rows as its entries need on a narrow (half-width) chart; placed at
    a fixed fraction of the plot height instead, it lands on the axis title whenever the chart is short."""
    leg = fig.layout.legend
    if leg.orientation != "h" or leg.y is None or leg.y >= 0:
        return
    names = [str(t.name) for t in fig.data if t.showlegend is not False and t.name]
    if leg.title and leg.title.text:
        names.append(str(leg.title.text))
    chars = sum(len(n) + 5 for n in names)
    rows = max(1, math.ceil(chars * 7.5 * scale / 520))
    band = round((24 * rows + 10) * scale)
    fig.update_layout(legend=dict(yref="container", y=0, yanchor="bottom", x=0, xanchor="left"),
                      margin=dict(b=round(78 * scale) + band))


def empty(title: str, message: str = "No data under these filters") -> go.Figure:
    """A figure that says plainly that there is nothing to show."""
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font=dict(size=18, color=GREY), x=0.5, y=0.5,
                       xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return finish(fig, title, height=260, legend=False)


def monthly_activity(df, caption: str | None = None, partial=()) -> go.Figure:
    """Interactions and public posts per month (columns month, source, n); months in ``partial``
    ('YYYY-MM', covered only in part by the view) get hollow markers and a note."""
    title = "Interactions and public posts per month"
    if df is None or df.empty:
        return empty(title)
    cut = set(partial)
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
