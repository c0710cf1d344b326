"""How often the machine's sentiment agrees with people: a labelled random sample (stratified by
platform and machine label), accuracy, Cohen's kappa and the confusion matrix with intervals, and
the one caption every sentiment figure in the app carries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlite_utils

from analysis import sentiment, stats
from analysis.store import aggregates
from analysis.store import sentiment as q

LABELS = ("negative", "neutral", "positive")
INVITE = 50  # posts a first labelling round asks for
BOOTSTRAP = 2000
SEED = 15


# -- statistics ---------------------------------------------------------------------------------

def confusion(people, machine) -> pd.DataFrame:
    """Counts: rows what people said, columns what the machine said (negative, neutral, positive)."""
    p = pd.Categorical(list(people), categories=LABELS)
    m = pd.Categorical(list(machine), categories=LABELS)
    if pd.isna(p).any() or pd.isna(m).any():
        raise ValueError(f"labels are one of {LABELS}")
    counts = np.zeros((3, 3), dtype=int)
    np.add.at(counts, (p.codes, m.codes), 1)
    return pd.DataFrame(counts, index=pd.Index(LABELS, name="people"), columns=pd.Index(LABELS, name="machine"))


def kappa(matrix) -> float:
    """Cohen's kappa of a square confusion matrix: (observed - chance agreement) / (1 - chance)."""
    m = np.asarray(matrix, dtype=float)
    n = m.sum()
    if n == 0:
        return float("nan")
    po = np.trace(m) / n
    pe = float((m.sum(axis=1) * m.sum(axis=0)).sum()) / (n * n)
    return float("nan") if pe == 1 else float((po - pe) / (1 - pe))


