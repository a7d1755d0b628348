"""File formats and archive safety, on files generated in tmp_path."""

from __future__ import annotations

import json
import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geo.errors import (
    InputError,
    UnreadableFileError,
    UnsafeArchiveError,
    UnsupportedFormatError,
)
from geo.ingest import file_sha256, prepare
from geo.io import read_vector

HOLDER = "COMPAÑÍA MINERA ÑUÑOA S.A.C."
SQUARE_19S = shapely.box(400000, 8300000, 401000, 8301000)


def _concessions_shp(folder: Path) -> Path:
    frame = gpd.GeoDataFrame(
        {
            "CODIGOU": ["010000119", "010000219"],
            "CONCESION": ["AÑAS DE ORO", "SAN JOSÉ"],
            "TIT_CONCES": [HOLDER, "PEÑA"],
            "D_ESTADO": ["TITULADO", "EN TRÁMITE"],
            "ZONA": [19, 19],
        },
        geometry=[SQUARE_19S, shapely.affinity.translate(SQUARE_19S, 2000)],
        crs="EPSG:32719",
    )
    path = folder / "concesiones_19s.shp"
    pyogrio.write_dataframe(frame, path, encoding="latin1")
    return path


def test_latin1_shapefile_with_cpg_keeps_spanish_letters(tmp_path: Path) -> None:
    shp = _concessions_shp(tmp_path)
    assert shp.with_suffix(".cpg").read_text().strip().upper() in {"LATIN1", "ISO-8859-1"}
    assert "Ñ".encode("latin1") in shp.with_suffix(".dbf").read_bytes()
    raw = read_vector(shp)
    assert raw.frame["TIT_CONCES"].iloc[0] == HOLDER
    assert raw.declared_crs is not None and raw.declared_crs.to_epsg() == 32719
    p = prepare(shp, layer="concessions")
    assert p.frame["holder"].iloc[0] == HOLDER
    assert list(p.frame["state"]) == ["titled", "in_process"]
    assert list(p.frame["state_raw"]) == ["TITULADO", "EN TRÁMITE"]


def test_shapefile_without_prj_declares_nothing(tmp_path: Path) -> None:
    shp = _concessions_shp(tmp_path)
    shp.with_suffix(".prj").unlink()
    assert read_vector(shp).declared_crs is None
    with pytest.raises(InputError) as info:
        prepare(shp, layer="concessions")
    assert "EPSG:32719" in str(info.value)  # from ZONA / file name


def test_shapefile_hash_covers_sidecars_and_is_stable(tmp_path: Path) -> None:
    shp = _concessions_shp(tmp_path)
    first = file_sha256(shp)
    assert first == file_sha256(shp)
    shp.with_suffix(".prj").write_text("changed")
    assert file_sha256(shp) != first


def _zip(path: Path, files: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return path


def test_zipped_shapefile(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    shp = _concessions_shp(tmp_path / "src")
    files = {f"capa/{p.name}": p.read_bytes() for p in shp.parent.iterdir()}
    archive = _zip(tmp_path / "ingemmet.zip", files)
    raw = read_vector(archive)
    assert raw.source_name == "ingemmet.zip" and raw.layer == "concesiones_19s"
    assert raw.frame["TIT_CONCES"].iloc[0] == HOLDER
    p = prepare(archive, layer="concessions")
    assert len(p.frame) == 2 and p.crs_decision.used == "EPSG:32719"


@pytest.mark.parametrize("name", ["../evil.shp", "/etc/evil.shp", "a/../../evil.dbf"])
def test_zip_with_traversal_entry_is_refused(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "evil.zip", {"ok.txt": b"x", name: b"x"})
    with pytest.raises(UnsafeArchiveError) as info:
        read_vector(archive)
    assert "evil.zip" in str(info.value) and info.value.details["reason"] == "path_traversal"


def test_zip_with_symlink_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        info = zipfile.ZipInfo("capa.shp")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafeArchiveError, match="enlace simbólico"):
        read_vector(archive)


def test_zip_bomb_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "bomb.zip", {"capa.dbf": b"\0" * (20 * 1024 * 1024)})
    assert archive.stat().st_size < 100_000
    with pytest.raises(UnsafeArchiveError) as info:
        read_vector(archive)
    assert info.value.details["reason"] == "zip_bomb"


def test_zip_with_too_many_entries_is_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "many.zip", {f"f{i}.txt": b"x" for i in range(201)})
    with pytest.raises(UnsafeArchiveError, match="201"):
        read_vector(archive)


def test_corrupt_zip_is_unreadable(tmp_path: Path) -> None:
    bad = tmp_path / "roto.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(UnreadableFileError, match=r"roto\.zip"):
        read_vector(bad)


KML = """<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>Comunidades</name>
<Placemark><name>Comunidad Campesina Ñuñoa</name>
<Point><coordinates>-69.77,-15.20,0</coordinates></Point></Placemark>
<Placemark><name>Titicaca</name><Polygon><outerBoundaryIs><LinearRing><coordinates>
-69.9,-15.3 -69.8,-15.3 -69.8,-15.2 -69.9,-15.2 -69.9,-15.3</coordinates></LinearRing>
</outerBoundaryIs></Polygon></Placemark>
</Document></kml>
"""


def test_kml_with_doctype_or_entity_is_refused_before_gdal(tmp_path: Path) -> None:
    evil = KML.replace(
        "<kml ",
        '<!DOCTYPE kml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n<kml ',
    ).replace("<name>Titicaca", "<name>&xxe;")
    path = tmp_path / "evil.kml"
    path.write_text(evil, encoding="utf-8")
    with pytest.raises(UnsafeArchiveError) as info:
        read_vector(path)
    assert info.value.code == "unsafe_xml" and "evil.kml" in str(info.value)


