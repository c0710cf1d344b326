"""Rollups of the interactions and the posts, rebuilt after bulk changes, that answer the filtered
headline figures (counts, distinct customers, distinct conversations, sentiment shares) with sums
over far fewer rows, instead of DISTINCT scans over every row.

Interactions

One row per customer, day and thread (thread_id may be NULL) with its touches, inbound, outbound
and purchase revenue, and two "previous day" columns that make the distinct counts additive:

- ``thread_prev``: the thread's previous active day for this customer. Under a date window
  starting at ``d1``, a (customer, thread) pair is counted once, on the row of its first active
  day in the window, which is the only row in the window with ``thread_prev`` NULL or before d1.
- ``day_first`` and ``cust_prev``: the first row of each customer-day carries the customer's
  previous active day, so active customers are counted the same way.

Segment and region filters select whole customers, so both counts stay exact under them. The
thread count equals COUNT(DISTINCT thread_id) only when no thread is shared by two customers;
the build records how many are, and callers count directly when any is.

Posts
One row per platform, author role, day and author for authors linked to a customer (the only ones
a segment or region filter can select), and one per platform, role and day for all other authors
together: posts, scored posts, the sum of scores, negative, positive and reshares, all additive.
The role (``roles.author_role_sql``: the brand, a linked customer, another public voice) is a
dimension, so the figures of any choice of roles are sums too. About a quarter of the rows of the
posts table in the demo. Roles follow ``brand_accounts`` and ``identities``: importing either
rebuilds this rollup.

Plain SQL with window functions (LAG, ROW_NUMBER), which PostgreSQL has too.
"""

from __future__ import annotations

import threading

import pandas as pd
import sqlite_utils

from analysis import store
from analysis.filters import Filters
from analysis.store import kinds
from analysis.store import roles as roles_

DDL = """
CREATE TABLE IF NOT EXISTS rollup_interactions (
    customer_id TEXT NOT NULL,
    day TEXT NOT NULL,
    thread_id TEXT,
    n INTEGER NOT NULL,
    inbound INTEGER NOT NULL,
    outbound INTEGER NOT NULL,
    revenue REAL NOT NULL,
    thread_prev TEXT,
    day_first INTEGER NOT NULL,
    cust_prev TEXT
);
CREATE INDEX IF NOT EXISTS idx_rollup_interactions_customer ON rollup_interactions (customer_id);
-- Covers the per-day figures: read in day order without sorting and without the table
-- (0.23 s for every figure of 1M interactions over all but the first month).
DROP INDEX IF EXISTS idx_rollup_interactions_day;
CREATE INDEX IF NOT EXISTS idx_rollup_interactions_days ON rollup_interactions
    (day, customer_id, n, inbound, outbound, revenue, thread_id, thread_prev, day_first, cust_prev);
CREATE TABLE IF NOT EXISTS rollup_posts (
    platform TEXT NOT NULL,
    role TEXT NOT NULL,
    author_handle TEXT,
    day TEXT NOT NULL,
    n INTEGER NOT NULL,
    scored INTEGER NOT NULL,
    sentiment_sum REAL,
    negative INTEGER NOT NULL,
    positive INTEGER NOT NULL,
    reshares INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idx_rollup_posts_author ON rollup_posts (platform, author_handle);
-- Covers the per-day figures: grouped in day order without a sort (a sort of every row costs
-- twice the scan).
-- (Same index names as before the role column: the DDL runs on every connection, also to a database
-- whose rollup_posts predates it, until ``build`` replaces that table.)
CREATE INDEX IF NOT EXISTS idx_rollup_posts_days ON rollup_posts
    (day, platform, author_handle, n, scored, sentiment_sum, negative, positive, reshares);
"""
store.register_ddl(DDL)

_VERSION_KEY = "rollup_interactions_version"
# The layout of rollup_posts: 2 added the author role. A kept rollup of another layout is not fresh.
_POSTS_LAYOUT_KEY = "rollup_posts_layout"
POSTS_LAYOUT = "2"
_SHARED_KEY = "rollup_interactions_shared_threads"

