"""A real Streamlit server on the small demo database, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = ROOT / "test-results" / "screenshots"
# Chromium must not try to reach the network (the machine has none, and the app needs none).
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI for the browser tests")
        pytest.skip("chromium is not installed (make test installs it where it can)")


# The server runs under this launcher so that a failing test can ask it for a dump of every
# thread's stack (SIGUSR1), written to its log beside what Streamlit prints.
_LAUNCHER = (
    "import faulthandler, signal, sys\n"
    "faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)\n"
    "from streamlit.web.cli import main\n"
    "sys.argv = ['streamlit', *sys.argv[1:]]\n"
    "sys.exit(main())\n"
)


class Server:
    """``streamlit run app.py`` on a free port against ``db`` (a file, or a ``postgresql://`` address).

    Its output goes to a log file, never to a pipe nobody reads (a full pipe would block the server
    on its next log line). When a test fails, ``diagnostics()`` gives the log tail and a stack dump.
    """

    seen: list[Server] = []  # the servers the current test started or used

    def __init__(self, db: Path | str):
        self.port = _free_port()
        env = dict(os.environ, CONTINUUM_DB=str(db))
        self.log_path = Path(tempfile.mkstemp(prefix="streamlit-", suffix=".log")[1])
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        Server.seen.append(self)
        if not self.healthy(timeout=60):
            log = self.log_tail()
            self.stop()
            pytest.fail("streamlit did not become healthy:\n" + log)

    def healthy(self, timeout: float = 5) -> bool:
        """The health endpoint and the app's page (a static file) both answer."""
        deadline = time.time() + timeout
        while time.time() < deadline and self.proc.poll() is None:
            try:
                for path in ("/_stcore/health", "/"):
                    with urllib.request.urlopen(self.url + path, timeout=3) as r:
                        r.read()
                return True
            except OSError:
                time.sleep(0.2)
        return False

    def log_tail(self, chars: int = 6000) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-chars:]

    def diagnostics(self) -> str:
        """What the server printed, ending with the stack of each of its threads (if it still runs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(1.0)
            state = f"running; health check {'answers' if self.healthy(timeout=3) else 'does not answer'}"
        else:
            state = f"stopped (exit code {self.proc.returncode})"
        return f"server {self.url}: {state}\n--- its log ---\n{self.log_tail(20_000)}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        if not self._log.closed:
            self._log.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing browser test carries the log and thread stacks of every server it was talking to."""
    outcome = yield
    report = outcome.get_result()
    if report.failed and item.get_closest_marker("e2e"):
        for srv in Server.seen:
            report.sections.append((f"streamlit server {srv.url}", srv.diagnostics()))


@pytest.fixture(autouse=True)
def _servers_of_this_test():
    Server.seen = []
    yield


_shared: dict[str, Server] = {}  # one server per database the page tests open


def shared_server(db) -> str:
    """One server per database shared by the page tests, replaced when it stops answering, so that one
    wedged or crashed server fails the test that met it (with its diagnostics), not every test after it."""
    require_chromium()
    srv = _shared.get(str(db))
    if srv is not None and not srv.healthy(timeout=5):
        srv.stop()
        srv = None
    if srv is None:
        srv = _shared[str(db)] = Server(db)
    else:
        Server.seen.append(srv)
    return srv.url


@pytest.fixture
def server(demo_db):
    """The shared server on the small SQLite demo."""
    return shared_server(demo_db)


@pytest.fixture
def engine_server(engine, request):
    """The shared server on the small demo of each engine: the SQLite file, or the same demo on the
    throwaway PostgreSQL server (CONTINUUM_DB is its postgresql:// address)."""
    return shared_server(request.getfixturevalue("demo_db" if engine == "sqlite" else "pg_demo_db"))


@pytest.fixture(scope="session", autouse=True)
def _stop_shared_server():
    yield
    for srv in _shared.values():
        srv.stop()


def open_page(pg, url: str) -> None:
    """Navigate and let ``wait_for_app`` judge readiness (it waits for the app, not for every asset)."""
    pg.goto(url, wait_until="commit")


@pytest.fixture(scope="session")
def playwright_driver():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def browser(playwright_driver):
    """A browser of the test's own (under a second to start): nothing a previous test left in the
    browser (connections to the shared server, say) can hold this one up."""
    b = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1800})
    pg = context.new_page()
    external: list[str] = []

    def watch(request):
        if not request.url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            external.append(request.url)

    pg.on("request", watch)
    pg.external_requests = external
    yield pg
    context.close()


def wait_for_app(pg, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has rendered and finished running the script."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout_ms)
    pg.wait_for_selector("[data-testid='stMain'] h1", timeout=timeout_ms)
    # The sidebar's last control: the router has run to the end of its sidebar.
    if pg.locator("[data-testid='stSidebar']").count():
        pg.get_by_text("Presentation mode").first.wait_for(timeout=timeout_ms)
    deadline = time.time() + timeout_ms / 1000
    while time.time() < deadline:
        if pg.locator("[data-testid='stStatusWidget']").count() == 0:
            break
        pg.wait_for_timeout(200)
    pg.wait_for_timeout(800)  # let charts lay out before a screenshot


def shoot(pg, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path
