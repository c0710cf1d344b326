"""Listening: volume and sentiment over time, top and emerging terms (Dunning's G²), spikes, corrections.

Conventions stated on the page:
- sentiment labels follow VADER: compound >= +0.05 positive, <= -0.05 negative, neutral between;
  posts without a score (no text) are left out of means and shares;
- terms are counted in original posts only: a reshare ("RT ...", or any post with
  ``reshare_of``) repeats someone else's words, so it would measure reach, not what people write;
- a term counts once per post (document frequency), so one long post cannot make a trend;
- texts are grouped (from the kept ``text_cube``) and each distinct text is tokenised once (NLTK's TweetTokenizer,
  no downloaded data) and weighted by how many posts carry it;
- every figure can be restricted to authors of some roles (``analysis.store.roles``: linked
  customers, other public voices, the brand's own accounts); the page leaves the brand's own posts
  out by default, so its replies and its agents' sign-offs ("^AB") do not pass for what people say.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import warnings
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
import sqlite_utils
from scipy import stats

from analysis import memo, sentiment
from analysis.filters import Filters
from analysis.store import PROJECT_ROOT, aggregates
from analysis.store import listening as q
from analysis.store import roles as roles_

STOPWORDS_FILE = PROJECT_ROOT / "data" / "stopwords_en.txt"
GRAINS = ("day", "week", "month")
# At most this many distinct texts are tokenised per view (~30 µs each, once per process);
# above it the most repeated, then the newest, are counted and the share of posts they
# cover is reported, so a view with a million different texts still answers in about 1 s.
TEXT_CAP = 20_000
# A person's correction is picked on a five-point scale; these are the scores stored.
CORRECTION_SCORES: dict[str, float] = {
    "very negative": -0.8, "negative": -0.4, "neutral": 0.0, "positive": 0.4, "very positive": 0.8,
}
LABELS = ("positive", "neutral", "negative")


# -- tokens ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    words = set()
    for line in STOPWORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


# Lower-casing first and keeping case in the tokenizer skips its per-token emoticon check
# (twice as fast); phone-number matching is not needed for terms.
@functools.lru_cache(maxsize=1)
def _tokenizer():
    """NLTK's TweetTokenizer, imported on first use: importing NLTK takes seconds, and pages that
    only read the daily figures never tokenise."""
    from nltk.tokenize import TweetTokenizer

    return TweetTokenizer(preserve_case=True, match_phone_numbers=False)
TERM_SEP = "\x1f"  # between the kept terms of a text (a unit separator: never in a term)
_TERM = re.compile(r"^#?[^\W\d_][\w'\-]*$")


@functools.lru_cache(maxsize=300_000)
def terms_of(text: str) -> tuple[str, ...]:
    """The distinct terms and hashtags of one text, in order of first use.

    A term is a word that starts with a letter (hyphens and apostrophes allowed), at
    least two letters long and not a stop word; hashtags keep their '#'. Mentions,
    links, numbers and emoticons are not terms.
    """
    stop = stopwords()
    out: list[str] = []
    for tok in _tokenizer().tokenize(str(text).lower().replace("\u2019", "'")):
        if not _TERM.match(tok):
            continue
        tok = tok.rstrip("'-")
        if tok.endswith("'s"):
            tok = tok[:-2]
        word = tok.lstrip("#")
        if len(word) < 2 or word in stop or tok in out:
            continue
        out.append(tok)
    return tuple(out)


def is_reshare_text(text: str | None) -> bool:
    return bool(text) and str(text).startswith("RT ")


# -- volume and sentiment over time ----------------------------------------------------------

def sql_filters(f: Filters) -> Filters:
    """The part of the filters the daily SQL aggregate applies: segment and region.

    Dates and platforms are applied to its few thousand rows in pandas (``narrow``), so
    moving the date range or picking a platform needs no new scan of the posts.
    """
    return Filters(segments=f.segments, regions=f.regions)


DAILY_KEYS = ["day", "platform", "reshare", "role"]
DAILY_SUMS = ["posts", "scored", "sentiment_sum", "positive", "negative", "neutral", "corrected"]


def cube(db: sqlite_utils.Database) -> pd.DataFrame:
    """``store.listening.daily_cube``, kept in the database per rows version: one scan of every post
    per data change, after which every filter of ``daily`` (and the cascades' count of originals) is a
    selection of its rows in memory, with no query proportional to the posts."""
    return memo.kept(db, "listening.cube",
                     lambda: aggregates.memo(db, "listening.daily_cube", lambda: q.daily_cube(db)))


def daily(db: sqlite_utils.Database, f: Filters) -> pd.DataFrame:
    """Posts per day, platform and reshare flag under ``f`` (see ``sql_filters``).

    Rows are per author role too (``role``), so a choice of roles is a filter in pandas (``narrow``).
    Read from ``cube``: a segment or region selects its rows, never a new scan of the posts.
    """
    rows = cube(db)
    if f.segments or f.regions:
        rows = rows[f.frame_mask(rows, platform=False)]
    out = rows.groupby(DAILY_KEYS, as_index=False, sort=True)[DAILY_SUMS].sum(min_count=0)
    out[DAILY_SUMS] = out[DAILY_SUMS].fillna(0)
    return out.astype({c: "int64" for c in DAILY_SUMS if c != "sentiment_sum"})


def narrow(rows: pd.DataFrame, f: Filters, reshares: bool = True, dates: bool = True, roles=None) -> pd.DataFrame:
    """Daily rows under the date range and platforms of ``f`` (``dates=False`` keeps every day), by
    authors of ``roles`` (None: every author)."""
    keep = f.frame_mask(rows, date="day" if dates else None, customer=False)
    if not reshares:
        keep &= (rows["reshare"] == 0).to_numpy()
    if roles:
        keep &= rows["role"].isin(list(roles)).to_numpy()
    return rows[keep]


def role_summaries(rows: pd.DataFrame) -> pd.DataFrame:
    """``summary`` of (narrowed) daily rows per author role, every role in ``roles.ROLES`` order:
    role, label, posts, reshares, scored, mean_sentiment, positive/neutral/negative shares, corrected."""
    out = []
    for role in roles_.ROLES:
        s = summary(rows[rows["role"] == role])
        out.append({"role": role, "label": roles_.ROLE_LABELS[role], **vars(s)})
    return pd.DataFrame(out)


@dataclass
class Summary:
    posts: int
    reshares: int
    scored: int
    mean_sentiment: float
    positive_share: float
    neutral_share: float
    negative_share: float
    corrected: int


def summary(rows: pd.DataFrame) -> Summary:
    """Headline figures of (narrowed) daily rows."""
    s = rows[["posts", "scored", "sentiment_sum", "positive", "neutral", "negative", "corrected"]].sum()
    scored = int(s["scored"])

    def share(v):
        return float(v) / scored if scored else float("nan")

    return Summary(posts=int(s["posts"]), reshares=int(rows.loc[rows["reshare"] == 1, "posts"].sum()),
                   scored=scored, mean_sentiment=share(s["sentiment_sum"]), positive_share=share(s["positive"]),
                   neutral_share=share(s["neutral"]), negative_share=share(s["negative"]),
                   corrected=int(s["corrected"]))


def period_start(days: pd.Series, grain: str) -> pd.Series:
    """The first day of the day, week (Monday) or month each ISO day falls in."""
    if grain not in GRAINS:
        raise ValueError(f"grain is one of {GRAINS}, not {grain!r}")
    d = pd.to_datetime(days)
    if grain == "week":
        return d - pd.to_timedelta(d.dt.day_of_week, unit="D")
    if grain == "month":
        return d.dt.to_period("M").dt.to_timestamp()
    return d


def over_time(rows: pd.DataFrame, grain: str, by_platform: bool = True) -> pd.DataFrame:
    """Posts, mean sentiment and label shares per period (and platform)."""
    cols = ["posts", "scored", "sentiment_sum", "positive", "neutral", "negative"]
    if rows.empty:
        return pd.DataFrame(columns=["period", "platform", *cols, "mean_sentiment",
                                     "positive_share", "neutral_share", "negative_share"])
    d = rows.assign(period=period_start(rows["day"], grain))
    keys = ["period", "platform"] if by_platform else ["period"]
    out = d.groupby(keys, as_index=False)[cols].sum()
    scored = out["scored"].where(out["scored"] > 0)
    out["mean_sentiment"] = out["sentiment_sum"] / scored
    for lab in LABELS:
        out[f"{lab}_share"] = out[lab] / scored
    return out.sort_values(keys).reset_index(drop=True)


def partial_periods(first_day: dt.date, last_day: dt.date, grain: str) -> list[pd.Timestamp]:
    """Periods at the edges of the range that the range covers only in part."""
    if grain == "day" or first_day is None or last_day is None:
        return []
    out = []
    start = period_start(pd.Series([pd.Timestamp(first_day)]), grain).iloc[0]
    if start != pd.Timestamp(first_day):
        out.append(start)
    end_start = period_start(pd.Series([pd.Timestamp(last_day)]), grain).iloc[0]
    nxt = end_start + (pd.Timedelta(days=7) if grain == "week" else pd.offsets.MonthBegin(1))
    if pd.Timestamp(last_day) + pd.Timedelta(days=1) != nxt and end_start not in out:
        out.append(end_start)
    return out


def day_range(rows: pd.DataFrame, f: Filters) -> tuple[dt.date | None, dt.date | None]:
    """First and last day of the view: the filter's dates, else the data's."""
    lo = f.date_from or (dt.date.fromisoformat(rows["day"].min()) if len(rows) else None)
    hi = f.date_to or (dt.date.fromisoformat(rows["day"].max()) if len(rows) else None)
    return lo, hi


# -- spikes ------------------------------------------------------------------------------------

SPIKE_WINDOW = 28
SPIKE_THRESHOLD = 3.5  # Iglewicz & Hoaglin's cut-off for a modified (robust) z-score
SPIKE_MIN_DAYS = 7
SPIKE_MIN_NEGATIVE = 5
# A spike must also matter in practice: at 2,000 posts a day a 14% rise is "significant" but
# nobody would act on it. Volume: at least 1.5 times the usual level; negative share: at least
# 1.5 times the usual share and 5 points above it.
SPIKE_MIN_RISE = 1.5
SPIKE_MIN_POINTS = 0.05


def daily_totals(rows: pd.DataFrame, first_day: dt.date | None = None,
                 last_day: dt.date | None = None) -> pd.DataFrame:
    """One row per calendar day (days without posts count 0): posts, scored, negative, share."""
    cols = ["posts", "scored", "negative"]
    if rows.empty and (first_day is None or last_day is None):
        return pd.DataFrame(columns=["day", *cols, "negative_share"])
    t = rows.groupby("day")[cols].sum()
    t.index = pd.to_datetime(t.index)
    lo = pd.Timestamp(first_day) if first_day else t.index.min()
    hi = pd.Timestamp(last_day) if last_day else t.index.max()
    t = t.reindex(pd.date_range(lo, hi, freq="D"), fill_value=0)
    t["negative_share"] = t["negative"] / t["scored"].where(t["scored"] > 0)
    return t.rename_axis("day").reset_index()


def _rolling_median_mad(x: pd.Series, window: int, min_days: int) -> tuple[pd.Series, pd.Series]:
    """Median and MAD of the ``window`` days before each day (the day itself excluded; missing values
    skipped; NaN with fewer than ``min_days`` values). Vectorised over a sliding window view."""
    prev = x.shift(1).to_numpy(dtype=float)
    padded = np.concatenate([np.full(window - 1, np.nan), prev])
    w = np.lib.stride_tricks.sliding_window_view(padded, window)
    enough = (~np.isnan(w)).sum(axis=1) >= min_days
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows give NaN, masked below
        med = np.nanmedian(w, axis=1)
        mad = np.nanmedian(np.abs(w - med[:, None]), axis=1)
    med = np.where(enough, med, np.nan)
    mad = np.where(enough, mad, np.nan)
    return pd.Series(med, index=x.index), pd.Series(mad, index=x.index)


def spikes(totals: pd.DataFrame, window: int = SPIKE_WINDOW, threshold: float = SPIKE_THRESHOLD,
           min_days: int = SPIKE_MIN_DAYS, min_negative: int = SPIKE_MIN_NEGATIVE,
           min_rise: float = SPIKE_MIN_RISE, min_points: float = SPIKE_MIN_POINTS) -> pd.DataFrame:
    """Days whose volume or negative share breaks out of the normal range.

    Baseline: the median of the previous ``window`` days; spread: their median absolute
    deviation (MAD) scaled by 1.4826, never below the sampling noise one would expect by
    chance (Poisson sqrt(median) for a count, binomial sqrt(p(1-p)/n) for a share), so a
    quiet, flat series does not flag every wobble. A day is a spike when its robust
    z-score reaches ``threshold`` and the value is at least ``min_rise`` times the usual
    one; a negative-share spike also needs ``min_points`` more than the usual share and
    ``min_negative`` negative posts that day.
    """
    t = totals.copy()
    if t.empty:
        for c in ("baseline_posts", "volume_z", "baseline_negative_share", "negative_z"):
            t[c] = pd.Series(dtype=float)
        for c in ("volume_spike", "negative_spike", "spike"):
            t[c] = pd.Series(dtype=bool)
        t["reason"] = pd.Series(dtype=object)
        return t
    posts = t["posts"].astype(float)
    med, mad = _rolling_median_mad(posts, window, min_days)
    scale = np.maximum(1.4826 * mad, np.sqrt(np.maximum(med, 1.0)))
    t["baseline_posts"] = med
    t["volume_z"] = (posts - med) / scale
    t["volume_spike"] = ((t["volume_z"] >= threshold) & (posts >= min_rise * med)).fillna(False).astype(bool)
    share = t["negative_share"].astype(float)
    smed, smad = _rolling_median_mad(share, window, min_days)
    p0 = smed.clip(lower=0.01, upper=0.99)
    n = t["scored"].astype(float).where(t["scored"] > 0)
    sscale = np.maximum(1.4826 * smad, np.sqrt(p0 * (1 - p0) / n))
    t["baseline_negative_share"] = smed
    t["negative_z"] = (share - smed) / sscale
    t["negative_spike"] = ((t["negative_z"] >= threshold) & (t["negative"] >= min_negative)
                           & (share >= min_rise * smed) & (share >= smed + min_points)).fillna(False)
    t["negative_spike"] = t["negative_spike"].astype(bool)
    t["spike"] = t["volume_spike"] | t["negative_spike"]
    t["reason"] = [_spike_reason(r) for r in t.itertuples()]
    return t


def _spike_reason(r) -> str:
    parts = []
    if r.volume_spike:
        parts.append(f"{int(r.posts):,} posts against a usual {r.baseline_posts:,.0f} (z = {r.volume_z:.1f})")
    if r.negative_spike:
        parts.append(f"{r.negative_share:.0%} negative against a usual {r.baseline_negative_share:.0%} "
                     f"(z = {r.negative_z:.1f})")
    return "; ".join(parts)


# -- terms ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Periods:
    """The two periods emerging terms compare: the recent one ends on the last day of the view."""

    range_start: dt.date
    end: dt.date
    recent_start: dt.date
    base_start: dt.date
    recent_days: int
    baseline_days: int | None  # None: every earlier day of the view

    @property
    def has_baseline(self) -> bool:
        return self.base_start < self.recent_start

    def describe(self) -> str:
        recent = f"the last {self.recent_days} days, {_d(self.recent_start)} to {_d(self.end)}"
        if not self.has_baseline:
            return f"Recent period: {recent}. No earlier day in the view to compare it with."
        base_end = self.recent_start - dt.timedelta(days=1)
        base_len = (self.recent_start - self.base_start).days
        return (f"Recent period: {recent}. Baseline: the {base_len} days before, "
                f"{_d(self.base_start)} to {_d(base_end)}.")


def _d(day: dt.date) -> str:
    return f"{day:%d %b %Y}"


def periods(range_start: dt.date, end: dt.date, recent_days: int = 14,
            baseline_days: int | None = 90) -> Periods:
    """Recent = the last ``recent_days`` days up to ``end``; baseline = the ``baseline_days``
    days before it (``None``: every earlier day from ``range_start``), both inside the view."""
    recent_start = max(range_start, end - dt.timedelta(days=int(recent_days) - 1))
    if baseline_days is None:
        base_start = range_start
    else:
        base_start = max(range_start, recent_start - dt.timedelta(days=int(baseline_days)))
    return Periods(range_start=range_start, end=end, recent_start=recent_start, base_start=base_start,
                   recent_days=int(recent_days), baseline_days=baseline_days)


def g2(a, b, n1, n2):
    """Dunning's log-likelihood ratio G² of a 2x2 table, vectorised.

    ``a`` of ``n1`` posts in period 1 mention the term, ``b`` of ``n2`` in period 2.
    G² = 2 Σ O ln(O / E) over the four cells, E from the margins; 0 ln 0 = 0.
    """
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    n1 = np.asarray(n1, dtype=float)
    n2 = np.asarray(n2, dtype=float)
    total = n1 + n2
    k = a + b
    cells = [(a, k * n1 / total), (b, k * n2 / total), (n1 - a, (total - k) * n1 / total),
             (n2 - b, (total - k) * n2 / total)]
    out = np.zeros(np.broadcast(a, b, n1, n2).shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        for o, e in cells:
            out = out + np.where(o > 0, o * np.log(o / e), 0.0)
    return np.maximum(2.0 * out, 0.0)


def g2_pvalue(g):
    """p-value of G² against the chi-square distribution with one degree of freedom."""
    return stats.chi2.sf(np.asarray(g, dtype=float), 1)


def bh_qvalues(p) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (false discovery rate over every term tested)."""
    p = np.asarray(p, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    qs = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(n)
    out[order] = np.minimum(qs, 1.0)
    return out


@dataclass
class Terms:
    table: pd.DataFrame  # one row per term, see ``term_table``
    texts: dict[str, list[str]] = field(default_factory=dict)  # term -> texts carrying it, most posts first
    n_all: int = 0  # original posts counted in the whole view
    n_recent: int = 0
    n_base: int = 0
    distinct_texts: int = 0
    covered_share: float = 1.0  # share of the view's original posts the counts cover
    periods: Periods | None = None

    def top(self, kind: str = "term", n: int = 20) -> pd.DataFrame:
        t = self.table[self.table["kind"] == kind]
        return t.sort_values(["n_all", "term"], ascending=[False, True]).head(n)

    def emerging(self, n: int = 25) -> pd.DataFrame:
        t = self.table[self.table["emerging"]]
        return t.sort_values(["g2", "term"], ascending=[False, True]).head(n)


def term_counts(rows: pd.DataFrame, toks: list[tuple[str, ...]] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """From distinct texts with their post counts (text, n_all, n_recent, n_base) to
    (per-term sums, the (term, text row) pairs); each text is tokenised once (``toks``: the terms of
    each row's text when already known)."""
    cols = ["n_all", "n_recent", "n_base"]
    if toks is None:
        toks = [terms_of(t) for t in rows["text"].tolist()]
    lens = np.fromiter((len(t) for t in toks), dtype=np.int64, count=len(toks))
    idx = np.repeat(np.arange(len(rows)), lens)
    # Text even when no text has a term (pandas would make an empty column float, and .str fail on it).
    pairs = pd.DataFrame({"term": pd.Series(list(chain.from_iterable(toks)), dtype=object), "row": idx})
    weights = rows[cols].to_numpy(dtype=np.int64)[idx] if len(idx) else np.zeros((0, 3), dtype=np.int64)
    pairs[cols] = weights
    sums = pairs.groupby("term", sort=True)[cols].sum().reset_index()
    return sums, pairs


def term_table(sums: pd.DataFrame, n_all: int, n_recent: int, n_base: int, min_count: int = 5,
               alpha: float = 0.05) -> pd.DataFrame:
    """Shares, G², p, BH q-value and the emerging flag per term.

    Tested: every term used in either period. Emerging: used in at least ``min_count``
    recent posts, a higher share of posts than in the baseline, and q < ``alpha``.
    ``ratio`` compares the shares with 0.5 added to both counts (so a new term has a finite ratio).
    """
    t = sums.copy()
    t["kind"] = np.where(t["term"].str.startswith("#"), "hashtag", "term")
    t["share_all"] = t["n_all"] / n_all if n_all else np.nan
    t["share_recent"] = t["n_recent"] / n_recent if n_recent else np.nan
    t["share_base"] = t["n_base"] / n_base if n_base else np.nan
    tested = (t["n_recent"] + t["n_base"] > 0) & (n_recent > 0) & (n_base > 0)
    t["g2"] = np.nan
    t["p"] = np.nan
    t["q"] = np.nan
    if tested.any():
        g = g2(t.loc[tested, "n_recent"], t.loc[tested, "n_base"], n_recent, n_base)
        p = g2_pvalue(g)
        t.loc[tested, "g2"] = g
        t.loc[tested, "p"] = p
        t.loc[tested, "q"] = bh_qvalues(p)
    if n_recent and n_base:
        t["ratio"] = ((t["n_recent"] + 0.5) / n_recent) / ((t["n_base"] + 0.5) / n_base)
    else:
        t["ratio"] = np.nan
    t["emerging"] = (tested & (t["n_recent"] >= min_count) & (t["share_recent"] > t["share_base"])
                     & (t["q"] < alpha)).fillna(False).astype(bool)
    return t


def text_cube(db: sqlite_utils.Database) -> dict:
    """``store.listening.original_text_days`` kept in the database per rows version, the texts stored
    once (``texts``: text_id, text) and referred to by number (``rows``): any filter's term counts are
    then a selection and a sum over its rows, never a new scan of the posts."""
    def compute() -> dict:
        raw = q.original_text_days(db)
        codes, uniques = pd.factorize(raw["text"])
        rows = raw.drop(columns="text").assign(text_id=codes.astype(np.int64))
        # Each distinct text tokenised once here, so a fresh process does not tokenise on its first view.
        return {"rows": rows, "texts": pd.DataFrame({"text": pd.Series(list(uniques), dtype=object),
                                                     "terms": [TERM_SEP.join(terms_of(t)) for t in uniques]})}

    return memo.kept(db, "listening.text_cube",
                     lambda: aggregates.memo_parts(db, "listening.text_cube.v2", ("rows", "texts"), compute))


def _order_key(values: pd.Series) -> np.ndarray:
    """int64 keys in the order of the text ``values`` (no missing values): timestamps written
    'YYYY-MM-DD HH:MM:SS' are read as such (for these, fixed-width digits, text order is time order),
    anything else is ranked as text (slower: seconds for millions of rows)."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pa.chunked_array([pa.array(values.to_numpy(dtype=object), type=pa.string())]) \
            if values.dtype == object else pa.chunked_array(pa.array(values))
        shape = pc.match_substring_regex(arr, r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$")
        if arr.null_count == 0 and pc.all(shape).as_py() is not False:
            ts = pc.strptime(arr, format="%Y-%m-%d %H:%M:%S", unit="s")  # raises on a day or hour out of range
            return ts.cast(pa.int64()).to_numpy().astype(np.int64)
    except Exception:  # noqa: BLE001 - pyarrow raises several kinds for text that is not a time
        pass
    return pd.factorize(values, sort=True)[0].astype(np.int64)


def text_index(db: sqlite_utils.Database) -> dict:
    """``text_cube``'s rows as numbers, kept in this process per rows version: each text column's sorted
    values and codes (-1: missing), the posts and text of each row, an order key of its latest time and
    each text's rank in text order. Selecting and summing rows under a filter then reads no text."""
    def build() -> dict:
        cube = text_cube(db)
        rows = cube["rows"]
        out: dict = {"n": rows["n"].to_numpy(dtype=np.int64), "text_id": rows["text_id"].to_numpy(dtype=np.int64),
                     "last": _order_key(rows["last"])}
        for col in ("day", "platform", "role", "segment", "region"):
            codes, uniques = pd.factorize(rows[col], sort=True)
            out[col] = (codes.astype(np.int64), np.asarray(uniques, dtype=object))
        texts = cube["texts"]["text"].to_numpy(dtype=object)
        rank = np.empty(len(texts), dtype=np.int64)
        rank[np.argsort(texts, kind="stable")] = np.arange(len(texts))
        out["text_rank"] = rank
        out["texts"] = texts
        return out

    return memo.kept(db, "listening.text_index", build)


def _coded_in(column: tuple[np.ndarray, np.ndarray], values) -> np.ndarray:
    codes, uniques = column
    values = set(values)
    wanted = [i for i, v in enumerate(uniques) if v in values]
    return np.isin(codes, wanted)


def _day_at_least(column: tuple[np.ndarray, np.ndarray], day: str) -> np.ndarray:
    """Rows whose ISO day is ``day`` or later (a missing day never is)."""
    codes, uniques = column
    return codes >= np.searchsorted(uniques, day, side="left") if len(uniques) else np.zeros(len(codes), bool)


def text_counts(db: sqlite_utils.Database, view: Filters, recent_start: dt.date, base_start: dt.date,
                cap: int, roles=None) -> tuple[pd.DataFrame, int]:
    """Original posts grouped by exact text under ``view`` (dates, platforms, segments, regions) by
    authors of ``roles``: (text, n_all, n_recent from ``recent_start``, n_base from ``base_start`` up to
    ``recent_start``), the most repeated first, then the newest, then by text; at most ``cap`` texts.
    Also returns the original posts of the whole view (what the counts would cover without the cap).
    Selections and sums over ``text_index`` (numbers only), so a filter change reads no text."""
    ix = text_index(db)
    day = ix["day"]
    keep = np.ones(len(ix["n"]), dtype=bool)
    # The rules of ``Filters.frame_mask`` on the coded columns: ISO day text compared with ISO dates.
    if view.date_from:
        keep &= _day_at_least(day, view.date_from.isoformat())
    if view.date_to:
        keep &= day[0] >= 0
        keep &= ~_day_at_least(day, (view.date_to + dt.timedelta(days=1)).isoformat())
    if view.platforms:
        keep &= _coded_in(ix["platform"], view.platforms)
    if view.segments:
        keep &= _coded_in(ix["segment"], view.segments)
    if view.regions:
        keep &= _coded_in(ix["region"], view.regions)
    if roles:
        keep &= _coded_in(ix["role"], roles)
    sel = np.flatnonzero(keep)
    tid = ix["text_id"][sel]
    n = ix["n"][sel]
    recent = _day_at_least(day, recent_start.isoformat())[sel]
    base = _day_at_least(day, base_start.isoformat())[sel] & ~recent
    size = len(ix["texts"])

    def per_text(weights: np.ndarray) -> np.ndarray:
        return np.bincount(tid, weights=weights, minlength=size).round().astype(np.int64)

    n_all, n_recent, n_base = per_text(n), per_text(n * recent), per_text(n * base)
    last = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last, tid, ix["last"][sel])
    ids = np.flatnonzero(np.bincount(tid, minlength=size) > 0)
    ids = ids[np.lexsort((ix["text_rank"][ids], -last[ids], -n_all[ids]))]
    total = int(n_all.sum())
    ids = ids[:max(int(cap), 0)]
    out = pd.DataFrame({"text": ix["texts"][ids], "text_id": ids.astype(np.int64), "n_all": n_all[ids],
                        "n_recent": n_recent[ids], "n_base": n_base[ids]})
    return out, total


def terms(db: sqlite_utils.Database, f: Filters, p: Periods, cap: int = TEXT_CAP,
          examples: int = 3, top_n: int = 25, roles=None) -> Terms:
    """Top terms of the compared periods (baseline and recent together) and the terms that
    rose in the recent period over the baseline, in posts by authors of ``roles`` (None: all).

    Counted from ``text_cube`` (kept per rows version): no query proportional to the posts runs
    on a filter change.
    """
    # Counted over the two compared periods only (the baseline's first day to the view's last).
    # Choosing "every earlier day" as baseline counts the whole range.
    view = window_filters(f, p)
    rows, full = text_counts(db, view, p.recent_start, p.base_start, cap, roles=roles)
    n_all, n_recent, n_base = (int(rows[c].sum()) for c in ("n_all", "n_recent", "n_base"))
    covered = n_all / full if full and len(rows) >= cap else 1.0
    kept = text_cube(db)["texts"]["terms"].to_numpy(dtype=object)
    toks = [tuple(t.split(TERM_SEP)) if t else () for t in kept[rows["text_id"].to_numpy()]]
    sums, pairs = term_counts(rows, toks)
    table = term_table(sums, n_all, n_recent, n_base)
    # Examples: the most repeated texts carrying each shown term (recent ones for emerging terms).
    shown = set(table.loc[table["emerging"], "term"])
    for kind in ("term", "hashtag"):
        shown |= set(table[table["kind"] == kind].nlargest(top_n, "n_all")["term"])
    sel = pairs[pairs["term"].isin(shown)]
    texts_of = rows["text"].to_numpy(dtype=object)
    by_all = sel.sort_values(["n_all", "row"], ascending=[False, True]).groupby("term", sort=False)
    texts = {term: texts_of[g["row"].to_numpy()[:200]].tolist() for term, g in by_all}
    emerging_terms = set(table.loc[table["emerging"], "term"])
    recent_sel = sel[sel["term"].isin(emerging_terms) & (sel["n_recent"] > 0)]
    by_recent = recent_sel.sort_values(["n_recent", "row"], ascending=[False, True]).groupby("term", sort=False)
    recent_ex = {term: texts_of[g["row"].to_numpy()[:examples]].tolist() for term, g in by_recent}
    table["examples"] = [
        (recent_ex.get(term) if term in emerging_terms else None) or texts.get(term, [])[:examples]
        for term in table["term"]]
    return Terms(table=table, texts=texts, n_all=n_all, n_recent=n_recent, n_base=n_base,
                 distinct_texts=len(rows), covered_share=covered, periods=p)


def day_filters(f: Filters) -> Filters:
    """The filters for the posts of one day of the view: its date range left out (the day lies in it), so
    moving the range does not read a day's posts again."""
    return Filters(segments=f.segments, regions=f.regions, platforms=f.platforms)


def window_filters(f: Filters, p: Periods) -> Filters:
    """The filters with the dates of the two compared periods (what ``terms`` counts)."""
    return Filters(date_from=p.base_start, date_to=p.end, segments=f.segments, regions=f.regions,
                   platforms=f.platforms)


# -- corrections ---------------------------------------------------------------------------------

def correction_label(score: float | None) -> str:
    """The five-point label closest to a stored score (for showing a correction)."""
    if score is None or pd.isna(score):
        return "none"
    return min(CORRECTION_SCORES, key=lambda k: abs(CORRECTION_SCORES[k] - float(score)))


def posts_view(rows: pd.DataFrame) -> pd.DataFrame:
    """Posts as the page shows them: score next to text, the machine score and label."""
    out = rows.copy()
    out["label"] = sentiment.labels(out["sentiment"].astype(float))
    out["corrected"] = out["sentiment_corrected"].fillna(0).astype(int).astype(bool)
    out["machine"] = out["sentiment_vader"].where(out["corrected"])
    return out


# Newest posts of a segment or region: walking the posts newest first pays when the segment wrote at
# least this share of the posts (500 rows then come within ~25,000 posts read).
BY_TIME_SHARE = 0.02


def posts(db: sqlite_utils.Database, f: Filters, **kwargs) -> pd.DataFrame:
    """Posts under the filters as the page lists them (see ``store.listening.posts`` for options)."""
    if (f.segments or f.regions) and kwargs.get("order", "recent") == "recent":
        rows = cube(db)
        keep = f.frame_mask(rows, date="day")
        if kwargs.get("roles"):
            keep &= rows["role"].isin(list(kwargs["roles"])).to_numpy()
        total = int(rows["posts"].sum())
        kwargs["by_time"] = bool(total) and int(rows.loc[keep, "posts"].sum()) >= BY_TIME_SHARE * total
    if (f.segments or f.regions) and kwargs.get("day"):
        # One day of a segment: its accounts' posts of the day (a short index range each) or the day's
        # posts (each looked up), whichever reads fewer rows.
        rows = cube(db)
        day_posts = int(rows.loc[rows["day"] == kwargs["day"], "posts"].sum())
        kwargs["by_account"] = q.linked_account_count(db, f) < day_posts
    return posts_view(q.posts(db, f, **kwargs))


def post_count(db: sqlite_utils.Database, f: Filters, **kwargs) -> int:
    return q.post_count(db, f, **kwargs)


def correction_count(db: sqlite_utils.Database) -> int:
    """Posts whose score a person has corrected (every post, whatever the filters)."""
    return q.correction_count(db)


def corrections(db: sqlite_utils.Database, limit: int = 1000) -> pd.DataFrame:
    return posts_view(q.corrections(db, limit))


def same_words(db: sqlite_utils.Database, post_id: str) -> list[str]:
    """Posts with the same words as ``post_id`` (same text, or its "RT " reshares)."""
    return q.same_text_ids(db, post_id)


def correct(db: sqlite_utils.Database, post_ids, label: str) -> int:
    """Store a person's label (a key of ``CORRECTION_SCORES``) as the score of these posts."""
    if label not in CORRECTION_SCORES:
        raise ValueError(f"a correction is one of {list(CORRECTION_SCORES)}, not {label!r}")
    return q.set_sentiment(db, list(post_ids), CORRECTION_SCORES[label])


def revert(db: sqlite_utils.Database, post_ids=None) -> int:
    """Give these posts (every corrected post when None) their machine score back."""
    return q.revert(db, None if post_ids is None else list(post_ids))