# Revenue is the amount of kinds that mean 'purchase' (the kinds vocabulary); a meaning edit bumps
# the rows version, so the rollup is rebuilt rather than left counting the old kinds.
_PURCHASE = kinds.meaning_sql("kind", "purchase")

_BUILD = """
INSERT INTO rollup_interactions
    (customer_id, day, thread_id, n, inbound, outbound, revenue, thread_prev, day_first, cust_prev)
WITH g AS (
    SELECT customer_id, substr(occurred_at, 1, 10) AS day, thread_id,
           COUNT(*) AS n,
           SUM(CASE WHEN direction = 'inbound' THEN 1 ELSE 0 END) AS inbound,
           SUM(CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END) AS outbound,
           SUM(CASE WHEN {purchase} THEN COALESCE(amount, 0) ELSE 0 END) AS revenue
    FROM interactions
    {where}
    GROUP BY customer_id, substr(occurred_at, 1, 10), thread_id)
SELECT customer_id, day, thread_id, n, inbound, outbound, revenue,
       CASE WHEN thread_id IS NULL THEN NULL
            ELSE LAG(day) OVER (PARTITION BY customer_id, thread_id ORDER BY day) END,
       CASE WHEN ROW_NUMBER() OVER (PARTITION BY customer_id, day ORDER BY thread_id) = 1 THEN 1 ELSE 0 END,
       LAG(day) OVER (PARTITION BY customer_id ORDER BY day, thread_id)
FROM g
"""

_BUILD_POSTS = f"""
INSERT INTO rollup_posts (platform, role, author_handle, day, n, scored, sentiment_sum, negative, positive,
                          reshares)
SELECT platform, role, linked_handle, day, COUNT(*), COUNT(sentiment), SUM(sentiment),
       SUM(CASE WHEN sentiment <= -0.05 THEN 1 ELSE 0 END),
       SUM(CASE WHEN sentiment >= 0.05 THEN 1 ELSE 0 END),
       SUM(CASE WHEN reshare_of IS NOT NULL THEN 1 ELSE 0 END)
FROM (SELECT p.platform, substr(p.created_at, 1, 10) AS day, p.sentiment, p.reshare_of,
             {roles_.author_role_sql("p")} AS role,
             CASE WHEN (p.platform, p.author_handle) IN (SELECT platform, handle FROM identities)
                  THEN p.author_handle END AS linked_handle
      FROM {{source}}) t
GROUP BY platform, role, linked_handle, day
"""


def _meta(db: sqlite_utils.Database, key: str):
    return store.scalar(db, "SELECT value FROM meta WHERE key = ?", (key,))


def _set_meta(db: sqlite_utils.Database, key: str, value) -> None:
    db.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = "
                    "excluded.value", (key, str(value)))


def fresh(db: sqlite_utils.Database) -> bool:
    """The rollup describes the data as it is now."""
    try:
        return (_meta(db, _VERSION_KEY) == str(store.rows_version(db))
                and _meta(db, _POSTS_LAYOUT_KEY) == POSTS_LAYOUT)
    except Exception:  # a database from before the rollup existed
        return False


def shared_threads(db: sqlite_utils.Database) -> int:
    return int(_meta(db, _SHARED_KEY) or 0)


def build(db: sqlite_utils.Database) -> int:
    """Rebuild the rollup from the interactions in one transaction (readers keep the old one
    meanwhile). Not a data change: neither version moves. Returns its rows."""
    if _meta(db, _POSTS_LAYOUT_KEY) != POSTS_LAYOUT:
        db.conn.execute("DROP TABLE IF EXISTS rollup_posts")  # an older layout: built anew below
    db.conn.executescript(DDL)  # a connection opened before this module was imported lacks it
    with db.atomic():
        version = store.rows_version(db)
        _build_interactions(db)
        _build_posts(db)
        _set_meta(db, _VERSION_KEY, version)
        _set_meta(db, _POSTS_LAYOUT_KEY, POSTS_LAYOUT)
    return int(store.scalar(db, "SELECT COUNT(*) FROM rollup_interactions") or 0)


def _build_interactions(db: sqlite_utils.Database) -> None:
    db.conn.execute("DELETE FROM rollup_interactions")
    db.conn.execute(_BUILD.format(where="", purchase=_PURCHASE))
    _count_shared_threads(db)