def _kappas(cells: np.ndarray) -> np.ndarray:
    """Kappa of many confusion matrices at once (shape B x 3 x 3)."""
    n = cells.sum(axis=(1, 2)).astype(float)
    po = np.trace(cells, axis1=1, axis2=2) / n
    pe = (cells.sum(axis=2) * cells.sum(axis=1)).sum(axis=1) / (n * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(pe < 1, (po - pe) / (1 - pe), np.nan)


@dataclass
class Agreement:
    n: int
    matrix: pd.DataFrame
    accuracy: float
    accuracy_ci: tuple[float, float]
    kappa: float
    kappa_ci: tuple[float, float]
    weighted_accuracy: float  # each platform x machine-label stratum weighted by its size
    scorer: str = ""

    def caption(self) -> str:
        if self.n == 0:
            return no_labels_caption()
        few = " Few labels: the intervals are wide; label more for a firmer figure." if self.n < INVITE else ""
        return (f"Agreement with people: the machine's label matched {self.accuracy:.0%} of {self.n:,} "
                f"post{'s' if self.n != 1 else ''} people labelled (95% CI {self.accuracy_ci[0]:.0%}–"
                f"{self.accuracy_ci[1]:.0%}; Cohen's κ {self.kappa:.2f}, "
                f"{self.kappa_ci[0]:.2f}–{self.kappa_ci[1]:.2f}).{few}")


def no_labels_caption() -> str:
    return (f"How far to trust machine sentiment is not measured yet: nobody has labelled posts. Label {INVITE} "
            "posts on the Listening page (Sentiment quality) to see how often the machine agrees with people.")


def measure(people, machine, strata=None, weights: dict | None = None, seed: int = SEED,
            resamples: int = BOOTSTRAP) -> Agreement:
    """Agreement of ``machine`` labels with ``people``'s. Accuracy with a Wilson interval; kappa with
    a percentile bootstrap interval (``resamples`` resamples of the labelled posts, seeded).
    ``strata`` and ``weights`` (stratum -> population size) give the stratum-weighted accuracy."""
    people, machine = list(people), list(machine)
    n = len(people)
    matrix = confusion(people, machine)
    if n == 0:
        nan = float("nan")
        return Agreement(0, matrix, nan, (nan, nan), nan, (nan, nan), nan)
    hits = int(np.trace(matrix.to_numpy()))
    lo, hi = stats.wilson_interval(hits, n)
    rng = np.random.default_rng(seed)
    cell = pd.Categorical(people, categories=LABELS).codes * 3 + pd.Categorical(machine, categories=LABELS).codes
    draws = cell[rng.integers(0, n, size=(resamples, n))]
    counts = np.stack([(draws == c).sum(axis=1) for c in range(9)], axis=1).reshape(resamples, 3, 3)
    ks = _kappas(counts)
    k_lo, k_hi = (np.nanpercentile(ks, [2.5, 97.5]) if np.isfinite(ks).any() else (np.nan, np.nan))
    weighted = float(hits / n)
    if strata is not None and weights:
        frame = pd.DataFrame({"s": list(strata), "hit": np.asarray(people) == np.asarray(machine)})
        per = frame.groupby("s")["hit"].mean()
        w = pd.Series({s: float(weights.get(s, 0)) for s in per.index})
        if w.sum() > 0:
            weighted = float((per * w).sum() / w.sum())
    return Agreement(n, matrix, hits / n, (float(lo), float(hi)), kappa(matrix), (float(k_lo), float(k_hi)), weighted)


# -- the database's labels ------------------------------------------------------------------------

def band(scores: pd.Series) -> pd.Series:
    return sentiment.labels(scores.astype(float)).replace("none", "neutral")


def labelled(db: sqlite_utils.Database) -> pd.DataFrame:
    """Labelled posts with the machine's current label and their stratum (platform / machine label)."""
    out = q.labelled(db)
    out["machine_label"] = band(out["machine"]) if len(out) else pd.Series(dtype=object)
    out["stratum"] = out["platform"] + " / " + out["machine_label"] if len(out) else pd.Series(dtype=object)
    return out


def stratum_weights(db: sqlite_utils.Database) -> dict[str, int]:
    """Distinct original texts per platform / machine label: a scan of every post, so it is kept in
    the database per rows version (which every change of a machine score moves)."""
    def compute() -> dict[str, int]:
        sizes = q.stratum_sizes(db)
        return {str(k): int(v) for k, v in zip(sizes["platform"] + " / " + sizes["band"], sizes["texts"])}

    return aggregates.memo(db, "agreement.stratum_weights", compute)


def agreement(db: sqlite_utils.Database, weights: dict | None = None) -> Agreement:
    """How the machine's current scores agree with everything people labelled. ``weights``
    (``stratum_weights``) give the stratum-weighted accuracy; without them it is the plain one."""
    rows = labelled(db)
    from analysis import scoring

    a = measure(rows["label"], rows["machine_label"], rows["stratum"], weights)
    a.scorer = scoring.describe(db)
    return a


def caption(db: sqlite_utils.Database) -> str:
    """The caption (or tooltip) every sentiment figure in the app carries. Reads only the labelled
    posts (primary-key look-ups), so it costs milliseconds on any page."""
    try:
        rows = labelled(db)
    except Exception:  # an old database without the tables: say nothing is measured
        return no_labels_caption()
    return measure(rows["label"], rows["machine_label"]).caption()


def draw_sample(db: sqlite_utils.Database, n: int = INVITE, seed: int | None = None) -> pd.DataFrame:
    """A new random sample of ``n`` unlabelled original posts for people to label, spread evenly
    over platform x machine label (a stratum with too few posts gives its share to the others).
    One post per distinct text and platform. Replaces the previous sample; labels already given stay."""
    pool = q.sample_frame(db)
    rng = np.random.default_rng(seed)
    if pool.empty:
        q.set_sample(db, pool.assign(stratum=pd.Series(dtype=object)))
        return pool
    pool["stratum"] = pool["platform"] + " / " + pool["band"]
    sizes = pool["stratum"].value_counts().sort_index()
    take = _allocate(sizes.to_numpy(), n)
    parts = []
    for stratum, k in zip(sizes.index, take):
        if k:
            rows = pool.index[pool["stratum"] == stratum].to_numpy()
            parts.append(pool.loc[rng.choice(rows, size=int(k), replace=False)])
    sample = pd.concat(parts).sample(frac=1.0, random_state=rng) if parts else pool.head(0)
    q.set_sample(db, sample[["post_id", "stratum"]])
    return sample.reset_index(drop=True)


def _allocate(sizes: np.ndarray, n: int) -> np.ndarray:
    """Equal shares of ``n`` over strata, capped by each stratum's size; leftovers go round again."""
    take = np.zeros(len(sizes), dtype=int)
    left = min(int(n), int(sizes.sum()))
    while left > 0:
        open_ = np.flatnonzero(take < sizes)
        share = max(1, left // len(open_))
        for i in open_:
            add = min(share, sizes[i] - take[i], left)
            take[i] += add
            left -= add
            if left == 0:
                break
    return take


def sample(db: sqlite_utils.Database) -> pd.DataFrame:
    """The current sample with each post's label so far (None: not labelled yet)."""
    return q.sample_posts(db)


def save_label(db: sqlite_utils.Database, post_id: str, label: str | None, stratum: str | None = None) -> None:
    """A person's label (negative, neutral, positive; None removes it). Scores do not change."""
    if label is not None and label not in LABELS:
        raise ValueError(f"a label is one of {LABELS}, not {label!r}")
    q.save_label(db, post_id, label, stratum, dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))


def skip(db: sqlite_utils.Database, post_id: str) -> None:
    """Leave a post of the sample unlabelled (unclear, or not about the brand)."""
    q.drop_from_sample(db, post_id)
