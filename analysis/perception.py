"""The perception gap: what brands believe motivates consumers on social media versus what consumers say.

Built on the IBM Institute for Business Value 2010 study (see ``CITATION``) and on the
user's own surveys in ``survey_responses``. Two kinds of figures, kept apart throughout:

- ranks, known for all twelve motives in the IBM preset: compared with rank gaps and
  rank correlations (Spearman, Kendall), never turned into shares;
- shares, known for only a few IBM rows: compared with Wilson intervals, a two-proportion
  test and Holm/Benjamini-Hochberg corrections across the motives where both are known.
Unknown shares stay NaN; nothing here fills them.

Frame convention: a "shares frame" (``load_reference`` or ``group_shares``) has one row per
motive with ``consumer_*`` and ``business_*`` columns. For the IBM preset these are the two
groups; for two user-chosen groups, group A fills the ``consumer_*`` columns (the reference:
what people say) and group B the ``business_*`` columns (compared against it); the display
labels travel in ``df.attrs`` and gaps are always B minus A.

Content alignment compares the brand's public messages, classified into motives with an
editable keyword lexicon, with what consumers say they want.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sqlite_utils
from scipy import stats as sps

from analysis import stats, store
from analysis.filters import Filters
from analysis.store import aggregates
from analysis.store import perception as sp
from analysis.store.perception import DEFAULT_LEXICON, MOTIVES

__all__ = [
    "CITATION", "CITATION_SHORT", "MOTIVES", "DEFAULT_LEXICON", "OTHER", "Alignment",
    "load_reference", "load_headlines", "gap_table", "rank_agreement",
    "survey_studies", "group_shares", "segment_breakdown", "segment_differences",
    "lexicon_frame", "lexicon_dict", "add_keywords", "remove_keywords", "replace_lexicon", "reset_lexicon",
    "keyword_pattern", "keyword_hits", "classify_messages",
    "brand_messages", "content_mix", "brand_content_mix", "broadcast_vs_listen", "brand_content",
    "alignment_score", "reallocate", "format_p",
]

CITATION = ("Carolyn Heller Baird and Gautam Parasnis, \"From social media to Social CRM: What customers want\", "
            "IBM Institute for Business Value, 2011 (online surveys of 1,056 consumers and 351 executives, "
            "October 2010). Ranks of all twelve motives are confirmed from public secondary sources; "
            "percentages only for a few rows. Empty cells are unknown and are not filled.")
CITATION_SHORT = "IBM Institute for Business Value, \"From social media to Social CRM\" (Baird & Parasnis, 2011)"

REFERENCE_DIR = store.PROJECT_ROOT / "data" / "reference"
REFERENCE_FILE = REFERENCE_DIR / "ibm_2010_motives.csv"
HEADLINES_FILE = REFERENCE_DIR / "ibm_2010_headlines.csv"

OTHER = "other"
CONFIDENCE = 0.95
ALPHA = 0.05

_DEFAULT_LABELS = {"a_label": "Consumers", "b_label": "Businesses", "a_short": "consumer", "b_short": "business",
                   "b_is_belief": True}


# -- the IBM preset -----------------------------------------------------------------

def load_reference() -> pd.DataFrame:
    """The IBM 2010 motives, one row per motive, as shipped in ``data/reference/ibm_2010_motives.csv``.

    Columns: motive, consumer_rank, business_rank (1 = most cited, all known), consumer_share,
    business_share (fractions in [0, 1], NaN where unknown), consumer_n, business_n (respondents
    behind each figure), share_confidence, source, has_consumer_share, has_business_share.
    """
    df = pd.read_csv(REFERENCE_FILE)
    for c in ("consumer_rank", "business_rank", "consumer_n", "business_n"):
        df[c] = pd.to_numeric(df[c], errors="raise").astype("int64")
    for c in ("consumer_share", "business_share"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df["has_consumer_share"] = df["consumer_share"].notna()
    df["has_business_share"] = df["business_share"].notna()
    df.attrs.update(_DEFAULT_LABELS, source=CITATION_SHORT, notes=[])
    return df


def load_headlines() -> pd.DataFrame:
    """Headline figures of the study: figure, value (as published, text), value_num (NaN when not a single
    number, e.g. '0.05 / 0.75 / 0.20'), unit, confidence, source."""
    df = pd.read_csv(HEADLINES_FILE, dtype={"value": str})
    df.insert(2, "value_num", pd.to_numeric(df["value"], errors="coerce"))
    return df


# -- words -------------------------------------------------------------------------

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
    lab = dict(_DEFAULT_LABELS)
    lab.update({k: v for k, v in df.attrs.items() if k in _DEFAULT_LABELS})
    if a_label:
        lab["a_label"] = a_label
    if b_label:
        lab["b_label"] = b_label
    return lab


# -- gaps ----------------------------------------------------------------------------

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


# -- user surveys -------------------------------------------------------------------

def survey_studies(db: sqlite_utils.Database) -> pd.DataFrame:
    """Studies, groups and segments with counts; see ``analysis.store.perception.survey_studies``."""
    return sp.survey_studies(db)


def _group_label(study: str, group: str, segment: str | None, show_study: bool) -> tuple[str, str]:
    plural = {"consumer": "Consumers", "business": "Businesses"}.get(group, str(group).title())
    extra = ([study] if show_study else []) + ([f"segment {segment}"] if segment is not None else [])
    label = plural + (f" ({', '.join(extra)})" if extra else "")
    short = str(group) + (f" ({', '.join(extra)})" if extra else "")
    return label, short


def _ranks_from_shares(share: pd.Series) -> pd.Series:
    # 1 = most selected; ties share the better rank, as published rankings do.
    return share.rank(ascending=False, method="min")


def group_shares(db: sqlite_utils.Database, study_a: str, group_a: str, study_b: str, group_b: str,
                 segment_a: str | None = None, segment_b: str | None = None,
                 filters: Filters | None = None) -> pd.DataFrame:
    """Two survey groups as a shares frame that ``gap_table`` and ``rank_agreement`` accept.

    Group A fills the ``consumer_*`` columns, group B the ``business_*`` columns; the gap is B − A.
    The tests in ``gap_table`` assume independent samples; when the same respondent_id appears in both
    groups (two waves of a panel) a note in ``attrs['notes']`` says so.
    Counting happens in SQL (``analysis.store.perception.motive_counts``): respondent rows give
    selections over all respondents of the group, aggregate rows add share × n and n.
    ``segment_a``/``segment_b`` pick the survey's own segment column. The global ``filters``' customer
    segments/regions apply to consumer groups only, through respondents linked to customers; business
    respondents are not customers, and surveys carry no date, so dates and platforms do not apply.

    Columns: motive, consumer_rank, business_rank (from the shares, 1 = highest, ties share the
    better rank), consumer_share, business_share, consumer_n, business_n, consumer_selected,
    business_selected, share_confidence, source, has_consumer_share, has_business_share.
    ``attrs``: a_label, b_label, a_short, b_short, b_is_belief, notes (list of caveats).
    """
    notes: list[str] = []
    sides = {}
    for side, study, group, segment in (("consumer", study_a, group_a, segment_a),
                                        ("business", study_b, group_b, segment_b)):
        f = filters if (filters is not None and group == "consumer") else None
        counts = sp.motive_counts(db, study, group, segment, f)
        if f is not None and f.customers_where()[0] != "1=1":
            notes.append(f"{group} ({study}): only respondents linked to customers matching the filters; "
                         f"aggregate rows left out.")
        counts = counts.rename(columns={"selected": f"{side}_selected", "n": f"{side}_n"})
        sides[side] = counts[["motive", f"{side}_selected", f"{side}_n"]]
    if filters is not None and (filters.date_from or filters.date_to or filters.platforms):
        notes.append("Date and platform filters do not apply to surveys (responses carry no date).")
    shared = sp.shared_respondents(db, study_a, group_a, study_b, group_b, segment_a, segment_b)
    if shared:
        notes.append(f"{shared:,} respondents appear in both groups: the samples are not independent, so the "
                     "two-proportion tests and intervals are only approximate (a paired comparison would be needed).")
    t = sides["consumer"].merge(sides["business"], on="motive", how="outer")
    for side in ("consumer", "business"):
        nn = t[f"{side}_n"].astype(float)
        t[f"{side}_share"] = (t[f"{side}_selected"] / nn.where(nn > 0)).astype(float)
        t[f"{side}_rank"] = _ranks_from_shares(t[f"{side}_share"])
        t[f"has_{side}_share"] = t[f"{side}_share"].notna()
    order = {m: i for i, m in enumerate(MOTIVES)}
    t["_o"] = t["motive"].map(order).fillna(len(order))
    t = t.sort_values(["_o", "motive"]).drop(columns="_o").reset_index(drop=True)
    t["share_confidence"] = "survey data"
    t["source"] = f"{study_a} / {group_a}" + (f" / {segment_a}" if segment_a else "") + " vs " + \
        f"{study_b} / {group_b}" + (f" / {segment_b}" if segment_b else "")
    show_study = study_a != study_b
    a_label, a_short = _group_label(study_a, group_a, segment_a, show_study)
    b_label, b_short = _group_label(study_b, group_b, segment_b, show_study)
    cols = ["motive", "consumer_rank", "business_rank", "consumer_share", "business_share", "consumer_n",
            "business_n", "consumer_selected", "business_selected", "share_confidence", "source",
            "has_consumer_share", "has_business_share"]
    t = t[cols]
    t.attrs.update(a_label=a_label, b_label=b_label, a_short=a_short, b_short=b_short,
                   b_is_belief=(group_a == "consumer" and group_b == "business"), notes=notes)
    return t


def segment_breakdown(db: sqlite_utils.Database, study: str, group: str, by: str = "segment",
                      filters: Filters | None = None, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Motive shares per customer segment or region, for respondents linked to customers.

    Uses the global filters' customer clause on ``customers``. Columns: <by>, motive, selected, n
    (linked respondents in that segment/region), share, share_lo, share_hi (Wilson), rank (within
    the segment/region, 1 = highest share).
    """
    t = sp.breakdown_counts(db, study, group, by, filters)
    lo, hi = stats.wilson_interval(t["selected"].to_numpy(), t["n"].to_numpy(), confidence)
    t["share"] = (t["selected"] / t["n"].where(t["n"] > 0)).astype(float)
    t["share_lo"], t["share_hi"] = lo, hi
    t["rank"] = t.groupby(by)["share"].rank(ascending=False, method="min")
    t.attrs["by"] = by
    return t


