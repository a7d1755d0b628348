"""The private cluster knows itself by its system identifier, not by its path.

These tests start real PostgreSQL clusters in temporary directories on a free port (never the
project's own cluster, never 5432)."""

from __future__ import annotations

import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from layers import cluster
from layers.config import Settings, load_settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def private() -> Iterator[Settings]:
    """Settings for a throwaway cluster under the project's var/ (not pytest's tmp_path: every
    pytest run as the same user resets /tmp/pytest-of-<user> to 0700, which the ``postgres``
    user running the cluster could then no longer traverse). Stopped and removed afterwards."""
    project_var = load_settings().var
    project_var.mkdir(parents=True, exist_ok=True)
    var = Path(tempfile.mkdtemp(prefix="test-cluster-", dir=project_var))
    settings = load_settings(var_dir=var, db_port=_free_port(), database_url=None)
    yield settings
    for pgdata in settings.var.glob("pgdata*"):
        if (pgdata / "postmaster.pid").exists():
            cluster._run([cluster._pg_ctl(settings), "-D", str(pgdata), "-m", "immediate",
                          "-w", "stop"], "pg_ctl stop")
    shutil.rmtree(var)


def test_own_cluster_is_recognised_restarted_and_stopped(private: Settings) -> None:
    cluster.init(private)
    cluster.start(private)
    assert cluster.is_running(private)
    ours = cluster.system_identifier(private)
    assert cluster.running_identity(private) == (ours, str(private.pgdata))
    cluster.start(private)  # already running and ours: nothing to do, no refusal
    assert cluster.stop(private)
    assert not cluster.is_running(private)
    assert not cluster.owns_running_server(private)
    assert not cluster.stop(private)  # stopping a stopped cluster is a no-op


def test_identifier_read_from_pg_control_is_what_pg_controldata_says(private: Settings) -> None:
    """Every command reads the identifier straight from ``global/pg_control`` (a process start
    saved); it must be the one ``pg_controldata`` prints, and the running server reports."""
    cluster.init(private)
    out = cluster._run([str(cluster.pg_bindir(private) / "pg_controldata"), "-D",
                        str(private.pgdata)], "pg_controldata")
    printed = next(int(line.split(":", 1)[1]) for line in out.splitlines()
                   if line.startswith("Database system identifier"))
    assert cluster.system_identifier(private) == printed
    cluster.start(private)
    assert cluster.running_identity(private)[0] == printed
    cluster.ensure_database(private, "otra")  # created with PostGIS, then found in one step
    cluster.ensure_database(private, "otra")


def test_foreign_cluster_with_the_same_path_is_refused(private: Settings) -> None:
    """Two roots (chroots, containers) with the same clone path: the server on our port even
    reports OUR data directory path, but it is another cluster; it must be refused (and never
    stopped by us)."""
    cluster.init(private)
    cluster.start(private)
    foreign_id = cluster.system_identifier(private)
    # That server keeps running from its files; they move out of the way, and a new cluster is
    # made at the very same path, as in a second root.
    private.pgdata.rename(private.var / "pgdata-other-root")
    assert cluster.init(private)
    ours = cluster.system_identifier(private)
    assert ours != foreign_id
    assert cluster.running_identity(private) == (foreign_id, str(private.pgdata))

    with pytest.raises(cluster.ClusterError) as refused:
        cluster.up(private)
    message = str(refused.value)
    assert str(foreign_id) in message and str(ours) in message
    assert "ALLPA_DB_PORT" in message

    assert not cluster.stop(private)  # `allpa db down` never stops someone else's server
    assert cluster.running_identity(private)[0] == foreign_id


def test_binaries_follow_the_version_the_data_directory_was_made_with(tmp_path: Path) -> None:
    settings = load_settings(var_dir=tmp_path / "var", database_url=None)
    newest = cluster.pg_bindir()
    assert (newest / "initdb").exists()
    settings.pgdata.mkdir(parents=True)
    (settings.pgdata / "PG_VERSION").write_text(newest.parent.name + "\n")
    assert cluster.pg_bindir(settings) == newest
    (settings.pgdata / "PG_VERSION").write_text("9\n")
    with pytest.raises(cluster.ClusterError, match="PostgreSQL 9"):
        cluster.pg_bindir(settings)
