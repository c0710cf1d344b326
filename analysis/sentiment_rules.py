"""Bulk rules: "posts matching this phrase or pattern (optionally on this platform, by authors of
this role) are negative / neutral / positive", previewed, applied as people's corrections, reverted.

A rule is matched against each distinct text once (Python's ``re``, case-insensitive), then
applied to every post with a matching text in its scope. Applying stores each post's previous
score, so reverting gives back exactly what was there, unless a later correction or rule has
replaced the rule's score since (that later decision wins).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import pandas as pd
import sqlite_utils

from analysis import sentiment
from analysis.store import sentiment as q
from analysis.store.roles import ROLE_LABELS, ROLES

# The score a rule sets: the same points people pick when they correct one post.
RULE_SCORES: dict[str, float] = {"negative": -0.4, "neutral": 0.0, "positive": 0.4}
KINDS = ("phrase", "pattern")


class RuleError(ValueError):
    """A rule that cannot be used (the message says why)."""


@dataclass(frozen=True)
class Rule:
    pattern: str
    label: str
    kind: str = "phrase"
    platform: str | None = None
    role: str | None = None

    def __post_init__(self):
        if not str(self.pattern).strip():
            raise RuleError("a rule needs a phrase or pattern to match")
        if self.label not in RULE_SCORES:
            raise RuleError(f"a rule sets one of {', '.join(RULE_SCORES)}, not {self.label!r}")
        if self.kind not in KINDS:
            raise RuleError(f"a rule is a phrase or a pattern, not {self.kind!r}")
        if self.role is not None and self.role not in ROLES:
            raise RuleError(f"an author role is one of {', '.join(ROLES)}, not {self.role!r}")
        self.regex()  # an invalid pattern fails here, with its reason

    @property
    def score(self) -> float:
        return RULE_SCORES[self.label]

    def regex(self) -> re.Pattern:
        """Phrase: its words in order, whole words, any spacing and case. Pattern: a regular expression."""
        if self.kind == "phrase":
            words = str(self.pattern).split()
            return re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)", re.IGNORECASE)
        try:
            return re.compile(self.pattern, re.IGNORECASE)
        except re.error as e:
            raise RuleError(f"the pattern {self.pattern!r} is not a valid regular expression: {e}") from None

    def like(self) -> str | None:
        """A LIKE filter every match satisfies (phrase rules: the longest word), so SQL narrows first."""
        if self.kind != "phrase":
            return None
        word = max(str(self.pattern).split(), key=len)
        return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"

    def describe(self) -> str:
        what = f"posts containing “{self.pattern}”" if self.kind == "phrase" else f"posts matching /{self.pattern}/"
        scope = []
        if self.platform:
            scope.append(f"on {self.platform}")
        if self.role:
            scope.append(f"by {ROLE_LABELS[self.role].lower()}")
        return f"{what}{' ' + ' '.join(scope) if scope else ''} are {self.label}"


def matching_texts(db: sqlite_utils.Database, rule: Rule) -> pd.DataFrame:
    """Distinct texts in the rule's scope that it matches, with their number of posts."""
    texts = q.rule_candidates(db, rule.platform, rule.role, rule.like())
    if texts.empty:
        return texts
    hit = texts["text"].astype(str).str.contains(rule.regex(), regex=True)
    return texts[hit.to_numpy()].sort_values(["posts", "text"], ascending=[False, True]).reset_index(drop=True)


@dataclass
class Headline:
    scored: int
    mean: float
    positive: float
    neutral: float
    negative: float

    @classmethod
    def of(cls, h: dict) -> Headline:
        n = h["scored"]

        def share(k):
            return h[k] / n if n else float("nan")

        return cls(n, h["sum"] / n if n else float("nan"), share("positive"), share("neutral"), share("negative"))


@dataclass
class RulePreview:
    rule: Rule
    posts: int
    texts: int
    already: dict[str, int]  # matched posts by their current label
    corrected: int  # matched posts a person or rule already corrected
    before: Headline
    after: Headline
    examples: pd.DataFrame = field(default_factory=pd.DataFrame)

    def summary(self) -> str:
        if not self.posts:
            return f"No post matches: {self.rule.describe()}."
        change = self.posts - self.already.get(self.rule.label, 0)
        return (f"{self.posts:,} posts ({self.texts:,} distinct texts) match; {change:,} of them change label. "
                f"Negative share {self.before.negative:.1%} → {self.after.negative:.1%}, positive "
                f"{self.before.positive:.1%} → {self.after.positive:.1%}, mean sentiment "
                f"{self.before.mean:+.3f} → {self.after.mean:+.3f} (all posts, every filter off).")


def _matched_posts(db: sqlite_utils.Database, rule: Rule, texts: pd.DataFrame) -> pd.DataFrame:
    if texts.empty:
        return pd.DataFrame(columns=["post_id", "sentiment", "sentiment_corrected"])
    return q.matched_posts(db, rule.platform, rule.role, texts["text"].tolist())


def preview(db: sqlite_utils.Database, rule: Rule, examples: int = 10) -> RulePreview:
    """What applying ``rule`` would do: posts and texts matched, their labels now, examples, and
    the headline figures (over every post) before and after."""
    texts = matching_texts(db, rule)
    posts = _matched_posts(db, rule, texts)
    h = q.headline(db)
    scores = posts["sentiment"].astype(float)
    now = sentiment.labels(scores)
    already = {k: int((now == k).sum()) for k in RULE_SCORES}
    scored_before = int(scores.notna().sum())
    after = dict(h)
    # The rule gives every matched post a score, also one that had none.
    after["scored"] = h["scored"] - scored_before + len(posts)
    after["sum"] = h["sum"] - float(scores.fillna(0).sum()) + rule.score * len(posts)
    for k in RULE_SCORES:
        after[k] = h[k] - already[k] + (len(posts) if k == rule.label else 0)
    ex = texts.head(examples).copy()
    ex["label now"] = sentiment.labels(ex["score"].astype(float)) if len(ex) else []
    return RulePreview(rule, len(posts), len(texts), already, int(posts["sentiment_corrected"].fillna(0).sum()),
                       Headline.of(h), Headline.of(after), ex)


def apply(db: sqlite_utils.Database, rule: Rule) -> tuple[int, int]:
    """Set the rule's label on every matching post as a person's correction. Returns (rule id, posts)."""
    texts = matching_texts(db, rule)
    posts = _matched_posts(db, rule, texts)
    rule_id = q.add_rule(db, {"pattern": rule.pattern, "kind": rule.kind, "platform": rule.platform,
                              "role": rule.role, "label": rule.label, "score": rule.score,
                              "created_at": _now()}, posts)
    return rule_id, len(posts)


def revert(db: sqlite_utils.Database, rule_id: int) -> int:
    """Undo a rule: its posts get back their previous score where the rule's score still stands."""
    return q.revert_rule(db, int(rule_id), _now())


def rules(db: sqlite_utils.Database) -> pd.DataFrame:
    """Every rule, newest first, with its description and whether it still applies."""
    out = q.rules(db)
    out["rule"] = [Rule(r.pattern, r.label, r.kind, r.platform or None, r.role or None).describe()
                   for r in out.itertuples()]
    out["active"] = out["reverted_at"].isna()
    return out


def _now() -> str:
    return dt.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