def segment_differences(breakdown: pd.DataFrame, by: str | None = None, alpha: float = ALPHA) -> pd.DataFrame:
    """Per motive: does the share differ between segments? Chi-square test of homogeneity (k × 2).

    Columns: motive, groups, chi2, dof, p_value, p_holm, p_bh, min_expected (below 5 the
    chi-square approximation is doubtful), highest, lowest (segment names), spread_points
    (highest − lowest share, points), significant_holm.
    """
    by = by or breakdown.attrs.get("by", "segment")
    t = breakdown[breakdown["n"] > 0].copy()
    if t.empty:
        return pd.DataFrame(columns=["motive", "groups", "chi2", "dof", "p_value", "p_holm", "p_bh",
                                     "min_expected", "highest", "lowest", "spread_points", "significant_holm"])
    t["not_selected"] = t["n"] - t["selected"]
    g = t.groupby("motive")
    tot_sel, tot_n = g["selected"].transform("sum"), g["n"].transform("sum")
    p_all = tot_sel / tot_n
    e_sel, e_not = t["n"] * p_all, t["n"] * (1 - p_all)
    with np.errstate(divide="ignore", invalid="ignore"):
        t["_c"] = (np.where(e_sel > 0, (t["selected"] - e_sel) ** 2 / e_sel, 0.0)
                   + np.where(e_not > 0, (t["not_selected"] - e_not) ** 2 / e_not, 0.0))
    t["_e"] = np.minimum(e_sel, e_not)
    hi_idx = g["share"].idxmax()
    lo_idx = g["share"].idxmin()
    out = pd.DataFrame({
        "groups": g.size(), "chi2": g["_c"].sum(), "min_expected": g["_e"].min(),
        "highest": t.loc[hi_idx.to_numpy(), by].to_numpy(), "lowest": t.loc[lo_idx.to_numpy(), by].to_numpy(),
        "spread_points": 100 * (g["share"].max() - g["share"].min()),
    }).reset_index()
    out["dof"] = out["groups"] - 1
    degenerate = (out["dof"] < 1) | ~np.isfinite(out["chi2"])
    out["p_value"] = np.where(degenerate, np.nan, sps.chi2.sf(out["chi2"], out["dof"].clip(lower=1)))
    # All-or-none selections give no variation to test: nothing to distinguish.
    out.loc[~degenerate & (out["min_expected"] <= 0), "p_value"] = 1.0
    out["p_holm"] = stats.holm(out["p_value"].to_numpy())
    out["p_bh"] = stats.benjamini_hochberg(out["p_value"].to_numpy())
    out["significant_holm"] = out["p_holm"].lt(alpha)
    return out[["motive", "groups", "chi2", "dof", "p_value", "p_holm", "p_bh", "min_expected", "highest",
                "lowest", "spread_points", "significant_holm"]].sort_values("p_value", na_position="last") \
        .reset_index(drop=True)


