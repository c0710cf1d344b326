"""Honest small-sample statistics: Wilson intervals, two-proportion tests, multiplicity corrections, rank correlation.

Every function is vectorised where that makes sense (arrays in, arrays out; plain
floats back when every input is a scalar) and returns NaN rather than a made-up
number when the data cannot support an answer (n = 0, fewer than three pairs, ...).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import NamedTuple

import numpy as np
from scipy import special, stats

ALTERNATIVES = ("two-sided", "greater", "less")
# Fixed so that the same data always gives the same permutation p-value on the page.
DEFAULT_SEED = 20101001
DEFAULT_PERMUTATIONS = 100_000
# Exact enumeration of all n! orderings is cheap up to 9! = 362,880 rows.
SPEARMAN_EXACT_MAX_N = 9
# Python-int Mahonian counts stay fast well beyond this; larger n uses the normal limit.
KENDALL_EXACT_MAX_N = 60


def _z_for(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(special.ndtri(0.5 + confidence / 2.0))


def _scalar_or_array(values: np.ndarray, scalar: bool):
    return float(values) if scalar else values


# -- proportions ----------------------------------------------------------------

def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion, vectorised.

    ``successes`` may be fractional (a published share times its n). Returns
    ``(low, high)``; both are NaN where n <= 0 or an input is NaN. Floats when
    both inputs are scalars, else arrays broadcast from the inputs.
    """
    scalar = np.ndim(successes) == 0 and np.ndim(n) == 0
    x = np.asarray(successes, dtype=float)
    nn = np.asarray(n, dtype=float)
    x, nn = np.broadcast_arrays(x, nn)
    z = _z_for(confidence)
    ok = (nn > 0) & np.isfinite(x) & np.isfinite(nn)
    # Tolerance for share × n rounding; anything else outside [0, n] is a data error, not a proportion.
    if np.any(ok & ((x < -1e-9) | (x > nn * (1 + 1e-9) + 1e-9))):
        raise ValueError("successes must lie between 0 and n")
    x = np.clip(x, 0.0, np.where(ok, nn, 0.0))
    safe_n = np.where(ok, nn, 1.0)
    p = np.where(ok, x / safe_n, 0.0)
    z2 = z * z
    denom = 1.0 + z2 / safe_n
    centre = (p + z2 / (2.0 * safe_n)) / denom
    half = z * np.sqrt(np.clip(p * (1.0 - p), 0.0, None) / safe_n + z2 / (4.0 * safe_n * safe_n)) / denom
    low = np.where(ok, np.clip(centre - half, 0.0, 1.0), np.nan)
    high = np.where(ok, np.clip(centre + half, 0.0, 1.0), np.nan)
    return _scalar_or_array(low, scalar), _scalar_or_array(high, scalar)


class TwoProportionTest(NamedTuple):
    """Result of ``two_proportion_z``; each field is a float or an array."""

    z: object
    p_value: object
    diff: object  # p1 - p2
    ci_low: object  # Newcombe hybrid score interval for p1 - p2
    ci_high: object


