"""Figures of the Customer 360 page: one customer's timeline on the public-private continuum."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from analysis.charts import BLACK, GREY, NEGATIVE, NEUTRAL, POSITIVE, PUBLIC, empty, finish

LABEL_COLOURS = {"positive": POSITIVE, "neutral": NEUTRAL, "negative": NEGATIVE, "none": "#FFFFFF"}
LABEL_NAMES = {"positive": "Positive (≥ +0.05)", "neutral": "Neutral", "negative": "Negative (≤ −0.05)",
               "none": "No text to score"}
SYMBOLS = {"inbound": "circle", "outbound": "diamond"}


def _hover_text(text, limit: int = 160) -> str:
    """Imported text in a hover label: shortened and escaped (Plotly reads some HTML tags)."""
    if not isinstance(text, str) or not text:
        return "(no text)"
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return html.escape(short)


def place_order(items: pd.DataFrame) -> list[str]:
    """Places on the y axis from least public (bottom) to most public (top)."""
    places = items.groupby("place", sort=False)["publicness"].max().reset_index()
    places = places.sort_values(["publicness", "place"], ascending=[True, False])
    return places["place"].tolist()


def timeline(items: pd.DataFrame, caption: str | None = None, public_threshold: float = 0.5) -> go.Figure:
    """Every interaction and post of one customer: x time, y channel ordered by publicness.

    Colour: sentiment label; shape: who spoke (circle the customer, diamond the company);
    grey lines join the touches of a service thread; stars mark the moments the customer
    went public during an open thread.
    """
    title = "Everything with this customer, from private (bottom) to public (top)"
    if items is None or items.empty:
        return empty(title, "No interaction or post for this customer")
    order = place_order(items)
    pos = {p: i for i, p in enumerate(order)}
    fig = go.Figure()
    publicness = items.groupby("place")["publicness"].max()
    public_rows = [pos[p] for p in order if publicness.get(p, 0) >= public_threshold]
    if public_rows:
        fig.add_hrect(y0=min(public_rows) - 0.5, y1=len(order) - 0.5, fillcolor=PUBLIC, opacity=0.08,
                      line_width=0, layer="below")
        # Named in the legend rather than on the plot, where it would cover the latest items.
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"Public channels (≥ {public_threshold:g})",
                                 marker=dict(symbol="square", size=14, color=PUBLIC, opacity=0.25)))

    threads = items[items["thread_id"].notna() & (items["source"] == "interaction")]
    multi = threads.groupby("thread_id").filter(lambda g: len(g) > 1) if len(threads) else threads
    if len(multi):
        xs, ys = [], []
        for _, g in multi.sort_values("when").groupby("thread_id", sort=False):
            xs += g["when"].tolist() + [None]
            ys += g["place"].tolist() + [None]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="Touches of one thread",
                                 line=dict(color=GREY, width=1.2), hoverinfo="skip", connectgaps=False))

    for lab in ("negative", "neutral", "positive", "none"):
        part = items[items["label"] == lab]
        if part.empty:
            continue
        who = part["direction"].map({"inbound": "from the customer", "outbound": "from the company"})
        custom = pd.DataFrame({
            "kind": part["kind"].fillna(""), "who": who.fillna(""),
            "thread": part["thread_id"].fillna("–").map(lambda t: html.escape(str(t))),
            "score": part["sentiment"].map(lambda s: f"{s:+.2f}" if pd.notna(s) else "none"),
            "text": part["text"].map(_hover_text), "place": part["place"].map(lambda t: html.escape(str(t))),
        })
        fig.add_trace(go.Scatter(
            x=part["when"], y=part["place"], mode="markers", name=LABEL_NAMES[lab],
            marker=dict(color=LABEL_COLOURS[lab], size=11, symbol=part["direction"].map(SYMBOLS).fillna("circle"),
                        line=dict(color=BLACK if lab == "none" else "#333333", width=1)),
            customdata=custom.to_numpy(),
            hovertemplate="<b>%{x|%d %b %Y %H:%M}</b> · %{customdata[5]}<br>%{customdata[0]} %{customdata[1]}"
                          "<br>thread %{customdata[2]} · sentiment %{customdata[3]}<br>%{customdata[4]}"
                          "<extra></extra>"))

    public = items[items["went_public"]]
    if len(public):
        fig.add_trace(go.Scatter(x=public["when"], y=public["place"], mode="markers",
                                 name="Went public during an open thread",
                                 # Open, so the sentiment colour of the item stays visible inside.
                                 marker=dict(symbol="star-open", size=26, color=BLACK, line=dict(width=2)),
                                 hovertemplate="%{x|%d %b %Y}: went public on %{y}<extra></extra>"))
    # Shape legend: who spoke.
    for direction, name in (("inbound", "● the customer spoke"), ("outbound", "◆ the company spoke")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name,
                                 marker=dict(symbol=SYMBOLS[direction], size=11, color="#FFFFFF",
                                             line=dict(color=BLACK, width=1.5))))
    # Legend-only traces carry no dates, so the axis type is set rather than guessed from the first trace.
    fig.update_xaxes(type="date")
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=order, range=[-0.6, len(order) - 0.4])
    fig.update_layout(legend=dict(orientation="h", y=-0.16, x=0), hovermode="closest")
    return finish(fig, title, caption, height=max(380, 46 * len(order) + 200), x_title="Date",
                  y_title="Channel (most public at the top)")
