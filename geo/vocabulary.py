"""Every allowed value of a coded field, defined once: its code, its synonyms and its labels.

A :class:`Vocabulary` is the one place that says which codes a field may hold
(``comunidad_campesina``, ``registered``, ``spring`` ...), how real source files spell them
(the synonyms: ``C.C.``, ``inscrita``, ``puquio`` ...), how a person reads them in Spanish and
English, and, where an order matters, their rank. Import profiles parse with it, the layer
catalog types fields with it, the API publishes its codes as OpenAPI enums, SQL ordering is a
``CASE`` over its ranks, and every page, map, dossier and CLI table shows its labels: a code
never reaches a person.

Pure data, no database, no HTTP: notebooks and profiles use it without either.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "ACTOR_KIND",
    "ACTOR_LEVEL",
    "ALERT_STATE",
    "CASE_CHANNEL",
    "CASE_STAGE",
    "CASE_TYPE",
    "CHANGE_FIELD",
    "CHANGE_KIND",
    "COMPETENCE",
    "CONFLICT_PHASE",
    "CONFLICT_STATUS",
    "CONFLICT_TYPE",
    "COUNTRY",
    "DAY_TYPE",
    "DEADLINE_BASIS",
    "DEADLINE_KIND",
    "DEADLINE_STATE",
    "DIALOGUE",
    "KIND",
    "LEGAL_STATUS",
    "LEVEL",
    "SENSITIVITY",
    "SEVERITY",
    "STAGE",
    "STATE",
    "SUBSTANCE",
    "TITLE_STATUS",
    "VOCABULARIES",
    "WATER_KIND",
    "WATER_USE",
    "Term",
    "Vocabulary",
    "label",
    "normalise_name",
]


def normalise_name(text: str) -> str:
    """Lower-case, accent-free, underscore-separated form used to match names and values."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s\-/.]+", "_", plain).strip("_")


@dataclass(frozen=True)
class Term:
    """One allowed value: the stored code, how people read it, how files spell it."""

    code: str
    label_es: str
    label_en: str
    synonyms: tuple[str, ...] = ()

    def label(self, lang: str | None) -> str:
        return self.label_en if lang == "en" else self.label_es


@dataclass(frozen=True)
class Vocabulary:
    """The allowed values of one kind of field, in their display (and rank) order.

    ``label_key`` is the prefix of the interface keys the browser map and the maps look
    labels up with (``kind_`` + code); ``ranked`` says the order of ``terms`` is meaningful
    (e.g. severities from the least to the most severe), so :meth:`rank` and SQL ``CASE``
    orderings derive from it.
    """

    name: str
    terms: tuple[Term, ...]
    label_key: str
    ranked: bool = False
    _lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for term in self.terms:
            for spelling in (term.code, *term.synonyms):
                key = normalise_name(spelling)
                if lookup.get(key, term.code) != term.code:
                    raise ValueError(f"{self.name}: '{spelling}' means two codes")
                lookup[key] = term.code
        object.__setattr__(self, "_lookup", lookup)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)

    @property
    def synonyms(self) -> Mapping[str, str]:
        """Normalised spelling (code or synonym) -> code."""
        return self._lookup

    def term(self, code: str) -> Term:
        for t in self.terms:
            if t.code == code:
                return t
        raise KeyError(f"{self.name}: unknown code {code!r}")

    def parse(self, value: object) -> str:
        """The code a source spelling means; ``ValueError`` when it means none."""
        key = normalise_name(str(value))
        code = self._lookup.get(key)
        if code is None:
            raise ValueError(key)
        return code

    def label(self, code: str | None, lang: str | None = "es") -> str:
        """How a person reads ``code`` (an unknown code is shown as written, never hidden)."""
        if code is None:
            return "–"
        try:
            return self.term(code).label(lang)
        except KeyError:
            return str(code)

    def in_sentence(self, code: str | None, lang: str | None = "es") -> str | None:
        """The label as it reads inside a sentence ("situación: en trámite"): the first
        letter lower-cased; ``None`` stays ``None`` so a message can say it is unknown."""
        if code is None:
            return None
        text = self.label(code, lang)
        return text[:1].lower() + text[1:]

    def labels(self, lang: str | None) -> dict[str, str]:
        """Interface key (``label_key`` + code) -> label, for the map's string bundle."""
        return {self.label_key + t.code: t.label(lang) for t in self.terms}

    def rank(self, code: str) -> int:
        """Position of ``code`` in the vocabulary's order (-1 when it is not one)."""
        return self.codes.index(code) if code in self.codes else -1


