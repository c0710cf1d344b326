"""Figures for the Cascades page: size distribution, virality, spread over time, reach, distances, simulations."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analysis.charts import BLUE, GREY, ORANGE, PALETTE, SKY, VERMILION, empty, escape, finish, font_scale

LINKED, OTHER = BLUE, GREY
# Distances from the root author: near to far, dark to light, "further" in grey.
DISTANCE_COLOURS = [BLUE, SKY, ORANGE, GREY]
MAX_POINTS = 20_000
# Legends go under the plot: above it they collide with the filter caption under the title.
_BELOW = dict(orientation="h", yanchor="top", y=-0.22, x=0, xanchor="left")


def _esc(values) -> list[str]:
    """``escape`` of each value, each distinct value escaped once (20,000 handles of a virality chart
    hold far fewer distinct ones)."""
    codes, uniques = pd.factorize(pd.Series(list(values), dtype=object), use_na_sentinel=False)
    escaped = np.asarray([escape(v) for v in uniques], dtype=object)
    return escaped[codes].tolist() if len(codes) else []




def _log_ticks(fig: go.Figure, axis: str) -> None:
    getattr(fig, f"update_{axis}axes")(type="log", dtick=1, tickformat=",d", minor=dict(showgrid=False))


def cascade_ccdf(sizes, caption: str | None = None) -> go.Figure:
    """Share of cascades at least a given size, on log-log axes.

    ``sizes`` is either a Series of counts indexed by size (``analysis.cascades.size_counts``) or
    one size per cascade.
    """
    title = "How large cascades get"
    if isinstance(sizes, pd.Series) and sizes.index.name == "size":
        counts = sizes
    else:
        counts = pd.Series(np.asarray(sizes, dtype=np.int64)).value_counts()
    counts = counts[counts > 0].sort_index()
    if counts.empty:
        return empty(title)
    at_least = counts[::-1].cumsum()[::-1]
    share = at_least / counts.sum()
    fig = go.Figure(go.Scatter(
        x=counts.index, y=share, mode="lines+markers", line=dict(color=BLUE, width=2, shape="hv"),
        marker=dict(size=6, color=BLUE), customdata=np.stack([at_least.to_numpy(), counts.to_numpy()], axis=1),
        hovertemplate="Size ≥ %{x:,}: %{y:.3%} of posts (%{customdata[0]:,})<br>exactly %{x:,}: "
                      "%{customdata[1]:,}<extra></extra>"))
    _log_ticks(fig, "x")
    low = float(np.log10(share.min()))
    fig.update_yaxes(type="log", dtick=1, tickformat=".3~%", range=[np.floor(low) - 0.05, 0.05],
                     minor=dict(showgrid=False))
    return finish(fig, title, caption, x_title="Cascade size (posts, the original included; log scale)",
                  y_title="Posts reaching at least this size", legend=False)


def virality_vs_size(table: pd.DataFrame, caption: str | None = None, max_points: int = MAX_POINTS) -> go.Figure:
    """Structural virality against cascade size, one dot per cascade (log size axis)."""
    title = "Broadcast or chain? Virality against size"
    if table is None or table.empty:
        return empty(title)
    d = table
    note = ""
    if len(d) > max_points:
        # The largest cascades are the interesting ones: keep them all, sample the rest.
        top = d.nlargest(max_points // 4, "size")
        rest = d.drop(top.index).sample(max_points - len(top), random_state=0)
        d = pd.concat([top, rest])
        note = f"{len(d):,} of {len(table):,} cascades drawn (all {len(top):,} largest, the rest sampled)"
    jitter = np.random.default_rng(0).uniform(-0.04, 0.04, len(d))
    fig = go.Figure()
    for linked, name, colour in ((False, "Other accounts", OTHER), (True, "Accounts linked to a customer", LINKED)):
        part = d[d["linked"] == linked]
        if part.empty:
            continue
        j = jitter[(d["linked"] == linked).to_numpy()]
        fig.add_trace(go.Scattergl(
            x=part["size"] * np.exp(j), y=part["virality"], mode="markers", name=name,
            marker=dict(color=colour, size=7 if linked else 6, opacity=0.65 if linked else 0.45),
            customdata=np.stack([part["size"].to_numpy(), _esc(part["author_handle"]), part["depth"].to_numpy()],
                                axis=1),
            hovertemplate="@%{customdata[1]}<br>%{customdata[0]:,} posts, depth %{customdata[2]}<br>"
                          "virality %{y:.2f}<extra></extra>"))
    _log_ticks(fig, "x")
    fig.update_layout(legend=_BELOW)
    cap = caption if not note else (f"{caption} · {note}" if caption else note)
    return finish(fig, title, cap, x_title="Cascade size (posts, log scale; slightly jittered)",
                  y_title="Structural virality")


def cascade_spread(spread: pd.DataFrame, caption: str | None = None, t50: float | None = None,
                   t90: float | None = None) -> go.Figure:
    """Cumulative reshares against hours since the original post."""
    title = "How this cascade spread over time"
    if spread is None or spread.empty:
        return empty(title, "No reshares in this cascade")
    fig = go.Figure(go.Scatter(x=spread["hours"], y=spread["reshares"], mode="lines", line=dict(color=BLUE, width=3,
                                                                                                    shape="hv"),
                               hovertemplate="%{x:.1f} h: %{y:,} reshares<extra></extra>", name="Reshares"))
    top = float(spread["reshares"].max())
    for value, label, colour, level in ((t50, "half", ORANGE, 0.5), (t90, "90%", VERMILION, 0.9)):
        if value is not None and np.isfinite(value):
            fig.add_vline(x=value, line=dict(color=colour, dash="dash", width=2))
            # Each label sits at the height it marks, right of its line, so the two never collide.
            fig.add_annotation(x=value, y=level * top, text=f"{label} by {value:.1f} h", showarrow=False,
                               xanchor="left", yanchor="top", xshift=6, bgcolor="rgba(255,255,255,0.85)",
                               font=dict(size=round(14 * font_scale()), color=colour))
    return finish(fig, title, caption, height=420, x_title="Hours since the original post",
                  y_title="Reshares so far", legend=False)


def reach_vs_followers(reach: pd.DataFrame, caption: str | None = None) -> go.Figure:
    """Reshares an author's posts received against their followers (log-log), with the median per follower band."""
    title = "Front row or back row? Reshares received against followers, per author"
    if reach is None or reach.empty:
        return empty(title)
    d = reach[(reach["followers"] > 0) & (reach["reshares"] > 0)]
    if d.empty:
        return empty(title)
    fig = go.Figure()
    for linked, name, colour in ((False, "Other accounts", OTHER), (True, "Accounts linked to a customer", LINKED)):
        part = d[d["linked"] == linked]
        if part.empty:
            continue
        fig.add_trace(go.Scattergl(
            x=part["followers"], y=part["reshares"], mode="markers", name=name,
            marker=dict(color=colour, size=7 if linked else 6, opacity=0.7 if linked else 0.45),
            customdata=np.stack([_esc(part["author_handle"]), part["cascades"].to_numpy()], axis=1),
            hovertemplate="@%{customdata[0]}<br>%{x:,} followers<br>%{y:,} reshares over %{customdata[1]} "
                          "cascade(s)<extra></extra>"))
    # Median reach in logarithmic follower bands: the trend the cloud hides.
    edges = np.unique(np.round(np.logspace(0, np.log10(d["followers"].max() + 1), 14)).astype(int))
    band = pd.cut(d["followers"], edges, include_lowest=True)
    med = d.groupby(band, observed=True).agg(x=("followers", "median"), y=("reshares", "median"),
                                             n=("reshares", "size"))
    med = med[med["n"] >= 5]
    if len(med) >= 2:
        fig.add_trace(go.Scatter(x=med["x"], y=med["y"], mode="lines+markers", name="Median per follower band",
                                 line=dict(color=ORANGE, width=3), marker=dict(size=8, color=ORANGE),
                                 hovertemplate="about %{x:,.0f} followers: median %{y:,.0f} reshares"
                                               "<extra></extra>"))
    _log_ticks(fig, "x")
    _log_ticks(fig, "y")
    fig.update_layout(legend=_BELOW)
    return finish(fig, title, caption, x_title="Followers of the author (log scale)",
                  y_title="Reshares their posts received (log scale)")