# -- the motive lexicon ---------------------------------------------------------------

LexiconLike = Mapping[str, Iterable[str]] | pd.DataFrame


def lexicon_frame(db: sqlite_utils.Database) -> pd.DataFrame:
    """The stored lexicon (motive, keyword), seeded with DEFAULT_LEXICON the first time."""
    return sp.lexicon(db)


def lexicon_dict(db: sqlite_utils.Database) -> dict[str, list[str]]:
    """The stored lexicon as {motive: [keywords]} in the IBM consumer motive order."""
    return _as_lexicon(sp.lexicon(db))


def add_keywords(db: sqlite_utils.Database, motive: str, keywords: Iterable[str] | str) -> int:
    return sp.add_keywords(db, motive, keywords)


def remove_keywords(db: sqlite_utils.Database, motive: str, keywords: Iterable[str] | str | None = None) -> int:
    return sp.remove_keywords(db, motive, keywords)


def replace_lexicon(db: sqlite_utils.Database, new: LexiconLike) -> int:
    return sp.replace_lexicon(db, new)


def reset_lexicon(db: sqlite_utils.Database) -> int:
    return sp.reset_lexicon(db)


def _as_lexicon(lexicon: LexiconLike | None) -> dict[str, list[str]]:
    if lexicon is None:
        lexicon = DEFAULT_LEXICON
    if isinstance(lexicon, pd.DataFrame):
        out: dict[str, list[str]] = {}
        for m, k in zip(lexicon["motive"], lexicon["keyword"]):
            out.setdefault(str(m), []).append(str(k))
        return out
    return {str(m): ([kws] if isinstance(kws, str) else [str(k) for k in kws]) for m, kws in lexicon.items()}


