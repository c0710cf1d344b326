"""Who wrote a post, as the pages name it: the brand, a linked customer or another public voice (derived
from ``brand_accounts`` and ``identities`` in ``analysis.store.roles``, never stored)."""

from __future__ import annotations

from analysis.store.roles import DEFAULT_ROLES, ROLE_LABELS, ROLES

__all__ = ["ROLES", "DEFAULT_ROLES", "ROLE_LABELS"]
