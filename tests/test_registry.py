"""The page registry: one entry per file in pages/, each served at its file's name, feeding the Overview's
"Where to go next" and the sidebar links."""

from __future__ import annotations

from pathlib import Path

from tests import pagetest
from ui import registry

ROOT = Path(__file__).resolve().parents[1]


def test_every_file_in_pages_is_a_registered_page_and_nothing_else():
    # Streamlit makes a page of every .py file in pages/: glue code lives in ui/.
    files = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
    assert files == sorted(p.file for p in registry.PAGES)
    assert len({p.url_path for p in registry.PAGES}) == len(registry.PAGES) == 9


def test_a_page_is_served_at_its_file_name():
    # Streamlit's pages/ discovery takes the URL path from the file name, so the registry must agree.
    for p in registry.PAGES:
        assert Path(p.file).stem == p.url_path
        assert p.title and p.icon.startswith(":material/") and p.purpose
    assert registry.by_url("overview").link == "app.py"  # the default page is the app's root
    assert registry.by_url("data").link == "pages/data.py"
    assert registry.title_of("service") == "Service timing" and registry.title_of("gone") == "gone"


def test_where_to_go_next_and_the_sidebar_list_every_other_page(app_db):
    at = pagetest.open_page("pages/overview.py")
    pagetest.assert_clean(at)
    links = [e.proto for e in at.get("page_link")]
    labels = [link.label for link in links]
    for p in registry.PAGES:
        assert p.title in labels  # the sidebar
        if p.url_path != registry.DEFAULT_PAGE:
            assert any(label.startswith(f"{p.title}: ") for label in labels)  # where to go next
