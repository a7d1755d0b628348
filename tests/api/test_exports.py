"""Exports in every format, readable by pyogrio, with the API's filters and visibility."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient

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
