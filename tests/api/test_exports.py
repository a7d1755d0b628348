"""Exports in every format, readable by pyogrio, with the API's filters and visibility."""

from __future__ import annotations

import csv
import io
import sqlite3
import zipfile
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from fastapi.testclient import TestClient
from shapely.geometry import Point

from layers import exports, water
from layers.exports import SHP_MAPPING_FILE, neutralise, shapefile_names
from layers.queries import COLLECTIONS, Filters, Viewer
from layers.users import ANONYMOUS
from layers.versioning import write_snapshot
from tests.api.conftest import ApiWorld, auth


def _save(tmp: Path, name: str, data: bytes) -> Path:
    path = tmp / name
    path.write_bytes(data)
    return path


def _read(path: Path, fmt: str) -> int:
    if fmt == "shp":
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
        shps = [n for n in names if n.endswith(".shp")]
        assert shps and all(n[:-4] + ".cpg" in names for n in shps)
        return sum(len(pyogrio.read_dataframe(f"/vsizip/{path}/{n}")) for n in shps)
    if fmt == "csv":
        df = pyogrio.read_dataframe(path, GEOM_POSSIBLE_NAMES="wkt", KEEP_GEOM_COLUMNS="NO")
        assert df.geometry.notna().all()
        return len(df)
    return len(pyogrio.read_dataframe(path))


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "shp", "kml", "csv"])
@pytest.mark.parametrize("layer", ["concessions", "communities", "water"])
def test_export_formats(fmt: str, layer: str, client: TestClient, tmp_path: Path) -> None:
    r = client.get(f"/api/{layer}/export?format={fmt}")
    assert r.status_code == 200, r.text[:300]
    assert "attachment" in r.headers["content-disposition"]
    total = client.get(f"/api/{layer}?limit=1").json()["total"]
    ext = {"shp": "zip"}.get(fmt, fmt)
    path = _save(tmp_path, f"{layer}.{ext}", r.content)
    assert _read(path, fmt) == total


def test_export_filters_and_roles(client: TestClient, api_world: ApiWorld,
                                  tmp_path: Path) -> None:
    r = client.get("/api/communities/export?format=gpkg&legal_status=registered")
    df = pyogrio.read_dataframe(_save(tmp_path, "c.gpkg", r.content))
    assert set(df["legal_status"]) == {"registered"}
    editor = client.get("/api/communities/export?format=geojson",
                        headers=auth(api_world, "editor")).json()
    public = client.get("/api/communities/export?format=geojson").json()
    assert len(editor["features"]) > len(public["features"])
    shp = client.get("/api/communities/export?format=shp").content
    with zipfile.ZipFile(io.BytesIO(shp)) as zf:
        cpg = [zf.read(n) for n in zf.namelist() if n.endswith(".cpg")]
    assert cpg and all(c.strip().upper().startswith(b"UTF-8") for c in cpg)
    csv_text = client.get("/api/consultations/export?format=csv").text
    assert csv_text.splitlines()[0].endswith("wkt")


# --- typed round trip through GDAL -------------------------------------------------------

FORMATS = ["geojson", "gpkg", "shp", "kml", "csv"]
PROVENANCE = ("vid", "valid_from", "recorded_by", "import_batch_id", "source")


def _sources(path: Path, fmt: str) -> list[str]:
    if fmt == "shp":
        with zipfile.ZipFile(path) as zf:
            return [f"/vsizip/{path}/{n}" for n in zf.namelist() if n.endswith(".shp")]
    return [str(path)]


CSV_OPTIONS = {"GEOM_POSSIBLE_NAMES": "wkt", "KEEP_GEOM_COLUMNS": "NO",
               "AUTODETECT_TYPE": "YES"}


