"""Figures of the Continuum page: channels from public to private, their mix over time, journeys,
going public, talk/listen and the what-if model."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from analysis.charts import (
    BLACK,
    BLUE,
    DIVERGING,
    GREY,
    NEGATIVE,
    ORANGE,
    POSITIVE,
    PRIVATE,
    PUBLIC,
    PURPLE,
    VERMILION,
    empty,
    escape,
    finish,
)

# Colour along the continuum: public (orange) through grey to private (blue), both ends colour-blind safe.
CONTINUUM_SCALE = [[0.0, BLUE], [0.5, "#D9D9D9"], [1.0, ORANGE]]
CROSSING_COLOURS = {"stayed on one side": GREY, "taken private": BLUE, "went public": VERMILION,
                    "taken private and went public": PURPLE}
OUTCOME_COLOURS = {"vent": NEGATIVE, "kudos": POSITIVE, "escalated": VERMILION}
OUTCOME_NAMES = {"vent": "Public vent (negative post)", "kudos": "Kudos (positive post)",
                 "escalated": "Escalated (posted again in public after the brand's reply)"}


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


_esc = escape  # channel labels and other names come from imported data


def _fmt_int(v) -> str:
    return f"{int(v):,}"


def continuum_colour(publicness: float) -> str:
    return sample_colorscale(CONTINUUM_SCALE, [float(np.clip(publicness, 0, 1))])[0]


def channel_continuum(table: pd.DataFrame, caption: str | None = None, focus=(), threshold: float = 0.5) -> go.Figure:
    """Every channel on the public↔private axis (public on the left): height is the share of customers
    who used it, size the number of touches, colour the mean sentiment of what customers said there."""
    title = "Every channel from public to private: who uses it, how much, and in what mood"
    t = table[table["total"] > 0] if table is not None and len(table) else pd.DataFrame()
    if t.empty:
        return empty(title)
    focus = set(focus or [])
    size = 12 + 38 * np.sqrt(t["total"] / t["total"].max())
    opacity = np.where(t["channel"].isin(focus) | (not focus), 0.95, 0.3)
    t = t.assign(label=t["label"].map(_esc))
    custom = np.column_stack([
        t["channel"], t["label"], t["inbound"].map(_fmt_int), t["outbound"].map(_fmt_int),
        t["customers"].map(_fmt_int), t["talk_share"].map(lambda v: "–" if pd.isna(v) else f"{v:.0%}"),
        t["sentiment"].map(lambda v: "no text to score" if pd.isna(v) else f"{v:+.2f}"),
        t["sentiment_source"].replace("", "–"), t["publicness"].map(lambda v: f"{v:.2f}"),
    ])
    hover = ("<b>%{customdata[1]}</b> (publicness %{customdata[8]})<br>"
             "Customers → company: %{customdata[2]}<br>Company → customers: %{customdata[3]}<br>"
             "Customers who used it: %{customdata[4]} (%{y:.0%})<br>Company talk share: %{customdata[5]}<br>"
             "Mean sentiment: %{customdata[6]} (%{customdata[7]})<extra>Click to focus</extra>")
    scored = t["sentiment"].notna().to_numpy()
    fig = go.Figure()
    fig.add_vline(x=threshold, line=dict(color=GREY, dash="dash", width=1.5))
    fig.add_annotation(x=1.06, y=1.0, yref="paper", xanchor="left", yanchor="bottom", showarrow=False,
                       text="◀ PUBLIC · social (posts, public replies, reviews)", font=dict(size=14, color="#9a6200"))
    fig.add_annotation(x=-0.06, y=1.0, yref="paper", xanchor="right", yanchor="bottom", showarrow=False,
                       text="PRIVATE · one to one (DM, email, phone, store) ▶", font=dict(size=14, color=BLUE))
    # Neighbours along the axis take turns above and below their marker, so labels do not collide.
    rank = np.argsort(np.argsort(-t["publicness"].to_numpy(), kind="mergesort"), kind="mergesort")
    positions = np.where(rank % 2 == 0, "top center", "bottom center")
    common = dict(mode="markers+text", textfont=dict(size=LABEL_FONT_PX), hovertemplate=hover)
    fig.add_trace(go.Scatter(
        x=t["publicness"][scored], y=t["customer_share"][scored], text=t["label"][scored],
        textposition=positions[scored], customdata=custom[scored], name="Channel (colour: mean sentiment)",
        marker=dict(size=size[scored], color=t["sentiment"][scored], colorscale=DIVERGING, cmin=-0.5, cmax=0.5,
                    opacity=opacity[scored], line=dict(color="#333", width=1),
                    colorbar=dict(title=dict(text="Mean sentiment<br>(VADER)", side="top", font=dict(size=13)),
                                  thickness=14, len=0.75, tickvals=[-0.42, 0, 0.42],
                                  ticktext=["negative", "neutral", "positive"])), **common))
    if (~scored).any():
        fig.add_trace(go.Scatter(
            x=t["publicness"][~scored], y=t["customer_share"][~scored], text=t["label"][~scored],
            textposition=positions[~scored], customdata=custom[~scored], name="No customer text to score",
            marker=dict(size=size[~scored], color="white", opacity=opacity[~scored],
                        line=dict(color=GREY, width=2)), **common))
    fig.update_xaxes(range=[1.08, -0.08], tickvals=[1, 0.75, 0.5, 0.25, 0],
                     ticktext=["1 · public", "0.75", "0.5", "0.25", "0 · private"])
    fig.update_yaxes(tickformat=".0%", tickvals=[0, 0.2, 0.4, 0.6, 0.8, 1.0])
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.18, x=0), clickmode="event+select",
                      margin=dict(t=110))
    fig = finish(fig, title, caption, height=560, x_title="Publicness of the channel (editable below)",
                 y_title="Share of active customers who used it")
    # The y range is set once the figure's height and margins are known: room in pixels for every bubble
    # and its label, turned into data units, so the largest bubble at 100% keeps its label in the plot.
    layout = fig.layout
    plot_px = layout.height - layout.margin.t - layout.margin.b
    fig.layout.yaxis.range = label_room(t["customer_share"].to_numpy(float), size.to_numpy(float),
                                        positions == "top center", LABEL_FONT_PX, plot_px, include=(0.0, 0.2))
    return fig


# Plotly draws a marker's text ``radius / 0.8 + 1`` px from its centre (room for larger symbols), the line
# of text beyond that (plotly.js Drawing.textPointPosition); a line of text is about 1.2 font sizes tall.
LABEL_GAP_PX = 6  # between a label and the plot's edge
LABEL_FONT_PX = 14  # the channel labels beside the bubbles


def label_room(y: np.ndarray, size: np.ndarray, above: np.ndarray, font_px: float, plot_px: float,
               include: Iterable[float] = ()) -> list[float]:
    """The y-axis range [low, high] in which every marker (diameter ``size`` px, centred at ``y``) and its
    label (over the marker where ``above``, under it elsewhere) stay inside a plot ``plot_px`` high.

    The room a label needs is in pixels, and a pixel's worth of data depends on the range itself, so the
    range is found by fixed-point iteration (it contracts: all the room needed is well under the plot's
    height). ``include``: values the range must show as well (0% and the first gridline above it, so a
    chart of small shares still has an axis to read).
    """
    y, size, above = np.asarray(y, float), np.asarray(size, float), np.asarray(above, bool)
    label = size / 1.6 + 1 + 1.2 * font_px
    up = np.where(above, label, size / 2) + LABEL_GAP_PX
    down = np.where(above, size / 2, label) + LABEL_GAP_PX
    extra = np.asarray(list(include), float)
    y = np.concatenate([y, extra])
    up, down = (np.concatenate([a, np.full(len(extra), float(LABEL_GAP_PX))]) for a in (up, down))
    # A plot too short for the largest bubble and its label gets the room it needs in data units anyway.
    plot_px = max(float(plot_px), 2.0 * float(up.max() + down.max()))
    low, high = float(y.min()), float(y.max())
    for _ in range(200):
        per_px = (high - low) / plot_px
        new_low, new_high = float((y - down * per_px).min()), float((y + up * per_px).max())
        if abs(new_low - low) < 1e-12 and abs(new_high - high) < 1e-12:
            break
        low, high = new_low, new_high
    return [low, high]


def channel_mix_over_time(monthly: pd.DataFrame, caption: str | None = None, focus=()) -> go.Figure:
    """Each channel's share of the month's touches: channels in rows from public (top) to private (bottom)."""
    title = "Channel mix per month: each channel's share of the touches"
    if monthly is None or monthly.empty:
        return empty(title)
    m = monthly if not list(focus or []) else monthly[monthly["channel"].isin(list(focus))]
    if m.empty:
        return empty(title)
    per = m.groupby(["month", "channel"], dropna=False)["n"].sum().reset_index()
    per["share"] = per["n"] / per.groupby("month")["n"].transform("sum")
    rows = (m.groupby(["channel", "label", "side"], dropna=False)["publicness"].first().reset_index()
            .sort_values(["publicness", "channel"], ascending=[True, False]))
    share = per.pivot(index="channel", columns="month", values="share").reindex(rows["channel"]).fillna(0.0)
    counts = per.pivot(index="channel", columns="month", values="n").reindex(rows["channel"]).fillna(0)
    names = [f"{_esc(lbl)} ({p:.2f})" for lbl, p in zip(rows["label"], rows["publicness"])]
    fig = go.Figure(go.Heatmap(
        z=share.to_numpy(), x=list(share.columns), y=names, customdata=counts.to_numpy(),
        colorscale=[[0.0, "#F4F4F4"], [1.0, BLUE]], zmin=0, xgap=2, ygap=2,
        texttemplate="%{z:.0%}", textfont=dict(size=11),
        colorbar=dict(title=dict(text="Share", side="top"), tickformat=".0%", thickness=14, len=0.8),
        hovertemplate="%{y}, %{x}: %{z:.1%} of the month's touches (%{customdata:,.0f})<extra></extra>"))
    n_private = int((rows["side"] == "private").sum())
    if 0 < n_private < len(rows):
        fig.add_hline(y=n_private - 0.5, line=dict(color=ORANGE, width=3))
        title += "<br>Public channels above the orange line"
    return finish(fig, title, caption, height=max(360, 30 * len(rows) + 170), x_title="Month",
                  y_title="Channel (publicness)", legend=False)


def journey_sankey(moves: pd.DataFrame, labels: dict[str, str], caption: str | None = None, *,
                   level: str = "channel", max_links: int = 30) -> go.Figure:
    """Moves inside conversations: from the channel on the left to the next channel on the right.

    ``moves`` has src, dst, n, src_side, dst_side. ``level`` 'side' merges channels into the halves.
    """
    title = ("Where conversations move next: from channel (left) to channel (right)" if level == "channel"
             else "Moves between the public and the private half of the continuum")
    if moves is None or moves.empty:
        return empty(title, "No conversation changed channel under these filters")
    if level == "side":
        m = moves.groupby(["src_side", "dst_side"])["n"].sum().reset_index()
        m["src"], m["dst"] = m["src_side"], m["dst_side"]
        names = {"public": "Public half", "private": "Private half"}
    else:
        m = moves.copy()
        names = labels
    total_moves = int(m["n"].sum())
    m = m.sort_values("n", ascending=False).head(max_links)
    left = list(dict.fromkeys(m.sort_values("src_side", ascending=False)["src"]))
    right = list(dict.fromkeys(m.sort_values("dst_side", ascending=False)["dst"]))
    side_of = {**dict(zip(m["src"], m["src_side"])), **dict(zip(m["dst"], m["dst_side"]))}
    out_n = m.groupby("src")["n"].sum()
    in_n = m.groupby("dst")["n"].sum()
    node_labels = [f"{_esc(names.get(c, c))} · {out_n[c]:,}" for c in left] + \
        [f"{_esc(names.get(c, c))} · {in_n[c]:,} " for c in right]
    node_colours = [PUBLIC if side_of[c] == "public" else PRIVATE for c in left + right]
    src_idx = [left.index(c) for c in m["src"]]
    dst_idx = [len(left) + right.index(c) for c in m["dst"]]

    def link_colour(a, b):
        if a == "public" and b == "private":
            return _rgba(BLUE, 0.45)
        if a == "private" and b == "public":
            return _rgba(VERMILION, 0.7)
        return _rgba(GREY, 0.3)

    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=node_labels, color=node_colours, pad=14, thickness=18, line=dict(color="white", width=0.5),
                  hovertemplate="%{label}: %{value:,} moves<extra></extra>"),
        link=dict(source=src_idx, target=dst_idx, value=m["n"].tolist(),
                  color=[link_colour(a, b) for a, b in zip(m["src_side"], m["dst_side"])],
                  hovertemplate="%{source.label} → %{target.label}: %{value:,} moves<extra></extra>"),
        textfont=dict(size=15, color="#222")))
    drawn = int(m["n"].sum())
    note = ("" if drawn == total_moves else
            f"<br>Drawn: the {len(m)} largest flows, {drawn:,} of {total_moves:,} moves")
    fig.add_annotation(x=0, y=-0.04, xref="paper", yref="paper", showarrow=False, xanchor="left", yanchor="top",
                       align="left",
                       text="Orange nodes: public channels · blue nodes: private · red-orange flows went public · "
                            "blue flows were taken private · grey stayed on one side" + note,
                       font=dict(size=13, color="#444"))
    fig.update_layout(margin=dict(b=90))
    return finish(fig, title, caption, height=560 if level == "channel" else 380, legend=False)


def _shorten_path(label: str, limit: int = 56) -> str:
    """A long journey keeps its first two and last two steps."""
    parts = label.split(" → ")
    if len(label) <= limit or len(parts) <= 4:
        return label
    return " → ".join([*parts[:2], "…", *parts[-2:]])


def common_paths(paths: pd.DataFrame, caption: str | None = None, *, max_paths: int = 12,
                 focus_path: str | None = None) -> go.Figure:
    """The commonest journeys (channels in order, repeats collapsed), coloured by how they crossed."""
    title = "The commonest journeys through the channels (click one to focus on it)"
    if paths is None or paths.empty:
        return empty(title)
    p = paths.head(max_paths).reset_index(drop=True)
    # Ranked labels stay unique even when two long journeys share their first steps.
    p = p.assign(label=p["label"].map(_esc))
    short = [f"{i + 1}. " + _shorten_path(lbl) for i, lbl in enumerate(p["label"])]
    p, short = p.iloc[::-1], short[::-1]
    fig = go.Figure()
    for crossing, colour in CROSSING_COLOURS.items():
        part = p["crossing"] == crossing
        if not part.any():
            continue
        idx = np.flatnonzero(part.to_numpy())
        fig.add_trace(go.Bar(
            y=[short[i] for i in idx], x=p["n"].to_numpy()[idx], orientation="h", name=crossing.capitalize(),
            marker=dict(color=colour, line=dict(color=np.where(p["path"].to_numpy()[idx] == focus_path, BLACK,
                                                               "white"), width=2)),
            customdata=np.column_stack([p["path"].to_numpy()[idx], p["label"].to_numpy()[idx],
                                        p["share"].to_numpy()[idx], p["resolved_share"].to_numpy()[idx]]),
            text=[f"{n:,} ({s:.0%})" for n, s in zip(p["n"].to_numpy()[idx], p["share"].to_numpy()[idx])],
            textposition="outside", cliponaxis=False,
            hovertemplate="%{customdata[1]}<br>%{x:,} conversations (%{customdata[2]:.1%})<br>"
                          "Resolved: %{customdata[3]:.0%}<extra>Click to focus</extra>"))
    fig.update_yaxes(categoryorder="array", categoryarray=short, tickfont=dict(size=13))
    fig.update_xaxes(range=[0, float(p["n"].max()) * 1.25])
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, x=1, xanchor="right"),
                      clickmode="event+select", barmode="overlay", margin=dict(t=110))
    return finish(fig, title, caption, height=max(360, 34 * len(p) + 180), x_title="Conversations",
                  y_title="")


def going_public_rates(rates: pd.DataFrame, title: str, caption: str | None = None, *, x_title: str = "",
                       order: list[str] | None = None) -> go.Figure:
    """Share of conversations followed by a public vent / kudos per group, with 95% Wilson intervals."""
    if rates is None or rates.empty or rates["n"].sum() == 0:
        return empty(title)
    r = rates[rates["n"] > 0].assign(bin=lambda d: d["bin"].map(_esc))
    order = [_esc(b) for b in order] if order else order
    fig = go.Figure()
    for outcome in ("vent", "kudos", "escalated"):
        part = r[r["outcome"] == outcome]
        if part.empty:
            continue
        fig.add_trace(go.Bar(
            x=part["bin"], y=part["rate"], name=OUTCOME_NAMES[outcome], marker_color=OUTCOME_COLOURS[outcome],
            error_y=dict(type="data", symmetric=False, array=(part["high"] - part["rate"]).to_numpy(),
                         arrayminus=(part["rate"] - part["low"]).to_numpy(), color="#333", thickness=1.5, width=5),
            customdata=np.column_stack([part["events"], part["n"], part["low"], part["high"]]),
            hovertemplate="%{x}: %{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})<br>"
                          "95% interval %{customdata[2]:.1%} to %{customdata[3]:.1%}<extra></extra>"))
    if order:
        present = [b for b in order if b in set(r["bin"])]
        fig.update_xaxes(categoryorder="array", categoryarray=present)
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    fig.update_layout(barmode="group", legend=dict(orientation="h", yanchor="top", y=-0.3, x=0))
    # n under each group, so a wide interval is read as a small group, not a big effect.
    counts = r.drop_duplicates("bin").set_index("bin")["n"]
    fig.update_xaxes(ticktext=[f"{b}<br><span style='font-size:12px;color:#555'>n={counts[b]:,}</span>"
                               for b in counts.index],
                     tickvals=list(counts.index))
    return finish(fig, title, caption, height=480, x_title=x_title, y_title="Share of conversations (95% CI)")


def talk_listen(per_channel: pd.DataFrame, caption: str | None = None, *, overall: float | None = None,
                rule: float = 0.25) -> go.Figure:
    """The company's share of each channel's touches (talk) against the 25% rule of thumb."""
    title = "How much the company talks: outbound share of touches per channel"
    if per_channel is None or per_channel.empty or per_channel["total"].sum() == 0:
        return empty(title)
    p = per_channel[per_channel["total"] > 0].sort_values("publicness", ascending=True)
    names = [_esc(lbl) for lbl in p["label"]]
    colours = [PUBLIC if s == "public" else PRIVATE for s in p["side"]]
    values = list(p["talk_share"])
    totals = list(p["total"])
    if overall is not None and not np.isnan(overall):
        names, colours, values, totals = names + ["All channels"], colours + [BLACK], values + [overall], \
            totals + [int(p["total"].sum())]
    fig = go.Figure(go.Bar(
        y=names, x=values, orientation="h", marker_color=colours, text=[f"{v:.0%}" for v in values],
        textposition="outside", cliponaxis=False, customdata=totals,
        hovertemplate="%{y}: the company sent %{x:.0%} of %{customdata:,} touches<extra></extra>"))
    fig.add_vline(x=rule, line=dict(color=VERMILION, dash="dash", width=2))
    fig.add_annotation(x=rule, y=1.0, yref="paper", yanchor="bottom", showarrow=False, xanchor="left",
                       text=f" Rule of thumb: talk {rule:.0%}, listen {1 - rule:.0%}",
                       font=dict(size=13, color=VERMILION))
    fig.update_xaxes(tickformat=".0%", range=[0, 1.12])
    fig.update_yaxes(categoryorder="array", categoryarray=names)
    return finish(fig, title, caption, height=max(340, 32 * len(names) + 160),
                  x_title="Company's share of the touches (outbound ÷ all); orange public, blue private",
                  legend=False)


def talk_listen_over_time(over_time: pd.DataFrame, caption: str | None = None, *, rule: float = 0.25) -> go.Figure:
    title = "The company's talk share per month, overall and per half"
    if over_time is None or over_time.empty:
        return empty(title)
    fig = go.Figure()
    for scope, colour in (("All channels", BLACK), ("Public half", PUBLIC), ("Private half", PRIVATE)):
        part = over_time[over_time["scope"] == scope]
        if part.empty:
            continue
        fig.add_trace(go.Scatter(x=part["month"], y=part["talk_share"], name=scope, mode="lines+markers",
                                 line=dict(color=colour, width=3 if scope == "All channels" else 2),
                                 customdata=part["total"],
                                 hovertemplate=scope + " %{x}: %{y:.0%} of %{customdata:,} touches<extra></extra>"))
    fig.add_hline(y=rule, line=dict(color=VERMILION, dash="dash", width=2),
                  annotation_text=f"Rule of thumb {rule:.0%}", annotation_position="top left",
                  annotation_font=dict(color=VERMILION, size=13))
    fig.update_yaxes(tickformat=".0%", range=[0, 1])
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.25, x=0))
    return finish(fig, title, caption, height=460, x_title="Month", y_title="Company's share of the touches")


def whatif_effect(effects: dict[str, dict], caption: str | None = None, *, whatif: str = "") -> go.Figure:
    """Expected public vents and kudos now (fitted) and under the what-if, with 95% intervals."""
    title = "Expected public vents and kudos: now and under the what-if"
    if not effects:
        return empty(title, "No model could be fitted under these filters")
    outcomes = [o for o in ("vent", "kudos") if o in effects]
    groups, bars, vals, lo, hi, colours, text = [], [], [], [], [], [], []
    for o in outcomes:
        e = effects[o]
        for which, label in (("baseline", "As now (model)"), ("whatif", "What if")):
            groups.append(OUTCOME_NAMES[o])
            bars.append(label)
            vals.append(e[which])
            lo.append(e[which] - e[f"{which}_low"])
            hi.append(e[f"{which}_high"] - e[which])
            colours.append(GREY if which == "baseline" else OUTCOME_COLOURS[o])
            text.append(f"{e[which]:,.0f}" if which == "baseline" else
                        f"{e['whatif']:,.0f}<br>({e['change']:+,.0f}; {e['change_low']:+,.0f} to "
                        f"{e['change_high']:+,.0f})")
    fig = go.Figure(go.Bar(
        x=[groups, bars], y=vals, marker_color=colours, text=text, textposition="inside",
        insidetextanchor="middle", textfont=dict(color="white", size=15),
        error_y=dict(type="data", symmetric=False, array=hi, arrayminus=lo, color="#333", thickness=1.5, width=6),
        hovertemplate="%{x}: %{y:,.0f} expected<extra></extra>"))
    top = max(max(effects[o]["whatif_high"], effects[o]["baseline_high"]) for o in outcomes)
    fig.update_yaxes(range=[0, top * 1.1], rangemode="tozero")
    if whatif:
        fig.add_annotation(x=0, y=-0.2, xref="paper", yref="paper", showarrow=False, xanchor="left",
                           text=whatif, font=dict(size=13, color="#444"))
        fig.update_layout(margin=dict(b=90))
    return finish(fig, title, caption, height=460, x_title="", y_title="Expected conversations (95% interval)",
                  legend=False)


def calibration(calib: pd.DataFrame, outcome: str, caption: str | None = None) -> go.Figure:
    """Predicted against observed share per decile of predicted risk: on the diagonal is well calibrated."""
    title = f"Calibration of the {OUTCOME_NAMES.get(outcome, outcome).lower()} model by decile"
    if calib is None or calib.empty:
        return empty(title)
    top = float(max(calib["high"].max(), calib["predicted"].max())) * 1.1
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, top], y=[0, top], mode="lines", name="Perfect calibration",
                             line=dict(color=GREY, dash="dash")))
    fig.add_trace(go.Scatter(
        x=calib["predicted"], y=calib["observed"], mode="markers", name="Decile (observed, 95% CI)",
        marker=dict(size=10, color=OUTCOME_COLOURS.get(outcome, BLUE)),
        error_y=dict(type="data", symmetric=False, array=calib["high"] - calib["observed"],
                     arrayminus=calib["observed"] - calib["low"], color="#555"),
        customdata=np.column_stack([calib["group"], calib["n"], calib["events"]]),
        hovertemplate="Decile %{customdata[0]}: predicted %{x:.1%}, observed %{y:.1%} "
                      "(%{customdata[2]:,} of %{customdata[1]:,})<extra></extra>"))
    fig.update_xaxes(tickformat=".0%", range=[0, top])
    fig.update_yaxes(tickformat=".0%", range=[0, top])
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22, x=0))
    return finish(fig, title, caption, height=440, x_title="Predicted share", y_title="Observed share")


__all__ = ["channel_continuum", "channel_mix_over_time", "journey_sankey", "common_paths", "going_public_rates",
           "talk_listen", "talk_listen_over_time", "whatif_effect", "calibration"]