def keyword_pattern(keyword: str) -> str:
    """The regular expression one keyword matches (used with re.IGNORECASE).

    Whole words: no letter or digit may touch a keyword edge that is itself a letter or digit
    ("sale" does not match "wholesale", "% off" matches "20% off"); any run of whitespace matches a
    space; a final word of three or more letters may carry a plural "s" or "es" ("coupons").
    """
    k = " ".join(str(keyword).lower().split())
    if not k:
        raise ValueError("empty keyword")
    body = r"\s+".join(re.escape(w) for w in k.split(" "))
    last = k.split(" ")[-1]
    if len(last) >= 3 and last[-3:].isalpha():
        body += "(?:e?s)?"
    pre = r"(?<!\w)" if (k[0].isalnum() or k[0] == "_") else ""
    post = r"(?!\w)" if (k[-1].isalnum() or k[-1] == "_") else ""
    return pre + body + post


def _motive_regex(keywords: list[str]) -> str | None:
    kws = sorted({" ".join(k.lower().split()) for k in keywords if str(k).strip()}, key=len, reverse=True)
    return "|".join(f"(?:{keyword_pattern(k)})" for k in kws) if kws else None


def _literal(text: str) -> str:
    # Escapes only the metacharacters RE2 and Python's re share, so the pattern means the same in both.
    return "".join("\\" + ch if ch in "\\.^$|?*+()[]{}" else ch for ch in text)


def _normalised_keywords(keywords: list[str]) -> set[str]:
    return {" ".join(str(k).lower().split()) for k in keywords if str(k).strip()}


