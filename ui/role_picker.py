"""The author-role control shared by the pages that show posts (not a page itself)."""

from __future__ import annotations

import streamlit as st

from analysis import authors as roles

HELP = ("Who wrote the posts counted here: accounts linked to a customer (identities), other public "
        "voices, or the brand's own accounts (brand_accounts). By default the brand's own posts are left "
        "out, so its replies and sign-offs do not pass for what the market says.")


def picker(key: str, container=None) -> tuple[str, ...]:
    """The chosen author roles, in ``roles.ROLES`` order, kept in the URL; none chosen means the default."""
    where = container if container is not None else st
    chosen = where.pills("Authors", list(roles.ROLES), selection_mode="multi", default=list(roles.DEFAULT_ROLES),
                         format_func=roles.ROLE_LABELS.get, key=key, bind="query-params",
                         persist_state="session", help=HELP)
    picked = tuple(r for r in roles.ROLES if r in set(chosen or ()))
    if not picked:
        where.caption(f"No author chosen: counting the default, {words(roles.DEFAULT_ROLES)}.")
    return picked or roles.DEFAULT_ROLES


SHORT = {"customer": "customers", "public": "other voices", "brand": "the brand"}


def words(chosen, short: bool = False) -> str:
    """The chosen roles in words, for captions (``short``: for charts half the page wide)."""
    names = [SHORT[r] if short else roles.ROLE_LABELS[r].lower() for r in roles.ROLES if r in set(chosen)]
    if len(names) == len(roles.ROLES):
        return "every author"
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
