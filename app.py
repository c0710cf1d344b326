"""Continuum: the router. Page config, the global sidebar filters, then the chosen page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from analysis import charts, store
from analysis.filters import Filters
from pages import _ui
from pages import _workshop_tools as _workshop

ROOT = Path(__file__).resolve().parent

st.set_page_config(page_title="Continuum · Social CRM insight", page_icon=str(ROOT / "data" / "favicon.png"),
                   layout="wide")

# (file, title, icon, url path). A page is registered only when its file exists.
PAGES = [
    ("pages/overview.py", "Overview", ":material/dashboard:", "overview"),
    ("pages/continuum.py", "Continuum", ":material/linear_scale:", "continuum"),
    ("pages/perception.py", "Perception gap", ":material/compare_arrows:", "perception"),
    ("pages/cascades.py", "Cascades", ":material/share:", "cascades"),
    ("pages/listening.py", "Listening", ":material/hearing:", "listening"),
    ("pages/service.py", "Service timing", ":material/timer:", "service"),
    ("pages/customer_360.py", "Customer 360", ":material/person_search:", "customer_360"),
    ("pages/workshop.py", "Workshop", ":material/co_present:", "workshop"),
    ("pages/data.py", "Data", ":material/upload_file:", "data"),
]

pages = [st.Page(str(ROOT / f), title=t, icon=i, url_path=u, default=(u == "overview"))
         for f, t, i, u in PAGES if (ROOT / f).exists()]
# A slide opened from its link has present=true in the URL before the toggle has run.
presenting = bool(st.session_state.get("present", st.query_params.get("present") == "true"))
current = st.navigation(pages, position="hidden" if presenting else "sidebar")

# A database path that is not a usable database (a directory, a text file, a damaged file): one clear
# message instead of every page's traceback. A read-only file opens, with writing turned off.
_db_problem = store.open_problem()
if _db_problem:
    st.error(_ui.escape_md(_db_problem), icon=":material/error:")  # it quotes the path
    st.stop()
if _read_only := store.read_only_reason():
    st.info(_ui.escape_md(_read_only), icon=":material/lock:")


@st.cache_data(ttl=60, show_spinner=False)
def _filter_options(path: str, version: int) -> dict:
    conn = store.connect(path)
    try:
        lo, hi = store.date_bounds(conn)
        return {
            "segments": store.distinct_values(conn, "customers", "segment"),
            "regions": store.distinct_values(conn, "customers", "region"),
            "platforms": store.distinct_values(conn, "posts", "platform"),
            "lo": dt.date.fromisoformat(lo) if lo else None,
            "hi": dt.date.fromisoformat(hi) if hi else None,
        }
    finally:
        conn.close()


def _sidebar_filters() -> Filters:
    conn = store.connect()
    try:
        version = store.data_version(conn)
    finally:
        conn.close()
    opts = _filter_options(str(store.db_path()), version)
    with st.sidebar:
        st.markdown("### Filters")
        st.caption("Every page honours these; they are kept in the URL.")
        dates = None
        # The widgets' keys are Filters' URL vocabulary: what the URL, scenarios and summaries read.
        if opts["lo"] and opts["hi"]:
            dates = st.date_input("Date range", value=(opts["lo"], opts["hi"]), min_value=opts["lo"],
                                  max_value=opts["hi"], key=Filters.DATES, bind="query-params",
                                  persist_state="session", format="YYYY-MM-DD")
        segments = st.multiselect("Segment", opts["segments"], key=Filters.SEGMENT, bind="query-params",
                                  persist_state="session", placeholder="All segments")
        regions = st.multiselect("Region", opts["regions"], key=Filters.REGION, bind="query-params",
                                 persist_state="session", placeholder="All regions")
        platforms = st.multiselect("Platform", opts["platforms"], key=Filters.PLATFORM, bind="query-params",
                                   persist_state="session", placeholder="All platforms")
        st.toggle("Presentation mode", key="present", bind="query-params", persist_state="session",
                  help="Hide the controls and enlarge text and charts for a projector.")
    return Filters.from_widgets(dates, segments, regions, platforms, opts["lo"], opts["hi"])


# In presentation mode: no sidebar, no controls (the slide states its settings in words), large type.
PRESENTATION_CSS = (
    "<style>section[data-testid='stSidebar'], [data-testid='stSidebarCollapsedControl'], "
    "[data-testid='stExpandSidebarButton'], [data-testid='stSidebarNav'] {display:none !important;} "
    + ", ".join(f"[data-testid='stMain'] [data-testid='{w}']" for w in (
        "stSlider", "stSelectbox", "stMultiSelect", "stRadio", "stCheckbox", "stTextInput", "stDateInput",
        "stNumberInput", "stButtonGroup", "stPopover", "stDownloadButton", "stFileUploader", "stForm",
        "stTextArea", "stExpander"))
    + " {display:none !important;} "
    "[data-testid='stMain'] [data-testid='stButton'] {display:none;} "
    "[data-testid='stMain'] .st-key-exit_present [data-testid='stButton'] {display:block;} "
    "[data-testid='stMain'] h1 {font-size: 3rem !important;} "
    "[data-testid='stMarkdownContainer'] p, [data-testid='stCaptionContainer'] {font-size: 1.3rem;} "
    "[data-testid='stMetricValue'] div, [data-testid='stMetricValue'] p {font-size: 2.8rem !important;} "
    "[data-testid='stMetricLabel'] p {font-size: 1.25rem !important;}</style>")


st.session_state["_router"] = True
st.session_state["filters"] = _sidebar_filters()
charts.set_presentation(bool(st.session_state.get("present")))
if st.session_state.get("present"):
    st.html(PRESENTATION_CSS)
    st.button("Exit presentation mode", key="exit_present", icon=":material/close_fullscreen:", shortcut="Esc",
              on_click=lambda: st.session_state.update(present=False))
_workshop.deck_bar(PAGES)
st.session_state["_report"] = {"figures": [], "tables": []}  # what this run shows, for the page report
try:
    current.run()
    if not st.session_state.get("present"):
        # The default page's own url_path is empty; scenarios name pages by their PAGES path.
        page_path = next((u for _f, t, _i, u in PAGES if t == current.title), current.url_path)
        _workshop.page_tools(page_path, current.title)
        _workshop.compare_panel(page_path)
except store.StoreError as exc:
    # A write refused by the store (a read-only file, another writer holding the lock past the timeout):
    # its message is written for the user, and nothing was changed; never a traceback.
    st.error(_ui.escape_md(str(exc)), icon=":material/error:")