def _v(name: str, label_key: str, terms: Iterable[Term], *, ranked: bool = False
       ) -> Vocabulary:
    return Vocabulary(name, tuple(terms), label_key, ranked)


KIND = _v("kind", "kind_", (
    Term("comunidad_campesina", "Comunidad campesina", "Peasant community",
         ("comunidad campesina", "cc", "campesina", "c.c.")),
    Term("comunidad_nativa", "Comunidad nativa", "Native community",
         ("comunidad nativa", "cn", "nativa", "c.n.")),
    Term("ayllu", "Ayllu", "Ayllu", ("ayllus",)),
    Term("asociacion", "Asociación", "Association", ("asociación", "association")),
    # Bolivian OTBs (organizaciones territoriales de base) are stored under this code too
    Term("junta_vecinal", "Junta vecinal / OTB", "Neighbourhood council / OTB",
         ("junta vecinal", "otb", "organizacion territorial de base")),
    Term("tioc", "TIOC", "TIOC (indigenous territory)",
         ("tco", "territorio indigena originario campesino")),
    Term("otro", "Otro", "Other", ("otra", "other", "otros")),
))
COUNTRY = _v("country", "country_", (
    Term("PE", "Perú", "Peru", ("peru", "perú", "per")),
    Term("BO", "Bolivia", "Bolivia", ("bolivia", "bol")),
))
TITLE_STATUS = _v("title_status", "title_", (
    Term("titled", "Titulada", "Titled", ("titulada", "titulado", "con titulo", "con título")),
    Term("recognised_untitled", "Reconocida sin título", "Recognised, untitled",
         ("recognized_untitled", "reconocida_sin_titulo", "reconocida sin título", "reconocida",
          "reconocido", "sin titulo", "sin título")),
    Term("unrecognised", "No reconocida", "Unrecognised",
         ("unrecognized", "no_reconocida", "no reconocida", "no reconocido")),
))
SENSITIVITY = _v("sensitivity", "sensitivity_", (
    Term("public", "Pública", "Public", ("publica", "pública", "publico", "público")),
    Term("network", "Solo la red", "Network only", ("red", "solo red")),
    Term("restricted", "Restringida", "Restricted",
         ("restringida", "restringido", "privada", "reservada")),
), ranked=True)
LEGAL_STATUS = _v("legal_status", "legal_", (
    Term("registered", "Inscrita", "Registered",
         ("inscrita", "inscrito", "registrada", "registrado", "si", "sí")),
    Term("in_process", "En trámite", "In process",
         ("en_tramite", "en trámite", "tramite", "trámite", "in process")),
    Term("none", "Sin personería jurídica", "No legal personality",
         ("ninguna", "sin personeria", "sin personería", "no")),
))
WATER_KIND = _v("water_kind", "water_", (
    Term("spring", "Manantial", "Spring",
         ("manantial", "ojo de agua", "puquio", "pukio", "naciente", "fuente")),
    Term("river", "Río", "River", ("rio", "río", "mayu")),
    Term("stream", "Quebrada", "Stream", ("quebrada", "riachuelo", "arroyo")),
    Term("lake", "Laguna", "Lake", ("laguna", "lago", "cocha", "qucha", "represa")),
    Term("wetland", "Bofedal", "Wetland (bofedal)", ("bofedal", "humedal", "oconal", "turbera")),
    Term("well", "Pozo", "Well", ("pozo",)),
    Term("canal", "Canal", "Canal", ("acequia", "canal de riego")),
    Term("glacier", "Glaciar", "Glacier", ("glaciar", "nevado")),
))
WATER_USE = _v("water_use", "use_", (
    Term("human", "consumo humano", "drinking water",
         ("consumo humano", "humano", "poblacional", "domestico", "doméstico", "agua potable")),
    Term("irrigation", "riego", "irrigation", ("riego", "agricola", "agrícola", "agrario")),
    Term("livestock", "ganadería", "livestock",
         ("ganaderia", "ganadería", "pecuario", "ganado", "abrevadero")),
    Term("mixed", "uso mixto", "mixed use", ("mixto", "multiple", "múltiple", "varios")),
))
STAGE = _v("stage", "stage_", (
    Term("announced", "Anunciada", "Announced", ("anunciada", "anuncio", "anunciado")),
    Term("planning", "Planificación", "Planning",
         ("planificacion", "planificación", "identificacion", "identificación", "publicidad",
          "plan de consulta")),
    Term("information", "Información", "Information", ("informacion", "información")),
    Term("internal_evaluation", "Evaluación interna", "Internal evaluation",
         ("evaluacion interna", "evaluación interna", "evaluacion_interna", "evaluacion")),
    Term("dialogue", "Diálogo", "Dialogue", ("dialogo", "diálogo")),
    Term("decision", "Decisión", "Decision", ("decisión",)),
    Term("closed", "Concluida", "Closed",
         ("cerrada", "concluida", "finalizada", "cerrado", "concluido")),
), ranked=True)
SUBSTANCE = _v("substance", "substance_", (
    Term("metallic", "Metálica", "Metallic",
         ("m", "metalica", "metálica", "metalico", "metálico")),
    Term("non_metallic", "No metálica", "Non-metallic",
         ("n", "no metalica", "no metálica", "no metalico", "no metálico", "nm")),
))
LEVEL = _v("level", "level_", (
    Term("department", "Departamento", "Department", ("departamento", "dpto")),
    Term("province", "Provincia", "Province", ("provincia",)),
    Term("district", "Distrito", "District", ("distrito",)),
    Term("bo_department", "Departamento (Bolivia)", "Department (Bolivia)",
         ("departamento_bo",)),
    Term("municipality", "Municipio", "Municipality", ("municipio",)),
))
#: Concession states as stored (the INGEMMET profile derives them from D_ESTADO/ESTADO;
#: ``unknown`` = the source had no state column). Display order of the map legend.
STATE = _v("concession_state", "state_", (
    Term("titled", "Titulada", "Titled", ("titulada", "titulado", "vigente")),
    Term("in_process", "En trámite", "In process", ("en_tramite", "en trámite", "petitorio")),
    Term("extinguished", "Extinguida", "Extinguished", ("extinguida", "extinguido")),
    Term("other", "Otro estado", "Other state", ("otro",)),
    Term("unknown", "Estado desconocido", "Unknown state", ("desconocido",)),
))
#: Flag severities from the least to the most severe (``geo.flag_rank.SEVERITIES``).
SEVERITY = _v("severity", "sev_", (
    Term("info", "Informativa", "Informative", ("informativa",)),
    Term("low", "Baja", "Low", ("baja",)),
    Term("medium", "Media", "Medium", ("media",)),
    Term("high", "Alta", "High", ("alta",)),
    Term("critical", "Crítica", "Critical", ("critica", "crítica")),
), ranked=True)

