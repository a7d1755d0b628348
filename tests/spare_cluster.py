"""A second, throwaway private PostGIS cluster (for restores into an empty cluster and for
stopping a database under a running app), created under ``var/test-clusters/`` and removed
afterwards."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager

from layers import cluster
from layers.config import PROJECT_ROOT, Settings, load_settings


def _free_port() -> int:
    for port in range(55000 + os.getpid() % 500, 56000):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port for a spare cluster")


@contextmanager
def spare_cluster(name: str) -> Iterator[Settings]:
    var = PROJECT_ROOT / "var" / "test-clusters" / f"{name}-{os.getpid()}"
    shutil.rmtree(var, ignore_errors=True)
    settings = load_settings(var_dir=var, db_port=_free_port(), database_url=None)
    try:
        cluster.up(settings)
        yield settings
    finally:
        cluster.stop(settings)
        shutil.rmtree(var, ignore_errors=True)
