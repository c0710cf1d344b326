"""The frame around every page: page config, the database check, the sidebar (navigation from the
registry, the global filters, presentation mode), the deck bar; and, at the end of the page, the
workshop tools.

Streamlit finds the pages in ``pages/`` itself and runs the one a URL names, alone: there is no router
script around it. So each page calls ``ui.page_intro(url_path, ...)`` first (which opens this frame)
and ``ui.page_end()`` last. A first visit to any page's own URL therefore gets the same sidebar, filters
(read from the URL) and tools as a switch from another page.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

import ui
from analysis import charts, overview, store
from analysis.filters import Filters
from ui import registry, workshop_tools

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


def _filter_options() -> dict:
    opts = dict(ui.cached(overview.filter_options))
    lo, hi = opts.pop("lo"), opts.pop("hi")
    return {**opts, "lo": dt.date.fromisoformat(lo) if lo else None, "hi": dt.date.fromisoformat(hi) if hi else None}


def navigation(f: Filters) -> None:
    """The pages, from the registry (Streamlit's own list, which knows no titles or icons, is off).

    Each link carries the filters in its URL: the next page creates the sidebar widgets anew and reads
    them from there, as from a shared link (a kept widget value alone is lost on the first switch after
    a page was opened from a link).
    """
    for page in registry.PAGES:
        st.page_link(page.link, label=page.title, icon=page.icon, query_params=f.to_params())


# The sidebar widgets whose values hold across pages: the global filters and presentation mode.
KEPT_KEYS = (Filters.DATES, Filters.SEGMENT, Filters.REGION, Filters.PLATFORM, "present")


def keep_across_pages() -> None:
    """The filters chosen on one page hold on the next, in the sidebar and in the URL.

    Each page creates the sidebar widgets itself, so a page switch meets them as new widgets: their
    kept value (``persist_state="session"``) is in session state, but on the first switch after a page
    was opened from a link Streamlit shows the default instead, and the URL loses the filters. Writing
    the kept value back before the widgets are created makes it the value they show; one rerun then
    writes it to the URL. A value in the URL wins (a shared link).
    """
    for key in KEPT_KEYS:
        if key in st.session_state and key not in st.query_params:
            st.session_state[key] = st.session_state[key]


def follow_the_data_dates(lo: dt.date, hi: dt.date) -> None:
    """An end of the date range left at the data's bound follows the bound when the data's dates change
    (an import of older or newer rows), as ``Filters.from_widgets`` reads such an end as open.

    The widget keeps its value in session state: without this, the old whole range would be kept as a
    range of its own, which hides the new rows on every page and lands in the URL on the next page. An
    end a person moved is kept, inside the new bounds if the data no longer reach it.
    """
    before = st.session_state.get("_date_bounds")
    st.session_state["_date_bounds"] = (lo, hi)
    kept = st.session_state.get(Filters.DATES)
    if before in (None, (lo, hi)) or not isinstance(kept, (tuple, list)) or len(kept) != 2:
        return
    # A range in the URL wins (a shared link), unless it is the widget's own value written there: the page
    # running again on the same page after an import (the Data page does) meets its own range in the URL.
    if Filters.DATES in st.query_params and \
            st.query_params.get_all(Filters.DATES) != [d.isoformat() for d in kept if isinstance(d, dt.date)]:
        return
    start = lo if kept[0] == before[0] else max(lo, min(hi, kept[0]))
    end = hi if kept[1] == before[1] else min(hi, max(lo, kept[1]))
    st.session_state[Filters.DATES] = (min(start, end), end)


def sidebar_filters() -> Filters:
    opts = _filter_options()
    with st.sidebar:
        nav = st.container()  # filled once the filters are known
        st.divider()
        st.markdown("### Filters")
        st.caption("Every page honours these; they are kept in the URL.")
        dates = None
        # The widgets' keys are Filters' URL vocabulary: what the URL, scenarios and summaries read.
        if opts["lo"] and opts["hi"]:
            follow_the_data_dates(opts["lo"], opts["hi"])
            # The whole range is the default. keep_across_pages may also set the value through session state,
            # on purpose (.streamlit/config.toml turns off Streamlit's warning about that).
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
    f = Filters.from_widgets(dates, segments, regions, platforms, opts["lo"], opts["hi"])
    with nav:
        navigation(f)
    return f


def open_page(url_path: str) -> None:
    """Everything above a page's own content. Stops the run when the database cannot be opened."""
    st.set_page_config(page_title="Continuum · Social CRM insight",
                       page_icon=str(registry.ROOT / "data" / "favicon.png"), layout="wide")
    arrived = st.session_state.get("_page") != url_path  # a first load, or a switch from another page
    st.session_state["_page"] = url_path
    # A database path that is not a usable database (a directory, a text file, a damaged file): one clear
    # message instead of every page's traceback. A read-only file opens, with writing turned off.
    problem = store.open_problem()
    if problem:
        st.error(ui.escape_md(problem), icon=":material/error:")  # it quotes the path
        st.stop()
    if read_only := store.read_only_reason():
        st.info(ui.escape_md(read_only), icon=":material/lock:")
    if arrived:
        keep_across_pages()
    st.session_state["filters"] = f = sidebar_filters()
    if arrived and any(key not in st.query_params for key in f.to_params()):
        st.rerun()  # the rerun writes the kept filters to the URL (see keep_across_pages)
    presenting = ui.presentation()
    charts.set_presentation(presenting)
    if presenting:
        st.html(PRESENTATION_CSS)
        st.button("Exit presentation mode", key="exit_present", icon=":material/close_fullscreen:", shortcut="Esc",
                  on_click=lambda: st.session_state.update(present=False))
    workshop_tools.deck_bar()
    st.session_state["_report"] = {"figures": [], "tables": []}  # what this run shows, for the page report


def close_page() -> None:
    """Below a page's content: save this view, the page report, compare saved views (not when presenting)."""
    if ui.presentation():
        return
    url_path = st.session_state.get("_page", registry.DEFAULT_PAGE)
    workshop_tools.page_tools(url_path, registry.title_of(url_path))
    workshop_tools.compare_panel(url_path)
