"""Cascade models (independent cascade, Watts/Granovetter thresholds, standing ovation) run many times at once.

Models are declared as data in ``MODELS`` (ndlib shape) so a page can build its controls from them; the
simulation itself never plots. Every run function takes a ``numpy.random.Generator`` (same generator
state and arguments -> identical results) and returns a ``SimResult``.

How runs are vectorised: a batch of B runs shares one flat boolean state of B x n entries (key
``run << shift | node``). Each step only touches the frontier (the (run, node) pairs that changed last
step), expanding their out-edges through the CSR arrays with numpy, so the cost follows the size of the
cascades, not n x runs x steps (threshold rounds with a large frontier switch to one sparse x dense
product instead). Runs are processed in batches to bound memory (``_BATCH_CELLS`` state cells), each
batch with its own child generator; results depend on the batch size (derived from n and runs unless
given) but not on the number of worker threads.

Graph direction: see ``analysis.graphs`` — ``A[i, j] = 1`` means j sees i's posts.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy import stats

from analysis.graphs import Graph, erdos_renyi, sorted_unique

Progress = Callable[[str, int, int], None]

# State cells (runs x padded nodes) per batch: 4 MB of booleans (plus 16-bit counters for thresholds).
# Measured on the 100k-node benchmark: a state that stays cache-sized beats fewer, bigger batches.
_BATCH_CELLS = 1 << 22
_MAX_BATCH = 1024
# A threshold round switches to a whole-graph sparse x dense product once the frontier touches more
# than 1/_DENSE_ROUND of the batch's edges (measured: ~0.4 ns per edge x run there, ~25 ns per touched
# edge when expanding the frontier).
_DENSE_ROUND = 64
# A need this large is never met: nodes that see nobody cannot be persuaded.
_NEVER = np.iinfo(np.int32).max

MODELS: dict[str, dict] = {
    "ic": {
        "label": "Independent cascade",
        "descr": "Each newly convinced customer gets one chance to convince each follower, succeeding "
                 "with probability p.",
        "params": {
            "p": {"descr": "Probability a post convinces a given follower", "type": "float",
                  "range": [0, 1], "default": 0.05},
        },
    },
    "threshold": {
        "label": "Threshold (Watts / Granovetter)",
        "descr": "A customer adopts once the share of the accounts it follows that have adopted reaches "
                 "its threshold; adoption is never undone.",
        "params": {
            "phi": {"descr": "Threshold: share of followed accounts that must have adopted", "type": "float",
                    "range": [0, 1], "default": 0.18},
            "phi_sd": {"descr": "Spread of thresholds across customers (0 = everyone has phi); drawn "
                                "Normal(phi, phi_sd), clipped to [0, 1], anew each run",
                       "type": "float", "range": [0, 0.5], "default": 0.0},
        },
    },
    "ovation": {
        "label": "Standing ovation (Miller & Page)",
        "descr": "Everyone judges the show from a noisy private signal; then customers who see enough of "
                 "the accounts they follow standing stand up too.",
        "params": {
            "quality": {"descr": "True quality of the show (q)", "type": "float", "range": [0, 1],
                        "default": 0.5},
            "noise_sd": {"descr": "Noise in each private signal (sd)", "type": "float", "range": [0, 1],
                         "default": 0.2},
            "stand_threshold": {"descr": "Stand at first if the signal exceeds this (T)", "type": "float",
                                "range": [0, 1], "default": 0.6},
            "x": {"descr": "Stand when at least this share of those one sees stand (X)", "type": "float",
                  "range": [0, 1], "default": 0.5},
            "visibility": {"descr": "Whom a customer sees: everyone it follows, or only those in front "
                                    "(followed accounts with more followers than itself)",
                           "type": "choice", "options": ["follows", "front"], "default": "follows"},
            "allow_sit": {"descr": "Also sit down when fewer than X of those one sees stand "
                                   "(not monotone; runs at most max_steps rounds)",
                          "type": "bool", "default": False},
        },
    },
}


@dataclass
class SimResult:
    """Outcome of many runs of one model on one graph.

    ``runs[r]``: final adopted fraction of run r, seeds included. ``curves[r, t]``: fraction adopted after
    step t (t = 0 is the initial state: seeds, plus first-impression standers in the ovation model),
    padded with the final value after the run settled. ``steps[r]``: steps in which run r changed.
    """

    model: str
    params: dict
    runs: np.ndarray
    curves: np.ndarray
    steps: np.ndarray
    n_nodes: int
    seeds: np.ndarray
    elapsed_s: float
    extra: dict = field(default_factory=dict)

    @property
    def mean(self) -> float:
        return float(np.mean(self.runs)) if len(self.runs) else math.nan

    @property
    def std(self) -> float:
        return float(np.std(self.runs, ddof=1)) if len(self.runs) > 1 else math.nan

    @property
    def ci95(self) -> tuple[float, float]:
        """95% confidence interval of the mean final fraction: mean ± t(0.975, R-1) · sd / √R.

        Student-t on the run means (central limit theorem); adequate from a few dozen runs even when the
        final sizes are bimodal (small fizzles vs global cascades). NaN with fewer than two runs.
        """
        r = len(self.runs)
        if r < 2:
            return (math.nan, math.nan)
        half = float(stats.t.ppf(0.975, r - 1)) * self.std / math.sqrt(r)
        return (self.mean - half, self.mean + half)

    def p_global(self, threshold: float = 0.5) -> float:
        """Share of runs whose final fraction is above ``threshold`` (a global cascade)."""
        return float(np.mean(self.runs > threshold)) if len(self.runs) else math.nan

    def p_global_ci95(self, threshold: float = 0.5) -> tuple[float, float]:
        """Wilson 95% interval for ``p_global``."""
        r = len(self.runs)
        if r == 0:
            return (math.nan, math.nan)
        phat, z = self.p_global(threshold), 1.959963984540054
        centre = (phat + z * z / (2 * r)) / (1 + z * z / r)
        half = z * math.sqrt(phat * (1 - phat) / r + z * z / (4 * r * r)) / (1 + z * z / r)
        # Rounding leaves ~1e-17 where the bound is exactly 0 or 1.
        return (0.0 if phat == 0 else max(0.0, centre - half), 1.0 if phat == 1 else min(1.0, centre + half))

    def distribution(self) -> np.ndarray:
        """Final fractions sorted ascending: ready for a histogram or an empirical CDF."""
        return np.sort(self.runs)

    def histogram(self, bins: int = 20) -> tuple[np.ndarray, np.ndarray]:
        """(counts, bin edges) of the final fractions over [0, 1]."""
        return np.histogram(self.runs, bins=bins, range=(0.0, 1.0))

    def mean_curve(self) -> np.ndarray:
        """Mean adopted fraction at each step."""
        return self.curves.mean(axis=0)

    def curve_quantiles(self, q=(0.05, 0.5, 0.95)) -> np.ndarray:
        """Quantiles of the adopted fraction at each step, shape (len(q), steps)."""
        return np.quantile(self.curves, q, axis=0)

    def to_dict(self, threshold: float = 0.5) -> dict:
        """Plain-JSON summary (no numpy types; NaN becomes None)."""
        def num(x):
            return None if x is None or (isinstance(x, float) and math.isnan(x)) else float(x)

        return {
            "model": self.model,
            "params": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in self.params.items()},
            "n_nodes": int(self.n_nodes),
            "n_seeds": int(self.seeds.shape[-1]) if self.seeds.size else 0,
            "runs": [float(x) for x in self.runs],
            "mean": num(self.mean),
            "ci95": [num(x) for x in self.ci95],
            "global_threshold": float(threshold),
            "p_global": num(self.p_global(threshold)),
            "mean_curve": [float(x) for x in self.mean_curve()],
            "elapsed_s": float(self.elapsed_s),
        }


# --- shared machinery ----------------------------------------------------------------------------------


def _as_rng(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or isinstance(rng, (int, np.integer)):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator or an int seed, got {type(rng).__name__}")


def _check_seeds(seeds, n: int, runs: int) -> np.ndarray:
    """Seeds as int64, either one set for every run (k,) or one set per run (runs, k)."""
    s = np.asarray(seeds if seeds is not None else [], dtype=np.int64)
    if s.ndim not in (1, 2) or (s.ndim == 2 and s.shape[0] != runs):
        raise ValueError(f"seeds must be a list of node indices or one row per run ({runs}), got shape {s.shape}")
    if s.size and (s.min() < 0 or s.max() >= n):
        raise ValueError(f"seed node index out of range 0..{n - 1}")
    return s


@dataclass(frozen=True)
class _Layout:
    """Flat state keys of a batch: ``key = (run_in_batch << shift) | node``.

    A power-of-two stride turns "which run / which node" into a shift and a mask instead of an integer
    division, and int32 keys (when they fit) halve the memory traffic of sorting and gathering.
    """

    n: int
    b: int

    @property
    def shift(self) -> int:
        return max(0, (self.n - 1).bit_length())

    @property
    def mask(self) -> int:
        return (1 << self.shift) - 1

    @property
    def cells(self) -> int:
        return self.b << self.shift

    @property
    def dtype(self):
        return np.int32 if self.cells < 2**31 else np.int64

    def run_of(self, keys: np.ndarray) -> np.ndarray:
        return keys >> self.shift

    def node_of(self, keys: np.ndarray) -> np.ndarray:
        return keys & self.mask

    def new_per_run(self, keys: np.ndarray) -> np.ndarray:
        """Keys per run, for sorted keys (b binary searches instead of a pass over the keys)."""
        return np.diff(np.searchsorted(keys, np.arange(self.b + 1, dtype=np.int64) << self.shift))

    def seed_keys(self, seeds: np.ndarray, start: int) -> np.ndarray:
        """Sorted distinct keys of the seeds of runs start..start+b-1."""
        if seeds.size == 0:
            return np.empty(0, dtype=self.dtype)
        rows = seeds if seeds.ndim == 1 else seeds[start:start + self.b]
        runs = np.arange(self.b, dtype=np.int64)[:, None] << self.shift
        return sorted_unique((runs | rows).ravel().astype(self.dtype))

    def all_runs(self, nodes: np.ndarray) -> np.ndarray:
        """Keys of the given nodes in every run of the batch, sorted."""
        runs = np.arange(self.b, dtype=np.int64)[:, None] << self.shift
        return (runs | np.asarray(nodes, dtype=np.int64)[None, :]).ravel().astype(self.dtype)

    def dense(self, keys: np.ndarray) -> np.ndarray:
        """(b, n) boolean matrix from keys."""
        out = np.zeros((self.b, self.n), dtype=bool)
        out[self.run_of(keys), self.node_of(keys)] = True
        return out


def _batches(n: int, runs: int, batch_size: int | None) -> list[tuple[int, int]]:
    """Split runs into near-equal batches of at most ``batch_size`` runs (default: bounded by memory)."""
    if batch_size is None:
        batch_size = max(1, min(_MAX_BATCH, _BATCH_CELLS >> _Layout(n, 1).shift))
    count = -(-runs // max(1, int(batch_size)))
    size = -(-runs // count)
    return [(start, min(runs, start + size)) for start in range(0, runs, size)]


def _bernoulli_positions(total: int, p: float, rng: np.random.Generator) -> np.ndarray:
    """Indices in [0, total) of successes among ``total`` Bernoulli(p) trials, in increasing order.

    For small p the gaps between successes are drawn instead of one uniform per trial, so the cost follows
    the p·total successes. A gap is ``floor(E / -log(1 - p)) + 1`` with E ~ Exp(1), which is exactly
    Geometric(p) and about a third cheaper than ``rng.geometric``.
    """
    if total <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(total, dtype=np.int64)
    if p > 0.25:
        return np.flatnonzero(rng.random(total) < p)
    scale = -1.0 / math.log1p(-p)
    expect = total * p

    def gaps(k: int) -> np.ndarray:
        e = rng.standard_exponential(k)
        e *= scale
        g = e.astype(np.int64)
        g += 1
        return np.cumsum(g)

    pos = gaps(int(expect + 4.0 * math.sqrt(expect) + 8))
    while pos[-1] <= total:
        pos = np.concatenate([pos, pos[-1] + gaps(int(0.25 * expect + 4.0 * math.sqrt(expect) + 8))])
    pos -= 1
    return pos[:np.searchsorted(pos, total)]


def _curves(step_counts: list[np.ndarray], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-step new adopters (list of (b,) arrays) -> cumulative fraction curves (b, T) and steps per run."""
    counts = np.stack(step_counts, axis=1)
    return np.cumsum(counts, axis=1) / max(n, 1), _last_change(counts[:, 1:] != 0)


