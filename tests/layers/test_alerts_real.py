"""Change sets and alerts checked against the real INGEMMET extract: two snapshots derived
from it (some rights removed, some added, some changed) and communities placed over them;
the alerts of the second import must match the differences exactly."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
import shapely
import sqlalchemy as sa
from shapely import affinity
from shapely.geometry import MultiPolygon, Point, box, mapping, shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Connection

from layers import communities, consultations, water
from layers.importer import import_file
from layers.versioning import write_snapshot

INGEMMET = Path("peru/mining/ingemmet_17s_100326.geojson")
CRS = "EPSG:32717"
N_FIRST = 200
_TRANSFORMER = pyproj.Transformer.from_crs(CRS, "EPSG:4326", always_xy=True)


def _lonlat(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(
        geom, lambda xy: np.column_stack(_TRANSFORMER.transform(xy[:, 0], xy[:, 1])))


def _features(shared_data: Path) -> list[dict[str, Any]]:
    """A compact window of the real file: the 230 rights nearest to its first right."""
    data = json.loads((shared_data / INGEMMET).read_text(encoding="utf-8"))
    feats = data["features"]
    centre = shape(feats[0]["geometry"]).representative_point()
    near = sorted(feats, key=lambda f: shape(f["geometry"]).representative_point()
                  .distance(centre))
    return [copy.deepcopy(f) for f in near[:N_FIRST + 30]]


def _write(path: Path, feats: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                    encoding="utf-8")
    return path


def _probe(geom: BaseGeometry) -> BaseGeometry:
    """A 100 m square around a point well inside ``geom`` (UTM metres)."""
    p = geom.representative_point()
    return box(p.x - 50, p.y - 50, p.x + 50, p.y + 50)


def _isolated(feat: dict[str, Any], others: list[BaseGeometry]) -> bool:
    """Whether the probe of ``feat`` lies inside it and touches no other right at all."""
    geom = shape(feat["geometry"])
    probe = _probe(geom)
    return geom.contains(probe) and sum(o.intersects(probe) for o in others) == 1


def _community(cid: str, probe_utm: BaseGeometry | None, point_utm: Point | None = None
               ) -> dict[str, Any]:
    row: dict[str, Any] = {a: None for a in communities.ATTRIBUTES}
    territory = MultiPolygon([_lonlat(probe_utm)]) if probe_utm else None
    location = (_lonlat(probe_utm.centroid) if probe_utm
                else _lonlat(point_utm))
    row.update(id=cid, name=f"Comunidad {cid}", kind="comunidad_campesina", country="PE",
               admin_code="130101", title_status="titled", sensitivity="public",
               legal_status="none", territory=territory, location=location)
    return row


def test_second_snapshot_raises_exactly_the_expected_alerts(
    conn: Connection, shared_data: Path, tmp_path: Path
) -> None:
    window = _features(shared_data)
    first, spare = window[:N_FIRST], window[N_FIRST:]
    for f in window:
        f["properties"]["D_ESTADO"] = "TITULADO"
    geoms = [shape(f["geometry"]) for f in window]
    # every right we touch has a probe inside it that meets no other right of either file
    candidates = [f for f in first[: N_FIRST // 2] if _isolated(f, geoms)]
    added = [f for f in spare if _isolated(f, geoms)][:3]
    assert len(candidates) >= 8 and len(added) == 3, "the window has too few isolated rights"
    removed = candidates[0:3]
    holder, extinct, moved, renamed, untouched = candidates[3:8]
    code = {id(f): f["properties"]["CODIGOU"] for f in window}

    second = [copy.deepcopy(f) for f in first if f not in removed] + added
    by_code = {f["properties"]["CODIGOU"]: f for f in second}
    by_code[code[id(holder)]]["properties"]["TIT_CONCES"] = "OTRA EMPRESA MINERA S.A.C."
    by_code[code[id(extinct)]]["properties"]["D_ESTADO"] = "EXTINGUIDO"
    by_code[code[id(renamed)]]["properties"]["CONCESION"] = "OTRO NOMBRE"
    shifted = affinity.translate(shape(moved["geometry"]), xoff=20.0)
    by_code[code[id(moved)]]["geometry"] = mapping(shifted)

    one = import_file(conn, "concessions", _write(tmp_path / "s1.geojson", first), crs=CRS,
                      recorded_by="t", source="INGEMMET 17S")
    n_first = conn.execute(sa.text(
        "SELECT kind, count(*) FROM concession_change WHERE batch_id = :b GROUP BY kind"),
        {"b": one.batch_id}).all()
    assert dict(n_first) == {"new": N_FIRST}

    # communities arrive after the first import, one over each right we touch, one control
    targets = {"CC-QUITADO-0": removed[0], "CC-QUITADO-1": removed[1],
               "CC-QUITADO-2": removed[2], "CC-NUEVO-0": added[0], "CC-NUEVO-1": added[1],
               "CC-NUEVO-2": added[2], "CC-TITULAR": holder, "CC-EXTINTO": extinct,
               "CC-MOVIDO": moved, "CC-NOMBRE": renamed, "CC-CONTROL": untouched}
    rows = [_community(cid, _probe(shape(f["geometry"]))) for cid, f in targets.items()]
    far = shape(first[0]["geometry"]).representative_point()
    rows.append(_community("CC-LEJOS", None, Point(far.x + 200_000, far.y)))
    write_snapshot(conn, communities.community, "id", rows, recorded_by="t", batch_id=None,
                   source="t", close_missing=False)
    spring = _lonlat(_probe(shape(added[0]["geometry"])).centroid)
    write_snapshot(conn, water.water_source, "id", [
        {"id": "AG-MANANTIAL", "name": "Manantial", "kind": "spring", "use": "human",
         "sensitivity": "public", "geom": spring}],
        recorded_by="t", batch_id=None, source="t", close_missing=False)
    cons = {c: None for c in consultations.COLUMNS}
    cons.update(id="CP-001", name="Consulta de prueba", concession_codes=[code[id(extinct)]],
                geom=MultiPolygon([_lonlat(box(far.x, far.y, far.x + 10, far.y + 10))]))
    write_snapshot(conn, consultations.consultation, "id", [cons], recorded_by="t",
                   batch_id=None, source="t", close_missing=False)

    two = import_file(conn, "concessions", _write(tmp_path / "s2.geojson", second), crs=CRS,
                      recorded_by="t", source="INGEMMET 17S")
    changes = conn.execute(sa.text(
        "SELECT code, kind, fields FROM concession_change WHERE batch_id = :b"),
        {"b": two.batch_id}).all()
    assert sorted((c, k, sorted(f)) for c, k, f in changes) == sorted([
        *((code[id(f)], "vanished", []) for f in removed),
        *((code[id(f)], "new", []) for f in added),
        (code[id(holder)], "changed", ["holder"]),
        (code[id(extinct)], "extinguished", ["state"]),
        (code[id(moved)], "changed", ["geometry"]),
        (code[id(renamed)], "changed", []),
    ])
    alerts = conn.execute(sa.text(
        "SELECT a.community_id, a.code, a.kind, a.hectares, a.share, a.water_source_ids, "
        "a.consultation_id, a.state FROM alert a JOIN concession_change c "
        "ON c.id = a.change_id WHERE c.batch_id = :b"), {"b": two.batch_id}).mappings().all()
    expected = {cid: (code[id(f)], kind) for cid, f, kind in [
        *((f"CC-QUITADO-{i}", f, "vanished") for i, f in enumerate(removed)),
        *((f"CC-NUEVO-{i}", f, "new") for i, f in enumerate(added)),
        ("CC-TITULAR", holder, "changed"), ("CC-EXTINTO", extinct, "extinguished"),
        ("CC-MOVIDO", moved, "changed")]}
    assert {a["community_id"]: (a["code"], a["kind"]) for a in alerts} == expected
    assert len(alerts) == len(expected)  # one each; none for CC-NOMBRE, CC-CONTROL, CC-LEJOS
    for a in alerts:
        # each probe (1 ha) lies wholly inside its right: the whole territory is affected
        assert a["hectares"] == pytest.approx(1.0, rel=0.02)
        assert a["share"] == pytest.approx(1.0, rel=1e-6)
        assert a["state"] == "nueva"
    by_comm = {a["community_id"]: a for a in alerts}
    assert by_comm["CC-NUEVO-0"]["water_source_ids"] == ["AG-MANANTIAL"]
    assert by_comm["CC-NUEVO-1"]["water_source_ids"] == []
    assert by_comm["CC-EXTINTO"]["consultation_id"] == "CP-001"
    assert by_comm["CC-TITULAR"]["consultation_id"] is None


def test_dry_run_and_identical_reimport_raise_no_alerts(
    conn: Connection, shared_data: Path, tmp_path: Path
) -> None:
    first = _features(shared_data)[:20]
    path = _write(tmp_path / "s1.geojson", first)
    import_file(conn, "concessions", path, crs=CRS, recorded_by="t", source="S", dry_run=True)
    assert conn.execute(sa.text("SELECT count(*) FROM concession_change")).scalar_one() == 0
    import_file(conn, "concessions", path, crs=CRS, recorded_by="t", source="S")
    import_file(conn, "concessions", path, crs=CRS, recorded_by="t", source="S")
    assert conn.execute(sa.text("SELECT count(*) FROM concession_change")).scalar_one() == 20