def keyword_hits(texts: Iterable[str | None] | pd.Series, lexicon: LexiconLike | None = None) -> pd.DataFrame:
    """Keyword matches per text and motive (non-overlapping counts); index follows ``texts``.

    Each distinct text is matched once; the loop runs over motives, not rows.
    """
    s = texts if isinstance(texts, pd.Series) else pd.Series(list(texts), dtype=object)
    lex = _as_lexicon(lexicon)
    codes, uniques = pd.factorize(s.astype(object).where(s.notna(), ""), use_na_sentinel=False)
    u = pd.Series(uniques, dtype=object).astype(str)
    # The alternation regexes cost tens of microseconds per text, so a substring test picks the
    # candidates first: with whitespace runs collapsed to one space (re's \s and str.split agree on
    # what whitespace is) every match contains its keyword. That holds exactly for ASCII text and
    # ASCII keywords, where lower() is the only case folding; re.IGNORECASE also pairs some ASCII
    # letters with non-ASCII ones (Kelvin sign, dotless i, long s), so non-ASCII texts always go
    # to the regex and a motive with a non-ASCII keyword skips the shortcut.
    flat = pd.Series([" ".join(t.lower().split()) for t in u], dtype="string", index=u.index)
    non_ascii = np.fromiter((not t.isascii() for t in u), dtype=bool, count=len(u))
    cols = {}
    for motive, kws in lex.items():
        rx = _motive_regex(kws)
        counts = np.zeros(len(u), dtype="int64")
        if rx and len(u):
            words = _normalised_keywords(kws)
            if all(w.isascii() for w in words):
                # One alternation of literals per motive: a linear-time scan in Arrow's RE2.
                literal = "|".join(_literal(w) for w in sorted(words))
                cand = non_ascii | flat.str.contains(literal, regex=True).to_numpy(dtype=bool, na_value=False)
            else:
                cand = np.ones(len(u), dtype=bool)
            if cand.any():
                counts[cand] = u[cand].str.count(rx, flags=re.IGNORECASE).to_numpy(dtype="int64")
        cols[motive] = counts
    hits = pd.DataFrame(cols, index=range(len(u)), columns=list(lex))
    return pd.DataFrame(hits.to_numpy()[codes] if len(s) else np.zeros((0, len(lex)), dtype="int64"),
                        index=s.index, columns=list(lex))


def classify_messages(texts: Iterable[str | None] | pd.Series, lexicon: LexiconLike | None = None) -> pd.Series:
    """The motive of each text: the motive with the most keyword hits; ties go to the motive listed
    first in the lexicon (the IBM consumer order for the default); 'other' when nothing matches.

    Returns a Series named 'motive' with the index of ``texts``.
    """
    hits = keyword_hits(texts, lexicon)
    if hits.shape[1] == 0:
        return pd.Series(OTHER, index=hits.index, name="motive", dtype=object)
    arr = hits.to_numpy()
    best = arr.argmax(axis=1)
    labels = np.asarray(hits.columns, dtype=object)[best]
    labels = np.where(arr.max(axis=1) > 0, labels, OTHER)
    return pd.Series(labels, index=hits.index, name="motive", dtype=object)


# -- the brand's content --------------------------------------------------------------

def once_each(messages: pd.DataFrame) -> pd.DataFrame:
    """The brand's public messages with each message once.

    A brand's public reply is often in the data twice: as a post by a brand account and as an outbound
    interaction on a public channel (the tweets format records every tweet of a conversation both ways).
    A post is the same message as an outbound public interaction when they have the same id (the
    tweets format gives both the tweet id), or the same text at the same time to the second (a hand
    conversion that numbered them apart). The interaction is kept, as a response when either record
    says it answers someone; the post is dropped. ``attrs["counted_once"]`` holds how many posts were.
    """
    out = messages
    if len(messages):
        inter = messages["source"].to_numpy() == "interaction"
        post = messages["source"].to_numpy() == "post"
        text = messages["text"].astype(object)
        has_text = text.notna().to_numpy()
        # Set membership by hashing each value once (factorize), not through Python sets of strings:
        # a wide date range holds some 150k messages (0.9 s with ``isin`` of a set, 0.05 s so).
        id_code = pd.factorize(messages["message_id"].astype(str))[0]
        second = messages["at"].astype(str).str.slice(0, 19).str.replace("T", " ", regex=False)
        pair_code = _pair_codes(text.where(text.notna(), ""), second)
        same_id = _member(id_code, inter)
        same_words = _member(pair_code, inter & has_text) & has_text
        dup = post & (same_id | same_words)
        if dup.any():
            # A duplicate post that answers someone makes its interaction a response too.
            answering = dup & (messages["mode"].to_numpy() == "response")
            lift = inter & (_member(id_code, answering) | (_member(pair_code, answering) & has_text))
            out = messages.copy()
            out.loc[lift, "mode"] = "response"
            out = out[~dup].reset_index(drop=True)
    out.attrs["counted_once"] = int(len(messages) - len(out))
    return out


