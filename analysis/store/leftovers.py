"""Temporary files beside a database that a killed build or copy left behind.

A demo build writes ``.<name>.building-<pid>-...`` and a copy ``.<name>.copying-<pid>-...`` next to the
database, then moves the finished file into place; a process killed half-way leaves its file (and its
-wal, -shm, -journal). These are removed once their process is gone.
"""

from __future__ import annotations

import os
from pathlib import Path


def remove_stale(dst: Path, marker: str) -> None:
    """Remove ``.<dst.name>.<marker>-<pid>-*`` files whose process is no longer running."""
    prefix = f".{dst.name}.{marker}-"
    for tmp in dst.parent.glob(prefix + "*"):
        pid = tmp.name[len(prefix):].split("-", 1)[0]
        if pid.isdigit() and not alive(int(pid)):
            tmp.unlink(missing_ok=True)


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (another user's process counts as running)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
