"""Uploads: happy path (INGEMMET-like zip), auth, 413 (header and streamed), evil zip,
nothing written on failure."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import httpx
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from shapely.geometry import box

from api.app import create_app
from tests.api.conftest import ApiWorld, auth

UTM19S = "EPSG:32719"


def _ingemmet_zip(tmp: Path, *, prj: bool = True, codes: tuple[str, ...] = (
        "990000001", "990000002", "990000003"),
        holder: str = "MINERA DE PRUEBA S.A.C.") -> bytes:
    """A small INGEMMET-style shapefile in UTM 19S, zipped."""
    x0, y0 = 400000.0, 8320000.0
    frame = gpd.GeoDataFrame({
        "CODIGOU": list(codes),
        "CONCESION": [f"PRUEBA ÑANDÚ {i}" for i in range(len(codes))],
        "TIT_CONCES": [holder] * len(codes),
        "D_ESTADO": ["TITULADO"] * len(codes),
        "SUSTANCIA": ["M"] * len(codes),
        "HECTAGIS": [100.0] * len(codes),
        "FEC_DENU": ["15/03/2019"] * len(codes),
        "ZONA": [19] * len(codes),
    }, geometry=[box(x0 + i * 1000, y0, x0 + i * 1000 + 1000, y0 + 1000)
                 for i in range(len(codes))], crs=UTM19S)
    out = tmp / "shp"
    out.mkdir(exist_ok=True)
    frame.to_file(out / "catastro_prueba.shp", encoding="ISO-8859-1")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for part in sorted(out.iterdir()):
            if part.suffix == ".prj" and not prj:
                continue
            zf.write(part, part.name)
    return buf.getvalue()


def _counts(world: ApiWorld) -> tuple[int, int]:
    with world.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM concession")).scalar_one()
        batches = conn.execute(sa.text("SELECT count(*) FROM import_batch")).scalar_one()
    return int(rows), int(batches)


def _post(client: TestClient, data: bytes, headers: dict[str, str], name: str = "c.zip",
          **fields: str) -> httpx.Response:
    return client.post("/api/layers/concessions/imports", headers=headers,
                       files={"file": (name, data, "application/zip")}, data=fields)


def test_upload_happy_path(client: TestClient, api_world: ApiWorld, tmp_path: Path) -> None:
    data = _ingemmet_zip(tmp_path)
    r = _post(client, data, auth(api_world, "editor"), source="INGEMMET prueba API")
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["layer"] == "concessions" and report["n_inserted"] == 3
    assert report["crs_used"] == UTM19S and report["batch_id"]
    item = client.get("/api/concessions/990000002").json()
    assert item["state"] == "titled" and item["holder"] == "MINERA DE PRUEBA S.A.C."
    assert "ÑANDÚ" in item["name"]
    batch = client.get(f"/api/batches/{report['batch_id']}",
                       headers=auth(api_world, "editor")).json()
    assert batch["recorded_by"] == "abogada" and "report" in batch
    again = _post(client, data, auth(api_world, "editor"), source="INGEMMET prueba API")
    assert again.status_code == 200
    assert again.json()["identical_to_batch"] == report["batch_id"]


def test_every_version_of_a_re_imported_record_is_readable(client: TestClient,
                                                             api_world: ApiWorld,
                                                             tmp_path: Path) -> None:
    """``/api/<layer>/{key}/history``: a concession imported, then re-imported with another
    holder, reads as two versions, oldest first, each with who, when and from which import."""
    first = _post(client, _ingemmet_zip(tmp_path, codes=("990000021",)),
                  auth(api_world, "editor"), source="INGEMMET historia 1").json()
    second = _post(client, _ingemmet_zip(tmp_path, codes=("990000021",),
                                         holder="OTRA MINERA S.A."),
                   auth(api_world, "editor"), source="INGEMMET historia 2").json()
    assert second["n_changed"] == 1, second
    answer = client.get("/api/concessions/990000021/history")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["id"] == "990000021"
    old, new = body["versions"]
    assert (old["holder"], new["holder"]) == ("MINERA DE PRUEBA S.A.C.", "OTRA MINERA S.A.")
    assert (old["import_batch_id"], new["import_batch_id"]) == (first["batch_id"],
                                                                second["batch_id"])
    assert old["valid_to"] is not None and new["valid_to"] is None
    assert old["valid_to"] == new["valid_from"] and old["vid"] < new["vid"]
    assert {old["recorded_by"], new["recorded_by"]} == {"abogada"}
    assert (old["source"], new["source"]) == ("INGEMMET historia 1", "INGEMMET historia 2")
    assert old["geometry"]["type"] == "MultiPolygon"
    missing = client.get("/api/concessions/999999999/history")
    assert missing.status_code == 404 and "no existe" in missing.json()["detail"].lower()


def test_upload_needs_editor(client: TestClient, api_world: ApiWorld, tmp_path: Path) -> None:
    data = _ingemmet_zip(tmp_path, codes=("990000011",))
    before = _counts(api_world)
    anon = _post(client, data, {})
    assert anon.status_code == 401
    member = _post(client, data, auth(api_world, "network"))
    assert member.status_code == 403
    assert member.headers["content-type"].startswith(
        "application/problem+json")
    assert _counts(api_world) == before


@pytest.fixture
def small_cap_client(api_world: ApiWorld) -> Iterator[TestClient]:
    settings = dataclasses.replace(api_world.settings, max_upload_mb=1)
    with TestClient(create_app(settings)) as c:
        yield c


def test_oversize_is_413(small_cap_client: TestClient, api_world: ApiWorld) -> None:
    before = _counts(api_world)
    big = b"x" * (2 * 1024 * 1024)
    r = _post(small_cap_client, big, auth(api_world, "editor"), name="grande.geojson")
    assert r.status_code == 413
    assert r.json()["code"] == "too_large"

    # no Content-Length (chunked): the streamed byte count stops it
    boundary = "allpaboundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"grande.geojson\"\r\nContent-Type: application/geo+json\r\n\r\n").encode()

    def body() -> Iterator[bytes]:
        yield head
        for _ in range(40):
            yield b"y" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    r2 = small_cap_client.post(
        "/api/layers/concessions/imports", content=body(),
        headers={**auth(api_world, "editor"),
                 "Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r2.status_code == 413 and r2.json()["code"] == "too_large"
    assert _counts(api_world) == before


def test_evil_zip_is_rejected(client: TestClient, api_world: ApiWorld, tmp_path: Path) -> None:
    good = _ingemmet_zip(tmp_path, codes=("990000021",))
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as src, zipfile.ZipFile(buf, "w") as evil:
        for info in src.infolist():
            evil.writestr("../../" + info.filename, src.read(info))
    before = _counts(api_world)
    r = _post(client, buf.getvalue(), auth(api_world, "editor"))
    assert r.status_code == 400, r.text
    assert r.json()["code"] == "unsafe_archive"
    assert _counts(api_world) == before


def test_failed_upload_writes_nothing(client: TestClient, api_world: ApiWorld,
                                      tmp_path: Path) -> None:
    no_prj = _ingemmet_zip(tmp_path, prj=False, codes=("990000031", "990000032"))
    before = _counts(api_world)
    r = _post(client, no_prj, auth(api_world, "editor"))
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"].startswith("crs") and "32719" in body["detail"] + str(body)
    assert _counts(api_world) == before
    # with the CRS given it goes in
    ok = _post(client, no_prj, auth(api_world, "editor"), crs=UTM19S)
    assert ok.status_code == 201, ok.text
    assert _counts(api_world)[0] == before[0] + 2


def test_kml_with_entities_is_refused(client: TestClient, api_world: ApiWorld) -> None:
    kml = b"""<?xml version="1.0"?>
