"""Citus-readiness: data/citus.sql distributes every table as analysis/store/pg.py says, every unique key of a
distributed table includes its distribution column (checked on a real PostgreSQL schema), and the store's
joins between distributed tables are on the distribution column, except the listed cross-group joins."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from analysis import store
from analysis.store import pg

ROOT = Path(__file__).resolve().parents[1]
CITUS_SQL = (ROOT / "data" / "citus.sql").read_text()

# Equalities between distributed tables that are not on the distribution column, each with why it cannot be
# (Citus runs them as repartition joins; data/citus.sql turns those on). Keep this list short and true.
CROSS_GROUP_JOINS: dict[tuple[str, str], str] = {
    ("perception.py", "q.thread_id = i.thread_id"):
        "a brand message is a response when its thread had an inbound touch before it; threads are matched by "
        "thread_id alone because imported data may share a thread between customers (rollups.py counts them)",
    ("perception.py", "par.post_id = p.reply_to"):
        "a brand reply's parent post is usually by another author (a customer), on another shard",
}

# Recursive queries over a distributed table, each with why: Citus runs a recursive CTE on the
# coordinator, pulling the rows it reads. Keep this list short and true.
RECURSIVE_OVER_DISTRIBUTED = {
    "cascades.py": "a cascade's tree follows reshare_of/reply_to -> post_id across authors (the members of "
                   "up to 500 cascades at a time, read when a tree is drawn); the cascade statistics of every "
                   "tree are kept per rows version (analysis/store/aggregates.py), so pages do not run it",
}


def distributed_in_sql() -> dict[str, tuple[str, str | None]]:
    out = {}
    for m in re.finditer(r"create_distributed_table\('(\w+)',\s*'(\w+)'(?:,\s*colocate_with\s*=>\s*'(\w+)')?\)",
                         CITUS_SQL):
        assert m.group(1) not in out, f"{m.group(1)} distributed twice"
        out[m.group(1)] = (m.group(2), m.group(3))
    return out


def reference_in_sql() -> list[str]:
    return re.findall(r"create_reference_table\('(\w+)'\)", CITUS_SQL)


def test_citus_sql_places_every_table_once_as_the_store_says():
    distributed, reference = distributed_in_sql(), reference_in_sql()
    assert {t: c for t, (c, _) in distributed.items()} == pg.DISTRIBUTED
    assert {t: w for t, (_, w) in distributed.items() if w} == pg.COLOCATED_WITH
    assert len(reference) == len(set(reference))
    assert not set(reference) & set(distributed)
    assert sorted([*distributed, *reference]) == sorted(store.continuum_tables())


def test_co_located_tables_share_the_distribution_column_value():
    # Co-location only keeps rows together when the joined columns hold the same values.
    for anchor in pg.COLOCATED_WITH.values():
        assert anchor in pg.DISTRIBUTED and anchor not in pg.COLOCATED_WITH
    assert pg.DISTRIBUTED["interactions"] == pg.DISTRIBUTED["customers"] == "customer_id"
    assert (pg.DISTRIBUTED["posts"], pg.DISTRIBUTED["follows"]) == ("author_handle", "follower_handle")


def test_every_unique_key_of_a_distributed_table_includes_its_distribution_column(pg_address):
    with store.connection(pg_address) as db:
        rows = store.query_df(db, """
            SELECT t.relname AS tbl, i.relname AS idx, a.attname AS col
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)
            WHERE x.indisunique""")
        keys = rows.groupby(["tbl", "idx"])["col"].apply(set)
        checked = 0
        for (table, index), cols in keys.items():
            if table in pg.DISTRIBUTED:
                assert pg.DISTRIBUTED[table] in cols, f"{index} on {table} lacks {pg.DISTRIBUTED[table]}: {cols}"
                checked += 1
        assert checked >= 4  # customers, interactions, posts, follows have keys
        # A distribution column may not be NULL.
        for table, column in pg.DISTRIBUTED.items():
            assert store.scalar(db, "SELECT is_nullable FROM information_schema.columns WHERE table_schema = "
                                    "current_schema() AND table_name = ? AND column_name = ?", (table, column)) == "NO"


def _sql_texts() -> list[tuple[str, str]]:
    """Every string literal (f-strings with their holes as X) in analysis/store, with its file."""
    out = []
    for path in sorted((ROOT / "analysis" / "store").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.JoinedStr):
                out.append((path.name, "".join(v.value if isinstance(v, ast.Constant) else " X " for v in node.values)))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                out.append((path.name, node.value))
    return out


_STOP = r"(?:ON|WHERE|JOIN|LEFT|INNER|CROSS|GROUP|ORDER|USING|UNION|LIMIT|SET|VALUES)\b"
_TABLE = re.compile(rf"\b(?:FROM|JOIN)\s+\"?(\w+)\"?(?:\s+(?:AS\s+)?(?!{_STOP})(\w+))?", re.I)
_EQ = re.compile(r"\b(\w+)\.\"?(\w+)\"?\s*=\s*(\w+)\.\"?(\w+)\"?")


def joins_between_distributed_tables() -> list[tuple[str, str, str, bool, str]]:
    """(file, table, other table, co-located?, equality) for every column equality between two distributed
    tables in the store's SQL: JOIN ... ON, WHERE and correlated subqueries alike."""
    group = {t: pg.COLOCATED_WITH.get(t, t) for t in pg.DISTRIBUTED}
    found = []
    for file, sql in _sql_texts():
        aliases = {}
        for m in _TABLE.finditer(sql):
            aliases[m.group(2) or m.group(1)] = m.group(1)
        equalities = _EQ.findall(sql)
        for a1, c1, a2, c2 in equalities:
            t1, t2 = aliases.get(a1), aliases.get(a2)
            if a1 == a2 or t1 not in pg.DISTRIBUTED or t2 not in pg.DISTRIBUTED:
                continue
            # Co-located when the two rows are on the same shard: same group, and the statement also
            # equates the two distribution columns (this equality or another one).
            dist_eq = any({(x1, y1), (x2, y2)} == {(a1, pg.DISTRIBUTED[t1]), (a2, pg.DISTRIBUTED[t2])}
                          for x1, y1, x2, y2 in equalities)
            found.append((file, t1, t2, group[t1] == group[t2] and dist_eq, f"{a1}.{c1} = {a2}.{c2}"))
    return found


