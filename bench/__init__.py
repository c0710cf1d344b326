"""Benchmarks that need Streamlit (the page timings through AppTest), kept out of ``analysis/``, which
imports no streamlit. ``python -m analysis bench`` runs them with the rest (imported when needed)."""
