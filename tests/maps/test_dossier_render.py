"""The lawyer's dossier read as printed: PDF pages rendered (PDFium) with text positions;
nothing off the page or printed over other text, labels in the chosen language (no raw
codes), overdue deadlines said so, a coverage statement when no loaded cadastre covers the
community, and an evidence block naming every input file, the rule files and the software."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from shapely.geometry import Point

from api import mapping
from geo.maps.labels import due_text
from geo.rule_files import load_rules
from layers import communities, evidence, maps
from layers.queries import Viewer
from layers.users import Principal
from layers.versioning import write_snapshot
from tests.maps import pdfcheck
from tests.maps_world import MapWorld

EDITOR = Viewer(Principal("abogada", "editor"), 0.01)
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"
RAW_CODES = ("comunidad_campesina", "registered", "irrigation", "in_process", "titled",
             "communities ", "concessions ")


def _due(world: MapWorld, community_id: str, lang: str) -> str:
    with world.engine.connect() as conn:
        due = conn.execute(sa.text(
            "SELECT min(due_date) FROM flag WHERE community_id = :c AND valid_to IS NULL"),
            {"c": community_id}).scalar_one()
    return due_text(due, lang=lang)


@pytest.mark.parametrize("lang", ["es", "en"])
def test_dossier_pdf_fits_and_says_everything(map_world: MapWorld, lang: str) -> None:
    with map_world.engine.connect() as conn:
        out = mapping.dossier_pdf(conn, EDITOR, "HF-001", lang=lang)
    OUTPUT.mkdir(exist_ok=True)
    pages = pdfcheck.render(out.content, OUTPUT / f"dossier-HF-001-{lang}")
    assert len(pages) >= 2
    look = pdfcheck.look(out.content)
    assert not pdfcheck.off_page(look), [r.text for r in pdfcheck.off_page(look)][:5]
    clashes = pdfcheck.overprinted_chars(out.content)
    assert not clashes, clashes[:3]
    text = re.sub(r"\s+", " ", look.text)
    for raw in RAW_CODES if lang == "es" else [c for c in RAW_CODES if "_" in c]:
        assert raw not in text, raw
    assert _due(map_world, "HF-001", lang) in text
    # every input file, the rule files with version and hash, the engines' versions
    for name in ("comunidades.geojson", "concesiones_ingemmet_19s.zip", "consultas.geojson",
                 "dem_ficticio.tif", "cobertura_ficticia.tif", "peru.toml",
                 str(load_rules("PE").meta["version"])):
        assert name in text, name
    assert re.search(r"PostGIS \d", text) and "GEOS" in text and "PROJ" in text
    if lang == "es":
        assert "Comunidad campesina" in text and "Qhapaq Marka, Perú" in text
        assert "Catastro minero consultado para esta zona" in text
    else:
        assert "Peasant community" in text and "overdue by" in text


def test_no_cadastre_here_is_said_not_silent(map_world: MapWorld) -> None:
    """A community outside every loaded cadastre file: the dossier says there is no
    cadastre for the area instead of a silent '0 concessions'."""
    row: dict[str, object] = {a: None for a in communities.ATTRIBUTES}
    row.update(id="ZZ-LEJOS", name="Comunidad lejana (prueba)", kind="ayllu", country="BO",
               admin_code=None, title_status="titled", sensitivity="public",
               legal_status="none", location=Point(-68.1, -16.5))
    with map_world.engine.connect() as conn:
        trans = conn.begin()
        try:
            write_snapshot(conn, communities.community, "id", [row], recorded_by="pytest",
                           batch_id=None, source="pytest", close_missing=False)
            cov = evidence.cadastre_coverage(conn, "ZZ-LEJOS", 5000.0)
            near = evidence.cadastre_coverage(conn, "HF-001", 5000.0)
            page = mapping.dossier_html(conn, EDITOR, "ZZ-LEJOS").content.decode("utf-8")
            pdf = mapping.dossier_pdf(conn, EDITOR, "ZZ-LEJOS").content
            data = maps.dossier(conn, EDITOR, "ZZ-LEJOS")
        finally:
            trans.rollback()
    assert cov["covered"] is False and cov["any_cadastre"] is True
    assert near["covered"] is True and near["batches"]
    assert data["concessions"] == []
    assert "No hay catastro minero cargado para esta zona" in page
    text = re.sub(r"\s+", " ", pdfcheck.look(pdf).text)
    assert "No hay catastro minero cargado para esta zona" in text
    pdfcheck.render(pdf, OUTPUT / "dossier-no-cadastre")


def test_dossier_html_labels_and_deadlines(map_world: MapWorld) -> None:
    with map_world.engine.connect() as conn:
        page = mapping.dossier_html(conn, EDITOR, "HF-001").content.decode("utf-8")
    visible = re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])
    for raw in ("comunidad_campesina", "registered", "irrigation"):
        assert raw not in visible, raw
    assert _due(map_world, "HF-001", "es") in visible
    assert "Versiones del programa" in visible and "peru.toml" in visible


def test_point_only_dossier_says_estimate(map_world: MapWorld) -> None:
    with map_world.engine.connect() as conn:
        cid = str(conn.execute(sa.text(
            "SELECT c.id FROM community c WHERE c.valid_to IS NULL AND c.territory IS NULL "
            "AND EXISTS (SELECT 1 FROM overlap o WHERE o.community_id = c.id AND "
            "o.valid_to IS NULL AND o.other_kind = 'concession') ORDER BY c.id LIMIT 1"))
            .scalar_one())
        out = mapping.dossier_pdf(conn, EDITOR, cid)
    pdfcheck.render(out.content, OUTPUT / "dossier-point-only")
    look = pdfcheck.look(out.content)
    assert not pdfcheck.off_page(look)
    assert not pdfcheck.overprinted_chars(out.content)
    text = re.sub(r"\s+", " ", look.text)
    assert "ESTIMACIÓN" in text and "Mapa" in text
    # the map heading is on the same page as the map (no orphan heading at a page foot)
    map_pages = {r.page for r in look.runs if r.text.strip() == "Mapa"}
    assert map_pages and all(p + 1 < len(look.sizes) or p == len(look.sizes) - 1
                             for p in map_pages)
