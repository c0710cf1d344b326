"""Gaps and tests between two groups: shares with Wilson intervals, two-proportion tests with Holm/BH,
rank gaps and rank correlations, and their readings in words."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import stats
from analysis.perception.reference import DEFAULT_LABELS

CONFIDENCE = 0.95
ALPHA = 0.05


def format_p(p: float) -> str:
    """'p < 0.001', 'p = 0.023', 'p = 0.41' (NaN gives 'p not available')."""
    if p is None or not np.isfinite(p):
        return "p not available"
    if p < 0.001:
        return "p < 0.001"
    if p < 0.01:
        return f"p = {p:.3f}"
    return f"p = {p:.2f}"


def _ordinal(k: float) -> str:
    k = int(k)
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _points(x: float) -> str:
    return f"{x:+.0f}" if abs(x) >= 0.5 else "0"


def _mid(label: str) -> str:
    # Mid-sentence form: only the first letter drops its capital, so segment names keep theirs.
    return label[:1].lower() + label[1:]


def _labels(df: pd.DataFrame, a_label: str | None, b_label: str | None) -> dict:
    lab = dict(DEFAULT_LABELS)
    lab.update({k: v for k, v in df.attrs.items() if k in DEFAULT_LABELS})
    if a_label:
        lab["a_label"] = a_label
    if b_label:
        lab["b_label"] = b_label
    return lab


def _has_share(df: pd.DataFrame, side: str) -> pd.Series:
    col = f"has_{side}_share"
    if col in df:
        return df[col].fillna(False).astype(bool)
    return df[f"{side}_share"].notna()


def gap_table(df: pd.DataFrame, a_label: str | None = None, b_label: str | None = None,
              confidence: float = CONFIDENCE, alpha: float = ALPHA) -> pd.DataFrame:
    """Per motive: shares with Wilson intervals, the gap (B − A, in points) with its interval and tests, and ranks.

    ``df`` is a shares frame (``load_reference()`` or ``group_shares(...)``). Returns one row per motive:

    - motive, basis ('shares and ranks' | 'ranks; <side> share only' | 'ranks only')
    - consumer_rank, business_rank, rank_gap = consumer_rank − business_rank (positive: B ranks the
      motive higher, i.e. with a smaller rank number, than A does)
    - consumer_share, consumer_lo, consumer_hi, consumer_n and the same for business (Wilson intervals
      at ``confidence``; successes are ``*_selected`` when present, else share × n)
    - gap_points = 100 × (business_share − consumer_share), gap_lo, gap_hi (Newcombe hybrid score
      interval, points), z, p_value (pooled two-proportion z test, two-sided), p_holm, p_bh (adjusted
      across the motives with both shares), significant_holm, significant_bh (adjusted p < ``alpha``)
    - gap_sign (+1, −1, 0, NaN), direction (e.g. 'business overestimates'), reading (plain words)
    - has_consumer_share, has_business_share, and share_confidence / source when the input has them.

    Sorted by gap_points (largest first), motives without a share gap after them by rank_gap.
    """
    lab = _labels(df, a_label, b_label)
    t = df.copy()
    has_a, has_b = _has_share(t, "consumer"), _has_share(t, "business")
    t["has_consumer_share"], t["has_business_share"] = has_a, has_b
    x, n = {}, {}
    for side in ("consumer", "business"):
        share = pd.to_numeric(t[f"{side}_share"], errors="coerce").astype(float)
        nn = pd.to_numeric(t[f"{side}_n"], errors="coerce").astype(float)
        succ = t[f"{side}_selected"].astype(float) if f"{side}_selected" in t else share * nn
        known = _has_share(t, side) & nn.gt(0)
        x[side], n[side] = succ.where(known), nn.where(known)
        lo, hi = stats.wilson_interval(x[side].to_numpy(), n[side].to_numpy(), confidence)
        t[f"{side}_share"] = share.where(known)
        t[f"{side}_lo"], t[f"{side}_hi"] = lo, hi
    both = t["consumer_share"].notna() & t["business_share"].notna()
    test = stats.two_proportion_z(x["business"].to_numpy(), n["business"].to_numpy(),
                                  x["consumer"].to_numpy(), n["consumer"].to_numpy(), confidence)
    t["gap_points"] = np.where(both, 100.0 * test.diff, np.nan)
    t["gap_lo"] = np.where(both, 100.0 * test.ci_low, np.nan)
    t["gap_hi"] = np.where(both, 100.0 * test.ci_high, np.nan)
    t["z"] = np.where(both, test.z, np.nan)
    t["p_value"] = np.where(both, test.p_value, np.nan)
    t["p_holm"] = stats.holm(t["p_value"].to_numpy())
    t["p_bh"] = stats.benjamini_hochberg(t["p_value"].to_numpy())
    t["significant_holm"] = t["p_holm"].lt(alpha)
    t["significant_bh"] = t["p_bh"].lt(alpha)
    t["rank_gap"] = (pd.to_numeric(t["consumer_rank"], errors="coerce")
                     - pd.to_numeric(t["business_rank"], errors="coerce")).astype(float)
    t["gap_sign"] = np.sign(t["gap_points"].round(9))
    t["basis"] = np.select([both, has_a & ~has_b, has_b & ~has_a],
                           ["shares and ranks", f"ranks; {lab['a_short']} share only",
                            f"ranks; {lab['b_short']} share only"], "ranks only")
    up, down = (("overestimates", "underestimates") if lab["b_is_belief"] else ("higher", "lower"))
    t["direction"] = np.select([t["gap_sign"] > 0, t["gap_sign"] < 0, t["gap_sign"] == 0],
                               [f"{lab['b_short']} {up}", f"{lab['b_short']} {down}", "no gap"], "")
    t["direction"] = t["direction"].where(t["direction"] != "", None)
    n_ranked = (int(pd.to_numeric(t["consumer_rank"], errors="coerce").notna().sum()),
                int(pd.to_numeric(t["business_rank"], errors="coerce").notna().sum()))
    t["reading"] = [_gap_reading(r, lab, confidence, alpha, n_ranked) for r in t.to_dict("records")]
    t = t.sort_values(["gap_points", "rank_gap", "motive"], ascending=[False, False, True], na_position="last")
    cols = ["motive", "basis", "consumer_rank", "business_rank", "rank_gap",
            "consumer_share", "consumer_lo", "consumer_hi", "consumer_n",
            "business_share", "business_lo", "business_hi", "business_n",
            "gap_points", "gap_lo", "gap_hi", "z", "p_value", "p_holm", "p_bh", "significant_holm", "significant_bh",
            "gap_sign", "direction", "reading", "has_consumer_share", "has_business_share"]
    cols += [c for c in ("share_confidence", "source") if c in t]
    out = t[cols].reset_index(drop=True)
    out.attrs = {k: v for k, v in df.attrs.items()}
    out.attrs.update(lab, confidence=confidence, alpha=alpha)
    return out


def _gap_reading(r: dict, lab: dict, confidence: float, alpha: float, n_ranked: tuple[int, int]) -> str:
    motive, a, b = r["motive"], lab["a_label"], lab["b_label"]
    a_mid, b_mid = _mid(a), _mid(b)
    rank_part = ""
    if pd.notna(r["consumer_rank"]) and pd.notna(r["business_rank"]):
        gap = r["rank_gap"]
        places = ("the same place" if gap == 0 else
                  f"{abs(gap):.0f} place{'s' if abs(gap) != 1 else ''} {'higher' if gap > 0 else 'lower'}")
        na, nb = n_ranked
        ranks = (f"{_ordinal(r['consumer_rank'])} and {b_mid} {_ordinal(r['business_rank'])} of {na}" if na == nb
                 else f"{_ordinal(r['consumer_rank'])} of {na} and {b_mid} {_ordinal(r['business_rank'])} of {nb}")
        rank_part = f"{a} rank it {ranks}: {b_mid} put it {places}."
    if pd.isna(r["gap_points"]):
        known = []
        for side, label in (("consumer", a), ("business", b)):
            if pd.notna(r[f"{side}_share"]):
                known.append(f"only the {_mid(label)} share is known ({100 * r[f'{side}_share']:.0f}%, "
                             f"{confidence:.0%} CI {100 * r[f'{side}_lo']:.0f} to {100 * r[f'{side}_hi']:.0f})")
        shares = (known[0][:1].upper() + known[0][1:]) if known else "No shares are known"
        text = f"Ranks only for '{motive}'. {rank_part} {shares}, so there is no share gap or test."
        return text.replace("  ", " ").strip()
    gap, lo, hi = r["gap_points"], r["gap_lo"], r["gap_hi"]
    size = f"{abs(gap):.0f} point{'s' if round(abs(gap)) != 1 else ''}"
    ci = f"{confidence:.0%} CI {_points(lo)} to {_points(hi)} points"
    if abs(gap) < 0.5:
        head = f"{b} and {a_mid} agree on '{motive}' to within a point ({ci})"
    elif lab["b_is_belief"]:
        head = f"{b} {'overestimate' if gap > 0 else 'underestimate'} '{motive}' by {size} ({ci})"
    else:
        head = f"'{motive}': {b} {'above' if gap > 0 else 'below'} {a_mid} by {size} ({ci})"
    adj = r["p_holm"]
    if np.isfinite(adj) and adj < alpha:
        verdict = f"real after Holm correction (adjusted {format_p(adj)})"
    else:
        verdict = f"not distinguishable from zero after Holm correction (adjusted {format_p(adj)})"
    text = f"{head}; {verdict}. {rank_part}".strip()
    conf = r.get("share_confidence")
    if isinstance(conf, str) and any(w in conf.lower() for w in ("low", "medium")):
        text += f" Source confidence: {conf.strip()}."
    return text


def _strength(r: float) -> str:
    a = abs(r)
    if a < 0.1:
        return "essentially unrelated"
    word = "weakly" if a < 0.3 else "moderately" if a < 0.5 else "strongly"
    return f"{word} {'positively' if r > 0 else 'negatively'} related"


def rank_agreement(df: pd.DataFrame, rng: np.random.Generator | int | None = None,
                   n_permutations: int = stats.DEFAULT_PERMUTATIONS) -> dict:
    """How far the two rank orders agree, over the motives ranked by both groups.

    Returns a dict: n, spearman_rho, spearman_p, spearman_method, kendall_tau, kendall_p,
    kendall_method (how each p-value was obtained: exact or a seeded permutation test),
    largest_disagreements (list of (motive, consumer_rank, business_rank), up to three,
    largest |rank gap| first) and reading (plain words). Two-sided tests.
    """
    lab = _labels(df, None, None)
    a = pd.to_numeric(df["consumer_rank"], errors="coerce")
    b = pd.to_numeric(df["business_rank"], errors="coerce")
    ok = a.notna() & b.notna()
    res = stats.rank_correlation(a[ok].to_numpy(), b[ok].to_numpy(), rng=rng, n_permutations=n_permutations)
    gaps = (a - b)[ok].abs().sort_values(ascending=False, kind="stable")
    worst = [(df.loc[i, "motive"], int(a[i]), int(b[i])) for i in gaps.index[:3] if gaps[i] > 0]
    out = res.as_dict()
    out.pop("alternative")
    out["largest_disagreements"] = worst
    if res.n < 3 or not np.isfinite(res.spearman_rho):
        out["reading"] = "Too few motives are ranked by both groups to compare the rank orders."
        return out
    sig = res.spearman_p < ALPHA and res.kendall_p < ALPHA
    rho_method = "exact" if res.spearman_method.startswith("exact") else "permutation"
    tau_method = "exact" if res.kendall_method.startswith("exact") else "approximate"
    reading = (f"Across the {res.n} motives, the {lab['a_short']} and {lab['b_short']} rank orders are "
               f"{_strength(res.spearman_rho)} (Spearman ρ = {res.spearman_rho:+.2f}, {rho_method} "
               f"{format_p(res.spearman_p)}; Kendall τ = {res.kendall_tau:+.2f}, {tau_method} "
               f"{format_p(res.kendall_p)}). ")
    if sig:
        reading += "This agreement is unlikely to be chance. " if res.spearman_rho > 0 else (
            "This reversal is unlikely to be chance. ")
    else:
        reading += "A relation this weak is well within what chance orderings produce. "
    if abs(res.spearman_rho) < 0.3:
        reading += (f"Knowing where {_mid(lab['a_label'])} rank a motive tells little about where "
                    f"{_mid(lab['b_label'])} rank it")
        reading += ": the orders disagree, but they are not a mirror image. " if worst else ". "
    if worst:
        parts = [f"'{m}' ({lab['a_short']} {_ordinal(x)}, {lab['b_short']} {_ordinal(y)})" for m, x, y in worst]
        reading += "Largest disagreements: " + "; ".join(parts) + "."
    out["reading"] = reading.strip()
    return out
