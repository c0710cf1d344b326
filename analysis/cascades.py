"""Observed sharing cascades: reshare (or reply) trees, their shape, virality and timing, and who carries them.

A cascade is an original post (the root: it has no parent of the chosen kind) with every post that
reshares it, directly or through other reshares (``posts.reshare_of`` points to the direct parent).
Everything here is vectorised over all cascades at once: roots by pointer jumping, subtree sizes
level by level, per-cascade sums with ``bincount``. No Python loop runs over posts.

Structural virality (Goel, Anderson, Hofman & Watts 2016) is the mean shortest-path distance over
all pairs of nodes in the tree. In a tree every edge separates ``s`` nodes (the subtree below it)
from the other ``n - s``, and lies on the path of exactly ``s * (n - s)`` pairs, so the sum of all
pairwise distances is the sum of ``s * (n - s)`` over edges; divided by the ``n (n - 1) / 2`` pairs
it gives the mean, exactly, in O(n).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
import sqlite_utils

from analysis import graphs
from analysis.filters import Filters
from analysis.store import aggregates
from analysis.store import cascades as q

KINDS = {"reshare": "Reshares", "reply": "Replies"}

# Followers-graph distances are bucketed as in Christakis & Fowler's "three degrees of influence".
DISTANCE_LABELS = ("1 step (follows the author)", "2 steps", "3 steps", "Further or not connected")

TREE_CAP = 300
TOP_N_DISTANCES = 20

TABLE_COLUMNS = ["root_id", "platform", "author_handle", "created_at", "sentiment", "customer_id", "segment",
                 "region", "lifetime_value", "linked", "size", "reshares", "depth", "breadth", "virality",
                 "t50_h", "t90_h", "last_h"]


# --- forests of parent pointers ------------------------------------------------------------------------


def roots_and_depths(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root and depth of every node of a forest given as parent indices (-1 for a root).

    Pointer jumping: every round each node's known ancestor jumps to that ancestor's ancestor, so a
    chain of length L needs about log2(L) rounds of whole-array indexing. Nodes on (or hanging from)
    a loop, which malformed data can contain, get root -1 and depth -1.
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    idx = np.arange(n, dtype=np.int64)
    anc = np.where(parent >= 0, parent, idx)
    dist = (parent >= 0).astype(np.int64)
    for _ in range(64):
        nxt = anc[anc]
        if np.array_equal(nxt, anc):
            break
        dist = dist + dist[anc]
        anc = nxt
    bad = parent[anc] >= 0
    anc[bad] = -1
    dist[bad] = -1
    return anc, dist


def subtree_sizes(parent: np.ndarray, depth: np.ndarray) -> np.ndarray:
    """Nodes in each node's subtree (itself included), adding children into parents from the deepest level up."""
    parent = np.asarray(parent, dtype=np.int64)
    sub = np.ones(len(parent), dtype=np.int64)
    inner = np.flatnonzero(depth > 0)
    if len(inner) == 0:
        return sub
    order = inner[np.argsort(depth[inner], kind="stable")]
    levels = depth[order]
    bounds = np.searchsorted(levels, np.arange(1, int(levels[-1]) + 2))
    for d in range(int(levels[-1]), 0, -1):
        nodes = order[bounds[d - 1]:bounds[d]]
        np.add.at(sub, parent[nodes], sub[nodes])
    return sub


