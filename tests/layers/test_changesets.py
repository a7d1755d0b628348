"""Change sets on small hand-made cadastre files: the point-only search radius, and rights
closed outside a file's coverage that must not read as vanished."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, Point, box, mapping
from sqlalchemy.engine import Connection

from layers import communities
from layers.importer import import_file
from layers.versioning import write_snapshot

R1 = box(-70.00, -15.00, -69.99, -14.99)   # ~1.1 x 1.1 km
R2 = box(-69.50, -15.00, -69.49, -14.99)
R3 = box(-69.75, -14.00, -69.74, -13.99)   # far north of R1-R2


def _file(path: Path, rights: dict[str, Any]) -> Path:
    feats = [{"type": "Feature", "geometry": mapping(g),
              "properties": {"CODIGOU": code, "CONCESION": f"Derecho {code}",
                             "TIT_CONCES": "MINERA PRUEBA S.A.C.", "D_ESTADO": "TITULADO"}}
             for code, g in rights.items()]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}),
                    encoding="utf-8")
    return path


def _community(cid: str, *, territory: Any = None, point: Point | None = None
               ) -> dict[str, Any]:
    row: dict[str, Any] = {a: None for a in communities.ATTRIBUTES}
    row.update(id=cid, name=cid, kind="comunidad_campesina", country="PE",
               admin_code="219901", title_status="titled", sensitivity="public",
               legal_status="none",
               territory=MultiPolygon([territory]) if territory is not None else None,
               location=point if point is not None else territory.representative_point())
    return row


def _alerts(conn: Connection, batch: int | None) -> dict[str, tuple[str, str, Any, Any]]:
    rows = conn.execute(sa.text(
        "SELECT a.community_id, a.code, a.kind, a.hectares, a.share FROM alert a "
        "JOIN concession_change c ON c.id = a.change_id WHERE c.batch_id = :b"),
        {"b": batch}).all()
    return {r[0]: (r[1], r[2], r[3], r[4]) for r in rows}


def test_point_only_radius_and_coverage_of_a_partial_file(conn: Connection,
                                                          tmp_path: Path) -> None:
    write_snapshot(conn, communities.community, "id", [
        # a point 1.6 km east of R1: within the 5 km search radius, no territory
        _community("CC-PUNTO", point=Point(-69.975, -14.995)),
        # a territory over the north of R3
        _community("CC-NORTE", territory=box(-69.748, -13.995, -69.742, -13.985)),
        # a point 15 km from everything
        _community("CC-LEJOS", point=Point(-69.85, -14.60)),
    ], recorded_by="t", batch_id=None, source="t", close_missing=False)
    first = import_file(conn, "concessions", _file(tmp_path / "a.geojson",
                                                   {"R1": R1, "R2": R2, "R3": R3}),
                        recorded_by="t", source="zona")
    alerts = _alerts(conn, first.batch_id)
    assert set(alerts) == {"CC-PUNTO", "CC-NORTE"}
    code, kind, ha, share = alerts["CC-PUNTO"]
    assert (code, kind, share) == ("R1", "new", None)
    assert ha == pytest.approx(119, rel=0.02)  # all of R1 lies inside the radius (geodesic)
    code, kind, ha, share = alerts["CC-NORTE"]
    assert (code, kind) == ("R3", "new")
    assert share == pytest.approx(0.5, rel=0.02)  # half the territory lies over R3

    # a file covering R1-R2 only closes R3 (same source), but R3 lies outside its coverage:
    # not "vanished", no alert for CC-NORTE
    second = import_file(conn, "concessions", _file(tmp_path / "b.geojson",
                                                    {"R1": R1, "R2": R2}),
                         recorded_by="t", source="zona", allow_mass_close=True)
    assert second.closed_keys == ["R3"]
    kinds = conn.execute(sa.text("SELECT count(*) FROM concession_change WHERE batch_id = :b"),
                         {"b": second.batch_id}).scalar_one()
    assert kinds == 0
    assert _alerts(conn, second.batch_id) == {}
