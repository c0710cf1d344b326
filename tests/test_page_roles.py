"""Pages that show posts split them by author role (the brand, linked customers, other public voices),
under AppTest on the small demo; the expected counts are worked out here with plain SQL."""

from __future__ import annotations

import sqlite3

from analysis.store import roles
from tests import pagetest
from tests.pagetest import assert_clean, metrics

ROLE = ("CASE WHEN EXISTS (SELECT 1 FROM brand_accounts b WHERE b.platform = p.platform AND b.handle = "
        "p.author_handle) THEN 'brand' WHEN EXISTS (SELECT 1 FROM identities i WHERE i.platform = p.platform "
        "AND i.handle = p.author_handle) THEN 'customer' ELSE 'public' END")


def by_role(path) -> dict[str, tuple[int, float]]:
    """Posts and mean sentiment per author role, straight from the file."""
    with sqlite3.connect(path) as conn:
        rows = conn.execute(f"SELECT {ROLE} AS role, COUNT(*), AVG(sentiment) FROM posts p GROUP BY 1").fetchall()
    return {r: (n, m) for r, n, m in rows}


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


def test_overview_counts_customers_and_public_voices_by_default_and_the_brand_on_request(app_db):
    counts = by_role(app_db)
    at = pagetest.open_page("pages/overview.py")
    assert_clean(at)
    assert at.button_group(key="ov_roles").value == list(roles.DEFAULT_ROLES)
    m = metrics(at)
    assert as_int(m["Public posts"]) == counts["customer"][0] + counts["public"][0]
    table = next(d.value for d in at.dataframe if "Authors" in d.value.columns).set_index("Authors")
    for role, (n, mean) in counts.items():
        assert table.loc[roles.ROLE_LABELS[role], "Posts"] == n
        assert abs(table.loc[roles.ROLE_LABELS[role], "Mean sentiment"] - mean) < 1e-9
    # The brand's own voice alone, from a link.
    at = pagetest.open_page("pages/overview.py", ov_roles=roles.ROLE_LABELS["brand"])
    assert_clean(at)
    m = metrics(at)
    assert as_int(m["Public posts"]) == counts["brand"][0]
    assert m["Mean sentiment"] == f"{counts['brand'][1]:+.2f}"
    # Changing the choice on the page.
    at.button_group(key="ov_roles").set_value(["customer", "public", "brand"]).run()
    assert as_int(metrics(at)["Public posts"]) == sum(n for n, _ in counts.values())


def test_listening_splits_by_author_role_and_shows_the_brand_alone_on_request(app_db):
    counts = by_role(app_db)
    at = pagetest.open_page("pages/listening.py")
    assert_clean(at)
    assert as_int(metrics(at)["Posts"]) == counts["customer"][0] + counts["public"][0]
    table = next(d.value for d in at.dataframe if "Authors" in d.value.columns
                 ).set_index("Authors")
    for role, (n, mean) in counts.items():
        assert table.loc[roles.ROLE_LABELS[role], "Posts"] == n
        assert abs(table.loc[roles.ROLE_LABELS[role], "Mean sentiment"] - mean) < 1e-9
    listed = next(d.value for d in at.dataframe if d.key == "ls_posts")
    assert roles.ROLE_LABELS["brand"] not in set(listed["Author role"])
    at = pagetest.open_page("pages/listening.py", ls_roles=roles.ROLE_LABELS["brand"])
    assert_clean(at)
    m = metrics(at)
    assert as_int(m["Posts"]) == counts["brand"][0]
    assert m["Mean sentiment"] == f"{counts['brand'][1]:+.2f}"
    listed = next(d.value for d in at.dataframe if d.key == "ls_posts")
    assert len(listed) and set(listed["Author role"]) == {roles.ROLE_LABELS["brand"]}


def test_cascades_label_the_root_authors_role(app_db):
    at = pagetest.open_page("pages/cascades.py")
    assert_clean(at)
    top = next(d.value for d in at.dataframe if "root_id" in d.value.columns)
    with sqlite3.connect(app_db) as conn:
        expected = dict(conn.execute(f"SELECT p.post_id, {ROLE} FROM posts p").fetchall())
    assert len(top) and top["role_label"].tolist() == [roles.ROLE_LABELS[expected[r]] for r in top["root_id"]]
