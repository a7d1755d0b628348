"""Interface strings of the relationship view (``/relaciones``) and of the conflict popup
and panel link on the map, Spanish first, English available (other interface languages
fall back to Spanish)."""

from __future__ import annotations

ES: dict[str, str] = {
    "title": "Relaciones",
    "title_community": "Relaciones de {name}",
    "title_conflict": "Conflicto {name}",
    "intro": "Actores, comunidades y conflictos vinculados. Cuadrado: conflicto; círculo "
             "verde: comunidad; círculo azul: actor. Las líneas indican el papel del actor.",
    "legend_community": "Comunidad", "legend_conflict": "Conflicto social",
    "legend_actor": "Actor",
    "nodes": "Elementos del gráfico", "empty": "No hay conflictos ni actores registrados "
                                               "para esta comunidad.",
    "back": "Volver al mapa", "open_relations": "Ver relaciones (actores y conflictos)",
    "conflict": "Conflicto social", "type": "Tipo", "status": "Estado", "phase": "Fase",
    "start": "Inicio", "dialogue": "Diálogo", "district": "Distrito",
    "fictional": "DATOS FICTICIOS de muestra",
    "line_primary": "actor primario", "line_secondary": "actor secundario",
    "line_tertiary": "actor terciario", "line_community": "comunidad del conflicto",
    "line_link": "actor vinculado a la comunidad", "line_company": "empresa matriz",
}
EN: dict[str, str] = {
    "title": "Relationships",
    "title_community": "Relationships of {name}",
    "title_conflict": "Conflict {name}",
    "intro": "Linked actors, communities and conflicts. Square: conflict; green circle: "
             "community; blue circle: actor. Lines show the actor's role.",
    "legend_community": "Community", "legend_conflict": "Social conflict",
    "legend_actor": "Actor",
    "nodes": "Items in the graph", "empty": "No conflicts or actors recorded for this "
                                           "community.",
    "back": "Back to the map", "open_relations": "See relationships (actors and conflicts)",
    "conflict": "Social conflict", "type": "Type", "status": "Status", "phase": "Phase",
    "start": "Start", "dialogue": "Dialogue", "district": "District",
    "fictional": "FICTIONAL sample data",
    "line_primary": "primary actor", "line_secondary": "secondary actor",
    "line_tertiary": "tertiary actor", "line_community": "community of the conflict",
    "line_link": "actor linked to the community", "line_company": "parent company",
}


def relations_strings(lang: str | None) -> dict[str, str]:
    return {**ES, **(EN if lang == "en" else {})}
