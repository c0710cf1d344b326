"""Queries behind the Listening page: daily post aggregates, text counts for terms, posts, corrections."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd
import sqlite_utils

from analysis.filters import Filters
from analysis.store import bump_version, query_df, scalar
from analysis.store.roles import author_role_sql, roles_clause

# A reshare: marked by reshare_of, or an imported text that starts with the "RT " convention.
RESHARE = "(p.reshare_of IS NOT NULL OR substr(p.text, 1, 3) = 'RT ')"

POST_COLUMNS = f"""p.post_id, p.created_at, p.platform, p.author_handle, li.customer_id, p.text, p.sentiment,
    p.sentiment_vader, p.sentiment_corrected, p.likes,
    CASE WHEN {RESHARE} THEN 1 ELSE 0 END AS reshare, {author_role_sql("p")} AS role"""


def source(f: Filters, customer: bool = False, scan: bool = False, roles=None,
           by_time: bool = False, by_account: bool = False) -> tuple[str, str, list]:
    """FROM clause, WHERE clause and parameters for posts under ``f`` (alias ``p``; with
    ``customer``, the linked account as ``li``, so ``li.customer_id`` can be selected).

    Same rows as ``f.posts_where``; with a segment or region it joins through
    ``identities`` instead of probing every post with EXISTS, so SQLite starts
    from the few linked accounts (0.75 s down to 0.2 s at 1,000,000 posts).
    A handle belongs to one customer (its key), so the join never duplicates a post.

    ``scan``: compare dates and platforms on expressions no index serves
    (``substr(created_at, 1, 19)``, ``platform || ''``), so SQLite reads the table in order
    instead of following the time or author index row by row; over a wide view that is 2 to
    10 times faster (an index lookup costs ~3 µs a row, a scan ~0.2 µs).

    ``roles``: only posts whose author has one of these roles (``analysis.store.roles``; None: all).

    ``by_time``: with a segment or region, read the posts newest first and look each author up,
    rather than starting from the segment's accounts and sorting all their posts: for the newest few
    hundred posts of a segment that writes a fair share of the posts (0.19 s against 0.7 s at 2.7M
    posts). The caller decides, knowing the share (a small segment would be a long walk).

    ``by_account``: with a segment or region, start from its customers' accounts and read each one's posts
    through the author index (``idx_posts_author``: platform, handle, time): for a single day, one short
    range per account instead of every post of the day (a spike day of 100,000 posts read for a segment
    of 20,000 accounts: 0.75 s down to 0.25 s). The caller decides, knowing both counts.
    """
    clauses, params = f.date_clauses("substr(p.created_at, 1, 19)" if scan else "p.created_at")
    if f.platforms:
        column = "(p.platform || '')" if scan else "p.platform"
        clauses.append(f"{column} IN ({','.join('?' * len(f.platforms))})")
        params += list(f.platforms)
    rc, rp = roles_clause(roles, "p")
    if rc:
        clauses.append(rc)
        params += rp
    where = " AND ".join(clauses) or "1=1"
    if f.segments or f.regions:
        cw, cp = f.customers_where("lc")
        if by_account:  # SQLite keeps the join order of CROSS JOINs
            return ("customers lc CROSS JOIN identities li ON li.customer_id = lc.customer_id "
                    "CROSS JOIN posts p ON p.platform = li.platform AND p.author_handle = li.handle"), \
                f"{where} AND {cw}", params + cp
        join = "CROSS JOIN" if by_time else "JOIN"  # SQLite keeps the left table outer in a CROSS JOIN
        return (f"posts p {join} identities li ON li.platform = p.platform AND li.handle = p.author_handle "
                f"{join} customers lc ON lc.customer_id = li.customer_id"), f"{where} AND {cw}", params + cp
    if customer:
        return ("posts p LEFT JOIN identities li ON li.platform = p.platform AND li.handle = p.author_handle",
                where, params)
    return "posts p", where, params


# The per-group sums every sentiment figure is made of (VADER's ±0.05 labels), shared by ``daily`` and
# ``daily_cube`` so both count alike.
_SENTIMENT_SUMS = """COUNT(*) AS posts,
               COUNT(p.sentiment) AS scored,
               COALESCE(SUM(p.sentiment), 0) AS sentiment_sum,
               SUM(CASE WHEN p.sentiment >= 0.05 THEN 1 ELSE 0 END) AS positive,
               SUM(CASE WHEN p.sentiment <= -0.05 THEN 1 ELSE 0 END) AS negative,
               SUM(CASE WHEN p.sentiment > -0.05 AND p.sentiment < 0.05 THEN 1 ELSE 0 END) AS neutral,
               SUM(p.sentiment_corrected) AS corrected"""


def daily(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Posts per day, platform, reshare flag and author role, with the sums sentiment figures need."""
    src, where, params = source(f)
    return query_df(db, f"""
        SELECT substr(p.created_at, 1, 10) AS day, p.platform AS platform,
               CASE WHEN {RESHARE} THEN 1 ELSE 0 END AS reshare,
               {author_role_sql("p")} AS role,
               {_SENTIMENT_SUMS}
        FROM {src} WHERE {where}
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4""", params)


