"""The project's own PostgreSQL + PostGIS cluster under ``var/`` (never the machine's 5432).

PostgreSQL refuses to run as root, so when we are root the cluster is owned and run by the
``postgres`` system user that Debian's packages create.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg

from geo.errors import AllpaError
from layers.config import Settings


class ClusterError(AllpaError, RuntimeError):
    """The private cluster could not be created, started or reached."""

    code = "cluster_error"


@dataclass(frozen=True)
class ClusterStatus:
    initialised: bool
    running: bool
    port: int
    pgdata: Path
    postgis: str | None


def pg_bindir() -> Path:
    """Newest PostgreSQL server binaries installed by Debian packages."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), reverse=True)
    if not candidates:
        raise ClusterError(
            "No se encontró PostgreSQL (initdb). Ejecute 'make setup' (instala "
            "postgresql-15-postgis-3) / PostgreSQL not found: run 'make setup'."
        )
    return candidates[0].parent


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _run(cmd: list[str], what: str) -> str:
    proc = subprocess.run(_as_owner(cmd), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ClusterError(f"{what} falló / failed: {proc.stderr.strip() or proc.stdout.strip()}")
    return proc.stdout


def _chown_tree(path: Path) -> None:
    if os.geteuid() != 0:
        return
    owner = pwd.getpwnam("postgres")
    for p in [path, *path.rglob("*")]:
        os.chown(p, owner.pw_uid, owner.pw_gid)


def _prepare_dirs(settings: Settings) -> None:
    for d in (settings.var, settings.socket_dir, settings.var / "log"):
        d.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for d in (settings.socket_dir, settings.var / "log"):
            os.chown(d, owner.pw_uid, owner.pw_gid)
        # postgres must be able to traverse every parent of var/.
        for parent in [settings.var, *settings.var.parents]:
            mode = parent.stat().st_mode
            if not mode & 0o001:
                os.chmod(parent, mode | 0o001)


def is_running(settings: Settings) -> bool:
    try:
        with psycopg.connect(
            host="127.0.0.1", port=settings.port, user="postgres", dbname="postgres",
            connect_timeout=2,
        ):
            return True
    except psycopg.OperationalError:
        return False


def init(settings: Settings) -> bool:
    """Create the cluster if absent; returns True when it was created now."""
    _prepare_dirs(settings)
    if (settings.pgdata / "PG_VERSION").exists():
        return False
    settings.pgdata.mkdir(parents=True, exist_ok=True)
    _chown_tree(settings.pgdata)
    _run(
        [str(pg_bindir() / "initdb"), "-D", str(settings.pgdata), "-U", "postgres",
         "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
        "initdb",
    )
    with (settings.pgdata / "postgresql.conf").open("a") as conf:
        conf.write(
            "\n# Allpa private cluster\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{settings.socket_dir}'\n"
            "max_connections = 100\nshared_buffers = 256MB\nwork_mem = 32MB\n"
            "maintenance_work_mem = 256MB\n"
        )
    return True


def _check_owner(settings: Settings) -> None:
    """The server on our port must be our cluster, never someone else's (e.g. another clone)."""
    with psycopg.connect(settings_admin_dsn(settings), connect_timeout=2) as conn:
        row = conn.execute("SHOW data_directory").fetchone()
    running_dir = Path(str(row[0])).resolve() if row else None
    if running_dir != settings.pgdata.resolve():
        raise ClusterError(
            f"El puerto {settings.port} lo usa otro clúster ({running_dir}), no el de este "
            f"proyecto ({settings.pgdata}). Deténgalo o use otro puerto con ALLPA_DB_PORT / "
            f"port {settings.port} is used by another cluster ({running_dir}); stop it or "
            f"set ALLPA_DB_PORT"
        )


def start(settings: Settings) -> None:
    if is_running(settings):
        _check_owner(settings)
        return
    _run(
        [str(pg_bindir() / "pg_ctl"), "-D", str(settings.pgdata), "-o", f"-p {settings.port}",
         "-l",
         str(settings.var / "log" / "postgresql.log"), "-w", "-t", "60", "start"],
        "pg_ctl start",
    )
    for _ in range(50):
        if is_running(settings):
            return
        time.sleep(0.2)
    raise ClusterError(f"PostgreSQL no responde en el puerto {settings.port} / not answering")


def stop(settings: Settings) -> None:
    if not (settings.pgdata / "PG_VERSION").exists() or not is_running(settings):
        return
    _run([str(pg_bindir() / "pg_ctl"), "-D", str(settings.pgdata), "-w", "-m", "fast", "stop"],
         "pg_ctl stop")


def ensure_database(settings: Settings, name: str) -> None:
    """Create database ``name`` with PostGIS if it does not exist."""
    with psycopg.connect(settings_admin_dsn(settings), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(settings_admin_dsn(settings, name), autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.errors.FeatureNotSupported as exc:  # pragma: no cover - setup problem
            raise ClusterError(
                "PostGIS no está instalado: ejecute 'make setup' (postgresql-15-postgis-3) / "
                f"PostGIS missing: {exc}"
            ) from exc


def drop_database(settings: Settings, name: str) -> None:
    with psycopg.connect(settings_admin_dsn(settings), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def settings_admin_dsn(settings: Settings, dbname: str = "postgres") -> str:
    if settings.database_url:
        url = settings.url(dbname).replace("postgresql+psycopg://", "postgresql://")
        return url
    return f"host=127.0.0.1 port={settings.port} user=postgres dbname={dbname}"


def status(settings: Settings) -> ClusterStatus:
    running = is_running(settings)
    postgis: str | None = None
    if running:
        try:
            with psycopg.connect(settings_admin_dsn(settings, settings.db_name)) as conn:
                row = conn.execute("SELECT postgis_full_version()").fetchone()
                postgis = str(row[0]).split('"')[1] if row else None
        except psycopg.Error:
            postgis = None
    return ClusterStatus(
        initialised=(settings.pgdata / "PG_VERSION").exists(),
        running=running,
        port=settings.port,
        pgdata=settings.pgdata,
        postgis=postgis,
    )


def up(settings: Settings) -> None:
    """Initialise (once), start, and create the database: what ``allpa db up`` does."""
    if settings.database_url:
        return
    if shutil.which("runuser") is None and os.geteuid() == 0:  # pragma: no cover
        raise ClusterError("runuser no disponible / runuser missing")
    init(settings)
    start(settings)
    ensure_database(settings, settings.db_name)
