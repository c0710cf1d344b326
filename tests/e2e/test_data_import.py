"""The Data page's import flow in a real browser, with real public files from tests/data: a person picks
what they import, uploads the file, presses Import and waits; then the database (read here with sqlite3,
or psycopg on PostgreSQL) and the pages show what the file holds (counted here with pandas), or, for a
bad file, the page names the file, row and column and the database is unchanged."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.e2e.conftest import Server, open_page, shoot
from ui import registry

pytestmark = pytest.mark.e2e

DATA = Path(__file__).resolve().parents[1] / "data"
TWCS = DATA / "twcs" / "sample.csv"
TABLES = ("customers", "identities", "interactions", "posts", "brand_accounts")


@contextlib.contextmanager
def connect(db):
    """The database itself, not through the app's store: sqlite3 on the file, or psycopg on a PostgreSQL
    address (its search_path names the test's schema)."""
    if str(db).startswith("postgresql://"):
        import psycopg

        con = psycopg.connect(str(db))
    else:
        con = sqlite3.connect(db)
    try:
        yield con
    finally:
        con.close()


def counts(db) -> dict[str, int]:
    """Rows per table."""
    with connect(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def wait_ready(pg, timeout_ms: int = 120_000) -> None:
    """The page has a title and Streamlit's 'running' widget has gone."""
    pg.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_ms)
    pg.wait_for_function("() => !document.querySelector(\"[data-testid='stStatusWidget']\")", timeout=timeout_ms)
    pg.wait_for_timeout(500)


def no_traceback(pg, where: str) -> None:
    exc = pg.locator("[data-testid='stException']")
    assert exc.count() == 0, f"{where}: exception shown: {exc.first.inner_text()[:800]}"
    assert "Traceback (most recent call last)" not in pg.locator("[data-testid='stMain']").inner_text(), where


def no_error_box(pg, where: str) -> None:
    no_traceback(pg, where)
    errors = pg.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, f"{where}: error box shown: {errors.first.inner_text()[:800]}"


def choose(pg, label: str, option: str) -> None:
    """Pick ``option`` in the selectbox labelled ``label``, as a person does: open it, click the option."""
    box = pg.locator("[data-testid='stSelectbox']").filter(
        has=pg.locator("label", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    box.first.click()
    pg.get_by_role("option", name=option, exact=True).click()
    wait_ready(pg)


def upload(pg, path: Path) -> None:
    """Give the page's (only visible) file uploader a file, as choosing it in the file dialog does, and wait
    for Streamlit to take it."""
    pg.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(path))
    pg.locator("[data-testid='stFileChipName']", has_text=path.name).wait_for(timeout=60_000)
    wait_ready(pg)


def press_import(pg, expect: str | None = None, timeout_ms: int = 240_000) -> str:
    """Press Import and wait until the import's status box says how it ended; its label is returned.

    The box's label (after its state icon's name) ends "Import complete", "Import refused: ..." or
    "Import failed: ..." (while the pages' figures are prepared it reads "Import complete; preparing ...").
    After an earlier import on the page, pass the ending this one should have (``expect``): the earlier
    box stays in sight until the new run replaces it.
    """
    pg.get_by_role("button", name="Import", exact=True).click()
    ending = re.escape(expect) if expect else r"Import complete|Import (refused|failed): nothing was written"
    ended = pg.locator("[data-testid='stExpander'] summary", has_text=re.compile(rf"({ending})\s*$"))
    ended.first.wait_for(timeout=timeout_ms)
    wait_ready(pg)
    return ended.first.inner_text().strip().splitlines()[-1]


def open_import(pg, server, mode: str) -> None:
    """Open the Data page and choose how to import (a built-in format, or a mapping), as a person does."""
    open_page(pg, f"{server.url}/data")
    wait_ready(pg)
    pg.get_by_text(mode, exact=True).click()
    wait_ready(pg)


def metric(pg, label: str) -> str:
    box = pg.locator("[data-testid='stMetric']").filter(
        has=pg.locator("[data-testid='stMetricLabel']", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")))
    box.first.wait_for(timeout=60_000)
    return box.first.locator("[data-testid='stMetricValue']").inner_text().strip()


def number(text: str) -> int:
    return int(text.replace(",", ""))


@pytest.fixture
def target(request):
    """A private copy of the small demo: on the test's engine when it has one, else the SQLite file."""
    if "engine" in request.fixturenames:
        return request.getfixturevalue("engine_demo_copy")
    return request.getfixturevalue("demo_db_copy")


@pytest.fixture
def data_server(target):
    """A server of this test's own on ``target`` (the import writes to it)."""
    srv = Server(target)
    yield srv
    srv.stop()


@pytest.fixture
def user(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    yield context.new_page()
    context.close()


def test_a_real_tweet_dump_is_imported_in_the_browser_and_the_pages_count_it(engine, data_server, user, target):
    """On SQLite and on PostgreSQL."""
    tweets = pd.read_csv(TWCS, dtype=str, keep_default_na=False)
    before = counts(target)
    open_import(user, data_server, "A whole export (built-in format)")
    choose(user, "Format", "tweets: a customer-service tweet dump (Customer Support on Twitter, Twitter API)")
    upload(user, TWCS)
    ended = press_import(user)
    shoot(user, f"data-import-twcs-done-{engine}")
    no_error_box(user, "data page after the import")
    assert ended == "Import complete"

    # Counted here from the file: every tweet is a post and, being in a conversation with a customer,
    # an interaction; each author of an inbound tweet is a new customer with one identity; every other
    # author is a brand account.
    inbound = tweets["inbound"] == "True"
    customers = tweets.loc[inbound, "author_id"].nunique()
    brands = tweets.loc[~inbound, "author_id"].nunique()
    n_tweets = tweets["tweet_id"].nunique()
    after = counts(target)
    added = {t: after[t] - before[t] for t in TABLES}
    assert added == {"customers": customers, "identities": customers, "interactions": n_tweets,
                     "posts": n_tweets, "brand_accounts": brands}
    # What was imported is in sight at once, not folded away in the finished status box.
    success = user.locator("[data-testid='stAlertContentSuccess']")
    assert success.is_visible()
    assert success.inner_text().startswith("Imported sample.csv as tweets")
    assert f"{customers:,} customers" in success.inner_text() and f"{n_tweets:,} posts" in success.inner_text()

    # Going on to the Overview from the sidebar, as a person would, it shows the new totals: every
    # customer (Dataset health) and every interaction (the default view covers all dates, the sidebar's
    # range now reaching back to the tweets of October 2017).
    user.locator("[data-testid='stSidebar'] a", has_text="Overview").first.click()
    wait_ready(user)
    no_error_box(user, "overview after the import")
    assert "dates=" not in user.url  # the whole range, not the range the data had before the import
    assert number(metric(user, "Customers")) == before["customers"] + customers
    assert number(metric(user, "Interactions")) == before["interactions"] + n_tweets
    # Public posts: by default every post but the brand's own (its accounts now include the file's).
    with connect(target) as con:
        public = con.execute("SELECT count(*) FROM posts p WHERE NOT EXISTS (SELECT 1 FROM brand_accounts b "
                             "WHERE b.platform = p.platform AND b.handle = p.author_handle)").fetchone()[0]
    assert number(metric(user, "Public posts")) == public
    shoot(user, f"data-import-twcs-overview-{engine}")

    # Every other page, reached from the sidebar, takes the real rows in without an exception or error box.
    for entry in registry.PAGES:
        if entry.url_path == registry.DEFAULT_PAGE:
            continue
        heading = user.locator("[data-testid='stMain'] h1").first.inner_text()
        user.locator("[data-testid='stSidebar'] a", has_text=entry.title).first.click()
        user.wait_for_function("h => { const e = document.querySelector(\"[data-testid='stMain'] h1\"); "
                               "return e && e.innerText !== h; }", arg=heading, timeout=120_000)
        wait_ready(user, 180_000)
        no_error_box(user, f"{entry.url_path} after the import")


@pytest.mark.parametrize(("kind", "engine"), [("csv", "sqlite"), ("xlsx", "sqlite"), ("csv", "postgresql")])
def test_a_bad_date_deep_in_a_real_file_is_named_by_file_row_and_column_and_nothing_changes(
        kind, engine, data_server, user, target, tmp_path):
    tweets = pd.read_csv(TWCS, dtype=str, keep_default_na=False)
    bad_at = 70  # the 71st tweet: row 72 of the file as a spreadsheet counts it (the header is row 1)
    tweets.loc[bad_at, "created_at"] = "Wed Oct 41 06:55:44 +0000 2017"
    bad = tmp_path / f"twcs-bad-date.{kind}"
    if kind == "csv":
        tweets.to_csv(bad, index=False)
    else:
        tweets.to_excel(bad, index=False)
    before = counts(target)
    open_import(user, data_server, "A whole export (built-in format)")
    upload(user, bad)
    ended = press_import(user)
    shoot(user, f"data-import-bad-{kind}-{engine}")
    no_traceback(user, "data page after a refused import")
    assert ended == "Import refused: nothing was written"
    error = user.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert error.startswith("Import refused: nothing was written.")
    assert bad.name in error and f"row {bad_at + 2}" in error and "created_at" in error, error
    assert counts(target) == before


def test_a_real_zendesk_json_export_is_imported_and_its_new_channel_placed(data_server, user, demo_db_copy):
    zendesk = DATA / "zendesk" / "tickets.jsonl"
    records = pd.read_json(zendesk, lines=True, dtype=False)
    with connect(demo_db_copy) as con:
        known = {c for (c,) in con.execute("SELECT channel FROM channels")}
    before = counts(demo_db_copy)
    open_import(user, data_server, "A whole export (built-in format)")
    choose(user, "Format", "tickets: a help-desk ticket export (Zendesk, Freshdesk, ...)")
    upload(user, zendesk)
    ended = press_import(user)
    shoot(user, "data-import-zendesk-done")
    no_error_box(user, "data page after the zendesk import")
    assert ended == "Import complete"

    # Counted from the file: one customer per requester, one opening touch per ticket; the export holds
    # no reply or solve times and its satisfaction scores are Zendesk's "offered"/"unoffered" (no
    # rating), so nothing else is written.
    scores = {r["score"] for r in records["satisfaction_rating"]}
    assert scores <= {"offered", "unoffered"}
    assert not any(c.startswith(("solved", "first_reply", "reply_time")) for c in records.columns)
    after = counts(demo_db_copy)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "customers": records["requester_id"].nunique(), "identities": 0, "interactions": len(records),
        "posts": 0, "brand_accounts": 0}

    # Zendesk's channels are voice (the phone), web and sample_ticket: the last one is new to the
    # vocabulary and waits on the page, at 0.5, for a person to place it.
    assert {r["channel"] for r in records["via"]} == {"voice", "web", "sample_ticket"}
    assert {"phone", "web"} <= known and "sample_ticket" not in known
    slider = user.locator("[data-testid='stSlider']", has_text="(sample_ticket)")
    slider.wait_for(timeout=30_000)
    thumb = slider.locator("input[type='range']")
    assert thumb.input_value() == "0.5"
    thumb.focus()
    thumb.press("Home")  # all the way to 0: a channel nobody else reads
    slider.locator("[data-testid='stSliderThumbValue']", has_text="0.00").wait_for(timeout=30_000)
    wait_ready(user)
    user.get_by_role("button", name="Save these placements").click()
    user.get_by_text("No channel brought by an import is waiting to be placed.").wait_for(timeout=60_000)
    no_error_box(user, "data page after placing the channel")
    with connect(demo_db_copy) as con:
        assert con.execute("SELECT publicness FROM channels WHERE channel = 'sample_ticket'").fetchone() == (0.0,)


def test_a_real_file_is_imported_through_a_mapping_chosen_on_the_page_and_saved(data_server, user, demo_db_copy):
    """The tweet dump's columns have their own names: a person says which is which for the posts table,
    saves that as a mapping, imports, and finds the mapping offered again."""
    tweets = pd.read_csv(TWCS, dtype=str, keep_default_na=False)
    before = counts(demo_db_copy)
    open_import(user, data_server, "One table from my own column names (mapping)")
    choose(user, "Into table", "posts")
    upload(user, TWCS)
    choose(user, "post_id (required) [text]", "tweet_id")
    choose(user, "author_handle (required) [text]", "author_id")
    choose(user, "created_at (required) [date]", "created_at")
    choose(user, "created_at is written as", "Twitter: Wed Oct 11 06:55:44 +0000 2017")
    choose(user, "text [text]", "text")
    choose(user, "reply_to [text]", "in_response_to_tweet_id")
    platform = user.get_by_label("or one value for every row: platform", exact=True)
    platform.fill("twitter")
    platform.press("Enter")
    wait_ready(user)
    assert user.get_by_text("Still to choose (required)").count() == 0
    name = user.get_by_label("Save this mapping as", exact=True)
    name.fill("Customer Support on Twitter posts")
    name.press("Enter")
    wait_ready(user)
    user.get_by_role("button", name="Save mapping", exact=True).click()
    user.get_by_text("Mapping saved as Customer Support on Twitter posts.").wait_for(timeout=60_000)
    ended = press_import(user)
    shoot(user, "data-import-mapping-done")
    no_error_box(user, "data page after the mapped import")
    assert ended == "Import complete"

    after = counts(demo_db_copy)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "customers": 0, "identities": 0, "interactions": 0, "posts": tweets["tweet_id"].nunique(),
        "brand_accounts": 0}
    # Every tweet's time, read here from Twitter's form into UTC, and the tweet it answers.
    expected = pd.DataFrame({
        "post_id": tweets["tweet_id"],
        "created_at": pd.to_datetime(tweets["created_at"], format="%a %b %d %H:%M:%S %z %Y", utc=True)
        .dt.strftime("%Y-%m-%d %H:%M:%S"),
        "reply_to": tweets["in_response_to_tweet_id"].replace("", None),
        "author_handle": tweets["author_id"]}).sort_values("post_id").reset_index(drop=True)
    con = sqlite3.connect(demo_db_copy)
    try:
        posts = pd.read_sql_query("SELECT post_id, created_at, reply_to, author_handle, sentiment FROM posts", con)
        saved = [n for (n,) in con.execute("SELECT name FROM import_mappings")]
    finally:
        con.close()
    got = posts[posts["post_id"].isin(tweets["tweet_id"])].sort_values("post_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got.drop(columns="sentiment"), expected, check_dtype=False)
    assert got["sentiment"].notna().sum() == (tweets["text"].str.strip() != "").sum()  # scored at import
    assert "Customer Support on Twitter posts" in saved

    # Next time the mapping is offered for the posts table.
    open_import(user, data_server, "One table from my own column names (mapping)")
    choose(user, "Into table", "posts")
    choose(user, "Start from a saved mapping", "Customer Support on Twitter posts")
    no_error_box(user, "data page with the saved mapping chosen")


def test_a_twitter_api_json_array_is_refused_until_the_brand_is_named_then_imported(data_server, user, demo_db_copy):
    """A Twitter API timeline has no 'inbound' column: the page says to name the brand's handles, the person
    types them in the field it names, and the same file then imports."""
    timeline = DATA / "twitter_api" / "user_timeline.json"
    records = json.loads(timeline.read_text(encoding="utf-8"))
    before = counts(demo_db_copy)
    open_import(user, data_server, "A whole export (built-in format)")
    upload(user, timeline)
    assert press_import(user) == "Import refused: nothing was written"
    no_traceback(user, "data page after the refused timeline")
    error = user.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert "user_timeline.json" in error and "'inbound'" in error and "Brand handles" in error, error
    assert counts(demo_db_copy) == before

    authors = {r["user"]["screen_name"] for r in records}
    brand = user.get_by_label("Brand handles (comma-separated; needed when the file has no 'inbound' column)")
    brand.fill(", ".join(f"@{a}" for a in sorted(authors)))  # as people write handles
    brand.press("Enter")
    wait_ready(user)
    assert press_import(user, expect="Import complete") == "Import complete"
    shoot(user, "data-import-timeline-done")
    no_error_box(user, "data page after the timeline import")
    # Counted from the file: every tweet is a post; all are the brand's own, answering tweets not in the
    # file, so no customer and no conversation; the account is new to the brand's accounts.
    con = sqlite3.connect(demo_db_copy)
    try:
        known = {h.lower() for (h,) in con.execute("SELECT handle FROM brand_accounts WHERE platform = 'twitter'")}
        posts = pd.read_sql_query("SELECT post_id, author_handle FROM posts WHERE platform = 'twitter'", con)
    finally:
        con.close()
    after = counts(demo_db_copy)
    assert {t: after[t] - before[t] for t in TABLES} == {
        "customers": 0, "identities": 0, "interactions": 0, "posts": len({r["id_str"] for r in records}),
        "brand_accounts": len(authors)}
    assert {a.lower() for a in authors} <= known
    mine = posts[posts["post_id"].isin([r["id_str"] for r in records])]
    assert set(mine["author_handle"]) == authors