def _build_posts(db: sqlite_utils.Database) -> None:
    db.conn.execute("DELETE FROM rollup_posts")
    db.conn.execute(_BUILD_POSTS.format(source="posts p"))


def _count_shared_threads(db: sqlite_utils.Database) -> None:
    shared = store.scalar(db, """
        SELECT COUNT(*) FROM (SELECT thread_id FROM interactions WHERE thread_id IS NOT NULL
                              GROUP BY thread_id HAVING COUNT(DISTINCT customer_id) > 1) t""")
    _set_meta(db, _SHARED_KEY, int(shared or 0))


# Above this many imported rows, rebuilding the whole rollup is as quick as patching it.
PATCH_MAX_ROWS = 100_000


def _keys_table(db: sqlite_utils.Database, name: str, values) -> None:
    db.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} (k TEXT PRIMARY KEY)")
    db.conn.execute(f"DELETE FROM temp.{name}")
    db.conn.executemany(f"INSERT INTO temp.{name} (k) VALUES (?) ON CONFLICT (k) DO NOTHING",
                        [(v,) for v in values if v is not None])


def _consistent(db: sqlite_utils.Database) -> bool:
    """Every interaction and post counted once: a patch missed nothing (an upsert that moved a row
    to another customer or day leaves its old place counted, and shows here)."""
    return (store.scalar(db, "SELECT COALESCE(SUM(n), 0) FROM rollup_interactions")
            == store.scalar(db, "SELECT COUNT(*) FROM interactions")
            and store.scalar(db, "SELECT COALESCE(SUM(n), 0) FROM rollup_posts")
            == store.scalar(db, "SELECT COUNT(*) FROM posts"))


# The posts of each day in temp.rollup_days (k: 'YYYY-MM-DD', a UTC day) through the time index. SQLite
# keeps ISO text: a day's timestamps sort from 'YYYY-MM-DD' to before 'YYYY-MM-DD~'. PostgreSQL keeps a
# timestamptz, which it compares with no text: the day's UTC midnight and the next.
_ON_DAY = {
    "sqlite": "p.created_at >= d.k AND p.created_at < d.k || '~'",
    "postgresql": "p.created_at >= CAST(d.k || ' 00:00:00+00' AS timestamptz) "
                  "AND p.created_at < CAST(d.k || ' 00:00:00+00' AS timestamptz) + INTERVAL '1 day'",
}


def after_import(db: sqlite_utils.Database, table: str, rows, was_fresh: bool, n_rows: int | None = None) -> bool:
    """Keep the rollups fresh after an import of ``rows`` (the validated frame) into ``table``,
    inside the import's transaction, when they were fresh before it: only the customers (for
    interactions) or days (for posts) the import touched are recomputed; previous-day columns are
    per customer, so this gives the rows a full build would. Returns whether they are fresh.

    A stale rollup stays stale (the next build covers everything); a large import rebuilds.
    """
    if not was_fresh:
        return False
    n_rows = len(rows) if n_rows is None else n_rows  # an import in chunks passes only the keys it touched
    if table == "interactions":
        if n_rows > PATCH_MAX_ROWS:
            _build_interactions(db)
        else:
            _keys_table(db, "rollup_customers", rows["customer_id"].unique().tolist())
            db.conn.execute("DELETE FROM rollup_interactions WHERE customer_id IN "
                            "(SELECT k FROM temp.rollup_customers)")
            db.conn.execute(_BUILD.format(where="WHERE customer_id IN (SELECT k FROM temp.rollup_customers)",
                                          purchase=_PURCHASE))
            _count_shared_threads(db)
    elif table == "posts":
        if n_rows > PATCH_MAX_ROWS:
            _build_posts(db)
        else:
            days = pd.Series(rows["created_at"]).dropna().astype(str).str[:10].unique().tolist()
            _keys_table(db, "rollup_days", days)
            db.conn.execute("DELETE FROM rollup_posts WHERE day IN (SELECT k FROM temp.rollup_days)")
            db.conn.execute(_BUILD_POSTS.format(source="temp.rollup_days d JOIN posts p ON " + _ON_DAY[
                "postgresql" if store.is_postgres(db) else "sqlite"]))
    elif table in ("identities", "brand_accounts"):
        _build_posts(db)  # which authors are linked, or the brand's, changed: their roles too
    # customers, follows, survey responses and channels are not in the rollups (segments and
    # regions are joined when a figure is asked for).
    if table in ("interactions", "posts") and not _consistent(db):
        _build_interactions(db)
        _build_posts(db)
    _set_meta(db, _VERSION_KEY, store.rows_version(db))
    return True