def two_proportion_z(x1, n1, x2, n2, confidence: float = 0.95) -> TwoProportionTest:
    """Pooled two-proportion z test (two-sided) and an unpooled interval for the difference, vectorised.

    Test: z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)) with the pooled p = (x1 + x2) / (n1 + n2);
    two-sided p = 2 * (1 - Phi(|z|)). When both samples are all-0 or all-1 the difference is 0 and
    z = 0, p = 1.

    Interval: Newcombe's hybrid score interval (Newcombe 1998, method 10) for p1 - p2, built from
    the two Wilson intervals (l1, u1), (l2, u2)::

        low  = d - sqrt((p1 - l1)^2 + (u2 - p2)^2)
        high = d + sqrt((u1 - p1)^2 + (p2 - l2)^2)

    It keeps its coverage for small n and for shares near 0 or 1, where the Wald interval fails.
    Everything is NaN where n1 or n2 is 0. Assumes two independent samples.
    """
    scalar = all(np.ndim(v) == 0 for v in (x1, n1, x2, n2))
    a1, m1, a2, m2 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, n1, x2, n2)))
    ok = (m1 > 0) & (m2 > 0) & np.isfinite(a1) & np.isfinite(a2) & np.isfinite(m1) & np.isfinite(m2)
    # Rows that cannot be tested get a harmless stand-in (0 of 1) so that a known side next to an
    # unknown one (x of n against NaN) never reaches the Wilson check as "x successes out of 1".
    s1, s2 = np.where(ok, m1, 1.0), np.where(ok, m2, 1.0)
    a1, a2 = np.where(ok, a1, 0.0), np.where(ok, a2, 0.0)
    p1, p2 = a1 / s1, a2 / s2
    diff = p1 - p2
    pooled = (a1 + a2) / (s1 + s2)
    se = np.sqrt(np.clip(pooled * (1.0 - pooled), 0.0, None) * (1.0 / s1 + 1.0 / s2))
    degenerate = se <= 0
    z = np.where(degenerate, 0.0, diff / np.where(degenerate, 1.0, se))
    p = np.where(degenerate, 1.0, 2.0 * special.ndtr(-np.abs(z)))
    l1, u1 = wilson_interval(a1, s1, confidence)
    l2, u2 = wilson_interval(a2, s2, confidence)
    low = diff - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = diff + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    fields = [np.where(ok, v, np.nan) for v in (z, p, diff, low, high)]
    return TwoProportionTest(*(_scalar_or_array(v, scalar) for v in fields))


# -- multiplicity ----------------------------------------------------------------

def _prepare_pvalues(pvalues) -> tuple[np.ndarray, np.ndarray, bool]:
    scalar = np.ndim(pvalues) == 0
    p = np.atleast_1d(np.asarray(pvalues, dtype=float)).ravel()
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    return p, np.isfinite(p), scalar


def _adjusted(pvalues, step):
    """Adjusted p-values: ``step(ascending p-values, m)`` gives them in ascending order, capped at 1.

    NaN entries are left NaN and do not count towards the number of tests m.
    """
    p, ok, scalar = _prepare_pvalues(pvalues)
    out = np.full(p.shape, np.nan)
    vals = p[ok]
    m = vals.size
    if m:
        order = np.argsort(vals, kind="mergesort")
        adj = np.empty(m)
        adj[order] = np.minimum(step(vals[order], m), 1.0)
        out[ok] = adj
    return float(out[0]) if scalar else out


def holm(pvalues):
    """Holm step-down adjusted p-values (family-wise error), vectorised.

    adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)) over the ascending p-values.
    """
    return _adjusted(pvalues, lambda asc, m: np.maximum.accumulate((m - np.arange(m)) * asc))


def benjamini_hochberg(pvalues):
    """Benjamini-Hochberg step-up adjusted p-values (false discovery rate), vectorised.

    adj_(i) = min_{j >= i} min(1, m p_(j) / j) over the ascending p-values.
    """
    return _adjusted(pvalues, lambda asc, m: np.minimum.accumulate((asc * m / np.arange(1, m + 1))[::-1])[::-1])


# -- rank correlation ----------------------------------------------------------------

def _clean_pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    a = np.asarray(x, dtype=float).ravel()
    b = np.asarray(y, dtype=float).ravel()
    if a.shape != b.shape:
        raise ValueError(f"x and y differ in length: {a.size} and {b.size}")
    keep = np.isfinite(a) & np.isfinite(b)
    return a[keep], b[keep]


def _check_alternative(alternative: str) -> None:
    if alternative not in ALTERNATIVES:
        raise ValueError(f"alternative must be one of {ALTERNATIVES}, got {alternative!r}")


def _as_generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(DEFAULT_SEED if rng is None else rng)


@lru_cache(maxsize=8)
def _all_permutations(n: int) -> np.ndarray:
    return np.array(list(itertools.permutations(range(n))), dtype=np.int8)


def _tail_p(null: np.ndarray, observed: float, alternative: str, plus_one: bool) -> float:
    # A small tolerance so that floating-point noise does not drop the observed value from its own tail.
    tol = 1e-12 * max(1.0, abs(observed))
    if alternative == "greater":
        hits = np.count_nonzero(null >= observed - tol)
    elif alternative == "less":
        hits = np.count_nonzero(null <= observed + tol)
    else:
        hits = np.count_nonzero(np.abs(null) >= abs(observed) - tol)
    if plus_one:
        # Phipson & Smyth (2010): a sampled permutation p-value is never 0.
        return (hits + 1.0) / (null.size + 1.0)
    return hits / null.size


