"""Imports that cannot lose data: truncated files, corrected CRS, dry runs, mass closes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from layers.config import PROJECT_ROOT
from layers.importer import MassCloseError, import_file
from layers.sample import SOURCE
from tests.conftest import count_current

SAMPLE_ZIP = PROJECT_ROOT / "data" / "sample" / "concesiones_ingemmet_19s.zip"
SAMPLE_SOURCE = SOURCE + " · " + SAMPLE_ZIP.name


def _n_zip() -> int:
    """Features of the INGEMMET sample file (the sample's other sources, e.g. the Bolivian
    AJAM-style rights, add their own current concessions, never touched by these imports)."""
    import geopandas as gpd

    return len(gpd.read_file(SAMPLE_ZIP))


def _truncated_copy(tmp_path: Path, share: float = 1 / 3) -> Path:
    """The sample Shapefile zip with its ``.shp`` cut to ``share`` of its bytes."""
    out = tmp_path / SAMPLE_ZIP.name
    with zipfile.ZipFile(SAMPLE_ZIP) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.lower().endswith(".shp"):
                data = data[: int(len(data) * share)]
            dst.writestr(info.filename, data)
    return out


def _batches(conn: Connection) -> int:
    return int(conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar_one())


def test_truncated_shapefile_never_closes_unreadable_records(
    sample_conn: Connection, tmp_path: Path
) -> None:
    conn = sample_conn
    n_zip, total = _n_zip(), count_current(conn, "concession")
    assert n_zip == 260 and total > n_zip
    bad = _truncated_copy(tmp_path)
    report = import_file(conn, "concessions", bad, recorded_by="t", source=SAMPLE_SOURCE,
                         allow_mass_close=True)
    assert report.rejections, "the truncated features must be reported as rejected"
    assert report.n_closed == 0 and report.closed_keys == []
    assert count_current(conn, "concession") == total
    # every rejected concession is still current, and listed as kept
    assert len(report.kept_rejected_keys) == len(report.rejections)
    # the good file afterwards is a real import (not "identical" to an older batch)
    good = import_file(conn, "concessions", SAMPLE_ZIP, recorded_by="t", source=SAMPLE_SOURCE)
    assert good.identical_to_batch is None and good.batch_id is not None
    assert good.n_unchanged == n_zip and good.n_closed == 0
    assert count_current(conn, "concession") == total
    # and repeating it now is identical
    again = import_file(conn, "concessions", SAMPLE_ZIP, recorded_by="t", source=SAMPLE_SOURCE)
    assert again.identical_to_batch == good.batch_id


def test_mass_close_is_refused_unless_allowed(sample_conn: Connection, tmp_path: Path) -> None:
    conn = sample_conn
    import geopandas as gpd

    frame = gpd.read_file(SAMPLE_ZIP)
    kept = frame.iloc[: len(frame) // 2]
    path = tmp_path / "mitad.gpkg"
    kept.to_file(path, driver="GPKG")
    before = _batches(conn)
    total, n_gone = count_current(conn, "concession"), len(frame) - len(kept)
    with pytest.raises(MassCloseError) as err:
        import_file(conn, "concessions", path, recorded_by="t", source=SAMPLE_SOURCE)
    assert "--allow-mass-close" in err.value.message
    assert len(err.value.details["closed_keys"]) == n_gone == 130
    assert count_current(conn, "concession") == total and _batches(conn) == before
    # the dry run reports the same without writing
    dry = import_file(conn, "concessions", path, recorded_by="t", source=SAMPLE_SOURCE,
                      dry_run=True, allow_mass_close=True)
    assert dry.dry_run and dry.batch_id is None and dry.n_closed == n_gone
    assert sorted(dry.closed_keys) == sorted(set(frame["CODIGOU"]) - set(kept["CODIGOU"]))
    assert count_current(conn, "concession") == total and _batches(conn) == before
    done = import_file(conn, "concessions", path, recorded_by="t", source=SAMPLE_SOURCE,
                       allow_mass_close=True)
    # only the file's own source loses records: the other sources' concessions stay
    assert done.n_closed == n_gone and count_current(conn, "concession") == total - n_gone
    assert "SIMULACIÓN" in dry.summary("es") and "DRY RUN" in dry.summary("en")


def _centroid_x(conn: Connection, code: str) -> float:
    return float(conn.execute(sa.text(
        "SELECT ST_X(ST_Centroid(geom)) FROM concession WHERE code = :c AND valid_to IS NULL"),
        {"c": code}).scalar_one())


def test_wrong_crs_can_be_corrected_by_reimporting_the_same_file(
    conn: Connection
) -> None:
    wrong = import_file(conn, "concessions", SAMPLE_ZIP, recorded_by="t", source="S",
                        crs="EPSG:24879")
    code = wrong.inserted_keys[0]
    x_wrong = _centroid_x(conn, code)
    right = import_file(conn, "concessions", SAMPLE_ZIP, recorded_by="t", source="S",
                        crs="EPSG:32719")
    assert right.identical_to_batch is None
    assert right.n_changed == 260 and right.n_closed == 0
    x_right = _centroid_x(conn, code)
    assert 0.001 < abs(x_right - x_wrong) < 0.02  # PSAD56 → WGS 84 shift, hundreds of metres
    versions = conn.execute(sa.text("SELECT count(*) FROM concession WHERE code = :c"),
                            {"c": code}).scalar_one()
    assert versions == 2
    again = import_file(conn, "concessions", SAMPLE_ZIP, recorded_by="t", source="S",
                        crs="EPSG:32719")
    assert again.identical_to_batch == right.batch_id
