"""Counts in tables read with thousands separators (1,530), like the metrics above them: ``ui.count_formats``
gives every count column without a format of its own Streamlit's "localized" format, and every page's
tables on the demo show it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import streamlit as st

import ui
from analysis import database, store
from bench.pages import page_files
from tests import pagetest
from tests.pagetest import assert_clean


def _format(config: dict, column: str):
    conf = config.get(column)
    return ((conf or {}).get("type_config") or {}).get("format") if isinstance(conf, dict) else None


def test_count_columns_get_separators_and_the_rest_is_left_alone():
    df = pd.DataFrame({
        "posts": [1530, 4331],                      # int64: a count
        "n": [1056.0, np.nan],                      # whole numbers made float by a missing value
        "share": [0.25, 0.5],                       # not whole: not a count
        "sentiment": [0.0, 1.0],                    # whole, but formatted by the page
        "label": ["a", "b"],                        # text
        "flag": [True, False],                      # bool is not a count
        "reach": [2000, 3000],                      # configured with a label only
        "size": [1200, 30],                         # a NumberColumn with a help text and no format
        "rank": [1, 2],                             # a rank with its own format
        "followers": [1, 2],                        # configured as text by the page
        "empty": [np.nan, np.nan],                  # nothing to judge
    })
    given = {"sentiment": st.column_config.NumberColumn(format="%+.2f"), "reach": "Reach",
             "size": st.column_config.NumberColumn("Size", help="Posts in the cascade"),
             "rank": st.column_config.NumberColumn(format="%d"), "followers": st.column_config.TextColumn()}
    out = ui.count_formats(df, given)
    assert {c: _format(out, c) for c in df.columns} == {
        "posts": "localized", "n": "localized", "share": None, "sentiment": "%+.2f", "label": None, "flag": None,
        "reach": "localized", "size": "localized", "rank": "%d", "followers": None, "empty": None}
    assert out["reach"]["label"] == "Reach" and out["size"]["help"] == "Posts in the cascade"
    assert out["followers"]["type_config"]["type"] == "text"
    assert given["size"]["type_config"]["format"] is None  # the page's own config is not changed in place


def test_rows_per_table_names_tables_in_words():
    table = database.rows_per_table({"customers": 600, "brand_accounts": 1, "survey_responses": 10800})
    assert table["Table"].tolist() == ["customers", "brand accounts", "survey responses"]
    assert table["Rows"].tolist() == [600, 1, 10800]


def _views() -> list[tuple[str, dict]]:
    views = [(page, {}) for page in page_files()]
    return views + [("pages/continuum.py", {"section": s}) for s in ("Journeys", "Going public", "What if")]


def _whole(values: pd.Series) -> bool:
    v = values.dropna()
    return bool(len(v)) and pd.api.types.is_numeric_dtype(v) and not pd.api.types.is_bool_dtype(v) \
        and bool((v % 1 == 0).all())


@pytest.mark.parametrize("page, query", _views(), ids=lambda v: v if isinstance(v, str) else ",".join(v.values()))
def test_every_count_in_a_table_reads_with_separators(app_db, page, query):
    """Each table's whole-number columns: an integer column never falls back on Streamlit's default (which
    writes 1530), and a column of counts reaching 1,000 shows separators (Streamlit's "localized" format
    or a printf format with the "," flag). The raw rows of the Data page's preview are shown as stored."""
    at = pagetest.open_page(page, timeout=180, **query)
    assert_clean(at)
    peek = None
    if page == "pages/data.py":  # the preview of the table first in the "Show the first rows of" list
        with store.connection(app_db) as conn:
            peek = list(database.first_rows(conn, at.selectbox(key="peek_table").value).columns)
    large = []
    for d in at.dataframe:
        if list(d.value.columns) == peek:
            continue
        config = json.loads(d.proto.columns or "{}")
        for c in d.value.columns:
            col = d.value[c]
            if not _whole(col):
                continue
            fmt = _format(config, str(c))
            if pd.api.types.is_integer_dtype(col.dtype):
                assert fmt, (page, c)
            if col.abs().max() >= 1000:
                large.append(c)
                assert fmt == "localized" or (fmt and "," in fmt), (page, c, fmt)
    if page in ("pages/overview.py", "pages/data.py", "pages/listening.py"):
        assert large, page  # the demo has counts of 1,000 and more there: the check above is not empty


def test_the_overviews_author_table_formats_its_counts(app_db):
    at = pagetest.open_page("pages/overview.py")
    table = next(d for d in at.dataframe if "Authors" in d.value.columns)
    config = json.loads(table.proto.columns)
    assert _format(config, "Posts") == _format(config, "Reshares") == "localized"
    rows = next(d for d in at.dataframe if list(d.value.columns) == ["Table", "Rows"])
    assert _format(json.loads(rows.proto.columns), "Rows") == "localized"
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(app_db)) as con:
        n = con.execute("SELECT COUNT(*) FROM follows").fetchone()[0]
    shown = rows.value.set_index("Table")["Rows"]
    assert n >= 1000 and shown["follows"] == n