def _last_change(changed: np.ndarray) -> np.ndarray:
    """Per row, 1 + index of the last True (0 if none): the number of steps until the run settled."""
    if changed.shape[1] == 0:
        return np.zeros(changed.shape[0], dtype=np.int64)
    return np.where(changed.any(axis=1), changed.shape[1] - np.argmax(changed[:, ::-1], axis=1), 0)


def _stack_curves(parts: list[np.ndarray]) -> np.ndarray:
    width = max(c.shape[1] for c in parts)
    return np.concatenate([np.pad(c, ((0, 0), (0, width - c.shape[1])), mode="edge") for c in parts])


def _run_batches(graph: Graph, runs: int, rng: np.random.Generator, batch_size: int | None, workers: int,
                 progress: Progress | None, stage: str, one_batch):
    """Call ``one_batch(layout, start, rng)`` for each batch of runs; collect curves and steps.

    Each batch gets its own child generator (``rng.spawn``), so results do not depend on ``workers``:
    with ``workers > 1`` batches run in threads (numpy releases the GIL in its array loops).
    """
    runs = int(runs)
    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    spans = _batches(graph.n, runs, batch_size)
    children = rng.spawn(len(spans))
    jobs = [(_Layout(graph.n, stop - start), start, child) for (start, stop), child in zip(spans, children)]
    curves, steps = [], []

    def collect(results):
        for (layout, start, _), (c, s) in zip(jobs, results):
            curves.append(c)
            steps.append(s)
            if progress is not None:
                progress(stage, start + layout.b, runs)

    if workers > 1 and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=int(workers)) as pool:
            collect(pool.map(lambda job: one_batch(*job), jobs))
    else:
        collect(one_batch(*job) for job in jobs)
    return _stack_curves(curves), np.concatenate(steps)


