"""A generated corpus of hostile and broken uploads (nothing is stored in the repository).

Each :class:`Case` is one file with the layer it is sent to, the status and problem ``code``
it must get (or, for files that are legitimately importable, a check of the dry-run report).
Every payload that tries to write a file names it ``allpa_pwned…`` so the test can look for it.
"""

from __future__ import annotations

import io
import json
import sqlite3
import stat
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
from shapely.geometry import Point, box

MARK = "allpa_pwned"
Report = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    layer: str
    filename: str
    data: bytes
    status: int
    code: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    check: Callable[[Report], bool] | None = None


# --- building blocks ----------------------------------------------------------------------


def _zip(entries: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def _shapefile_parts(n: int = 3, crs: str = "EPSG:32719") -> dict[str, bytes]:
    frame = gpd.GeoDataFrame(
        {"CODIGOU": [f"77000000{i}" for i in range(n)], "CONCESION": ["PRUEBA"] * n,
         "D_ESTADO": ["TITULADO"] * n},
        geometry=[box(400000 + i * 1000, 8320000, 401000 + i * 1000, 8321000)
                  for i in range(n)], crs=crs)
    with tempfile.TemporaryDirectory() as tmp:
        frame.to_file(Path(tmp) / "c.shp")
        return {p.suffix: p.read_bytes() for p in Path(tmp).iterdir()}


def _shp_zip(parts: dict[str, bytes], **replace: bytes) -> bytes:
    merged = {**parts, **{f".{k}": v for k, v in replace.items()}}
    return _zip([(f"c{ext}", data) for ext, data in merged.items()])


def _symlink_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("c.shp")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


def _lying_zip(parts: dict[str, bytes]) -> bytes:
    data = bytearray(_shp_zip(parts))
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):
        i = 0
        while (i := data.find(sig, i)) >= 0:
            data[i + offset:i + offset + 4] = (10).to_bytes(4, "little")
            i += 4
    return bytes(data)


def _fc(features: list[dict[str, Any]], **extra: Any) -> bytes:
    return json.dumps({"type": "FeatureCollection", **extra, "features": features}).encode()


def _feature(geometry: Any, **props: Any) -> dict[str, Any]:
    base = {"id": "AG-HOSTIL-1", "name": "Prueba", "kind": "spring", "use": "human"}
    return {"type": "Feature", "properties": {**base, **props}, "geometry": geometry}


def _point(x: Any, y: Any) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [x, y]}


def _ring(n: int) -> list[list[float]]:
    import math

    pts = [[-69.6 + 0.01 * math.cos(2 * math.pi * i / n), -15.1 + 0.01 * math.sin(
        2 * math.pi * i / n)] for i in range(n)]
    return [*pts, pts[0]]


def _kml(body: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0"?>{doctype}<kml xmlns="http://www.opengis.net/kml/2.2">'
            f"<Document>{body}</Document></kml>").encode()


PLACEMARK = ("<Placemark><name>AG-KML-1</name><Point><coordinates>-69.6,-15.1</coordinates>"
             "</Point></Placemark>")


def _gpkg_with_layer(name: str) -> bytes:
    frame = gpd.GeoDataFrame({"id": ["AG-G1"], "name": ["x"], "kind": ["spring"],
                              "use": ["human"]}, geometry=[Point(-69.6, -15.1)], crs=4326)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.gpkg"
        frame.to_file(path, layer=name, driver="GPKG")
        return path.read_bytes()


def _plain_sqlite() -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.gpkg"
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (a)")
        con.commit()
        con.close()
        return path.read_bytes()


def _csv(text: str | bytes) -> bytes:
    return text.encode("utf-8") if isinstance(text, str) else text


WATER_CSV = "id,name,kind,use,lon,lat\n"
WETLAND = {"id": "AG-HUMEDAL", "name": "Bofedal de prueba", "kind": "wetland", "use": "livestock"}


def _rejected(report: Report) -> bool:
    return report["n_rejected"] >= 1 and report["dry_run"] is True


def _accepted(n: int) -> Callable[[Report], bool]:
    return lambda r: r["dry_run"] is True and r["n_stored"] == n


# --- the corpus -----------------------------------------------------------------------------


