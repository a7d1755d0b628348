"""``allpa backup`` / ``allpa restore``: the sample database and its raster files, restored
into a fresh private cluster, are equal table by table and file by file."""

from __future__ import annotations

import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import Engine

from layers import backup, migrate
from layers.config import Settings, load_settings
from layers.db import make_engine
from tests.spare_cluster import spare_cluster


def _tables(dsn: str) -> dict[str, tuple[int, str]]:
    """Every public table: (rows, md5 of all rows in a stable order)."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        for name in names:
            row = conn.execute(
                f'SELECT count(*), md5(coalesce(string_agg(t::text, \'|\' ORDER BY t::text), '
                f"'')) FROM \"{name}\" t").fetchone()
            assert row is not None
            out[name] = (int(row[0]), str(row[1]))
    return out


def test_backup_restores_every_table_and_file(sample_engine: Engine, settings: Settings,
                                              tmp_path: Path) -> None:
    url = sample_engine.url.render_as_string(hide_password=False)
    source = load_settings(database_url=url)
    archive = tmp_path / "allpa.tar.gz"
    t0 = time.perf_counter()
    made = backup.backup(source, archive)
    backup_s = time.perf_counter() - t0
    assert made.n_files >= 2  # the sample DEM and land cover
    before = _tables(backup.libpq_dsn(source))
    assert before["community"][0] > 0 and before["raster_layer"][0] >= 2
    with spare_cluster("restore") as target:
        t0 = time.perf_counter()
        restored = backup.restore(target, archive)
        restore_s = time.perf_counter() - t0
        after = _tables(backup.libpq_dsn(target))
        assert after == before
        for rel in backup.data_files(source.var):
            if str(rel).startswith("rasters/"):
                assert backup.sha256_file(target.var / rel) == backup.sha256_file(
                    source.var / rel)
        assert restored.n_files == made.n_files
        # the restored database is usable and up to date
        migrate.upgrade(make_engine(target))
        # a second restore into the now full database is refused, nothing touched
        with pytest.raises(backup.NotEmptyError):
            backup.restore(target, archive)
        assert _tables(backup.libpq_dsn(target)) == before
    print(f"\nbackup {backup_s:.1f} s ({archive.stat().st_size / 1e6:.1f} MB, "
          f"{made.n_files} files), restore into a new cluster {restore_s:.1f} s")


def test_damaged_backup_is_refused(sample_engine: Engine, tmp_path: Path) -> None:
    url = sample_engine.url.render_as_string(hide_password=False)
    archive = tmp_path / "allpa.tar.gz"
    backup.backup(load_settings(database_url=url), archive)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    broken = tmp_path / "roto.tar.gz"
    broken.write_bytes(bytes(data))
    with pytest.raises(backup.BackupError):
        backup.restore(load_settings(database_url=url + "_nowhere"), broken)
