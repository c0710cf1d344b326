"""Customer 360: one customer's whole history across channels, with signals to act on."""

import html

import pandas as pd
import streamlit as st

import ui
from analysis import customer_360
from analysis.charts import customer_360 as figures
from analysis.publicness import PUBLIC_THRESHOLD
from ui import sentiment_tools

ui.page_intro(
    "customer_360",
    "Customer 360",
    "One customer, everything at once: what they did **with** the company (orders, calls, emails, chats, "
    "complaints) and what they said **in public** (posts, replies, reviews), on one timeline from private "
    "to public, with the signals a service or marketing lead can act on.",
)
if ui.no_data_notice():
    st.stop()


def _open(customer_id: str) -> None:
    st.session_state["customer"] = customer_id


def _canonical() -> None:
    """An exact id, email or handle typed in becomes the customer's id, so the URL names the customer."""
    cid, _ = ui.cached(customer_360.resolve, st.session_state.get("customer") or "")
    if cid is not None:
        st.session_state["customer"] = cid


def _day(ts) -> str:
    return "–" if ts is None or pd.isna(ts) else f"{pd.Timestamp(ts):%d %b %Y}"


def _iso(ts) -> str:
    return "–" if ts is None or pd.isna(ts) else f"{pd.Timestamp(ts):%Y-%m-%d}"


f = ui.filters()
query = st.text_input("Find a customer", key="customer", bind="query-params", persist_state="session",
                      on_change=_canonical,
                      placeholder="Customer id (C000123), name, email or social handle (@handle)",
                      help="Ids, emails and handles open the customer at once; names list the matches. "
                           "The URL keeps the customer, so a link reopens this view.")
customer_id, candidates = ui.cached(customer_360.resolve, query or "")

if customer_id is None:
    if query:
        if candidates.empty:
            st.info("No customer's id, email, name or linked handle starts with that.")
        else:
            names = dict(zip(candidates["customer_id"], candidates["name"].fillna("")))
            c = st.columns([4, 1], vertical_alignment="bottom")
            pick = c[0].selectbox(f"Matches ({len(candidates):,}{'+' if len(candidates) >= 20 else ''})",
                                  candidates["customer_id"].tolist(), key="c360_pick",
                                  format_func=lambda cid: f"{names.get(cid, '')} · {cid}")
            c[1].button("Open", key="c360_open", type="primary", on_click=_open, args=(pick,))
            ui.text_table(pd.DataFrame({
                "Customer": [ui.customer_url(x) for x in candidates["customer_id"]],
                "Name": candidates["name"], "Email": candidates["email"], "Segment": candidates["segment"],
                "Region": candidates["region"], "Matched on": candidates["matched"],
            }), column_config={"Customer": st.column_config.LinkColumn(display_text=r"customer=(.*)$")})
    else:
        st.markdown("**Customers who recently opened a conversation in public**")
        recent = ui.cached(customer_360.recent_public_complaints, 8)
        if recent.empty:
            st.caption("No conversation opened on a public channel in the data (an inbound touch whose kind "
                       "means 'opens').")
        else:
            ui.text_table(pd.DataFrame({
                "Customer": [ui.customer_url(x) for x in recent["customer_id"]], "Name": recent["name"],
                "Segment": recent["segment"], "Opened on": recent["occurred_at"], "Channel": recent["channel"],
            }), column_config={"Customer": st.column_config.LinkColumn(display_text=r"customer=(.*)$")})
            c = st.columns([4, 1], vertical_alignment="bottom")
            names = dict(zip(recent["customer_id"], recent["name"].fillna("")))
            pick = c[0].selectbox("Open one of them", recent["customer_id"].tolist(), key="c360_recent",
                                  format_func=lambda cid: f"{names.get(cid, '')} · {cid}")
            c[1].button("Open", key="c360_open_recent", type="primary", on_click=_open, args=(pick,))
    st.stop()

v = ui.cached(customer_360.view, customer_id)
if v is None:
    st.info("That customer is no longer in the data.")
    st.stop()
c = v.customer
as_of = _day(v.as_of)
scope = f"{customer_id}: whole history up to {as_of}, the last day in the data."
if f.caption() != "All data":
    scope += f" The sidebar filters ({f.caption()}) do not narrow one customer's view."

st.html(f"<div style='font-size:1.9rem;font-weight:650;line-height:1.2'>{html.escape(str(c.get('name') or ''))}"
        f"</div><div style='color:#555;font-size:1rem'>{html.escape(customer_id)} · "
        f"{html.escape(str(c.get('segment') or 'no segment'))} · {html.escape(str(c.get('region') or 'no region'))}"
        "</div>")

open_threads = v.open_threads
waiting = int(v.threads["waiting_on_us"].sum()) if len(v.threads) else 0
last = v.last_contact
value = c.get("lifetime_value")
m = st.columns(5)
m[0].metric("Lifetime value", "–" if value is None or pd.isna(value) else f"{value:,.2f}",
            help="Total of the customer's purchases as recorded in the CRM"
                 + ("" if pd.isna(v.higher_value_share) else
                    f"; {v.higher_value_share:.0%} of customers have a higher lifetime value"))
m[1].metric("Customer since", _iso(pd.to_datetime(c.get("joined_at"), errors="coerce")))
m[2].metric("Last contact", _iso(last),
            delta=None if last is None else f"{(v.as_of - last).days:,} days before {as_of}", delta_color="off",
            delta_arrow="off",
            help="The latest interaction in either direction, broadcast marketing left out")
