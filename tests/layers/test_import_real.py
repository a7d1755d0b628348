"""Imports of the real public files in ../shared/data into the real PostGIS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import CRSError
from layers import importer
from layers.base import history
from layers.concessions import SPEC as CONCESSIONS
from layers.importer import import_file
from tests.conftest import count_current

INGEMMET = Path("peru/mining/ingemmet_17s_100326.geojson")


def _batches(conn: Connection) -> int:
    return int(conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar_one())


def test_ingemmet_without_crs_is_refused_and_nothing_written(
    conn: Connection, shared_data: Path
) -> None:
    with pytest.raises(CRSError) as err:
        import_file(conn, "concessions", shared_data / INGEMMET, recorded_by="t")
    assert "EPSG:32717" in str(err.value)
    assert "--crs" in str(err.value)
    assert count_current(conn, "concession") == 0
    assert _batches(conn) == 0


def test_ingemmet_with_crs_stores_9025_repairs_7(conn: Connection, shared_data: Path) -> None:
    report = import_file(conn, "concessions", shared_data / INGEMMET, crs="EPSG:32717",
                         recorded_by="t", source="INGEMMET 17S 2026-03-10")
    assert report.n_read == 9025
    assert report.n_inserted == 9025 and not report.rejections
    from_source = [r for r in report.repairs if not r["introduced_by_reprojection"]]
    assert len(from_source) == 7
    # One more is valid in UTM but self-intersects once reprojected: repaired and said so.
    assert all("Self-intersection" in r["reason"] for r in from_source)
    assert count_current(conn, "concession") == 9025
    median_ha = conn.execute(sa.text(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ST_Area(geom::geography) / 1e4) "
        "FROM concession WHERE valid_to IS NULL")).scalar_one()
    assert median_ha == pytest.approx(200, rel=0.01)
    invalid = conn.execute(sa.text(
        "SELECT count(*) FROM concession WHERE NOT ST_IsValid(geom)")).scalar_one()
    assert invalid == 0
    batch = conn.execute(sa.text(
        "SELECT crs_used, n_repaired, report FROM import_batch WHERE id = :i"),
        {"i": report.batch_id}).one()
    assert "32717" in batch.crs_used and batch.n_repaired == len(report.repairs)
    assert len(batch.report["repairs"]) == len(report.repairs)
    codes = conn.execute(sa.text("SELECT code FROM concession")).scalars().all()
    assert "010461925" in codes  # leading zero kept
    assert all(len(c) == 9 for c in codes if c.isdigit())


def test_reimport_identical_changes_nothing_and_edits_are_versioned(
    conn: Connection, shared_data: Path, tmp_path: Path
) -> None:
    src = shared_data / INGEMMET
    first = import_file(conn, "concessions", src, crs="EPSG:32717", recorded_by="t")
    again = import_file(conn, "concessions", src, crs="EPSG:32717", recorded_by="t")
    assert again.identical_to_batch == first.batch_id
    assert _batches(conn) == 1
    data = json.loads(src.read_text(encoding="utf-8"))
    changed_code = data["features"][0]["properties"]["CODIGOU"]
    vanished_code = data["features"][1]["properties"]["CODIGOU"]
    data["features"][0]["properties"]["TIT_CONCES"] = "NUEVO TITULAR S.A.C."
    del data["features"][1]
    modified = tmp_path / INGEMMET.name
    modified.write_text(json.dumps(data), encoding="utf-8")
    second = import_file(conn, "concessions", modified, crs="EPSG:32717", recorded_by="t2")
    assert (second.n_changed, second.n_closed, second.n_inserted) == (1, 1, 0)
    assert second.n_unchanged == 9023
    assert count_current(conn, "concession") == 9024
    versions = history(conn, CONCESSIONS, str(changed_code).zfill(9))
    assert [v["holder"] for v in versions][-1] == "NUEVO TITULAR S.A.C."
    assert len(versions) == 2 and versions[0]["recorded_by"] == "t"
    gone = history(conn, CONCESSIONS, str(vanished_code).zfill(9))
    assert len(gone) == 1 and gone[0]["valid_to"] is not None


def test_import_is_atomic_when_storage_fails(
    conn: Connection, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk full while recording the batch")

    monkeypatch.setattr(importer.batches, "update_batch", boom)
    with pytest.raises(RuntimeError):
        import_file(conn, "boundaries",
                    shared_data / "peru/admin/huancane_distritos_inei2023.geojson",
                    recorded_by="t")
    assert count_current(conn, "boundary") == 0
    assert _batches(conn) == 0


def test_huancane_districts_taraco_repaired(conn: Connection, shared_data: Path) -> None:
    report = import_file(conn, "boundaries",
                         shared_data / "peru/admin/huancane_distritos_inei2023.geojson",
                         recorded_by="t")
    assert report.n_inserted == 8
    assert [r["feature_id"] for r in report.repairs] == ["210607"]
    names = conn.execute(sa.text(
        "SELECT name FROM boundary WHERE level = 'district' ORDER BY code")).scalars().all()
    assert len(names) == 8 and names[-1].upper().startswith("VILQUE")


def test_populated_places_as_point_communities(conn: Connection, shared_data: Path) -> None:
    report = import_file(
        conn, "communities", shared_data / "peru/places/ccpp_huancane.geojson",
        recorded_by="t", profile="columns",
        mapping={"id": "inei_ccpp", "name": "ccpp", "admin_code": "inei_distrito"},
    )
    assert report.n_inserted == 749
    row = conn.execute(sa.text(
        "SELECT count(*) AS n, count(territory) AS nt, count(location) AS nl FROM community "
        "WHERE valid_to IS NULL")).one()
    assert (row.n, row.nt, row.nl) == (749, 0, 749)


def test_null_geometry_districts_rejected_with_ids(
    conn: Connection, shared_data: Path
) -> None:
    districts = shared_data / "peru/admin/peru_distrital_simple.geojson"
    report = import_file(conn, "boundaries", districts, recorded_by="t")
    rejected = {r["feature_id"] for r in report.rejections}
    assert "210103" in rejected and len(rejected) == 8
    assert report.n_inserted == 1834 - 8


def test_mass_close_message_counts_every_closed_record(
    conn: Connection, shared_data: Path, tmp_path: Path
) -> None:
    """The report keeps 500 closed keys; the refusal must still say how many would close."""
    path = shared_data / INGEMMET
    import_file(conn, "concessions", path, crs="EPSG:32717", recorded_by="t", source="S")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["features"] = doc["features"][:1000]
    small = tmp_path / "ingemmet_1000.geojson"
    small.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(importer.MassCloseError) as err:
        import_file(conn, "concessions", small, crs="EPSG:32717", recorded_by="t", source="S")
    n_current = count_current(conn, "concession")
    n_kept = len({f["properties"]["CODIGOU"] for f in doc["features"]})
    n_gone = n_current - n_kept
    assert n_gone > importer.MAX_REPORTED
    message = err.value.message
    assert f"cerraría {n_gone} de {n_current} " in message
    assert f"would close {n_gone} of {n_current} " in message
    assert f"({100 * n_gone / n_current:.0f} %" in message
    assert len(err.value.details["closed_keys"]) == importer.MAX_REPORTED
