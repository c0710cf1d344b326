"""The one in-process memo (analysis/memo.py): bounded, keyed on the rows version, loads once under threads."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from analysis import memo, store
from analysis.filters import Filters
from analysis.store import aggregates


@pytest.fixture(autouse=True)
def fresh_memo():
    memo.clear()
    yield
    memo.clear()


@pytest.fixture
def file_db(tmp_path):
    db = store.connect(tmp_path / "m.sqlite")
    yield db
    db.close()


class Counter:
    """A loader that counts its calls and returns a new object each time."""

    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"call": self.calls}


def test_bounded_least_recently_used_goes_first():
    m = memo.Memo(3)
    for k in "abc":
        m.get(k, lambda k=k: k.upper())
    assert m.get("a", lambda: "again") == "A"  # 'a' is now the most recently used
    m.get("d", lambda: "D")
    assert len(m) == 3
    assert m.peek("b") is None  # the least recently used went first
    assert [m.peek(k) for k in "acd"] == ["A", "C", "D"]
    for i in range(10):
        m.get(i, lambda i=i: i)
    assert len(m) == 3


def test_the_module_memo_is_bounded(file_db):
    for i in range(memo.SIZE + 5):
        memo.kept(file_db, "n", lambda i=i: i, (i,))
    assert len(memo._KEPT) == memo.SIZE
    assert memo.peek(file_db, "n", (0,)) is None
    assert memo.peek(file_db, "n", (memo.SIZE + 4,)) == memo.SIZE + 4


def test_keyed_on_the_rows_version(file_db):
    load = Counter()
    first = memo.kept(file_db, "x", load)
    assert memo.kept(file_db, "x", load) is first and load.calls == 1
    store.set_publicness(file_db, "email", 0.3)  # a setting: the rows did not change
    assert memo.kept(file_db, "x", load) is first and load.calls == 1
    with file_db.atomic():
        store.bump_version(file_db)  # what an import does: the data changed
    second = memo.kept(file_db, "x", load)
    assert load.calls == 2 and second is not first
    assert memo.kept(file_db, "x", load) is second
    # The newer version replaced the older one: one value per input.
    assert sum(1 for k in memo._KEPT.keys() if k[3] == "x") == 1


def test_settings_key_on_the_data_version(file_db):
    load = Counter()
    first = memo.kept(file_db, "labels", load, settings=True)
    store.set_publicness(file_db, "email", 0.3)
    assert memo.kept(file_db, "labels", load, settings=True) is not first and load.calls == 2


def test_arguments_and_names_are_part_of_the_key(file_db):
    assert memo.kept(file_db, "a", lambda: 1, (True,)) == 1
    assert memo.kept(file_db, "a", lambda: 2, (False,)) == 2
    assert memo.kept(file_db, "b", lambda: 3, (True,)) == 3
    assert memo.kept(file_db, "a", lambda: 99, (True,)) == 1


def test_another_database_file_is_another_key(tmp_path, file_db):
    other = store.connect(tmp_path / "other.sqlite")
    try:
        assert memo.kept(file_db, "x", lambda: "first") == "first"
        assert memo.kept(other, "x", lambda: "other") == "other"
    finally:
        other.close()


def test_in_memory_databases_are_never_kept():
    db = store.memory_db()
    load = Counter()
    memo.kept(db, "x", load)
    memo.kept(db, "x", load)
    assert load.calls == 2
    assert memo.peek(db, "x") is None


def test_concurrent_callers_share_one_load(file_db):
    path = store.database_file(file_db)
    calls, started, release = [], threading.Event(), threading.Event()

    def slow():
        calls.append(1)
        started.set()
        release.wait(5)
        return object()

    results = []

    def worker():
        with store.connection(path, create=False) as c:
            results.append(memo.kept(c, "slow", slow))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    assert started.wait(5)
    # While the load runs, the input counts as loading (what Continuum's prefetch checks).
    assert memo.kept_or_loading(file_db, [("slow", ())])
    assert memo.peek(file_db, "slow") is None  # peek never waits
    time.sleep(0.05)  # let the other seven reach the wait
    release.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)
    assert memo.kept_or_loading(file_db, [("slow", ())])  # now kept
    assert not memo.kept_or_loading(file_db, [("slow", ()), ("never", ())])


def test_a_failed_load_keeps_nothing_and_the_next_caller_tries_again(file_db):
    def broken():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        memo.kept(file_db, "x", broken)
    assert not memo.kept_or_loading(file_db, [("x", ())])
    assert memo.kept(file_db, "x", lambda: 5) == 5


def test_per_text_computes_each_distinct_text_once():
    seen = []

    def upper(texts):
        seen.extend(texts)
        return [t.upper() for t in texts]

    assert memo.per_text("t", "k", ["a", "b", "a"], upper) == {"a": "A", "b": "B"}
    assert memo.per_text("t", "k", ["b", "c"], upper) == {"b": "B", "c": "C"}
    assert seen == ["a", "b", "c"]
    # Another key (another lexicon, say) is another table.
    memo.per_text("t", "k2", ["a"], upper)
    assert seen == ["a", "b", "c", "a"]
    # A table that would pass its limit starts over.
    memo.per_text("t", "small", ["x", "y"], upper, limit=2)
    memo.per_text("t", "small", ["z"], upper, limit=2)
    memo.per_text("t", "small", ["x"], upper, limit=2)
    assert seen[-4:] == ["x", "y", "z", "x"]  # x computed again after the table started over


def test_unfiltered_is_kept_in_the_database_and_filtered_is_computed(file_db):
    load = Counter()
    first = memo.unfiltered_kept(file_db, Filters(), "t.k", load)
    assert memo.unfiltered_kept(file_db, Filters(), "t.k", load) == first and load.calls == 1
    assert aggregates.load(file_db, "t.k", store.rows_version(file_db)) == first
    f = Filters(date_from=dt.date(2025, 1, 1))
    memo.unfiltered_kept(file_db, f, "t.k", load)
    memo.unfiltered_kept(file_db, f, "t.k", load)
    assert load.calls == 3  # filtered results are not kept
    parts = memo.unfiltered_kept(file_db, Filters(), "t.parts", lambda: {"a": [1], "b": {"x": 2}}, parts=("a", "b"))
    assert parts == {"a": [1], "b": {"x": 2}}
    assert aggregates.load(file_db, "t.parts.b", store.rows_version(file_db)) == {"x": 2}