m[3].metric("Open threads", f"{len(open_threads):,}",
            help=f"Service threads (opened by an inbound touch whose kind means 'opens') with no resolution yet; "
                 f"{waiting:,} of them wait on us (the customer spoke last)")
m[4].metric("Went public", f"{int(v.items['went_public'].sum()):,}",
            help="Public posts or public-channel touches from the customer while a service thread was open")

accounts = "; ".join(f"{r.platform} @{r.handle}" for r in v.accounts.itertuples()) or "not linked"
ui.text_table(pd.DataFrame({
    "Field": ["Customer id", "Name", "Email", "Segment", "Region", "Joined", "Linked social accounts",
              "Open threads", "Last contact"],
    "Value": [customer_id, c.get("name"), c.get("email"), c.get("segment"), c.get("region"),
              _day(pd.to_datetime(c.get("joined_at"), errors="coerce")), accounts,
              f"{len(open_threads):,} ({waiting:,} waiting on us)", _day(last)],
}), column_config={"Value": st.column_config.TextColumn(width="large")})

st.subheader("Signals")
if not v.signals:
    st.success("No signal: nothing in this customer's history calls for action now.")
for s in v.signals:
    # Titles, reasons and actions are built from the rules' own words, numbers and dates only.
    box = st.warning if s.priority == 1 else st.info
    box(f"**{s.title}.** {s.reason} {s.action}", icon=":material/priority_high:" if s.priority == 1 else
        ":material/lightbulb:")
with st.expander("How signals are derived"):
    st.markdown(
        f"- **Reach out privately**: an open service thread and, since it opened, a negative public post "
        f"(score ≤ −0.05) or a conversation opened on a public channel; urgent when that was in the last "
        f"{customer_360.RECENT_DAYS} days.\n"
        f"- **Answer them** / **Close the loop**: an open thread whose last touch is the customer's, unanswered "
        f"for {customer_360.WAITING_DAYS} days or more (over {customer_360.STALE_DAYS} days: likely abandoned).\n"
        f"- **Help with the order**: a negative review or post within {customer_360.REVIEW_AFTER_PURCHASE_DAYS} "
        f"days after a purchase (a kind that means 'purchase'), in the last {customer_360.REVIEW_RECENT_DAYS} days.\n"
        f"- **Get back in touch**: lifetime value in the top {customer_360.TOP_VALUE_SHARE:.0%} of customers and "
        f"no contact (marketing aside) for {customer_360.QUIET_DAYS} days.\n"
        f"- **Thank them publicly**: a kudos touch or a public post scoring at least +{customer_360.KUDOS_SCORE} "
        f"in the last {customer_360.KUDOS_DAYS} days.\n\n"
        "Durations run to the last day in the data. Interaction texts are scored with VADER when shown; post "
        "scores are the stored ones (a person's correction on the Listening page when there is one).")

st.subheader("Timeline")
ui.chart(figures.timeline(v.items, scope, PUBLIC_THRESHOLD), key="c360_timeline")
st.caption(
    f"Channels are ordered by their publicness (the Continuum page edits it); public means at least "
    f"{PUBLIC_THRESHOLD}. Posts are public and marked with their platform. A star marks a moment the customer "
    "went public: a post or reply (not a reshare), or an inbound touch on a public channel, while a service "
    "thread was open.")

grouped = st.toggle("Group by service thread", key="c360_group", bind="query-params", persist_state="session",
                    help="Touches of one service thread together (newest thread first), then everything else")
items = customer_360.timeline_rows(v, grouped)
ui.text_table(pd.DataFrame({
    "When": items["when"].dt.strftime("%Y-%m-%d %H:%M"),
    "Channel": items["place"],
    "Publicness": items["publicness"],
    "Who": items["direction"].map({"inbound": "customer", "outbound": "company"}),
    "Kind": items["kind"],
    "Thread": items["service_thread"],
    "Sentiment": items["sentiment"],
    "Text": items["text"],
    "Went public": items["went_public"],
    "Amount": items["amount"],
    "Score from": items["sentiment_source"],
}), column_config={
    "Publicness": st.column_config.ProgressColumn(min_value=0.0, max_value=1.0, format="%.2f"),
    "Sentiment": st.column_config.NumberColumn(format="%+.2f"),
    "Text": st.column_config.TextColumn(width="large"),
    "Amount": st.column_config.NumberColumn(format="%.2f"),
}, height=min(520, 38 + 35 * max(len(items), 1)))
sentiment_tools.agreement_note()

st.subheader("Service threads")
if v.threads.empty:
    st.caption("No service thread: this customer never opened a conversation (an inbound touch whose kind means "
               "'opens'; the kinds vocabulary is on the Data page).")
else:
    th = v.threads.sort_values("opened", ascending=False)
    ui.text_table(pd.DataFrame({
        "Thread": th["thread_id"], "Opened": th["opened"].dt.strftime("%Y-%m-%d %H:%M"), "Kind": th["kind"],
        "Path": th["path"], "Touches": th["touches"], "Status": th["status"],
        "Waiting on us": th["waiting_on_us"], "Days open or to resolve": th["days"], "Went public": th["went_public"],
    }), column_config={"Days open or to resolve": st.column_config.NumberColumn(format="%.1f")})
    st.caption("A service thread starts with an inbound touch whose kind means 'opens' (the demo's complaint or "
               "inquiry). It is resolved from its first touch whose kind means 'resolves' and open until then; "
               "an open thread waits on us when the customer spoke last. "
               f"Days run to the resolution, or to {as_of} for open threads.")

ui.page_end()
