"""Chart images through the system Chromium (kaleido), with nothing reaching the network."""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import os
import shutil
import threading
from collections.abc import Mapping

import plotly.graph_objects as go


class ChromiumNotFound(RuntimeError):
    """Chart images need a Chromium (or Chrome) executable and none was found."""


_BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_START_TIMEOUT = 60.0
_RENDER_TIMEOUT = 60.0
# Chromium gets this as its proxy: any request a figure or the browser itself tries
# fails at once instead of leaving the machine (local files are not proxied).
_NO_NETWORK_PROXY = "http://127.0.0.1:9"
DEFAULT_IMAGE_WIDTH = 1100
DEFAULT_IMAGE_HEIGHT = 500


def _is_exe(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def chromium_path() -> str:
    """The browser kaleido drives: $CONTINUUM_CHROMIUM, else chromium/chrome on PATH, else /usr/bin/chromium."""
    explicit = os.environ.get("CONTINUUM_CHROMIUM")
    if explicit:
        if _is_exe(explicit):
            return explicit
        raise ChromiumNotFound(f"CONTINUUM_CHROMIUM is set to {explicit!r}, which is not an executable file.")
    for name in _BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    if _is_exe("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    raise ChromiumNotFound(
        "Chart images (PNG, SVG and slides) need Chromium, which is not installed on this machine. "
        "Install it with `apt-get install chromium` (or set CONTINUUM_CHROMIUM to a Chromium or Chrome "
        "executable). The interactive HTML export works without it.")


class _Renderer:
    """One headless Chromium, kept open on its own event-loop thread.

    kaleido's ``start_sync_server`` does the same but waits forever when the
    browser fails to start or dies (its queue has no timeout) and hands results
    back through a queue that is not safe with several callers; Streamlit serves
    sessions from several threads. Futures give each call its own result and a timeout.
    """

    def __init__(self, browser: str):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="continuum-kaleido", daemon=True)
        self._thread.start()
        self._kaleido = None
        try:
            self._kaleido = self._call(self._open(browser), _START_TIMEOUT)
        except BaseException:
            self.close()
            raise

    @staticmethod
    async def _open(browser: str):
        import kaleido

        k = kaleido.Kaleido(path=browser, mathjax=False, timeout=_RENDER_TIMEOUT, proxy_server=_NO_NETWORK_PROXY)
        await k.open()
        return k

    def _call(self, coro, timeout: float):
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"Chromium did not answer within {timeout:.0f} s") from None

    def render(self, fig_dict: dict, opts: dict) -> bytes:
        return self._call(self._kaleido.calc_fig(fig_dict, opts=opts), _RENDER_TIMEOUT + 10)

    def close(self) -> None:
        if self._kaleido is not None:
            try:
                self._call(self._kaleido.close(), 15)
            except Exception:  # a dead browser has nothing left to close
                pass
            self._kaleido = None
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)


_renderer: _Renderer | None = None
_renderer_lock = threading.Lock()


def _get_renderer() -> _Renderer:
    global _renderer
    with _renderer_lock:
        if _renderer is None:
            _renderer = _Renderer(chromium_path())
        return _renderer


def stop_renderer() -> None:
    """Close the shared Chromium (it is started again on the next image)."""
    global _renderer
    with _renderer_lock:
        if _renderer is not None:
            _renderer.close()
            _renderer = None


atexit.register(stop_renderer)


def _figure_dict(fig) -> dict:
    if isinstance(fig, go.Figure):
        return fig.to_dict()
    if isinstance(fig, Mapping):
        return go.Figure(fig).to_dict()
    raise TypeError(f"expected a plotly Figure, got {type(fig).__name__}")


def _image(fig, fmt: str, scale: float, width: int | None, height: int | None) -> bytes:
    from choreographer.errors import BrowserClosedError, BrowserFailedError, ChannelClosedError

    d = _figure_dict(fig)
    layout = d.get("layout", {})
    opts = {"format": fmt, "scale": scale,
            "width": int(width or layout.get("width") or DEFAULT_IMAGE_WIDTH),
            "height": int(height or layout.get("height") or DEFAULT_IMAGE_HEIGHT)}
    renderer = _get_renderer()
    try:
        return renderer.render(d, opts)
    except (TimeoutError, BrowserClosedError, BrowserFailedError, ChannelClosedError):
        # The browser is gone or stuck: drop it so the next export starts a fresh one.
        global _renderer
        with _renderer_lock:
            if _renderer is renderer:
                _renderer = None
        renderer.close()
        raise


def figure_png(fig, scale: float = 2, *, width: int | None = None, height: int | None = None) -> bytes:
    """The chart as PNG bytes (``scale`` 2 suits slides and print). Raises ChromiumNotFound without a browser.

    Width and height default to the figure's layout, else 1100 × 500 layout pixels.
    """
    return _image(fig, "png", scale, width, height)


def figure_svg(fig, *, width: int | None = None, height: int | None = None) -> str:
    """The chart as SVG text. Raises ChromiumNotFound without a browser."""
    svg = _image(fig, "svg", 1, width, height)
    return svg.decode("utf-8") if isinstance(svg, bytes) else svg
