"""The one in-process memo: inputs kept in this process, keyed on database file, rows version, name and arguments.

Three places keep results, each for its own reason: Streamlit's cache (``pages/``) keeps a page's results
per filters; the database keeps heavy unfiltered results per rows version for every process
(``analysis.store.aggregates``, ``rollups``); this module keeps, in this process, the filter-independent
inputs a page filters in memory (Continuum's coded activity and conversations, the posts cube...), so a
filter change neither fetches nor decodes them again. Nothing else in ``analysis/`` keeps per-database
values of its own.

- ``kept(db, name, load, args)``: ``load()`` once per (database file, rows version, name, args); a second
  caller of a value being loaded waits for that load instead of repeating it (Continuum's background
  ``prefetch`` and the page ask for the same inputs at once). In-memory databases are never kept.
- ``peek`` and ``kept_or_loading``: what is there, without waiting.
- ``per_text``: values of a pure function of a text (a sentiment score, a motive under a lexicon),
  each distinct text computed once.
- ``unfiltered_kept``: the repeated choice "unfiltered: the copy kept in the database; filtered: a query".
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any, TypeVar

import sqlite_utils

from analysis import store
from analysis.filters import Filters
from analysis.store import aggregates

T = TypeVar("T")

# Values kept at once, least recently used dropped first. The largest (Continuum's activity at a million
# interactions) are tens of megabytes; most are small (fitted models, cubes). Some twelve inputs are kept
# per database and version (one per name in ``kept`` calls), and What if adds one model per view: room
# for all of them and a few models, so that a visit to What if does not push out a page's input.
SIZE = 20
# Per-text tables kept at once (one per lexicon, say), and distinct texts per table before it starts over.
TEXT_TABLES = 6
TEXTS_PER_TABLE = 500_000


class Memo:
    """A bounded, thread-safe map, least recently used dropped first, whose loads run once: a caller
    asking for a key that another thread is loading waits for that load and gets its value."""

    def __init__(self, size: int):
        self.size = int(size)
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._loading: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T], replaces: Callable[[Hashable], bool] | None = None) -> T:
        """The value of ``key``, ``load()`` on a miss. ``replaces(other_key)``: keys the new value makes
        obsolete (an older version of the same input), dropped when it is stored."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]
            try:
                value = load()
            except BaseException:
                with self._lock:  # the next caller tries again
                    if self._loading.get(key) is loading:
                        del self._loading[key]
                raise
            with self._lock:
                if replaces is not None:
                    for old in [k for k in self._values if k != key and replaces(k)]:
                        del self._values[old]
                self._values[key] = value
                while len(self._values) > self.size:
                    self._values.popitem(last=False)
                if self._loading.get(key) is loading:
                    del self._loading[key]
        return value

    def peek(self, key: Hashable):
        """The value of ``key`` if it is kept (never waits for a load in flight), else None."""
        with self._lock:
            return self._values.get(key)

    def keys(self, loading: bool = True) -> set:
        """Keys kept, and (``loading``) keys being loaded."""
        with self._lock:
            return set(self._values) | (set(self._loading) if loading else set())

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_KEPT = Memo(SIZE)
_TEXTS = Memo(TEXT_TABLES)
_TEXTS_LOCK = threading.Lock()


def _inode(path: str) -> int | None:
    try:
        return os.stat(path).st_ino  # a file replaced at the same path is another database
    except OSError:
        return None


def key_of(db: sqlite_utils.Database, name: str, args: tuple = (), *, settings: bool = False) -> tuple | None:
    """The memo's key: (file, inode, version, name, args); None for an in-memory database. The version is
    ``store.rows_version``, or with ``settings`` (the value also depends on settings such as a channel's
    publicness or label) ``store.data_version``, which settings move too."""
    path = store.database_file(db)
    if not path:
        return None
    version = store.data_version(db) if settings else store.rows_version(db)
    return (path, _inode(path), version, name, tuple(args))


def kept(db: sqlite_utils.Database, name: str, load: Callable[[], T], args: tuple = (), *,
         settings: bool = False) -> T:
    """``load()`` once per database file, version, ``name`` and ``args`` in this process (see ``key_of``);
    concurrent callers wait for one load. A newer version replaces the older ones of the same input.
    Callers must not change the value. In-memory databases are not kept."""
    key = key_of(db, name, args, settings=settings)
    if key is None:
        return load()
    return _KEPT.get(key, load, replaces=lambda k: k[0] == key[0] and k[3:] == key[3:])


def peek(db: sqlite_utils.Database, name: str, args: tuple = (), *, settings: bool = False):
    """The value ``kept`` holds for these arguments, or None (never loads, never waits)."""
    key = key_of(db, name, args, settings=settings)
    return None if key is None else _KEPT.peek(key)


def kept_or_loading(db: sqlite_utils.Database, wanted: Iterable[tuple[str, tuple]], *,
                    settings: bool = False) -> bool:
    """Whether every (name, args) of ``wanted`` is kept or being loaded for this database and version."""
    keys = _KEPT.keys()
    return all(key_of(db, name, args, settings=settings) in keys for name, args in wanted)


def clear() -> None:
    """Forget everything kept in this process (tests; a value is never stale, its key says so)."""
    _KEPT.clear()
    _TEXTS.clear()


def per_text(name: str, key: Hashable, texts: Sequence[str], compute: Callable[[list[str]], Sequence],
             limit: int = TEXTS_PER_TABLE) -> dict[str, Any]:
    """{text: value} for ``texts``, each distinct text computed once per process: ``compute(missing)``
    gives the values of the texts not yet known, in order. For pure functions of a text and ``key``
    (a lexicon, say); a table that would pass ``limit`` texts starts over."""
    table: dict = _TEXTS.get((name, key), dict)
    distinct = list(dict.fromkeys(texts))
    with _TEXTS_LOCK:
        known = {t: table[t] for t in distinct if t in table}
    missing = [t for t in distinct if t not in known]
    if missing:
        new = dict(zip(missing, compute(missing)))
        with _TEXTS_LOCK:
            if len(table) + len(new) > limit:
                table.clear()
            table.update(new)
        known.update(new)
    return known


def unfiltered_kept(db: sqlite_utils.Database, f: Filters, key: str, compute: Callable[[], T],
                    parts: Sequence[str] | None = None) -> T:
    """``compute()`` under filters ``f``, through the copy kept in the database when ``f`` filters nothing.

    Unfiltered (every page's first view) the result is kept per rows version under ``key``
    (``aggregates.memo``; ``aggregates.memo_parts`` for a dict of ``parts``); filtered, it is computed
    (a query), because filtered results are many and each is cheap.
    """
    if f != Filters():
        return compute()
    if parts is None:
        return aggregates.memo(db, key, compute)
    return aggregates.memo_parts(db, key, parts, compute)
