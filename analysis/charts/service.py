"""Service timing figures: distributions of first response and resolution time on a log time axis,
and their median and p90 per month."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.charts import BLUE, GREY, PALETTE, PRIVATE, PUBLIC, VERMILION, empty, escape, finish

# Ticks a person reads at a glance on a log axis of minutes.
TICKS = [(1 / 60, "1 s"), (1, "1 min"), (10, "10 min"), (60, "1 h"), (360, "6 h"), (1440, "1 day"),
         (10080, "1 week"), (43200, "30 days"), (525600, "1 year")]
SIDE_COLOURS = {"Started in public": PUBLIC, "Started in private": PRIVATE, "All conversations": BLUE,
                "other groups": GREY}


def _log_minutes_axis(fig: go.Figure, axis: str = "x") -> None:
    vals, text = zip(*TICKS)
    update = fig.update_xaxes if axis == "x" else fig.update_yaxes
    update(type="log", tickvals=list(vals), ticktext=list(text), tickangle=0)


def _legend_below(fig: go.Figure) -> None:
    # Half-width charts: a legend on the right would take a third of the plot.
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22, xanchor="left", x=0))


def _colours(groups) -> dict[str, str]:
    out, i = {}, 0
    for g in groups:
        if g in SIDE_COLOURS:
            out[g] = SIDE_COLOURS[g]
        else:
            out[g] = PALETTE[i % len(PALETTE)]
            i += 1
    return out


def _order(counts: pd.Series) -> list[str]:
    """Group names (the index of ``counts``), largest first, 'other groups' last."""
    counts = counts.sort_values(ascending=False, kind="stable")
    names = [g for g in counts.index if g != "other groups"]
    return names + (["other groups"] if "other groups" in counts.index else [])


def duration_ecdf(ecdf: pd.DataFrame, measure_label: str, caption: str | None = None) -> go.Figure:
    """Share of conversations with a duration within each time, one line per group (log time axis)."""
    title = f"{measure_label}: share within each time"
    if ecdf is None or ecdf.empty:
        return empty(title)
    fig = go.Figure()
    groups = _order(ecdf.groupby("group")["n"].first())
    colours = _colours(groups)
    for g in groups:
        part = ecdf[ecdf["group"] == g]
        name = f"{escape(g)} ({int(part['n'].iloc[0]):,})"
        # The step starts from zero at the shortest time ("hv": along, then up at each time).
        x = np.r_[part["minutes"].to_numpy()[:1], part["minutes"].to_numpy()]
        y = np.r_[0.0, part["share"].to_numpy()]
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line_shape="hv", name=name,
                                 line=dict(width=3, color=colours[g]),
                                 hovertemplate=name + ": %{y:.0%} within %{x:.3~s} min<extra></extra>"))
    for q, label in ((0.5, "median"), (0.9, "p90")):
        fig.add_hline(y=q, line=dict(color=GREY, dash="dot", width=1))
        fig.add_annotation(x=1.0, xref="paper", y=q, showarrow=False, xanchor="right", yanchor="bottom",
                           text=label, font=dict(size=12, color=GREY))
    _log_minutes_axis(fig)
    fig.update_yaxes(tickformat=".0%", range=[0, 1.02])
    _legend_below(fig)
    return finish(fig, title, caption, x_title=f"{measure_label} time (log scale)",
                  y_title="Share of conversations", height=500)


def duration_histogram(dist: pd.DataFrame, measure_label: str, caption: str | None = None) -> go.Figure:
    """Distribution of a duration on log-spaced bins (a quarter of a decade each), one step line per group,
    as a share of each group's conversations so groups of different sizes compare."""
    title = f"{measure_label}: distribution"
    if dist is None or dist.empty:
        return empty(title)
    totals = dist.groupby("group")["n"].sum()
    groups = _order(totals)
    colours = _colours(groups)
    fig = go.Figure()
    for g in groups:
        part = dist[dist["group"] == g].sort_values("lo")
        x = np.r_[part["lo"].to_numpy(), part["hi"].to_numpy()[-1:]]
        y = np.r_[part["share"].to_numpy(), part["share"].to_numpy()[-1:]]
        name = f"{escape(g)} ({int(totals[g]):,})"
        custom = np.c_[np.r_[part["lo"], part["lo"].to_numpy()[-1:]], np.r_[part["hi"], part["hi"].to_numpy()[-1:]],
                       np.r_[part["n"], part["n"].to_numpy()[-1:]]]
        fig.add_trace(go.Scatter(
            x=x, y=y, mode="lines", line_shape="hv", name=name, line=dict(width=3, color=colours[g]),
            fill="tozeroy" if len(groups) == 1 else None, customdata=custom,
            hovertemplate=name + ": %{y:.1%} (%{customdata[2]:,}) between %{customdata[0]:.3~s} and "
                                 "%{customdata[1]:.3~s} min<extra></extra>"))
    _log_minutes_axis(fig)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    _legend_below(fig)
    return finish(fig, title, caption, x_title=f"{measure_label} time (log scale)",
                  y_title="Share of the group's conversations", height=500)


def timing_by_month(monthly: pd.DataFrame, measure: str, measure_label: str, caption: str | None = None) -> go.Figure:
    """Median and p90 of a duration per month the conversation started (log time axis), with the share
    left unanswered on hover."""
    title = f"{measure_label} time per month: median and p90"
    med, p90 = f"{measure}_median", f"{measure}_p90"
    if monthly is None or monthly.empty or monthly[med].notna().sum() == 0:
        return empty(title)
    fig = go.Figure()
    n_col = "answered" if measure == "first_response" else "resolved"
    for col, label, colour, dash in ((med, "Median", BLUE, "solid"), (p90, "p90", VERMILION, "dash")):
        fig.add_trace(go.Scatter(
            x=monthly["month"], y=monthly[col], mode="lines+markers", name=label,
            line=dict(width=3, color=colour, dash=dash), marker=dict(size=8),
            customdata=np.c_[monthly[n_col], monthly["conversations"], monthly["unanswered_share"]],
            hovertemplate="%{x}: " + label + " %{y:.3~s} min over %{customdata[0]:,} of %{customdata[1]:,} "
                          "conversations (%{customdata[2]:.0%} unanswered)<extra></extra>"))
    _log_minutes_axis(fig, "y")
    fig.update_xaxes(type="category")  # 'YYYY-MM' labels as they are, also for a single month
    return finish(fig, title, caption, x_title="Month the conversation started",
                  y_title=f"{measure_label} time (log scale)", height=420)
