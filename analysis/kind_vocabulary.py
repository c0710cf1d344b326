"""The kinds vocabulary as the Data page edits it: each interaction kind's meaning (``MEANINGS``), the
vocabulary with how often each kind is used, and setting a kind's meaning. The SQL is in
``analysis.store.kinds``."""

from __future__ import annotations

from analysis.store.kinds import MEANINGS, set_kind, vocabulary_with_usage

__all__ = ["MEANINGS", "set_kind", "vocabulary_with_usage"]
