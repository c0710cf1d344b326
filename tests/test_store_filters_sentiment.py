"""The store's contracts, the filter object (SQL and words), and offline VADER."""

from __future__ import annotations

import datetime as dt

import pytest

from analysis import sentiment, store
from analysis.filters import Filters


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db


def test_schema_has_the_agreed_tables_and_a_channel_vocabulary(db):
    for t in ("customers", "identities", "interactions", "posts", "follows", "survey_responses", "channels"):
        assert t in db.table_names()
    ch = store.channels(db).set_index("channel")["publicness"]
    assert ch["post"] == 1.0 and ch["store"] == 0.0
    assert ch["review"] > ch["forum"] > ch["dm"] > ch["phone"] > ch["kiosk"]


def test_publicness_is_editable_and_validated(db):
    store.set_publicness(db, "email", 0.4)
    assert store.channels(db).set_index("channel").loc["email", "publicness"] == 0.4
    with pytest.raises(ValueError):
        store.set_publicness(db, "email", 1.2)


def test_upsert_is_all_or_nothing_inside_atomic(db):
    with pytest.raises(RuntimeError):
        with db.atomic():
            store.upsert_rows(db, "customers", [{"customer_id": "C1", "name": "Ann"}])
            raise RuntimeError("boom")
    assert store.scalar(db, "SELECT COUNT(*) FROM customers") == 0


def test_data_version_moves_on_every_write(db):
    v = store.data_version(db)
    store.upsert_rows(db, "customers", [{"customer_id": "C1"}])
    assert store.data_version(db) == v + 1


def test_db_path_honours_argument_then_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("CONTINUUM_DB", str(tmp_path / "env.sqlite"))
    assert store.db_path() == tmp_path / "env.sqlite"
    assert store.db_path(tmp_path / "x.sqlite") == tmp_path / "x.sqlite"
    monkeypatch.delenv("CONTINUUM_DB")
    assert store.db_path() == store.DEFAULT_DB


def test_connect_uses_wal(tmp_path):
    conn = store.connect(tmp_path / "w.sqlite")
    assert conn.journal_mode == "wal"
    conn.close()


FILTER_CASES = [
    (Filters(), "1=1", [], "All data"),
    (Filters(date_from="2025-01-01", date_to="2025-01-31"), "(occurred_at || '') >= ? AND (occurred_at || '') < ?",
     ["2025-01-01", "2025-02-01"], "Filtered: from 01 Jan 2025 to 31 Jan 2025"),
    (Filters(segments=("Value", "Premium")),
     "customer_id IN (SELECT customer_id FROM customers WHERE segment IN (?,?))", ["Premium", "Value"],
     "Filtered: segment Premium or Value"),
    (Filters(regions=("Europe",), platforms=("x",)),
     "customer_id IN (SELECT customer_id FROM customers WHERE region IN (?))", ["Europe"],
     "Filtered: region Europe; platform x"),
]


@pytest.mark.parametrize("f,sql,params,caption", FILTER_CASES)
def test_filters_to_sql_and_words(f, sql, params, caption):
    assert f.interactions_where() == (sql, params)
    assert f.caption() == caption


def test_filters_select_the_right_rows(db):
    store.upsert_rows(db, "customers", [{"customer_id": "C1", "segment": "Value", "region": "Europe"},
                                        {"customer_id": "C2", "segment": "Premium", "region": "Asia"}])
    store.upsert_rows(db, "interactions", [
        {"interaction_id": "I1", "customer_id": "C1", "occurred_at": "2025-01-31 23:59:00", "channel": "phone",
         "direction": "inbound"},
        {"interaction_id": "I2", "customer_id": "C2", "occurred_at": "2025-02-01 00:00:00", "channel": "phone",
         "direction": "inbound"}])
    store.upsert_rows(db, "identities", [{"customer_id": "C1", "platform": "x", "handle": "ann"}])
    store.upsert_rows(db, "posts", [
        {"post_id": "p1", "platform": "x", "author_handle": "ann", "created_at": "2025-01-05 10:00:00"},
        {"post_id": "p2", "platform": "x", "author_handle": "stranger", "created_at": "2025-01-05 10:00:00"}])

    def ids(table, f):
        where, params = f.interactions_where() if table == "interactions" else f.posts_where()
        key = "interaction_id" if table == "interactions" else "post_id"
        return [r[0] for r in db.conn.execute(f"SELECT {key} FROM {table} WHERE {where} ORDER BY 1", params)]

    assert ids("interactions", Filters(date_to=dt.date(2025, 1, 31))) == ["I1"]  # the whole last day counts
    assert ids("interactions", Filters(segments=("Premium",))) == ["I2"]
    assert ids("posts", Filters()) == ["p1", "p2"]
    assert ids("posts", Filters(segments=("Value",))) == ["p1"]  # only linked authors carry a segment
    assert ids("posts", Filters(platforms=("instagram",))) == []


