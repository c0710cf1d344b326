"""Figures for the Perception gap page: share dumbbell, rank slope, segment heatmap, content alignment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.charts import BLUE, GREY, ORANGE, SEQUENTIAL, empty, finish, font_scale

# Side colours: group A (consumers, what people say) and group B (businesses, or the compared group).
A_COLOUR, B_COLOUR = BLUE, ORANGE
TICK = 15  # px before the presentation scale; the shared template's 13 px is too small for a workshop room
ROW_HEIGHT = 46


def _labels(df: pd.DataFrame) -> tuple[str, str]:
    return df.attrs.get("a_label", "Consumers"), df.attrs.get("b_label", "Businesses")


def _mid(label: str) -> str:
    # Mid-sentence form: only the first letter drops its capital, so segment names keep theirs.
    return label[:1].lower() + label[1:]


def _possessive(label: str) -> str:
    return f"{label}'" if label.endswith("s") else f"{label}'s"


def _has_both_shares(r) -> bool:
    return bool(r.get("has_consumer_share", False)) and bool(r.get("has_business_share", False))


def _big_ticks(fig: go.Figure) -> go.Figure:
    size = round(TICK * font_scale())
    fig.update_xaxes(tickfont=dict(size=size), title_font=dict(size=size + 1))
    fig.update_yaxes(tickfont=dict(size=size), title_font=dict(size=size + 1))
    fig.update_layout(legend=dict(font=dict(size=size)))
    return fig


def _legend_row(fig: go.Figure, **extra) -> None:
    fig.update_layout(legend=dict(orientation="h", x=0.0, y=1.0, yanchor="bottom", xanchor="left", **extra))


def _pct(v: float) -> str:
    return "–" if v is None or not np.isfinite(v) else f"{100 * v:.0f}%"


def _pts(v: float) -> str:
    if not np.isfinite(v):
        return "–"
    return f"{v:+.0f} pts" if abs(v) >= 0.5 else "0 pts"


# -- shares -------------------------------------------------------------------------------

def perception_dumbbell(gap: pd.DataFrame, caption: str | None = None, title: str | None = None) -> go.Figure:
    """Group A's share beside group B's per motive, with Wilson whiskers, sorted by gap (largest on top).

    ``gap`` is ``analysis.perception.gap_table``. Motives with no share on either side are left out
    (they belong in ``rank_slope``); a motive with one known share shows that dot alone. The gap in
    points and whether it survives Holm correction are written at the right of each row.
    """
    a_label, b_label = _labels(gap)
    title = title or f"Share naming each motive: {_mid(a_label)} versus {_mid(b_label)}"
    d = gap[gap["consumer_share"].notna() | gap["business_share"].notna()].copy()
    if d.empty:
        return empty(title, "No shares are known for these groups: see the rank view")
    # Plotly draws the first category at the bottom; the largest gap goes on top.
    d["_key"] = d["gap_points"].fillna(-math.inf)
    d = d.sort_values(["_key", "motive"], ascending=[True, False], kind="stable")
    motives = d["motive"].tolist()
    both = d[d["consumer_share"].notna() & d["business_share"].notna()]
    fig = go.Figure()
    # Connectors: one trace, segments separated by None.
    xs, ys = [], []
    for _, r in both.iterrows():
        xs += [r["consumer_share"], r["business_share"], None]
        ys += [r["motive"], r["motive"], None]
    if xs:
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color=GREY, width=4), hoverinfo="skip",
                                 showlegend=False, name="gap"))
    for side, label, colour, symbol in (("consumer", a_label, A_COLOUR, "circle"),
                                        ("business", b_label, B_COLOUR, "diamond")):
        part = d[d[f"{side}_share"].notna()]
        if part.empty:
            continue
        share, lo, hi = part[f"{side}_share"], part[f"{side}_lo"], part[f"{side}_hi"]
        custom = np.column_stack([lo * 100, hi * 100, part[f"{side}_n"].astype(float)])
        fig.add_trace(go.Scatter(
            x=share, y=part["motive"], mode="markers", name=label,
            marker=dict(color=colour, size=18, symbol=symbol, line=dict(color="white", width=1.5)),
            error_x=dict(type="data", symmetric=False, array=(hi - share).to_numpy(),
                         arrayminus=(share - lo).to_numpy(), color=colour, thickness=2.5, width=8),
            customdata=custom,
            hovertemplate=(f"{label}<br>%{{y}}: %{{x:.0%}}<br>95% Wilson interval %{{customdata[0]:.0f}}% to "
                           "%{customdata[1]:.0f}%<br>n = %{customdata[2]:,.0f}<extra></extra>")))
    size = round(TICK * font_scale())
    notes = []
    for _, r in d.iterrows():
        if np.isfinite(r["gap_points"]):
            verdict = "real" if bool(r["significant_holm"]) else "within noise"
            text = f"<b>{_pts(r['gap_points'])}</b> · {verdict}"
        else:
            text = "one side only"
        notes.append(dict(x=1.0, xref="paper", xanchor="left", xshift=12, y=r["motive"], yref="y", text=text,
                          showarrow=False, font=dict(size=size, color="#222"), align="left"))
    # The key is an annotation, not a legend: a horizontal legend wraps to the narrow plot area and
    # stacks long group names, while an annotation may run on into the gap column.
    keys = [f"<span style='color:{A_COLOUR}'>●</span> {a_label}", f"<span style='color:{B_COLOUR}'>◆</span> {b_label}"]
    sep = "<br>" if len(a_label) + len(b_label) > 50 else "     "
    notes.append(dict(x=0, xref="paper", xanchor="left", y=1, yref="paper", yanchor="bottom", yshift=6,
                      text=sep.join(keys), showarrow=False, align="left", font=dict(size=size, color="#222")))
    # One layout update: add_annotation re-validates the whole list on every call.
    fig.update_layout(annotations=notes)
    fig.update_xaxes(range=[0, 1.0], tickformat=".0%", dtick=0.2, showgrid=True,
                     minor=dict(dtick=0.1, showgrid=True, gridcolor="#F0F0F0"))
    fig.update_yaxes(categoryorder="array", categoryarray=motives, showgrid=False)
    top = 150 if len(a_label) + len(b_label) > 50 else 125
    fig.update_layout(margin=dict(r=190, l=10, t=top, b=70))
    fig = finish(fig, title, caption, height=max(320, ROW_HEIGHT * len(d) + 185 + top), legend=False,
           x_title="Share of respondents naming the motive (whiskers: 95% Wilson interval)")
    return _big_ticks(fig)


# -- ranks --------------------------------------------------------------------------------

def rank_slope(gap: pd.DataFrame, caption: str | None = None, title: str | None = None) -> go.Figure:
    """Group A's rank (left) against group B's rank (right) for every motive ranked by both, names in full.

    Solid orange lines: B ranks the motive higher than A; dashed blue: lower; grey: same place.
    Motives whose shares are also known are printed in bold.
    """
    a_label, b_label = _labels(gap)
    title = title or f"Where {_mid(a_label)} and {_mid(b_label)} rank each motive (1 = most named)"
    d = gap.dropna(subset=["consumer_rank", "business_rank"]).copy()
    if d.empty:
        return empty(title, "No motive is ranked by both groups")
    d = d.sort_values(["consumer_rank", "motive"])
    n = int(max(d["consumer_rank"].max(), d["business_rank"].max()))
    size = round(TICK * font_scale())
    fig = go.Figure()
    styles = {
        "higher": (B_COLOUR, "solid", f"{b_label} rank it higher"),
        "lower": (A_COLOUR, "dash", f"{b_label} rank it lower"),
        "same": (GREY, "dot", "Same place"),
    }
    shown = set()
    for _, r in d.iterrows():
        a, b = float(r["consumer_rank"]), float(r["business_rank"])
        kind = "higher" if b < a else "lower" if b > a else "same"
        colour, dash, name = styles[kind]
        width = 2 + min(2.5, abs(a - b) / 4)
        fig.add_trace(go.Scatter(
            x=[0, 1], y=[a, b], mode="lines+markers", name=name, legendgroup=kind,
            showlegend=kind not in shown, line=dict(color=colour, dash=dash, width=width),
            marker=dict(color=colour, size=11),
            hovertemplate=(f"{r['motive']}<br>{a_label}: {a:.0f}<br>{b_label}: {b:.0f}<extra></extra>")))
        shown.add(kind)
    # Bold marks the motives with shares as well as ranks, which matters only when some have ranks alone.
    both = d.apply(_has_both_shares, axis=1).astype(bool)
    bold = both if not both.all() else pd.Series(False, index=both.index)
    notes = []
    for side, x, anchor in (("consumer", 0, "right"), ("business", 1, "left")):
        for i, r in d.iterrows():
            rank = int(r[f"{side}_rank"])
            name = f"<b>{r['motive']}</b>" if bold[i] else r["motive"]
            text = f"{name}  {rank}" if side == "consumer" else f"{rank}  {name}"
            notes.append(dict(x=x, xref="x", y=r[f"{side}_rank"], yref="y", text=text, showarrow=False,
                              xanchor=anchor, xshift=-12 if anchor == "right" else 12,
                              font=dict(size=size, color="#222")))
    for x, label, anchor in ((0, f"{_possessive(a_label)} rank", "right"),
                             (1, f"{_possessive(b_label)} rank", "left")):
        notes.append(dict(x=x, xref="x", y=0.2, yref="y", text=f"<b>{label}</b>", showarrow=False,
                          xanchor=anchor, xshift=-12 if anchor == "right" else 12,
                          font=dict(size=size + 1, color="#222")))
    fig.update_xaxes(visible=False, range=[-0.02, 1.02])
    fig.update_yaxes(visible=False, autorange=False, range=[n + 0.6, -0.4])
    # Full motive names sit in fixed margins on both sides, so they never collide with the lines.
    # Margins sized to the longest name (about half an em per character), so the lines keep what is left.
    longest = int(d["motive"].astype(str).str.len().max())
    side = round(0.5 * size * (longest + 4) + 30)
    # The plot area between the two name columns is narrow, so the key is a footnote, not a legend.
    key = [f"{styles[k][2]}: {'solid orange' if k == 'higher' else 'dashed blue' if k == 'lower' else 'dotted grey'}"
           for k in ("higher", "lower", "same") if k in shown]
    text = " · ".join(key)
    if bold.any():
        text += "<br><b>Bold</b>: shares known too (see the share chart); the others are ranks only"
    notes.append(dict(x=0.5, xref="paper", xanchor="center", y=0, yref="paper", yshift=-24, yanchor="top",
                      text=text, showarrow=False, font=dict(size=size - 1, color="#444")))
    fig.update_layout(annotations=notes)
    fig.update_layout(margin=dict(l=side, r=side, t=110, b=90 if bold.any() else 70))
    fig = finish(fig, title, caption, height=max(380, 40 * n + 210), legend=False)
    return _big_ticks(fig)


# -- segments -----------------------------------------------------------------------------

def segment_heatmap(breakdown: pd.DataFrame, caption: str | None = None, title: str | None = None,
                    differences: pd.DataFrame | None = None) -> go.Figure:
    """Share naming each motive per customer segment (or region): rows motives, columns groups.

    ``breakdown`` is ``analysis.perception.segment_breakdown``. With ``differences``
    (``segment_differences``), motives whose share differs between the groups after Holm
    correction get a '◆' after their name.
    """
    by = breakdown.attrs.get("by", "segment")
    title = title or f"Share of consumers naming each motive, by {by}"
    d = breakdown[breakdown["n"] > 0]
    if d.empty:
        return empty(title, "No respondents linked to customers under these filters")
    share = d.pivot_table(index="motive", columns=by, values="share", aggfunc="first")
    lo = d.pivot_table(index="motive", columns=by, values="share_lo", aggfunc="first").reindex_like(share)
    hi = d.pivot_table(index="motive", columns=by, values="share_hi", aggfunc="first").reindex_like(share)
    nn = d.groupby(by)["n"].max().reindex(share.columns)
    # Most-named motive (over all groups) on top.
    order = share.mean(axis=1).sort_values(ascending=True).index
    share, lo, hi = share.loc[order], lo.loc[order], hi.loc[order]
    real = set()
    if differences is not None and len(differences):
        real = set(differences.loc[differences["significant_holm"].fillna(False).astype(bool), "motive"])
    ylabels = [f"{m} ◆" if m in real else m for m in share.index]
    xlabels = [f"{c}<br>(n = {int(nn[c]):,})" for c in share.columns]
    custom = np.dstack([lo.to_numpy() * 100, hi.to_numpy() * 100,
                        np.broadcast_to(nn.to_numpy(dtype=float), share.shape)])
    size = round(TICK * font_scale())
    fig = go.Figure(go.Heatmap(
        z=share.to_numpy(), x=xlabels, y=ylabels, colorscale=SEQUENTIAL, zmin=0, zmax=1,
        text=[[_pct(v) for v in row] for row in share.to_numpy()], texttemplate="%{text}",
        textfont=dict(size=size), customdata=custom, xgap=2, ygap=2,
        colorbar=dict(title=dict(text="Share"), tickformat=".0%", tickfont=dict(size=size)),
        hovertemplate=("%{y}<br>%{x}: %{z:.0%} (95% Wilson interval %{customdata[0]:.0f}% to "
                       "%{customdata[1]:.0f}%)<extra></extra>")))
    fig.update_xaxes(side="top", showgrid=False)
    fig.update_yaxes(showgrid=False)
    fig = finish(fig, title, caption, height=max(360, 40 * len(share) + 200), legend=False)
    fig.update_layout(margin=dict(t=150))
    return _big_ticks(fig)


# -- content alignment ---------------------------------------------------------------------

def content_alignment(table: pd.DataFrame, caption: str | None = None, title: str | None = None,
                      after: pd.DataFrame | None = None, interest_label: str = "Consumers",
                      content_label: str = "Brand content now") -> go.Figure:
    """Paired bars per motive: the brand's content share against consumers' interest share.

    ``table`` is ``Alignment.table`` (motive, content_share, interest_share, difference_points);
    ``after`` (the table of a re-allocated mix) adds a third, hatched bar for the what-if.
    Both sides are normalised over the compared motives, so they are directly comparable.
    """
    title = title or "Brand content mix versus what consumers say they want"
    d = table.dropna(subset=["content_share", "interest_share"]) if len(table) else table
    if d is None or d.empty:
        return empty(title, "No content falls on motives with a known consumer share")
    d = d.sort_values("interest_share", ascending=True, kind="stable")
    fig = go.Figure()
    top = float(max(d["interest_share"].max(), d["content_share"].max()))
    # Horizontal groups stack their first trace at the bottom: add the what-if first so that, top to
    # bottom, each motive reads interest, content now, content after (the legend is reversed to match).
    if after is not None and len(after):
        a = after.set_index("motive").reindex(d["motive"])
        fig.add_trace(go.Bar(y=d["motive"], x=a["content_share"], orientation="h",
                             name="Brand content after the what-if",
                             marker=dict(color="white", line=dict(color=B_COLOUR, width=2),
                                         pattern=dict(shape="/", fgcolor=B_COLOUR, size=8)),
                             text=[_pct(v) for v in a["content_share"]], textposition="outside", cliponaxis=False,
                             hovertemplate="%{y}<br>after the what-if: %{x:.0%} of the messages<extra></extra>"))
        top = max(top, float(a["content_share"].max()))
    fig.add_trace(go.Bar(y=d["motive"], x=d["content_share"], orientation="h", name=content_label,
                         marker_color=B_COLOUR, text=[_pct(v) for v in d["content_share"]],
                         textposition="outside", cliponaxis=False,
                         hovertemplate="%{y}<br>" + content_label + ": %{x:.0%} of the messages<extra></extra>"))
    fig.add_trace(go.Bar(y=d["motive"], x=d["interest_share"], orientation="h", name=f"{interest_label}: interest",
                         marker_color=A_COLOUR, text=[_pct(v) for v in d["interest_share"]],
                         textposition="outside", cliponaxis=False,
                         hovertemplate="%{y}<br>" + interest_label + ": %{x:.0%} of the interest<extra></extra>"))
    n_bars = 3 if after is not None and len(after) else 2
    size = round(TICK * font_scale())
    fig.update_traces(textfont=dict(size=size))
    fig.update_layout(barmode="group", bargap=0.25, bargroupgap=0.05, margin=dict(t=120))
    _legend_row(fig, traceorder="reversed")
    # Room to the right for the value labels; ticks stop at 100%.
    step = 0.1 if top <= 0.5 else 0.2
    fig.update_xaxes(tickformat=".0%", range=[0, top * 1.15 + 0.05], tickmode="array",
                     tickvals=[round(v, 2) for v in np.arange(0, min(1.0, top * 1.15 + 0.05) + 1e-9, step)])
    fig.update_yaxes(showgrid=False)
    fig = finish(fig, title, caption, height=max(320, (22 * n_bars + 14) * len(d) + 200),
           x_title="Share of the compared total (each side sums to 100%)")
    return _big_ticks(fig)


__all__ = ["perception_dumbbell", "rank_slope", "segment_heatmap", "content_alignment"]
