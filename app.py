"""Continuum's entry point (``streamlit run app.py``): the app's root URL, which shows the Overview.

Streamlit finds the pages in ``pages/`` itself (its documented ``pages/`` folder discovery) and runs the
one a URL names; each page opens the shared frame (sidebar navigation from the page registry, the global
filters, the deck bar) with ``ui.page_intro`` and closes it with ``ui.page_end``. Streamlit's own page list
is off (``.streamlit/config.toml``: ``client.showSidebarNavigation = false``) because the registry
(``ui/registry.py``) gives the titles, icons and order. This script never calls ``st.navigation``: with a
``pages/`` folder that would mix Streamlit's two multipage modes.
"""

from __future__ import annotations

import runpy

from ui import registry

runpy.run_path(str(registry.ROOT / registry.by_url(registry.DEFAULT_PAGE).file), run_name="__main__")
