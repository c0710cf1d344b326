"""Shared fixtures: a fresh in-memory database per test, and one small demo database per session."""

from __future__ import annotations

import shutil

import pytest

from analysis import demo, store


@pytest.fixture
def db():
    conn = store.memory_db()
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory):
    """A small demo database built once; tests must not write to it (use ``demo_db_copy``)."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    demo.build(path, scale="small", seed=7)
    return path


@pytest.fixture
def demo_db_copy(demo_db, tmp_path):
    path = tmp_path / "demo.sqlite"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture
def app_db(demo_db, monkeypatch):
    """Point the app (AppTest runs in this process) at the shared small demo database."""
    monkeypatch.setenv("CONTINUUM_DB", str(demo_db))
    return demo_db
