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

One topic per module; this package names what it offers (``from analysis import perception as P``):

- ``reference``: the IBM IBV 2010 preset and its citation
- ``gaps``: gaps, tests and rank agreement between two groups, in numbers and words
- ``surveys``: the user's own surveys (two groups, segment and region breakdowns)
- ``lexicon``: the editable motive lexicon and classifying messages with it
- ``content``: the brand's public messages, their content mix, broadcast against listening
- ``alignment``: alignment with consumer interest and re-allocating the content mix
"""

from analysis.perception.alignment import (
    ALIGNMENT_DRAWS,
    ALIGNMENT_SEED,
    Alignment,
    alignment_score,
    alignment_whatif,
    reallocate,
)
from analysis.perception.content import (
    brand_content,
    brand_content_mix,
    brand_messages,
    broadcast_vs_listen,
    content_mix,
    kept_public_messages,
    once_each,
)
from analysis.perception.gaps import ALPHA, CONFIDENCE, format_p, gap_table, rank_agreement
from analysis.perception.lexicon import (
    OTHER,
    LexiconLike,
    add_keywords,
    as_lexicon,
    classify_messages,
    keyword_hits,
    keyword_pattern,
    lexicon_dict,
    lexicon_frame,
    remove_keywords,
    replace_lexicon,
    reset_lexicon,
)
from analysis.perception.reference import (
    CITATION,
    CITATION_SHORT,
    DEFAULT_LABELS,
    HEADLINES_FILE,
    REFERENCE_DIR,
    REFERENCE_FILE,
    load_headlines,
    load_reference,
)
from analysis.perception.surveys import group_shares, segment_breakdown, segment_differences, survey_studies
from analysis.store.perception import DEFAULT_LEXICON, MOTIVES

__all__ = [
    "MOTIVES",
    "DEFAULT_LEXICON",
    "CITATION",
    "CITATION_SHORT",
    "REFERENCE_DIR",
    "REFERENCE_FILE",
    "HEADLINES_FILE",
    "DEFAULT_LABELS",
    "load_reference",
    "load_headlines",
    "CONFIDENCE",
    "ALPHA",
    "format_p",
    "gap_table",
    "rank_agreement",
    "survey_studies",
    "group_shares",
    "segment_breakdown",
    "segment_differences",
    "OTHER",
    "LexiconLike",
    "lexicon_frame",
    "lexicon_dict",
    "add_keywords",
    "remove_keywords",
    "replace_lexicon",
    "reset_lexicon",
    "as_lexicon",
    "keyword_pattern",
    "keyword_hits",
    "classify_messages",
    "once_each",
    "kept_public_messages",
    "brand_messages",
    "content_mix",
    "brand_content_mix",
    "broadcast_vs_listen",
    "brand_content",
    "Alignment",
    "alignment_score",
    "reallocate",
    "ALIGNMENT_DRAWS",
    "ALIGNMENT_SEED",
    "alignment_whatif",
]
