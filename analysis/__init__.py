"""Continuum analysis: loading, validation, storage, statistics and simulation (no streamlit)."""
