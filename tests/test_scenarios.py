"""Saved scenarios and decks: round trips, refusals, links, comparison, deck navigation and atomic writes."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from analysis import scenarios as sc
from analysis import store
from analysis.filters import Filters
from analysis.store import scenarios as sql


@pytest.fixture
def db(engine_db):
    """Every test here that takes ``db`` runs on SQLite and on PostgreSQL."""
    return engine_db

FOCUS = {"segment": ["Value", "Premium"], "focus": "phone"}


def names(db) -> list[str]:
    return sc.list_scenarios(db)["name"].tolist()


# -- save / load / rename / delete -------------------------------------------
def test_save_load_round_trip(db):
    saved = sc.save(db, "  Phone focus ", "continuum", FOCUS, notes="Premium callers first")
    assert saved.name == "Phone focus"  # surrounding spaces dropped
    assert saved.page == "continuum"
    assert saved.params == FOCUS
    assert saved.notes == "Premium callers first"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", saved.created_at)
    assert saved.updated_at == saved.created_at
    by_name = sc.load(db, "Phone focus")
    by_id = sc.load(db, saved.scenario_id)
    assert by_name == by_id == saved
    assert list(by_name.params) == ["segment", "focus"]  # key order survives JSON


def test_save_rename_delete_cycle(db):
    first = sc.save(db, "Baseline", "overview", {})
    renamed = sc.rename(db, "Baseline", "Before the campaign")
    assert renamed.scenario_id == first.scenario_id
    assert names(db) == ["Before the campaign"]
    with pytest.raises(sc.ScenarioNotFound, match="No scenario called 'Baseline'"):
        sc.load(db, "Baseline")
    assert sc.delete(db, "Before the campaign") is True
    assert sc.delete(db, "Before the campaign") is False
    assert names(db) == []
    with pytest.raises(sc.ScenarioNotFound, match=f"id {first.scenario_id}"):
        sc.load(db, first.scenario_id)


def test_duplicate_name_refused_unless_overwrite(db):
    first = sc.save(db, "What if", "continuum", {"focus": "phone"}, notes="v1")
    with pytest.raises(ValueError, match="A scenario called 'What if' already exists"):
        sc.save(db, "What if", "continuum", {"focus": "email"})
    assert sc.load(db, "What if").params == {"focus": "phone"}  # untouched
    second = sc.save(db, "What if", "cascades", {"focus": "email"}, notes="v2", overwrite=True)
    assert second.scenario_id == first.scenario_id
    assert second.created_at == first.created_at
    assert (second.page, second.params, second.notes) == ("cascades", {"focus": "email"}, "v2")
    assert names(db) == ["What if"]


def test_rename_refusals_leave_everything_as_it_was(db):
    sc.save(db, "A", "continuum", {"x": 1})
    sc.save(db, "B", "continuum", {"x": 2})
    with pytest.raises(ValueError, match="'B' already exists"):
        sc.rename(db, "A", "B")
    with pytest.raises(sc.ScenarioNotFound):
        sc.rename(db, "nope", "C")
    with pytest.raises(ValueError, match="needs a name"):
        sc.rename(db, "A", "   ")
    assert sorted(names(db)) == ["A", "B"]
    assert sc.load(db, "A").params == {"x": 1}
    assert sc.rename(db, "A", "A").name == "A"  # same name: nothing to do


@pytest.mark.parametrize("name, message", [
    ("", "needs a name"), ("   ", "needs a name"), ("two\nlines", "one line"), ("x" * 121, "at most 120"),
])
def test_bad_names_refused(db, name, message):
    with pytest.raises(ValueError, match=message):
        sc.save(db, name, "continuum", {})
    assert names(db) == []


@pytest.mark.parametrize("params, message", [
    ({"start": dt.date(2024, 1, 1)}, "'start' is a date.*YYYY-MM-DD"),
    ({"nested": {"a": 1}}, "'nested' is a dict"),
    ({"deep": [[1, 2]]}, "'deep' is a list"),
    ({"share": float("nan")}, "'share' is nan"),
    ({"": 1}, "non-empty text"),
    ({3: "x"}, "non-empty text"),
])
def test_params_must_be_flat_json(db, params, message):
    with pytest.raises(ValueError, match=message):
        sc.save(db, "bad", "continuum", params)
    assert names(db) == []


def test_params_type_and_page_checked(db):
    with pytest.raises(TypeError, match="dict of settings"):
        sc.save(db, "x", "continuum", ["focus", "phone"])
    for page in ("javascript:alert(1)", "https://example.org/x", "", "a b"):
        with pytest.raises(ValueError, match="URL path"):
            sc.save(db, "x", page, {})
    assert sc.save(db, "x", "pages/continuum.py", {}).page == "continuum"
    assert sc.save(db, "y", "/cascades", {}).page == "cascades"


def test_tuples_are_saved_as_lists(db):
    assert sc.save(db, "t", "continuum", {"segment": ("A", "B")}).params == {"segment": ["A", "B"]}


# -- links, filters, listing ------------------------------------------------
def test_url_exact():
    s = sc.Scenario(name="x", page="continuum", params=FOCUS)
    assert s.url() == "continuum?segment=Value&segment=Premium&focus=phone"
    assert sc.Scenario(name="x", page="overview").url() == "overview"
    odd = sc.Scenario(name="x", page="p", params={"present": True, "off": False, "k": 5.0, "r": 0.25,
                                                  "c": None, "m": [], "q": "a b&c=é"})
    assert odd.url() == "p?present=true&off=false&k=5&r=0.25&c=&m=&q=a+b%26c%3D%C3%A9"


def test_url_survives_the_database(db):
    saved = sc.save(db, "s", "continuum", FOCUS)
    assert sc.load(db, "s").url() == "continuum?segment=Value&segment=Premium&focus=phone"
    assert sc.list_scenarios(db)["url"].tolist() == [saved.url()]


def test_filters_from_sidebar_keys_and_filter_params():
    s = sc.Scenario(name="s", page="continuum",
                    params={"dates": ["2024-01-01", "2024-03-31"], "segment": ["Value", "Premium"],
                            "region": "North", "focus": "phone"})
    assert s.filters() == Filters(date_from="2024-01-01", date_to="2024-03-31", segments=("Premium", "Value"),
                                  regions=("North",))
    assert s.caption() == "Filtered: from 01 Jan 2024 to 31 Mar 2024; segment Premium or Value; region North"
    via_to_params = sc.Scenario(name="t", page="x", params=Filters(segments=("A", "B"), date_from="2024-02-01")
                                .to_params())
    assert via_to_params.filters() == Filters(segments=("A", "B"), date_from="2024-02-01")
    assert sc.Scenario(name="u", page="x").caption() == "All data"
    with pytest.raises(ValueError, match="Scenario 'bad'"):
        sc.Scenario(name="bad", page="x", params={"dates": ["2024-03-01", "2024-01-01"]}).filters()


def test_list_scenarios_columns_order_and_page_filter(db):
    empty = sc.list_scenarios(db)
    assert empty.empty
    assert list(empty.columns) == ["scenario_id", "name", "page", "notes", "settings", "url", "created_at",
                                   "updated_at", "problem"]
    sc.save(db, "one", "continuum", {"focus": "phone"})
    sc.save(db, "two", "cascades", {})
    sc.save(db, "three", "continuum", {"segment": ["A", "B"]})
    # Same second: the later save comes first.
    assert names(db) == ["three", "two", "one"]
    only = sc.list_scenarios(db, page="continuum")
    assert only["name"].tolist() == ["three", "one"]
    assert only["settings"].tolist() == ["Segment: A, B", "Focus channel: phone"]
    assert sc.list_scenarios(db, page="cascades")["settings"].tolist() == ["No settings: the page's default view"]


def test_params_from_query():
    assert sc.params_from_query({"segment": ["A", "B"], "focus": ["phone"], "present": ["true"], "k": "1"}) == \
        {"segment": ["A", "B"], "focus": "phone", "k": "1"}

    class QueryParams(dict):  # the shape of st.query_params: iterate keys, get_all(key) -> list
        def get_all(self, key):
            return list(self[key]) if isinstance(self[key], list) else [self[key]]

    assert sc.params_from_query(QueryParams(segment=["A"], region=["N", "S"])) == {"segment": "A",
                                                                                   "region": ["N", "S"]}


# -- compare ---------------------------------------------------------------
def test_compare_marks_differences_in_words():
    a = sc.Scenario(name="Phone", page="continuum", params={"segment": ["Value", "Premium"], "focus": "phone",
                                                             "threshold": 5, "present": True})
    b = sc.Scenario(name="Email", page="continuum", params={"segment": ["Premium", "Value"], "focus": "email",
                                                             "threshold": 5.0, "extra": None})
    table = sc.compare(a, b)
    assert list(table.columns) == ["setting", "Phone", "Email", "differs", "in words"]
    got = dict(zip(table["setting"], table["differs"]))
    # Known settings read by their labels (the Workshop, compare and slides never show internal keys).
    assert got == {"page": False, "Segment": False, "Focus channel": True, "threshold": False, "present": True,
                   "extra": True}
    assert table["differs"].dtype == bool
    row = table.set_index("setting")
    assert row.loc["Focus channel", "in words"] == "Focus channel is phone in “Phone” but email in “Email”"
    assert row.loc["present", "Email"] == "(default)"
    assert row.loc["present", "Phone"] == "on"
    assert row.loc["extra", "in words"] == "extra is the default in “Phone” but cleared in “Email”"
    assert row.loc["Segment", "in words"] == "Segment is Value, Premium in both"
    assert row.loc["page", "in words"] == "both on continuum"


def test_compare_same_names_and_pages():
    a = sc.Scenario(name="Same", page="continuum")
    b = sc.Scenario(name="Same", page="cascades")
    table = sc.compare(a, b)
    assert list(table.columns) == ["setting", "Same (A)", "Same (B)", "differs", "in words"]
    assert table["differs"].tolist() == [True]


# -- decks -----------------------------------------------------------------
def _three(db):
    for n, focus in (("A", "phone"), ("B", "email"), ("C", "chat")):
        sc.save(db, n, "continuum", {"focus": focus})


def test_decks_keep_their_order(db):
    _three(db)
    deck = sc.save_deck(db, "Workshop 1", ["C", "A", "B", "A"], notes="Start with chat")
    assert [s.name for s in deck] == ["C", "A", "B", "A"]
    assert [s.name for s in sc.load_deck(db, "Workshop 1")] == ["C", "A", "B", "A"]
    by_id = sc.save_deck(db, "By id", [sc.load(db, "B").scenario_id, "C"])
    assert [s.name for s in by_id] == ["B", "C"]
    decks = sc.list_decks(db)
    assert decks["name"].tolist() == ["By id", "Workshop 1"]
    assert decks["n_scenarios"].tolist() == [2, 4]
    assert decks.set_index("name").loc["Workshop 1", "scenarios"] == "C → A → B → A"
    assert decks.set_index("name").loc["Workshop 1", "notes"] == "Start with chat"


def test_deck_refusals_write_nothing(db):
    _three(db)
    with pytest.raises(sc.ScenarioNotFound, match="no scenario 'Z'"):
        sc.save_deck(db, "D", ["A", "Z", "B"])
    assert sc.list_decks(db).empty
    with pytest.raises(ValueError, match="at least one"):
        sc.save_deck(db, "D", [])
    with pytest.raises(ValueError, match="needs a name"):
        sc.save_deck(db, " ", ["A"])
    sc.save_deck(db, "D", ["A", "B"])
    with pytest.raises(ValueError, match="A deck called 'D' already exists"):
        sc.save_deck(db, "D", ["C"])
    # Overwriting with an unknown scenario keeps the old deck whole.
    with pytest.raises(sc.ScenarioNotFound):
        sc.save_deck(db, "D", ["C", "nope"], overwrite=True)
    assert [s.name for s in sc.load_deck(db, "D")] == ["A", "B"]
    assert [s.name for s in sc.save_deck(db, "D", ["C"], notes="new", overwrite=True)] == ["C"]
    assert sc.list_decks(db)["notes"].tolist() == ["new"]


def test_delete_deck_and_scenario_in_deck(db):
    _three(db)
    sc.save_deck(db, "D", ["A", "B", "C"])
    assert sc.delete(db, "B") is True
    assert [s.name for s in sc.load_deck(db, "D")] == ["A", "C"]
    assert sc.delete_deck(db, "D") is True
    assert sc.delete_deck(db, "D") is False
    with pytest.raises(sc.DeckNotFound, match="No deck called 'D'"):
        sc.load_deck(db, "D")
    assert sorted(names(db)) == ["A", "C"]  # scenarios outlive their deck


@pytest.mark.parametrize("n, position, delta, expected", [
    (5, 0, 1, 1), (5, 2, -1, 1), (5, 0, -1, 0), (5, 4, 1, 4), (5, 4, 10, 4), (5, 3, -10, 0),
    (5, 9, 0, 4), (1, 0, 1, 0), (0, 0, 1, 0), (0, 3, -1, 0),
])
def test_deck_step_clamps(n, position, delta, expected):
    assert sc.deck_step(n, position, delta) == expected


# -- storage ---------------------------------------------------------------
def test_every_write_counts_as_a_scenario_change_not_a_data_change(db):
    v0, s0 = store.data_version(db), sql.scenarios_version(db)
    sc.save(db, "A", "continuum", {})
    sc.save(db, "B", "continuum", {})
    sc.rename(db, "B", "C")
    sc.save_deck(db, "D", ["A", "C"])
    sc.delete_deck(db, "D")
    sc.delete(db, "C")
    assert sql.scenarios_version(db) == s0 + 6
    # Saving a view changes no data: the pages' caches, rollups and kept figures stay valid.
    assert store.data_version(db) == v0
    with pytest.raises(ValueError):
        sc.save(db, "A", "continuum", {})
    sc.delete(db, "missing")
    assert sql.scenarios_version(db) == s0 + 6  # refusals change nothing


def test_writes_are_atomic(db, monkeypatch):
    sc.save(db, "A", "continuum", {"focus": "phone"})

    def boom(_db):
        raise RuntimeError("disk full")

    # scenarios_changed runs last inside each write's transaction: failing there must undo the write.
    monkeypatch.setattr(sql, "scenarios_changed", boom)
    with pytest.raises(RuntimeError, match="disk full"):
        sc.save(db, "B", "continuum", {})
    with pytest.raises(RuntimeError):
        sc.save(db, "A", "cascades", {"focus": "email"}, overwrite=True)
    with pytest.raises(RuntimeError):
        sc.rename(db, "A", "Z")
    with pytest.raises(RuntimeError):
        sc.save_deck(db, "D", ["A"])
    with pytest.raises(RuntimeError):
        sc.delete(db, "A")
    monkeypatch.undo()
    assert names(db) == ["A"]
    assert sc.load(db, "A").params == {"focus": "phone"}
    assert sc.list_decks(db).empty
    assert not db.conn.in_transaction


def test_tables_created_on_connect_and_by_ensure(tmp_path):
    path = tmp_path / "s.sqlite"
    conn = store.connect(path)
    assert {"scenarios", "decks", "deck_items"} <= set(conn.table_names())
    sc.save(conn, "kept", "continuum", FOCUS)
    conn.close()
    again = store.connect(path)
    assert sc.load(again, "kept").params == FOCUS
    again.close()
    # A database whose tables were dropped (or made before this module existed) gets them back.
    fresh = store.memory_db()
    for table in ("deck_items", "decks", "scenarios"):
        fresh.conn.execute(f"DROP TABLE {table}")
    assert sc.list_scenarios(fresh).empty
    assert sc.list_decks(fresh).empty
    assert {"scenarios", "decks", "deck_items"} <= set(fresh.table_names())
    fresh.close()


def test_load_rejects_odd_keys(db):
    with pytest.raises(TypeError):
        sc.load(db, True)
    with pytest.raises(TypeError):
        sc.load(db, 1.5)
