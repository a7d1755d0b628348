"""The project's own PostgreSQL + PostGIS cluster under ``var/`` (never the machine's 5432).

PostgreSQL refuses to run as root, so when we are root the cluster is owned and run by the
``postgres`` system user that Debian's packages create.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg.pq import ExecStatus

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


def pg_bindir(settings: Settings | None = None) -> Path:
    """The PostgreSQL server binaries to use: the major version ``var/pgdata`` was made with
    (a data directory only runs under its own version), else the newest version installed with
    PostGIS, else the newest installed."""
    root = Path("/usr/lib/postgresql")
    if settings is not None and (settings.pgdata / "PG_VERSION").exists():
        made_with = (settings.pgdata / "PG_VERSION").read_text().strip()
        if (root / made_with / "bin" / "initdb").exists():
            return root / made_with / "bin"
        raise ClusterError(
            f"{settings.pgdata} se creó con PostgreSQL {made_with}, que ya no está instalado / "
            f"was made with PostgreSQL {made_with}, which is no longer installed"
        )
    versions = sorted(
        (p.parents[1] for p in root.glob("*/bin/initdb")),
        key=lambda d: int(d.name) if d.name.isdigit() else 0,
        reverse=True,
    )
    if not versions:
        raise ClusterError(
            "No se encontró PostgreSQL (initdb). Ejecute 'make setup' / "
            "PostgreSQL not found: run 'make setup'."
        )
    with_postgis = [
        v for v in versions
        if Path(f"/usr/share/postgresql/{v.name}/extension/postgis.control").exists()
    ]
    return (with_postgis or versions)[0] / "bin"


def _as_owner(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


def _run(cmd: list[str], what: str) -> str:
    # LC_ALL=C: pg_controldata's labels are translated otherwise.
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
    proc = subprocess.run(_as_owner(cmd), capture_output=True, text=True, check=False, env=env)
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
        [str(pg_bindir(settings) / "initdb"), "-D", str(settings.pgdata), "-U", "postgres",
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


def system_identifier(settings: Settings) -> int:
    """The unique id ``initdb`` gave our data directory.

    It is the first field of ``global/pg_control`` (``ControlFileData.system_identifier``, a
    uint64 in the machine's byte order, in every PostgreSQL version); read directly, since
    every command checks it and ``runuser … pg_controldata`` costs a process start. Where the
    file cannot be read (another owner), ``pg_controldata`` answers."""
    try:
        head = (settings.pgdata / "global" / "pg_control").read_bytes()[:8]
    except OSError:
        head = b""
    if len(head) == 8:
        return int.from_bytes(head, sys.byteorder)
    out = _run([str(pg_bindir(settings) / "pg_controldata"), "-D", str(settings.pgdata)],
               "pg_controldata")
    for line in out.splitlines():
        label, _, value = line.partition(":")
        if label.strip() == "Database system identifier":
            return int(value.strip())
    raise ClusterError(f"pg_controldata: sin identificador / no system identifier: {out[:200]}")


def running_identity(settings: Settings) -> tuple[int, str]:
    """System identifier and data directory of the server answering on our port.

    Asked over a replication connection (``IDENTIFY_SYSTEM``), which answers from the server's
    memory; ``pg_control_system()`` would read whatever file now sits at its path."""
    dsn = settings_admin_dsn(settings) + " replication=database"
    try:
        with psycopg.connect(dsn, autocommit=True, connect_timeout=2) as conn:
            ident = conn.pgconn.exec_(b"IDENTIFY_SYSTEM")
            where = conn.pgconn.exec_(b"SHOW data_directory")
            if ident.status != ExecStatus.TUPLES_OK or where.status != ExecStatus.TUPLES_OK:
                raise ClusterError((ident.error_message or where.error_message).decode())
            return int(ident.get_value(0, 0) or b"0"), (where.get_value(0, 0) or b"").decode()
    except (psycopg.Error, ClusterError) as exc:
        raise ClusterError(
            f"El servidor en el puerto {settings.port} no dice quién es; no es el clúster de "
            f"este proyecto ({settings.pgdata}). Deténgalo o elija otro puerto con "
            f"ALLPA_DB_PORT. / The server on port {settings.port} does not identify itself, so "
            f"it is not this project's cluster: stop it or set ALLPA_DB_PORT. ({exc})"
        ) from exc


def _check_owner(settings: Settings) -> None:
    """The server on our port must be OUR cluster, never someone else's: another clone, or
    another root (a container, a chroot) whose clone has the very same path. Paths can
    coincide; the system identifier ``initdb`` wrote into the data directory cannot."""
    ours = system_identifier(settings)
    theirs, their_dir = running_identity(settings)
    if theirs != ours:
        raise ClusterError(
            f"El puerto {settings.port} lo usa otro clúster PostgreSQL (identificador {theirs}, "
            f"datos {their_dir}), no el de este proyecto ({ours}, {settings.pgdata}). "
            f"Deténgalo o elija otro puerto con ALLPA_DB_PORT. / "
            f"Port {settings.port} is held by another PostgreSQL cluster (system identifier "
            f"{theirs}, data {their_dir}), not this project's ({ours}, {settings.pgdata}): "
            f"stop it or set ALLPA_DB_PORT."
        )


def _pg_ctl(settings: Settings) -> str:
    return str(pg_bindir(settings) / "pg_ctl")


def owns_running_server(settings: Settings) -> bool:
    """``pg_ctl status``: is a server running from OUR data directory (whatever its port)?"""
    if not (settings.pgdata / "PG_VERSION").exists():
        return False
    proc = subprocess.run(
        _as_owner([_pg_ctl(settings), "-D", str(settings.pgdata), "status"]),
        capture_output=True, text=True, check=False,
    )
    return proc.returncode == 0


def start(settings: Settings) -> None:
    if is_running(settings):
        _check_owner(settings)
        return
    _run(
        [_pg_ctl(settings), "-D", str(settings.pgdata), "-o", f"-p {settings.port}",
         "-l",
         str(settings.var / "log" / "postgresql.log"), "-w", "-t", "60", "start"],
        "pg_ctl start",
    )
    for _ in range(50):
        if is_running(settings):
            _check_owner(settings)
            return
        time.sleep(0.2)
    raise ClusterError(f"PostgreSQL no responde en el puerto {settings.port} / not answering")


def stop(settings: Settings) -> bool:
    """Stop our cluster if it runs (True if it did); someone else's server on our port is
    left alone."""
    if not owns_running_server(settings):
        return False
    _run([_pg_ctl(settings), "-D", str(settings.pgdata), "-w", "-m", "fast", "stop"],
         "pg_ctl stop")
    return True


def ensure_database(settings: Settings, name: str) -> None:
    """Create database ``name`` with PostGIS if it does not exist (one connection, to the
    database itself, when it is already there: every command asks)."""
    try:
        with psycopg.connect(settings_admin_dsn(settings, name), autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
                return
    except psycopg.OperationalError:
        pass  # no such database yet
    with psycopg.connect(settings_admin_dsn(settings), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(settings_admin_dsn(settings, name), autocommit=True) as conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.errors.FeatureNotSupported as exc:  # pragma: no cover - setup problem
            raise ClusterError(
                "PostGIS no está instalado: ejecute 'make setup' / "
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
