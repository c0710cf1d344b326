"""Figures of the Listening page: volume and sentiment over time, terms, emerging terms, spikes."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.charts import (
    BLACK,
    BLUE,
    GREY,
    NEGATIVE,
    NEUTRAL,
    ORANGE,
    POSITIVE,
    PURPLE,
    SKY,
    VERMILION,
    YELLOW,
    empty,
    escape,
    finish,
)

# Platforms never take the sentiment colours (green, vermilion), so the two never read alike.
PLATFORM_COLOURS = [BLUE, ORANGE, PURPLE, SKY, YELLOW, BLACK, GREY]
GRAIN_WORD = {"day": "day", "week": "week", "month": "month"}
X_TITLE = {"day": "Day", "week": "Week (starting Monday)", "month": "Month"}


def platform_colours(platforms) -> dict[str, str]:
    return {p: PLATFORM_COLOURS[i % len(PLATFORM_COLOURS)] for i, p in enumerate(sorted(set(platforms)))}


def _partial_note(partial) -> str:
    if not partial:
        return ""
    days = ", ".join(f"{pd.Timestamp(p):%d %b %Y}" for p in partial)
    return f" Lighter bars: partial periods (fewer days in the view), {days}."


def volume_by_platform(df: pd.DataFrame, grain: str, caption: str | None = None, partial=()) -> go.Figure:
    """Posts per period, stacked by platform (columns period, platform, posts)."""
    title = f"Posts per {GRAIN_WORD[grain]}, by platform"
    if df is None or df.empty or df["posts"].sum() == 0:
        return empty(title)
    colours = platform_colours(df["platform"])
    cut = {pd.Timestamp(p) for p in partial}
    fig = go.Figure()
    for plat, part in df.groupby("platform", sort=True):
        # Partial periods are drawn lighter: their bars cover fewer days.
        opacity = [0.4 if pd.Timestamp(p) in cut else 1.0 for p in part["period"]]
        fig.add_trace(go.Bar(x=part["period"], y=part["posts"], name=plat,
                             marker=dict(color=colours[plat], opacity=opacity),
                             hovertemplate="%{x|%d %b %Y}: %{y:,} posts on " + plat + "<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.1, legend_title_text="Platform")
    cap = " ".join(x for x in (caption and caption.rstrip(".") + ".", _partial_note(partial).strip()) if x)
    return finish(fig, title, cap or None, x_title=X_TITLE[grain], y_title="Posts")


def sentiment_by_platform(df: pd.DataFrame, grain: str, caption: str | None = None) -> go.Figure:
    """Mean sentiment per period and platform (columns period, platform, mean_sentiment, scored)."""
    title = f"Mean sentiment per {GRAIN_WORD[grain]}, by platform"
    d = None if df is None else df.dropna(subset=["mean_sentiment"])
    if d is None or d.empty:
        return empty(title)
    colours = platform_colours(d["platform"])
    fig = go.Figure()
    for plat, part in d.groupby("platform", sort=True):
        fig.add_trace(go.Scatter(
            x=part["period"], y=part["mean_sentiment"], name=plat, mode="lines+markers" if len(part) < 60 else "lines",
            line=dict(width=1.5, color=colours[plat]), opacity=0.85, customdata=part[["scored"]],
            hovertemplate="%{x|%d %b %Y}: mean %{y:+.2f} over %{customdata[0]:,} scored posts on " + plat
                          + "<extra></extra>"))
    # All platforms together, drawn on top: the line to read first.
    total = d.groupby("period", as_index=False)[["sentiment_sum", "scored"]].sum()
    total["mean"] = total["sentiment_sum"] / total["scored"]
    fig.add_trace(go.Scatter(x=total["period"], y=total["mean"], name="All platforms", mode="lines",
                             line=dict(width=3.5, color=BLACK), customdata=total[["scored"]],
                             hovertemplate="%{x|%d %b %Y}: mean %{y:+.2f} over %{customdata[0]:,} scored posts"
                                           "<extra></extra>"))
    for y in (0.05, -0.05):
        fig.add_hline(y=y, line=dict(color=GREY, dash="dot", width=1))
    fig.add_hline(y=0, line=dict(color="#BBBBBB", width=1))
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0, title_text=""))
    return finish(fig, title, caption, height=480, x_title=X_TITLE[grain],
                  y_title="Mean sentiment<br>(−1 to +1)")


def sentiment_shares(df: pd.DataFrame, grain: str, caption: str | None = None) -> go.Figure:
    """Share of positive, neutral and negative posts per period, all platforms together."""
    title = f"Positive, neutral and negative posts per {GRAIN_WORD[grain]}"
    d = None if df is None else df.dropna(subset=["positive_share"])
    if d is None or d.empty:
        return empty(title)
    fig = go.Figure()
    for lab, colour, name in (("negative", NEGATIVE, "Negative (≤ −0.05)"), ("neutral", NEUTRAL, "Neutral"),
                              ("positive", POSITIVE, "Positive (≥ +0.05)")):
        fig.add_trace(go.Scatter(
            x=d["period"], y=d[f"{lab}_share"], name=name, mode="lines", stackgroup="share",
            line=dict(width=0.5, color=colour), fillcolor=colour, customdata=d[[lab, "scored"]],
            hovertemplate="%{x|%d %b %Y}: %{y:.0%} " + lab + " (%{customdata[0]:,} of %{customdata[1]:,})"
                          "<extra></extra>"))
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_layout(legend=dict(orientation="h", y=-0.25, x=0, traceorder="reversed"))
    return finish(fig, title, caption, height=480, x_title=X_TITLE[grain], y_title="Share of scored posts")


def top_terms(df: pd.DataFrame, title: str, caption: str | None = None, colour: str = BLUE,
              total: int | None = None) -> go.Figure:
    """Horizontal bars: posts that use each term (columns term, n_all)."""
    if df is None or df.empty:
        return empty(title, "No terms under these filters")
    d = df.sort_values("n_all").assign(term=lambda x: x["term"].map(escape))
    share = d["n_all"] / total if total else None
    text = [f"{n:,}" + (f" ({s:.0%})" if total else "") for n, s in
            zip(d["n_all"], share if share is not None else [None] * len(d))]
    fig = go.Figure(go.Bar(x=d["n_all"], y=d["term"], orientation="h", marker_color=colour, text=text,
                           textposition="outside", cliponaxis=False,
                           hovertemplate="%{y}: in %{x:,} original posts<extra></extra>"))
    fig.update_xaxes(range=[0, float(d["n_all"].max()) * 1.3])
    fig.update_yaxes(type="category")
    return finish(fig, title, caption, height=max(320, 26 * len(d) + 130), x_title="Original posts using it",
                  legend=False)


def emerging_terms(df: pd.DataFrame, caption: str | None = None) -> go.Figure:
    """Dumbbells: share of posts using each emerging term in the baseline and in the recent period."""
    title = "Emerging terms: share of posts using them, baseline → recent"
    if df is None or df.empty:
        return empty(title, "No term rose significantly in the recent period")
    d = df.sort_values("g2").assign(term=lambda x: x["term"].map(escape))
    fig = go.Figure()
    for _, r in d.iterrows():
        fig.add_trace(go.Scatter(x=[r["share_base"], r["share_recent"]], y=[r["term"], r["term"]], mode="lines",
                                 line=dict(color="#BBBBBB", width=3), showlegend=False, hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=d["share_base"], y=d["term"], mode="markers", name="Baseline period",
                             marker=dict(color=GREY, size=11), customdata=d[["n_base"]],
                             hovertemplate="%{y}: %{x:.1%} of baseline posts (%{customdata[0]:,})<extra></extra>"))
    fig.add_trace(go.Scatter(x=d["share_recent"], y=d["term"], mode="markers", name="Recent period",
                             marker=dict(color=ORANGE, size=13, line=dict(color=BLACK, width=1)),
                             customdata=d[["n_recent", "g2", "p"]],
                             hovertemplate="%{y}: %{x:.1%} of recent posts (%{customdata[0]:,}); "
                                           "G² = %{customdata[1]:.1f}, p = %{customdata[2]:.2g}<extra></extra>"))
    fig.update_xaxes(tickformat=".1%", rangemode="tozero")
    fig.update_yaxes(type="category")
    fig.update_layout(legend=dict(orientation="h", y=-0.18, x=0))
    return finish(fig, title, caption, height=max(320, 28 * len(d) + 160), x_title="Share of original posts")


def spikes(sp: pd.DataFrame, caption: str | None = None, selected: str | None = None) -> go.Figure:
    """Posts per day and negative share per day, each with its rolling baseline; spikes marked."""
    title = "Spikes: days outside the normal range of volume or negative share"
    if sp is None or sp.empty or sp["posts"].sum() == 0:
        return empty(title)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.09,
                        subplot_titles=("Posts per day", "Negative share per day"))
    fig.add_trace(go.Scatter(x=sp["day"], y=sp["posts"], name="Posts", mode="lines",
                             line=dict(color=BLUE, width=1.8),
                             hovertemplate="%{x|%a %d %b %Y}: %{y:,} posts<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(x=sp["day"], y=sp["baseline_posts"], name="Usual level (28-day median)",
                             mode="lines", line=dict(color=GREY, width=1.5, dash="dash"),
                             hovertemplate="%{x|%d %b %Y}: usual %{y:,.0f}<extra></extra>"), row=1, col=1)
    v = sp[sp["volume_spike"]]
    fig.add_trace(go.Scatter(x=v["day"], y=v["posts"], name="Volume spike", mode="markers",
                             marker=dict(symbol="triangle-up", size=13, color=ORANGE, line=dict(color=BLACK, width=1)),
                             customdata=v[["volume_z"]],
                             hovertemplate="%{x|%a %d %b %Y}: %{y:,} posts, z = %{customdata[0]:.1f}<extra></extra>"),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=sp["day"], y=sp["negative_share"], name="Negative share", mode="lines",
                             line=dict(color=VERMILION, width=1.8), connectgaps=False,
                             hovertemplate="%{x|%a %d %b %Y}: %{y:.0%} negative<extra></extra>"), row=2, col=1)
    fig.add_trace(go.Scatter(x=sp["day"], y=sp["baseline_negative_share"], name="Usual negative share",
                             mode="lines", line=dict(color=GREY, width=1.5, dash="dash"), showlegend=False,
                             hovertemplate="%{x|%d %b %Y}: usual %{y:.0%}<extra></extra>"), row=2, col=1)
    n = sp[sp["negative_spike"]]
    fig.add_trace(go.Scatter(x=n["day"], y=n["negative_share"], name="Negative spike", mode="markers",
                             marker=dict(symbol="diamond", size=12, color=VERMILION, line=dict(color=BLACK, width=1)),
                             customdata=n[["negative_z", "negative"]],
                             hovertemplate="%{x|%a %d %b %Y}: %{y:.0%} negative (%{customdata[1]:,} posts), "
                                           "z = %{customdata[0]:.1f}<extra></extra>"), row=2, col=1)
    if selected:
        fig.add_vline(x=pd.Timestamp(selected), line=dict(color=BLACK, width=1.5, dash="dot"))
    fig.update_yaxes(title_text="Posts", row=1, col=1, rangemode="tozero")
    fig.update_yaxes(title_text="Negative", tickformat=".0%", row=2, col=1, rangemode="tozero")
    fig.update_layout(legend=dict(orientation="h", y=-0.12, x=0))
    fig.update_annotations(font_size=15, x=0, xanchor="left")
    fig = finish(fig, title, caption, height=640)
    # Room for the caption line above the first panel's own title.
    fig.update_layout(margin=dict(t=115))
    return fig
