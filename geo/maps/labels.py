"""Every user-facing string of the maps, dossiers and the browser map, in one dictionary.

Spanish first (the default), English second. ``api.i18n`` re-exports this for the web page;
``geo.maps`` uses it for legends and popups so a legend reads the same in every output.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

Lang = str

STRINGS: dict[str, dict[str, str]] = {
    "es": {
        "app_title": "Allpa · mapa de territorios comunales",
        "app_subtitle": "Territorios, personería jurídica, agua y concesiones mineras",
        "search_placeholder": "Buscar comunidad…",
        "search_none": "Sin resultados",
        "layers": "Capas",
        "legend": "Leyenda",
        "color_by": "Colorear comunidades por",
        "color_severity": "gravedad de la alerta",
        "color_legal": "personería jurídica",
        "layer_communities": "Comunidades",
        "layer_raster": "Ráster (DEM / cobertura)",
        "layer_boundaries_short": "Límites",
        "layer_concessions": "Concesiones mineras",
        "layer_water": "Fuentes de agua",
        "layer_landcover": "Cobertura del suelo (raster)",
        "layer_boundaries": "Límites administrativos",
        "layer_consultations": "Áreas de consulta previa",
        "sev_critical": "Crítica",
        "sev_high": "Alta",
        "sev_medium": "Media",
        "sev_low": "Baja",
        "sev_info": "Informativa",
        "sev_none": "Sin alertas",
        "legal_registered": "Inscrita",
        "legal_in_process": "En trámite",
        "legal_none": "Sin personería",
        "legal_unknown": "Sin dato",
        "state_titled": "Titulada",
        "state_in_process": "En trámite",
        "state_extinguished": "Extinguida",
        "state_other": "Otro estado",
        "state_unknown": "Estado desconocido",
        "water_spring": "Manantial",
        "water_river": "Río",
        "water_stream": "Quebrada",
        "water_lake": "Laguna",
        "water_wetland": "Bofedal",
        "water_well": "Pozo",
        "water_canal": "Canal",
        "water_glacier": "Glaciar",
        "panel_close": "Cerrar",
        "legal_status": "Personería jurídica",
        "registry": "Inscripción registral",
        "board_term": "Junta directiva (fin de mandato)",
        "board_expired": "vencida",
        "statute": "Estatuto",
        "clauses": "Cláusulas",
        "clause_territory": "territorio",
        "clause_water": "agua",
        "clause_environment": "ambiente",
        "clause_consultation": "consulta",
        "clause_women": "mujeres",
        "yes": "sí",
        "no": "no",
        "unknown": "sin dato",
        "concessions_overlap": "Concesiones superpuestas",
        "territory_under_concessions": "Territorio bajo concesiones (unión)",
        "code": "Código",
        "name": "Nombre",
        "holder": "Titular",
        "state": "Estado",
        "filed_on": "Fecha de petitorio",
        "official_ha": "ha oficiales",
        "overlap_ha": "ha superpuestas",
        "pct_territory": "% del territorio",
        "ha": "ha",
        "water_at_risk": "Agua en riesgo",
        "in_concession": "dentro de concesión",
        "kind": "Tipo",
        "use": "Uso",
        "flags": "Alertas y acciones",
        "no_flags": "Sin alertas vigentes",
        "action": "Acción recomendada",
        "due": "Plazo",
        "legal_ref": "Base legal",
        "dossier": "Expediente (abogados)",
        "advocacy_map": "Mapa para la red",
        "none": "ninguna",
        "network": "Red",
        "members": "comunidades",
        "member": "comunidad",
        "country_PE": "Perú",
        "country_BO": "Bolivia",
        "fictional_banner": "DATOS FICTICIOS: muestra generada por Allpa, no son registros "
                            "oficiales",
        "layers_legend": "Capas y leyenda",
        "reference": "Referencia (distritos, lagos)",
        "overdue_days": "vencido hace {n} días",
        "overdue_one": "vencido hace 1 día",
        "due_today": "vence hoy",
        "due_in_days": "faltan {n} días",
        "draft_language": "Traducción en borrador: por revisar con hablantes nativos",
        "concession": "Concesión",
        "water_source": "Fuente de agua",
        "kind_comunidad_campesina": "Comunidad campesina",
        "coverage_none": "No hay catastro minero cargado para esta zona: que no aparezcan "
                         "concesiones NO significa que no existan. Cargue el catastro de la "
                         "zona antes de concluir.",
        "coverage_no_cadastre": "No hay ningún catastro minero cargado: que no aparezcan "
                                "concesiones NO significa que no existan.",
        "coverage_ok": "Catastro minero consultado para esta zona",
        "rule_files": "Archivos de reglas",
        "rules_version": "versión",
        "software_versions": "Versiones del programa",
        "evaluated_on": "evaluado al",
        "rules_hash": "huella de las reglas",
        "print_overlap": "Superposición con concesión",
        "print_water_at_risk": "Agua en riesgo (dentro de concesión)",
        "print_radius": "Radio de búsqueda: {km} km (estimación)",
        "print_nearby": "Concesión en el radio",
        "print_estimate_note": "Solo se conoce un punto de esta comunidad: su territorio no está "
                               "georreferenciado. Las concesiones dentro del radio son una "
                               "ESTIMACIÓN, no una superposición medida.",
        "print_locator": "Ubicación",
        "print_community_outline": "Comunidad (contorno)",
        "kind_comunidad_nativa": "Comunidad nativa",
        "kind_ayllu": "Ayllu",
        "kind_asociacion": "Asociación",
        "kind_junta_vecinal": "Junta vecinal",
        "kind_tioc": "TIOC",
        "kind_otro": "Otro",
        "use_human": "consumo humano",
        "use_irrigation": "riego",
        "use_livestock": "ganadería",
        "use_mixed": "uso mixto",
        "map_date": "Fecha",
        "sources": "Fuentes",
        "source_line": "Fuentes: catastro minero (INGEMMET), registro de comunidades de Allpa, "
                       "fuentes de agua; análisis Allpa",
        "point_only": "solo punto (territorio sin georreferenciar)",
        "generalised": "ubicación generalizada",
        "scale": "Escala",
        "north": "N",
        "community": "Comunidad",
        "district": "Distrito",
        "title_status": "Titulación",
        "territory_ha": "Territorio (ha)",
        "fictional": "Datos de muestra FICTICIOS",
        "report_title": "Expediente legal de la comunidad",
        "history": "Historial de la ficha legal",
        "version": "Versión",
        "valid_from": "Desde",
        "valid_to": "Hasta",
        "recorded_by": "Registrado por",
        "source": "Fuente",
        "current": "vigente",
        "evidence": "Evidencia y procedencia",
        "file": "Archivo",
        "sha256": "SHA-256",
        "imported_at": "Importado",
        "crs_declared": "SRC declarado",
        "crs_used": "SRC usado",
        "layer": "Capa",
        "computed_at": "Análisis calculado",
        "software": "Programa",
        "map": "Mapa",
        "water_sources": "Fuentes de agua afectadas",
        "registration_date": "Fecha de inscripción",
        "registry_office": "Oficina registral",
        "registry_entry": "Partida",
        "statute_adopted": "Estatuto aprobado",
        "statute_modified": "Última modificación",
        "board_elected": "Junta elegida",
        "board_registered": "Junta inscrita",
        "procedure": "Trámite en curso",
        "page": "Página",
        "generated": "Generado",
        "measure": "Medida",
        "distance": "Superposición",
        "network_map_title": "Mapa de la red",
        "community_map_title": "Mapa de la comunidad",
        "offline_note": "Este mapa funciona sin internet.",
        "legal_status_value_registered": "inscrita",
        "legal_status_value_in_process": "en trámite",
        "legal_status_value_none": "sin personería",
    },
    "en": {
        "app_title": "Allpa · community territories map",
        "app_subtitle": "Territories, legal personality, water and mining concessions",
        "search_placeholder": "Search community…",
        "search_none": "No results",
        "layers": "Layers",
        "legend": "Legend",
        "color_by": "Colour communities by",
        "color_severity": "flag severity",
        "color_legal": "legal personality",
        "layer_communities": "Communities",
        "layer_raster": "Raster (DEM / land cover)",
        "layer_boundaries_short": "Boundaries",
        "layer_concessions": "Mining concessions",
        "layer_water": "Water sources",
        "layer_landcover": "Land cover (raster)",
        "layer_boundaries": "Administrative boundaries",
        "layer_consultations": "Prior consultation areas",
        "sev_critical": "Critical",
        "sev_high": "High",
        "sev_medium": "Medium",
        "sev_low": "Low",
        "sev_info": "Informative",
        "sev_none": "No flags",
        "legal_registered": "Registered",
        "legal_in_process": "In process",
        "legal_none": "No legal personality",
        "legal_unknown": "Unknown",
        "state_titled": "Titled",
        "state_in_process": "In process",
        "state_extinguished": "Extinguished",
        "state_other": "Other state",
        "state_unknown": "Unknown state",
        "water_spring": "Spring",
        "water_river": "River",
        "water_stream": "Stream",
        "water_lake": "Lake",
        "water_wetland": "Wetland (bofedal)",
        "water_well": "Well",
        "water_canal": "Canal",
        "water_glacier": "Glacier",
        "panel_close": "Close",
        "legal_status": "Legal personality",
        "registry": "Registry entry",
        "board_term": "Board (term ends)",
        "board_expired": "expired",
        "statute": "Statute",
        "clauses": "Clauses",
        "clause_territory": "territory",
        "clause_water": "water",
        "clause_environment": "environment",
        "clause_consultation": "consultation",
        "clause_women": "women",
        "yes": "yes",
        "no": "no",
        "unknown": "unknown",
        "concessions_overlap": "Overlapping concessions",
        "territory_under_concessions": "Territory under concessions (union)",
        "code": "Code",
        "name": "Name",
        "holder": "Holder",
        "state": "State",
        "filed_on": "Filed on",
        "official_ha": "official ha",
        "overlap_ha": "overlap ha",
        "pct_territory": "% of territory",
        "ha": "ha",
        "water_at_risk": "Water at risk",
        "in_concession": "inside a concession",
        "kind": "Kind",
        "use": "Use",
        "flags": "Flags and actions",
        "no_flags": "No current flags",
        "action": "Recommended action",
        "due": "Due",
        "legal_ref": "Legal basis",
        "dossier": "Dossier (lawyers)",
        "advocacy_map": "Network map",
        "none": "none",
        "network": "Network",
        "members": "communities",
        "member": "community",
        "country_PE": "Peru",
        "country_BO": "Bolivia",
        "fictional_banner": "FICTIONAL DATA: a sample generated by Allpa, not official records",
        "layers_legend": "Layers and legend",
        "reference": "Reference (districts, lakes)",
        "overdue_days": "overdue by {n} days",
        "overdue_one": "overdue by 1 day",
        "due_today": "due today",
        "due_in_days": "{n} days left",
        "draft_language": "Draft translation: to be reviewed by native speakers",
        "concession": "Concession",
        "water_source": "Water source",
        "kind_comunidad_campesina": "Peasant community",
        "coverage_none": "No mining cadastre is loaded for this area: finding no concessions "
                         "does NOT mean there are none. Load the area's cadastre before "
                         "concluding.",
        "coverage_no_cadastre": "No mining cadastre is loaded at all: finding no concessions "
                                "does NOT mean there are none.",
        "coverage_ok": "Mining cadastre checked for this area",
        "rule_files": "Rule files",
        "rules_version": "version",
        "software_versions": "Software versions",
        "evaluated_on": "evaluated on",
        "rules_hash": "rules fingerprint",
        "print_overlap": "Overlap with concession",
        "print_water_at_risk": "Water at risk (inside a concession)",
        "print_radius": "Search radius: {km} km (estimate)",
        "print_nearby": "Concession within the radius",
        "print_estimate_note": "Only a point is known for this community: its territory is not "
                               "georeferenced. Concessions within the radius are an ESTIMATE, "
                               "not a measured overlap.",
        "print_locator": "Location",
        "print_community_outline": "Community (outline)",
        "kind_comunidad_nativa": "Native community",
        "kind_ayllu": "Ayllu",
        "kind_asociacion": "Association",
        "kind_junta_vecinal": "Neighbourhood council",
        "kind_tioc": "TIOC (indigenous territory)",
        "kind_otro": "Other",
        "use_human": "drinking water",
        "use_irrigation": "irrigation",
        "use_livestock": "livestock",
        "use_mixed": "mixed use",
        "map_date": "Date",
        "sources": "Sources",
        "source_line": "Sources: mining cadastre (INGEMMET), Allpa community register, water "
                       "sources; Allpa analysis",
        "point_only": "point only (territory not georeferenced)",
        "generalised": "generalised location",
        "scale": "Scale",
        "north": "N",
        "community": "Community",
        "district": "District",
        "title_status": "Title",
        "territory_ha": "Territory (ha)",
        "fictional": "FICTIONAL sample data",
        "report_title": "Community legal dossier",
        "history": "History of the legal file",
        "version": "Version",
        "valid_from": "From",
        "valid_to": "To",
        "recorded_by": "Recorded by",
        "source": "Source",
        "current": "current",
        "evidence": "Evidence and provenance",
        "file": "File",
        "sha256": "SHA-256",
        "imported_at": "Imported",
        "crs_declared": "CRS declared",
        "crs_used": "CRS used",
        "layer": "Layer",
        "computed_at": "Analysis computed",
        "software": "Software",
        "map": "Map",
        "water_sources": "Water sources affected",
        "registration_date": "Registration date",
        "registry_office": "Registry office",
        "registry_entry": "Entry",
        "statute_adopted": "Statute adopted",
        "statute_modified": "Last modified",
        "board_elected": "Board elected",
        "board_registered": "Board registered",
        "procedure": "Procedure in progress",
        "page": "Page",
        "generated": "Generated",
        "measure": "Measure",
        "distance": "Overlap",
        "network_map_title": "Network map",
        "community_map_title": "Community map",
        "offline_note": "This map works without internet.",
        "legal_status_value_registered": "registered",
        "legal_status_value_in_process": "in process",
        "legal_status_value_none": "none",
    },
}

SEVERITY_ORDER = ("critical", "high", "medium", "low", "info", "none")
#: Colour-blind-safe sequential reds; print maps add hatching so colour is never alone.
SEVERITY_COLORS = {"critical": "#67000d", "high": "#cb181d", "medium": "#fb6a4a",
                   "low": "#fcbba1", "info": "#c6dbef", "none": "#f0f0f0"}
LEGAL_ORDER = ("registered", "in_process", "none", "unknown")
LEGAL_COLORS = {"registered": "#1a9850", "in_process": "#fee08b", "none": "#d73027",
                "unknown": "#bdbdbd"}
STATE_ORDER = ("titled", "in_process", "extinguished", "other", "unknown")
STATE_COLORS = {"titled": "#6a3d9a", "in_process": "#e08214", "extinguished": "#969696",
                "other": "#8c510a", "unknown": "#4d4d4d"}
WATER_ORDER = ("spring", "river", "stream", "lake", "wetland", "well", "canal", "glacier")
WATER_COLORS = {"spring": "#08519c", "river": "#2171b5", "stream": "#6baed6", "lake": "#4292c6",
                "wetland": "#41ab5d", "well": "#084594", "canal": "#9ecae1",
                "glacier": "#deebf7"}
CONSULTATION_COLOR = "#ff7f00"
BOUNDARY_COLOR = "#404040"


def lang_of(lang: str | None) -> str:
    return "en" if lang == "en" else "es"


def t(lang: str | None, key: str) -> str:
    """One UI string (falls back to Spanish, then to the key)."""
    table = STRINGS[lang_of(lang)]
    return table.get(key) or STRINGS["es"].get(key, key)


def due_status(due: object, today: dt.date | None = None, lang: str | None = "es"
               ) -> str | None:
    """How a deadline stands today: "vencido hace N días", "vence hoy", "faltan N días"
    (None without a date). One wording for the popup, panel, dossier, CLI and API."""
    if due in (None, ""):
        return None
    try:
        day = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due)[:10])
    except ValueError:
        return None
    if isinstance(day, dt.datetime):
        day = day.date()
    days = (day - (today or dt.date.today())).days
    if days < 0:
        return t(lang, "overdue_one") if days == -1 else \
            t(lang, "overdue_days").format(n=-days)
    if days == 0:
        return t(lang, "due_today")
    return t(lang, "due_in_days").format(n=days)


def overdue_days(due: object, today: dt.date | None = None) -> int | None:
    """Days a deadline has passed (0 or more), None when it has not passed or is missing."""
    try:
        day = due if isinstance(due, dt.date) else dt.date.fromisoformat(str(due)[:10])
    except ValueError:
        return None
    if isinstance(day, dt.datetime):
        day = day.date()
    days = ((today or dt.date.today()) - day).days
    return days if days > 0 else None


def with_due_status(flag: dict[str, Any], lang: str | None = "es",
                    today: dt.date | None = None) -> dict[str, Any]:
    """A flag record plus ``due_status`` ("vencido hace 26 días") and ``overdue_days``."""
    due = flag.get("due_date")
    return {**flag, "due_status": due_status(due, today, lang) if due else None,
            "overdue_days": overdue_days(due, today) if due else None}


def due_text(due: object, today: dt.date | None = None, lang: str | None = "es") -> str:
    """``2026-11-01 (vencido hace 26 días)``; "–" without a date."""
    status = due_status(due, today, lang)
    if status is None:
        return "–"
    return f"{str(due)[:10]} ({status})"


def bundle(lang: str | None) -> dict[str, str]:
    return dict(STRINGS[lang_of(lang)])


def legend_spec(lang: str | None) -> dict[str, Any]:
    """The legends of every layer (labels in ``lang``, colours) as plain JSON."""
    return {
        "severity": [{"key": k, "label": t(lang, f"sev_{k}"), "color": SEVERITY_COLORS[k]}
                     for k in SEVERITY_ORDER],
        "legal": [{"key": k, "label": t(lang, f"legal_{k}"), "color": LEGAL_COLORS[k]}
                  for k in LEGAL_ORDER],
        "concessions": [{"key": k, "label": t(lang, f"state_{k}"), "color": STATE_COLORS[k]}
                        for k in STATE_ORDER],
        "water": [{"key": k, "label": t(lang, f"water_{k}"), "color": WATER_COLORS[k]}
                  for k in WATER_ORDER],
        "consultations": [{"key": "area", "label": t(lang, "layer_consultations"),
                           "color": CONSULTATION_COLOR}],
        "boundaries": [{"key": "boundary", "label": t(lang, "layer_boundaries"),
                        "color": BOUNDARY_COLOR}],
    }
