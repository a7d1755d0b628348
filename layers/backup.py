"""Backups that restore: one archive with a consistent database dump, every stored file and
a manifest of SHA-256.

``pg_dump`` (custom format) takes one consistent snapshot of the database, so a backup made
while the service runs is coherent. Stored files are everything under ``var/`` that is data
(rasters today, case documents later), never the cluster's own directories. The manifest
lists every member with its size and SHA-256; :func:`restore` checks them all before it
touches anything, and refuses a target database that already holds Allpa tables.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import psycopg

from geo.errors import AllpaError, InputError, bilingual
from geo.filehash import sha256_file
from layers import cluster
from layers.config import Settings

FORMAT = "allpa-backup/1"
DUMP_NAME = "database.dump"
MANIFEST_NAME = "manifest.json"
FILES_PREFIX = "files"

#: Directories under ``var/`` that belong to the running system, not to the data.
NOT_DATA = frozenset({"pgdata", "log", "run", "npm", "test-clusters", "backups", "tmp"})


class BackupError(AllpaError):
    """A backup or restore could not be completed (tool failed, archive damaged...)."""

    code = "backup_failed"


class NotEmptyError(InputError):
    """The target database already holds data: restore only into an empty one."""

    code = "restore_target_not_empty"


@dataclass
class BackupReport:
    path: Path
    n_files: int
    bytes_files: int
    bytes_dump: int
    seconds: float


@dataclass
class RestoreReport:
    n_files: int
    n_tables: int
    seconds: float


def libpq_dsn(settings: Settings, db_name: str | None = None) -> str:
    """A libpq connection string for ``pg_dump``/``pg_restore`` (private or external)."""
    if settings.database_url:
        url = settings.url(db_name) if db_name else settings.database_url
        return url.replace("postgresql+psycopg://", "postgresql://", 1)
    name = db_name or settings.db_name
    return f"host=127.0.0.1 port={settings.port} user=postgres dbname={name}"


def data_files(var: Path) -> list[Path]:
    """Every stored data file under ``var`` (relative paths, sorted)."""
    if not var.is_dir():
        return []
    out: list[Path] = []
    for top in sorted(var.iterdir()):
        if top.name in NOT_DATA or top.is_symlink():
            continue
        candidates = [top] if top.is_file() else sorted(top.rglob("*"))
        out.extend(p.relative_to(var) for p in candidates if p.is_file() and not p.is_symlink())
    return out


def _tool(name: str) -> str:
    path = cluster.pg_bindir() / name
    return str(path) if path.exists() else name


def _run(cmd: list[str], what: str) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise BackupError(bilingual(f"{what} falló: {' | '.join(tail)}",
                                    f"{what} failed: {' | '.join(tail)}"))


def _schema_revision(settings: Settings) -> str | None:
    try:
        with psycopg.connect(libpq_dsn(settings), connect_timeout=5) as conn:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]) if row else None


def backup(settings: Settings, out: Path) -> BackupReport:
    """Write ``out`` (a .tar.gz): database dump + stored files + manifest."""
    started = dt.datetime.now(dt.UTC)
    cluster.up(settings)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    var = settings.var
    with tempfile.TemporaryDirectory(prefix="allpa-backup-") as tmp:
        dump = Path(tmp) / DUMP_NAME
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges",
              f"--file={dump}", libpq_dsn(settings)], "pg_dump")
        files = data_files(var)
        entries: list[dict[str, Any]] = [
            {"path": f"{FILES_PREFIX}/{p.as_posix()}", "size": (var / p).stat().st_size,
             "sha256": sha256_file(var / p)} for p in files]
        dump_size = dump.stat().st_size
        manifest: dict[str, Any] = {
            "format": FORMAT,
            "created_at": started.isoformat(timespec="seconds"),
            "database": {"name": settings.db_name, "schema_revision": _schema_revision(settings),
                         "dump": DUMP_NAME, "size": dump_size,
                         "sha256": sha256_file(dump)},
            "files": entries,
        }
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            data = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
            info = tarfile.TarInfo(MANIFEST_NAME)
            info.size, info.mtime = len(data), int(started.timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(dump, arcname=DUMP_NAME)
            for p in files:
                tar.add(var / p, arcname=f"{FILES_PREFIX}/{p.as_posix()}")
        os.replace(partial, out)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return BackupReport(out, len(files), sum(int(e["size"]) for e in entries),
                        dump_size, seconds)


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise BackupError(bilingual(f"Ruta insegura en la copia: {name}",
                                    f"unsafe path in the backup: {name}"))
    return path


def _extract_checked(archive: Path, into: Path) -> dict[str, Any]:
    """Extract regular files only, then verify every size and SHA-256 of the manifest."""
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar.getmembers():
                _safe_member(member.name)
                if not member.isfile():
                    continue
                target = into / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tar.extractfile(member)
                assert src is not None
                with target.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(bilingual(f"La copia '{archive.name}' está dañada ({exc})",
                                    f"backup '{archive.name}' is damaged ({exc})")) from None
    manifest_path = into / MANIFEST_NAME
    if not manifest_path.is_file():
        raise BackupError(bilingual("La copia no tiene manifest.json",
                                    "the backup has no manifest.json"))
    manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(bilingual(f"Formato de copia desconocido: {manifest.get('format')}",
                                    f"unknown backup format: {manifest.get('format')}"))
    checks = [(manifest["database"]["dump"], manifest["database"]["sha256"])]
    checks += [(e["path"], e["sha256"]) for e in manifest["files"]]
    for name, digest in checks:
        path = into / _safe_member(name)
        if not path.is_file() or sha256_file(path) != digest:
            raise BackupError(bilingual(f"'{name}' no coincide con el manifiesto (SHA-256)",
                                        f"'{name}' does not match the manifest (SHA-256)"))
    return manifest


def _user_tables(settings: Settings) -> int:
    with psycopg.connect(libpq_dsn(settings), connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
            "AND tablename <> 'spatial_ref_sys'").fetchone()
    return int(row[0]) if row else 0


def restore(settings: Settings, archive: Path) -> RestoreReport:
    """Restore ``archive`` into the (empty) database of ``settings`` and its files into
    ``settings.var``; the private cluster is created first when it does not exist."""
    started = dt.datetime.now(dt.UTC)
    archive = Path(archive)
    if not archive.is_file():
        raise InputError(bilingual(f"No existe la copia '{archive}'",
                                   f"backup '{archive}' not found"), code="backup_not_found")
    with tempfile.TemporaryDirectory(prefix="allpa-restore-") as tmp:
        work = Path(tmp)
        manifest = _extract_checked(archive, work)
        cluster.up(settings)
        if _user_tables(settings):
            raise NotEmptyError(bilingual(
                f"La base '{settings.db_name}' ya tiene tablas: restaure en una base vacía "
                "(p. ej. un clúster privado nuevo o ALLPA_DATABASE_URL a otra base)",
                f"database '{settings.db_name}' already has tables: restore into an empty "
                "one"))
        var = settings.var
        for entry in manifest["files"]:
            rel = _safe_member(entry["path"]).relative_to(FILES_PREFIX)
            target = var / rel
            if target.exists() and sha256_file(target) != entry["sha256"]:
                raise NotEmptyError(bilingual(
                    f"'{target}' ya existe con otro contenido; no se sobrescribe",
                    f"'{target}' already exists with other content; not overwritten"))
        _run([_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", f"--dbname={libpq_dsn(settings)}",
              str(work / manifest["database"]["dump"])], "pg_restore")
        for entry in manifest["files"]:
            rel = _safe_member(entry["path"]).relative_to(FILES_PREFIX)
            target = var / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if not target.exists():
                shutil.copy2(work / entry["path"], target)
        n_tables = _user_tables(settings)
    seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    return RestoreReport(len(manifest["files"]), n_tables, seconds)
