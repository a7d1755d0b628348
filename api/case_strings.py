"""Strings of the case view in the map's panel (``api/static/cases.js``): the intake form
("abrir trámite"), deadlines and documents. Spanish first, English available; value labels
come from :mod:`geo.vocabulary` (never written twice). Sent to editors' pages only."""

from __future__ import annotations

from geo import vocabulary as V

ES: dict[str, str] = {
    "cases": "Trámites", "no_cases": "Sin trámites de esta comunidad.",
    "open_case": "Abrir trámite", "case_open": "Trámite abierto: {id} · {type}, etapa: {stage}",
    "view_case": "Ver trámite", "intake_title": "Abrir trámite: registro de la solicitud",
    "f_type": "Tipo de trámite", "f_intake_who": "Quién lo pide (nombre)",
    "f_intake_role": "Su cargo en la comunidad", "f_intake_contact": "Contacto (teléfono, correo)",
    "f_intake_date": "Fecha de la solicitud", "f_intake_channel": "Canal",
    "f_intake_need": "La necesidad, en sus palabras", "f_lawyer": "Abogado/a responsable",
    "f_authority": "Autoridad", "f_first_due": "Primer plazo (opcional)",
    "f_first_what": "Para qué es ese plazo", "f_rule": "Alerta que atiende",
    "f_alerts": "Alertas del catastro que atiende", "save_case": "Guardar trámite",
    "cancel": "Cancelar", "saving": "Guardando…", "error": "No se pudo guardar",
    "need_required": "Escriba quién lo pide y la necesidad.",
    "case_saved": "Trámite {id} abierto.", "stage": "Etapa", "opened": "Abierto el",
    "intake": "Solicitud", "deadlines": "Plazos", "no_deadlines": "Sin plazos.",
    "add_deadline": "Añadir plazo", "due": "Fecha", "what": "Para qué", "kind": "Tipo",
    "mark_done": "Cumplido", "mark_cancelled": "Anular", "overdue": "VENCIDO",
    "closed_by": "cerrado por {who} el {when}", "documents": "Documentos",
    "no_documents": "Sin documentos.", "upload": "Adjuntar documento", "file": "Archivo",
    "title": "Nombre del documento", "note": "Nota", "new_version": "Nueva versión",
    "version": "v{n}", "uploaded": "Documento guardado.", "download": "Descargar",
    "accepted": "PDF, imágenes (PNG, JPEG, TIFF, WebP), ODT o DOCX; hasta {mb} MB.",
    "too_big": "El archivo pasa de {mb} MB.", "choose_file": "Elija un archivo.",
    "answers_alert": "Atiende la alerta {id}", "back": "Volver a la ficha",
    "edit_case": "Editar trámite", "f_stage": "Etapa", "f_stage_date": "Fecha de la etapa",
    "f_note": "Nota", "f_change_note": "Motivo del cambio (obligatorio)",
    "change_note_required": "Escriba el motivo del cambio.", "case_updated": "Trámite guardado.",
    "stale": "Otra persona cambió este trámite; no se guardó nada. Vuelva a abrirlo.",
}

EN: dict[str, str] = {
    "cases": "Cases", "no_cases": "No cases for this community.",
    "open_case": "Open a case", "case_open": "Case open: {id} · {type}, stage: {stage}",
    "view_case": "View case", "intake_title": "Open a case: intake record",
    "f_type": "Case type", "f_intake_who": "Who asks (name)",
    "f_intake_role": "Their role in the community", "f_intake_contact": "Contact (phone, e-mail)",
    "f_intake_date": "Date of the request", "f_intake_channel": "Channel",
    "f_intake_need": "The need, in their words", "f_lawyer": "Lawyer in charge",
    "f_authority": "Authority", "f_first_due": "First deadline (optional)",
    "f_first_what": "What that deadline is for", "f_rule": "Flag addressed",
    "f_alerts": "Cadastre alerts answered", "save_case": "Save case",
    "cancel": "Cancel", "saving": "Saving…", "error": "Could not save",
    "need_required": "Write who asks and the need.",
    "case_saved": "Case {id} opened.", "stage": "Stage", "opened": "Opened on",
    "intake": "Request", "deadlines": "Deadlines", "no_deadlines": "No deadlines.",
    "add_deadline": "Add deadline", "due": "Date", "what": "What for", "kind": "Kind",
    "mark_done": "Done", "mark_cancelled": "Cancel it", "overdue": "OVERDUE",
    "closed_by": "closed by {who} on {when}", "documents": "Documents",
    "no_documents": "No documents.", "upload": "Attach a document", "file": "File",
    "title": "Document name", "note": "Note", "new_version": "New version",
    "version": "v{n}", "uploaded": "Document saved.", "download": "Download",
    "accepted": "PDF, images (PNG, JPEG, TIFF, WebP), ODT or DOCX; up to {mb} MB.",
    "too_big": "The file is larger than {mb} MB.", "choose_file": "Choose a file.",
    "answers_alert": "Answers alert {id}", "back": "Back to the file",
    "edit_case": "Edit case", "f_stage": "Stage", "f_stage_date": "Stage date",
    "f_note": "Note", "f_change_note": "Reason for the change (required)",
    "change_note_required": "Write the reason for the change.", "case_updated": "Case saved.",
    "stale": "Someone else changed this case; nothing was saved. Open it again.",
}

_VOCABULARIES = (V.CASE_TYPE, V.CASE_STAGE, V.CASE_CHANNEL, V.DEADLINE_KIND, V.DEADLINE_STATE)


def case_strings(lang: str, max_mb: float) -> dict[str, object]:
    """The case view's strings in ``lang`` (English) or Spanish, with the value lists (code,
    label) of the case vocabularies and the document size limit."""
    lang = "en" if lang == "en" else "es"
    out: dict[str, object] = dict(EN if lang == "en" else ES)
    for vocab in _VOCABULARIES:
        out[vocab.name] = [[code, vocab.label(code, lang)] for code in vocab.codes]
    out["max_mb"] = max_mb
    return out