def degrees_of_influence(per_cascade: pd.DataFrame, pooled: pd.Series | None = None, caption: str | None = None,
                         labels: dict | None = None) -> go.Figure:
    """Share of each cascade's resharers at follower-graph distance 1, 2, 3 and further from the original author."""
    title = "Three degrees of influence: how far from the author each resharer sat in the follower graph"
    if per_cascade is None or per_cascade.empty:
        return empty(title, "No cascades to measure under these filters")
    from analysis.cascades import DISTANCE_LABELS

    labels = labels or {}
    rows = [(f"{labels.get(r, r)} ({n:,} resharers)", per_cascade.loc[i, list(DISTANCE_LABELS)].to_numpy(float))
            for i, (r, n) in enumerate(zip(per_cascade["root"], per_cascade["adopters"]))]
    if pooled is not None:
        rows.insert(0, (f"All {len(per_cascade)} together", pooled.to_numpy(float)))
    names = _esc([r[0] for r in rows])[::-1]
    values = np.array([r[1] for r in rows])[::-1]
    fig = go.Figure()
    for k, label in enumerate(DISTANCE_LABELS):
        fig.add_trace(go.Bar(y=names, x=values[:, k], orientation="h", name=label,
                             marker_color=DISTANCE_COLOURS[k],
                             text=[f"{v:.0%}" if v >= 0.06 else "" for v in values[:, k]], textposition="inside",
                             insidetextanchor="middle",
                             hovertemplate="%{y}<br>" + label + ": %{x:.1%}<extra></extra>"))
    height = max(360, 30 * len(rows) + 170)
    # A fixed gap in pixels under the axis title, whatever the chart's height.
    fig.update_layout(barmode="stack", legend={**_BELOW, "traceorder": "normal", "y": -90 / (height - 130)})
    fig.update_xaxes(tickformat=".0%", range=[0, 1.005], tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
    return finish(fig, title, caption, height=height, x_title="Share of the cascade's resharers", y_title="")


# --- simulation lab ------------------------------------------------------------------------------------------
# Each function takes the lab's per-strategy summaries (``analysis.cascades.run_summary``): shares of nodes.


def simulation_reach(summaries: list[dict], caption: str | None = None, threshold: float = 0.5) -> go.Figure:
    """Mean final reach per seeding strategy, with its 95% confidence interval and P(global cascade)."""
    title = "Mean reach per strategy, with 95% CI"
    if not summaries:
        return empty(title, "Run a simulation to see results")
    mean = np.array([s["mean"] for s in summaries], dtype=float)
    lo = np.array([s["ci95"][0] for s in summaries], dtype=float)
    hi = np.array([s["ci95"][1] for s in summaries], dtype=float)
    lo, hi = np.where(np.isnan(lo), mean, lo), np.where(np.isnan(hi), mean, hi)
    n = np.array([s["n_nodes"] for s in summaries], dtype=float)
    pg = np.array([s["p_global"] for s in summaries], dtype=float)
    # P(global cascade) goes under each strategy's name; the mean sits above its error bar.
    names = [f"{html.escape(s['label'])}<br>P(global) {p:.0%}" for s, p in zip(summaries, pg)]
    fig = go.Figure(go.Bar(
        x=names, y=mean, marker_color=[PALETTE[i % len(PALETTE)] for i in range(len(names))],
        error_y=dict(type="data", symmetric=False, array=hi - mean, arrayminus=mean - lo, color="#333",
                     thickness=2, width=10),
        customdata=np.stack([mean * n, lo, hi, pg], axis=1),
        hovertemplate="%{x}<br>mean %{y:.2%} (%{customdata[0]:,.0f} nodes)<br>95% CI %{customdata[1]:.2%} to "
                      "%{customdata[2]:.2%}<br>P(reach > " + f"{threshold:.0%}" + ") %{customdata[3]:.0%}"
                      "<extra></extra>"))
    for x, m, h in zip(names, mean, hi):
        fig.add_annotation(x=x, y=h, text=f"<b>{m:.1%}</b>", showarrow=False, yanchor="bottom", yshift=4,
                           font=dict(size=round(15 * font_scale())))
    fig.update_yaxes(tickformat=".2~%", range=[0, min(1.12, max(0.02, float(np.nanmax(hi))) * 1.2)])
    return finish(fig, title, caption, x_title="Seeding strategy", y_title="Share of the network reached (mean)",
                  legend=False)


def simulation_distribution(summaries: list[dict], caption: str | None = None, threshold: float = 0.5) -> go.Figure:
    """Final reach over the Monte Carlo runs, one box (with its mean) per strategy."""
    title = "How reach varies from run to run"
    if not summaries:
        return empty(title, "Run a simulation to see results")
    fig = go.Figure()
    for i, s in enumerate(summaries):
        fig.add_trace(go.Box(y=s["runs"], name=html.escape(s["label"]), boxpoints="outliers", boxmean=True,
                             marker_color=PALETTE[i % len(PALETTE)], hovertemplate="%{y:.1%}<extra></extra>"))
    top = max(float(np.nanmax([np.nanmax(s["runs"]) for s in summaries])), 0.0)
    # Small cascades would vanish on a 0-100% axis; the global-cascade line is drawn only when in view.
    upper = min(1.05, max(top * 1.15, 0.02))
    if threshold <= upper:
        fig.add_hline(y=threshold, line=dict(color=GREY, dash="dot", width=2),
                      annotation=dict(text=f"global cascade: more than {threshold:.0%}", font=dict(color="#555")))
    fig.update_yaxes(tickformat=".2~%", range=[0, upper])
    return finish(fig, title, caption, x_title="Seeding strategy", y_title="Share of the network reached in one run",
                  legend=False)


def simulation_curves(summaries: list[dict], caption: str | None = None) -> go.Figure:
    """Mean share adopted after each step, one line per strategy."""
    title = "Adoption over time: mean share adopted after each step"
    if not summaries:
        return empty(title, "Run a simulation to see results")
    fig = go.Figure()
    for i, s in enumerate(summaries):
        y = np.asarray(s["curve"], dtype=float)
        fig.add_trace(go.Scatter(x=np.arange(len(y)), y=y, mode="lines+markers", name=html.escape(s["label"]),
                                 line=dict(color=PALETTE[i % len(PALETTE)], width=3), marker=dict(size=6),
                                 hovertemplate="step %{x}: %{y:.2%}<extra></extra>"))
    fig.update_yaxes(tickformat=".2~%", rangemode="tozero")
    fig.update_layout(legend=_BELOW)
    return finish(fig, title, caption, x_title="Step (0 = the seeds and first reactions)",
                  y_title="Share adopted so far (mean over runs)")


def tree_html(sample: pd.DataFrame, height_px: int = 560, labelled: int = 12) -> str:
    """The sampled tree as a safe offline pyvis page: the original as an orange star, linked customers in blue.

    Only the root and the ``labelled`` accounts with most direct reshares carry a visible label; every
    node has a plain-text tooltip (handle, customer link, time, sentiment, text).
    """
    from analysis.charts import network  # pyvis: loaded only when a tree is drawn

    if sample.empty:
        return network.network_html([], [], height_px=height_px)
    pos = pd.Index(sample["post_id"])
    parent_pos = pos.get_indexer(sample["parent"].where(sample["parent"].notna(), None))
    children = np.bincount(parent_pos[parent_pos >= 0], minlength=len(sample))
    busiest = np.argsort(-children, kind="stable")[:labelled]
    hubs = set(busiest[children[busiest] > 1].tolist())
    t = pd.to_datetime(pd.Series(sample["created_at"], dtype=object), format="ISO8601", errors="coerce")
    h = ((t - pd.Timestamp("1970-01-01")) / pd.Timedelta(hours=1)).to_numpy(dtype=np.float64, na_value=np.nan)
    t0 = h[0]
    nodes = []
    for i, row in enumerate(sample.itertuples(index=False)):
        is_root = row.depth == 0
        linked = isinstance(row.customer_id, str) and row.customer_id != ""
        lines = [f"@{row.author_handle}" + (f" · customer {row.customer_id}" if linked else "")]
        when = str(row.created_at)[:16]
        lines.append(when if is_root else f"{when} · {h[i] - t0:+.1f} h after the original")
        if is_root:
            lines.append("Original post")
        else:
            lines.append(f"Reshare, {row.depth} step{'s' if row.depth > 1 else ''} from the original")
        if children[i]:
            lines.append(f"Reshared directly {children[i]:,} time{'s' if children[i] > 1 else ''}")
        if row.sentiment is not None and np.isfinite(row.sentiment):
            lines.append(f"Sentiment {row.sentiment:+.2f}")
        if isinstance(getattr(row, "text", None), str) and (is_root or not row.text.startswith("RT ")):
            lines.append(row.text)
        label = f"@{row.author_handle}" if is_root or i in hubs else ""
        nodes.append(network.Node(
            label=label, title="\n".join(lines), color=ORANGE if is_root else (BLUE if linked else GREY),
            size=26.0 if is_root else float(7 + 3 * np.sqrt(children[i])), shape="star" if is_root else "dot",
            # Labels shrink with the zoom that fits a few hundred nodes: start them large.
            font_size=34 if is_root else 24))
    edges = [(int(p), i) for i, p in enumerate(parent_pos) if p >= 0]
    return network.network_html(nodes, edges, height_px=height_px)
