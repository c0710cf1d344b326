"""Copy a whole Continuum database to another one, on either engine (SQLite file or PostgreSQL server).

What is copied: every table of Continuum's schema (``store.continuum_tables()``: the core schema's and
every module's), except the derived ones, the rollups and the kept results (``aggregates``), which the
target rebuilds the usual way afterwards (``warm``), as after an import: then every figure on the
target is the target's own computation, from its own SQL. ``keep_derived`` copies them too, restamped
with the target's versions, which is much faster (the default demo into PostgreSQL: 25 s to rebuild them
after an 11 s copy, 3 s to copy them) but keeps the source engine's computation; a test checks the
report's figures are the same.

How: the source is read in one snapshot (a read transaction: an import running on it meanwhile is
not half seen), table by table, ``CHUNK_ROWS`` rows at a time (never a whole table in memory);
PostgreSQL's rows through a server-side cursor. The target is written in one write transaction that
takes the writer lock like an import: ``COPY`` on PostgreSQL (the adapter's ``copy_rows``),
``executemany`` on SQLite with the secondary indexes rebuilt once at the end. A new SQLite file is
built beside its name and moved into place when complete, as the demo build does. Row counts are
compared inside the transaction, before the commit: a copy that does not match is rolled back.
Any failure (a bad source, an unreachable server, a full disk, a killed process) leaves the target
as it was.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from analysis import store
from analysis.store import aggregates, leftovers, pg, rollups

CHUNK_ROWS = 50_000

# Settings tables a new database already holds (seeded vocabularies): their rows do not make a target
# "not empty"; the source's rows replace them.
SEEDED = ("channels", "kinds", "motive_lexicon", "sentiment_lexicon")

# meta keys the target keeps as its own: the schema's version on PostgreSQL (PRAGMA user_version on SQLite).
_OWN_META = ("schema_version",)
# meta keys of the derived tables (the rollups' versions and layout): copied only with them.
_DERIVED_META_PREFIX = "rollup_"
# The counters kept results and rollups are stamped with (``aggregates.version``, the rollups' version key).
_STAMPS = ("version", "rows_version")


class CopyProblem(store.StoreError):
    """The copy cannot be done or failed; the message names the database and says nothing was written."""


def derived_tables() -> list[str]:
    """The tables rebuilt from the others (rollups, kept results): not copied."""
    return [n for kind, n in store._CREATES.findall(rollups.DDL + aggregates.DDL) if kind.upper() == "TABLE"]


def copied_tables() -> list[str]:
    """Every table of Continuum's schema that holds data or settings, in schema order (meta apart)."""
    skip = set(derived_tables()) | {"meta"}
    return [t for t in store.continuum_tables() if t not in skip]


def _is_counter(key: str) -> bool:
    """A version counter in meta (data, rows, scenarios, labels): caches are keyed on them."""
    return (key == "version" or key.endswith("_version")) and key not in _OWN_META


@dataclasses.dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int] = dataclasses.field(default_factory=dict)
    target_rows: dict[str, int] = dataclasses.field(default_factory=dict)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    copy_seconds: float = 0.0
    warm_seconds: float | None = None
    warm_problem: str | None = None
    replaced: bool = False
    keep_derived: bool = False

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def verified(self) -> bool:
        return bool(self.rows) and all(self.target_rows.get(t) == n for t, n in self.rows.items())

    def summary(self) -> str:
        rate = self.total_rows / self.copy_seconds if self.copy_seconds > 0 else float("nan")
        lines = [f"Copied {self.source} -> {self.target}"
                 + (" (its previous contents replaced)" if self.replaced else "") + ":",
                 f"{self.total_rows:,} rows in {self.copy_seconds:.1f} s ({rate:,.0f} rows/s)", ""]
        width = max(len(t) for t in self.rows) if self.rows else 5
        lines.append(f"{'table':<{width}}  {'source rows':>12}  {'target rows':>12}  {'rows/s':>10}")
        for table, n in self.rows.items():
            secs = self.seconds.get(table, 0.0)
            per_s = f"{n / secs:,.0f}" if n and secs > 0 else "-"
            lines.append(f"{table:<{width}}  {n:>12,}  {self.target_rows.get(table, 0):>12,}  {per_s:>10}")
        lines.append("")
        lines.append("Verified: every table's row count on the target equals the source's." if self.verified
                     else "NOT verified: row counts differ (see above).")
        if self.warm_problem:
            lines.append(f"warning: preparing the pages' figures on the target failed ({self.warm_problem}); "
                         "pages will compute them on first view.")
        elif self.warm_seconds is not None:
            lines.append(f"The target's rollups and first views were {'checked' if self.keep_derived else 'rebuilt'} "
                         f"in {self.warm_seconds:.1f} s.")
        return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Opening both ends