# --- cases (trámites) and their stages (issue 12 item 4) ---
#: What a legal case (trámite) asks an authority for.
CASE_TYPE = _v("case_type", "case_type_", (
    Term("legal_personality", "Inscripción de personería jurídica",
         "Registration of legal personality",
         ("personeria", "personería", "inscripcion de personeria", "inscripción de personería")),
    Term("statute_change", "Modificación de estatuto", "Statute amendment",
         ("estatuto", "modificacion de estatuto", "modificación de estatuto")),
    Term("board_registration", "Inscripción de junta directiva", "Board registration",
         ("junta", "junta directiva", "inscripcion de junta", "inscripción de junta directiva")),
    Term("titling", "Titulación / saneamiento", "Titling / land regularisation",
         ("titulacion", "titulación", "saneamiento", "titulacion_saneamiento")),
    Term("mining_opposition", "Oposición a un petitorio minero",
         "Opposition to a mining claim",
         ("oposicion", "oposición", "oposicion minera", "oposicion a petitorio")),
    Term("prior_consultation", "Participación en consulta previa",
         "Participation in prior consultation", ("consulta", "consulta previa")),
    Term("other", "Otro trámite", "Other case", ("otro", "otra")),
))
#: Where a case stands, from intake to closing (the order of a case's life).
CASE_STAGE = _v("case_stage", "case_stage_", (
    Term("intake", "Solicitud recibida", "Request received",
         ("solicitud", "recepcion", "recepción", "pedido")),
    Term("preparation", "En preparación", "In preparation",
         ("preparacion", "preparación", "en preparacion")),
    Term("filed", "Presentado", "Filed", ("presentado", "presentada", "ingresado")),
    Term("observed", "Observado", "Objected by the authority",
         ("observado", "observada", "observacion", "observación")),
    Term("appeal", "En apelación", "On appeal", ("apelacion", "apelación", "recurso")),
    Term("resolved", "Resuelto", "Decided", ("resuelto", "resuelta", "inscrito", "inscrita")),
    Term("closed", "Archivado", "Closed", ("archivado", "cerrado", "concluido")),
), ranked=True)