def ensure(db: sqlite_utils.Database) -> bool:
    """Rebuild the rollup if it is stale; False when it cannot be (a read-only file, say)."""
    if fresh(db):
        return True
    try:
        build(db)
    except Exception:  # a reader must never fail for want of a rollup: callers count directly
        return False
    return True


_REBUILDING: set[str] = set()
_REBUILDING_LOCK = threading.Lock()


def refresh_in_background(path: str) -> threading.Thread | None:
    """Rebuild a stale rollup on a thread of its own (once per file at a time), for changes made in
    the app (a corrected sentiment score) that no import followed. Readers count
    directly meanwhile. Returns the thread, or None when the rollup is fresh or already rebuilding."""
    with store.connection(path, create=False) as conn:
        if fresh(conn):
            return None
    with _REBUILDING_LOCK:
        if path in _REBUILDING:
            return None
        _REBUILDING.add(path)

    def work():
        try:
            with store.connection(path, create=False) as c:
                ensure(c)
        finally:
            with _REBUILDING_LOCK:
                _REBUILDING.discard(path)

    thread = threading.Thread(target=work, name="continuum-rollups", daemon=True)
    thread.start()
    return thread


def _where(f: Filters) -> tuple[str, list]:
    clauses, params = [], []
    if f.date_from:
        # Day text compared as text; the (… || '') keeps SQLite off the day order, which a
        # window covering most of the data makes slower than reading the customers' rows.
        clauses.append("(day || '') >= ?")
        params.append(f.date_from.isoformat())
    if f.date_to:
        clauses.append("(day || '') <= ?")
        params.append(f.date_to.isoformat())
    where, p = f.customers_where()
    if where != "1=1":
        clauses.append(f"customer_id IN (SELECT customer_id FROM customers WHERE {where})")
        params += p
    return (" AND ".join(clauses) or "1=1"), params