def test_kml_and_kmz_are_read(tmp_path: Path) -> None:
    kml = tmp_path / "comunidades.kml"
    kml.write_text(KML, encoding="utf-8")
    raw = read_vector(kml)
    assert raw.declared_crs is None and len(raw.frame) == 2
    kmz = _zip(tmp_path / "comunidades.kmz", {"doc.kml": KML.encode()})
    raw = read_vector(kmz)
    assert raw.driver == "KMZ" and len(raw.frame) == 2
    names = set(raw.frame[next(c for c in raw.frame.columns if c.lower() == "name")])
    assert "Comunidad Campesina Ñuñoa" in names
    assert set(raw.frame.geometry.geom_type) == {"Point", "Polygon"}


def test_kmz_with_entity_is_refused(tmp_path: Path) -> None:
    evil = KML.replace("<kml ", '<!DOCTYPE kml [<!ENTITY a "aaaa">]><kml ')
    kmz = _zip(tmp_path / "evil.kmz", {"doc.kml": evil.encode()})
    with pytest.raises(UnsafeArchiveError):
        read_vector(kmz)


def test_csv_lonlat_with_spanish_template_headers(tmp_path: Path) -> None:
    csv = tmp_path / "comunidades.csv"
    csv.write_text(
        "codigo;nombre;tipo;pais;ubigeo;estado_titulo;fecha_titulo;personeria;"
        "clausula_agua;estatuto_aprobado;junta_fin_mandato;sensibilidad;Longitud;Latitud\n"
        "CC-001;Ñuñoa Alta;comunidad campesina;Perú;210601;titulada;15/03/1998;inscrita;sí;"
        "1990-05-01;31/12/2027;pública;-69,77;-15,20\n"
        "CC-002;Sin Título;Comunidad Campesina;PE;210602;reconocida_sin_titulo;;en_tramite;"
        ";;;red;-69.5;-14.9\n",
        encoding="cp1252",
    )
    p = prepare(csv, layer="communities")
    assert p.profile == "allpa_community"
    assert p.crs_decision.defaulted
    first, second = p.frame.iloc[0], p.frame.iloc[1]
    assert first["name"] == "Ñuñoa Alta" and first["kind"] == "comunidad_campesina"
    assert first["country"] == "PE" and first["title_status"] == "titled"
    assert str(first["title_date"]) == "1998-03-15"
    assert first["legal_status"] == "registered" and first["clause_water"] is True
    assert first["sensitivity"] == "public"
    assert str(first["statute_adopted"]) == "1990-05-01"
    assert str(first["board_term_end"]) == "2027-12-31"
    assert p.warnings == [p.warnings[0]]  # only the "no CRS declared" note
    assert first.geometry.equals(shapely.Point(-69.77, -15.20))
    assert second["clause_water"] is None and second["legal_status"] == "in_process"
    assert second["sensitivity"] == "network"


def test_csv_wkt(tmp_path: Path) -> None:
    csv = tmp_path / "agua.csv"
    csv.write_text(
        "id,name,kind,use,WKT\n"
        'A1,Manantial,manantial,riego,"POINT (-69.7 -15.2)"\n'
        'A2,Río Ramis,río,,"LINESTRING (-69.9 -15.1, -69.8 -15.0)"\n',
        encoding="utf-8",
    )
    p = prepare(csv, layer="water")
    assert list(p.frame["kind"]) == ["spring", "river"]
    assert list(p.frame["use"]) == ["irrigation", None]
    assert list(p.frame.geometry.geom_type) == ["Point", "LineString"]


def test_csv_without_geometry_is_a_network_table(tmp_path: Path) -> None:
    csv = tmp_path / "redes.csv"
    csv.write_text(
        "id,nombre,descripcion,miembros\nR1,Red Huancané,Central,CC-001;CC-002\n",
        encoding="utf-8",
    )
    raw = read_vector(csv)
    assert raw.frame.geometry.isna().all()
    p = prepare(csv, layer="networks")
    assert p.frame["members"].iloc[0] == ["CC-001", "CC-002"]


def test_gpkg_with_two_layers_lists_them(tmp_path: Path) -> None:
    path = tmp_path / "varios.gpkg"
    frame = gpd.GeoDataFrame({"id": ["1"]}, geometry=[shapely.Point(-69, -15)], crs=4326)
    pyogrio.write_dataframe(frame, path, layer="comunidades")
    pyogrio.write_dataframe(frame, path, layer="agua", append=True)
    with pytest.raises(InputError) as info:
        read_vector(path)
    assert "'comunidades'" in str(info.value) and "'agua'" in str(info.value)
    assert info.value.code == "layer_required"
    assert read_vector(path, layer="agua").layer == "agua"


def test_geojson_declared_vs_defaulted(tmp_path: Path) -> None:
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [-69, -15]},
    }
    plain = tmp_path / "plain.geojson"
    plain.write_text(json.dumps({"type": "FeatureCollection", "features": [feature]}))
    legacy = tmp_path / "legacy.geojson"
    legacy.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [feature],
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
            }
        )
    )
    assert read_vector(plain).declared_crs is None
    declared = read_vector(legacy).declared_crs
    assert declared is not None and declared.to_epsg() == 4326


def test_unsupported_and_corrupt_files(tmp_path: Path) -> None:
    dwg = tmp_path / "plano.dwg"
    dwg.write_bytes(b"AC1027")
    with pytest.raises(UnsupportedFormatError) as info:
        read_vector(dwg)
    assert ".geojson" in str(info.value) and "plano.dwg" in str(info.value)
    broken = tmp_path / "roto.geojson"
    broken.write_text('{"type": "FeatureCollection", "features": [')
    with pytest.raises(UnreadableFileError, match=r"roto\.geojson"):
        read_vector(broken)