def spearman(x, y, alternative: str = "two-sided", rng: np.random.Generator | int | None = None,
             n_permutations: int = DEFAULT_PERMUTATIONS) -> tuple[float, float, str]:
    """Spearman's rho with a p-value from the permutation distribution of the ranks.

    Returns ``(rho, p, method)``. n <= 9: exact enumeration of all n! orderings
    (``method`` says "exact (all n! permutations)"); n > 9: a seeded Monte Carlo
    permutation test with ``n_permutations`` draws from ``rng`` (a Generator, a seed,
    or None for the fixed DEFAULT_SEED), p = (hits + 1) / (draws + 1). Ties get
    average ranks (rho is then Pearson's r of the ranks). Pairs with NaN are dropped.
    Fewer than 3 pairs or a constant input gives NaN.
    """
    _check_alternative(alternative)
    a, b = _clean_pairs(x, y)
    n = a.size
    if n < 3:
        return math.nan, math.nan, "not computed (fewer than 3 pairs)"
    ra, rb = stats.rankdata(a), stats.rankdata(b)
    za, zb = ra - ra.mean(), rb - rb.mean()
    scale = math.sqrt(float(za @ za) * float(zb @ zb))
    if scale == 0:
        return math.nan, math.nan, "not computed (no variation in one variable)"
    rho = float(za @ zb) / scale
    if n <= SPEARMAN_EXACT_MAX_N:
        perms = _all_permutations(n)
        null = zb[perms] @ za / scale
        p = _tail_p(null, rho, alternative, plus_one=False)
        method = f"exact (all {math.factorial(n):,} permutations)"
    else:
        gen = _as_generator(rng)
        chunks = []
        batch = 20_000
        for start in range(0, n_permutations, batch):
            size = min(batch, n_permutations - start)
            shuffled = gen.permuted(np.broadcast_to(zb, (size, n)), axis=1)
            chunks.append(shuffled @ za / scale)
        null = np.concatenate(chunks) if chunks else np.empty(0)
        p = _tail_p(null, rho, alternative, plus_one=True)
        method = f"permutation test ({n_permutations:,} seeded random permutations)"
    return rho, float(min(1.0, p)), method


@lru_cache(maxsize=64)
def _mahonian(n: int) -> tuple[int, ...]:
    """Number of permutations of n items with k inversions, k = 0 .. n(n-1)/2 (exact integers)."""
    counts = [1]
    for m in range(2, n + 1):
        # Inserting the m-th item adds 0 .. m-1 inversions: a sliding-window sum of width m.
        size = len(counts) + m - 1
        prefix = [0] * (len(counts) + 1)
        for i, c in enumerate(counts):
            prefix[i + 1] = prefix[i] + c
        new = [0] * size
        for k in range(size):
            hi = min(k, len(counts) - 1)
            lo = max(0, k - m + 1)
            new[k] = prefix[hi + 1] - prefix[lo] if hi >= lo else 0
        counts = new
    return tuple(counts)


def kendall_exact_pvalue(n: int, discordant: int, alternative: str = "two-sided") -> float:
    """Exact p-value of Kendall's tau with no ties, from the Mahonian numbers.

    Under independence every ordering is equally likely, so the number of discordant
    pairs D is distributed as the number of inversions of a random permutation of n.
    'greater' (positive association) is P(D <= d); 'less' is P(D >= d); two-sided is
    2 * P(D <= min(d, T - d)) capped at 1, T = n(n-1)/2 (the distribution is symmetric).
    """
    _check_alternative(alternative)
    total = n * (n - 1) // 2
    if not 0 <= discordant <= total:
        raise ValueError(f"discordant pairs must be between 0 and {total}, got {discordant}")
    counts = _mahonian(n)
    denom = math.factorial(n)
    if alternative == "greater":
        num = sum(counts[: discordant + 1])
    elif alternative == "less":
        num = sum(counts[discordant:])
    else:
        num = 2 * sum(counts[: min(discordant, total - discordant) + 1])
    return min(1.0, num / denom)


