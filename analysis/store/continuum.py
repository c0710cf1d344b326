"""Queries behind the Continuum page: channel activity, conversation touches and customers' public posts.

The page keeps one compact copy of the activity per data version and filters it in memory, so the
loaders here return every row (as small integers where they can); the aggregations under filters
(``channel_month_counts`` and friends) are the same figures in SQL, which the tests use as the
reference the in-memory path must match.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import store
from analysis.filters import Filters
from analysis.store import kinds, query_df, scalar

# A conversation (thread) needs at least two touches to have a journey; one-touch threads are
# orders, marketing sends and stand-alone reviews, unless their one touch opens a conversation.
MIN_TOUCHES = 2
# Room for channel codes and the direction inside one integer per interaction.
CHANNEL_SLOTS = 1024
DIRECTIONS = {"inbound": 1, "outbound": 2}  # 0: anything else


def day_key_sql(column: str) -> str:
    """An integer per calendar day, in order, from an ISO timestamp, in portable SQL:
    year * 372 + (month - 1) * 31 + (day - 1). Not a day count (months have 31 slots), but
    equal days get equal keys and order is kept, which is all a date filter needs."""
    return (f"(CAST(substr({column}, 1, 4) AS INTEGER) * 372 + (CAST(substr({column}, 6, 2) AS INTEGER) - 1) * 31"
            f" + CAST(substr({column}, 9, 2) AS INTEGER) - 1)")


def _channel_case(column: str, channels: list[str]) -> str:
    if not channels:  # an empty table: ``CASE x ELSE n END`` (no WHEN) is not valid SQL
        return str(CHANNEL_SLOTS - 1)
    return f"CASE {column} " + " ".join(f"WHEN ? THEN {i}" for i in range(len(channels))) + \
        f" ELSE {CHANNEL_SLOTS - 1} END"


def interaction_channels(db: sqlite_utils.Database) -> list[str]:
    return [r[0] for r in db.conn.execute("SELECT DISTINCT channel FROM interactions ORDER BY channel")]


# Rows are read and coded this many at a time, so a scan of a large table never holds all its
# rows as Python tuples at once (about 1 GB at 1M interactions, against the coded arrays' tens of MB).
CHUNK_ROWS = 100_000


class Coder:
    """Small integer codes for repeated values (customer ids, texts), filled chunk by chunk."""

    def __init__(self):
        self._codes: dict = {}

    def encode(self, values: list) -> np.ndarray:
        local, uniques = pd.factorize(pd.Series(values, dtype=object), use_na_sentinel=False)
        codes = self._codes
        mapping = np.fromiter((codes.setdefault(u, len(codes)) for u in uniques), dtype=np.int32,
                              count=len(uniques))
        return mapping[local] if len(local) else np.zeros(0, dtype=np.int32)

    @property
    def values(self) -> np.ndarray:
        return np.array(list(self._codes), dtype=object)


def _scan(db: sqlite_utils.Database, sql: str, params, n_keys: int, coders: list[Coder]) -> list[np.ndarray]:
    """Run ``sql`` and return its first ``n_keys`` columns as int64 arrays and the others coded by
    ``coders`` (int32 arrays), reading CHUNK_ROWS rows at a time."""
    cur = db.conn.execute(sql, params)
    parts: list[list[np.ndarray]] = [[] for _ in range(n_keys + len(coders))]
    while True:
        rows = cur.fetchmany(CHUNK_ROWS)
        if not rows:
            break
        columns = list(zip(*rows))
        del rows
        for j in range(n_keys):
            parts[j].append(np.fromiter(columns[j], dtype=np.int64, count=len(columns[j])))
        for j, coder in enumerate(coders):
            parts[n_keys + j].append(coder.encode(list(columns[n_keys + j])))
    return [np.concatenate(p) if p else np.zeros(0, dtype=np.int64 if j < n_keys else np.int32)
            for j, p in enumerate(parts)]


def activity_rows(db: sqlite_utils.Database) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Every interaction as one integer ((day key * CHANNEL_SLOTS + channel code) * 4 + direction code),
    with its customer's code, the customer ids the codes index, and the channel names. One plain scan,
    no sort: filtering and counting happen in memory."""
    channels = interaction_channels(db)
    direction = "CASE direction WHEN 'inbound' THEN 1 WHEN 'outbound' THEN 2 ELSE 0 END"
    customers = Coder()
    keys, codes = _scan(db,
                        f"SELECT ({day_key_sql('occurred_at')} * {CHANNEL_SLOTS} + "
                        f"{_channel_case('channel', channels)}) * 4 + {direction}, customer_id FROM interactions",
                        channels, 1, [customers])
    return keys, codes, customers.values, channels


