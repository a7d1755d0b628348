"""Importing a Defensoría-style conflict report (``allpa import conflicts``): names linked to
communities and actors, missing actors created and reported, bad rows rejected with their
reasons, everything or nothing stored, every change a new version."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.conflict_actors import actor_id
from layers.base import history
from layers.importer import RejectedFeaturesError, import_file
from layers.registry import get_layer

#: The Defensoría report's own headers (as a spreadsheet copy spells them), not the template's
HEADER = ["N°", "Lugar", "Tipo", "Estado", "Fase actual", "Caso", "Actores primarios",
          "Actores secundarios", "Actores terciarios", "Competencia", "Fecha de inicio",
          "Diálogo", "Acciones de violencia", "Comunidades"]


def _write(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        for row in rows:
            w.writerow({h: row.get(h, "") for h in header})
    return path


GOOD = {
    "N°": "CT-001", "Lugar": "Puno, Huancané (ficticia), Wila Qullu", "Tipo": "Socioambiental",
    "Estado": "Activo", "Fase actual": "Escalamiento",
    "Caso": "Comuneros denuncian turbidez en el río (prueba)",
    "Actores primarios": "Comunidad Campesina Kimsa K'uchu (ficticia); Empresa Minera "
                         "Prueba Uno S.A.C.",
    "Actores secundarios": "Frente de Defensa del Agua de la Cuenca (ficticio)",
    "Actores terciarios": "Ministerio del Ambiente (prueba)",
    "Competencia": "Gobierno Nacional, Gobierno Local", "Fecha de inicio": "05/02/2026",
    "Diálogo": "Hay diálogo", "Acciones de violencia": "",
    "Comunidades": "Tunki Marka; HF-016; Comunidad Inexistente Qhaqha",
}


def _current(conn: Connection, table: str, key: str) -> dict[str, Any] | None:
    row = conn.execute(sa.text(f"SELECT *, ST_X(location) AS x, ST_Y(location) AS y "
                               f"FROM {table} WHERE id = :k AND valid_to IS NULL")
                       if table == "social_conflict" else
                       sa.text(f"SELECT * FROM {table} WHERE id = :k AND valid_to IS NULL"),
                       {"k": key}).mappings().one_or_none()
    return dict(row) if row else None


def test_report_links_communities_and_actors_and_creates_missing_actors(
        sample_conn: Connection, tmp_path: Path) -> None:
    path = _write(tmp_path / "reporte.csv", [GOOD])
    report = import_file(sample_conn, "conflicts", path, recorded_by="pytest",
                         source="Reporte de prueba")
    assert report.profile == "defensoria_conflicts"
    assert (report.n_read, report.n_inserted, len(report.rejections)) == (1, 1, 0)
    row = _current(sample_conn, "social_conflict", "CT-001")
    assert row is not None
    assert (row["type"], row["status"], row["phase"]) == ("socioambiental", "activo",
                                                          "escalamiento")
    # "Lugar" split into department / province / district; the district's name gives its ubigeo
    assert (row["department"], row["district"], row["admin_code"]) == \
        ("Puno", "Wila Qullu", "219902")
    assert row["competence"] == "shared" and row["dialogue"] == "yes"
    assert str(row["start_date"]) == "2026-02-05"
    # by name without its prefix and note, by id, and the community named among the actors
    assert row["communities"] == ["HF-006", "HF-015", "HF-016"]
    # the existing actor is found by name; the others are created with stable ids
    assert row["actors_secondary"] == ["ACT-FRENTE"]
    company = actor_id("Empresa Minera Prueba Uno S.A.C.")
    assert company in row["actors_primary"]
    created = _current(sample_conn, "actor", company)
    assert created is not None and created["kind"] == "company"
    assert created["import_batch_id"] == report.batch_id and created["recorded_by"] == "pytest"
    ministry = _current(sample_conn, "actor", actor_id("Ministerio del Ambiente (prueba)"))
    assert ministry is not None and ministry["kind"] == "state_agency"
    community_actor = _current(sample_conn, "actor",
                               actor_id("Comunidad Campesina Kimsa K'uchu (ficticia)"))
    assert community_actor is not None and community_actor["communities"] == ["HF-006"]
    # the report says what it created and what it could not link
    text = " ".join(report.warnings)
    assert "actores nuevos creados" in text and company in text
    assert "Comunidad Inexistente Qhaqha" in text
    # placed on its first community's point (no coordinates in the file)
    point = sample_conn.execute(sa.text(
        "SELECT ST_X(location), ST_Y(location) FROM community WHERE id = 'HF-006' "
        "AND valid_to IS NULL")).one()
    assert (row["x"], row["y"]) == pytest.approx(tuple(point))


def test_bad_rows_are_rejected_with_reasons_and_the_rest_stored(
        sample_conn: Connection, tmp_path: Path) -> None:
    rows = [
        {**GOOD, "N°": "CT-010"},
        {**GOOD, "N°": "CT-011", "Tipo": "Conflicto de vecinos"},
        {**GOOD, "N°": "CT-012", "Estado": "Pendiente"},
        {**GOOD, "N°": "", "Caso": "sin número"},
        {**GOOD, "N°": "CT-013", "Fase actual": "Final"},
        {**GOOD, "N°": "CT-010", "Caso": "repetido"},
    ]
    report = import_file(sample_conn, "conflicts", _write(tmp_path / "malo.csv", rows),
                         recorded_by="pytest")
    assert report.n_inserted == 1 and report.inserted_keys == ["CT-010"]
    reasons = {r["feature_id"]: r["reason"] for r in report.rejections}
    assert len(report.rejections) == 5, reasons
    assert "Conflicto de vecinos" in reasons["CT-011"] and "'type'" in reasons["CT-011"]
    assert "Pendiente" in reasons["CT-012"] and "'status'" in reasons["CT-012"]
    assert "Final" in reasons["CT-013"] and "'phase'" in reasons["CT-013"]
    assert any("falta 'id'" in r for r in reasons.values())
    assert any("duplicado" in r for r in reasons.values())
    assert _current(sample_conn, "social_conflict", "CT-011") is None


def test_an_import_is_all_or_nothing(sample_conn: Connection, tmp_path: Path) -> None:
    """A refused import (``--strict`` with a bad row) and a dry run store nothing: no
    conflict, and none of the actors the file would have created."""
    rows = [GOOD, {**GOOD, "N°": "CT-002", "Estado": "Desconocido"}]
    path = _write(tmp_path / "estricto.csv", rows)
    counts = ("SELECT count(*) FROM social_conflict", "SELECT count(*) FROM actor",
              "SELECT count(*) FROM import_batch")
    before = [sample_conn.execute(sa.text(q)).scalar_one() for q in counts]
    with pytest.raises(RejectedFeaturesError):
        import_file(sample_conn, "conflicts", path, recorded_by="pytest", strict=True)
    dry = import_file(sample_conn, "conflicts", path, recorded_by="pytest", dry_run=True)
    assert dry.n_inserted == 1 and dry.batch_id is None
    assert any("actores nuevos" in w for w in dry.warnings)  # what it would have created
    assert [sample_conn.execute(sa.text(q)).scalar_one() for q in counts] == before
    assert _current(sample_conn, "actor", actor_id("Empresa Minera Prueba Uno S.A.C.")) is None


def test_a_changed_report_makes_a_new_version_and_keeps_the_old(
        sample_conn: Connection, tmp_path: Path) -> None:
    first = import_file(sample_conn, "conflicts", _write(tmp_path / "enero.csv", [GOOD]),
                        recorded_by="abogada", source="Reporte enero (prueba)")
    second = import_file(sample_conn, "conflicts",
                         _write(tmp_path / "febrero.csv",
                                [{**GOOD, "Estado": "Resuelto", "Fase actual": ""}]),
                         recorded_by="abogado2", source="Reporte febrero (prueba)")
    assert second.changed_keys == ["CT-001"]
    versions = history(sample_conn, get_layer("conflicts"), "CT-001")
    assert [v["status"] for v in versions] == ["activo", "resuelto"]
    assert [v["recorded_by"] for v in versions] == ["abogada", "abogado2"]
    assert [v["source"] for v in versions] == ["Reporte enero (prueba)",
                                               "Reporte febrero (prueba)"]
    assert versions[0]["valid_to"] is not None and versions[1]["valid_to"] is None
    assert [v["import_batch_id"] for v in versions] == [first.batch_id, second.batch_id]
    # the actors already exist now: nothing new is created the second time
    assert not any("actores nuevos" in w for w in second.warnings)


def test_the_allpa_template_and_coordinates(sample_conn: Connection, tmp_path: Path) -> None:
    """The empty template's headers (Spanish), with lon/lat: placed where the file says."""
    from geo.profiles.defensoria import TEMPLATE_COLUMNS

    row = {"numero": "CT-100", "tipo": "comunal", "estado": "latente", "fase": "temprana",
           "ubigeo": "219904", "actores_primarios": "ACT-ONG", "comunidades": "HF-031",
           "sensibilidad": "restringida", "lon": "-69.5", "lat": "-15.0"}
    report = import_file(sample_conn, "conflicts",
                         _write(tmp_path / "plantilla.csv", [row], list(TEMPLATE_COLUMNS)),
                         recorded_by="pytest")
    assert report.n_inserted == 1, report.rejections
    stored = _current(sample_conn, "social_conflict", "CT-100")
    assert stored is not None
    assert (stored["x"], stored["y"]) == (-69.5, -15.0)
    assert stored["actors_primary"] == ["ACT-ONG"] and stored["sensitivity"] == "restricted"
    assert stored["communities"] == ["HF-031"]


def test_an_actor_that_is_a_community_is_as_sensitive_as_it(sample_conn: Connection) -> None:
    """The sample report names the network-only HF-005 among its actors: the actor created
    for it is network-only too (its name is the community's)."""
    sensitivity = {r[0]: r[1] for r in sample_conn.execute(sa.text(
        "SELECT id, sensitivity FROM community WHERE id IN ('HF-005', 'HF-001') "
        "AND valid_to IS NULL"))}
    assert sensitivity == {"HF-005": "network", "HF-001": "public"}
    for name, community in (("Comunidad Campesina Jach'a Qullu (ficticia)", "HF-005"),
                            ("Comunidad Campesina Wayra Uyu (ficticia)", "HF-001")):
        row = _current(sample_conn, "actor", actor_id(name))
        assert row is not None and row["communities"] == [community]
        assert row["sensitivity"] == sensitivity[community], name