def kendall(x, y, alternative: str = "two-sided") -> tuple[float, float, str]:
    """Kendall's tau-b with its p-value; returns ``(tau, p, method)``.

    No ties and n <= 60: exact null distribution via the Mahonian-number recursion.
    Otherwise the normal approximation with the tie-corrected variance (Kendall 1970),
    as scipy does; ``method`` says which. Pairs with NaN are dropped.
    """
    _check_alternative(alternative)
    a, b = _clean_pairs(x, y)
    n = a.size
    if n < 3:
        return math.nan, math.nan, "not computed (fewer than 3 pairs)"
    i, j = np.triu_indices(n, k=1)
    sa, sb = np.sign(a[i] - a[j]), np.sign(b[i] - b[j])
    prod = sa * sb
    concordant = int(np.count_nonzero(prod > 0))
    discordant = int(np.count_nonzero(prod < 0))
    pairs = n * (n - 1) // 2
    tied_a = int(np.count_nonzero(sa == 0))
    tied_b = int(np.count_nonzero(sb == 0))
    denom = math.sqrt((pairs - tied_a) * (pairs - tied_b))
    if denom == 0:
        return math.nan, math.nan, "not computed (no variation in one variable)"
    tau = (concordant - discordant) / denom
    if tied_a == 0 and tied_b == 0 and n <= KENDALL_EXACT_MAX_N:
        return tau, kendall_exact_pvalue(n, discordant, alternative), "exact (Mahonian-number null distribution)"
    # Tie-corrected variance of S = C - D (Kendall, Rank Correlation Methods, 1970, eq. 4.3).
    _, ca = np.unique(a, return_counts=True)
    _, cb = np.unique(b, return_counts=True)
    v0 = n * (n - 1) * (2 * n + 5)
    va = float(np.sum(ca * (ca - 1) * (2 * ca + 5)))
    vb = float(np.sum(cb * (cb - 1) * (2 * cb + 5)))
    v1 = float(np.sum(ca * (ca - 1))) * float(np.sum(cb * (cb - 1))) / (2 * n * (n - 1))
    v2 = float(np.sum(ca * (ca - 1) * (ca - 2))) * float(np.sum(cb * (cb - 1) * (cb - 2))) / (9 * n * (n - 1) * (n - 2))
    var_s = (v0 - va - vb) / 18.0 + v1 + v2
    z = (concordant - discordant) / math.sqrt(var_s)
    if alternative == "greater":
        p = float(special.ndtr(-z))
    elif alternative == "less":
        p = float(special.ndtr(z))
    else:
        p = float(2.0 * special.ndtr(-abs(z)))
    why = "ties present" if (tied_a or tied_b) else f"n > {KENDALL_EXACT_MAX_N}"
    return tau, min(1.0, p), f"normal approximation with tie correction ({why})"


@dataclass(frozen=True)
class RankCorrelation:
    """Spearman's rho and Kendall's tau for the same pairs, each with its p-value and how it was obtained."""

    n: int
    spearman_rho: float
    spearman_p: float
    spearman_method: str
    kendall_tau: float
    kendall_p: float
    kendall_method: str
    alternative: str

    def as_dict(self) -> dict:
        return asdict(self)


def rank_correlation(x, y, alternative: str = "two-sided", rng: np.random.Generator | int | None = None,
                     n_permutations: int = DEFAULT_PERMUTATIONS) -> RankCorrelation:
    """Spearman (exact for n <= 9, seeded permutations otherwise) and Kendall (exact Mahonian) together."""
    a, b = _clean_pairs(x, y)
    rho, p_rho, m_rho = spearman(a, b, alternative=alternative, rng=rng, n_permutations=n_permutations)
    tau, p_tau, m_tau = kendall(a, b, alternative=alternative)
    return RankCorrelation(n=int(a.size), spearman_rho=rho, spearman_p=p_rho, spearman_method=m_rho,
                           kendall_tau=tau, kendall_p=p_tau, kendall_method=m_tau, alternative=alternative)
