"""Service timing: first response and resolution time, unanswered conversations and hand-offs to private."""

import pandas as pd
import streamlit as st

import ui
from analysis import service
from analysis.charts import service as figures

ui.page_intro(
    "service",
    "Service timing",
    "How fast the brand answers and resolves the conversations customers start, per brand account, channel, "
    "month and segment, and whether **going public jumps the queue**. Every conversation a customer starts "
    "counts, answered or not.",
)
if ui.no_data_notice():
    st.stop()

f = ui.filters()
v = ui.cached(service.service_view, f)
cap = f.caption()
fmt = service.format_minutes

if not v.conversations:
    st.info("No conversation under these filters: no thread starts with a customer's message. Conversations "
            "are threads (`thread_id`) whose first touch is inbound; a thread of one touch counts when its kind "
            "means 'opens' (the kinds vocabulary on the Data page).")
    st.stop()

ui.caption(f)
m = st.columns(4)
m[0].metric("Conversations", f"{v.conversations:,}", help="Threads the customer started (first touch inbound), "
            "answered or not")
m[1].metric("Unanswered", f"{v.unanswered:,}", delta=f"{v.unanswered_share:.0%} of conversations",
            delta_color="off", delta_arrow="off", help="No outbound touch after the customer's first message")
m[2].metric("First response, median", fmt(v.first_response.median),
            delta=f"p90 {fmt(v.first_response.p90)}", delta_color="off", delta_arrow="off",
            help=f"Over the {v.first_response.n:,} answered conversations; p90: 9 in 10 were answered within it")
if v.handoff_known:
    m[3].metric("Replies moving to private", f"{v.handoff_share:.0%}" if v.brand_messages else "–",
                delta=f"{v.handoffs:,} of {v.brand_messages:,} brand messages", delta_color="off",
                delta_arrow="off", help="Outbound touches whose kind means 'handoff_private' (asking to move "
                "to DM, email, phone or a private message), over all the brand's touches in these conversations")
else:
    m[3].metric("Replies moving to private", "unknown", help="No kind in the data means 'handoff_private'")
if v.resolution_known:
    m = st.columns(4)
    m[0].metric("Resolved", f"{v.resolved:,}", delta=f"{v.resolved / v.conversations:.0%} of conversations",
                delta_color="off", delta_arrow="off")
    m[1].metric("Resolution, median", fmt(v.resolution.median), delta=f"p90 {fmt(v.resolution.p90)}",
                delta_color="off", delta_arrow="off",
                help=f"From the first touch to the first touch whose kind means 'resolves', over the "
                     f"{v.resolution.n:,} resolved conversations; open ones are not in it")

notes = []
if not v.resolution_known:
    notes.append("**Resolution time is unknown here**: no kind in the data means 'resolves' (public-only data "
                 "such as a tweet dump records answers, not resolutions). If one of your kinds does mean "
                 "resolved, say so in the kinds vocabulary on the Data page.")
if not v.handoff_known:
    notes.append("**Hand-offs to private are not recorded**: no kind in the data means 'handoff_private'.")
if not v.private_channels:
    notes.append("**Public-only data**: every interaction is on a public channel. What happened after a "
                 "hand-off to private is unseen; nothing here invents it.")
if not v.accounts_recorded:
    notes.append("**No brand account recorded**: the interactions carry no `account`, so timing per account "
                 "cannot be shown.")
if f.platforms:
    notes.append("The platform filter does not apply here: interactions carry no platform.")
for note in notes:
    st.info(note)

# -- does going public jump the queue? --------------------------------------------------------------------------

st.subheader("Does going public jump the queue?")
answer = service.queue_answer(v.frame)
if answer:
    st.markdown(ui.escape_md(answer))
else:
    sides = v.sides()
    only = "public" if sides == {"public"} else "private" if sides == {"private"} else None
    st.caption(f"Every conversation here started in {only}: there is nothing to compare it with." if only
               else "One side has no answered conversation: nothing to compare.")

COLS = {
    "group": "Group",
    "conversations": st.column_config.NumberColumn("Conversations", format="localized"),
    "answered": st.column_config.NumberColumn("Answered", format="localized"),
    "unanswered": st.column_config.NumberColumn("Unanswered", format="localized"),
    "unanswered_share": st.column_config.NumberColumn("Unanswered %", format="%.0f%%"),
    "first_response_median": "First response, median",
    "first_response_p90": "First response, p90",
    "resolved": st.column_config.NumberColumn("Resolved", format="localized"),
    "resolution_median": "Resolution, median",
    "resolution_p90": "Resolution, p90",
    "brand_messages": st.column_config.NumberColumn("Brand messages", format="localized"),
    "handoffs": st.column_config.NumberColumn("Hand-offs to private", format="localized"),
    "handoff_share": st.column_config.NumberColumn("Hand-off %", format="%.0f%%"),
}
DURATIONS = ["first_response_median", "first_response_p90", "resolution_median", "resolution_p90"]


