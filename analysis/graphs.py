"""Graphs for the cascade simulations: a CSR flow graph, loaders, random generators and seeding strategies.

Direction convention (read this before building a graph)
--------------------------------------------------------
``Graph.A`` is the *information-flow* adjacency: ``A[i, j] == 1`` means what ``i`` posts reaches ``j``.

* In a follower graph, when follower ``f`` follows followee ``g``, information flows ``g -> f``, so the
  row of the followee holds its followers: ``A[g, f] == 1``.
* ``out_degree[i]`` (row sums) is how many nodes see ``i``: its number of **followers**.
* ``in_degree[j]`` (column sums) is how many nodes ``j`` sees: how many it **follows**.
* The in-neighbours of ``j`` (``Graph.AT`` row ``j``) are the nodes ``j`` sees; threshold and
  ovation models look at those.

``from_edges`` reads each row as a flow ``source -> target``. For a table of ``follower, followee``
rows use ``from_follows`` (or pass ``source="followee", target="follower"``). Undirected input
gets both directions. Self loops are dropped and parallel edges merged.

Every generator and the random seeding strategy take a ``numpy.random.Generator``; nothing here
touches global random state.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp


class GraphInputError(ValueError):
    """A problem with user-supplied graph input (missing file, missing column, empty values)."""


@dataclass(eq=False)
class Graph:
    """A graph on nodes ``0..n-1`` with flow adjacency ``A`` (``A[i, j] = 1``: information flows i -> j).

    ``labels[i]`` is the name of node ``i`` (a handle, a customer id, or just ``i`` for generated graphs).
    ``directed=False`` means ``A`` is symmetric (every tie carries information both ways).
    """

    n: int
    labels: np.ndarray
    directed: bool
    A: sp.csr_matrix
    _cache: dict = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self):
        A = sp.csr_matrix(self.A)
        if A.shape != (self.n, self.n):
            raise ValueError(f"adjacency shape {A.shape} does not match n={self.n}")
        A.sum_duplicates()
        A.eliminate_zeros()
        if A.diagonal().any():
            A = (A - sp.diags(A.diagonal())).tocsr()
            A.eliminate_zeros()
        A.sort_indices()
        # Weights and multiplicities are dropped: an arc either carries information or not.
        if A.dtype != np.int32 or (A.data != 1).any():
            A = sp.csr_matrix((np.ones(A.nnz, dtype=np.int32), A.indices, A.indptr), shape=A.shape)
        self.A = A
        labels = np.asarray(self.labels)
        if len(labels) != self.n:
            raise ValueError(f"{len(labels)} labels for {self.n} nodes")
        self.labels = labels

    @property
    def AT(self) -> sp.csr_matrix:
        """Transpose in CSR form: row ``j`` lists the nodes ``j`` sees (its in-neighbours)."""
        if "AT" not in self._cache:
            AT = self.A.T.tocsr()
            AT.sort_indices()
            self._cache["AT"] = AT
        return self._cache["AT"]

    @property
    def out_degree(self) -> np.ndarray:
        """How many nodes each node reaches directly (= its followers)."""
        if "out" not in self._cache:
            self._cache["out"] = np.diff(self.A.indptr).astype(np.int64)
        return self._cache["out"]

    @property
    def in_degree(self) -> np.ndarray:
        """How many nodes each node sees (= how many it follows)."""
        if "in" not in self._cache:
            self._cache["in"] = np.bincount(self.A.indices, minlength=self.n).astype(np.int64)
        return self._cache["in"]

    @property
    def followers(self) -> np.ndarray:
        """Alias of ``out_degree``: how many see a node's posts."""
        return self.out_degree

    @property
    def n_arcs(self) -> int:
        """Number of directed flow arcs (nonzeros of ``A``)."""
        return int(self.A.nnz)

    @property
    def n_edges(self) -> int:
        """Edges as the user thinks of them: arcs if directed, undirected ties (arcs / 2) otherwise."""
        return self.n_arcs if self.directed else self.n_arcs // 2

    def index_of(self, names) -> np.ndarray:
        """Node indices of the given labels; ``-1`` for a label not in the graph."""
        lookup = pd.Index(self.labels)
        return lookup.get_indexer(pd.Index(np.asarray(names, dtype=object) if np.ndim(names) else [names]))

    def align(self, values: pd.Series | dict) -> np.ndarray:
        """Per-node float array from a mapping label -> value (e.g. lifetime value); NaN where missing."""
        s = pd.Series(values, dtype="float64") if isinstance(values, dict) else pd.to_numeric(values, errors="coerce")
        s = s[~s.index.duplicated(keep="first")]
        return s.reindex(pd.Index(self.labels)).to_numpy(dtype=np.float64, na_value=np.nan)

    def adjacency_lists(self) -> list[list[int]]:
        """Out-neighbour lists as plain Python lists (only for the naive reference implementation)."""
        if "lists" not in self._cache:
            idx = self.A.indices.tolist()
            ptr = self.A.indptr.tolist()
            self._cache["lists"] = [idx[ptr[i]:ptr[i + 1]] for i in range(self.n)]
        return self._cache["lists"]

    def to_networkx(self):
        """A networkx (Di)Graph over node indices, following the flow direction."""
        import networkx as nx

        create = nx.DiGraph if self.directed else nx.Graph
        return nx.from_scipy_sparse_array(self.A, create_using=create)


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values; numpy 2's hash-based ``np.unique`` is several times slower on int keys."""
    a = np.sort(a)
    if len(a) > 1:
        a = a[np.concatenate(([True], a[1:] != a[:-1]))]
    return a


