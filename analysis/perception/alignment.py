"""Content alignment: how well the brand's content mix matches what consumers say they want, and what
re-allocating the mix would do (with its uncertainty)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.perception.lexicon import OTHER


@dataclass(frozen=True)
class Alignment:
    """Alignment of a content mix with consumer interest; see ``alignment_score``."""

    score: float
    tvd: float
    motives: tuple[str, ...]
    coverage: float
    table: pd.DataFrame = field(repr=False)
    reading: str = ""


def _as_series(obj, value_cols: tuple[str, ...]) -> pd.Series:
    if isinstance(obj, pd.Series):
        s = obj
    elif isinstance(obj, pd.DataFrame):
        col = next((c for c in value_cols if c in obj), None)
        if col is None:
            raise ValueError(f"expected one of the columns {value_cols}")
        s = obj.set_index("motive")[col] if "motive" in obj else obj[col]
    else:
        s = pd.Series(dict(obj))
    s = pd.to_numeric(s, errors="coerce").astype(float)
    if (s < 0).any():
        raise ValueError("negative values in a distribution")
    return s.groupby(level=0, sort=False).sum(min_count=1)


def alignment_score(content_mix: pd.Series | pd.DataFrame | Mapping[str, float],
                    consumer_shares: pd.Series | pd.DataFrame | Mapping[str, float],
                    count_other: bool = False) -> Alignment:
    """How closely the brand's content mix matches what consumers say they want, from 0 to 100.

    score = 100 × (1 − TVD), TVD = ½ Σ_m |c_m − w_m| (total variation distance), where c is the
    content mix and w the consumer interest distribution, both normalised to sum to 1 over the
    compared motives. Consumer shares come from a multi-select question, so they are normalised
    (w_m = s_m / Σ s); they say which motives matter relatively, not how much content to make.
    100 means the same proportions, 0 content only where consumers show no interest.

    Compared motives are those with a known consumer share: motives whose share is unknown
    (NaN, e.g. nine of the twelve in the IBM preset) are left out of both sides, never filled.
    With ``count_other`` the unclassified bucket ('other') joins as a motive of zero interest,
    so content that speaks to no motive lowers the score; by default it is left out.
    ``coverage`` is the fraction of all content that falls on the compared motives (plus
    'other' when counted). ``content_mix`` may hold counts or shares (Series by motive, mapping,
    or a frame with motive and messages/share); ``consumer_shares`` likewise (a frame with motive
    and consumer_share, such as ``load_reference()`` or ``group_shares``, works).
    """
    c = _as_series(content_mix, ("messages", "share", "content_share")).fillna(0.0)
    w = _as_series(consumer_shares, ("consumer_share", "share", "interest")).dropna()
    w = w.drop(labels=[OTHER], errors="ignore")
    motives = [m for m in w.index]
    compared = motives + ([OTHER] if count_other else [])
    w_full = w.reindex(compared, fill_value=0.0)
    c_sub = c.reindex(compared, fill_value=0.0)
    c_total, w_total = float(c.sum()), float(w_full.sum())
    coverage = float(c_sub.sum() / c_total) if c_total > 0 else math.nan
    table = pd.DataFrame({"motive": compared})
    if c_sub.sum() <= 0 or w_total <= 0:
        table["content_share"], table["interest_share"], table["difference_points"] = np.nan, np.nan, np.nan
        why = ("no brand content falls on the motives with a known consumer share" if w_total > 0
               else "no consumer share is known or all are zero")
        return Alignment(math.nan, math.nan, tuple(compared), coverage, table, f"No score: {why}.")
    cn = (c_sub / c_sub.sum()).to_numpy()
    wn = (w_full / w_total).to_numpy()
    tvd = float(0.5 * np.abs(cn - wn).sum())
    score = 100.0 * (1.0 - tvd)
    table["content_share"], table["interest_share"] = cn, wn
    table["difference_points"] = 100.0 * (cn - wn)
    over = table.loc[table["difference_points"].idxmax()]
    under = table.loc[table["difference_points"].idxmin()]
    reading = (f"Alignment {score:.0f} of 100 over {len(motives)} motive{'s' if len(motives) != 1 else ''} "
               f"with a known consumer share ({coverage:.0%} of the brand's content falls on them"
               f"{', unclassified content counted' if count_other else ''}). ")
    if tvd > 0.005:
        reading += (f"'{over['motive']}' gets {over['difference_points']:.0f} points more of the mix than consumer "
                    f"interest suggests; the most under-served motive is '{under['motive']}' "
                    f"({under['difference_points']:+.0f} points).")
    else:
        reading += "The content mix matches consumer interest."
    return Alignment(score, tvd, tuple(compared), coverage, table, reading.strip())


def reallocate(content_mix: pd.Series | pd.DataFrame | Mapping[str, float],
               changes: Mapping[str, float]) -> pd.Series:
    """Shift the content mix by ``changes`` ({motive: change in percentage points}) and renormalise.

    The named motives move by their change (never below 0); the motives not named absorb the
    difference in proportion to their current share, so the mix still sums to 1. If the named
    motives alone exceed 100 points they are scaled to 100 and the rest drop to 0. Returns a Series of
    shares indexed by motive (named 'share'), for ``alignment_score``.
    """
    mix = _as_series(content_mix, ("messages", "share", "content_share")).fillna(0.0)
    named = [m for m in changes]
    mix = mix.reindex(list(mix.index) + [m for m in named if m not in mix.index], fill_value=0.0)
    total = float(mix.sum())
    if total <= 0:
        raise ValueError("the content mix is empty")
    base = mix / total
    new = base.copy()
    is_named = new.index.isin(named)
    for m, delta in changes.items():
        new[m] = max(0.0, float(base[m]) + float(delta) / 100.0)
    named_total = float(new[is_named].sum())
    rest = float(base[~is_named].sum())
    if named_total >= 1.0 or rest <= 0:
        new[~is_named] = 0.0
        s = float(new.sum())
        new = new / s if s > 0 else base
    else:
        new[~is_named] = base[~is_named] * (1.0 - named_total) / rest
    return new.rename("share")


ALIGNMENT_DRAWS = 400
ALIGNMENT_SEED = 2010


def _shift_shares(base: np.ndarray, named: np.ndarray, delta: np.ndarray) -> np.ndarray:
    """``reallocate`` on many mixes at once: rows of shares, ``named`` columns moved by ``delta`` (shares)."""
    new = base.copy()
    new[:, named] = np.maximum(0.0, base[:, named] + delta)
    named_total = new[:, named].sum(axis=1)
    rest = np.delete(base, named, axis=1).sum(axis=1)
    others = np.setdiff1d(np.arange(base.shape[1]), named)
    spill = named_total >= 1.0
    scale = np.where(rest > 0, (1.0 - np.minimum(named_total, 1.0)) / np.where(rest > 0, rest, 1.0), 0.0)
    new[:, others] = base[:, others] * scale[:, None]
    new[spill] = new[spill] / new[spill].sum(axis=1, keepdims=True)
    return new


def alignment_whatif(content_mix: pd.DataFrame, shares: pd.DataFrame, changes: Mapping[str, float],
                     draws: int = ALIGNMENT_DRAWS, seed: int = ALIGNMENT_SEED) -> dict:
    """The alignment score before and after a content shift, each with a 95% interval, and the change.

    Two sources of uncertainty are redrawn, like the Continuum what-if redraws its coefficients: the
    brand's mix is a sample of its messages (Dirichlet(counts + ½) draws), and each consumer share
    is a survey proportion (a Beta(selected + ½, n − selected + ½) draw where the sample size is known;
    held fixed where it is not, as for the IBM preset, which the result says). Fixed seed: the same
    inputs give the same interval. Returns before, after, change as (estimate, low, high), draws and
    ``fixed_interest`` (True when no consumer sample size was known).
    """
    counts = _as_series(content_mix, ("messages",)).fillna(0.0)
    w = shares.set_index("motive")["consumer_share"].astype(float).dropna().drop(labels=[OTHER], errors="ignore")
    n = (shares.set_index("motive")["consumer_n"].astype(float).reindex(w.index)
         if "consumer_n" in shares else pd.Series(np.nan, index=w.index))
    motives = list(dict.fromkeys(list(counts.index) + [m for m in changes if m not in counts.index]))
    counts = counts.reindex(motives, fill_value=0.0)
    before = alignment_score(counts, w)
    after = alignment_score(reallocate(counts, changes), w) if changes else before
    out = {"before": (before.score, math.nan, math.nan), "after": (after.score, math.nan, math.nan),
           "change": (after.score - before.score, math.nan, math.nan), "draws": int(draws),
           "fixed_interest": bool(n.isna().all())}
    if counts.sum() <= 0 or w.empty or not math.isfinite(before.score):
        return out
    rng = np.random.default_rng(seed)
    mix = rng.dirichlet(counts.to_numpy() + 0.5, size=draws)                       # draws × motives
    known = n.notna().to_numpy() & (n.to_numpy() > 0)
    interest = np.tile(w.to_numpy(), (draws, 1))
    if known.any():
        sel = w.to_numpy()[known] * n.to_numpy()[known]
        interest[:, known] = rng.beta(sel + 0.5, n.to_numpy()[known] - sel + 0.5, size=(draws, int(known.sum())))
    cols = [motives.index(m) for m in w.index if m in motives]
    compared = [m for m in w.index if m in motives]
    iw = interest[:, [list(w.index).index(m) for m in compared]]

    def scores(m: np.ndarray) -> np.ndarray:
        c = m[:, cols]
        c_sum = c.sum(axis=1, keepdims=True)
        cn = np.divide(c, c_sum, out=np.full_like(c, np.nan), where=c_sum > 0)
        wn = iw / iw.sum(axis=1, keepdims=True)
        return 100.0 * (1.0 - 0.5 * np.abs(cn - wn).sum(axis=1))

    s0 = scores(mix)
    if changes:
        named = np.array([motives.index(m) for m in changes])
        delta = np.array([float(v) / 100.0 for v in changes.values()])
        s1 = scores(_shift_shares(mix, named, delta))
    else:
        s1 = s0

    def interval(x: np.ndarray) -> tuple[float, float]:
        x = x[np.isfinite(x)]
        return (float(np.quantile(x, 0.025)), float(np.quantile(x, 0.975))) if len(x) else (math.nan, math.nan)

    out["before"] = (before.score, *interval(s0))
    out["after"] = (after.score, *interval(s1))
    out["change"] = (after.score - before.score, *interval(s1 - s0))
    return out
