"""Strings of the network pages ``/redes`` and ``/redes/{id}``, Spanish first, English
available. They extend the desk pages' strings (the shared header reads those)."""

from __future__ import annotations

from api.desk_page_strings import page_strings as desk_strings

ES: dict[str, str] = {
    "networks_title": "Redes de comunidades", "network": "Red",
    "members": "Miembros", "n_members": "{n} comunidades que usted puede ver",
    "member": "Comunidad", "legal_status": "Personería jurídica",
    "flags": "Alertas legales abiertas", "no_flags": "ninguna",
    "deadlines": "Plazos abiertos", "overdue": "vencidos: {n}", "next": "próximo",
    "alerts": "Alertas del catastro", "open_alerts": "abiertas: {n}",
    "on_map": "Ver en el mapa", "map_section": "Mapa de incidencia",
    "map_open": "Abrir el mapa a pantalla completa (funciona sin conexión)",
    "map_png": "Imagen PNG", "map_pdf": "PDF para imprimir",
    "map_frame": "Mapa de incidencia de la red",
    "indicators": "Indicadores de la red", "indicators_note":
        "Indicadores del programa contados sobre las comunidades de esta red que usted "
        "puede ver, frente a las metas de la red.",
    "no_target": "sin meta", "ceiling": "máx.", "period": "Periodo",
    "history": "Historial de miembros", "history_json": "Historial en JSON",
    "no_history": "Sin cambios de miembros que usted pueda ver.",
    "when": "Fecha", "change": "Cambio", "who": "Por", "source": "Fuente",
    "note": "Nota", "version": "Versión",
    "deadline_list": "Plazos de la red", "alert_list": "Alertas recientes de la red",
    "no_deadlines_here": "No hay plazos abiertos en esta red.",
    "no_alerts_here": "No hay alertas en esta red.",
    "cases_hidden": "Los plazos de los trámites solo los ven editores y administradores.",
    "visibility_public": "Vista pública: solo comunidades públicas.",
    "visibility_network": "Vista de miembro de red: comunidades públicas y las de sus redes.",
    "visibility_all": "Vista completa (editor/administrador).",
    "withdrawn": "Red retirada",
    "open_network": "Ver la red", "none": "ninguno",
}

EN: dict[str, str] = {
    "networks_title": "Community networks", "network": "Network",
    "members": "Members", "n_members": "{n} communities you may see",
    "member": "Community", "legal_status": "Legal personality",
    "flags": "Open legal flags", "no_flags": "none",
    "deadlines": "Open deadlines", "overdue": "{n} overdue", "next": "next",
    "alerts": "Cadastre alerts", "open_alerts": "open: {n}",
    "on_map": "Show on the map", "map_section": "Advocacy map",
    "map_open": "Open the map full screen (works offline)",
    "map_png": "PNG image", "map_pdf": "PDF to print",
    "map_frame": "The network's advocacy map",
    "indicators": "Network indicators", "indicators_note":
        "Programme indicators counted over this network's communities you may see, against "
        "the network's targets.",
    "no_target": "no target", "ceiling": "max.", "period": "Period",
    "history": "Membership history", "history_json": "History as JSON",
    "no_history": "No membership changes you may see.",
    "when": "Date", "change": "Change", "who": "By", "source": "Source",
    "note": "Note", "version": "Version",
    "deadline_list": "The network's deadlines", "alert_list": "The network's recent alerts",
    "no_deadlines_here": "No open deadlines in this network.",
    "no_alerts_here": "No alerts in this network.",
    "cases_hidden": "Case deadlines are shown to editors and administrators only.",
    "visibility_public": "Public view: public communities only.",
    "visibility_network": "Network member view: public communities and those of your "
                          "networks.",
    "visibility_all": "Full view (editor/administrator).",
    "withdrawn": "Network withdrawn",
    "open_network": "Open the network", "none": "none",
}


def network_strings(lang: str) -> dict[str, str]:
    """The desk pages' strings (for the shared header) plus the network pages' own."""
    return desk_strings(lang) | (EN if lang == "en" else ES)
