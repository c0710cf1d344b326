"""The one page registry: every page's file, title, icon, URL path and one-line purpose.

It feeds the sidebar navigation, the Overview's "Where to go next", the tests and the benchmark.
Streamlit finds the pages itself (its ``pages/`` folder discovery): a page's URL path is its file's
name, so ``url_path`` is checked against the file (tests/test_registry.py). The Overview is also the
app's root (``app.py``), which is where a link to it goes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class PageEntry:
    file: str  # relative to the project root, e.g. "pages/continuum.py"
    title: str  # in the navigation and in the page report's name
    icon: str  # a Material icon, ":material/name:"
    url_path: str  # the page's URL path and the name saved views (scenarios) give their page
    purpose: str  # one line, shown under "Where to go next"

    @property
    def link(self) -> str:
        """What ``st.page_link`` takes: the default page is the app's root (``app.py``)."""
        return "app.py" if self.url_path == DEFAULT_PAGE else self.file

    def exists(self) -> bool:
        return (ROOT / self.file).exists()


DEFAULT_PAGE = "overview"

_ALL = (
    PageEntry("pages/overview.py", "Overview", ":material/dashboard:", "overview",
              "Dataset health, headline figures under the filters, and where to go next"),
    PageEntry("pages/continuum.py", "Continuum", ":material/linear_scale:", "continuum",
              "Channels from public to private, journeys, going public, talk/listen, what if"),
    PageEntry("pages/perception.py", "Perception gap", ":material/compare_arrows:", "perception",
              "What brands believe versus what consumers say"),
    PageEntry("pages/cascades.py", "Cascades", ":material/share:", "cascades",
              "How sharing spreads, who carries it, and seeding simulations"),
    PageEntry("pages/listening.py", "Listening", ":material/hearing:", "listening",
              "Volume, sentiment, emerging terms and spikes"),
    PageEntry("pages/service.py", "Service timing", ":material/timer:", "service",
              "First response, resolution, unanswered and hand-offs to private"),
    PageEntry("pages/customer_360.py", "Customer 360", ":material/person_search:", "customer_360",
              "One customer's whole history"),
    PageEntry("pages/workshop.py", "Workshop", ":material/co_present:", "workshop",
              "Scenarios, presentation decks and exports"),
    PageEntry("pages/data.py", "Data", ":material/upload_file:", "data",
              "Import your own CSV, Excel or JSON files"),
)

# A page is registered only when its file exists.
PAGES: tuple[PageEntry, ...] = tuple(p for p in _ALL if p.exists())


def by_url(url_path: str) -> PageEntry | None:
    return next((p for p in PAGES if p.url_path == url_path), None)


def title_of(url_path: str) -> str:
    page = by_url(url_path)
    return page.title if page else url_path