<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&xxe;</name>
<Point><coordinates>-69.6,-15.1</coordinates></Point></Placemark></kml>"""
    r = client.post("/api/layers/water/imports", headers=auth(api_world, "editor"),
                    files={"file": ("agua.kml", kml, "application/vnd.google-earth.kml+xml")})
    assert r.status_code == 400 and r.json()["code"] in ("unsafe_xml", "unsafe_archive")
    assert "root:" not in r.text


def test_upload_dry_run_and_mass_close(client: TestClient, api_world: ApiWorld,
                                       tmp_path: Path) -> None:
    codes = tuple(f"99000010{i}" for i in range(5))
    editor = auth(api_world, "editor")
    first = _post(client, _ingemmet_zip(tmp_path, codes=codes), editor, source="masa")
    assert first.status_code == 201, first.text
    shrunk = _ingemmet_zip(tmp_path, codes=codes[:2])
    before = _counts(api_world)
    dry = _post(client, shrunk, editor, source="masa", dry_run="true",
                allow_mass_close="true")
    assert dry.status_code == 200, dry.text
    assert dry.json()["dry_run"] is True and sorted(dry.json()["closed_keys"]) == \
        sorted(codes[2:])
    assert _counts(api_world) == before
    refused = _post(client, shrunk, editor, source="masa")
    assert refused.status_code == 409 and refused.json()["code"] == "mass_close"
    assert sorted(refused.json()["details"]["closed_keys"]) == sorted(codes[2:])
    assert _counts(api_world) == before
    done = _post(client, shrunk, editor, source="masa", allow_mass_close="true")
    assert done.status_code == 201 and done.json()["n_closed"] == 3


def test_upload_takes_set_constants_and_source_layer(client: TestClient, api_world: ApiWorld,
                                                     tmp_path: Path) -> None:
    """Form fields ``set`` (repeatable FIELD=VALUE) and ``source_layer``, as on the CLI."""
    lakes = gpd.GeoDataFrame({"codigo": ["UL1", "UL2"], "nombre": ["Qucha", "Laguna"]},
                             geometry=[box(-69.9, -15.9, -69.8, -15.8),
                                       box(-69.7, -15.9, -69.6, -15.8)], crs=4326)
    gpkg = tmp_path / "agua.gpkg"
    lakes.to_file(gpkg, layer="lagunas", driver="GPKG")
    lakes.iloc[:1].to_file(gpkg, layer="otra", driver="GPKG", mode="a")
    editor = auth(api_world, "editor")

    def post(*sets: str, **fields: str) -> httpx.Response:
        form: dict[str, str | list[str]] = {"set": list(sets), **fields}
        return client.post("/api/layers/water/imports", headers=editor,
                           files={"file": ("agua.gpkg", gpkg.read_bytes(),
                                           "application/geopackage+sqlite3")}, data=form)

    r = post("kind=lake")
    assert r.status_code in (400, 422) and r.json()["code"] == "layer_required", r.text
    r = post("kind=charco", source_layer="lagunas")
    assert r.status_code in (400, 422) and r.json()["code"] == "set_value_invalid", r.text
    assert "charco" in r.json()["message_es"] and "lake" in r.json()["message_en"]
    r = post("kind=lake", "use=riego", source_layer="lagunas", source="subida lagunas")
    assert r.status_code == 201, r.text
    assert r.json()["n_stored"] == 2 and r.json()["options"]["defaults"] == {
        "kind": "lake", "use": "riego"}
    with api_world.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT kind, use FROM water_source WHERE source = 'subida lagunas' "
            "AND valid_to IS NULL")).all()
    assert sorted(rows) == [("lake", "irrigation")] * 2
