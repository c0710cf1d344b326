"""Overview: dataset health, headline KPIs and where to go next."""

import streamlit as st

from analysis import overview, store
from analysis.store import rollups
from pages import _sentiment_tools, _ui

_ui.page_intro(
    "Continuum · Social CRM insight",
    "What customers do **with** the company (orders, calls, emails, chats, complaints) joined with what "
    "they do **in public** (posts, replies, reviews, reshares), customer by customer.",
)
if _ui.no_data_notice():
    st.stop()



def _months(lo: str, hi: str) -> int:
    return (int(hi[:4]) - int(lo[:4])) * 12 + int(hi[5:7]) - int(lo[5:7]) + 1


f = _ui.filters()
k, monthly = _ui.cached(overview.view, f)
# After a change made in the app (a corrected score, say), filtered figures are counted directly
# until the rollup behind them is rebuilt, on a thread of its own.
rollups.refresh_in_background(str(store.db_path()))
h = _ui.cached(overview.health)

st.subheader("Headline figures")
_ui.caption(f)
c = st.columns(4)
c[0].metric("Interactions", f"{k.interactions:,}", help="Every company–customer touch under the filters")
c[1].metric("Active customers", f"{k.active_customers:,}")
c[2].metric("Conversations (threads)", f"{k.threads:,}")
c[3].metric("Company talk share", f"{k.outbound_share:.0%}" if k.interactions else "–",
            help="The company's share of the conversation: outbound touches / all touches. Practitioners aim "
                 "for about 25% talk, 75% listen.")
c = st.columns(4)
c[0].metric("Public posts", f"{k.posts:,}")
c[1].metric("Mean sentiment", f"{k.mean_sentiment:+.2f}" if k.posts else "–",
            help="VADER compound score in [-1, 1]")
c[2].metric("Negative posts", f"{k.negative_share:.0%}" if k.posts else "–",
            help="Compound score at most -0.05 (VADER's convention)")
c[3].metric("Reshares", f"{k.reshares:,}")
_sentiment_tools.agreement_note()  # how far to trust the sentiment figures (issue #15)

_ui.chart(_ui.charts.monthly_activity(monthly, f.caption(),
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
    st.dataframe({"table": list(h.counts), "rows": list(h.counts.values())}, hide_index=True)
    # Counting missing values scans every table: on demand only.
    if st.toggle("Count missing values", key="ov_missing", bind="query-params"):
        missing = _ui.cached(overview.missing_values)
        text_missing = missing.query("table == 'posts' and column == 'text'")
        if len(text_missing) and text_missing["missing_share"].iloc[0] > 0.5:
            st.warning("More than half of the posts have no text: sentiment cannot be scored for them.")
        _ui.chart(_ui.charts.missing_values(missing), key="missing")

st.subheader("Where to go next")
for path, label, icon in _ui.NEXT_STEPS:
    if _ui.page_exists(path):
        st.page_link(f"pages/{path}.py", label=label, icon=icon)