def _pair_codes(a: pd.Series, b: pd.Series) -> np.ndarray:
    """One integer per distinct (a, b) pair of values."""
    ca, ua = pd.factorize(a)
    cb, _ = pd.factorize(b)
    return pd.factorize(ca.astype(np.int64) * (len(ua) + 1) + cb)[0]


def _member(codes: np.ndarray, among: np.ndarray) -> np.ndarray:
    """Whether each row's code is the code of some row where ``among`` holds."""
    seen = np.zeros(int(codes.max()) + 1 if len(codes) else 0, dtype=bool)
    seen[codes[among]] = True
    return seen[codes]


def _public_messages(db: sqlite_utils.Database, filters: Filters | None) -> pd.DataFrame:
    """``brand_public_messages`` under ``filters`` with each message once (``once_each``), the filters
    applied in memory to every message read once per data version (``kept_public_messages``).

    The same rules as the query's: an interaction is chosen by its time and its customer's segment
    and region, a brand post by its time and platform. In SQL, a date range made SQLite walk the
    time index over every interaction in the range (seconds on a million interactions), and a
    segment cost a scan per filter change (0.8 s).
    """
    f = filters or Filters()
    msgs = kept_public_messages(db)
    if f != Filters():
        keep = f.frame_mask(msgs, date="at", platform=False, customer=False)
        inter = (msgs["source"] == "interaction").to_numpy()
        if f.segments:
            keep &= ~inter | msgs["segment"].isin(f.segments).to_numpy()
        if f.regions:
            keep &= ~inter | msgs["region"].isin(f.regions).to_numpy()
        if f.platforms:
            keep &= inter | msgs["place"].isin(f.platforms).to_numpy()
        msgs = msgs[keep]
    return once_each(msgs[list(sp.MESSAGE_COLUMNS)].reset_index(drop=True))


