"""Strings of the desk pages ``/plazos`` and ``/alertas``, Spanish first, English available
(kept out of :mod:`api.desk_strings`, whose bundle rides in every map page)."""

from __future__ import annotations

import datetime as dt
from typing import Any

ES: dict[str, str] = {
    "deadlines_title": "Mis plazos", "alerts_title": "Alertas del catastro minero",
    "map": "Mapa", "other_lang": "English", "show": "Ver", "clear_filters": "Quitar filtros",
    "lawyer": "Abogado/a", "network": "Red", "district": "Distrito (ubigeo)",
    "community": "Comunidad (código)", "state": "Estado", "any_state": "Todos",
    "fictional": "Datos de ejemplo ficticios: no corresponden a comunidades reales.",
    "sign_in": "Iniciar sesión", "signed_in_as": "Sesión:",
    "need_sign_in": "Esta página es para editores y administradores. Inicie sesión para verla.",
    "need_editor": "Su rol no puede ver esta página; se requiere editor o administrador.",
    "today": "Hoy", "no_deadlines": "No hay plazos abiertos con estos filtros.",
    "csv": "Descargar CSV (mismos filtros)",
    "calendar": "Calendario personal: pida al administrador su clave con "
                "«allpa users calendar-key SU_USUARIO» y suscríbase en su calendario a "
                "/api/agenda.ics?key=SU_CLAVE (solo sus plazos; añada &all=true para todos).",
    "case": "Trámite", "stage": "Etapa", "authority": "Autoridad", "for_what": "Para",
    "deadline": "Plazo", "no_alerts": "No hay alertas con estos filtros.",
    "hectares": "Hectáreas", "share": "Parte del territorio",
    "waters": "Fuentes de agua", "consultation": "Consulta previa", "none": "ninguna",
    "created": "Fecha", "change_state": "Cambiar estado", "save": "Guardar",
    "saved": "Estado guardado.", "save_failed": "No se pudo guardar el estado.",
    "count": "{n} alertas", "count_deadlines": "{n} plazos", "networks_link": "Redes",
    "alerts_new": "{n} nuevas",
    "showing": "{total} alertas · se muestran de la {first} a la {last}",
    "older": "Más antiguas →", "newer": "← Más recientes",
    "response_deadline": "Plazo de respuesta", "reference": "Referencia (orientativa)",
    "counted": "Cómputo", "no_deadline": "sin plazo en las reglas",
    "from_alert": "Alerta del catastro",
    "kind": "Tipo de plazo", "open_case_view": "Ver el trámite en el mapa",
    "answered_by": "Trámites que la atienden", "no_case": "Ningún trámite la atiende aún.",
    "open_case": "Abrir trámite", "link_case": "Vincular a un trámite",
    "link": "Vincular", "linked": "Vinculada.", "link_failed": "No se pudo vincular.",
}

EN: dict[str, str] = {
    "deadlines_title": "My deadlines", "alerts_title": "Mining cadastre alerts",
    "map": "Map", "other_lang": "Español", "show": "Show", "clear_filters": "Clear filters",
    "lawyer": "Lawyer", "network": "Network", "district": "District (admin code)",
    "community": "Community (code)", "state": "State", "any_state": "All",
    "fictional": "Fictional sample data: not real communities.",
    "sign_in": "Sign in", "signed_in_as": "Signed in:",
    "need_sign_in": "This page is for editors and administrators. Sign in to see it.",
    "need_editor": "Your role cannot see this page; editor or administrator required.",
    "today": "Today", "no_deadlines": "No open deadlines with these filters.",
    "csv": "Download CSV (same filters)",
    "calendar": "Personal calendar: ask the administrator for your key with "
                "'allpa users calendar-key YOUR_USER' and subscribe your calendar to "
                "/api/agenda.ics?key=YOUR_KEY (your deadlines only; add &all=true for all).",
    "case": "Case", "stage": "Stage", "authority": "Authority", "for_what": "For",
    "deadline": "Deadline", "no_alerts": "No alerts with these filters.",
    "hectares": "Hectares", "share": "Share of the territory",
    "waters": "Water sources", "consultation": "Prior consultation", "none": "none",
    "created": "Date", "change_state": "Change state", "save": "Save",
    "saved": "State saved.", "save_failed": "The state could not be saved.",
    "count": "{n} alerts", "count_deadlines": "{n} deadlines", "networks_link": "Networks",
    "alerts_new": "{n} new", "showing": "{total} alerts · showing {first} to {last}",
    "older": "Older →", "newer": "← Newer",
    "response_deadline": "Response deadline", "reference": "Reference (indicative)",
    "counted": "Counted", "no_deadline": "no deadline in the rules",
    "from_alert": "Cadastre alert",
    "kind": "Kind of deadline", "open_case_view": "View the case on the map",
    "answered_by": "Cases answering it", "no_case": "No case answers it yet.",
    "open_case": "Open a case", "link_case": "Link to a case",
    "link": "Link", "linked": "Linked.", "link_failed": "Could not link.",
}


def page_strings(lang: str) -> dict[str, str]:
    return EN if lang == "en" else ES


def overdue_text(item: dict[str, Any], today: dt.date, lang: str) -> str:
    """"vencido hace N días" / "vence hoy" / "en N días" for one agenda item."""
    days = (dt.date.fromisoformat(item["deadline"]) - today).days
    if lang == "en":
        if days < 0:
            return f"overdue by {-days} day{'s' if days != -1 else ''}"
        return "due today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
    if days < 0:
        return f"vencido hace {-days} día{'s' if days != -1 else ''}"
    return "vence hoy" if days == 0 else f"en {days} día{'s' if days != 1 else ''}"