def _same_database(a, b) -> bool:
    if isinstance(a, pg.Address) and isinstance(b, pg.Address):
        return _server_key(a) == _server_key(b)
    if isinstance(a, pg.Address) or isinstance(b, pg.Address):
        return False
    return Path(a).resolve() == Path(b).resolve()


def _server_key(address: str) -> tuple:
    """What names one PostgreSQL database (and schema): host, port, database, options; not the user or password."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(address)
    except Exception:  # noqa: BLE001 - an address psycopg cannot parse: connecting will say so
        return (address.strip(),)
    return (str(info.get("host", "")).lower().replace("localhost", "127.0.0.1"), str(info.get("port", "5432")),
            info.get("dbname", ""), info.get("options", ""))


def _open_source(path):
    try:
        return store.connect(path, create=False)
    except FileNotFoundError:
        raise CopyProblem(f"The source {store.display_name(path)} does not exist: nothing to copy. "
                          "Nothing was written.") from None
    except (store.StoreError, sqlite3.Error) as exc:
        raise CopyProblem(f"The source cannot be read: {_plain(exc)} Nothing was written.") from None


def _connect_target(address):
    """The target, opened without creating its schema on PostgreSQL (that happens in the copy's transaction)."""
    if isinstance(address, pg.Address):
        try:
            return pg.PgDatabase(address)
        except sqlite3.Error as exc:
            raise CopyProblem(f"Cannot connect to the target PostgreSQL database {address.redacted()}: {exc}. "
                              "Check that the server runs and the address (user, host, port, database name) "
                              "is right. Nothing was written.") from None
    try:
        return store.connect(address)
    except (store.StoreError, sqlite3.Error) as exc:
        raise CopyProblem(f"The target cannot be written: {_plain(exc)} Nothing was written.") from None


def _plain(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text.endswith(".") else text + "."


@contextlib.contextmanager
def _snapshot(db):
    """One read transaction on the source: every table as of one moment."""
    if store.is_postgres(db):
        db.conn.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    else:
        db.conn.execute("BEGIN")
        db.conn.execute("SELECT COUNT(*) FROM meta").fetchone()  # the snapshot starts at the first read
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            db.conn.rollback()


def _columns(db, table: str) -> list[str]:
    return [r[1] for r in db.conn.execute(f'PRAGMA table_info("{table}")').fetchall()]


def _read_chunks(db, table: str, columns: list[str], chunk: int) -> Iterator[list[tuple]]:
    """The rows of ``table``, ``chunk`` at a time; a failure to read is a CopyProblem naming the source."""
    try:
        yield from _chunks(db, table, columns, chunk)
    except CopyProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file, a lost server: said in words, rolled back
        raise CopyProblem(f"Reading table {table} of the source {store.display_name(store.database_file(db))} "
                          f"failed: {_plain(exc)} Nothing was written.") from exc


def _chunks(db, table: str, columns: list[str], chunk: int) -> Iterator[list[tuple]]:
    """The rows of ``table``, ``chunk`` at a time (a server-side cursor on PostgreSQL)."""
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f'SELECT {cols} FROM "{table}"'
    if store.is_postgres(db):
        with db.conn.raw.cursor(name=f"continuum_copy_{table}") as cur:
            cur.itersize = chunk
            cur.execute(sql)
            while rows := cur.fetchmany(chunk):
                yield rows
        return
    cur = db.conn.execute(sql)
    while rows := cur.fetchmany(chunk):
        yield rows


def _sequences(db) -> dict[tuple[str, str], int]:
    """The last id handed out per identity column: (table, column) -> value (AUTOINCREMENT on SQLite)."""
    out: dict[tuple[str, str], int] = {}
    if store.is_postgres(db):
        rows = db.conn.raw.execute(
            "SELECT table_name::text, column_name::text, "
            "pg_sequence_last_value(pg_get_serial_sequence(quote_ident(table_name), column_name)) "
            "FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'"
        ).fetchall()
        return {(t, c): int(v) for t, c, v in rows if v is not None}
    if not db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone():
        return out
    for name, seq in db.conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall():
        key = [r[1] for r in db.conn.execute(f'PRAGMA table_info("{name}")').fetchall() if r[5]]
        if len(key) == 1 and seq is not None:
            out[(name, key[0])] = int(seq)
    return out


def _restore_sequences(db, source_seq: dict[tuple[str, str], int]) -> None:
    """Ids handed out next on the target follow the copied ones (and never reuse one the source gave)."""
    if store.is_postgres(db):
        identity = db.conn.raw.execute(
            "SELECT table_name::text, column_name::text FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND is_identity = 'YES'").fetchall()
        for table, column in identity:
            top = db.conn.raw.execute(f'SELECT MAX("{column}") FROM "{table}"').fetchone()[0] or 0
            last = max(int(top), source_seq.get((table, column), 0))
            seq = f"pg_get_serial_sequence('{table}', '{column}')"
            if last > 0:
                db.conn.raw.execute(f"SELECT setval({seq}, %s, true)", (last,))
            else:
                db.conn.raw.execute(f"SELECT setval({seq}, 1, false)")
        return
    have = db.conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone()
    if not have:
        return
    for (table, _column), last in source_seq.items():
        db.conn.execute("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (last, table))
        if not db.conn.execute("SELECT 1 FROM sqlite_sequence WHERE name = ?", (table,)).fetchone():
            db.conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", (table, last))


# ---------------------------------------------------------------------------------------------
# The copy

def copy_database(source, target, *, replace: bool = False, warm: bool = True, keep_derived: bool = False,
                  chunk: int = CHUNK_ROWS, progress: Callable[[str, int, int], None] | None = None) -> CopyReport:
    """Copy every table of ``source`` into ``target`` (file paths or ``postgresql://`` addresses).

    Refuses a target holding data unless ``replace`` (then replaced in the same transaction). Raises
    CopyProblem, with a message for the user, on anything that stops it; the target is then unchanged.
    ``keep_derived``: copy the rollups and kept results too, restamped with the target's versions (the
    target then finds them fresh instead of rebuilding them; they are the source engine's computation).
    ``progress(stage, done, total)``: rows per table, then the pages' preparation.
    """
    src, dst = store.db_path(source), store.db_path(target)
    report = CopyReport(source=store.display_name(src), target=store.display_name(dst), keep_derived=keep_derived)
    if _same_database(src, dst):
        raise CopyProblem(f"The source and the target are the same database ({report.target}). Nothing was written.")
    sdb = _open_source(src)
    try:
        if isinstance(dst, pg.Address) or dst.exists():
            _copy_into(sdb, dst, report, replace, warm, chunk, progress)
        else:
            _copy_into_new_file(sdb, dst, report, warm, chunk, progress)
    finally:
        sdb.close()
    return report


def _copy_into_new_file(sdb, dst: Path, report: CopyReport, warm: bool, chunk: int, progress) -> None:
    """A new SQLite file: built beside its name and moved into place when complete (also its pages' figures)."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.copying-{os.getpid()}")
    leftovers.remove_stale(dst, "copying")
    try:
        _copy_into(sdb, tmp, report, False, warm, chunk, progress, shown=report.target)
        with store.connection(tmp) as tdb:
            tdb.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for suffix in ("-wal", "-shm"):
            Path(str(dst) + suffix).unlink(missing_ok=True)
        if dst.exists():
            raise CopyProblem(f"{report.target} appeared while the copy was made; left as it is. Nothing was written.")
        os.replace(tmp, dst)
    finally:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(tmp) + suffix).unlink(missing_ok=True)


    return True


def _copy_into(sdb, dst, report: CopyReport, replace: bool, warm: bool, chunk: int, progress,
               shown: str | None = None) -> None:
    shown = shown or report.target
    tdb = _connect_target(dst)
    try:
        waiting = (lambda w, t: progress("waiting for another writer of the target (seconds)", int(w), int(t))) \
            if progress else None
        t0 = time.perf_counter()
        try:
            with _snapshot(sdb), store.transaction(tdb, waiting=waiting):
                if store.is_postgres(tdb):
                    store.ensure_schema(tdb)  # a new database's schema: part of this transaction
                _refuse_or_empty(tdb, shown, replace, report)
                _copy_tables(sdb, tdb, report, chunk, progress, shown)
        except store.StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - a lost server, a full disk: the transaction is rolled back
            said = _said(exc)  # a lost connection also fails the rollback: the first problem says more
            if said is not None:
                raise said from None
            raise CopyProblem(f"The copy into {shown} failed: {_plain(exc)} Nothing was written.") from exc
        report.copy_seconds = time.perf_counter() - t0
        _analyze(tdb)
        if warm:
            _warm(tdb, report, progress)
    finally:
        tdb.close()


def _said(exc: BaseException) -> CopyProblem | None:
    """The CopyProblem an exception was raised while handling, if any."""
    seen = exc.__context__
    while seen is not None and not isinstance(seen, CopyProblem):
        seen = seen.__context__
    return seen


def _refuse_or_empty(tdb, shown: str, replace: bool, report: CopyReport) -> None:
    """Refuse a target holding data (unless ``replace``); empty what will be copied or rebuilt."""
    names = set(tdb.table_names())
    held = {t: store.scalar(tdb, f'SELECT COUNT(*) FROM "{t}"') for t in copied_tables()
            if t not in SEEDED and t in names}
    held = {t: n for t, n in held.items() if n}
    if held and not replace:
        listing = ", ".join(f"{t}: {n:,}" for t, n in held.items())
        raise CopyProblem(f"The target {shown} already holds data ({listing} rows). Copy into a new or empty "
                          "database, or add --replace to replace its contents. Nothing was written.")
    report.replaced = bool(held)
    emptied = [t for t in copied_tables() + derived_tables() if t in names]
    if store.is_postgres(tdb):
        # TRUNCATE leaves no dead rows behind (DELETE of millions would, until a vacuum), is undone by a
        # rollback like the rest, and its lock is the one dropping the indexes takes anyway.
        tdb.conn.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in emptied))
    else:
        for t in emptied:
            tdb.conn.execute(f'DELETE FROM "{t}"')
    # meta: the settings that travel with the data (and the rollups' keys) go; the counters and the
    # target's own keys stay (``_copy_meta`` moves the counters past both sides').
    for key in [r[0] for r in tdb.conn.execute("SELECT key FROM meta").fetchall()]:
        if key not in _OWN_META and (not _is_counter(key) or key.startswith(_DERIVED_META_PREFIX)):
            tdb.conn.execute("DELETE FROM meta WHERE key = ?", (key,))


def _copy_tables(sdb, tdb, report: CopyReport, chunk: int, progress, shown: str) -> None:
    wanted = copied_tables() + (derived_tables() if report.keep_derived else [])
    tables = [t for t in wanted if t in set(sdb.table_names())]
    counts = {t: int(store.scalar(sdb, f'SELECT COUNT(*) FROM "{t}"')) for t in tables}
    for table in tables:
        target_cols = _columns(tdb, table)
        cols = [c for c in _columns(sdb, table) if c in target_cols]
        t0 = time.perf_counter()
        _copy_table(sdb, tdb, table, cols, counts[table], chunk, progress, shown)
        report.seconds[table] = time.perf_counter() - t0
        report.rows[table] = counts[table]
    _copy_meta(sdb, tdb, report.keep_derived)
    _restore_sequences(tdb, _sequences(sdb))
    report.target_rows = {t: int(store.scalar(tdb, f'SELECT COUNT(*) FROM "{t}"')) for t in tables}
    if report.target_rows != counts:
        diff = ", ".join(f"{t}: {counts[t]:,} in the source, {report.target_rows[t]:,} copied"
                         for t in tables if counts[t] != report.target_rows[t])
        raise CopyProblem(f"The copy into {shown} does not match its source ({diff}). Nothing was written.")


def _copy_table(sdb, tdb, table: str, cols: list[str], total: int, chunk: int, progress, shown: str) -> None:
    stage = f"copy {table}"
    if progress:
        progress(stage, 0, total)
    postgres = store.is_postgres(tdb)
    # Indexes built once over the loaded rows rather than updated row by row (twice as fast on both engines;
    # the table is empty here). In the transaction: a failed copy keeps them.
    rebuild = store._drop_indexes_for_bulk_load(tdb, table, max(total, store.BULK_ROWS))
    rebuild += _drop_keys(tdb, table) if postgres and total >= KEYS_REBUILT_FROM else []
    insert = (f'INSERT INTO "{table}" ({", ".join(chr(34) + c + chr(34) for c in cols)}) '
              f'VALUES ({", ".join("?" * len(cols))})')
    done = 0
    for rows in _read_chunks(sdb, table, cols, chunk):
        try:
            if postgres:
                tdb.conn.copy_rows(table, cols, rows)
            else:
                tdb.conn.executemany(insert, rows)
        except sqlite3.Error as exc:
            raise CopyProblem(f"The copy into {shown} failed at table {table}, "
                              f"{_where(exc, done, rows, cols)}: {_plain(exc)} Nothing was written.") from exc
        done += len(rows)
        if progress:
            progress(stage, done, total)
    for i, statement in enumerate(rebuild):  # a minute or more on millions of rows: shown
        if progress:
            progress(f"index {table}", i, len(rebuild))
        try:
            store._rebuild_indexes(tdb, [statement])
        except sqlite3.Error as exc:  # two rows with one key (an SQLite key column holding NULLs, say)
            raise CopyProblem(f"The copy into {shown} failed at table {table}: its keys and indexes could not be "
                              f"built over the copied rows: {_plain(exc)} Nothing was written.") from exc


# On PostgreSQL a large table's primary key and unique constraints are also dropped and added back after
# the load (one sort instead of a B-tree insert per row).
KEYS_REBUILT_FROM = 100_000


def _drop_keys(tdb, table: str) -> list[str]:
    """Drop ``table``'s primary key and unique constraints (PostgreSQL); returns the DDL adding them back."""
    found = tdb.conn.raw.execute(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = to_regclass(%s) AND contype IN ('p', 'u') ORDER BY contype", (f'"{table}"',)).fetchall()
    for name, _definition in found:
        tdb.conn.raw.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return [f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}' for name, definition in found]


def _where(exc: sqlite3.Error, done: int, rows: list, cols: list[str]) -> str:
    """The row (counted from 1 in the table as read) a failed chunk stopped at: PostgreSQL's COPY says its
    line and column; a NUL character (PostgreSQL's text cannot hold one) is looked for in the chunk."""
    import re

    diag = getattr(getattr(exc, "__cause__", None), "diag", None)
    context = getattr(diag, "context", None) or ""
    m = re.search(r"line (\d+)(?:, column (\w+))?", context)
    if m:
        row = done + int(m.group(1))
        return f"row {row:,}" + (f", column {m.group(2)}" if m.group(2) else "")
    for i, row in enumerate(rows):
        for col, value in zip(cols, row):
            if isinstance(value, str) and "\x00" in value:
                return f"row {done + i + 1:,}, column {col} (a NUL character)"
    return f"rows {done + 1:,} to {done + len(rows):,}"


def _copy_meta(sdb, tdb, keep_derived: bool) -> None:
    """The source's settings in meta (scorer, seeded flags, the demo's mark); counters move past both sides'.

    The data and rows versions (what kept results, rollups and every process's caches are keyed on) become
    the source's plus one shift that puts both past the target's: a running app on the target never takes
    the new contents for ones it has seen, and a copied kept result or rollup, restamped by the same shift,
    is fresh on the target exactly when it was on the source.
    """
    source = dict(sdb.conn.execute("SELECT key, value FROM meta").fetchall())
    target = dict(tdb.conn.execute("SELECT key, value FROM meta").fetchall())
    shift = max(_int(target.get(k)) for k in _STAMPS) + 1 - min(_int(source.get(k)) for k in _STAMPS)
    for key, value in source.items():
        if key in _OWN_META or key in _STAMPS or (key.startswith(_DERIVED_META_PREFIX) and not keep_derived):
            continue
        if key.startswith(_DERIVED_META_PREFIX) and _is_counter(key):
            value = str(_int(value) + shift)  # the rows version a rollup was built at
        elif _is_counter(key):
            value = str(max(_int(value), _int(target.get(key))) + 1)
        _set(tdb, key, value)
    for key, value in target.items():  # a counter only the target had: moved on too
        if _is_counter(key) and key not in source and key not in _STAMPS:
            _set(tdb, key, str(_int(value) + 1))
    for key in _STAMPS:
        _set(tdb, key, str(_int(source.get(key)) + shift))
    if keep_derived:
        tdb.conn.execute("UPDATE aggregates SET version = version + ?", (shift,))


def _set(db, key: str, value) -> None:
    db.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _analyze(tdb) -> None:
    """Statistics for the planner over the new rows (PostgreSQL would gather them some time later)."""
    with contextlib.suppress(Exception):  # the copy is committed; only the first queries would be slower
        tdb.conn.execute("ANALYZE")


def _warm(tdb, report: CopyReport, progress) -> None:
    """The rollups and the pages' first views, as after an import."""
    from analysis import warm

    t0 = time.perf_counter()
    try:
        warm.warm(tdb, progress)
    except Exception as exc:  # noqa: BLE001 - the copy is committed; pages compute on first view
        report.warm_problem = repr(exc)
    report.warm_seconds = time.perf_counter() - t0
