"""Queries behind the Perception gap page: survey aggregates, the motive lexicon and the brand's public messages."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping

import pandas as pd
import sqlite_utils

from analysis import store
from analysis.filters import Filters
from analysis.store import query_df, register_ddl, scalar

LEXICON_DDL = """
CREATE TABLE IF NOT EXISTS motive_lexicon (
    motive TEXT NOT NULL,
    keyword TEXT NOT NULL,
    PRIMARY KEY (motive, keyword)
);
"""
register_ddl(LEXICON_DDL)

# Set once the defaults have been written, so a user who empties the lexicon keeps it empty.
_SEEDED_KEY = "motive_lexicon_seeded"

# The twelve IBM 2010 motives in the consumers' rank order (data/reference/ibm_2010_motives.csv).
MOTIVES: tuple[str, ...] = (
    "Get discounts or coupons",
    "Purchase products or services",
    "Read reviews and product rankings",
    "Get general information",
    "Get exclusive information",
    "Learn about new products",
    "Submit opinion on current products or services",
    "Customer service",
    "Event registration or participation",
    "Feel connected",
    "Submit ideas for new products or services",
    "Be part of a community",
)

# Matching is case-insensitive, on whole words, and tolerates a plural "s"/"es" after a
# keyword that ends in a letter (see analysis.perception.keyword_pattern). Phrases are
# preferred to single common words ("new colours" rather than "new") to keep false hits down.
DEFAULT_LEXICON: dict[str, tuple[str, ...]] = {
    "Get discounts or coupons": (
        "discount", "% off", "coupon", "voucher", "sale", "deal", "promo code", "promo", "special offer",
        "two for one", "buy one get one", "bogo", "free delivery", "free shipping", "cashback", "clearance",
        "price drop", "half price"),
    "Purchase products or services": (
        "shop now", "buy now", "order now", "add to cart", "in stock", "checkout", "pre-order", "preorder",
        "get yours", "available in store", "shop the", "link in bio"),
    "Read reviews and product rankings": (
        "review", "rating", "top rated", "top-rated", "best seller", "bestseller", "ranking", "testimonial",
        "customers say", "five stars", "5 stars"),
    "Get general information": (
        "opening hours", "store hours", "how to", "faq", "announcement", "information", "info", "guide",
        "tips", "did you know", "reminder", "service update"),
    "Get exclusive information": (
        "exclusive", "members-only", "members only", "early access", "sneak peek", "first look", "insider",
        "vip", "behind the scenes", "be the first"),
    "Learn about new products": (
        "launch", "introducing", "just dropped", "new arrival", "out now", "coming soon", "new range",
        "new collection", "new colour", "new color", "new product", "new release", "meet the new",
        "now available"),
    "Submit opinion on current products or services": (
        "tell us what you think", "what do you think", "your feedback", "feedback", "let us know", "rate your",
        "survey", "poll", "your opinion", "how did we do"),
    "Customer service": (
        "sorry to hear", "dm", "dms", "direct message", "we can help", "help", "support", "order number", "contact us",
        "reach out", "refund", "replacement", "apologies", "apologise", "apologize", "resolved", "look into"),
    "Event registration or participation": (
        "event", "register", "registration", "sign up", "rsvp", "webinar", "join us", "contest", "competition",
        "giveaway", "win a", "enter to win", "ticket", "livestream", "live stream"),
    "Feel connected": (
        "thank you", "thanks", "we love", "love you", "grateful", "shout out", "shoutout", "proud",
        "happy birthday", "celebrate", "our fans", "#tbt", "throwback"),
    "Submit ideas for new products or services": (
        "idea", "suggest", "suggestion", "what should we", "what would you like", "wishlist", "wish list",
        "co-create", "vote for", "help us design", "help us choose"),
    "Be part of a community": (
        "community", "club", "join the conversation", "forum", "meetup", "meet-up", "ambassador",
        "fellow fans", "tag a friend"),
}


# -- survey responses --------------------------------------------------------------

def survey_studies(db: sqlite_utils.Database) -> pd.DataFrame:
    """Studies, groups and segments in ``survey_responses`` with their counts.

    Columns: study, group, segment (None when not given), respondents (distinct
    respondent_id), respondent_rows, aggregate_rows (rows with share and n instead of
    respondents), aggregate_n_max (largest n among those), motives, linked_respondents
    (respondents with a customer_id).
    """
    return query_df(db, """
        SELECT study, "group" AS "group", segment,
               COUNT(DISTINCT respondent_id) AS respondents,
               SUM(CASE WHEN respondent_id IS NOT NULL THEN 1 ELSE 0 END) AS respondent_rows,
               SUM(CASE WHEN respondent_id IS NULL THEN 1 ELSE 0 END) AS aggregate_rows,
               MAX(CASE WHEN respondent_id IS NULL THEN n END) AS aggregate_n_max,
               COUNT(DISTINCT motive) AS motives,
               COUNT(DISTINCT CASE WHEN customer_id IS NOT NULL THEN respondent_id END) AS linked_respondents
        FROM survey_responses
        GROUP BY study, "group", segment
        ORDER BY study, "group", segment""").astype({"aggregate_n_max": "float64"})


def _customer_clause(filters: Filters | None, column: str) -> tuple[str | None, list]:
    if filters is None:
        return None, []
    where, params = filters.customers_where("c")
    if where == "1=1":
        return None, []
    return f"{column} IN (SELECT c.customer_id FROM customers c WHERE {where})", params


def motive_counts(db: sqlite_utils.Database, study: str, group: str, segment: str | None = None,
                  filters: Filters | None = None) -> pd.DataFrame:
    """Per motive: selections and sample size for one study/group (optionally one survey segment).

    Respondent-level rows are counted in SQL: ``selected`` = respondents who chose the
    motive, ``n`` = all respondents of the group. A respondent with no row for a motive
    counts as not choosing it (a multi-select question). Aggregate rows contribute
    ``share * n`` selections and ``n``; both kinds are pooled, as if from disjoint samples.
    When ``filters`` name customer segments or regions, only respondents linked to such
    customers count and aggregate rows (which link to nobody) are left out.

    Columns: motive, selected (float), n, respondent_n, aggregate_n, answered (respondent rows for the motive).
    """
    base = ['sr.study = ?', 'sr."group" = ?']
    base_params: list = [study, group]
    if segment is not None:
        base.append("sr.segment = ?")
        base_params.append(segment)
    cust, cust_params = _customer_clause(filters, "sr.customer_id")
    resp_where = " AND ".join(base + ["sr.respondent_id IS NOT NULL"] + ([cust] if cust else []))
    agg_where = " AND ".join(base + ["sr.respondent_id IS NULL"] + (["1 = 0"] if cust else []))
    sql = f"""
        WITH resp AS (
            SELECT sr.motive, sr.respondent_id, sr.selected FROM survey_responses sr WHERE {resp_where}
        ),
        tot AS (SELECT COUNT(DISTINCT respondent_id) AS n FROM resp),
        parts AS (
            SELECT motive, SUM(COALESCE(selected, 0)) * 1.0 AS selected, (SELECT n FROM tot) AS n,
                   (SELECT n FROM tot) AS respondent_n, 0 AS aggregate_n, COUNT(*) AS answered
            FROM resp GROUP BY motive
            UNION ALL
            SELECT sr.motive, sr.share * sr.n, sr.n, 0, sr.n, 0
            FROM survey_responses sr WHERE {agg_where}
        )
        SELECT motive, SUM(selected) AS selected, SUM(n) AS n, SUM(respondent_n) AS respondent_n,
               SUM(aggregate_n) AS aggregate_n, SUM(answered) AS answered
        FROM parts GROUP BY motive ORDER BY motive"""
    out = query_df(db, sql, base_params + cust_params + base_params)
    if out.empty:
        return pd.DataFrame({"motive": pd.Series(dtype=object), "selected": pd.Series(dtype=float),
                             "n": pd.Series(dtype="int64"), "respondent_n": pd.Series(dtype="int64"),
                             "aggregate_n": pd.Series(dtype="int64"), "answered": pd.Series(dtype="int64")})
    out["selected"] = out["selected"].astype(float)
    for c in ("n", "respondent_n", "aggregate_n", "answered"):
        out[c] = out[c].fillna(0).astype("int64")
    return out


def shared_respondents(db: sqlite_utils.Database, study_a: str, group_a: str, study_b: str, group_b: str,
                       segment_a: str | None = None, segment_b: str | None = None) -> int:
    """How many respondent_ids answer in both groups (a panel across waves, or overlapping selections)."""
    def part(alias: str, segment: str | None) -> tuple[str, list]:
        sql = f'{alias}.study = ? AND {alias}."group" = ? AND {alias}.respondent_id IS NOT NULL'
        return (sql + f" AND {alias}.segment = ?", [segment]) if segment is not None else (sql, [])
    wa, pa = part("a", segment_a)
    wb, pb = part("b", segment_b)
    # INTERSECT sorts once; a correlated EXISTS would scan the table per row (respondent_id has no index).
    sql = (f"SELECT COUNT(*) FROM (SELECT a.respondent_id FROM survey_responses a WHERE {wa} "
           f"INTERSECT SELECT b.respondent_id FROM survey_responses b WHERE {wb}) x")
    return int(scalar(db, sql, [study_a, group_a] + pa + [study_b, group_b] + pb) or 0)


BREAKDOWN_COLUMNS = ("segment", "region")


def breakdown_counts(db: sqlite_utils.Database, study: str, group: str, by: str = "segment",
                     filters: Filters | None = None) -> pd.DataFrame:
    """Per customer segment (or region) and motive: selections and respondents, linked respondents only.

    Every motive seen in the group appears for every segment/region; as in ``motive_counts`` a
    respondent with no row for a motive counts as not choosing it. Columns: <by>, motive, selected,
    n. Customers with no value in ``by`` are grouped as '(none)'.
    """
    if by not in BREAKDOWN_COLUMNS:
        raise ValueError(f"by must be one of {BREAKDOWN_COLUMNS}, got {by!r}")
    where, params = (filters or Filters()).customers_where("c")
    sql = f"""
        WITH resp AS (
            SELECT COALESCE(c.{by}, '(none)') AS grp, sr.respondent_id, sr.motive, sr.selected
            FROM survey_responses sr JOIN customers c ON c.customer_id = sr.customer_id
            WHERE sr.study = ? AND sr."group" = ? AND sr.respondent_id IS NOT NULL AND {where}
        ),
        tot AS (SELECT grp, COUNT(DISTINCT respondent_id) AS n FROM resp GROUP BY grp),
        mot AS (SELECT DISTINCT motive FROM resp),
        sel AS (SELECT grp, motive, SUM(COALESCE(selected, 0)) AS selected FROM resp GROUP BY grp, motive)
        SELECT tot.grp AS "{by}", mot.motive, COALESCE(sel.selected, 0) * 1.0 AS selected, tot.n AS n
        FROM tot CROSS JOIN mot LEFT JOIN sel ON sel.grp = tot.grp AND sel.motive = mot.motive
        ORDER BY tot.grp, mot.motive"""
    out = query_df(db, sql, [study, group] + params)
    if out.empty:
        return pd.DataFrame({by: pd.Series(dtype=object), "motive": pd.Series(dtype=object),
                             "selected": pd.Series(dtype=float), "n": pd.Series(dtype="int64")})
    out["selected"] = out["selected"].astype(float)
    out["n"] = out["n"].astype("int64")
    return out


# -- motive lexicon ---------------------------------------------------------------

def _clean_keywords(keywords: Iterable[str] | str) -> list[str]:
    if isinstance(keywords, str):
        keywords = [keywords]
    out = []
    for k in keywords:
        k = " ".join(str(k).lower().split())
        if k and k not in out:
            out.append(k)
    return out


def _default_rows() -> list[tuple[str, str]]:
    return [(m, k) for m, kws in DEFAULT_LEXICON.items() for k in _clean_keywords(kws)]


def _write_rows(db: sqlite_utils.Database, rows: list[tuple[str, str]]) -> None:
    db.conn.executemany("INSERT INTO motive_lexicon (motive, keyword) VALUES (?, ?) "
                        "ON CONFLICT (motive, keyword) DO NOTHING", rows)


def _ensure_table(db: sqlite_utils.Database) -> None:
    # A connection opened before this module was imported has not run the registered DDL yet.
    if "motive_lexicon" not in db.table_names():
        db.conn.executescript(LEXICON_DDL)


def lexicon(db: sqlite_utils.Database) -> pd.DataFrame:
    """The motive lexicon (columns motive, keyword), seeded with DEFAULT_LEXICON the first time it is empty."""
    _ensure_table(db)
    seeded = True
    if not scalar(db, "SELECT 1 FROM motive_lexicon LIMIT 1") and store.get_meta(db, _SEEDED_KEY) is None:
        seeded = not getattr(db, "read_only", False)  # a database this process may not write: shown, not kept
        if seeded:
            with db.atomic():
                _write_rows(db, _default_rows())
                store.set_meta(db, _SEEDED_KEY, "1")
    out = (query_df(db, "SELECT motive, keyword FROM motive_lexicon") if seeded
           else pd.DataFrame(list(dict.fromkeys(_default_rows())), columns=["motive", "keyword"]))
    order = {m: i for i, m in enumerate(MOTIVES)}
    # The page lists motives in the IBM consumer order, then any motive a user added.
    out["_o"] = out["motive"].map(order).fillna(len(order))
    return out.sort_values(["_o", "motive", "keyword"]).drop(columns="_o").reset_index(drop=True)


def add_keywords(db: sqlite_utils.Database, motive: str, keywords: Iterable[str] | str) -> int:
    """Add keywords (lower-cased, whitespace collapsed) to a motive; returns how many were new."""
    motive = str(motive).strip()
    if not motive:
        raise ValueError("motive must not be empty")
    kws = _clean_keywords(keywords)
    lexicon(db)  # seed first, so adding to an empty table does not suppress the defaults
    before = int(scalar(db, "SELECT COUNT(*) FROM motive_lexicon"))
    with db.atomic():
        _write_rows(db, [(motive, k) for k in kws])
    return int(scalar(db, "SELECT COUNT(*) FROM motive_lexicon")) - before


def remove_keywords(db: sqlite_utils.Database, motive: str, keywords: Iterable[str] | str | None = None) -> int:
    """Remove keywords from a motive (all of its keywords when ``keywords`` is None); returns rows removed."""
    lexicon(db)
    with db.atomic():
        if keywords is None:
            cur = db.conn.execute("DELETE FROM motive_lexicon WHERE motive = ?", (motive,))
            return cur.rowcount
        removed = 0
        for k in _clean_keywords(keywords):
            removed += db.conn.execute("DELETE FROM motive_lexicon WHERE motive = ? AND keyword = ?",
                                       (motive, k)).rowcount
        return removed


def replace_lexicon(db: sqlite_utils.Database, new: Mapping[str, Iterable[str]] | pd.DataFrame) -> int:
    """Replace the whole lexicon with ``new`` ({motive: keywords} or a frame with motive, keyword); returns rows."""
    if isinstance(new, pd.DataFrame):
        # A blank editor cell is no keyword (astype(str) would make it the word "None").
        new = new.dropna(subset=["motive", "keyword"])
        pairs = list(zip(new["motive"].astype(str), new["keyword"].astype(str)))
    else:
        pairs = [(m, k) for m, kws in new.items() for k in ([kws] if isinstance(kws, str) else kws)]
    rows = [(str(m).strip(), k) for m, kw in pairs for k in _clean_keywords([kw]) if str(m).strip()]
    _ensure_table(db)
    with db.atomic():
        db.conn.execute("DELETE FROM motive_lexicon")
        _write_rows(db, rows)
        store.set_meta(db, _SEEDED_KEY, "1")
    return int(scalar(db, "SELECT COUNT(*) FROM motive_lexicon"))


def reset_lexicon(db: sqlite_utils.Database) -> int:
    """Put the default lexicon back; returns rows."""
    return replace_lexicon(db, DEFAULT_LEXICON)


# -- the brand's public messages ------------------------------------------------------

MESSAGE_COLUMNS = ("source", "message_id", "at", "place", "kind", "text", "mode")


def brand_public_messages(db: sqlite_utils.Database, filters: Filters | None = None,
                          customer_columns: bool = False) -> pd.DataFrame:
    """The brand's own messages on public channels, each marked broadcast or response.

    Two sources:
    - interactions with direction 'outbound' on a channel whose publicness >= PUBLIC_THRESHOLD
      (channels missing from the vocabulary are left out: their publicness is unknown), under
      the filters' dates and customer segments/regions (the customer addressed);
    - posts authored by a ``brand_accounts`` handle (exact platform and handle), under the
      filters' dates and platforms only: a brand post belongs to no customer segment.
    A message is a 'response' when it answers someone: an outbound interaction whose thread
    has an inbound interaction at or before it, or a brand post replying to a post not
    written by a brand account. Everything else is a 'broadcast'.

    Columns: source ('interaction'|'post'), message_id, at, place (channel or platform), kind, text, mode;
    with ``customer_columns`` also the segment and region of the customer an interaction addresses
    (None for posts), so segments and regions can be chosen in memory.
    The CROSS JOIN fixes SQLite's join order (the few public channels first, then the
    outbound-by-channel index); other engines treat it as an ordinary inner join.
    """
    f = filters or Filters()
    wi, pi = f.interactions_where("i", exists=True)
    post_filters = dataclasses.replace(f, segments=(), regions=())
    wp, pp = post_filters.posts_where("p")
    seg_cols = ", cu.segment AS segment, cu.region AS region" if customer_columns else ""
    seg_join = " LEFT JOIN customers cu ON cu.customer_id = i.customer_id" if customer_columns else ""
    post_cols = ", NULL, NULL" if customer_columns else ""
    sql = f"""
        SELECT 'interaction' AS source, i.interaction_id AS message_id, i.occurred_at AS at, i.channel AS place,
               i.kind AS kind, i.text AS text,
               CASE WHEN EXISTS (SELECT 1 FROM interactions q WHERE q.thread_id = i.thread_id
                                 AND q.direction = 'inbound' AND q.occurred_at <= i.occurred_at)
                    THEN 'response' ELSE 'broadcast' END AS mode{seg_cols}
        FROM channels ch CROSS JOIN interactions i{seg_join}
        WHERE ch.channel = i.channel AND i.direction = 'outbound' AND ch.publicness >= ? AND {wi}
        UNION ALL
        SELECT 'post', p.post_id, p.created_at, p.platform,
               CASE WHEN p.reshare_of IS NOT NULL THEN 'reshare' WHEN p.reply_to IS NOT NULL THEN 'reply'
                    ELSE 'post' END,
               p.text,
               CASE WHEN p.reply_to IS NOT NULL AND NOT EXISTS (
                        SELECT 1 FROM posts par JOIN brand_accounts b2
                          ON b2.platform = par.platform AND b2.handle = par.author_handle
                        WHERE par.post_id = p.reply_to)
                    THEN 'response' ELSE 'broadcast' END{post_cols}
        FROM posts p JOIN brand_accounts b ON b.platform = p.platform AND b.handle = p.author_handle
        WHERE {wp}"""
    out = query_df(db, sql, [store.PUBLIC_THRESHOLD] + pi + pp)
    if out.empty:
        out = pd.DataFrame({c: pd.Series(dtype=object) for c in MESSAGE_COLUMNS
                            + (("segment", "region") if customer_columns else ())})
    return out