def test_filters_round_trip_through_url_params():
    f = Filters(date_from="2025-01-01", segments=("B", "A"), platforms=("x",))
    assert Filters.from_params(f.to_params()) == f
    with pytest.raises(ValueError):
        Filters(date_from="2025-02-01", date_to="2025-01-01")


def test_vader_runs_offline_and_scores_in_range():
    assert sentiment.score("I love this, great service!") > 0.5
    assert sentiment.score("Terrible. Worst support ever.") < -0.5
    assert sentiment.score("") is None and sentiment.score(None) is None
    scores, distinct = sentiment.score_texts(["good", "good", None, "bad"])
    assert distinct == 2 and scores[0] == scores[1] and scores[2] is None
    assert all(-1 <= s <= 1 for s in scores if s is not None)


def test_sentiment_labels_follow_vaders_convention():
    assert [sentiment.label(x) for x in (0.05, 0.049, -0.05, None)] == ["positive", "neutral", "negative", "none"]


def test_a_bulk_load_keeps_every_index(db, monkeypatch):
    monkeypatch.setattr(store, "BULK_ROWS", 10)
    before = sorted(r[0] for r in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interactions' AND sql IS NOT NULL"))
    store.upsert_rows(db, "customers", [{"customer_id": "C1"}])
    rows = [{"interaction_id": f"I{i}", "customer_id": "C1", "occurred_at": "2025-01-01 00:00:00",
             "channel": "phone", "direction": "inbound"} for i in range(50)]
    store.upsert_rows(db, "interactions", rows)
    after = sorted(r[0] for r in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interactions' AND sql IS NOT NULL"))
    assert after == before and store.scalar(db, "SELECT COUNT(*) FROM interactions") == 50
    with pytest.raises(RuntimeError):
        with db.atomic():
            store.upsert_rows(db, "interactions", [dict(r, interaction_id=f"J{i}") for i, r in enumerate(rows)])
            raise RuntimeError("import failed")
    assert sorted(r[0] for r in db.conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'interactions' AND sql IS NOT NULL")) \
        == before  # a failed bulk load restores the indexes too


def test_aggregates_are_kept_per_data_version_and_never_pickled(tmp_path):
    import pandas as pd

    from analysis.store import aggregates

    db = store.connect(tmp_path / "a.sqlite")
    calls = []

    def compute():
        calls.append(1)
        return pd.DataFrame({"day": ["2025-01-01"], "posts": [3]})

    first = aggregates.memo(db, "k", compute)
    again = aggregates.memo(db, "k", compute)
    assert len(calls) == 1 and again.equals(first)
    store.upsert_rows(db, "customers", [{"customer_id": "C1"}])  # the data changed
    aggregates.memo(db, "k", compute)
    assert len(calls) == 2
    kinds = {r[0] for r in db.conn.execute("SELECT kind FROM aggregates")}
    assert kinds <= {"frame", "json"}
    assert aggregates.memo(db, "plain", lambda: {"a": 1}) == {"a": 1}
    db.close()


@pytest.mark.parametrize("alias", ["", "i"])
def test_exists_form_of_the_customer_filter_selects_the_same_rows(db, alias):
    store.upsert_rows(db, "customers", [{"customer_id": "C1", "segment": "Value"},
                                        {"customer_id": "C2", "segment": "Premium"}])
    store.upsert_rows(db, "interactions", [
        {"interaction_id": f"I{n}", "customer_id": c, "occurred_at": "2025-01-01 00:00:00", "channel": "phone",
         "direction": "inbound"} for n, c in enumerate(["C1", "C2", "C2"])])
    f = Filters(segments=("Premium",))
    table = f"interactions {alias}" if alias else "interactions"
    for exists in (False, True):
        where, params = f.interactions_where(alias, exists=exists)
        assert store.scalar(db, f"SELECT COUNT(*) FROM {table} WHERE {where}", params) == 2


def test_frame_mask_applies_the_same_rules_in_memory():
    import pandas as pd

    frame = pd.DataFrame({
        "at": ["2025-01-01 09:00:00", "2025-01-31 23:59:59", "2025-02-01 00:00:00", None],
        "platform": ["x", "x", "instagram", "x"],
        "segment": ["Value", "Premium", "Value", "Value"],
        "region": ["Europe"] * 4,
    })
    f = Filters(date_from="2025-01-01", date_to="2025-01-31")
    assert f.frame_mask(frame, date="at").tolist() == [True, True, False, False]  # the whole last day counts
    assert Filters(platforms=("x",), segments=("Value",)).frame_mask(frame).tolist() == [True, False, False, True]
    assert Filters(segments=("Value",)).frame_mask(frame, customer=False).tolist() == [True] * 4
    days = frame.assign(day=["2025-01-01", "2025-01-31", "2025-02-01", "2025-01-15"])
    assert f.frame_mask(days, date="day").tolist() == [True, True, False, True]