#: How a request for a case reached the organisation (the intake record's channel).
CASE_CHANNEL = _v("case_channel", "case_channel_", (
    Term("visita", "Visita a la oficina", "Office visit", ("visit", "oficina", "presencial")),
    Term("telefono", "Teléfono", "Telephone", ("teléfono", "phone", "llamada", "celular")),
    Term("mensaje", "Mensaje (WhatsApp, correo)", "Message (WhatsApp, e-mail)",
         ("whatsapp", "correo", "email", "e-mail", "message")),
    Term("taller", "Taller", "Workshop", ("workshop", "capacitacion", "capacitación")),
    Term("asamblea", "Asamblea comunal", "Community assembly", ("assembly",)),
    Term("visita_campo", "Visita de campo", "Field visit", ("campo", "field visit")),
    Term("derivacion", "Derivación de otra institución", "Referral from another institution",
         ("derivación", "referral", "derivado")),
    Term("alerta", "Alerta de Allpa", "Allpa flag or alert", ("flag", "alert")),
    Term("otro", "Otro", "Other", ("other", "otra")),
))
#: What kind of deadline a case has (legal ones are set by a law or an authority).
DEADLINE_KIND = _v("deadline_kind", "deadline_kind_", (
    Term("legal", "Plazo legal", "Legal deadline", ("ley", "law", "perentorio")),
    Term("authority", "Plazo de la autoridad", "Deadline set by the authority",
         ("autoridad", "oficio", "requerimiento")),
    Term("internal", "Plazo interno", "Internal deadline", ("interno", "equipo")),
    Term("community", "Compromiso con la comunidad", "Commitment to the community",
         ("comunidad", "asamblea")),
))
#: Where a deadline stands: open until someone marks it done or cancels it (never deleted).
DEADLINE_STATE = _v("deadline_state", "deadline_state_", (
    Term("open", "Pendiente", "Open", ("abierto", "pendiente")),
    Term("done", "Cumplido", "Done", ("cumplido", "hecho")),
    Term("cancelled", "Anulado", "Cancelled", ("anulado", "cancelado")),
))

# --- Alerts on cadastre changes (issue 13): the alert API, feeds and CLI read their labels.
#: States of an alert on a cadastre change touching a community, in workflow order.
ALERT_STATE = _v("alert_state", "alert_state_", (
    Term("nueva", "Nueva", "New", ("new",)),
    Term("vista", "Vista", "Seen", ("seen",)),
    Term("verificada", "Verificada en campo", "Verified in the field",
         ("verificada_en_campo", "verified")),
    Term("descartada", "Descartada", "Dismissed", ("dismissed",)),
))
#: What a concessions import changed in one mining right.
CHANGE_KIND = _v("change_kind", "change_", (
    Term("new", "Nuevo derecho minero", "New mining right", ("nuevo",)),
    Term("changed", "Derecho minero modificado", "Mining right changed", ("modificado",)),
    Term("extinguished", "Derecho minero extinguido", "Mining right extinguished",
         ("extinguido",)),
    Term("vanished", "Derecho minero desaparecido del catastro",
         "Mining right vanished from the cadastre", ("desaparecido",)),
))
#: Fields of a right whose change raises an alert.
CHANGE_FIELD = _v("change_field", "change_field_", (
    Term("geometry", "geometría", "geometry", ("geometria",)),
    Term("state", "estado", "state", ("estado",)),
    Term("holder", "titular", "holder", ("titular",)),
    Term("substance", "sustancia", "substance", ("sustancia",)),
))