def _shown(table):
    """Durations as words (minutes kept in the export), shares as 0–100."""
    out = table.copy()
    for c in DURATIONS:
        out[c] = out[c].map(fmt)
    for c in ("unanswered_share", "handoff_share"):
        out[c] = out[c].astype(float) * 100
    drop = [] if v.resolution_known else ["resolved", "resolution_median", "resolution_p90"]
    drop += [] if v.handoff_known else ["handoffs", "handoff_share"]
    return out.drop(columns=drop)


queue = service.breakdown(v.frame, "start_side")
ui.text_table(_shown(queue), column_config=COLS, width="stretch")

# -- distributions ------------------------------------------------------------------------------------------------

st.subheader("Distributions")
c1, c2 = st.columns(2)
measures = list(service.MEASURES) if v.resolution_known else ["first_response"]
measure = c1.segmented_control("Measure", measures, format_func=service.MEASURES.get, default="first_response",
                               required=True, key="service_measure", bind="query-params",
                               persist_state="session") or "first_response"
compare_dims = [d for d in service.DIMENSIONS if d != "month" and (d != "account" or v.accounts_recorded)]
by = c2.selectbox("Compare by", compare_dims, format_func=service.DIMENSIONS.get, index=None,
                  placeholder="All conversations together", key="service_compare", bind="query-params",
                  persist_state="session")
label = service.MEASURES[measure]
left, right = st.columns(2)
with left:
    ui.chart(figures.duration_ecdf(service.ecdf(v.frame, measure, by), label, cap), key="service_ecdf")
with right:
    ui.chart(figures.duration_histogram(service.distribution(v.frame, measure, by), label, cap),
              key="service_histogram")
st.caption(f"{label} time over the conversations that have one (the count is in the legend); the six largest "
           "groups are drawn, the rest as 'other groups'. Bins are a quarter of a decade wide on the log time "
           "axis; durations under a second are drawn at one second.")

# -- breakdowns ---------------------------------------------------------------------------------------------------

st.subheader("Breakdown")
table_dims = [d for d in service.DIMENSIONS if d != "account" or v.accounts_recorded]
dim = st.selectbox("Per", table_dims, format_func=service.DIMENSIONS.get, key="service_per",
                   bind="query-params", persist_state="session",
                   index=table_dims.index("account") if "account" in table_dims else 0)
table = service.breakdown(v.frame, dim)
if dim == "account":
    st.caption(f"Conversations grouped by the account that answered first; unanswered ones are "
               f"'{service.NO_ANSWER}', answers without an account '{service.NOT_RECORDED}'.")
ui.text_table(_shown(table), column_config=COLS, width="stretch", export_name=f"Service timing per {dim}",
               key="service_table")

if v.unanswered:
    st.subheader("Unanswered conversations")
    waiting = service.unanswered(v.frame)
    shown_n = (f"All {v.unanswered:,}" if len(waiting) == v.unanswered
               else f"The {len(waiting):,} oldest of {v.unanswered:,}")
    st.caption(f"{shown_n}, oldest first: no reply from the brand after the customer's first message. Open a "
               "customer in Customer 360 to act on it.")
    ui.text_table(pd.DataFrame({
        "Customer": [ui.customer_url(c) for c in waiting["customer_id"]],
        "Started": waiting["started"].dt.strftime("%Y-%m-%d %H:%M"), "Channel": waiting["channel"],
        "Side": waiting["start_side"].map(service.SIDES), "Segment": waiting["segment"],
        "Thread": waiting["thread_id"]}),
        column_config={"Customer": st.column_config.LinkColumn(display_text=r"customer=(.*)$")}, width="stretch",
        export_name="Unanswered conversations", key="service_unanswered")

monthly = service.monthly(v.frame)
ui.chart(figures.timing_by_month(monthly, measure, label, cap), key="service_monthly")

st.caption(
    "A **conversation** is a thread the customer started, answered or not (a single touch counts when its kind "
    "means 'opens'). **First response**: from the customer's first message to the brand's first reply after it. "
    "**Resolution**: from the first touch to the first touch whose kind means 'resolves'. Medians and p90s "
    "(90th percentiles, interpolated) are over the conversations that have the duration; unanswered and open "
    "ones are counted apart. Public or private is the publicness of the channel the conversation started on "
    "(editable on the Continuum page). Filters apply to the conversation's start date and the customer's "
    "segment and region.")

ui.page_end()
