"""Tables and queries of trustworthy sentiment: the domain lexicon, bulk rules, people's labels,
trained models, and rescoring posts by distinct text."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import sqlite_utils

from analysis.store import bump_version, query_df, register_ddl, scalar
from analysis.store.roles import roles_clause

DDL = """
CREATE TABLE IF NOT EXISTS sentiment_lexicon (
    term TEXT PRIMARY KEY,
    valence REAL NOT NULL,
    source TEXT,
    note TEXT
);
CREATE TABLE IF NOT EXISTS sentiment_rules (
    rule_id INTEGER PRIMARY KEY,
    pattern TEXT NOT NULL,
    kind TEXT NOT NULL,
    platform TEXT,
    role TEXT,
    label TEXT NOT NULL,
    score REAL NOT NULL,
    created_at TEXT NOT NULL,
    posts INTEGER NOT NULL DEFAULT 0,
    reverted_at TEXT
);
CREATE TABLE IF NOT EXISTS sentiment_rule_posts (
    rule_id INTEGER NOT NULL,
    post_id TEXT NOT NULL,
    previous REAL,
    previous_corrected INTEGER NOT NULL,
    PRIMARY KEY (rule_id, post_id)
);
CREATE TABLE IF NOT EXISTS sentiment_labels (
    post_id TEXT PRIMARY KEY,
    label TEXT NOT NULL,
    stratum TEXT,
    labelled_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sentiment_sample (
    post_id TEXT PRIMARY KEY,
    stratum TEXT NOT NULL,
    position INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sentiment_models (
    model_id INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    labels INTEGER NOT NULL,
    cv_model REAL,
    cv_lexicon REAL,
    spec TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sentiment_changes (
    text TEXT PRIMARY KEY,
    previous REAL,
    current REAL,
    posts INTEGER NOT NULL
);
"""
register_ddl(DDL)

LEXICON_SEEDED = "sentiment.lexicon_seeded"
SCORER = "sentiment.scorer"


def get_meta(db: sqlite_utils.Database, key: str) -> str | None:
    return scalar(db, "SELECT value FROM meta WHERE key = ?", (key,))


def set_meta(db: sqlite_utils.Database, key: str, value: str) -> None:
    db.conn.execute("INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))


# -- lexicon ----------------------------------------------------------------------------------

def lexicon(db: sqlite_utils.Database) -> pd.DataFrame | None:
    """The stored domain lexicon, or None before anyone saved one (the starter list applies)."""
    if get_meta(db, LEXICON_SEEDED) is None:
        return None
    return query_df(db, "SELECT term, valence, source, note FROM sentiment_lexicon ORDER BY term")


def save_lexicon(db: sqlite_utils.Database, frame: pd.DataFrame) -> None:
    """Replace the domain lexicon (inside the caller's transaction)."""
    db.conn.execute("DELETE FROM sentiment_lexicon")
    db.conn.executemany("INSERT INTO sentiment_lexicon (term, valence, source, note) VALUES (?, ?, ?, ?)",
                        frame[["term", "valence", "source", "note"]].astype(object)
                        .where(frame[["term", "valence", "source", "note"]].notna(), None).values.tolist())
    set_meta(db, LEXICON_SEEDED, "1")


# -- rescoring ----------------------------------------------------------------------------------

def distinct_texts(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every distinct post text with its current machine score and how many posts carry it."""
    return query_df(db, "SELECT text, MIN(sentiment_vader) AS score, COUNT(*) AS posts FROM posts "
                        "WHERE text IS NOT NULL GROUP BY text")


def write_scores(db: sqlite_utils.Database, changed: pd.DataFrame, progress=None, batch: int = 20_000) -> int:
    """New machine scores for texts (columns text, previous, current, posts), in one transaction.

    The machine score (``sentiment_vader``) changes everywhere; the score used (``sentiment``)
    follows it except where a person corrected it. The previous machine score of each changed
    text is kept in ``sentiment_changes`` (the last rescoring's). Returns posts updated.
    """
    rows = 0
    with db.atomic():
        db.conn.execute("DELETE FROM sentiment_changes")
        db.conn.execute("CREATE TEMP TABLE IF NOT EXISTS _rescore (text TEXT PRIMARY KEY, score REAL)")
        db.conn.execute("DELETE FROM _rescore")
        values = changed[["text", "current"]].astype(object).where(changed[["text", "current"]].notna(), None)
        values = values.values.tolist()
        for start in range(0, len(values), batch):
            db.conn.executemany("INSERT INTO _rescore (text, score) VALUES (?, ?)", values[start:start + batch])
            if progress:
                progress(min(start + batch, len(values)), len(values))
        # UPDATE ... FROM: SQLite 3.33+ and PostgreSQL; one pass through the text index of _rescore.
        rows = db.conn.execute(
            "UPDATE posts SET sentiment_vader = r.score, "
            "sentiment = CASE WHEN posts.sentiment_corrected = 1 THEN posts.sentiment ELSE r.score END "
            "FROM _rescore r WHERE posts.text = r.text").rowcount
        keep = changed[["text", "previous", "current", "posts"]].astype(object)
        db.conn.executemany("INSERT INTO sentiment_changes (text, previous, current, posts) VALUES (?, ?, ?, ?)",
                            keep.where(keep.notna(), None).values.tolist())
        db.conn.execute("DROP TABLE _rescore")
        bump_version(db)
    return rows


def changes(db: sqlite_utils.Database, limit: int = 200) -> pd.DataFrame:
    """Texts whose machine score the last rescoring changed, most posts first."""
    return query_df(db, "SELECT text, previous, current, posts FROM sentiment_changes "
                        "ORDER BY posts DESC, text LIMIT ?", [int(limit)])


def change_count(db: sqlite_utils.Database) -> tuple[int, int]:
    row = db.conn.execute("SELECT COUNT(*), COALESCE(SUM(posts), 0) FROM sentiment_changes").fetchone()
    return int(row[0]), int(row[1])


# -- bulk rules ---------------------------------------------------------------------------------

def rule_candidates(db: sqlite_utils.Database, platform: str | None, role: str | None,
                    like: str | None = None) -> pd.DataFrame:
    """Distinct texts of posts on ``platform`` by authors of ``role`` (None: any), with their
    number of posts. ``like``: a LIKE pattern every match must satisfy (narrows a phrase rule in SQL)."""
    clauses, params = _narrow(["p.text IS NOT NULL"], [], platform, role)
    if like:
        clauses.append("p.text LIKE ? ESCAPE '\\'")
        params.append(like)
    return query_df(db, f"SELECT p.text AS text, COUNT(*) AS posts, AVG(p.sentiment) AS score FROM posts p "
                        f"WHERE {' AND '.join(clauses)} GROUP BY p.text", params)


def _narrow(clauses: list[str], params: list, platform: str | None, role: str | None) -> tuple[list[str], list]:
    """``clauses``/``params`` for posts ``p`` with a rule's optional platform and author role added."""
    if platform:
        clauses.append("p.platform = ?")
        params.append(platform)
    if role:
        sql, rp = roles_clause([role], "p")
        if sql:
            clauses.append(sql)
            params += rp
    return clauses, params


def _scope(platform: str | None, role: str | None, texts: Sequence[str]) -> tuple[str, list]:
    clauses, params = _narrow([f"p.text IN ({','.join('?' * len(texts))})"], list(texts), platform, role)
    return " AND ".join(clauses), params


def matched_posts(db: sqlite_utils.Database, platform: str | None, role: str | None, texts: Sequence[str],
                  columns: str = "p.post_id, p.sentiment, p.sentiment_corrected") -> pd.DataFrame:
    """Posts with one of ``texts`` in the rule's scope."""
    texts = list(texts)
    frames = []
    for start in range(0, len(texts), 800):
        where, params = _scope(platform, role, texts[start:start + 800])
        frames.append(query_df(db, f"SELECT {columns} FROM posts p WHERE {where}", params))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def headline(db: sqlite_utils.Database) -> dict:
    """Posts with a score, their sum and counts per label (every post)."""
    row = db.conn.execute("""
        SELECT COUNT(sentiment), COALESCE(SUM(sentiment), 0),
               SUM(CASE WHEN sentiment >= 0.05 THEN 1 ELSE 0 END),
               SUM(CASE WHEN sentiment <= -0.05 THEN 1 ELSE 0 END)
        FROM posts""").fetchone()
    n = int(row[0] or 0)
    return {"scored": n, "sum": float(row[1] or 0), "positive": int(row[2] or 0), "negative": int(row[3] or 0),
            "neutral": n - int(row[2] or 0) - int(row[3] or 0)}


def add_rule(db: sqlite_utils.Database, rule: dict, posts: pd.DataFrame) -> int:
    """Store a rule and set its score on ``posts`` (post_id, sentiment, sentiment_corrected) as a
    person's correction, keeping each post's previous state. One transaction; returns the rule id."""
    with db.atomic():
        cur = db.conn.execute(
            "INSERT INTO sentiment_rules (pattern, kind, platform, role, label, score, created_at, posts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING rule_id",
            (rule["pattern"], rule["kind"], rule.get("platform"), rule.get("role"), rule["label"],
             float(rule["score"]), rule["created_at"], int(len(posts))))
        rule_id = int(cur.fetchone()[0])  # RETURNING: both engines (no lastrowid on PostgreSQL)
        keep = posts[["post_id", "sentiment", "sentiment_corrected"]].astype(object)
        keep = keep.where(keep.notna(), None).values.tolist()
        db.conn.executemany("INSERT INTO sentiment_rule_posts (rule_id, post_id, previous, previous_corrected) "
                            "VALUES (?, ?, ?, ?)", [(rule_id, pid, prev, int(corr or 0)) for pid, prev, corr in keep])
        db.conn.execute("UPDATE posts SET sentiment = ?, sentiment_corrected = 1 WHERE post_id IN "
                        "(SELECT post_id FROM sentiment_rule_posts WHERE rule_id = ?)", (float(rule["score"]), rule_id))
        bump_version(db)
    return rule_id


def revert_rule(db: sqlite_utils.Database, rule_id: int, reverted_at: str) -> int:
    """Give the rule's posts back the state they had before it, where the rule's score still
    stands (a later correction or rule wins). Returns posts restored."""
    with db.atomic():
        # Write first: a transaction that reads before its first write cannot wait for the lock.
        if not db.conn.execute("UPDATE sentiment_rules SET reverted_at = ? WHERE rule_id = ? AND reverted_at IS NULL",
                               (reverted_at, rule_id)).rowcount:
            return 0
        score = scalar(db, "SELECT score FROM sentiment_rules WHERE rule_id = ?", (rule_id,))
        n = db.conn.execute("""
            UPDATE posts SET sentiment = rp.previous, sentiment_corrected = rp.previous_corrected
            FROM sentiment_rule_posts rp
            WHERE rp.rule_id = ? AND rp.post_id = posts.post_id
              AND posts.sentiment_corrected = 1 AND posts.sentiment = ?""", (rule_id, float(score))).rowcount
        bump_version(db)
    return int(n)


def rules(db: sqlite_utils.Database) -> pd.DataFrame:
    return query_df(db, "SELECT rule_id, pattern, kind, platform, role, label, score, created_at, posts, reverted_at "
                        "FROM sentiment_rules ORDER BY rule_id DESC")


# -- labels by people -----------------------------------------------------------------------------

def sample_frame(db: sqlite_utils.Database) -> pd.DataFrame:
    """Original posts with text not yet labelled, one per distinct text (the first by post id),
    with platform and machine label (``band``): what a labelling sample is drawn from."""
    return query_df(db, """
        SELECT MIN(p.post_id) AS post_id, p.platform AS platform,
               CASE WHEN p.sentiment_vader >= 0.05 THEN 'positive'
                    WHEN p.sentiment_vader <= -0.05 THEN 'negative' ELSE 'neutral' END AS band
        FROM posts p
        WHERE p.text IS NOT NULL AND p.reshare_of IS NULL AND substr(p.text, 1, 3) <> 'RT '
          AND p.sentiment_vader IS NOT NULL
          AND p.post_id NOT IN (SELECT post_id FROM sentiment_labels)
        GROUP BY p.text, p.platform""")


def set_sample(db: sqlite_utils.Database, rows: pd.DataFrame) -> None:
    with db.atomic():
        db.conn.execute("DELETE FROM sentiment_sample")
        db.conn.executemany("INSERT INTO sentiment_sample (post_id, stratum, position) VALUES (?, ?, ?)",
                            [(r.post_id, r.stratum, i) for i, r in enumerate(rows.itertuples())])


def drop_from_sample(db: sqlite_utils.Database, post_id: str) -> None:
    with db.atomic():
        db.conn.execute("DELETE FROM sentiment_sample WHERE post_id = ?", (post_id,))


def sample_posts(db: sqlite_utils.Database) -> pd.DataFrame:
    """The sample waiting for labels, in order, with text and both scores."""
    return query_df(db, """
        SELECT s.post_id, s.stratum, s.position, p.platform, p.text, p.sentiment_vader AS machine, l.label
        FROM sentiment_sample s JOIN posts p ON p.post_id = s.post_id
        LEFT JOIN sentiment_labels l ON l.post_id = s.post_id ORDER BY s.position""")


def save_label(db: sqlite_utils.Database, post_id: str, label: str | None, stratum: str | None, when: str) -> None:
    """A person's label for a post (None removes it). Labels do not change scores: no version bump."""
    with db.atomic():
        if label is None:
            db.conn.execute("DELETE FROM sentiment_labels WHERE post_id = ?", (post_id,))
        else:
            db.conn.execute("INSERT INTO sentiment_labels (post_id, label, stratum, labelled_at) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (post_id) DO UPDATE SET label = excluded.label, "
                            "labelled_at = excluded.labelled_at", (post_id, label, stratum, when))
        set_meta(db, "sentiment.labels_version", str(int(get_meta(db, "sentiment.labels_version") or 0) + 1))


def labelled(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every labelled post with its text, platform and machine score."""
    return query_df(db, """
        SELECT l.post_id, l.label, l.stratum, p.platform, p.text, p.sentiment_vader AS machine
        FROM sentiment_labels l JOIN posts p ON p.post_id = l.post_id ORDER BY l.labelled_at, l.post_id""")


def labels_version(db: sqlite_utils.Database) -> int:
    return int(get_meta(db, "sentiment.labels_version") or 0)


# -- models ---------------------------------------------------------------------------------------

def save_model(db: sqlite_utils.Database, created_at: str, labels: int, cv_model: float, cv_lexicon: float,
               spec_json: str) -> int:
    with db.atomic():
        cur = db.conn.execute("INSERT INTO sentiment_models (created_at, labels, cv_model, cv_lexicon, spec) "
                              "VALUES (?, ?, ?, ?, ?) RETURNING model_id",
                              (created_at, labels, cv_model, cv_lexicon, spec_json))
        return int(cur.fetchone()[0])


def model(db: sqlite_utils.Database, model_id: int) -> dict | None:
    row = db.conn.execute("SELECT model_id, created_at, labels, cv_model, cv_lexicon, spec FROM sentiment_models "
                          "WHERE model_id = ?", (int(model_id),)).fetchone()
    if row is None:
        return None
    return dict(zip(("model_id", "created_at", "labels", "cv_model", "cv_lexicon", "spec"), row))


def latest_model(db: sqlite_utils.Database) -> dict | None:
    """The newest model's figures, without its (possibly large) spec."""
    row = db.conn.execute("SELECT model_id, created_at, labels, cv_model, cv_lexicon FROM sentiment_models "
                          "ORDER BY model_id DESC LIMIT 1").fetchone()
    return None if row is None else dict(zip(("model_id", "created_at", "labels", "cv_model", "cv_lexicon"), row))


def stratum_sizes(db: sqlite_utils.Database) -> pd.DataFrame:
    """Distinct original texts per platform and machine label: the population a sample stands for."""
    return query_df(db, """
        SELECT platform, band, COUNT(*) AS texts FROM (
            SELECT p.platform AS platform, p.text AS text,
                   CASE WHEN MIN(p.sentiment_vader) >= 0.05 THEN 'positive'
                        WHEN MIN(p.sentiment_vader) <= -0.05 THEN 'negative' ELSE 'neutral' END AS band
            FROM posts p
            WHERE p.text IS NOT NULL AND p.reshare_of IS NULL AND substr(p.text, 1, 3) <> 'RT '
              AND p.sentiment_vader IS NOT NULL
            GROUP BY p.platform, p.text) AS texts_by_band
        GROUP BY platform, band""")
