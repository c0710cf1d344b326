"""The user's own surveys: any two groups as a shares frame, and breakdowns by segment or region."""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlite_utils
from scipy import stats as sps

from analysis import stats
from analysis.filters import Filters
from analysis.perception.gaps import ALPHA, CONFIDENCE
from analysis.store import perception as sp
from analysis.store.perception import MOTIVES


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
