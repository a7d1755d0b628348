"""Pure parts of conflicts and actors: the Defensoría profile on a report's own headers, actor
names (kinds, stable ids, community names), the graph's layout and SVG, the sample files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import sample_conflicts
from geo.conflict_actors import actor_id, community_name, guess_kind
from geo.profiles import apply_profile, detect_profile
from geo.relgraph import Edge, Node, layout, svg

DATA = Path(__file__).resolve().parents[2] / "data" / "sample"


def _frame(rows: list[dict[str, str]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=[None] * len(rows), crs=4326)


def test_report_headers_are_recognised_and_read() -> None:
    raw = _frame([{"N°": "12", "Lugar": "Puno / Huancané / Rosaspata", "Tipo": "Asuntos de "
                   "gobierno local", "Estado": "Latente", "Fase actual": "",
                   "Actores primarios": "Frente de Defensa; Municipalidad Distrital",
                   "Competencia": "Gobierno Local", "Diálogo": "No hay diálogo",
                   "Fecha de inicio": "3/1/2024"}])
    assert detect_profile("conflicts", raw.columns) == "defensoria_conflicts"
    result = apply_profile("defensoria_conflicts", raw, layer="conflicts")
    assert not result.rejections
    row = result.frame.iloc[0]
    assert (row["id"], row["type"], row["status"], row["phase"]) == \
        ("12", "gobierno_local", "latente", None)
    assert (row["department"], row["province"], row["district"]) == \
        ("Puno", "Huancané", "Rosaspata")
    assert row["actors_primary"] == ["Frente de Defensa", "Municipalidad Distrital"]
    assert row["competence"] == "local" and row["dialogue"] == "no"
    assert str(row["start_date"]) == "2024-01-03"


def test_several_levels_of_government_are_shared_competence() -> None:
    raw = _frame([{"numero": "1", "tipo": "socioambiental", "estado": "activo",
                   "competencia": "Gobierno Nacional, Gobierno Regional y Gobierno Local"}])
    result = apply_profile("defensoria_conflicts", raw, layer="conflicts")
    assert result.frame.iloc[0]["competence"] == "shared"


def test_actor_names() -> None:
    assert guess_kind("Empresa Minera Los Andes S.A.C.") == "company"
    assert guess_kind("C.C. de Ccollana") == "community"
    assert guess_kind("Municipalidad Provincial de Espinar") == "state_agency"
    assert guess_kind("Frente Único de Defensa de los Intereses") == "social_org"
    assert guess_kind("Juan Pérez") == "other"
    assert actor_id("Empresa Minera X S.A.C.") == actor_id("empresa minera x s.a.c. ")
    assert actor_id("Empresa Minera X S.A.C.") != actor_id("Empresa Minera Y S.A.C.")
    assert community_name("Comunidad Campesina de Ccollana") == "ccollana"


def test_layout_is_deterministic_and_inside_the_drawing() -> None:
    nodes = [Node("community:A", "community", "A", "Comunidad A"),
             Node("conflict:K", "conflict", "K", "Conflicto K", "Socioambiental"),
             *(Node(f"actor:{i}", "actor", str(i), f"Actor {i}") for i in range(7))]
    edges = [Edge("conflict:K", "community:A", "community"),
             *(Edge("conflict:K", f"actor:{i}", "primary", "Actor primario")
               for i in range(7))]
    first = layout(nodes, edges, "community:A")
    assert first == layout(list(reversed(nodes)), edges, "community:A")
    assert first["community:A"] == (450, 320)
    assert all(0 < x < 900 and 0 < y < 640 for x, y in first.values())
    assert len(set(first.values())) == len(nodes)
    drawing = svg(nodes, edges, "community:A", title="Relaciones <de> A",
                  links={"conflict:K": "/relaciones?conflict=K&lang=es"})
    root = ET.fromstring(drawing)  # well-formed, escaped
    ns = "{http://www.w3.org/2000/svg}"
    groups = root.findall(f".//{ns}g")
    assert {g.get("data-id") for g in groups} == {n.id for n in nodes}
    assert len(root.findall(f".//{ns}line")) == len(edges)
    assert root.find(f".//{ns}a").get("href") == "/relaciones?conflict=K&lang=es"


def test_committed_sample_files_are_the_generator_output() -> None:
    for name, content in sample_conflicts.FILES.items():
        assert (DATA / name).read_text(encoding="utf-8") == content(), name
    assert "FICTICIOS" in sample_conflicts.conflicts_csv()
