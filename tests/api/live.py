"""A real uvicorn process on 127.0.0.1 for tests that drive real clients (GDAL, Chromium).

The server runs in a separate process: pyogrio keeps the GIL while GDAL fetches, so a server
thread in the test process would never answer. Its access log is kept so tests can check
what the client actually asked the server (e.g. that a filter ran server-side).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Live:
    base: str
    log: Path

    def requests_since(self, mark: int) -> str:
        """Access-log text written after ``mark`` (a previous ``len(log)``)."""
        return self.log.read_text()[mark:]

    def mark(self) -> int:
        return len(self.log.read_text())


def free_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


@contextmanager
def uvicorn_server(database_url: str, log: Path, **env: str) -> Iterator[Live]:
    port = free_port()
    full_env = {**os.environ, "ALLPA_DATABASE_URL": database_url, **env}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "api.app:create_app", "--factory",
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(400):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            pytest.fail("uvicorn did not start: " + log.read_text())
        yield Live(base, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