def _read_typed(path: Path, fmt: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """All features and the OGR field types GDAL reports (full column names)."""
    options = CSV_OPTIONS if fmt == "csv" else {}
    mapping: dict[str, str] = {}
    if fmt == "shp":
        with zipfile.ZipFile(path) as zf:
            mapping = dict(csv.reader(io.StringIO(zf.read(SHP_MAPPING_FILE).decode())))
    frames, types = [], {}
    for src in _sources(path, fmt):
        frames.append(pyogrio.read_dataframe(src, **options))
        info = pyogrio.read_info(src, **options)
        types.update(dict(zip(info["fields"], info["dtypes"], strict=True)))
    df = pd.concat(frames, ignore_index=True).rename(columns=mapping)
    return df, {mapping.get(k, k): v for k, v in types.items()}


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_types_survive_gdal(fmt: str, client: TestClient, tmp_path: Path) -> None:
    """``"clause_water" = false`` finds as many communities in the file as the OGC filter."""
    counts = {v: client.get("/ogc/collections/communities/items",
                            params={"filter": f"clause_water = {v}", "limit": "1"}
                            ).json()["numberMatched"] for v in ("false", "true")}
    assert counts["false"] > 0 and counts["true"] > 0
    r = client.get(f"/api/communities/export?format={fmt}")
    assert r.status_code == 200
    path = _save(tmp_path, f"c.{ {'shp': 'zip'}.get(fmt, fmt) }", r.content)
    df, types = _read_typed(path, fmt)
    assert types["clause_water"] == "bool", types
    assert types["board_registered"] == "bool"
    assert int((df["clause_water"] == 0).sum()) == counts["false"]
    assert int((df["clause_water"] == 1).sum()) == counts["true"]
    if fmt != "kml":  # KML's schema has no date type (dates are ISO text there)
        assert types["statute_adopted"] == "datetime64[D]", types
        assert types["board_term_end"] == "datetime64[D]"
    for col in PROVENANCE:
        assert col in df.columns, col
    assert df["recorded_by"].notna().all()
    if fmt == "gpkg":
        with sqlite3.connect(path) as db:
            assert db.execute("PRAGMA user_version").fetchone()[0] == 10200  # GeoPackage 1.2
            assert db.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47


def test_shapefile_names_are_readable_and_mapped(client: TestClient) -> None:
    shp = client.get("/api/communities/export?format=shp").content
    with zipfile.ZipFile(io.BytesIO(shp)) as zf:
        mapping = list(csv.reader(io.StringIO(zf.read(SHP_MAPPING_FILE).decode())))
    pairs = dict(mapping[1:])
    assert pairs["cl_water"] == "clause_water" and pairs["rec_by"] == "recorded_by"
    assert all(len(short) <= 10 for short in pairs)
    assert len(set(pairs)) == len(pairs)
    names = shapefile_names([f"a_very_long_name_{i}" for i in range(12)])
    assert len(set(names.values())) == 12 and all(len(v) <= 10 for v in names.values())


def test_csv_bom_and_formula_cells(client: TestClient, api_world: ApiWorld,
                                   tmp_path: Path) -> None:
    plain = client.get("/api/water/export?format=csv").content
    bom = client.get("/api/water/export?format=csv&bom=true").content
    assert not plain.startswith(b"\xef\xbb\xbf") and bom.startswith(b"\xef\xbb\xbf")
    assert bom[3:] == plain
    for text in ("=HYPERLINK(\"http://x\")", "+1", "-2+3", "@SUM(A1)", "\tx"):
        assert neutralise(text) == "'" + text
    assert neutralise("Manantial") == "Manantial" and neutralise(3) == 3
    hostile = "=HYPERLINK(\"http://example.invalid\",\"clic\")"
    with api_world.engine.connect() as conn:
        trans = conn.begin()
        try:
            write_snapshot(conn, water.water_source, "id", [
                {"id": "ZZ-CSV-1", "name": hostile, "kind": "canal", "use": "-irrigation",
                 "sensitivity": "public", "geom": Point(-69.7, -15.3)}],
                recorded_by="@attacker", batch_id=None, source="+pytest",
                close_missing=False)
            path = exports.write_export(conn, COLLECTIONS["water"],
                                        Viewer(ANONYMOUS), Filters(q="ZZ-CSV-1"),
                                        exports.get_format("csv"), tmp_path)
        finally:
            trans.rollback()
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == 1
    row = rows[0]
    assert row["name"] == "'" + hostile and row["use"] == "'-irrigation"
    assert row["recorded_by"] == "'@attacker" and row["source"] == "'+pytest"
    assert row["wkt"].startswith("POINT")
