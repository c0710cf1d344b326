"""Safe, offline network pictures: pyvis HTML with vis-network inlined, no CDN request, no user markup executed.

pyvis 0.3.2 has three ways to run markup from the data it is given, and one way to leave the machine:

* a node title containing the text ``href`` switches every tooltip to a popup that sets
  ``innerHTML = title``;
* the heading is written into the page unescaped;
* the select menu writes node ids unescaped;
* even with ``cdn_resources="in_line"`` the template links bootstrap from a CDN.

So labels and titles go in as plain text (vis-network 9 sets a string title with ``innerText`` and
draws labels on the canvas, so plain text is shown as text, and jinja's ``tojson`` keeps it from
closing the script element), with ``<``/``>`` swapped for look-alike angle quotes and every
``href`` broken by a zero-width space, so that even the popup mode, were it ever switched on, would
find neither a tag nor a link; no heading and no menus are ever passed; and the generated page is
post-processed: CDN tags and the empty heading removed, a Content-Security-Policy that forbids
every network request added, and the result checked (``check_html``) before it is returned.
``html.escape`` is not used on titles on purpose: vis-network would show its entities literally
("Fish &amp;amp; chips").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from pyvis.network import Network

# No fetch, no frame, no form target: only the inlined script and styles may run.
CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
       "font-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'")

MAX_NODES = 2000
MAX_TEXT = 280

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029]")
_HREF = re.compile(r"(h)(r)(e)(f)", re.IGNORECASE)
_CDN_TAG = re.compile(r"<(link|script)\b[^>]*\b(?:href|src)\s*=\s*[\"']?\s*(?:https?:)?//[^>]*>(?:\s*</script>)?",
                      re.IGNORECASE | re.DOTALL)
_HEADING = re.compile(r"<center>\s*<h1>\s*</h1>\s*</center>", re.IGNORECASE)
_REMOTE_ATTR = re.compile(r"\b(?:href|src|action|formaction)\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)


class UnsafeHtmlError(RuntimeError):
    """The generated page failed a safety check; it is never shown."""


def plain(text, limit: int = MAX_TEXT) -> str:
    """User text made inert for a vis-network label or tooltip, still readable."""
    s = "" if text is None else str(text)
    s = _CONTROL.sub(" ", s)
    s = s.replace("<", "\u2039").replace(">", "\u203a")
    s = _HREF.sub("\\1\\2\u200b\\3\\4", s)
    if len(s) > limit:
        s = s[: limit - 1].rstrip() + "\u2026"
    return s


@dataclass(frozen=True)
class Node:
    label: str
    title: str = ""
    color: str = "#8C8C8C"
    size: float = 10.0
    shape: str = "dot"
    font_size: int = 14


def network_html(nodes: Sequence[Node], edges: Sequence[tuple[int, int]], *, height_px: int = 560,
                 directed: bool = True, options: dict | None = None) -> str:
    """A self-contained HTML page drawing ``nodes`` (indexed 0..n-1) and ``edges`` (pairs of indices).

    Every label and title is passed through ``plain``; the page loads nothing from the network.
    """
    if len(nodes) > MAX_NODES:
        raise ValueError(f"{len(nodes)} nodes is too many to draw; sample at most {MAX_NODES}")
    net = Network(height=f"{int(height_px)}px", width="100%", directed=directed, cdn_resources="in_line",
                  heading="", select_menu=False, filter_menu=False, neighborhood_highlight=False)
    for i, node in enumerate(nodes):
        net.add_node(i, label=plain(node.label, 60), title=plain(node.title), color=str(node.color),
                     size=float(node.size), shape=node.shape if node.shape in ("dot", "diamond", "star", "square",
                                                                               "triangle") else "dot",
                     font={"size": int(node.font_size)})
    n = len(nodes)
    for a, b in edges:
        if 0 <= int(a) < n and 0 <= int(b) < n:
            net.add_edge(int(a), int(b))
    net.options = options or default_options()
    return make_offline(net.generate_html())


def default_options() -> dict:
    return {
        "physics": {"solver": "forceAtlas2Based",
                    "forceAtlas2Based": {"gravitationalConstant": -40, "springLength": 40, "avoidOverlap": 0.2},
                    "stabilization": {"enabled": True, "iterations": 250, "fit": True}},
        "interaction": {"hover": True, "tooltipDelay": 120, "navigationButtons": False},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.4}}, "color": {"color": "#B8B8B8"},
                  "smooth": False, "width": 1},
        "nodes": {"font": {"size": 14, "face": "Helvetica, Arial, sans-serif", "strokeWidth": 4,
                           "strokeColor": "#ffffff"}, "borderWidth": 1},
    }


def make_offline(html: str) -> str:
    """Strip every CDN tag and the empty heading, add a no-network Content-Security-Policy, then check."""
    html = _CDN_TAG.sub("", html)
    html = _HEADING.sub("", html)
    html = html.replace("<head>", f'<head>\n<meta http-equiv="Content-Security-Policy" content="{CSP}">', 1)
    # Without bootstrap the card wrapper needs no styling; keep the page edge-to-edge.
    html = html.replace("</head>", "<style>body{margin:0;font-family:Helvetica,Arial,sans-serif}</style>\n</head>", 1)
    check_html(html)
    return html


def check_html(html: str) -> None:
    """Raise ``UnsafeHtmlError`` if the page could fetch from the network or show titles as HTML."""
    if "Content-Security-Policy" not in html:
        raise UnsafeHtmlError("no Content-Security-Policy")
    if _REMOTE_ATTR.search(html):
        raise UnsafeHtmlError("a tag still loads from the network")
    if "popup.innerHTML" in html or "function showPopup" in html:
        raise UnsafeHtmlError("pyvis's HTML popup mode is on")
    if "vis.Network" not in html or "vis-network" not in html.lower():
        raise UnsafeHtmlError("vis-network is not inlined")
