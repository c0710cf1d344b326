"""Overview: dataset health, headline KPIs and where to go next."""

import streamlit as st

import ui
from analysis import database, overview
from ui import registry, role_picker, sentiment_tools

ui.page_intro(
    "overview",
    "Continuum · Social CRM insight",
    "What customers do **with** the company (orders, calls, emails, chats, complaints) joined with what "
    "they do **in public** (posts, replies, reviews, reshares), customer by customer.",
)
if ui.no_data_notice():
    st.stop()



def _months(lo: str, hi: str) -> int:
    return (int(hi[:4]) - int(lo[:4])) * 12 + int(hi[5:7]) - int(lo[5:7]) + 1


f = ui.filters()
roles = role_picker.picker(key="ov_roles")
k, monthly = ui.cached(overview.view, f, roles)
# After a change made in the app (a corrected score, say), filtered figures are counted directly
# until the rollup behind them is rebuilt, on a thread of its own.
overview.refresh_rollups(ui.db_path())
h = ui.cached(overview.health)
# Each card's change against the period of the same length just before the view.
before = overview.previous_period(f, *h.date_range)
d = overview.kpi_changes(k, ui.cached(overview.kpis, before.filters, roles)) if before else {}

st.subheader("Headline figures")
ui.caption(f)
st.caption(before.words() if before else "No change shown: the data do not cover a period of the same length "
           "before this one (narrow the date range in the sidebar to compare with the days before it).")
c = st.columns(4)
c[0].metric("Interactions", f"{k.interactions:,}", d.get("interactions"),
            help="Every company–customer touch under the filters")
c[1].metric("Active customers", f"{k.active_customers:,}", d.get("active_customers"))
c[2].metric("Conversations (threads)", f"{k.threads:,}", d.get("threads"))
c[3].metric("Company talk share", f"{k.outbound_share:.0%}" if k.interactions else "–", d.get("outbound_share"),
            delta_color="off",
            help="The company's share of the conversation: outbound touches / all touches. Practitioners aim "
                 "for about 25% talk, 75% listen.")
c = st.columns(4)
by = role_picker.words(roles)
c[0].metric("Public posts", f"{k.posts:,}", d.get("posts"), help=f"Posts by {by} (see Authors above)")
c[1].metric("Mean sentiment", f"{k.mean_sentiment:+.2f}" if k.posts else "–", d.get("mean_sentiment"),
            help=f"VADER compound score in [-1, 1], posts by {by}")
c[2].metric("Negative posts", f"{k.negative_share:.0%}" if k.posts else "–", d.get("negative_share"),
            delta_color="inverse", help="Compound score at most -0.05 (VADER's convention)")
c[3].metric("Reshares", f"{k.reshares:,}", d.get("reshares"))
sentiment_tools.agreement_note()  # how far to trust the sentiment figures
by_role = ui.cached(overview.post_roles, f)
st.caption(ui.escape_md(f"Post figures count {by}. Every post's author is the brand (its accounts in "
                         "brand accounts), a linked customer (identities) or another public voice; each post "
                         "counts once, under its author's role."))
ui.text_table(by_role.drop(columns=["role", "scored"]).rename(columns={
    "label": "Authors", "posts": "Posts", "mean_sentiment": "Mean sentiment", "negative_share": "Negative",
    "positive_share": "Positive", "reshares": "Reshares"}).assign(
    Negative=lambda d: d["Negative"] * 100, Positive=lambda d: d["Positive"] * 100),
    column_config={"Mean sentiment": st.column_config.NumberColumn(format="%+.2f"),
                   "Negative": st.column_config.NumberColumn(format="%.0f%%"),
                   "Positive": st.column_config.NumberColumn(format="%.0f%%")},
    export_name="Posts by author role", key="ov_role_table")

ui.chart(ui.charts.monthly_activity(monthly, f.caption(),
                                      partial=overview.partial_months(*overview.view_days(f, *h.date_range))),
          key="monthly")

st.subheader("Dataset health")
lo, hi = h.date_range
c = st.columns(4)
c[0].metric("Customers", f"{h.counts['customers']:,}")
c[1].metric("Months covered", f"{_months(lo, hi)}" if lo else "–", help=f"From {lo} to {hi}")
c[2].metric("Customers linked", f"{h.customer_link_rate:.0%}" if h.link["customers"] else "–",
            help="Share of CRM customers linked to at least one social account through identities "
                 "(explicit links only, never guessed from names)")
c[3].metric("Authors linked", f"{h.author_link_rate:.0%}" if h.link["authors"] else "–",
            help=f"Social accounts that posted and are linked to a customer: {h.link['linked_authors']:,} of "
                 f"{h.link['authors']:,} authors; "
                 f"{h.post_link_rate:.0%} of posts")
for w in h.warnings:
    st.warning(w)
with st.expander("Rows per table and missing values", expanded=False):
    ui.text_table(database.rows_per_table(h.counts), key="ov_rows_per_table")
    # Counting missing values scans every table: on demand only.
    if st.toggle("Count missing values", key="ov_missing", bind="query-params"):
        missing = ui.cached(overview.missing_values)
        text_missing = missing.query("table == 'posts' and column == 'text'")
        if len(text_missing) and text_missing["missing_share"].iloc[0] > 0.5:
            st.warning("More than half of the posts have no text: sentiment cannot be scored for them.")
        ui.chart(ui.charts.missing_values(missing), key="missing")

st.subheader("Where to go next")
for entry in registry.PAGES:
    if entry.url_path != registry.DEFAULT_PAGE:
        st.page_link(entry.link, label=f"{entry.title}: {entry.purpose[0].lower()}{entry.purpose[1:]}", icon=entry.icon)

ui.page_end()