def inbound_text_rows(db: sqlite_utils.Database) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                           np.ndarray, list[str]]:
    """Customers' own words: each inbound interaction with a text as (day key * CHANNEL_SLOTS + channel
    code), its customer's code, its text's code, then the customer ids and distinct texts the codes
    index, and the channel names."""
    channels = interaction_channels(db)
    customers, texts = Coder(), Coder()
    keys, customer_codes, text_codes = _scan(
        db, f"SELECT {day_key_sql('occurred_at')} * {CHANNEL_SLOTS} + {_channel_case('channel', channels)}, "
            "customer_id, text FROM interactions WHERE direction = 'inbound' AND text IS NOT NULL",
        channels, 1, [customers, texts])
    return keys, customer_codes, customers.values, text_codes, texts.values, channels


def channel_month_counts(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Touches per month, channel and direction under the filters."""
    where, params = f.interactions_where()
    return query_df(db, f"""
        SELECT substr(occurred_at, 1, 7) AS month, channel, direction, COUNT(*) AS n
        FROM interactions WHERE {where}
        GROUP BY substr(occurred_at, 1, 7), channel, direction""", params)


def channel_customers(db: sqlite_utils.Database, f: Filters) -> tuple[pd.DataFrame, int]:
    """Distinct customers per channel, and distinct active customers overall."""
    where, params = f.interactions_where()
    per_channel = query_df(db, f"""
        SELECT channel, COUNT(DISTINCT customer_id) AS customers
        FROM interactions WHERE {where} GROUP BY channel""", params)
    total = scalar(db, f"SELECT COUNT(DISTINCT customer_id) FROM interactions WHERE {where}", params)
    return per_channel, int(total or 0)


def inbound_texts(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Customers' own words per channel: each distinct inbound text with its count."""
    where, params = f.interactions_where()
    return query_df(db, f"""
        SELECT channel, text, COUNT(*) AS n
        FROM interactions
        WHERE direction = 'inbound' AND text IS NOT NULL AND {where}
        GROUP BY channel, text""", params)


def customer_post_sentiment(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Sentiment of linked customers' own public posts (not reshares), originals and replies apart.

    ``kind`` is 'post' for original posts and 'public_reply' for replies: the two
    public channels of the continuum that the posts table records.
    """
    where, params = f.posts_where("p")
    return query_df(db, f"""
        SELECT CASE WHEN p.reply_to IS NULL THEN 'post' ELSE 'public_reply' END AS channel,
               COUNT(p.sentiment) AS n_scored,
               AVG(p.sentiment) AS mean_sentiment,
               SUM(CASE WHEN p.sentiment <= -0.05 THEN 1 ELSE 0 END) AS negative,
               SUM(CASE WHEN p.sentiment >= 0.05 THEN 1 ELSE 0 END) AS positive
        FROM posts p
        WHERE p.reshare_of IS NULL
          AND EXISTS (SELECT 1 FROM identities i WHERE i.platform = p.platform AND i.handle = p.author_handle)
          AND NOT EXISTS (SELECT 1 FROM brand_accounts b WHERE b.platform = p.platform
                          AND b.handle = p.author_handle)
          AND {where}
        GROUP BY CASE WHEN p.reply_to IS NULL THEN 'post' ELSE 'public_reply' END""", params)


def service_touches(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every touch of every conversation, in thread and time order: threads with at least two touches,
    and threads of one inbound touch whose kind means 'opens' (a complaint nobody answered is a
    conversation too; a lone order with a thread id is not).

    Unfiltered on purpose: the caller keeps one copy per data version and filters it in pandas.
    """
    return query_df(db, f"""
        SELECT i.thread_id, i.occurred_at, i.channel, i.direction, i.kind, i.customer_id, i.account
        FROM interactions i
        WHERE i.thread_id IN (
            SELECT thread_id FROM interactions WHERE thread_id IS NOT NULL
            GROUP BY thread_id
            HAVING COUNT(*) >= {MIN_TOUCHES}
                OR MAX(CASE WHEN direction = 'inbound' AND {kinds.meaning_sql('kind', 'opens')}
                            THEN 1 ELSE 0 END) = 1)
        ORDER BY i.thread_id, i.occurred_at, i.interaction_id""")


def customer_attributes(db: sqlite_utils.Database) -> pd.DataFrame:
    """Segment, region and whether the customer is linked to at least one social account."""
    return query_df(db, """
        SELECT c.customer_id, c.segment, c.region,
               CASE WHEN EXISTS (SELECT 1 FROM identities i WHERE i.customer_id = c.customer_id)
                    THEN 1 ELSE 0 END AS linked
        FROM customers c""")


def post_sentiment_cube(db: sqlite_utils.Database) -> pd.DataFrame:
    """Linked customers' own posts (not reshares) summed per day, platform, original/reply, segment and
    region: enough to filter post sentiment in memory without keeping every post.

    CROSS JOIN keeps the join order (SQLite reads it as a hint; elsewhere it is an inner join with the
    conditions in WHERE): from the few linked accounts to their posts by the author index, rather than
    from every original post to its account. "Not a reshare" is written as COALESCE(...) = '' so that
    no index on reshare_of is used for it: with statistics from ANALYZE, SQLite otherwise probed the
    ~450,000 original posts through that index once per linked account (minutes at the large scale).
    """
    return query_df(db, f"""
        SELECT {day_key_sql('p.created_at')} AS day_key, p.platform,
               CASE WHEN p.reply_to IS NULL THEN 0 ELSE 1 END AS is_reply, c.segment, c.region,
               COUNT(p.sentiment) AS n_scored, SUM(p.sentiment) AS total,
               SUM(CASE WHEN p.sentiment <= -0.05 THEN 1 ELSE 0 END) AS negative,
               SUM(CASE WHEN p.sentiment >= 0.05 THEN 1 ELSE 0 END) AS positive
        FROM identities i CROSS JOIN posts p LEFT JOIN customers c ON c.customer_id = i.customer_id
        WHERE p.platform = i.platform AND p.author_handle = i.handle AND COALESCE(p.reshare_of, '') = ''
          AND NOT EXISTS (SELECT 1 FROM brand_accounts b WHERE b.platform = i.platform AND b.handle = i.handle)
        GROUP BY 1, 2, 3, 4, 5""")


def linked_posts(db: sqlite_utils.Database, brand_only: bool) -> pd.DataFrame:
    """Public posts (not reshares, not the brand's own) by accounts linked to customers, with the customer
    and whether the post is a reply. ``brand_only`` keeps the posts addressed to the brand: those that
    mention a brand account (``@handle`` in the text) or reply to one of its posts."""
    to_brand = """(EXISTS (SELECT 1 FROM brand_accounts b WHERE b.platform = p.platform
                           AND lower(p.text) LIKE '%@' || lower(b.handle) || '%')
                   OR p.reply_to IN (SELECT q.post_id FROM posts q JOIN brand_accounts b
                                     ON b.platform = q.platform AND b.handle = q.author_handle))"""
    # Join order (CROSS JOIN, see post_sentiment_cube): the few posts to the brand are best found by
    # reading the posts once; all of a customer's posts by going from the accounts to their posts.
    source = "posts p CROSS JOIN identities i" if brand_only else "identities i CROSS JOIN posts p"
    return query_df(db, f"""
        SELECT i.customer_id, p.post_id, p.platform, p.created_at, p.sentiment,
               CASE WHEN p.reply_to IS NULL THEN 0 ELSE 1 END AS is_reply
        FROM {source}
        WHERE p.platform = i.platform AND p.author_handle = i.handle AND COALESCE(p.reshare_of, '') = ''
          AND NOT EXISTS (SELECT 1 FROM brand_accounts b WHERE b.platform = i.platform AND b.handle = i.handle)
          {"AND " + to_brand if brand_only else ""}""")


def private_channel_used(db: sqlite_utils.Database) -> bool:
    """Whether any interaction is on a private channel (publicness below the threshold). Channels
    missing from the vocabulary count as public: they are placed at the threshold."""
    return bool(scalar(db, """
        SELECT EXISTS (SELECT 1 FROM channels c WHERE c.publicness < ?
                       AND EXISTS (SELECT 1 FROM interactions i WHERE i.channel = c.channel))""",
                       (store.PUBLIC_THRESHOLD,)))


def brand_account_count(db: sqlite_utils.Database) -> int:
    return int(scalar(db, "SELECT COUNT(*) FROM brand_accounts") or 0)
