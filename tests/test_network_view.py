"""The pyvis network view: hostile handles and texts stay text, and the page loads nothing from the network."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from pyvis.network import Network

from analysis.charts import cascades as ccharts
from analysis.charts import network as network_view

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '" onmouseover="x',
    "click <a href=javascript:alert(1)>here</a>",
    "</script><script>alert(2)</script>",
    "HREF='javascript:alert(3)'",
    "<svg/onload=alert(4)>",
    "ann & bob's \"quotes\" \u2028 line",
]
CDN_HOSTS = ("cdn.jsdelivr.net", "cdnjs.cloudflare.com", "unpkg.com", "googleapis.com", "bootstrapcdn")


class Tags(HTMLParser):
    """Every start tag with its attributes, as a browser's tokenizer would see them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    p = Tags()
    p.feed(html)
    return p.tags


def hostile_page(n_extra: int = 0) -> str:
    nodes = [network_view.Node(label=h, title=f"{h}\n{h}") for h in HOSTILE]
    nodes += [network_view.Node(label=f"n{i}", title="plain") for i in range(n_extra)]
    edges = [(0, i) for i in range(1, len(nodes))]
    return network_view.network_html(nodes, edges)


def baseline_page() -> str:
    return network_view.network_html([network_view.Node(label="a"), network_view.Node(label="b")], [(0, 1)])


@pytest.mark.parametrize("n_extra", [0, 150])  # pyvis adds a loading bar above 100 nodes
def test_hostile_strings_produce_no_markup(n_extra):
    html = hostile_page(n_extra)
    tags = tags_of(html)
    # The same tags as a page of harmless nodes: nothing from the data became an element.
    assert sorted({t for t, _ in tags}) == sorted({t for t, _ in tags_of(baseline_page())})
    assert not any(t in ("img", "a", "svg", "iframe", "object", "embed", "form", "base") for t, _ in tags)
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        if tag == "script":
            assert "src" not in attrs
    for h in HOSTILE:
        assert h not in html
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html
    assert re.search(r"href\s*=\s*['\"]?javascript", html, re.IGNORECASE) is None
    assert html.count("<script") == baseline_page().count("<script")


def test_no_html_popup_mode_even_with_href_in_titles():
    html = hostile_page()
    assert "popup.innerHTML" not in html
    assert "function showPopup" not in html
    assert re.search(r"innerHTML\s*=\s*nodeData", html) is None
    # Unprotected pyvis would have switched to the innerHTML popup for the very same titles.
    raw = Network(cdn_resources="in_line")
    raw.add_node(0, label="x", title=HOSTILE[3])
    assert "popup.innerHTML" in raw.generate_html()


def test_titles_stay_readable_plain_text():
    html = hostile_page()
    data = json.loads(re.search(r"nodes = new vis\.DataSet\((\[.*?\])\);", html, re.DOTALL).group(1))
    titles = [d["title"] for d in data]
    assert titles[0] == "\u2039script\u203aalert(1)\u2039/script\u203a\n\u2039script\u203aalert(1)\u2039/script\u203a"
    assert all("href" not in t.lower() for t in titles)
    assert "hr\u200bef" in titles[3]
    assert titles[7].startswith("ann & bob's \"quotes\"")  # & and quotes are shown as typed, not as entities
    assert "\u2028" not in titles[7]


def test_the_page_loads_nothing_from_the_network():
    html = hostile_page(150)
    for host in CDN_HOSTS:
        assert host not in html
    for tag, attrs in tags_of(html):
        for name in ("src", "href", "action", "formaction"):
            value = (attrs.get(name) or "").strip().lower()
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    assert "vis.Network" in html and "vis-network" in html.lower()
    assert "<h1>" not in html  # no heading at all


def test_check_html_rejects_unsafe_pages():
    raw = Network(cdn_resources="in_line")
    raw.add_node(0, label="x", title="<a href='https://example.com'>x</a>")
    page = raw.generate_html()
    with pytest.raises(network_view.UnsafeHtmlError):
        network_view.check_html(page)  # no CSP, bootstrap from a CDN, innerHTML popups
    with pytest.raises(network_view.UnsafeHtmlError):
        network_view.check_html(network_view.make_offline(baseline_page()).replace(
            "</head>", '<script src="https://cdn.example/x.js"></script></head>'))


def test_plain():
    assert network_view.plain("a<b>c") == "a\u2039b\u203ac"
    assert network_view.plain("HrEf") == "Hr\u200bEf"
    assert network_view.plain("x" * 400).endswith("\u2026") and len(network_view.plain("x" * 400)) == 280
    assert network_view.plain(None) == ""
    assert network_view.plain("tab\tok\x00") == "tab\tok "


def test_too_many_nodes_are_refused():
    with pytest.raises(ValueError):
        network_view.network_html([network_view.Node(label="x")] * (network_view.MAX_NODES + 1), [])


def test_cascade_tree_with_hostile_authors_and_text():
    sample = pd.DataFrame({
        "root": ["p0"] * 4, "post_id": ["p0", "p1", "p2", "p3"], "parent": [None, "p0", "p0", "p1"],
        "depth": [0, 1, 1, 2], "platform": ["x"] * 4,
        "author_handle": [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[3]],
        "created_at": ["2025-01-01 00:00:00", "2025-01-01 01:00:00", "2025-01-01 02:00:00", "2025-01-01 03:00:00"],
        "sentiment": [0.5, None, -0.2, 0.0], "customer_id": [None, "C<1>", None, None],
        "text": [HOSTILE[4], "RT " + HOSTILE[4], HOSTILE[5], HOSTILE[6]],
    })
    html = ccharts.tree_html(sample)
    assert "popup.innerHTML" not in html
    assert not any(t in ("img", "a", "svg") for t, _ in tags_of(html))
    for h in HOSTILE[:7]:
        assert h not in html
    assert html.count("<script") == baseline_page().count("<script")
