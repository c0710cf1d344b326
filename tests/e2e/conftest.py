"""A real Streamlit server on the small demo database, and Debian's chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
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


class Server:
    """``streamlit run app.py`` on a free port against ``db``."""

    def __init__(self, db: Path):
        self.port = _free_port()
        env = dict(os.environ, CONTINUUM_DB=str(db))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.headless", "true",
             "--server.port", str(self.port), "--server.address", "127.0.0.1",
             "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail("streamlit did not become healthy: " + self.proc.stdout.read().decode(errors="replace")[-2000:])

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="session")
def server(demo_db):
    require_chromium()
    srv = Server(demo_db)
    yield srv.url
    srv.stop()


@pytest.fixture(scope="session")
def browser():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
