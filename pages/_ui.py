"""Streamlit glue shared by the pages (not a page itself): database handle, global
filters, cached calls into ``analysis``, and safe display helpers."""

from __future__ import annotations

import importlib
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from analysis import charts, store
from analysis.filters import Filters


def db():
    """A connection for this rerun (a connection per call is safe with Streamlit's threads)."""
    return store.connect()


def filters() -> Filters:
    """The global filters set in the sidebar by app.py."""
    return st.session_state.get("filters") or Filters()


@st.cache_data(show_spinner=False, max_entries=512, ttl=6 * 3600)
def _run(module: str, name: str, path: str, version: int, args: tuple, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    conn = store.connect(path)
    try:
        return fn(conn, *args, **dict(kwargs))
    finally:
        conn.close()


def data_version() -> int:
    conn = store.connect()
    try:
        return store.data_version(conn)
    finally:
        conn.close()


def cached(fn, *args, **kwargs):
    """Call ``fn(db, *args, **kwargs)`` from ``analysis`` through Streamlit's cache.

    The key is the function, the database path, the data version (bumped by every
    write) and the arguments (filters included), never widget objects.
    """
    return _run(fn.__module__, fn.__name__, str(store.db_path()), data_version(), args,
                tuple(sorted(kwargs.items())))


def clear_cache() -> None:
    _run.clear()


def _slug(text: str) -> str:
    keep = "".join(ch.lower() if ch.isalnum() else "-" for ch in str(text))
    return "-".join(part for part in keep.split("-") if part)[:60] or "chart"


def _title_of(fig) -> str:
    text = getattr(getattr(fig.layout, "title", None), "text", None) or "chart"
    return text.split("<br>")[0]


def _collected() -> dict:
    """What this run of the page has shown, for the page report (reset by app.py each run)."""
    return st.session_state.setdefault("_report", {"figures": [], "tables": []})


def chart(fig, key: str | None = None, export: bool = True, **kwargs):
    """Show a Plotly figure with the app's settings and its export menu (PNG, SVG, HTML)."""
    _collected()["figures"].append(fig)
    out = st.plotly_chart(fig, key=key, theme=None, config={"displaylogo": False}, **kwargs)
    if export and not presentation():
        export_menu(fig, key or _slug(_title_of(fig)))
    return out


def export_menu(fig, key: str) -> None:
    """Download buttons for one chart; files are made only when clicked."""
    from analysis import exports

    name = _slug(_title_of(fig))
    with st.popover("Export chart", icon=":material/download:", key=f"exp_{key}"):
        st.download_button("PNG image", data=lambda: exports.figure_png(fig), file_name=f"{name}.png",
                           mime="image/png", key=f"png_{key}", on_click="ignore")
        st.download_button("SVG image", data=lambda: exports.figure_svg(fig), file_name=f"{name}.svg",
                           mime="image/svg+xml", key=f"svg_{key}", on_click="ignore")
        st.download_button("Interactive HTML", data=lambda: exports.figure_html(fig), file_name=f"{name}.html",
                           mime="text/html", key=f"html_{key}", on_click="ignore")


def table_downloads(df: pd.DataFrame, name: str, key: str) -> None:
    """CSV and XLSX downloads of a table, safe against spreadsheet formula injection."""
    from analysis import exports

    caption_text = filters().caption()
    c1, c2 = st.columns(2)
    c1.download_button("CSV", data=lambda: exports.to_csv_bytes(exports.readable(df)), file_name=f"{_slug(name)}.csv",
                       mime="text/csv", key=f"csv_{key}", on_click="ignore", icon=":material/table:")
    c2.download_button("Excel", data=lambda: exports.to_xlsx_bytes(exports.readable(df), caption=caption_text),
                       file_name=f"{_slug(name)}.xlsx", key=f"xlsx_{key}", on_click="ignore",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       icon=":material/grid_on:")


def blank_missing_text(df: pd.DataFrame) -> pd.DataFrame:
    """Missing text shows as a blank cell, never as "None" (numbers keep their type; Streamlit greys them)."""
    text = [c for c in df.columns if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype)]
    if not text or not df[text].isna().any().any():
        return df
    return df.assign(**{str(c): df[c].astype(object).where(df[c].notna(), "") for c in text}) \
        if all(isinstance(c, str) for c in text) else df


def text_table(df: pd.DataFrame, export_name: str | None = None, key: str | None = None, **kwargs):
    """User text goes to st.dataframe (rendered as text, never as Markdown or HTML).

    With ``export_name`` the table gets CSV and Excel downloads and joins the page report.
    """
    out = st.dataframe(blank_missing_text(df), hide_index=True, key=key, **kwargs)
    if export_name:
        _collected()["tables"].append((export_name, df))
        if not presentation():
            table_downloads(df, export_name, key or _slug(export_name))
    return out


def escape_md(text: str) -> str:
    """User text shown through Markdown (st.caption, st.markdown) must not become markup."""
    out = str(text)
    for ch in "\\`*_{}[]()#+-.!|<>~$":
        out = out.replace(ch, "\\" + ch)
    return out


def caption(f: Filters | None = None) -> None:
    st.caption(escape_md((f or filters()).caption()))


def customer_url(customer_id: str) -> str:
    """The Customer 360 view of one customer, by URL (works from any page)."""
    return "customer_360?" + urlencode({"customer": customer_id})


PAGES_DIR = Path(__file__).resolve().parent

NEXT_STEPS = [
    ("continuum", "Continuum: channels from public to private, journeys, going public, talk/listen, what if",
     ":material/linear_scale:"),
    ("perception", "Perception gap: what brands believe versus what consumers say", ":material/compare_arrows:"),
    ("cascades", "Cascades: how sharing spreads, who carries it, and seeding simulations", ":material/share:"),
    ("listening", "Listening: volume, sentiment, emerging terms and spikes", ":material/hearing:"),
    ("service", "Service timing: first response, resolution, unanswered and hand-offs to private",
     ":material/timer:"),
    ("customer_360", "Customer 360: one customer's whole history", ":material/person_search:"),
    ("workshop", "Workshop: scenarios, presentation decks and exports", ":material/co_present:"),
    ("data", "Data: import your own CSV, Excel or JSON files", ":material/upload_file:"),
]


def page_exists(name: str) -> bool:
    return (PAGES_DIR / f"{name}.py").exists()


def presentation() -> bool:
    return bool(st.session_state.get("present", False))


def ensure_router() -> None:
    """Make sure app.py's router (sidebar filters, navigation) runs this page.

    Streamlit treats a project with a ``pages/`` folder as an old-style multipage app
    until the entry script has called ``st.navigation`` once in the process; a first
    visit to a page's own URL would otherwise run the page alone, without the sidebar
    filters. Switching that flag off and rerunning hands the request to app.py.
    """
    if "_router" in st.session_state:
        return
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def page_intro(title: str, text: str) -> None:
    ensure_router()
    st.title(title)
    if not presentation():
        st.markdown(text)


def no_data_notice() -> bool:
    """Tell the user when the database is empty; True if so."""
    conn = db()
    try:
        empty = store.scalar(conn, "SELECT COUNT(*) FROM interactions") == 0 and \
            store.scalar(conn, "SELECT COUNT(*) FROM posts") == 0
    finally:
        conn.close()
    if empty:
        st.info("The database is empty. Build the demo with `python -m analysis demo` or import your files on "
                "the Data page.")
    return empty


__all__ = ["db", "filters", "cached", "chart", "text_table", "caption", "customer_url", "presentation",
           "page_intro", "no_data_notice", "charts", "clear_cache", "page_exists", "NEXT_STEPS"]
