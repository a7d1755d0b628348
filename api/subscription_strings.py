"""Strings of the "Mis avisos" page (``/avisos``), Spanish first, English available. They
extend the desk pages' strings (the shared header reads those); ``link_text`` is the header's
link to this page (a template global, see :func:`api.routes.web.templates`)."""

from __future__ import annotations

from api.desk_page_strings import page_strings

ES: dict[str, str] = {
    "subs_title": "Mis avisos",
    "intro": "Reciba por correo las alertas nuevas del catastro minero de las comunidades, "
             "redes o distritos que usted puede ver.",
    "mine": "Mis suscripciones", "none_yet": "Todavía no tiene suscripciones.",
    "add": "Nueva suscripción", "what": "Seguir",
    "scope_community": "Comunidad", "scope_network": "Red", "scope_district": "Distrito",
    "choose": "Elija…", "address": "Correo electrónico", "frequency": "Frecuencia",
    "freq_immediate": "Al momento", "freq_daily": "Resumen diario",
    "language": "Idioma del correo", "lang_es": "Español", "lang_en": "Inglés",
    "channel_email": "Correo", "channel_webhook": "Webhook",
    "subscribe": "Suscribirme", "remove": "Quitar", "removing": "Quitando…",
    "saved": "Guardado", "failed": "No se pudo guardar: ",
    "hidden_scope": "un ámbito que ya no puede ver",
    "since": "desde", "cannot": "Su rol solo puede leer información pública; pida a un "
                                "administrador acceso de miembro de red para suscribirse.",
    "log": "Registro de envíos", "log_note": "Últimos envíos de todos los suscriptores "
                                            "(solo administradores).",
    "no_log": "Todavía no hay envíos.", "log_id": "Envío", "log_sub": "Suscripción",
    "log_who": "Suscriptor", "log_status": "Estado", "log_attempts": "Intentos",
    "log_next": "Próximo intento", "log_error": "Último error", "log_alerts": "Alertas",
    "status_pending": "Pendiente", "status_failed": "Falló (se reintentará)",
    "status_sent": "Enviado", "all_statuses": "Todos", "filter": "Filtrar",
}

EN: dict[str, str] = {
    "subs_title": "My notifications",
    "intro": "Get new mining cadastre alerts by e-mail for the communities, networks or "
             "districts you may see.",
    "mine": "My subscriptions", "none_yet": "You have no subscriptions yet.",
    "add": "New subscription", "what": "Follow",
    "scope_community": "Community", "scope_network": "Network", "scope_district": "District",
    "choose": "Choose…", "address": "E-mail address", "frequency": "Frequency",
    "freq_immediate": "Right away", "freq_daily": "Daily digest",
    "language": "E-mail language", "lang_es": "Spanish", "lang_en": "English",
    "channel_email": "E-mail", "channel_webhook": "Webhook",
    "subscribe": "Subscribe", "remove": "Remove", "removing": "Removing…",
    "saved": "Saved", "failed": "Could not save: ",
    "hidden_scope": "a scope you may no longer see",
    "since": "since", "cannot": "Your role may only read public information; ask an "
                                "administrator for network member access to subscribe.",
    "log": "Delivery log", "log_note": "Latest deliveries of every subscriber (administrators "
                                       "only).",
    "no_log": "No deliveries yet.", "log_id": "Delivery", "log_sub": "Subscription",
    "log_who": "Subscriber", "log_status": "Status", "log_attempts": "Attempts",
    "log_next": "Next try", "log_error": "Last error", "log_alerts": "Alerts",
    "status_pending": "Pending", "status_failed": "Failed (will retry)",
    "status_sent": "Sent", "all_statuses": "All", "filter": "Filter",
}

LINK = {"es": "Mis avisos", "en": "My notifications"}


def link_text(lang: str) -> str:
    """The desk header's link to ``/avisos``."""
    return LINK["en" if lang == "en" else "es"]


def subscription_strings(lang: str) -> dict[str, str]:
    """The header's strings plus this page's, in ``lang`` (Spanish unless ``en``)."""
    return {**page_strings(lang), **(EN if lang == "en" else ES)}