def interaction_days(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Per day under ``f``: touches, customers and conversations counted on their first day in
    the window (so each column sums to the window's figure), inbound, outbound, revenue. One scan."""
    where, params = _where(f)
    start = f.date_from.isoformat() if f.date_from else ""
    return store.query_df(db, f"""
        SELECT day, SUM(n) AS interactions,
               SUM(CASE WHEN day_first = 1 AND (cust_prev IS NULL OR cust_prev < ?) THEN 1 ELSE 0 END)
                   AS active_customers,
               SUM(CASE WHEN thread_id IS NOT NULL AND (thread_prev IS NULL OR thread_prev < ?) THEN 1 ELSE 0 END)
                   AS threads,
               SUM(inbound) AS inbound, SUM(outbound) AS outbound, SUM(revenue) AS revenue
        FROM rollup_interactions WHERE {where} GROUP BY day ORDER BY day""", [start, start, *params])


def interaction_rows(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every row of the interactions rollup with its customer's segment and region: what
    ``interaction_days`` sums, for a copy kept in memory (``analysis.interaction_cube``)."""
    return store.query_df(db, """
        SELECT r.day, c.segment, c.region, r.n, r.inbound, r.outbound, r.revenue, r.day_first, r.cust_prev,
               CASE WHEN r.thread_id IS NULL THEN 0 ELSE 1 END AS has_thread, r.thread_prev
        FROM rollup_interactions r LEFT JOIN customers c ON c.customer_id = r.customer_id""")


def _roles_where(f: Filters, roles) -> tuple[str, list]:
    where, params = f.posts_where("r", time_column="day")
    chosen = [r for r in dict.fromkeys(roles or ()) if r in roles_.ROLES]
    if chosen and set(chosen) != set(roles_.ROLES):
        where += f" AND r.role IN ({', '.join('?' * len(chosen))})"
        params = [*params, *chosen]
    return where, params


def post_days(db: sqlite_utils.Database, f: Filters, roles=None) -> pd.DataFrame:
    """Per day under ``f``: posts, scored posts, sum of scores, negative, positive, reshares, by authors
    of ``roles`` (None or empty: every author)."""
    where, params = _roles_where(f, roles)
    return store.query_df(db, f"""
        SELECT day, SUM(n) AS posts, SUM(scored) AS scored, SUM(sentiment_sum) AS sentiment_sum,
               SUM(negative) AS negative, SUM(positive) AS positive, SUM(reshares) AS reshares
        FROM rollup_posts r WHERE {where} GROUP BY day ORDER BY day""", params)


_INTERACTION_FIGURES = ("interactions", "active_customers", "threads", "inbound", "outbound", "revenue")


def interaction_totals(days: pd.DataFrame) -> dict[str, float]:
    """The interaction figures of per-day rows (as ``interaction_days`` gives them)."""
    return {k: float(days[k].sum()) if len(days) else 0.0 for k in _INTERACTION_FIGURES}


def post_totals(posts: pd.DataFrame) -> dict[str, float]:
    """The post figures of per-day rows (as ``post_days`` gives them)."""
    return _post_totals(posts)


def _post_totals(posts: pd.DataFrame) -> dict[str, float]:
    scored = float(posts["scored"].sum()) if len(posts) else 0.0
    row = {"posts": float(posts["posts"].sum()) if len(posts) else 0.0,
           "mean_sentiment": float(posts["sentiment_sum"].sum()) / scored if scored else float("nan")}
    for k in ("negative", "positive", "reshares"):
        row[k] = float(posts[k].sum()) if len(posts) else float("nan")
    return row


def interaction_kpis(db: sqlite_utils.Database, f: Filters) -> dict[str, float]:
    """The Overview's interaction figures under ``f`` (call ``fresh`` first)."""
    return interaction_totals(interaction_days(db, f))


def post_kpis(db: sqlite_utils.Database, f: Filters, roles=None) -> dict[str, float]:
    """The Overview's post figures under ``f`` by authors of ``roles`` (call ``fresh`` first)."""
    return _post_totals(post_days(db, f, roles))


def post_roles(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Per author role under ``f``: posts, scored, sentiment_sum, negative, positive, reshares (call
    ``fresh`` first); roles without posts are absent."""
    where, params = f.posts_where("r", time_column="day")
    return store.query_df(db, f"""
        SELECT role, SUM(n) AS posts, SUM(scored) AS scored, SUM(sentiment_sum) AS sentiment_sum,
               SUM(negative) AS negative, SUM(positive) AS positive, SUM(reshares) AS reshares
        FROM rollup_posts r WHERE {where} GROUP BY role ORDER BY role""", params)


def overview(db: sqlite_utils.Database, f: Filters, roles=None,
             posts: pd.DataFrame | None = None, days: pd.DataFrame | None = None) -> tuple[dict, dict, pd.DataFrame]:
    """The Overview's interaction figures, post figures (by authors of ``roles``) and monthly series
    under ``f`` from two scans of the rollups (call ``fresh`` first): (interaction row, post row,
    monthly frame). ``posts``: the per-day post figures (as ``post_days`` gives them) when the caller
    has them from elsewhere; ``days`` the same for ``interaction_days``."""
    days = interaction_days(db, f) if days is None else days
    posts = post_days(db, f, roles) if posts is None else posts
    monthly = pd.concat([
        days.groupby(days["day"].str[:7])["interactions"].sum().rename("n").reset_index()
            .rename(columns={"day": "month"}).assign(source="Interactions"),
        posts.groupby(posts["day"].str[:7])["posts"].sum().rename("n").reset_index()
             .rename(columns={"day": "month"}).assign(source="Public posts"),
    ], ignore_index=True)[["month", "source", "n"]]
    monthly["n"] = monthly["n"].astype(int)
    return (interaction_totals(days), _post_totals(posts),
            monthly.sort_values(["month", "source"]).reset_index(drop=True))