def test_joins_between_distributed_tables_are_on_the_distribution_column():
    joins = joins_between_distributed_tables()
    local = [j for j in joins if j[3]]
    assert local, "the scan finds the co-located joins (customers with interactions)"
    assert any({j[1], j[2]} == {"customers", "interactions"} for j in local)
    remote = [j for j in joins if not j[3]]
    unexplained = [j for j in remote if (j[0], j[4]) not in CROSS_GROUP_JOINS]
    assert not unexplained, unexplained
    # Every listed exception still exists (the list does not outlive the code).
    assert {(j[0], j[4]) for j in remote} == set(CROSS_GROUP_JOINS)


def test_recursive_queries_over_distributed_tables_are_the_listed_ones():
    found = {file for file, sql in _sql_texts() if re.search(r"WITH\s+RECURSIVE", sql, re.I)
             and any(re.search(rf"\b(FROM|JOIN)\s+{t}\b", sql, re.I) for t in pg.DISTRIBUTED)}
    assert found == set(RECURSIVE_OVER_DISTRIBUTED)


def test_upserts_name_a_key_with_the_distribution_column():
    tables = sorted(set(pg.DISTRIBUTED) & set(store.TABLE_KEYS))
    assert tables == ["customers", "follows", "interactions", "posts"]
    for table in tables:
        assert pg.DISTRIBUTED[table] in pg.conflict_key(table, store.TABLE_KEYS[table])
