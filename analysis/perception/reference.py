"""The reference preset: the IBM IBV 2010 study's motives (ranks for all twelve, shares where known) and headlines."""

from __future__ import annotations

import pandas as pd

from analysis import store

CITATION = ("Carolyn Heller Baird and Gautam Parasnis, \"From social media to Social CRM: What customers want\", "
            "IBM Institute for Business Value, 2011 (online surveys of 1,056 consumers and 351 executives, "
            "October 2010). Ranks of all twelve motives are confirmed from public secondary sources; "
            "percentages only for a few rows. Empty cells are unknown and are not filled.")
CITATION_SHORT = "IBM Institute for Business Value, \"From social media to Social CRM\" (Baird & Parasnis, 2011)"

REFERENCE_DIR = store.PROJECT_ROOT / "data" / "reference"
REFERENCE_FILE = REFERENCE_DIR / "ibm_2010_motives.csv"
HEADLINES_FILE = REFERENCE_DIR / "ibm_2010_headlines.csv"

DEFAULT_LABELS = {"a_label": "Consumers", "b_label": "Businesses", "a_short": "consumer", "b_short": "business",
                   "b_is_belief": True}


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
    df.attrs.update(DEFAULT_LABELS, source=CITATION_SHORT, notes=[])
    return df


def load_headlines() -> pd.DataFrame:
    """Headline figures of the study: figure, value (as published, text), value_num (NaN when not a single
    number, e.g. '0.05 / 0.75 / 0.20'), unit, confidence, source."""
    df = pd.read_csv(HEADLINES_FILE, dtype={"value": str})
    df.insert(2, "value_num", pd.to_numeric(df["value"], errors="coerce"))
    return df
