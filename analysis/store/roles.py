"""Who wrote a post: the brand itself, a linked customer, or another public voice.

A post's role is derived, never stored: ``brand_accounts`` and ``identities`` are edited and
imported independently of posts, and a stored role would go stale with every such edit.
Every page that shows posts splits or filters by this one definition.
"""

from __future__ import annotations

ROLES: tuple[str, ...] = ("customer", "public", "brand")
ROLE_LABELS: dict[str, str] = {
    "customer": "Linked customers",
    "public": "Other public voices",
    "brand": "The brand's own accounts",
}
# What pages show by default: the voices of the market, not the brand talking to itself.
DEFAULT_ROLES: tuple[str, ...] = ("customer", "public")


def author_role_sql(alias: str = "") -> str:
    """A SQL expression giving 'brand', 'customer' or 'public' for the post row ``alias``.

    The brand wins over a customer link (a handle in both tables is the brand's account).
    Both look-ups are primary-key probes: (platform, handle) is the key of both tables.
    """
    a = f"{alias}." if alias else ""
    return (
        "(CASE WHEN EXISTS (SELECT 1 FROM brand_accounts ba_ "
        f"WHERE ba_.platform = {a}platform AND ba_.handle = {a}author_handle) THEN 'brand' "
        "WHEN EXISTS (SELECT 1 FROM identities id_ "
        f"WHERE id_.platform = {a}platform AND id_.handle = {a}author_handle) THEN 'customer' "
        "ELSE 'public' END)"
    )


def roles_clause(roles, alias: str = "") -> tuple[str, list]:
    """``(sql, params)`` keeping posts whose author has one of ``roles`` ('' when all roles)."""
    chosen = [r for r in dict.fromkeys(roles or ()) if r in ROLES]
    if not chosen or set(chosen) == set(ROLES):
        return "", []
    marks = ", ".join("?" * len(chosen))
    return f"{author_role_sql(alias)} IN ({marks})", chosen