#: The date an alert's response deadline counts from (``counts_from`` in the rule files).
DEADLINE_BASIS = _v("deadline_basis", "deadline_basis_", (
    Term("filing", "fecha del petitorio", "filing date", ("petitorio", "filed_on")),
    Term("detection", "fecha en que el catastro mostró el cambio",
         "date the cadastre showed the change", ("deteccion", "import")),
))
#: How a response window is counted (``day_type`` in the rule files).
DAY_TYPE = _v("day_type", "day_type_", (
    Term("calendar", "días calendario", "calendar days", ("naturales", "calendario")),
    Term("business", "días hábiles", "business days", ("habiles", "working")),
))

# --- Actors and social conflicts (issue 14 item 3), as the Defensoría del Pueblo's monthly
# Reporte de Conflictos Sociales names them.
#: What kind of actor a person or organisation is.
ACTOR_KIND = _v("actor_kind", "actor_kind_", (
    Term("company", "Empresa", "Company",
         ("empresa", "empresa minera", "minera", "compania", "compañía", "sac", "s.a.c.",
          "s.a.", "titular")),
    Term("state_agency", "Entidad del Estado", "State agency",
         ("estado", "entidad", "entidad del estado", "entidad estatal", "ministerio",
          "gobierno", "gobierno nacional", "gobierno regional", "gobierno local",
          "municipalidad", "estatal")),
    Term("community", "Comunidad", "Community",
         ("comunidad", "comunidad campesina", "comunidad nativa", "ayllu", "comunero",
          "comuneros")),
    Term("community_org", "Organización comunal o indígena",
         "Community or indigenous organisation",
         ("organizacion comunal", "organización comunal", "organizacion indigena",
          "organización indígena", "federacion", "federación", "central")),
    Term("social_org", "Organización social o frente de defensa",
         "Social organisation or defence front",
         ("organizacion social", "organización social", "frente de defensa", "frente",
          "ronda campesina", "rondas", "sindicato", "asociacion", "asociación")),
    Term("ngo", "ONG", "NGO", ("ong", "organizacion no gubernamental",
                               "organización no gubernamental")),
    Term("church", "Iglesia", "Church", ("iglesia", "vicaria", "vicaría", "parroquia")),
    Term("other", "Otro actor", "Other actor", ("otro", "otra", "otros")),
))
#: How closely an actor is involved in a conflict (the Defensoría's three columns).
ACTOR_LEVEL = _v("actor_level", "actor_level_", (
    Term("primary", "Actor primario", "Primary actor", ("primario", "primarios")),
    Term("secondary", "Actor secundario", "Secondary actor", ("secundario", "secundarios")),
    Term("tertiary", "Actor terciario", "Tertiary actor", ("terciario", "terciarios")),
), ranked=True)
#: Conflict types of the Defensoría's reports.
CONFLICT_TYPE = _v("conflict_type", "conflict_type_", (
    Term("socioambiental", "Socioambiental", "Socio-environmental",
         ("socio ambiental", "socio-ambiental", "ambiental", "socio-environmental")),
    Term("gobierno_local", "Asuntos de gobierno local", "Local government affairs",
         ("asuntos de gobierno local", "gobierno local", "local")),
    Term("gobierno_regional", "Asuntos de gobierno regional", "Regional government affairs",
         ("asuntos de gobierno regional", "gobierno regional", "regional")),
    Term("gobierno_nacional", "Asuntos de gobierno nacional", "National government affairs",
         ("asuntos de gobierno nacional", "gobierno nacional", "nacional")),
    Term("demarcacion", "Demarcación territorial", "Territorial demarcation",
         ("demarcacion territorial", "demarcación territorial", "demarcación")),
    Term("comunal", "Comunal", "Communal", ("comunales",)),
    Term("laboral", "Laboral", "Labour", ("labour", "labor")),
    Term("electoral", "Electoral", "Electoral", ()),
    Term("coca", "Cultivo ilegal de hoja de coca", "Illegal coca cultivation",
         ("cultivo ilegal de hoja de coca", "hoja de coca", "cultivo de coca")),
    Term("otros", "Otros asuntos", "Other matters", ("otros asuntos", "otro", "other")),
))
#: Where a conflict stands in the Defensoría's register.
CONFLICT_STATUS = _v("conflict_status", "conflict_status_", (
    Term("activo", "Activo", "Active", ("active", "activa")),
    Term("latente", "Latente", "Latent", ("latent",)),
    Term("resuelto", "Resuelto", "Resolved", ("resolved", "resuelta")),
    Term("retirado", "Retirado del registro", "Withdrawn from the register",
         ("retirado del registro", "retirada", "withdrawn")),
))
#: Phase of an active conflict, from the first signs to dialogue.
CONFLICT_PHASE = _v("conflict_phase", "conflict_phase_", (
    Term("temprana", "Temprana", "Early", ("early", "fase temprana")),
    Term("escalamiento", "Escalamiento", "Escalation", ("escalation", "escalada")),
    Term("crisis", "Crisis", "Crisis", ()),
    Term("desescalamiento", "Desescalamiento", "De-escalation",
         ("de-escalation", "desescalada")),
    Term("dialogo", "Diálogo", "Dialogue", ("diálogo", "dialogue", "fase de dialogo")),
), ranked=True)
#: Who is competent to attend a conflict (several levels: ``shared``).
COMPETENCE = _v("competence", "competence_", (
    Term("national", "Gobierno Nacional", "National government",
         ("gobierno nacional", "nacional", "poder ejecutivo")),
    Term("regional", "Gobierno Regional", "Regional government",
         ("gobierno regional", "regional")),
    Term("local", "Gobierno Local", "Local government",
         ("gobierno local", "local", "municipalidad", "municipal")),
    Term("shared", "Varios niveles de gobierno", "Several levels of government",
         ("varios", "compartida", "multiple", "múltiple")),
    Term("other", "Otra entidad", "Other body",
         ("otro", "otra", "poder judicial", "organismo autonomo", "organismo autónomo")),
))
#: Whether there is a dialogue process ("hay / no hay" in the reports).
DIALOGUE = _v("dialogue", "dialogue_", (
    Term("yes", "Hay diálogo", "Dialogue under way",
         ("hay", "si", "sí", "hay dialogo", "hay diálogo", "true")),
    Term("no", "No hay diálogo", "No dialogue",
         ("no hay", "no hay dialogo", "no hay diálogo", "false")),
))