def forest_stats(parent: np.ndarray, hours: np.ndarray | None = None,
                 tree: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """One row per tree of a forest (parent indices, -1 for roots), indexed by the root's node index.

    Columns: size (nodes, root included), depth (longest root-to-leaf path in edges), breadth (most
    nodes on one level), virality (structural virality; NaN for a lone root), and when ``hours``
    (each node's time in hours) is given: t50_h and t90_h, hours from the root until half and 90% of
    the tree's non-root nodes had appeared, and last_h, hours until the last one. ``tree`` passes
    ``roots_and_depths(parent)`` when the caller already has it.
    """
    parent = np.asarray(parent, dtype=np.int64)
    n = len(parent)
    if n == 0:
        cols = ["size", "depth", "breadth", "virality"] + (["t50_h", "t90_h", "last_h"] if hours is not None else [])
        return pd.DataFrame(columns=cols, index=pd.Index([], name="node"))
    root, depth = tree if tree is not None else roots_and_depths(parent)
    valid = root >= 0
    roots = np.flatnonzero(valid & (parent < 0))
    size = np.bincount(root[valid], minlength=n)
    max_depth = np.zeros(n, dtype=np.int64)
    np.maximum.at(max_depth, root[valid], depth[valid])

    # Breadth: count nodes per (tree, level), keep each tree's largest level.
    levels = int(depth.max()) + 1 if n else 1
    keys, counts = np.unique(root[valid] * levels + depth[valid], return_counts=True)
    breadth = np.zeros(n, dtype=np.int64)
    np.maximum.at(breadth, keys // levels, counts)

    sub = subtree_sizes(parent, depth)
    inner = np.flatnonzero(valid & (parent >= 0))
    s = sub[inner].astype(np.float64)
    pair_sum = np.bincount(root[inner], weights=s * (size[root[inner]] - s), minlength=n)
    pairs = size * (size - 1) / 2.0
    with np.errstate(invalid="ignore", divide="ignore"):
        virality = np.where(pairs > 0, pair_sum / np.where(pairs > 0, pairs, 1), np.nan)

    out = pd.DataFrame({"size": size[roots], "depth": max_depth[roots], "breadth": breadth[roots],
                        "virality": virality[roots]}, index=pd.Index(roots, name="node"))
    if hours is not None:
        out = out.join(_timing(root, inner, size, np.asarray(hours, dtype=np.float64)))
    return out


def _timing(root: np.ndarray, inner: np.ndarray, size: np.ndarray, hours: np.ndarray) -> pd.DataFrame:
    """Hours from each root until 50% and 90% of its descendants had appeared, and until the last one."""
    r = root[inner]
    t = hours[inner] - hours[r]
    # Sort by (root, time) through one int64 key, about twice as fast as lexsort (NaN times sort last).
    rank = np.empty(len(t), dtype=np.int64)
    rank[np.argsort(t, kind="stable")] = np.arange(len(t))
    order = np.argsort(r.astype(np.int64) * max(len(t), 1) + rank, kind="stable")
    r, t = r[order], t[order]
    start = np.flatnonzero(np.r_[True, r[1:] != r[:-1]]) if len(r) else np.zeros(0, dtype=np.int64)
    counts = np.diff(np.r_[start, len(r)])
    rank = np.arange(len(r)) - np.repeat(start, counts)
    children = size[r] - 1
    cols = {}
    for name, share in (("t50_h", 0.5), ("t90_h", 0.9), ("last_h", 1.0)):
        target = np.ceil(share * children - 1e-9).astype(np.int64) - 1
        pick = rank == target
        cols[name] = pd.Series(t[pick], index=r[pick])
    return pd.DataFrame(cols)


def hours_of(timestamps: pd.Series) -> np.ndarray:
    """ISO timestamps as hours since 1970 (NaN where missing or unreadable)."""
    t = pd.to_datetime(pd.Series(timestamps, dtype=object), format="ISO8601", errors="coerce")
    return ((t - pd.Timestamp("1970-01-01")) / pd.Timedelta(hours=1)).to_numpy(dtype=np.float64, na_value=np.nan)


# --- observed cascades ------------------------------------------------------------------------------------


@dataclass
class Observed:
    """Every cascade with at least one reshare (unfiltered), plus what could not be placed in a tree."""

    kind: str
    table: pd.DataFrame
    orphans: int  # posts whose chain leads to a parent that is not in the data
    loops: int  # posts on a parent chain that loops back on itself


def observed_cascades(db: sqlite_utils.Database, kind: str = "reshare") -> Observed:
    """All cascades in the data with their shape, timing and root, computed once per rows version and
    kept in the database (a fresh process reads the table instead of rebuilding every tree).

    Filters are applied afterwards with ``filter_cascades`` (on the root post), so changing a filter
    does not redo the tree computation.
    """
    if kind not in q.PARENT_COLUMN:
        raise ValueError(f"unknown cascade kind {kind!r}; choose from {', '.join(q.PARENT_COLUMN)}")

    def compute() -> dict:
        o = _observed(db, kind)
        return {"table": o.table, "counts": {"orphans": o.orphans, "loops": o.loops}}

    parts = aggregates.memo_parts(db, f"cascades.observed.{kind}", ("table", "counts"), compute)
    return Observed(kind=kind, table=parts["table"], orphans=int(parts["counts"]["orphans"]),
                    loops=int(parts["counts"]["loops"]))


def root_count(db: sqlite_utils.Database, f: Filters, kind: str = "reshare") -> int:
    """Posts that could root a cascade (no parent of this kind) under the filters, reshared or not:
    the same count as ``store.cascades.root_count``, summed from the kept per-day cube of the posts
    (``listening.cube``) rather than counted over every post."""
    from analysis import listening

    column = {"reshare": "roots_reshare", "reply": "roots_reply"}.get(kind)
    if column is None:
        raise ValueError(f"unknown cascade kind {kind!r}; choose from {', '.join(q.PARENT_COLUMN)}")
    rows = listening.cube(db)
    return int(rows.loc[f.frame_mask(rows, date="day"), column].sum())


def _observed(db: sqlite_utils.Database, kind: str) -> Observed:
    # Both reads scan every post; they are kept in the database per data version.
    edges = aggregates.memo(db, f"cascades.edges.{kind}", lambda: q.child_edges(db, kind))
    roots = aggregates.memo(db, f"cascades.roots.{kind}", lambda: q.cascade_roots(db, kind))
    accounts = q.linked_accounts(db)[["platform", "handle", "customer_id", "segment", "region", "lifetime_value"]]
    roots = roots.merge(accounts.drop_duplicates(["platform", "handle"]).rename(columns={"handle": "author_handle"}),
                        on=["platform", "author_handle"], how="left")
    m, k = len(edges), len(roots)
    codes, uniques = pd.factorize(pd.concat([edges["post_id"], edges["parent"], roots["post_id"]],
                                            ignore_index=True))
    n = len(uniques)
    parent = np.full(n, -1, dtype=np.int64)
    parent[codes[:m]] = codes[m:2 * m]
    hours = np.full(n, np.nan)
    hours[codes[:m]] = hours_of(edges["created_at"])
    root_nodes = codes[2 * m:2 * m + k]  # roots have no parent of this kind, so they are never children
    hours[root_nodes] = hours_of(roots["created_at"])

    node_root, depth = roots_and_depths(parent)
    stats = forest_stats(parent, hours, tree=(node_root, depth))
    is_known_root = np.zeros(n, dtype=bool)
    is_known_root[root_nodes] = True
    placed = node_root >= 0
    loops = int((~placed).sum())
    orphans = int((placed & (parent >= 0) & ~is_known_root[np.maximum(node_root, 0)]).sum())

    table = roots.rename(columns={"post_id": "root_id"}).reset_index(drop=True)
    table = table.join(stats.reindex(root_nodes).reset_index(drop=True))
    table["reshares"] = table["size"] - 1
    table["linked"] = table["customer_id"].notna()
    table = table.sort_values(["size", "virality", "root_id"], ascending=[False, False, True], kind="stable")
    return Observed(kind=kind, table=table[TABLE_COLUMNS].reset_index(drop=True), orphans=orphans, loops=loops)


def filter_cascades(table: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Cascades whose root post passes the global filters (the same rules as ``Filters.posts_where``)."""
    return table[f.frame_mask(table, date="created_at")]


def size_counts(table: pd.DataFrame, n_roots: int) -> pd.Series:
    """How many cascades have each size, the never-reshared originals (size 1) included."""
    counts = table["size"].value_counts()
    trivial = max(0, int(n_roots) - len(table))
    if trivial:
        counts.loc[1] = counts.get(1, 0) + trivial
    return counts.sort_index().astype(np.int64).rename_axis("size").rename("cascades")


def ccdf(counts: pd.Series) -> pd.DataFrame:
    """Complementary cumulative distribution: for each size s, the share of cascades of size >= s."""
    if counts.empty:
        return pd.DataFrame(columns=["size", "cascades", "share_at_least"])
    c = counts.sort_index()
    at_least = c[::-1].cumsum()[::-1]
    return pd.DataFrame({"size": c.index.to_numpy(), "cascades": c.to_numpy(),
                         "share_at_least": (at_least / c.sum()).to_numpy()})


def summary(table: pd.DataFrame, n_roots: int) -> dict:
    """Headline figures for the cascades under the filters."""
    share = len(table) / n_roots if n_roots else float("nan")
    return {
        "originals": int(n_roots), "cascades": len(table), "reshared_share": share,
        "reshares": int(table["reshares"].sum()) if len(table) else 0,
        "largest": int(table["size"].max()) if len(table) else 0,
        "deepest": int(table["depth"].max()) if len(table) else 0,
        "median_virality": float(table["virality"].median()) if len(table) else float("nan"),
        "linked_share": float(table["linked"].mean()) if len(table) else float("nan"),
    }


def largest(table: pd.DataFrame, n: int = 50) -> pd.DataFrame:
    return table.sort_values(["size", "virality", "root_id"], ascending=[False, False, True],
                             kind="stable").head(n)


def with_followers(top: pd.DataFrame, followers: pd.DataFrame) -> pd.DataFrame:
    """``top`` cascades with their root author's follower count (``followers``: platform, handle,
    followers, as ``store.cascades.follower_counts`` gives them); 0 for an author nobody follows."""
    out = top.merge(followers.rename(columns={"handle": "author_handle"}), on=["platform", "author_handle"],
                    how="left")
    out["followers"] = out["followers"].fillna(0).astype(int)
    return out


def with_author_roles(top: pd.DataFrame, roles: pd.DataFrame) -> pd.DataFrame:
    """``top`` cascades with their root author's role (``role``: brand, customer or public) and its label
    (``role_label``), from ``roles`` (platform, handle, role, as ``store.cascades.author_roles`` gives)."""
    from analysis.store.roles import ROLE_LABELS

    out = top.merge(roles.rename(columns={"handle": "author_handle"}), on=["platform", "author_handle"], how="left")
    out["role"] = out["role"].fillna("public")
    out["role_label"] = out["role"].map(ROLE_LABELS)
    return out


# --- one cascade ------------------------------------------------------------------------------------------


def sample_tree(members: pd.DataFrame, cap: int = TREE_CAP) -> pd.DataFrame:
    """The first ``cap`` posts of a tree in breadth-first order (by depth, then time).

    Every kept post's parent sits one level up and so was kept before it: the sample is a connected
    tree around the root.
    """
    ordered = members.sort_values(["depth", "created_at", "post_id"], kind="stable")
    return ordered.head(cap).reset_index(drop=True)


def spread(members: pd.DataFrame) -> pd.DataFrame:
    """Cumulative reshares against hours since the original post (one row per reshare, in time order)."""
    if members.empty:
        return pd.DataFrame(columns=["hours", "reshares"])
    h = hours_of(members["created_at"])
    root_h = h[(members["depth"] == 0).to_numpy()]
    start = root_h[0] if len(root_h) else np.nanmin(h)
    t = np.sort(h[(members["depth"] > 0).to_numpy()] - start)
    return pd.DataFrame({"hours": t, "reshares": np.arange(1, len(t) + 1)})


@dataclass
class Detail:
    """One cascade: its size, the breadth-first sample drawn, its spread over time and the network picture."""

    root_id: str
    size: int
    shown: int
    sample: pd.DataFrame
    spread: pd.DataFrame


def cascade_detail(db: sqlite_utils.Database, root_id: str, kind: str = "reshare", cap: int = TREE_CAP) -> Detail:
    """Everything the page shows about one cascade (meant to be cached by root); its tree is drawn by
    ``charts.cascades.tree_html(detail.sample)``."""
    members = q.cascade_members(db, [root_id], kind, with_text=True)
    sample = sample_tree(members, cap)
    return Detail(root_id=root_id, size=len(members), shown=len(sample), sample=sample, spread=spread(members))


# --- influence in context -------------------------------------------------------------------------------


def author_reach(table: pd.DataFrame, followers: pd.DataFrame, authors: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per author of reshared originals: cascades, reshares received, mean and largest size, followers.

    ``authors`` (platform, author_handle) keeps only those authors, e.g. a ``sample_authors`` draw.
    """
    cols = ["platform", "author_handle", "cascades", "reshares", "mean_size", "largest", "linked", "followers"]
    if table.empty:
        return pd.DataFrame(columns=cols)
    if authors is not None:
        table = table.merge(authors[["platform", "author_handle"]], on=["platform", "author_handle"])
    g = table.groupby(["platform", "author_handle"], sort=False)
    out = g.agg(cascades=("size", "size"), reshares=("reshares", "sum"), mean_size=("size", "mean"),
                largest=("size", "max"), linked=("linked", "max")).reset_index()
    f = followers.rename(columns={"handle": "author_handle"})[["platform", "author_handle", "followers"]]
    out = out.merge(f, on=["platform", "author_handle"], how="left")
    out["followers"] = out["followers"].fillna(0).astype(np.int64)
    return out[cols].sort_values("reshares", ascending=False, kind="stable").reset_index(drop=True)


REACH_AUTHORS = 5000
REACH_TOP = 1000


def sample_authors(table: pd.DataFrame, max_authors: int = REACH_AUTHORS, top: int = REACH_TOP,
                   seed: int = 0) -> tuple[pd.DataFrame, int]:
    """Authors of reshared originals to draw (platform, author_handle), and how many there are in all.

    All of them up to ``max_authors``; beyond, the ``top`` with most reshares plus a random sample of the
    rest, so that follower counts are looked up, and dots drawn, for a bounded number of accounts.
    """
    per = table.groupby(["platform", "author_handle"], sort=False)["reshares"].sum().reset_index()
    per = per.sort_values(["reshares", "platform", "author_handle"], ascending=[False, True, True], kind="stable")
    if len(per) <= max_authors:
        return per[["platform", "author_handle"]].reset_index(drop=True), len(per)
    rest = per.iloc[top:].sample(max_authors - top, random_state=seed)
    return pd.concat([per.head(top), rest])[["platform", "author_handle"]].reset_index(drop=True), len(per)


def filter_resharers(resharers: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Per-customer totals of ``linked_resharers`` rows passing the filters (day, platform, segment, region)."""
    d = resharers
    return d[f.frame_mask(d, date="day")].groupby("customer_id", as_index=False)[["carried", "passed_on"]].sum()


def follower_reach_correlation(reach: pd.DataFrame) -> float:
    """Spearman rank correlation between an author's followers and the reshares their posts received."""
    if len(reach) < 3:
        return float("nan")
    return float(reach["followers"].rank().corr(reach["reshares"].rank()))


def bfs_distances(A: sp.csr_matrix, sources: np.ndarray, max_depth: int = 3) -> sp.csr_matrix:
    """Shortest flow distances (1..max_depth) from each source to every node, as a sparse (sources x nodes) matrix.

    ``A[i, j] != 0`` means information flows from i to j (a follower graph: followee -> follower).
    All sources advance together: one sparse product per level. Unreached nodes are absent (0);
    the source itself is absent too.
    """
    n = A.shape[0]
    k = len(sources)
    # int32 counts: the number of paths into a node can pass 127, and an int8 product would wrap to 0.
    frontier = sp.csr_matrix((np.ones(k, dtype=np.int32), (np.arange(k), sources)), shape=(k, n))
    seen = frontier.copy()
    dist = sp.csr_matrix((k, n), dtype=np.int16)
    step = (A != 0).astype(np.int32).tocsr()
    for d in range(1, max_depth + 1):
        nxt = (frontier @ step).astype(bool).astype(np.int32)
        nxt = nxt - nxt.multiply(seen)
        nxt.eliminate_zeros()
        if nxt.nnz == 0:
            break
        dist = dist + nxt.astype(np.int16) * d
        seen = seen + nxt
        frontier = nxt
    return dist.tocsr()


def degrees_of_influence(members: pd.DataFrame, labels: np.ndarray, A: sp.csr_matrix,
                         max_depth: int = 3) -> pd.DataFrame:
    """For each cascade, the share of its resharers at follower-graph distance 1, 2, 3 and further from the root author.

    ``members`` holds the posts of the cascades (root, depth, author_handle; one platform); ``labels``
    and ``A`` are that platform's follower graph (flow followee -> follower). Resharers who are the root
    author themselves are left out; an account that reshared twice counts once.
    """
    cols = ["root", "adopters", *DISTANCE_LABELS]
    if members.empty:
        return pd.DataFrame(columns=cols)
    index = pd.Index(labels)
    roots = members[members["depth"] == 0][["root", "author_handle"]].drop_duplicates("root")
    adopters = members[members["depth"] > 0][["root", "author_handle"]].drop_duplicates()
    adopters = adopters.merge(roots.rename(columns={"author_handle": "root_author"}), on="root")
    adopters = adopters[adopters["author_handle"] != adopters["root_author"]]
    root_pos = pd.Index(roots["root"]).get_indexer(adopters["root"])
    src = index.get_indexer(roots["author_handle"])
    dst = index.get_indexer(adopters["author_handle"])
    d = np.full(len(adopters), 0, dtype=np.int64)
    have_src = src >= 0
    if have_src.any():
        dist = bfs_distances(A, src[have_src], max_depth=max_depth)
        row_of_root = np.full(len(src), -1, dtype=np.int64)
        row_of_root[have_src] = np.arange(int(have_src.sum()))
        rows = row_of_root[root_pos]
        ok = (rows >= 0) & (dst >= 0)
        d[ok] = np.asarray(dist[rows[ok], dst[ok]]).ravel()
    bucket = np.where((d >= 1) & (d <= 3), d - 1, 3)
    counts = np.zeros((len(roots), 4), dtype=np.int64)
    np.add.at(counts, (root_pos, bucket), 1)
    total = counts.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = counts / np.where(total > 0, total, 1)[:, None]
    out = pd.DataFrame(shares, columns=list(DISTANCE_LABELS))
    out.insert(0, "adopters", total)
    out.insert(0, "root", roots["root"].to_numpy())
    return out[total > 0].reset_index(drop=True)


def pooled_distances(per_cascade: pd.DataFrame) -> pd.Series:
    """Shares at each distance over all resharers of the measured cascades together."""
    if per_cascade.empty:
        return pd.Series(np.nan, index=list(DISTANCE_LABELS))
    counts = per_cascade[list(DISTANCE_LABELS)].mul(per_cascade["adopters"], axis=0).sum()
    return counts / counts.sum()


def customer_roles(table: pd.DataFrame, resharers: pd.DataFrame, accounts: pd.DataFrame) -> pd.DataFrame:
    """Linked customers who start or carry cascades, with their CRM value.

    started: cascades rooted at their posts; reach: reshares those cascades gathered; carried:
    reshares they made; passed_on: reshares of their reshares (they carried it one step further).
    """
    cols = ["customer_id", "name", "segment", "region", "lifetime_value", "started", "reach", "largest",
            "carried", "passed_on"]
    started = (table[table["linked"]].groupby("customer_id")
               .agg(started=("size", "size"), reach=("reshares", "sum"), largest=("size", "max")))
    carried = resharers.set_index("customer_id")[["carried", "passed_on"]] if len(resharers) else \
        pd.DataFrame(columns=["carried", "passed_on"])
    both = started.join(carried, how="outer")
    if both.empty:
        return pd.DataFrame(columns=cols)
    both = both.fillna(0).astype(np.int64).reset_index().rename(columns={"index": "customer_id"})
    info = accounts.drop_duplicates("customer_id")[["customer_id", "name", "segment", "region", "lifetime_value"]]
    out = both.merge(info, on="customer_id", how="left")
    out = out.sort_values(["reach", "passed_on", "carried", "customer_id"], ascending=[False, False, False, True],
                          kind="stable")
    return out[cols].reset_index(drop=True)


# --- simulation lab helpers -----------------------------------------------------------------------------------

# The seeding levers of the lab: engine strategy, label, and what it means.
# Each strategy declares its engine, which ``lab_seeds`` dispatches on: "random" (fresh seeds every run),
# "degree" (most followers), "betweenness" (most shortest paths), "score" (the highest of a score per
# account: ``score`` names which, from the customers linked to the accounts).
LAB_STRATEGIES: dict[str, dict] = {
    "random": {"engine": "random", "label": "Random accounts",
               "descr": "A fresh random set of k accounts in every run: the baseline."},
    "degree": {"engine": "degree", "label": "Top followers",
               "descr": "The k accounts with most followers: the front row."},
    "betweenness": {"engine": "betweenness", "label": "Top betweenness",
                    "descr": "The k accounts on most shortest paths of the network: the bridges."},
    "value": {"engine": "score", "score": "value", "label": "High-value customers", "customers": True,
              "descr": "Accounts linked to the customers with the highest lifetime value."},
    "positive": {"engine": "score", "score": "sentiment", "label": "Positive-sentiment customers", "customers": True,
                 "descr": "Accounts linked to customers whose own posts are the most positive on average."},
}

# Betweenness takes too long above this many arcs (Brandes: O(n m) even from sampled sources).
BETWEENNESS_MAX_ARCS = 300_000


def _customer_mask(d: pd.DataFrame, f: Filters | None) -> np.ndarray:
    if f is None:
        return np.ones(len(d), dtype=bool)
    return f.frame_mask(d, platform=False)


def value_scores(labels, accounts: pd.DataFrame, platform: str, f: Filters | None = None) -> np.ndarray:
    """Per graph node: the lifetime value of the customer linked to that account (NaN if none).

    Only customers in the filters' segments and regions count, so "high-value customers" means those
    of the segment under study.
    """
    d = accounts[(accounts["platform"] == platform)]
    d = d[_customer_mask(d, f) & d["lifetime_value"].notna().to_numpy()]
    s = pd.Series(d["lifetime_value"].to_numpy(dtype=float), index=d["handle"].to_numpy())
    return _align(labels, s)


def sentiment_scores(labels, sentiment: pd.DataFrame, accounts: pd.DataFrame, platform: str,
                     f: Filters | None = None, min_posts: int = 1) -> np.ndarray:
    """Per graph node: the mean sentiment of the linked customer's own posts on that account (NaN if none)."""
    d = sentiment[(sentiment["platform"] == platform) & (sentiment["posts"] >= min_posts)]
    d = d.merge(accounts[["platform", "handle", "segment", "region"]], on=["platform", "handle"], how="left")
    d = d[_customer_mask(d, f)]
    s = pd.Series(d["mean_sentiment"].to_numpy(dtype=float), index=d["handle"].to_numpy())
    return _align(labels, s)


def _align(labels, s: pd.Series) -> np.ndarray:
    s = s[~s.index.duplicated(keep="first")]
    return s.reindex(pd.Index(np.asarray(labels, dtype=object))).to_numpy(dtype=np.float64, na_value=np.nan)


def run_summary(label: str, result, n_seeds: int, threshold: float = 0.5) -> dict:
    """Plain numbers of one strategy's Monte Carlo runs (final shares reached, a global-cascade probability)."""
    lo, hi = result.ci95
    # The t-interval of a share can poke past 0% or 100% when runs pile up at an end; a share cannot.
    lo, hi = (max(0.0, lo), min(1.0, hi)) if np.isfinite(lo) else (lo, hi)
    glo, ghi = result.p_global_ci95(threshold)
    return {"label": label, "mean": result.mean, "ci95": (lo, hi), "p_global": result.p_global(threshold),
            "p_global_ci95": (glo, ghi), "runs": np.asarray(result.runs, dtype=float),
            "curve": np.asarray(result.mean_curve(), dtype=float), "n_seeds": int(n_seeds),
            "n_nodes": int(result.n_nodes), "elapsed_s": float(result.elapsed_s)}


def lab_table(summaries: list[dict]) -> pd.DataFrame:
    """One row per strategy: seeds, mean reach (share and nodes) with its interval, P(global cascade)."""
    rows = []
    for s in summaries:
        n = s["n_nodes"]
        rows.append({"Strategy": s["label"], "Seeds": s["n_seeds"], "Mean reach": s["mean"],
                     "Nodes reached": s["mean"] * n, "95% CI low": s["ci95"][0], "95% CI high": s["ci95"][1],
                     "P(global cascade)": s["p_global"], "P 95% CI low": s["p_global_ci95"][0],
                     "P 95% CI high": s["p_global_ci95"][1],
                     # What the user waited for: choosing the seeds (betweenness included) and the runs.
                     "Seconds": s["elapsed_s"] + s.get("seeding_s", 0.0),
                     "Of which seeding": s.get("seeding_s", 0.0)})
    return pd.DataFrame(rows)


def follow_graph(db: sqlite_utils.Database, platform: str) -> graphs.Graph:
    """One platform's follower graph as a flow graph (followee -> follower: who sees whose posts)."""
    follower, followee = q.follow_edges(db, platform)
    codes, labels = pd.factorize(np.concatenate([followee, follower]))
    m = len(followee)
    return graphs.from_arrays(codes[:m], codes[m:], len(labels), directed=True, labels=np.asarray(labels))


@dataclass
class Seeding:
    """The seeds one strategy picked: one row per run (engine "random") or one set for every run; ``None``
    when the strategy was skipped, with the reason in ``note`` (a note may also come with seeds)."""

    seeds: np.ndarray | None
    note: str | None = None


def lab_seeds(db: sqlite_utils.Database | None, g: graphs.Graph, strategy: str, k: int, runs: int, seed: int, *,
              platform: str | None = None, f: Filters | None = None, betweenness=None,
              say=lambda text: None) -> Seeding:
    """The seeds of one simulation-lab strategy, by the engine the strategy declares (``LAB_STRATEGIES``).

    ``db`` (for the customer strategies) gives the accounts linked to customers, on ``platform``'s
    follower graph and under ``f``'s segments and regions. ``betweenness`` is a callable giving the
    network's betweenness (the page keeps it between runs); ``say`` reports a slow step.
    """
    meta = LAB_STRATEGIES[strategy]
    label, engine = meta["label"], meta["engine"]
    if engine == "random":
        pick = np.random.default_rng([seed, 1])
        return Seeding(np.stack([graphs.choose_seeds(g, k, "random", pick) for _ in range(runs)]))
    if engine == "degree":
        return Seeding(graphs.choose_seeds(g, k, "degree"))
    if engine == "betweenness":
        if g.n_arcs > BETWEENNESS_MAX_ARCS:
            return Seeding(None, f"{label} skipped: this network has {g.n_arcs:,} arcs, and betweenness takes "
                                 f"too long above {BETWEENNESS_MAX_ARCS:,}.")
        say("Computing betweenness (estimated from sampled sources on large networks)…")
        scores = betweenness() if betweenness is not None else graphs.betweenness(g, np.random.default_rng(seed))
        return Seeding(graphs.choose_seeds(g, k, "score", scores=scores))
    if engine != "score":
        raise ValueError(f"strategy {strategy!r} declares an unknown engine {engine!r}")
    if db is None or platform is None:
        return Seeding(None, f"{label} needs the data's follower graph (customers are linked to its accounts).")
    accounts = q.linked_accounts(db)
    if meta["score"] == "value":
        scores = value_scores(g.labels, accounts, platform, f)
    else:
        scores = sentiment_scores(g.labels, q.linked_author_sentiment(db), accounts, platform, f)
    seeds = graphs.choose_seeds(g, k, "score", scores=scores)
    note = None
    if len(seeds) < k:
        note = (f"{label}: only {len(seeds)} linked account(s) qualify on {platform} under the filters, so fewer "
                "seeds were used.")
    return Seeding(seeds if len(seeds) else None, note)


# --- what the Cascades page asks of the database (pages never call analysis.store) ----------------------

follower_counts = q.follower_counts  # (platform, handle) pairs -> followers
follow_edge_count = q.follow_edge_count  # follows on one platform
follow_platforms = q.follow_platforms  # platforms with follows
linked_accounts = q.linked_accounts  # social accounts linked to customers, with segment, region, value
linked_resharers = q.linked_resharers  # reshares (or replies) made by linked accounts


def with_authors(db: sqlite_utils.Database, top: pd.DataFrame) -> pd.DataFrame:
    """The largest cascades with their author's followers and role (brand, linked customer, other voice)."""
    accounts = tuple(zip(top["platform"], top["author_handle"], strict=True))
    return with_author_roles(with_followers(top, q.follower_counts(db, accounts)), q.author_roles(db, accounts))


def resharer_distances(db: sqlite_utils.Database, g: graphs.Graph, roots: tuple) -> pd.DataFrame:
    """Follower-graph distances (1, 2, 3+) from each author to the resharers of ``roots`` on ``g``."""
    return degrees_of_influence(q.cascade_members(db, roots, "reshare"), g.labels, g.A)
