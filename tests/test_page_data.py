"""The Data page: built-in formats, column mappings, every problem at once, placing new channels, brand accounts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import store
from analysis.store import import_vocab, mappings
from tests.pagetest import assert_clean, metrics, open_page, plain

TWCS = Path(__file__).parent / "data" / "twcs" / "sample.csv"


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    path = tmp_path / "page.sqlite"
    monkeypatch.setenv("CONTINUUM_DB", str(path))
    return path


def counts(path) -> dict:
    conn = store.connect(path)
    try:
        return store.table_counts(conn)
    finally:
        conn.close()


def import_tweet_sample(at) -> None:
    """As a person does it: "A whole export", the tweets format, the Customer Support on Twitter sample,
    Import."""
    at.radio(key="import_mode").set_value("format").run()
    at.selectbox(key="import_format").set_value("tweets").run()
    at.file_uploader(key="import_file_fmt").upload("sample.csv", TWCS.read_bytes(), "text/csv")
    at.run()
    at.button(key="import_go_fmt").click().run()


def test_tweets_format_imports_every_table_and_lists_the_brand(empty_db):
    at = open_page("pages/data.py")
    import_tweet_sample(at)
    assert_clean(at)
    assert any(plain(s.value).startswith("Imported sample.csv as tweets") for s in at.success)
    # What was imported is said below the status box, not inside it: the browser folds a finished box. (The
    # page runs again after the import, to show the new data's filters: the box is shown as it ended.)
    box = at.status[0]
    assert box.label == "Import complete"
    assert not any("Imported" in str(getattr(e, "value", "")) for e in box.children.values())
    df = pd.read_csv(TWCS, dtype=str)
    got = counts(empty_db)
    assert got["customers"] == df.loc[df["inbound"] == "True", "author_id"].nunique()
    assert got["brand_accounts"] == df.loc[df["inbound"] == "False", "author_id"].nunique()
    assert got["posts"] == got["interactions"] == len(df)
    # The brand accounts are shown for editing; the kinds the import wrote are listed.
    again = open_page("pages/data.py")
    editor = again.data_editor(key="brand_editor").value
    assert set(editor["handle"]) == set(df.loc[df["inbound"] == "False", "author_id"])
    # Every kind the tweets format writes is in the shipped kinds vocabulary: none waits to be placed.
    assert not any("does not know" in plain(i.value) for i in again.info)


def test_a_kind_the_vocabulary_does_not_know_is_listed_to_place(empty_db, tmp_path):
    from analysis import ingest

    (tmp_path / "c.csv").write_text("customer_id,name\nc1,Ann\n")
    (tmp_path / "i.csv").write_text("interaction_id,customer_id,thread_id,occurred_at,channel,direction,kind\n"
                                    "i1,c1,t1,2024-03-01 10:00:00,email,inbound,escalation\n"
                                    "i2,c1,t1,2024-03-01 11:00:00,email,outbound,reply\n")
    conn = store.connect(empty_db)
    try:
        ingest.import_file(conn, "customers", tmp_path / "c.csv")
        ingest.import_file(conn, "interactions", tmp_path / "i.csv")
    finally:
        conn.close()
    at = open_page("pages/data.py")
    assert_clean(at)
    waiting = [plain(i.value) for i in at.info if "does not know" in plain(i.value)]
    assert len(waiting) == 1 and "escalation" in waiting[0] and "reply" not in waiting[0].split(":")[-1]


def test_a_refused_format_import_shows_every_problem_by_column_at_once(empty_db):
    header = "tweet_id,author_id,inbound,created_at,text,in_response_to_tweet_id\n"
    rows = "".join(f"{i},c{i},{'maybe' if i in (2, 5) else 'True'},{'soon' if i < 4 else '2017-10-11'},x,\n"
                   for i in range(1, 8))
    at = open_page("pages/data.py")
    at.radio(key="import_mode").set_value("format").run()
    at.file_uploader(key="import_file_fmt").upload("bad.csv", (header + rows).encode(), "text/csv")
    at.run()
    at.button(key="import_go_fmt").click().run()
    assert not at.exception
    assert at.error and "Import refused: nothing was written" in plain(at.error[0].value)
    table = at.dataframe[0].value.set_index("column")
    # By hand: 'soon' in tweets 1-3 (rows 2-4), 'maybe' in tweets 2 and 5 (rows 3 and 6).
    assert table.loc["created_at", "problems"] == 3 and table.loc["created_at", "rows"] == "2, 3, 4"
    assert table.loc["inbound", "problems"] == 2 and table.loc["inbound", "rows"] == "3, 6"
    assert counts(empty_db)["posts"] == 0


def test_a_mapping_is_chosen_saved_and_offered_again(empty_db):
    own = ("Tweet,User,When (ms),Body,Parent\n"
           "1.0,ann,1507704944000,first,\n"
           "2.0,bob,1507705004000,second,1.0\n")
    at = open_page("pages/data.py")
    at.radio(key="import_mode").set_value("mapping").run()
    at.selectbox(key="import_table").set_value("posts").run()
    at.file_uploader(key="import_file").upload("own.csv", own.encode(), "text/csv")
    at.run()
    at.selectbox(key="map_posts_post_id").set_value("tweet").run()
    at.selectbox(key="map_posts_author_handle").set_value("user").run()
    at.selectbox(key="map_posts_created_at").set_value("when (ms)").run()
    at.selectbox(key="form_posts_created_at").set_value("epoch_ms").run()
    at.selectbox(key="map_posts_text").set_value("body").run()
    at.selectbox(key="map_posts_reply_to").set_value("parent").run()
    at.text_input(key="fix_posts_platform").input("twitter").run()
    assert not at.warning or "Still to choose" not in at.warning[0].value
    at.text_input(key="mapping_name").input("my tweets").run()
    at.button(key="mapping_save").click().run()
    at.button(key="import_go").click().run()
    assert_clean(at)
    conn = store.connect(empty_db)
    try:
        rows = conn.conn.execute("SELECT post_id, platform, author_handle, created_at, reply_to FROM posts "
                                 "ORDER BY post_id").fetchall()
        assert rows == [("1", "twitter", "ann", "2017-10-11 06:55:44", None),
                        ("2", "twitter", "bob", "2017-10-11 06:56:44", "1")]
        assert mappings.get(conn, "my tweets")["transforms"] == {"created_at": "epoch_ms"}
    finally:
        conn.close()
    again = open_page("pages/data.py")
    again.radio(key="import_mode").set_value("mapping").run()
    again.selectbox(key="import_table").set_value("posts").run()
    assert "my tweets" in again.selectbox(key="mapping_saved").options


def test_new_channels_are_placed_with_a_slider(empty_db, tmp_path):
    tickets = ("Id,Requester,Via,Created at\n1,Ann,Twitter,2024-03-01 09:00\n2,Bob,Email,2024-03-02 09:00\n")
    at = open_page("pages/data.py")
    at.radio(key="import_mode").set_value("format").run()
    at.selectbox(key="import_format").set_value("tickets").run()
    at.file_uploader(key="import_file_fmt").upload("t.csv", tickets.encode(), "text/csv")
    at.run()
    at.button(key="import_go_fmt").click().run()
    assert_clean(at)
    assert any("twitter" in plain(w.value) for w in at.warning) or at.slider(key="place_twitter")
    at.slider(key="place_twitter").set_value(0.9).run()
    at.button(key="place_save").click().run()
    assert_clean(at)
    conn = store.connect(empty_db)
    try:
        assert store.scalar(conn, "SELECT publicness FROM channels WHERE channel = 'twitter'") == 0.9
        assert import_vocab.channels_added_by_import(conn).empty
    finally:
        conn.close()


def test_brand_accounts_replace_keeps_what_the_editor_holds(db):
    import_vocab.replace_brand_accounts(db, pd.DataFrame({"platform": ["x", "x", " x ", None],
                                                          "handle": ["acme", "acme", "help", "lost"]}))
    assert import_vocab.brand_accounts(db).to_dict("records") == [{"platform": "x", "handle": "acme"},
                                                                 {"platform": "x", "handle": "help"}]


def test_a_channel_placed_anywhere_no_longer_waits(tmp_path):
    """Continuum's publicness editor and the Data page's slider both call store.set_publicness: either
    places a channel an import brought, in one transaction, so the Data page stops listing it."""
    db = store.connect(tmp_path / "c.sqlite")
    try:
        assert store.ensure_channels(db, ["whatsapp", "forum"]) == ["whatsapp"]
        assert list(import_vocab.channels_added_by_import(db)["channel"]) == ["whatsapp"]
        store.set_publicness(db, "whatsapp", 0.2)
        assert import_vocab.channels_added_by_import(db).empty
        assert store.scalar(db, "SELECT publicness FROM channels WHERE channel = 'whatsapp'") == 0.2
        store.set_publicness(db, "forum", 0.75)  # a shipped channel keeps its own description
        assert store.scalar(db, "SELECT description FROM channels WHERE channel = 'forum'") == "A public support forum"
    finally:
        db.close()


def test_an_import_that_widens_the_dates_widens_the_whole_range_filter_with_it(demo_db_copy, monkeypatch):
    """The sidebar's date range, left whole, stays whole when an import brings older rows: on the next page
    the imported rows are counted, not hidden behind the old bounds (which would also land in the URL)."""
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    before = counts(demo_db_copy)
    at = open_page("pages/data.py")
    import_tweet_sample(at)
    assert_clean(at)
    at.switch_page("pages/overview.py").run()
    assert_clean(at)
    f = at.session_state["filters"]
    assert f.date_from is None and f.date_to is None
    # The tweets of October 2017 come before the demo's first day, and every one is an interaction.
    tweets = pd.read_csv(TWCS, dtype=str)
    assert metrics(at)["Interactions"] == f"{before['interactions'] + len(tweets):,}"


def test_a_narrowed_date_range_is_kept_when_an_import_widens_the_dates(demo_db_copy, monkeypatch):
    """A range a person chose is theirs: an import does not reset it."""
    import datetime as dt

    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = open_page("pages/data.py", dates=["2026-01-01", "2026-03-31"])
    import_tweet_sample(at)
    at.switch_page("pages/overview.py").run()
    assert_clean(at)
    f = at.session_state["filters"]
    assert (f.date_from, f.date_to) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def test_an_open_start_stays_open_when_an_import_brings_older_rows(demo_db_copy, monkeypatch):
    """A range narrowed only at its end (the start left at the data's first day, which means 'from the
    start') still runs from the start once older rows arrive; its chosen end is kept."""
    import datetime as dt

    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    at = open_page("pages/data.py")
    lo = at.session_state["filters"].date_from or at.date_input(key="dates").value[0]
    at.date_input(key="dates").set_value((lo, dt.date(2026, 3, 31))).run()
    assert at.session_state["filters"].date_from is None
    import_tweet_sample(at)
    at.switch_page("pages/overview.py").run()
    assert_clean(at)
    f = at.session_state["filters"]
    assert (f.date_from, f.date_to) == (None, dt.date(2026, 3, 31))


def test_a_fault_in_the_importer_is_said_in_words_and_nothing_is_written(demo_db_copy, monkeypatch):
    """An error that is not the file's (a bug, a server refusing a statement) rolls the import back and
    is said on the page, never shown as a traceback."""
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    before = counts(demo_db_copy)

    def broken(db, table, *args, **kwargs):
        raise RuntimeError("operator does not exist: timestamp with time zone >= text")

    # The rollup patch runs inside the import's transaction, after every row is written.
    monkeypatch.setattr("analysis.store.rollups.after_import", broken)
    at = open_page("pages/data.py")
    import_tweet_sample(at)
    assert not at.exception, [e.value for e in at.exception]
    assert at.status[0].label == "Import failed: nothing was written"
    message = plain(at.error[0].value)
    assert message.startswith("Import failed: nothing was written.") and "RuntimeError: operator does not" in message
    assert counts(demo_db_copy) == before


def test_saved_mappings_are_listed_in_full_below_the_import_columns(empty_db):
    """The table once sat in the narrow right column, one line per mapping, its columns cut off: now it is
    below both columns, at the page's width, one row per mapped column."""
    spec = {"table": "customers", "columns": {"customer_id": "Account ID", "name": "Account Name",
                                              "email": "Primary Contact Email", "segment": {"value": "Business"}},
            "transforms": {}}
    with store.connection(empty_db, create=True) as conn:
        mappings.save(conn, "crm export (weekly)", spec)
    at = open_page("pages/data.py")
    assert_clean(at)
    assert "Saved mappings" in [s.value for s in at.subheader]
    table = next(d.value for d in at.dataframe if "from" in d.value.columns)
    assert table[["column", "from"]].values.tolist() == [
        ["customer_id", "Account ID"], ["name", "Account Name"], ["email", "Primary Contact Email"],
        ["segment", "= Business"]]
    assert set(table["mapping"]) == {"crm export (weekly)"} and set(table["table"]) == {"customers"}
    for column in at.columns:  # not inside st.columns (the narrow right column)
        assert not any("from" in d.value.columns for d in column.get("dataframe"))


def test_after_an_import_that_widens_the_dates_the_sidebar_offers_them_and_the_summary_stays(demo_db_copy,
                                                                                             monkeypatch):
    """The sidebar is drawn before an import runs: the page runs again after a successful one, so the date
    range offers the data's new first and last day at once (not on the next click), and the import's summary
    is still shown in that run."""
    import datetime as dt

    from analysis.filters import Filters

    monkeypatch.setenv("CONTINUUM_DB", str(demo_db_copy))
    with store.connection(demo_db_copy) as conn:
        cid = store.scalar(conn, "SELECT MIN(customer_id) FROM customers")
        old_lo, old_hi = (dt.date.fromisoformat(store.scalar(conn, f"SELECT substr({f}(d), 1, 10) FROM ("
                          "SELECT MIN(occurred_at) AS d FROM interactions UNION ALL "
                          "SELECT MIN(created_at) FROM posts UNION ALL SELECT MAX(occurred_at) FROM interactions "
                          "UNION ALL SELECT MAX(created_at) FROM posts)")) for f in ("MIN", "MAX"))
    at = open_page("pages/data.py")
    widget = at.date_input(key=Filters.DATES)
    assert widget.value == (old_lo, old_hi)
    # Two interactions a year before the data's first day and a year after its last one.
    new_lo, new_hi = old_lo - dt.timedelta(days=365), old_hi + dt.timedelta(days=365)
    rows = ("interaction_id,customer_id,thread_id,occurred_at,channel,direction,kind\n"
            f"WIDE1,{cid},TW,{new_lo} 10:00,email,inbound,complaint\n"
            f"WIDE2,{cid},TW,{new_hi} 09:00,email,outbound,response\n").encode()
    at.selectbox(key="import_table").select("interactions").run()
    at.file_uploader(key="import_file").upload("wide.csv", rows, "text/csv")
    at.run()
    at.button(key="import_go").click().run()
    assert_clean(at)
    widget = at.date_input(key=Filters.DATES)
    assert (widget.min, widget.max) == (new_lo, new_hi)
    assert widget.value == (new_lo, new_hi)  # the whole range, as before the import: it follows the data
    assert any(plain(s.value).startswith("Imported 2 rows into interactions from wide.csv") for s in at.success), \
        [s.value for s in at.success]
    # Shown once: the next click on the page (another table to peek at) no longer repeats it.
    at.selectbox(key="peek_table").select("posts").run()
    assert not any("wide.csv" in plain(s.value) for s in at.success)
    assert at.date_input(key=Filters.DATES).value == (new_lo, new_hi)