VOCABULARIES: dict[str, Vocabulary] = {v.name: v for v in (
    KIND, COUNTRY, TITLE_STATUS, SENSITIVITY, LEGAL_STATUS, WATER_KIND, WATER_USE, STAGE,
    SUBSTANCE, LEVEL, STATE, SEVERITY,
    CASE_TYPE, CASE_STAGE, CASE_CHANNEL, DEADLINE_KIND, DEADLINE_STATE, ALERT_STATE,
    CHANGE_KIND, CHANGE_FIELD, DEADLINE_BASIS, DAY_TYPE,
    ACTOR_KIND, ACTOR_LEVEL, CONFLICT_TYPE, CONFLICT_STATUS, CONFLICT_PHASE, COMPETENCE,
    DIALOGUE)}


def label(vocabulary: str, code: str | None, lang: str | None = "es") -> str:
    """How a person reads ``code`` of ``vocabulary`` (by name) in ``lang``."""
    return VOCABULARIES[vocabulary].label(code, lang)


def interface_labels(lang: str | None) -> dict[str, str]:
    """Every value label as an interface key (``kind_ayllu``) for the map's string bundle."""
    out: dict[str, str] = {}
    for vocabulary in VOCABULARIES.values():
        out.update(vocabulary.labels(lang))
    return out