def daily_cube(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every post counted once per day, platform, reshare flag, author role and linked customer's
    segment and region (both NULL for an author no customer is linked to): the sums ``daily`` gives,
    plus the posts without a reshare parent and without a reply parent (the originals a cascade
    count needs). One scan of the posts; any date, platform, segment, region or role filter of
    ``daily`` is then a selection of its rows (a handle belongs to one customer, so the join never
    duplicates a post)."""
    return query_df(db, f"""
        SELECT substr(p.created_at, 1, 10) AS day, p.platform AS platform,
               CASE WHEN {RESHARE} THEN 1 ELSE 0 END AS reshare,
               {author_role_sql("p")} AS role,
               lc.segment AS segment, lc.region AS region,
               {_SENTIMENT_SUMS},
               SUM(CASE WHEN p.reshare_of IS NULL THEN 1 ELSE 0 END) AS roots_reshare,
               SUM(CASE WHEN p.reply_to IS NULL THEN 1 ELSE 0 END) AS roots_reply
        FROM posts p
        LEFT JOIN identities li ON li.platform = p.platform AND li.handle = p.author_handle
        LEFT JOIN customers lc ON lc.customer_id = li.customer_id
        GROUP BY 1, 2, 3, 4, 5, 6""")


def original_text_days(db: sqlite_utils.Database) -> pd.DataFrame:
    """Original posts with text (reshares left out) counted per day, platform, author role, linked
    customer's segment and region, and exact text, with the latest time of each group: what term
    counts need under any filter, far fewer rows than the posts (reshares repeat their original)."""
    return query_df(db, f"""
        SELECT substr(p.created_at, 1, 10) AS day, p.platform AS platform, {author_role_sql("p")} AS role,
               lc.segment AS segment, lc.region AS region, p.text AS text,
               COUNT(*) AS n, MAX(p.created_at) AS last
        FROM posts p
        LEFT JOIN identities li ON li.platform = p.platform AND li.handle = p.author_handle
        LEFT JOIN customers lc ON lc.customer_id = li.customer_id
        WHERE p.text IS NOT NULL AND NOT {RESHARE}
        GROUP BY 1, 2, 3, 4, 5, 6""")


def text_counts(db: sqlite_utils.Database, f: Filters, recent_start: str, base_start: str,
                limit: int, scan: bool = True, roles=None) -> pd.DataFrame:
    """Original posts (reshares left out) grouped by exact text: posts in the whole range,
    in the recent period (from ``recent_start``) and in the baseline (``base_start`` up to
    ``recent_start``). At most ``limit`` texts: the most repeated first, then the newest
    (so a cut restricts singletons by date rather than by alphabet). ``scan``, ``roles``: see ``source``."""
    src, where, params = source(f, scan=scan, roles=roles)
    return query_df(db, f"""
        SELECT p.text AS text, COUNT(*) AS n_all,
               SUM(CASE WHEN p.created_at >= ? THEN 1 ELSE 0 END) AS n_recent,
               SUM(CASE WHEN p.created_at >= ? AND p.created_at < ? THEN 1 ELSE 0 END) AS n_base
        FROM {src} WHERE {where} AND p.text IS NOT NULL AND NOT {RESHARE}
        GROUP BY p.text ORDER BY n_all DESC, MAX(p.created_at) DESC, p.text LIMIT ?""",
                    [recent_start, base_start, recent_start, *params, int(limit)])


def original_post_count(db: sqlite_utils.Database, f: Filters, scan: bool = True, roles=None) -> int:
    """Original posts with text under the filters (what term counts would cover in full)."""
    src, where, params = source(f, scan=scan, roles=roles)
    return int(scalar(db, f"SELECT COUNT(*) FROM {src} WHERE {where} AND p.text IS NOT NULL AND NOT {RESHARE}",
                      params) or 0)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


LABEL_SQL = {"positive": "p.sentiment >= 0.05", "negative": "p.sentiment <= -0.05",
             "neutral": "p.sentiment > -0.05 AND p.sentiment < 0.05", "corrected": "p.sentiment_corrected = 1"}


def _post_filter(f: Filters, search: str | None, label: str | None, reshares: bool, day: str | None,
                 texts: Sequence[str] | None, customer: bool, roles=None,
                 by_time: bool = False, by_account: bool = False) -> tuple[str, str, list, bool]:
    # A text search or the rare "corrected" label matches few rows: following the time index
    # backwards then visits most of the table row by row (over 1 s at 1,000,000 posts), while
    # a scan with a top-N sort takes ~0.1 s. A single day is narrow: the index is best there.
    scan = bool(search or label == "corrected") and not day
    src, where, params = source(f, customer=customer, scan=scan, roles=roles,
                                by_time=by_time and not scan and not day and texts is None,
                                by_account=by_account and bool(day))
    clauses, extra = [where], list(params)
    if search:
        clauses.append("p.text LIKE ? ESCAPE '\\'")
        extra.append(f"%{_like_escape(search)}%")
    if label:
        clauses.append(LABEL_SQL[label])
    if not reshares:
        clauses.append(f"NOT {RESHARE}")
    if day:
        clauses.append("p.created_at >= ? AND p.created_at < ?")
        extra += [day, (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()]
    if texts is not None:
        texts = list(texts)[:500]
        clauses.append(f"p.text IN ({','.join('?' * len(texts))})" if texts else "1=0")
        extra += texts
    return src, " AND ".join(clauses), extra, scan


def posts(db: sqlite_utils.Database, f: Filters, *, search: str | None = None, label: str | None = None,
          reshares: bool = True, day: str | None = None, texts: Sequence[str] | None = None,
          order: str = "recent", limit: int = 500, roles=None, by_time: bool = False,
          by_account: bool = False) -> pd.DataFrame:
    """Posts under the filters with the linked customer when there is one: newest first,
    ``order="likes"`` most liked first, ``"negative"`` lowest score first. ``search``: words
    the text contains; ``label``: positive, neutral, negative or corrected; ``day``: ISO day;
    ``texts``: only posts with one of these exact texts (at most 500); ``roles``: authors' roles;
    ``by_time``: see ``source`` (newest first only); ``by_account``: see ``source`` (with ``day`` only)."""
    src, where, params, scan = _post_filter(f, search, label, reshares, day, texts, customer=True, roles=roles,
                                            by_time=by_time and order == "recent", by_account=by_account)
    when = "substr(p.created_at, 1, 19)" if scan else "p.created_at"
    orders = {"recent": f"{when} DESC, p.post_id", "likes": "p.likes DESC, p.created_at DESC, p.post_id",
              "negative": "p.sentiment ASC, p.likes DESC, p.post_id"}
    return query_df(db, f"SELECT {POST_COLUMNS} FROM {src} WHERE {where} ORDER BY {orders[order]} LIMIT ?",
                    params + [int(limit)])


def linked_account_count(db: sqlite_utils.Database, f: Filters) -> int:
    """Accounts linked to the customers of the segments and regions of ``f``."""
    cw, cp = f.customers_where("lc")
    return int(scalar(db, "SELECT COUNT(*) FROM customers lc JOIN identities li ON li.customer_id = lc.customer_id "
                          f"WHERE {cw}", cp) or 0)


def post_count(db: sqlite_utils.Database, f: Filters, *, search: str | None = None, label: str | None = None,
               reshares: bool = True, day: str | None = None, texts: Sequence[str] | None = None,
               roles=None) -> int:
    """How many posts ``posts`` would list without its limit."""
    src, where, params, _ = _post_filter(f, search, label, reshares, day, texts, customer=False, roles=roles)
    return int(scalar(db, f"SELECT COUNT(*) FROM {src} WHERE {where}", params) or 0)


# -- corrections by people -------------------------------------------------------------

def same_text_ids(db: sqlite_utils.Database, post_id: str) -> list[str]:
    """Posts with exactly the words of ``post_id``: the same text, or a reshare of it ("RT " + text)."""
    text = scalar(db, "SELECT text FROM posts WHERE post_id = ?", (post_id,))
    if text is None:
        return [post_id]
    bare = text[3:] if text.startswith("RT ") else text
    return [r[0] for r in db.conn.execute(
        "SELECT post_id FROM posts WHERE text = ? OR text = ? ORDER BY post_id", (bare, "RT " + bare))]


def set_sentiment(db: sqlite_utils.Database, post_ids: Sequence[str], score: float) -> int:
    """A person's score for these posts. The machine score stays in ``sentiment_vader``."""
    score = float(score)
    if not -1.0 <= score <= 1.0:
        raise ValueError(f"a sentiment score is between -1 and 1, got {score}")
    ids = list(dict.fromkeys(post_ids))
    changed = 0
    with db.atomic():
        for start in range(0, len(ids), 900):
            chunk = ids[start:start + 900]
            # SET reads the old row, so the machine score is kept before it is replaced.
            cur = db.conn.execute(
                "UPDATE posts SET sentiment_vader = COALESCE(sentiment_vader, sentiment), sentiment = ?, "
                f"sentiment_corrected = 1 WHERE post_id IN ({','.join('?' * len(chunk))})", [score, *chunk])
            changed += cur.rowcount
        bump_version(db)
    return changed


def revert(db: sqlite_utils.Database, post_ids: Sequence[str] | None = None) -> int:
    """Put the machine score back on these posts (all corrected posts when ``post_ids`` is None)."""
    changed = 0
    with db.atomic():
        if post_ids is None:
            changed = db.conn.execute("UPDATE posts SET sentiment = sentiment_vader, sentiment_corrected = 0 "
                                      "WHERE sentiment_corrected = 1").rowcount
        else:
            ids = list(dict.fromkeys(post_ids))
            for start in range(0, len(ids), 900):
                chunk = ids[start:start + 900]
                changed += db.conn.execute(
                    "UPDATE posts SET sentiment = sentiment_vader, sentiment_corrected = 0 "
                    f"WHERE sentiment_corrected = 1 AND post_id IN ({','.join('?' * len(chunk))})", chunk).rowcount
        bump_version(db)
    return changed


def correction_count(db: sqlite_utils.Database) -> int:
    return int(scalar(db, "SELECT COUNT(*) FROM posts WHERE sentiment_corrected = 1") or 0)


def corrections(db: sqlite_utils.Database, limit: int = 1000) -> pd.DataFrame:
    """Corrected posts, newest post first (through the partial index ``idx_posts_corrected``)."""
    return query_df(db, f"""
        SELECT {POST_COLUMNS} FROM posts p
        LEFT JOIN identities li ON li.platform = p.platform AND li.handle = p.author_handle
        WHERE p.sentiment_corrected = 1
        ORDER BY p.created_at DESC, p.post_id LIMIT ?""", [int(limit)])