class _Flow:
    """A flow matrix prepared once per model call for ``_progressive`` (CSR arrays, transpose, counter type)."""

    def __init__(self, flow: sp.csr_matrix):
        self.n = flow.shape[0]
        self.nnz = int(flow.nnz)
        self.indptr = flow.indptr.astype(np.int64)
        self.indices = flow.indices
        self.deg = np.diff(self.indptr)
        # Counters never exceed the largest in-degree: 16 bits usually suffice and halve memory traffic.
        max_in = int(np.bincount(flow.indices, minlength=self.n).max(initial=0))
        self.counter = np.uint16 if max_in < 2**16 - 1 else np.int32
        self.flow_t = flow.T.tocsr().astype(self.counter)


def _progressive(layout: _Layout, flow: _Flow, initial: np.ndarray, need: np.ndarray,
                 max_steps: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Monotone threshold dynamics on one batch of runs, in synchronous rounds until nothing changes.

    ``flow``: j counts i when flow[i, j] = 1. ``initial``: sorted keys active at step 0. ``need``: adopted
    in-neighbours required, per node (n,) or per run and node (b, n). A node whose need is <= 0 adopts in
    step 1 even with no adopted neighbour.

    Each round adds the new adopters' out-edges to the counters in one of two ways: a small frontier
    expands its edges one by one (cost per edge touched); a large one is a sparse x dense product over
    the whole graph (cost per edge x run, but ~50x cheaper per edge, so it wins once the frontier
    touches more than 1/``_DENSE_ROUND`` of all edges of the batch).
    """
    n, b, shift, width = layout.n, layout.b, layout.shift, 1 << layout.shift
    indices = flow.indices.astype(layout.dtype, copy=False)
    per_run = need.ndim == 2
    need2d = np.full((b if per_run else 1, width), _NEVER, dtype=np.int64)
    need2d[:, :n] = need
    need_flat = need2d.ravel()
    active = np.zeros(layout.cells, dtype=bool)
    seen = np.zeros(layout.cells, dtype=flow.counter)
    active2d, seen2d = active.reshape(b, width)[:, :n], seen.reshape(b, width)[:, :n]
    active[initial] = True
    counts = [layout.new_per_run(initial)]
    new = initial
    step = 0
    while max_steps is None or step < max_steps:
        v = layout.node_of(new)
        d = flow.deg[v]
        touched = int(d.sum())
        if touched * _DENSE_ROUND > flow.nnz * b:
            fresh = np.zeros((n, b), dtype=flow.counter)
            fresh[v, layout.run_of(new)] = 1
            seen2d += (flow.flow_t @ fresh).T
            runs_, nodes = np.nonzero((seen2d >= need2d[:, :n]) & ~active2d)
            new = ((runs_.astype(np.int64) << shift) | nodes).astype(layout.dtype)
        else:
            pair = np.repeat(np.arange(len(v)), d)
            offset = np.arange(len(pair), dtype=np.int64) - np.repeat(np.cumsum(d) - d, d)
            hit = np.sort((new[pair] & ~layout.mask) | indices[flow.indptr[v][pair] + offset])
            if len(hit):
                first = np.flatnonzero(np.concatenate(([True], hit[1:] != hit[:-1])))
                cand = hit[first]
                seen[cand] += np.diff(np.append(first, len(hit))).astype(seen.dtype)
            else:
                cand = hit
            if step == 0:
                free = np.flatnonzero(need2d.ravel() <= 0) if per_run else np.flatnonzero(need2d[0] <= 0)
                if len(free):
                    cand = sorted_unique(np.concatenate([cand, free if per_run else layout.all_runs(free)]))
            cand = cand[~active[cand]]
            node_need = need_flat[cand] if per_run else need_flat[layout.node_of(cand)]
            new = cand[seen[cand] >= node_need]
        if len(new) == 0:
            break
        active[new] = True
        counts.append(layout.new_per_run(new))
        step += 1
    return _curves(counts, n)


def _need_from_fraction(phi: np.ndarray, seen_by: np.ndarray) -> np.ndarray:
    """Adopted neighbours needed for a fractional threshold: ceil(phi · in-degree).

    Convention: a node that sees nobody needs 0 if its threshold is 0 (thresholds 0 => everyone adopts)
    and can never be persuaded otherwise (it adopts only when seeded).
    """
    need = np.ceil(phi * seen_by - 1e-9)
    need = np.where(seen_by > 0, need, np.where(phi <= 0, 0, _NEVER))
    return np.clip(need, 0, _NEVER).astype(np.int64)


def _result(model, params, graph, seeds, curves, steps, t0, extra=None) -> SimResult:
    return SimResult(model=model, params=params, runs=curves[:, -1].copy(), curves=curves, steps=steps,
                     n_nodes=graph.n, seeds=seeds, elapsed_s=time.perf_counter() - t0, extra=extra or {})


def _check_unit(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be in [0, 1], got {value}")
    return value


# --- models --------------------------------------------------------------------------------------------


def independent_cascade(graph: Graph, seeds, p: float = 0.05, runs: int = 100, rng=None, *,
                        max_steps: int | None = None, batch_size: int | None = None, workers: int = 1,
                        progress: Progress | None = None) -> SimResult:
    """Independent cascade: a node activated at step t tries each out-edge once, at step t+1, with prob. p.

    Per step, the successful trials among the frontier's out-edges are drawn as Bernoulli positions
    (geometric gaps) in the concatenation of the frontier's edge lists, mapped back to their frontier
    node by ``searchsorted``; the not yet active targets, deduplicated, form the next frontier.
    """
    t0 = time.perf_counter()
    rng = _as_rng(rng)
    p = _check_unit("p", p)
    seeds = _check_seeds(seeds, graph.n, int(runs))
    indptr = graph.A.indptr.astype(np.int64)
    deg = np.diff(indptr)
    dense_trials = p >= 0.04

    def one_batch(layout: _Layout, start: int, rng: np.random.Generator):
        indices = graph.A.indices.astype(layout.dtype, copy=False)
        active = np.zeros(layout.cells, dtype=bool)
        new = layout.seed_keys(seeds, start)
        active[new] = True
        counts = [layout.new_per_run(new)]
        run_bits = ~layout.mask
        step = 0
        while len(new) and (max_steps is None or step < max_steps):
            v = layout.node_of(new)
            d = deg[v]
            cum = np.cumsum(d)
            pos = _bernoulli_positions(int(cum[-1]), p, rng)
            if len(pos) == 0:
                break
            # base[k] + position = CSR index of the trial's edge, for frontier entry k
            base = indptr[v] - (cum - d)
            if dense_trials:
                # One owner per trial, then a gather: cheaper than binary searches once successes are
                # more than a few percent of the trials.
                pair = np.repeat(np.arange(len(d), dtype=np.int32), d)[pos]
            else:
                pair = np.searchsorted(cum, pos, side="right")
            hit = (new & run_bits)[pair] | indices[base[pair] + pos]
            new = sorted_unique(hit[~active[hit]])
            if len(new) == 0:
                break
            active[new] = True
            counts.append(layout.new_per_run(new))
            step += 1
        return _curves(counts, layout.n)

    curves, steps = _run_batches(graph, runs, rng, batch_size, workers, progress, "independent cascade", one_batch)
    return _result("ic", {"p": p}, graph, seeds, curves, steps, t0)


def threshold_model(graph: Graph, seeds, phi: float = 0.18, runs: int = 100, rng=None, *, phi_sd: float = 0.0,
                    thresholds=None, threshold_counts=None, max_steps: int | None = None,
                    batch_size: int | None = None, workers: int = 1, progress: Progress | None = None) -> SimResult:
    """Progressive threshold model, iterated (synchronously) to its fixed point.

    A node adopts when (adopted in-neighbours) / (in-neighbours) >= its threshold, in-neighbours being
    the nodes it sees. Thresholds, first given wins:

    * ``threshold_counts``: absolute numbers of adopted in-neighbours per node (Granovetter's riot);
    * ``thresholds``: a fraction per node;
    * ``phi`` with ``phi_sd > 0``: Normal(phi, phi_sd) clipped to [0, 1], drawn anew for each run;
    * ``phi``: the same fraction for every node.

    A threshold of 0 means the node adopts in step 1 unconditionally, even if it sees nobody; a node that
    sees nobody and has a positive threshold adopts only if seeded.
    """
    t0 = time.perf_counter()
    rng = _as_rng(rng)
    n = graph.n
    seeds = _check_seeds(seeds, n, int(runs))
    seen_by = graph.in_degree
    params: dict = {}
    random_need = False
    if threshold_counts is not None:
        tc = np.asarray(threshold_counts, dtype=np.float64)
        if tc.shape != (n,) or np.isnan(tc).any():
            raise ValueError(f"threshold_counts needs one number per node ({n})")
        need = np.clip(np.ceil(tc - 1e-9), 0, _NEVER).astype(np.int64)
        params["threshold_counts"] = tc
    elif thresholds is not None:
        th = np.asarray(thresholds, dtype=np.float64)
        if th.shape != (n,) or np.isnan(th).any():
            raise ValueError(f"thresholds needs one fraction per node ({n})")
        need = _need_from_fraction(np.clip(th, 0.0, 1.0), seen_by)
        params["thresholds"] = th
    else:
        phi = _check_unit("phi", phi)
        phi_sd = float(phi_sd)
        if phi_sd < 0:
            raise ValueError(f"phi_sd must be >= 0, got {phi_sd}")
        params.update(phi=phi, phi_sd=phi_sd)
        random_need = phi_sd > 0
        need = None if random_need else _need_from_fraction(np.full(n, phi), seen_by)

    flow = _Flow(graph.A)

    def one_batch(layout: _Layout, start: int, rng: np.random.Generator):
        if random_need:
            th = np.clip(rng.normal(params["phi"], params["phi_sd"], size=(layout.b, n)), 0.0, 1.0)
            batch_need = _need_from_fraction(th, seen_by[None, :])
        else:
            batch_need = need
        return _progressive(layout, flow, layout.seed_keys(seeds, start), batch_need, max_steps)

    curves, steps = _run_batches(graph, runs, rng, batch_size, workers, progress, "threshold", one_batch)
    return _result("threshold", params, graph, seeds, curves, steps, t0)


def visibility_matrix(graph: Graph, visibility: str = "follows") -> sp.csr_matrix:
    """Flow-shaped matrix V (V[i, j] = 1: j sees i) for the ovation model.

    ``follows``: j sees every node it follows (its in-neighbours), V = A. ``front``: j sees only the
    in-neighbours with strictly more followers than itself ("those in front"), so the most-followed node
    sees nobody, and neighbours with equally many followers do not see each other.
    """
    if visibility == "follows":
        return graph.A
    if visibility == "front":
        A = graph.A.tocoo()
        f = graph.followers
        keep = f[A.row] > f[A.col]
        V = sp.csr_matrix((A.data[keep], (A.row[keep], A.col[keep])), shape=A.shape)
        V.sort_indices()
        return V
    raise ValueError(f"visibility must be 'follows' or 'front', got {visibility!r}")


def ovation(graph: Graph, seeds=None, runs: int = 100, rng=None, *, quality: float = 0.5, noise_sd: float = 0.2,
            stand_threshold=0.6, x: float = 0.5, visibility: str = "follows", allow_sit: bool = False,
            max_steps: int | None = None, batch_size: int | None = None, workers: int = 1,
            progress: Progress | None = None) -> SimResult:
    """Standing ovation after Miller & Page (2004), on the follower graph.

    Step 0: node i gets the signal ``quality + Normal(0, noise_sd)`` and stands if it exceeds its threshold
    T_i (``stand_threshold``: one number or one per node); seeded nodes (claqueurs) stand regardless.
    Then, in synchronous rounds, a seated node that sees at least a share ``x`` of the nodes it sees
    standing stands up (see ``visibility_matrix`` for who sees whom). Nodes that see nobody keep their
    first decision.

    Default (``allow_sit=False``): standing is final, so rounds run to the fixed point. With
    ``allow_sit=True`` every non-seed node that sees somebody re-decides each round (stand iff at least
    ``x`` of those it sees stand), which can oscillate: it stops at a fixed point or after ``max_steps``
    rounds (default 50). That variant costs one sparse product over all edges per round.
    """
    t0 = time.perf_counter()
    rng = _as_rng(rng)
    n = graph.n
    seeds = _check_seeds(seeds, n, int(runs))
    quality = float(quality)
    noise_sd = float(noise_sd)
    if noise_sd < 0:
        raise ValueError(f"noise_sd must be >= 0, got {noise_sd}")
    x = _check_unit("x", x)
    T = np.asarray(stand_threshold, dtype=np.float64)
    if T.ndim and T.shape != (n,):
        raise ValueError(f"stand_threshold must be one number or one per node ({n})")
    V = visibility_matrix(graph, visibility)
    sees = np.bincount(V.indices, minlength=n)
    need = _need_from_fraction(np.full(n, x), sees)
    need[sees == 0] = _NEVER
    flow = _Flow(V)
    rounds = 50 if max_steps is None else int(max_steps)
    params = {"quality": quality, "noise_sd": noise_sd,
              "stand_threshold": float(T) if T.ndim == 0 else T, "x": x, "visibility": visibility,
              "allow_sit": bool(allow_sit)}

    def first_impressions(layout: _Layout, start: int, rng: np.random.Generator) -> np.ndarray:
        signal = quality + noise_sd * rng.standard_normal((layout.b, n)) if noise_sd > 0 else np.full(
            (layout.b, n), quality)
        runs_, nodes = np.nonzero(signal > T)
        stand = ((runs_.astype(np.int64) << layout.shift) | nodes).astype(layout.dtype)
        return sorted_unique(np.concatenate([stand, layout.seed_keys(seeds, start)]))

    def monotone(layout: _Layout, start: int, rng: np.random.Generator):
        return _progressive(layout, flow, first_impressions(layout, start, rng), need, max_steps)

    def sitting(layout: _Layout, start: int, rng: np.random.Generator):
        state = layout.dense(first_impressions(layout, start, rng))
        frozen = layout.dense(layout.seed_keys(seeds, start)) | (sees == 0)[None, :]
        history = [state.sum(axis=1)]
        for _ in range(rounds):
            standing_seen = (flow.flow_t @ state.T.astype(flow.counter)).T
            nxt = np.where(frozen, state, standing_seen >= need[None, :])
            if np.array_equal(nxt, state):
                break
            state = nxt
            history.append(state.sum(axis=1))
        totals = np.stack(history, axis=1)
        return totals / n, _last_change(totals[:, 1:] != totals[:, :-1])

    curves, steps = _run_batches(graph, runs, rng, batch_size, workers, progress, "standing ovation",
                                 sitting if allow_sit else monotone)
    return _result("ovation", params, graph, seeds, curves, steps, t0)


_RUNNERS = {"ic": independent_cascade, "threshold": threshold_model, "ovation": ovation}


def check_params(model: str, params: dict) -> dict:
    """Fill defaults from ``MODELS`` and check ranges/options; raises ValueError naming the parameter."""
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    spec = MODELS[model]["params"]
    out = {}
    for name, p in spec.items():
        value = params.get(name, p["default"])
        if value is None:
            value = p["default"]
        kind = p.get("type")
        if kind == "choice":
            if value not in p["options"]:
                raise ValueError(f"{name} must be one of {', '.join(p['options'])}, got {value!r}")
        elif kind == "bool":
            value = bool(value)
        else:
            lo, hi = p["range"]
            value = float(value)
            if not lo <= value <= hi:
                raise ValueError(f"{name} must be in [{lo}, {hi}], got {value}")
        out[name] = value
    return out


def simulate(graph: Graph, model: str, seeds, runs: int = 100, rng=None, progress: Progress | None = None,
             **params) -> SimResult:
    """Run ``model`` (a key of ``MODELS``) with its declared parameters; extra keywords (e.g. ``max_steps``,
    ``thresholds``, ``threshold_counts``, ``batch_size``, ``workers``) go straight to the model function."""
    declared = {k: v for k, v in params.items() if k in MODELS.get(model, {}).get("params", {})}
    other = {k: v for k, v in params.items() if k not in declared}
    declared = check_params(model, declared)
    return _RUNNERS[model](graph, seeds, runs=runs, rng=rng, progress=progress, **declared, **other)


# --- reference implementation and benchmark -----------------------------------------------------------


def naive_ic(graph: Graph, seeds, p: float, rng: np.random.Generator) -> float:
    """One independent-cascade run, node by node in pure Python (reference for tests and the benchmark).

    Returns the final adopted fraction, seeds included. Uses ``rng.random()`` per edge trial.
    """
    out = graph.adjacency_lists()
    active = [False] * graph.n
    frontier = []
    for s in np.asarray(seeds, dtype=np.int64).tolist():
        if not active[s]:
            active[s] = True
            frontier.append(s)
    total = len(frontier)
    while frontier:
        nxt = []
        for u in frontier:
            for v in out[u]:
                if not active[v] and rng.random() < p:
                    active[v] = True
                    nxt.append(v)
        total += len(nxt)
        frontier = nxt
    return total / graph.n


def bench_ic(n: int = 100_000, m: int = 1_000_000, runs: int = 1000, rng_seed: int = 1, p: float | None = None,
             k_seeds: int = 50, naive_runs: int = 5, workers: int = 2) -> dict:
    """Time ``runs`` vectorised IC runs on a directed Erdős–Rényi graph (n nodes, ~m arcs) against
    ``naive_ic``.

    ``p`` defaults to 1.2 / mean out-degree (branching factor 1.2: the cascades reach about a third of the
    graph, neither fizzling nor covering it). ``k_seeds`` random seeds, the same in every run. The fast
    runs are timed with ``workers`` threads and with one; the naive time per run is the mean over
    ``naive_runs`` runs, with its adjacency lists built beforehand and not timed. Speed-ups compare time
    per run; both sides run on the same graph, seeds and p.
    """
    rng = np.random.default_rng(rng_seed)
    t = time.perf_counter()
    graph = erdos_renyi(n, m / n, rng, directed=True)
    build_s = time.perf_counter() - t
    mean_degree = graph.n_arcs / graph.n
    if p is None:
        p = round(1.2 / mean_degree, 4)
    seeds = np.sort(rng.choice(graph.n, size=k_seeds, replace=False))
    result = independent_cascade(graph, seeds, p, runs=runs, rng=rng_seed, workers=workers)
    single = result if workers == 1 else independent_cascade(graph, seeds, p, runs=runs, rng=rng_seed, workers=1)
    graph.adjacency_lists()
    t = time.perf_counter()
    naive = [naive_ic(graph, seeds, p, rng) for _ in range(naive_runs)]
    naive_s = (time.perf_counter() - t) / naive_runs
    return {
        "n_nodes": graph.n, "n_arcs": graph.n_arcs, "mean_degree": mean_degree, "p": p,
        "branching_factor": p * mean_degree, "seeds": int(k_seeds), "runs": int(runs), "workers": int(workers),
        "graph_build_s": build_s,
        "fast_total_s": result.elapsed_s, "seconds": result.elapsed_s, "fast_per_run_s": result.elapsed_s / runs,
        "fast_total_s_1_worker": single.elapsed_s,
        "naive_runs": int(naive_runs), "naive_per_run_s": naive_s,
        "speedup": naive_s / (result.elapsed_s / runs), "speedup_1_worker": naive_s / (single.elapsed_s / runs),
        "mean_fraction": result.mean, "ci95": list(result.ci95), "naive_mean_fraction": float(np.mean(naive)),
        "same_result_any_workers": bool(np.array_equal(result.runs, single.runs)),
    }
