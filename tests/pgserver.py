"""A throwaway PostgreSQL server for tests and benchmarks: a fresh cluster in a temporary folder.

Finds Debian's server binaries (``pg_config --bindir``, else ``/usr/lib/postgresql/*/bin``), runs
``initdb`` (as the ``postgres`` user when this process is root: PostgreSQL refuses to run as root),
starts ``postgres`` on a free loopback port with its socket in the cluster folder, waits with
``pg_isready`` and stops and removes everything on ``stop()``.

    python -m tests.pgserver         # start one, print its address, stop on Ctrl-C

The cluster uses the C locale: text sorts byte by byte, as in SQLite, so both engines order names
the same way.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


class ServerUnavailable(RuntimeError):
    """PostgreSQL's server binaries are missing or the server would not start (the message says why)."""


def bindir() -> Path | None:
    """The folder with ``initdb`` and ``postgres``, or None when the server is not installed."""
    candidates = []
    if shutil.which("pg_config"):
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "postgres").exists():
            return Path(c)
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One throwaway cluster; ``address`` is the ``postgresql://`` URL of its ``postgres`` database."""

    def __init__(self, base: str | os.PathLike | None = None):
        self.bin = bindir()
        if self.bin is None:
            raise ServerUnavailable("PostgreSQL's server is not installed (apt-get install postgresql)")
        self.root = Path(tempfile.mkdtemp(prefix="continuum-pg-", dir=base))
        self.data = self.root / "data"
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.user = "postgres"
        self._as_root = os.geteuid() == 0

    def _run_as(self) -> list[str]:
        return ["runuser", "-u", "postgres", "--"] if self._as_root else []

    def start(self, timeout: float = 60.0) -> Server:
        self.data.mkdir()
        if self._as_root:
            # mkdtemp gives 0700 folders: the postgres user must be able to reach and own its cluster.
            for p in (self.root, *self.root.parents):
                if p == Path("/"):
                    break
                mode = p.stat().st_mode
                if not mode & 0o001:
                    os.chmod(p, mode | 0o711)
            shutil.chown(self.data, "postgres", "postgres")
            os.chmod(self.data, 0o700)
        else:
            self.user = os.environ.get("USER") or "postgres"
        log = self.root / "server.log"
        init = subprocess.run([*self._run_as(), str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust",
                               "-U", self.user, "-E", "UTF8", "--no-locale", "--no-sync"],
                              capture_output=True, text=True, timeout=timeout)
        if init.returncode:
            self.stop()
            raise ServerUnavailable(f"initdb failed: {init.stderr.strip()[-500:]}")
        with open(log, "w") as out:
            if self._as_root:
                shutil.chown(log, "postgres", "postgres")
            # fsync off: a test cluster is thrown away; durability costs time and proves nothing here.
            self.proc = subprocess.Popen(
                [*self._run_as(), str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port),
                 "-k", str(self.data), "-h", "127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                 "-c", "full_page_writes=off", "-c", "max_connections=60"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                text = log.read_text(errors="replace")[-800:]
                self.stop()
                raise ServerUnavailable(f"postgres exited at start-up: {text}")
            ready = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port),
                                    "-U", self.user, "-q"], timeout=10)
            if ready.returncode == 0:
                return self
            time.sleep(0.2)
        self.stop()
        raise ServerUnavailable(f"postgres did not accept connections within {timeout:.0f} s")

    @property
    def address(self) -> str:
        return self.url("postgres")

    def url(self, dbname: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """A new empty database on this server; returns its address."""
        import psycopg

        with psycopg.connect(self.address, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            # The server runs in its own session (its own process group): stop that group only.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 2)  # SIGINT: PostgreSQL's fast shutdown
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, 9)
                self.proc.wait(timeout=10)
        self.proc = None
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


if __name__ == "__main__":
    with Server() as server:
        print(server.address, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)