def corpus() -> list[Case]:
    shp = _shapefile_parts()
    dry = {"dry_run": "true"}
    deep_array = "[" * 5000 + "-69.6, -15.1" + "]" * 5000
    deep_props = '{"a": ' * 5000 + '"x"' + "}" * 5000
    laughs = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    nested = _shp_zip(shp)
    for level in range(3):
        nested = _zip([(f"nivel{level}.zip", nested)])
    cases = [
        # archives
        Case("zip-slip relative", "concessions", "c.zip",
             _zip([(f"../../{MARK}{ext}", d) for ext, d in shp.items()]), 400, "unsafe_archive"),
        Case("zip-slip absolute", "concessions", "c.zip",
             _zip([(f"/tmp/{MARK}{ext}", d) for ext, d in shp.items()]), 400, "unsafe_archive"),
        Case("zip-slip backslashes", "concessions", "c.zip",
             _zip([(f"..\\..\\{MARK}{ext}", d) for ext, d in shp.items()]), 400,
             "unsafe_archive"),
        Case("zip symlink", "concessions", "c.zip", _symlink_zip(), 400, "unsafe_archive"),
        Case("zip bomb", "concessions", "c.zip",
             _zip([("c.shp", b"\0" * (60 * 1024 * 1024)), ("c.dbf", shp[".dbf"])]), 400,
             "unsafe_archive"),
        Case("zip too many entries", "concessions", "c.zip",
             _zip([(f"f{i}.txt", b"x") for i in range(500)]), 400, "unsafe_archive"),
        Case("nested zips", "concessions", "c.zip", nested, 422, "zip_without_shapefile"),
        Case("lying zip sizes", "concessions", "c.zip", _lying_zip(shp), 422,
             "unreadable_file"),
        Case("empty zip", "concessions", "c.zip", _zip([]), 422, "zip_without_shapefile"),
        Case("not a zip", "concessions", "c.zip", b"MZ\x90\x00" + b"\xff" * 4000,
             422, "unreadable_file"),
        Case("truncated zip", "concessions", "c.zip", _shp_zip(shp)[:300], 422, "unreadable_file"),
        Case("shp without dbf and shx", "concessions", "c.zip",
             _zip([("c.shp", shp[".shp"]), ("c.prj", shp[".prj"])]), 422, "shapefile_incomplete"),
        Case("two shapefiles", "concessions", "c.zip",
             _zip([(f"{n}{e}", d) for n in ("a", "b") for e, d in shp.items()]),
             422, "layer_required"),
        Case("duplicate entry names", "concessions", "c.zip",
             _zip([*((f"c{e}", d) for e, d in shp.items()), ("c.shp", b"garbage")]),
             422, "layer_required"),
        Case("shp bad magic", "concessions", "c.zip", _shp_zip(shp, shp=b"\0" * 200),
             422, "unreadable_file"),
        Case("dbf garbage", "concessions", "c.zip", _shp_zip(shp, dbf=b"\x03garbage" * 20),
             422, "profile_unknown"),
        Case("prj garbage", "concessions", "c.zip", _shp_zip(shp, prj=b"NOT A CRS {{{"),
             422, "crs_missing"),
        Case("truncated shp, dry run", "concessions", "c.zip",
             _shp_zip(shp, shp=shp[".shp"][: len(shp[".shp"]) // 2]), 200, None, dry,
             _rejected),
        Case("kmz with XXE", "water", "a.kmz", _zip([("doc.kml", _kml(
            "<Placemark><name>&x;</name></Placemark>",
            '<!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'))]), 400, "unsafe_xml"),
        # KML
        Case("KML XXE", "water", "a.kml", _kml(
            "<Placemark><name>&x;</name></Placemark>",
            '<!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'), 400, "unsafe_xml"),
        Case("KML billion laughs", "water", "a.kml",
             _kml("<Placemark><name>&l9;</name></Placemark>", f"<!DOCTYPE kml [{laughs}]>"),
             400, "unsafe_xml"),
        Case("KML external DTD", "water", "a.kml",
             _kml(PLACEMARK, '<!DOCTYPE kml SYSTEM "http://169.254.169.254/x.dtd">'),
             400, "unsafe_xml"),
        Case("KML parameter entity", "water", "a.kml",
             _kml(PLACEMARK, '<!DOCTYPE kml [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'),
             400, "unsafe_xml"),
        Case("KML 5000 nested folders", "water", "a.kml",
             _kml("<Folder>" * 5000 + PLACEMARK + "</Folder>" * 5000), 422, "unreadable_file"),
        Case("KML not well-formed", "water", "a.kml", _kml(PLACEMARK)[:-40],
             422, "unreadable_file"),
        Case("KML empty", "water", "a.kml", _kml(""), 422, "profile_unknown"),
        # GeoJSON
        Case("GeoJSON 5000-deep coordinates", "water", "a.geojson",
             _fc([_feature({"type": "Point", "coordinates": "DEEP"})]).replace(
                 b'"DEEP"', deep_array.encode()), 422, "unreadable_file"),
        Case("GeoJSON 5000-deep properties", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1), extra="DEEP")]).replace(
                 b'"DEEP"', deep_props.encode()), 422, "unreadable_file"),
        Case("GeoJSON NaN", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1))]).replace(b"-69.6", b"NaN"),
             200, None, dry, _rejected),
        Case("GeoJSON Infinity", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1))]).replace(b"-69.6", b"Infinity"),
             200, None, dry, _rejected),
        Case("GeoJSON 1e308", "water", "a.geojson", _fc([_feature(_point(1e308, 1e308))]),
             422, "crs_missing"),
        Case("GeoJSON coordinates as text", "water", "a.geojson",
             _fc([_feature(_point("-69.6", "-15.1"))]), 200, None, dry, _rejected),
        Case("GeoJSON polygon of one point", "water", "a.geojson",
             _fc([_feature({"type": "Polygon", "coordinates": [[[-69.6, -15.1]]]})]), 422,
             "unreadable_file"),
        Case("GeoJSON 10^6-vertex polygon", "water", "a.geojson", _fc([{
            "type": "Feature", "properties": WETLAND,
            "geometry": {"type": "Polygon", "coordinates": [_ring(1_000_000)]}}]),
             200, None, dry, _accepted(1)),
        Case("GeoJSON POLYGON M (4 ordinates)", "water", "a.geojson", _fc([{
            "type": "Feature", "properties": WETLAND,
            "geometry": {"type": "Polygon", "coordinates": [[[*p, 0.0, 7.0] for p in _ring(8)]]}}]),
             200, None, dry, _accepted(1)),
        Case("GeoJSON Z", "water", "a.geojson",
             _fc([_feature({"type": "Point", "coordinates": [-69.6, -15.1, 3900.0]})]), 200,
             None, dry, _accepted(1)),
        Case("GeoJSON UTM coordinates in a 4326 file", "water", "a.geojson",
             _fc([_feature(_point(400000.0, 8320000.0))]), 422, "crs_missing"),
        Case("GeoJSON duplicate keys", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1)), _feature(_point(-69.5, -15.0))]),
             200, None, dry, _rejected),
        Case("GeoJSON only null geometries", "water", "a.geojson",
             _fc([_feature(None), _feature(None, id="AG-HOSTIL-2")]), 200, None, dry, _rejected),
        Case("GeoJSON empty collection", "water", "a.geojson", _fc([]), 422, "profile_unknown"),
        Case("GeoJSON binary garbage", "water", "a.geojson", bytes(range(256)) * 20,
             422, "unreadable_file"),
        Case("GeoJSON a JSON array", "water", "a.geojson", b"[1, 2, 3]", 422, "unreadable_file"),
        Case("GeoJSON unknown crs member", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1))],
                 crs={"type": "name", "properties": {"name": "EPSG:999999"}}),
             200, None, dry, _accepted(1)),
        Case("GeoJSON invalid UTF-8", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1), name="ÑAÑU")]).replace(
                 "ÑAÑU".encode(), b"\xff\xfe\xc3("), 200, None, dry, _accepted(1)),
        Case("GeoJSON huge property", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1), name="x" * 2_000_000)]), 200, None, dry,
             _accepted(1)),
        Case("GeoJSON SQL in property names", "water", "a.geojson",
             _fc([_feature(_point(-69.6, -15.1), **{"x'); DROP TABLE community;--": 1})]),
             200, None, dry, _accepted(1)),
        Case("GeoJSON geometry collection", "water", "a.geojson", _fc([{
            "type": "Feature", "properties": WETLAND,
            "geometry": {"type": "GeometryCollection", "geometries": [_point(-69.6, -15.1)]}}]),
             200, None, dry, _accepted(1)),
        Case("GeoJSON bow-tie repaired", "water", "a.geojson", _fc([{
            "type": "Feature", "properties": WETLAND,
            "geometry": {"type": "Polygon", "coordinates": [[[-69.6, -15.1], [-69.5, -15.0],
                                                             [-69.5, -15.1], [-69.6, -15.0],
                                                             [-69.6, -15.1]]]}}]),
             200, None, dry, lambda r: r["n_repaired"] == 1 and r["dry_run"]),
        Case("GeoJSON unknown geometry type", "water", "a.geojson",
             _fc([_feature({"type": "Circle", "coordinates": [-69.6, -15.1], "radius": 9})]),
             200, None, dry, _rejected),
        Case("GeoJSON point sent as a concession", "concessions", "a.geojson",
             _fc([{"type": "Feature", "properties": {"CODIGOU": "1", "CONCESION": "x"},
                   "geometry": _point(-69.6, -15.1)}]), 200, None, dry, _rejected),
        # CSV
        Case("CSV formulas (stored as text)", "water", "a.csv", _csv(
            WATER_CSV + '"=HYPERLINK(""http://x"")",=1+1,spring,human,-69.6,-15.1\n'
            '+cmd,@SUM(1),spring,human,-69.5,-15.0\n'), 200, None, dry, _accepted(2)),
        Case("CSV invalid UTF-8", "water", "a.csv",
             _csv(WATER_CSV.encode() + b"AG-1,\xff\xfe\xc3(,spring,human,-69.6,-15.1\n"), 200,
             None, dry, _accepted(1)),
        Case("CSV NUL bytes", "water", "a.csv",
             _csv(WATER_CSV + "AG-1,a\0b,spring,human,-69.6,-15.1\n"), 422, "invalid_value"),
        Case("CSV WKT POLYGON M", "water", "a.csv", _csv(
            'id,name,kind,use,wkt\nAG-1,x,wetland,livestock,'
            '"POLYGON M ((-69.6 -15.1 1, -69.5 -15.1 1, -69.5 -15.0 1, '
            '-69.6 -15.1 1))"\n'), 200, None, dry, _accepted(1)),
        Case("CSV NaN and inf", "water", "a.csv",
             _csv(WATER_CSV + "AG-1,a,spring,human,nan,inf\n"), 200, None, dry, _rejected),
        Case("CSV 1e308", "water", "a.csv",
             _csv(WATER_CSV + "AG-1,a,spring,human,1e308,1e308\n"), 422, "crs_missing"),
        Case("CSV header only", "water", "a.csv", _csv(WATER_CSV), 200, None, dry,
             lambda r: r["n_read"] == 0 and r["n_stored"] == 0),
        Case("CSV unbalanced quotes", "water", "a.csv",
             _csv(WATER_CSV + 'AG-1,"a,spring,human,-69.6,-15.1\n'), 422, "unreadable_file"),
        Case("CSV 10,000 columns", "water", "a.csv", _csv(
            ",".join(f"c{i}" for i in range(10_000)) + "\n" + ",".join("1" * 10_000) + "\n"),
             422, "profile_unknown"),
        Case("CSV WKT garbage", "water", "a.csv",
             _csv('id,name,kind,use,wkt\nAG-1,x,wetland,livestock,"POLYGON ((nonsense"\n'),
             200, None, dry, _rejected),
        # GeoPackage
        Case("GPKG SQL in layer name", "water", "a.gpkg",
             _gpkg_with_layer('x"; DROP TABLE community;--'), 200, None, dry, _accepted(1)),
        Case("GPKG random bytes", "water", "a.gpkg", b"\x00\x01garbage" * 500,
             422, "unreadable_file"),
        Case("GPKG truncated", "water", "a.gpkg", _gpkg_with_layer("agua")[:2048],
             422, "unreadable_file"),
        Case("SQLite that is not a GeoPackage", "water", "a.gpkg", _plain_sqlite(),
             422, "unreadable_file"),
        Case("GPKG unknown source layer", "water", "a.gpkg", _gpkg_with_layer("agua"), 422,
             "layer_not_found", {"source_layer": "no_such_layer"}),
        # names and formats
        Case("unknown extension", "water", "a.exe", b"MZ" + b"\0" * 100, 422, "unsupported_format"),
        Case("traversal in the upload's file name", "water", f"../../{MARK}.geojson",
             _fc([_feature(_point(-69.6, -15.1))]), 200, None, dry, _accepted(1)),
    ]
    return cases
