"""Streamlit glue shared by the pages: the database handle, the global filters, cached calls into
``analysis``, safe display helpers (the one Markdown escaper), and each page's first and last call
(``page_intro``, ``page_end``: the frame in ``ui.frame``). The page registry is ``ui.registry``."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable
from contextlib import contextmanager
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

from analysis import charts, store
from analysis.filters import Filters


@contextmanager
def connection(path: str | None = None):
    """``with ui.connection() as conn:``: the app's database (or ``path``) for one piece of work, closed on
    leaving the block (a connection per call is safe with Streamlit's threads). A write the store refuses
    in the block ends the page with the store's message (see ``refused``)."""
    with refused(), store.connection(path) as conn:
        yield conn


def db_path() -> str:
    """The app's database file (for caches keyed on it)."""
    return str(store.db_path())


@contextmanager
def refused():
    """A write the store refuses (a read-only file, another writer holding the lock past the timeout)
    ends the page with the store's own message, written for the user; nothing was changed, and no
    traceback is shown. ``connection`` and ``cached`` apply it: every page's database work goes
    through one of them."""
    try:
        yield
    except store.StoreError as exc:
        st.error(escape_md(str(exc)), icon=":material/error:")  # it may quote the path
        st.stop()


def filters() -> Filters:
    """The global filters set in the sidebar (``ui.frame``)."""
    return st.session_state.get("filters") or Filters()


@st.cache_data(show_spinner=False, max_entries=512, ttl=6 * 3600)
def _run(module: str, name: str, path: str, version: int, args: tuple, kwargs: tuple):
    fn = getattr(importlib.import_module(module), name)
    with store.connection(path) as conn:
        return fn(conn, *args, **dict(kwargs))


def data_version() -> int:
    with store.connection() as conn:
        return store.data_version(conn)


def cached(fn, *args, **kwargs):
    """Call ``fn(db, *args, **kwargs)`` from ``analysis`` through Streamlit's cache.

    The key is the function, the database path, the data version (bumped by every
    write) and the arguments (filters included), never widget objects.
    """
    with refused():
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


def blank_missing_text(df: pd.DataFrame, keep: Iterable = ()) -> pd.DataFrame:
    """Missing text shows as a blank cell, never as "None" (numbers keep their type and show the table's
    placeholder). Columns in ``keep`` stay missing (a link column: an empty text would be a link to nowhere)."""
    keep = set(keep)
    text = [c for c in df.columns if c not in keep
            and (df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype))]
    if not text or not df[text].isna().any().any():
        return df
    return df.assign(**{str(c): df[c].astype(object).where(df[c].notna(), "") for c in text}) \
        if all(isinstance(c, str) for c in text) else df


# What a table cell with no value shows (a share of no touches, the mean of no scored text). Streamlit writes
# "None" in any missing cell, NaN included, unless st.dataframe is given a placeholder.
MISSING = "–"


# Streamlit's number format that writes the reader's thousands separators (1,530 in English), as the metrics do.
COUNT_FORMAT = "localized"


def is_count(column: pd.Series) -> bool:
    """A column of whole numbers (a count, or counts a join turned into floats for a missing value)."""
    if pd.api.types.is_bool_dtype(column.dtype) or not pd.api.types.is_numeric_dtype(column.dtype):
        return False
    if pd.api.types.is_integer_dtype(column.dtype):
        return True
    values = column.dropna()
    return bool(len(values)) and bool((values % 1 == 0).all())


def count_formats(df: pd.DataFrame, column_config: dict | None = None) -> dict:
    """``column_config`` with every count column of ``df`` that sets no number format of its own shown with
    thousands separators (Streamlit's own default writes 1530). A column configured as something other than a
    number (text, link, progress) or with a format of its own (a share, a rank) is left as it is."""
    config = dict(column_config or {})
    for c in df.columns:
        if not isinstance(c, str) or not is_count(df[c]):
            continue
        conf = config.get(c)
        if conf is None:
            config[c] = st.column_config.NumberColumn(format=COUNT_FORMAT)
        elif isinstance(conf, str):
            config[c] = st.column_config.NumberColumn(conf, format=COUNT_FORMAT)
        elif isinstance(conf, dict):
            typed = conf.get("type_config")
            if not typed:
                config[c] = {**conf, "type_config": {"type": "number", "format": COUNT_FORMAT}}
            elif typed.get("type") == "number" and not typed.get("format"):
                config[c] = {**conf, "type_config": {**typed, "format": COUNT_FORMAT}}
    return config


def text_table(df: pd.DataFrame, export_name: str | None = None, key: str | None = None, counts: bool = True,
               **kwargs):
    """Every table on a page: user text goes to st.dataframe (rendered as text, never as Markdown or HTML);
    missing text is blank and a missing number shows ``MISSING``; counts read 1,530 like the metrics
    (``count_formats``; ``counts=False`` for a table of raw rows, where a whole number may be a year or a code).

    With ``export_name`` the table gets CSV and Excel downloads and joins the page report.
    """
    kwargs.setdefault("placeholder", MISSING)
    if counts:
        kwargs["column_config"] = count_formats(df, kwargs.get("column_config"))
    links = [c for c, conf in (kwargs.get("column_config") or {}).items()
             if isinstance(conf, dict) and (conf.get("type_config") or {}).get("type") == "link"]
    out = st.dataframe(blank_missing_text(df, keep=links), hide_index=True, key=key, **kwargs)
    if export_name:
        _collected()["tables"].append((export_name, df))
        if not presentation():
            table_downloads(df, export_name, key or _slug(export_name))
    return out


def escape_md(text: str) -> str:
    """User text shown through Markdown (st.caption, st.markdown) must not become markup."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


# Markdown's punctuation, plus ":" (Streamlit reads ":name:" as an emoji or icon shortcode).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]{}()#+\-.!|<>~$:])")


def caption(f: Filters | None = None) -> None:
    st.caption(escape_md((f or filters()).caption()))


def customer_url(customer_id: str) -> str:
    """The Customer 360 view of one customer, by URL (works from any page)."""
    return "customer_360?" + urlencode({"customer": customer_id})


def presentation() -> bool:
    return bool(st.session_state.get("present", False))


def page_intro(url_path: str, title: str, text: str) -> None:
    """A page's first call: the frame (config, sidebar filters, navigation, deck bar), then its title and
    introduction. ``url_path`` names the page in the registry (``ui.registry``)."""
    from ui import frame

    frame.open_page(url_path)
    st.title(title)
    if not presentation():
        st.markdown(text)


def page_end() -> None:
    """A page's last call: the workshop tools under it (save the view, the page report, compare)."""
    from ui import frame

    frame.close_page()


def no_data_notice() -> bool:
    """Tell the user when the database is empty; True if so."""
    from analysis import overview

    empty = cached(overview.is_empty)
    if empty:
        st.info("The database is empty. Build the demo with `python -m analysis demo` or import your files on "
                "the Data page.")
    return empty


__all__ = ["db", "connection", "filters", "cached", "chart", "text_table", "caption", "customer_url", "presentation",
           "page_intro", "page_end", "refused", "escape_md", "no_data_notice", "charts", "clear_cache",
           "count_formats", "is_count"]