def from_arrays(src, dst, n: int, directed: bool = True, labels=None) -> Graph:
    """Build a Graph from integer endpoint arrays (flow ``src -> dst``): drop self loops, merge duplicates."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keep = src != dst
    src, dst = src[keep], dst[keep]
    if not directed:
        src, dst = np.concatenate([src, dst]), np.concatenate([dst, src])
    # One int64 key per arc sorts by (row, column) and dedupes in a single pass.
    key = sorted_unique(src * n + dst)
    rows, cols = np.divmod(key, n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    index_dtype = np.int32 if n < 2**31 - 1 and len(key) < 2**31 - 1 else np.int64
    A = sp.csr_matrix((np.ones(len(key), dtype=np.int32), cols.astype(index_dtype), indptr.astype(index_dtype)),
                      shape=(n, n))
    if labels is None:
        labels = np.arange(n)
    return Graph(n=n, labels=np.asarray(labels), directed=directed, A=A)


def _read_edges(df_or_path, columns: list[str]) -> tuple[pd.DataFrame, str]:
    if isinstance(df_or_path, pd.DataFrame):
        return df_or_path, "edges table"
    path = Path(df_or_path)
    name = str(path)
    if not path.is_file():
        raise GraphInputError(f"{name}: edges file not found")
    try:
        header = pd.read_csv(path, nrows=0, encoding="utf-8-sig")
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise GraphInputError(f"{name}: cannot read as CSV ({exc})") from exc
    found = [str(c).strip() for c in header.columns]
    missing = [c for c in columns if c not in found]
    if missing:
        raise GraphInputError(f"{name}: missing column {', '.join(repr(c) for c in missing)} "
                              f"(found: {', '.join(found) or 'no columns'})")
    try:
        # Strings keep ids like "007" and handles intact; factorize is fast on them.
        df = pd.read_csv(path, usecols=lambda c: str(c).strip() in columns, dtype=str, keep_default_na=False,
                         encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise GraphInputError(f"{name}: cannot read as CSV ({exc})") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df, name


def from_edges(df_or_path, source: str = "source", target: str = "target", directed: bool = False,
               nodes=None) -> Graph:
    """Load a graph from a CSV path or DataFrame of edges, each row a flow ``source -> target``.

    ``directed=False`` adds both directions. ``nodes`` (optional) fixes the first labels in that order and
    keeps nodes without edges; labels found only in the edges follow. Raises ``GraphInputError`` naming the
    file and the problem (missing file or column, empty endpoints, no edges).
    """
    df, name = _read_edges(df_or_path, [source, target])
    for col in (source, target):
        if col not in df.columns:
            raise GraphInputError(f"{name}: missing column {col!r} (found: {', '.join(map(str, df.columns))})")
    s, t = df[source], df[target]
    blank = s.isna().to_numpy() | t.isna().to_numpy()
    if pd.api.types.is_string_dtype(s.dtype):
        # " alice" and "alice" are the same handle.
        s = s.str.strip()
        blank |= (s == "").to_numpy(dtype=bool, na_value=True)
    if pd.api.types.is_string_dtype(t.dtype):
        t = t.str.strip()
        blank |= (t == "").to_numpy(dtype=bool, na_value=True)
    if blank.any():
        first = int(np.flatnonzero(blank)[0])
        where = f"line {first + 2}" if name != "edges table" else f"row {first}"
        raise GraphInputError(f"{name}: {int(blank.sum())} edge(s) with an empty {source!r} or {target!r} "
                              f"(first at {where})")
    if len(df) == 0 and nodes is None:
        raise GraphInputError(f"{name}: no edges")
    both = pd.concat([s, t], ignore_index=True)
    if nodes is not None:
        both = pd.concat([pd.Series(list(nodes), dtype=both.dtype), both], ignore_index=True)
    codes, uniques = pd.factorize(both)
    offset = 0 if nodes is None else len(nodes)
    m = len(df)
    src = codes[offset:offset + m]
    dst = codes[offset + m:]
    return from_arrays(src, dst, len(uniques), directed=directed, labels=np.asarray(uniques))


def from_follows(df_or_path, follower: str = "follower", followee: str = "followee", nodes=None) -> Graph:
    """Directed flow graph from ``follower, followee`` rows: information flows followee -> follower."""
    return from_edges(df_or_path, source=followee, target=follower, directed=True, nodes=nodes)


# --- generators -----------------------------------------------------------------------------------------


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator, directed: bool = False) -> Graph:
    """G(n, p) with ``p = mean_degree / (n - 1)``: draw the edge count M ~ Binomial, then M distinct pairs.

    ``mean_degree`` is the mean number of ties per node (undirected) or of followers per node (directed).
    Sampling pairs and rejecting duplicates costs O(M), not O(n^2).
    """
    n = int(n)
    if n < 2:
        return from_arrays([], [], max(n, 0), directed=directed)
    p = min(max(mean_degree / (n - 1), 0.0), 1.0)
    pairs = n * (n - 1) if directed else n * (n - 1) // 2
    m = int(rng.binomial(pairs, p))
    if m > pairs // 2:
        # Dense case: rejection would stall, so enumerate (only reached for tiny or near-complete graphs).
        if directed:
            i, j = np.nonzero(~np.eye(n, dtype=bool))
        else:
            i, j = np.triu_indices(n, 1)
        pick = rng.choice(len(i), size=m, replace=False)
        return from_arrays(i[pick], j[pick], n, directed=directed)
    keys = np.empty(0, dtype=np.int64)
    while len(keys) < m:
        need = m - len(keys)
        draw = int(need * 1.05) + 16
        u = rng.integers(0, n, size=draw)
        v = rng.integers(0, n, size=draw)
        ok = u != v
        u, v = u[ok], v[ok]
        if not directed:
            u, v = np.minimum(u, v), np.maximum(u, v)
        keys = sorted_unique(np.concatenate([keys, u * n + v]))
    # Random subset, so trimming the surplus does not favour small keys.
    keys = keys[rng.permutation(len(keys))[:m]]
    u, v = np.divmod(keys, n)
    return from_arrays(u, v, n, directed=directed)


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> Graph:
    """Undirected preferential attachment (networkx's model: a star on m+1 nodes, then m distinct targets each).

    Uses the Batagelj–Brandes endpoint list, in which a node appears once per tie: node ``v`` picks
    uniform positions among the endpoints written before it. The first ``_BA_HEAD`` nodes run in a plain
    loop (their short lists make repeated picks common); the rest draw all positions at once and resolve
    each by pointer jumping (position -> the position it copied). Picks that repeat a target in the same
    row are redrawn, as networkx redraws until it has m distinct targets.
    """
    n, m = int(n), int(m)
    if m < 1 or n <= m:
        raise ValueError(f"Barabási–Albert needs 1 <= m < n, got n={n}, m={m}")
    new = np.arange(m + 1, n, dtype=np.int64)
    # Endpoint list: the star block [0, 1, 0, 2, ...], then per new node v the block [v, t1, v, t2, ...].
    value = np.empty(2 * m + 2 * m * len(new), dtype=np.int64)
    value[0:2 * m:2] = 0
    value[1:2 * m:2] = np.arange(1, m + 1)
    value[2 * m::2] = np.repeat(new, m)
    head = min(n, _BA_HEAD)
    endpoints = value[:2 * m].tolist()
    for v in range(m + 1, head):
        chosen: list[int] = []
        while len(chosen) < m:
            for pos in rng.integers(0, len(endpoints), size=m - len(chosen)).tolist():
                if endpoints[pos] not in chosen:
                    chosen.append(endpoints[pos])
        for t in chosen:
            endpoints += (v, t)
    value[:len(endpoints)] = endpoints
    tail = new[new >= head]
    if len(tail):
        starts = 2 * m * (tail - m)  # list length before node v's block
        odd = starts[:, None] + 1 + 2 * np.arange(m)[None, :]
        limit = np.broadcast_to(starts[:, None], odd.shape)
        pointer = np.arange(len(value), dtype=np.int64)
        redo = np.ones(odd.shape, dtype=bool)
        while redo.any():
            pointer[odd[redo]] = np.floor(rng.random(int(redo.sum())) * limit[redo]).astype(np.int64)
            resolved = pointer
            while True:
                nxt = resolved[resolved]
                if np.array_equal(nxt, resolved):
                    break
                resolved = nxt
            targets = value[resolved[odd]]
            # The first pick of each target in a row stands; later repeats draw again.
            order = np.argsort(targets, axis=1, kind="stable")
            ranked = np.take_along_axis(targets, order, axis=1)
            repeat = np.zeros(ranked.shape, dtype=bool)
            repeat[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
            redo = np.zeros(ranked.shape, dtype=bool)
            np.put_along_axis(redo, order, repeat, axis=1)
        value = value[resolved]
    return from_arrays(value[0::2], value[1::2], n, directed=False)


_BA_HEAD = 1000


def watts_strogatz(n: int, k: int, beta: float, rng: np.random.Generator) -> Graph:
    """Small world: ring lattice with each node tied to its k nearest neighbours (k//2 per side), each tie
    rewired with probability ``beta`` to a uniform node, avoiding self loops and duplicate ties."""
    n, k = int(n), int(k)
    half = k // 2
    if half < 1 or k >= n:
        raise ValueError(f"Watts–Strogatz needs 2 <= k < n, got n={n}, k={k}")
    u = np.repeat(np.arange(n, dtype=np.int64), half)
    v = (u + np.tile(np.arange(1, half + 1), n)) % n
    rewired = rng.random(len(u)) < beta
    redo = np.flatnonzero(rewired)
    for _ in range(100):
        if len(redo) == 0:
            break
        v[redo] = rng.integers(0, n, size=len(redo))
        key = np.minimum(u, v) * n + np.maximum(u, v)
        # Lattice ties sort before rewired copies of the same tie, so only rewired ties draw again.
        order = np.lexsort((rewired, key))
        dup = np.zeros(len(key), dtype=bool)
        dup[order[1:]] = key[order[1:]] == key[order[:-1]]
        redo = np.flatnonzero(dup | (u == v))
    return from_arrays(u, v, n, directed=False)


GENERATORS: dict[str, dict] = {
    "erdos_renyi": {
        "label": "Erdős–Rényi random graph",
        "descr": "Every pair tied independently; degrees are Poisson around the mean.",
        "function": erdos_renyi,
        "params": {
            "n": {"descr": "Number of nodes", "type": "int", "range": [10, 200000], "default": 2000},
            "mean_degree": {"descr": "Mean ties (or followers) per node", "type": "float", "range": [0.5, 50],
                            "default": 6.0},
            "directed": {"descr": "Directed (follower) ties", "type": "bool", "default": False},
        },
    },
    "barabasi_albert": {
        "label": "Barabási–Albert preferential attachment",
        "descr": "New nodes tie to popular nodes; a few hubs collect most ties (power-law degrees).",
        "function": barabasi_albert,
        "params": {
            "n": {"descr": "Number of nodes", "type": "int", "range": [10, 200000], "default": 2000},
            "m": {"descr": "Ties each new node makes", "type": "int", "range": [1, 20], "default": 3},
        },
    },
    "watts_strogatz": {
        "label": "Watts–Strogatz small world",
        "descr": "A ring of local ties with a fraction rewired at random: clustered but short paths.",
        "function": watts_strogatz,
        "params": {
            "n": {"descr": "Number of nodes", "type": "int", "range": [10, 200000], "default": 2000},
            "k": {"descr": "Nearest neighbours in the ring (even)", "type": "int", "range": [2, 40], "default": 6},
            "beta": {"descr": "Rewiring probability", "type": "float", "range": [0, 1], "default": 0.1},
        },
    },
}


def generate(name: str, rng: np.random.Generator, **params) -> Graph:
    """Build a graph with the generator ``GENERATORS[name]``; missing parameters take their defaults."""
    if name not in GENERATORS:
        raise ValueError(f"unknown generator {name!r}; choose from {', '.join(GENERATORS)}")
    spec = GENERATORS[name]
    unknown = set(params) - set(spec["params"])
    if unknown:
        raise ValueError(f"{name}: unknown parameter(s) {', '.join(sorted(unknown))}")
    kwargs = {key: params.get(key, p["default"]) for key, p in spec["params"].items()}
    return spec["function"](rng=rng, **kwargs)


# --- seeding strategies ---------------------------------------------------------------------------------

# Above this many nodes betweenness is estimated from a sample of source nodes.
BETWEENNESS_EXACT_MAX = 3000
BETWEENNESS_SAMPLES = 300

STRATEGIES: dict[str, dict] = {
    "random": {"label": "Random customers", "descr": "k distinct nodes drawn uniformly."},
    "degree": {"label": "Most followed", "descr": "The k nodes whose posts reach the most others (out-degree)."},
    "betweenness": {
        "label": "Bridges (betweenness)",
        "descr": "The k nodes on the most shortest flow paths; estimated from "
                 f"{BETWEENNESS_SAMPLES} sampled sources on graphs over {BETWEENNESS_EXACT_MAX} nodes.",
    },
    "score": {
        "label": "Top scores",
        "descr": "The k nodes with the highest caller-given score (e.g. lifetime value or sentiment); "
                 "nodes without a score are never chosen.",
    },
}


def _top_k(values: np.ndarray, k: int) -> np.ndarray:
    # Ties go to the lower node index, so the choice is deterministic.
    order = np.lexsort((np.arange(len(values)), -values))
    return order[:k].astype(np.int64)


def betweenness(graph: Graph, rng: np.random.Generator | None = None, samples: int | None = None) -> np.ndarray:
    """Betweenness centrality along the flow direction (networkx Brandes).

    Exact up to ``BETWEENNESS_EXACT_MAX`` nodes; above, networkx's estimate from ``samples`` (default
    ``BETWEENNESS_SAMPLES``) random source nodes, which ranks the big bridges well but is noisy for the
    rest. Cost is about samples x edges in pure Python: seconds on 100k edges.
    """
    import networkx as nx

    G = graph.to_networkx()
    if samples is None:
        samples = None if graph.n <= BETWEENNESS_EXACT_MAX else BETWEENNESS_SAMPLES
    if samples is not None and samples >= graph.n:
        samples = None
    seed = None if rng is None else int(rng.integers(2**31 - 1))
    bc = nx.betweenness_centrality(G, k=samples, seed=seed if samples else None, normalized=True)
    out = np.zeros(graph.n)
    out[list(bc)] = list(bc.values())
    return out


def choose_seeds(graph: Graph, k: int, strategy: str, rng: np.random.Generator | None = None,
                 scores=None) -> np.ndarray:
    """Indices of ``k`` seed nodes chosen by ``strategy`` (a key of ``STRATEGIES``).

    ``random`` needs ``rng``. ``score`` needs ``scores``: one number per node (NaN = unknown, never
    chosen); when fewer than ``k`` nodes have a score, all of them are returned. ``k`` larger than the
    graph is capped at ``n``.
    """
    k = int(k)
    if k < 0:
        raise ValueError(f"number of seeds must be >= 0, got {k}")
    k = min(k, graph.n)
    if strategy == "random":
        if rng is None:
            raise ValueError("the random strategy needs rng (a numpy Generator)")
        return np.sort(rng.choice(graph.n, size=k, replace=False)).astype(np.int64)
    if strategy == "degree":
        return _top_k(graph.out_degree.astype(np.float64), k)
    if strategy == "betweenness":
        return _top_k(betweenness(graph, rng), k)
    if strategy == "score":
        if scores is None:
            raise ValueError("the score strategy needs scores (one per node)")
        s = np.asarray(scores, dtype=np.float64)
        if s.shape != (graph.n,):
            raise ValueError(f"scores must have one value per node ({graph.n}), got shape {s.shape}")
        valid = np.flatnonzero(~np.isnan(s))
        return valid[_top_k(s[valid], min(k, len(valid)))]
    raise ValueError(f"unknown seeding strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")