def kept_public_messages(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every public message of the brand with its customer's segment and region, read once per data
    version: kept in the database (the channels' publicness, a setting, decides which are public, so
    per data version rather than rows version) and in this process."""
    def load():
        return aggregates.memo(db, "perception.brand_public_messages",
                               lambda: sp.brand_public_messages(db, Filters(), customer_columns=True), settings=True)
    return aggregates.in_process(db, "perception.brand_public_messages", load, settings=True)


def brand_messages(db: sqlite_utils.Database, filters: Filters | None = None,
                   lexicon: LexiconLike | None = None) -> pd.DataFrame:
    """The brand's public messages (see ``analysis.store.perception.brand_public_messages``) with a motive.

    Columns: source, message_id, at, place, kind, text, mode ('broadcast'|'response'), motive.
    ``lexicon`` defaults to the stored one.
    """
    msgs = _public_messages(db, filters)
    lex = _as_lexicon(lexicon if lexicon is not None else sp.lexicon(db))
    msgs["motive"] = _classify_memo(msgs["text"], lex) if len(msgs) else pd.Series(dtype=object)
    return msgs


# The brand repeats itself, and a new filter mostly brings back texts already classified: remember each
# distinct text's motive per lexicon (a pure function of both), for the few most recent lexicons.
_MEMO: dict[tuple, dict[str, str]] = {}
_MEMO_LEXICONS = 4
_MEMO_TEXTS = 500_000


def _classify_memo(texts: pd.Series, lex: dict[str, list[str]]) -> np.ndarray:
    key = tuple((m, tuple(kws)) for m, kws in lex.items())
    memo = _MEMO.pop(key, None)
    if memo is None or len(memo) > _MEMO_TEXTS:
        memo = {}
    _MEMO[key] = memo  # most recently used last
    while len(_MEMO) > _MEMO_LEXICONS:
        _MEMO.pop(next(iter(_MEMO)))
    filled = texts.astype(object).where(texts.notna(), "")
    codes, uniques = pd.factorize(filled, use_na_sentinel=False)
    uniques = [str(u) for u in uniques]
    new = [u for u in uniques if u not in memo]
    if new:
        memo.update(zip(new, classify_messages(pd.Series(new, dtype=object), lex).tolist()))
    return np.asarray([memo[u] for u in uniques], dtype=object)[codes]


def content_mix(messages: pd.DataFrame, motives: Iterable[str] | None = None) -> pd.DataFrame:
    """Counts per motive from classified messages: motive, messages, share (of all messages, 'other'
    included), broadcasts, responses. Every motive in ``motives`` (default: the twelve) appears, then 'other'."""
    order = list(dict.fromkeys(list(motives if motives is not None else MOTIVES)))
    found = messages["motive"].dropna().unique().tolist() if len(messages) else []  # distinct first: no per-row loop
    extra = sorted(set(found) - set(order) - {OTHER})
    order = order + extra + [OTHER]
    if len(messages):
        mode = messages["mode"] if "mode" in messages else pd.Series("broadcast", index=messages.index)
        counts = pd.crosstab(messages["motive"], mode)
    else:
        counts = pd.DataFrame()
    counts = counts.reindex(index=order, columns=["broadcast", "response"], fill_value=0).fillna(0).astype("int64")
    out = pd.DataFrame({"motive": order, "broadcasts": counts["broadcast"].to_numpy(),
                        "responses": counts["response"].to_numpy()})
    out["messages"] = out["broadcasts"] + out["responses"]
    total = out["messages"].sum()
    out["share"] = out["messages"] / total if total else np.nan
    return out[["motive", "messages", "share", "broadcasts", "responses"]]


def brand_content_mix(db: sqlite_utils.Database, filters: Filters | None = None,
                      lexicon: LexiconLike | None = None) -> pd.DataFrame:
    """The brand's public content mix over motives: ``content_mix(brand_messages(db, filters, lexicon))``."""
    lex = _as_lexicon(lexicon if lexicon is not None else sp.lexicon(db))
    return content_mix(brand_messages(db, filters, lex), motives=list(lex))


def broadcast_vs_listen(db: sqlite_utils.Database | None = None, filters: Filters | None = None,
                        messages: pd.DataFrame | None = None, confidence: float = CONFIDENCE) -> dict:
    """How much of the brand's public voice is broadcast rather than response.

    Pass ``messages`` (from ``brand_messages``) to avoid a second query. Returns a dict: total,
    broadcast, response, broadcast_share, broadcast_lo, broadcast_hi (Wilson), by_source
    (DataFrame: source, broadcast, response, total, broadcast_share) and reading.
    """
    if messages is None:
        if db is None:
            raise ValueError("give a database or the messages")
        messages = _public_messages(db, filters)
    total = len(messages)
    broadcast = int((messages["mode"] == "broadcast").sum()) if total else 0
    response = total - broadcast
    lo, hi = stats.wilson_interval(broadcast, total, confidence)
    share = broadcast / total if total else math.nan
    if total:
        by = pd.crosstab(messages["source"], messages["mode"]).reindex(columns=["broadcast", "response"],
                                                                         fill_value=0)
        by = by.rename_axis(None, axis=1).reset_index()
        by["total"] = by["broadcast"] + by["response"]
        by["broadcast_share"] = by["broadcast"] / by["total"]
    else:
        by = pd.DataFrame(columns=["source", "broadcast", "response", "total", "broadcast_share"])
    if not total:
        reading = "No public messages from the brand under these filters."
    else:
        reading = (f"Of the brand's {total:,} public messages, {share:.0%} ({confidence:.0%} CI {lo:.0%} to "
                   f"{hi:.0%}) are broadcasts and {1 - share:.0%} answer someone. ")
        if share >= 0.75:
            reading += ("A voice that mostly broadcasts treats social channels as one more marketing channel; "
                        "consumers come to them to connect and to get something of value, and notice who listens.")
        elif share >= 0.5:
            reading += "Broadcasting still outweighs listening."
        else:
            reading += "Most of the brand's public voice is responding rather than broadcasting."
    return {"total": total, "broadcast": broadcast, "response": response, "broadcast_share": share,
            "broadcast_lo": lo, "broadcast_hi": hi, "by_source": by, "reading": reading,
            "counted_once": int(messages.attrs.get("counted_once", 0))}


def brand_content(db: sqlite_utils.Database, filters: Filters | None = None,
                  lexicon: LexiconLike | None = None) -> tuple[pd.DataFrame, dict]:
    """``(brand_content_mix(...), broadcast_vs_listen(...))`` from one read of the brand's messages.

    The page needs both; reading the messages once halves the work on a large database.
    """
    lex = _as_lexicon(lexicon if lexicon is not None else sp.lexicon(db))
    msgs = brand_messages(db, filters, lex)
    return content_mix(msgs, motives=list(lex)), broadcast_vs_listen(messages=msgs)


# -- alignment ------------------------------------------------------------------------

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


# -- uncertainty of the content-mix what-if ------------------------------------------------

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
