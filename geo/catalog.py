"""The layer catalog: ONE definition per versioned data layer.

Everything that used to be written by hand in about ten parallel places is derived from a
:class:`Layer`: the import profiles' canonical fields and key column, the geometry an import
accepts, the SQLAlchemy table (``layers.tables``), the layer registry and its aliases, the
API collections and their filters, the OGC API collections (one per geometry kind where a
layer mixes them), vector tiles, exports, visibility (which layers carry a sensitivity, which
points are generalised, how network membership is judged), analysis tracking and the route
registrations. Branches on a layer's name are fields of its definition instead.

Adding a layer = one :class:`Layer` here, its migration, its map style and its tests
(``docs/ADDING_A_LAYER.md``). ``tests/layers/test_catalog.py`` asserts every registry agrees.

Pure data (no database, no HTTP), so notebooks and import profiles can use it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Literal

from geo import vocabulary as V

__all__ = ["ALIASES", "BY_TABLE", "CATALOG", "Field", "GeometryColumn", "Layer", "Publication",
           "get", "layers"]

#: How a field's values are read from files and stored: ``text`` (trimmed), ``code``
#: (identifier, zero-padded to ``pad`` digits when numeric), ``concession_code`` (INGEMMET
#: 9-digit codes), ``date``, ``bool``, ``float``, ``int``, ``list`` (of text), ``enum``
#: (one code of ``vocabulary``).
FieldType = Literal["text", "code", "concession_code", "date", "bool", "float", "int",
                    "list", "enum"]
OnUnknown = Literal["none", "default", "reject"]
GeometryKind = Literal["points", "lines", "polygons"]
#: How rows of a layer with a sensitivity are shown to members of a network: ``members``
#: (the record is a member of one of their networks), ``territory`` (it lies inside the
#: territory of such a member), or never (``None``).
NetworkScope = Literal["members", "territory"] | None


@dataclass(frozen=True)
class Field:
    """One canonical field of a layer: its type, how imports treat it, where it is shown.

    ``required`` rejects a row without it; ``default`` fills a blank; ``on_unknown`` says
    what an enum value outside the vocabulary does (reject the row, use the default, or
    unknown); ``spanish`` is its header in the Spanish template; ``editable``: editors may
    change it by hand (``PATCH``); ``filterable``: an equality filter of lists, tiles and
    exports; ``tile``: carried in vector tiles; ``free_text``: scrubbed of hidden names;
    ``imported``: read from files (else derived when stored, e.g. a boundary's key);
    ``nullable``/``server_default`` describe the database column.
    """

    name: str
    type: FieldType = "text"
    vocabulary: V.Vocabulary | None = None
    required: bool = False
    default: str | None = None
    on_unknown: OnUnknown = "none"
    pad: int = 0
    spanish: str | None = None
    editable: bool = False
    filterable: bool = False
    tile: bool = False
    free_text: bool = False
    imported: bool = True
    #: a list of keys of another layer: readers see only the keys of records they may see
    references: str | None = None
    nullable: bool = True
    server_default: str | None = None


@dataclass(frozen=True)
class GeometryColumn:
    """A stored geometry column (EPSG:4326) and its PostGIS type."""

    name: str
    type: str  # MULTIPOLYGON, POINT, GEOMETRY ...
    nullable: bool = False


@dataclass(frozen=True)
class Publication:
    """Where a layer is published."""

    api: bool = True  # /api/<layer> and /api/<layer>/{key}
    ogc: bool = True  # OGC API - Features collection(s)
    tiles: bool = True  # /tiles/<layer>/... and the one-tile-per-cell map
    exports: bool = True  # allpa export / GET /api/<layer>/export
    #: routes written by hand in ``api/routes/<layer>.py`` (communities: the legal file)
    #: instead of the generic list/item routes of ``api/routes/layers.py``
    own_routes: bool = False
    #: drawing order on the one-tile-per-cell map (lower first, i.e. below)
    map_order: int = 0


@dataclass(frozen=True)
class Layer:
    """One versioned data layer, everything the code needs to know about it."""

    name: str  # as users name it: allpa import <name>, /api/<name>
    table: str  # the database table
    key: str  # the stored key column (one current version per key)
    title_es: str
    title_en: str
    tag_es: str  # the OpenAPI tag, Spanish part ("concesiones / concessions")
    description_es: str
    description_en: str
    fields: tuple[Field, ...]
    aliases: tuple[str, ...] = ()
    #: the key column in source files, when the stored key is derived (boundaries:
    #: ``level:code``)
    import_key: str | None = None
    #: stored geometry columns; the geometry shown is the first non-NULL of them in order
    geometry: tuple[GeometryColumn, ...] = ()
    #: geometry kinds the layer may hold (more than one: OGC publishes one view per kind)
    kinds: tuple[GeometryKind, ...] = ()
    #: a re-import from the same source closes the records that vanished from it
    closes_missing: bool = False
    #: members of a network see its ``network`` records by this rule
    network_scope: NetworkScope = None
    #: points generalised for readers below network level (and line ends below editor)
    generalise_points: bool = False
    #: values of ``kind`` whose points are always generalised (springs)
    sensitive_point_kinds: tuple[str, ...] = ()
    #: every point of the layer is sensitive (sacred sites), whatever its kind
    all_points_sensitive: bool = False
    #: the column a district/admin-code prefix filter reads
    prefix_filter: str | None = None
    #: changes make communities' derived rows stale (``allpa analyze`` tracks them)
    tracked_by_analysis: bool = False
    #: imports infer a missing country from this 6-digit code (Peruvian ubigeo)
    infer_country_from: str | None = None
    #: rows may come without a geometry (conflicts located later from their communities)
    location_optional: bool = False
    #: imports merge features repeating a key into one (detached parts of one unit)
    merge_parts: bool = False
    #: the analysis' flags attach to its records (the ``flagged`` and ``network`` filters,
    #: map colours by severity)
    flagged: bool = False
    #: partial index on closed versions (what the analysis scans for changes)
    closed_index: bool = False
    #: index (id, vid) for the governing-sensitivity lookup
    id_vid_index: bool = False
    publish: Publication = field(default_factory=Publication)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name}: no field {name!r}")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def imported_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.imported)

    @property
    def source_key(self) -> str:
        """The key column of source files (profiles reject rows without it)."""
        return self.import_key or self.key

    @property
    def has_sensitivity(self) -> bool:
        return any(f.name == "sensitivity" for f in self.fields)

    @property
    def editable(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.editable)

    @property
    def filterable(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.filterable)

    @property
    def tile_properties(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.tile)

    @property
    def free_text(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.free_text)

    @property
    def has_geometry(self) -> bool:
        return bool(self.geometry)

    @property
    def expected_geometry(self) -> str | None:
        """What an import accepts (``geo.validity.Expected``), None without geometry."""
        kinds = set(self.kinds)
        if not kinds:
            return None
        if kinds == {"polygons"}:
            return "polygon"
        if kinds == {"points"}:
            return "point"
        if kinds == {"lines"}:
            return "line"
        if kinds == {"points", "polygons"}:
            return "point_or_polygon"
        return "any"

    @property
    def geometry_views(self) -> tuple[GeometryKind, ...]:
        """The one-kind OGC views of a layer that mixes geometry kinds."""
        return self.kinds if len(self.kinds) > 1 else ()

    @property
    def tracked_geometry_sql(self) -> str:
        """SQL of the geometry shown (what the analysis compares between versions)."""
        names = [g.name for g in self.geometry]
        return names[0] if len(names) == 1 else f"coalesce({', '.join(names)})"

    @property
    def spanish_headers(self) -> dict[str, str]:
        return {f.name: f.spanish for f in self.fields if f.spanish}


def _f(name: str, type: FieldType = "text", **kw: object) -> Field:
    return Field(name, type, **kw)  # type: ignore[arg-type]


def _enum(name: str, vocabulary: V.Vocabulary, **kw: object) -> Field:
    return Field(name, "enum", vocabulary, **kw)  # type: ignore[arg-type]


_SENSITIVITY = _enum("sensitivity", V.SENSITIVITY, default="public", on_unknown="reject",
                     spanish="sensibilidad", filterable=True, nullable=False,
                     server_default="public")

BOUNDARIES = Layer(
    name="boundaries", table="boundary", key="key", import_key="code",
    title_es="Límites administrativos", title_en="Administrative boundaries", tag_es="límites",
    description_es="Límites administrativos (departamentos, provincias, distritos).",
    description_en="Administrative boundaries (departments, provinces, districts).",
    aliases=("boundary", "limites", "districts"),
    fields=(
        _f("key", "code", imported=False, nullable=False),
        _f("code", "code", required=True, tile=True, nullable=False),
        _enum("level", V.LEVEL, required=True, on_unknown="reject", filterable=True, tile=True,
              nullable=False),
        _f("name", required=True, tile=True, nullable=False),
        _f("parent_code", "code", filterable=True, tile=True),
        _enum("country", V.COUNTRY, required=True, on_unknown="reject", filterable=True,
              nullable=False),
    ),
    geometry=(GeometryColumn("geom", "MULTIPOLYGON"),), kinds=("polygons",),
    prefix_filter="code", merge_parts=True, publish=Publication(map_order=0),
)

_CLAUSES = (("territory", "territorio"), ("water", "agua"), ("environment", "ambiente"),
            ("consultation", "consulta"), ("women", "mujeres"))

COMMUNITIES = Layer(
    name="communities", table="community", key="id",
    title_es="Comunidades", title_en="Communities", tag_es="comunidades",
    description_es="Comunidades campesinas y nativas, ayllus y otras organizaciones con su "
                   "territorio (o punto), personería jurídica, estatuto y junta.",
    description_en="Communities with territory (or point), legal personality, statute and "
                   "board.",
    aliases=("community", "comunidades"),
    fields=(
        _f("id", "code", required=True, spanish="codigo", tile=True, nullable=False),
        _f("name", required=True, spanish="nombre", tile=True, nullable=False),
        _enum("kind", V.KIND, default="otro", on_unknown="default", spanish="tipo",
              filterable=True, tile=True),
        _enum("country", V.COUNTRY, on_unknown="reject", spanish="pais", filterable=True,
              tile=True),
        _f("admin_code", "code", pad=6, spanish="ubigeo", tile=True),
        _enum("title_status", V.TITLE_STATUS, spanish="estado_titulo", filterable=True,
              tile=True, editable=True),
        _f("title_date", "date", spanish="fecha_titulo", editable=True),
        _f("official_area_ha", "float", spanish="area_oficial_ha", editable=True),
        replace(_SENSITIVITY, tile=True, editable=True),
        _enum("legal_status", V.LEGAL_STATUS, spanish="personeria", editable=True,
              filterable=True, tile=True),
        _f("registry_office", spanish="oficina_registral", editable=True, free_text=True),
        _f("registry_entry", "code", spanish="partida", editable=True),
        _f("registration_date", "date", spanish="fecha_inscripcion", editable=True),
        _f("statute_adopted", "date", spanish="estatuto_aprobado", editable=True),
        _f("statute_modified", "date", spanish="estatuto_modificado", editable=True),
        *(_f(f"clause_{en}", "bool", spanish=f"clausula_{es}", editable=True)
          for en, es in _CLAUSES),
        _f("board_elected", "date", spanish="junta_eleccion", editable=True),
        _f("board_term_end", "date", spanish="junta_fin_mandato", editable=True),
        _f("board_registered", "bool", spanish="junta_inscrita", editable=True),
        _f("procedure_what", spanish="tramite", editable=True, free_text=True),
        _f("procedure_stage", spanish="tramite_etapa", editable=True, free_text=True),
        _f("procedure_since", "date", spanish="tramite_desde", editable=True),
    ),
    geometry=(GeometryColumn("territory", "MULTIPOLYGON", nullable=True),
              GeometryColumn("location", "POINT")),
    kinds=("polygons", "points"),
    network_scope="members", prefix_filter="admin_code", infer_country_from="admin_code",
    tracked_by_analysis=True,
    flagged=True, closed_index=True, id_vid_index=True,
    publish=Publication(own_routes=True, map_order=3),
)

CONCESSIONS = Layer(
    name="concessions", table="concession", key="code",
    title_es="Concesiones mineras", title_en="Mining concessions", tag_es="concesiones",
    description_es="Derechos mineros (catastro INGEMMET).",
    description_en="Mining rights (INGEMMET cadastre).",
    aliases=("concession", "concesiones"),
    fields=(
        _f("code", "concession_code", required=True, tile=True, nullable=False),
        _f("name", tile=True),
        _f("holder", filterable=True, tile=True),
        # derived by the INGEMMET profile from D_ESTADO/ESTADO (raw code kept in state_raw)
        _f("state", vocabulary=V.STATE, filterable=True, tile=True, nullable=False),
        _f("state_raw"),
        _enum("substance", V.SUBSTANCE, filterable=True, tile=True),
        _f("filed_on", "date"),
        _f("official_ha", "float", tile=True),
        _f("zone", "int"),
        _f("datum"),
    ),
    geometry=(GeometryColumn("geom", "MULTIPOLYGON"),), kinds=("polygons",),
    closes_missing=True, tracked_by_analysis=True, closed_index=True,
    publish=Publication(map_order=2),
)

WATER = Layer(
    name="water", table="water_source", key="id",
    title_es="Fuentes de agua", title_en="Water sources", tag_es="agua",
    description_es="Manantiales, ríos, quebradas, lagunas, bofedales, pozos, canales.",
    description_en="Springs, rivers, streams, lakes, wetlands, wells, canals.",
    aliases=("water_sources", "agua", "fuentes_agua"),
    fields=(
        _f("id", "code", required=True, spanish="codigo", tile=True, nullable=False),
        _f("name", spanish="nombre", tile=True),
        _enum("kind", V.WATER_KIND, required=True, on_unknown="reject", spanish="tipo",
              filterable=True, tile=True, nullable=False),
        _enum("use", V.WATER_USE, spanish="uso", filterable=True, tile=True),
        _SENSITIVITY,
    ),
    geometry=(GeometryColumn("geom", "GEOMETRY"),), kinds=("points", "lines", "polygons"),
    network_scope="territory", generalise_points=True, sensitive_point_kinds=("spring",),
    tracked_by_analysis=True, closed_index=True, id_vid_index=True,
    publish=Publication(map_order=4),
)

CONSULTATIONS = Layer(
    name="consultations", table="consultation", key="id",
    title_es="Consultas previas", title_en="Prior consultations", tag_es="consultas",
    description_es="Procesos de consulta previa y su área de influencia.",
    description_en="Prior consultation processes and their area of influence.",
    aliases=("consultation", "consultas"),
    fields=(
        _f("id", "code", required=True, spanish="codigo", tile=True, nullable=False),
        _f("name", required=True, spanish="nombre", tile=True, nullable=False),
        _f("measure", spanish="medida", tile=True, free_text=True),
        _f("promoter", spanish="promotor", filterable=True, tile=True),
        _f("concession_codes", "list", spanish="concesiones", references="concessions",
           nullable=False, server_default="{}"),
        _enum("stage", V.STAGE, spanish="etapa", filterable=True, tile=True),
        _f("start_date", "date", spanish="fecha_inicio", tile=True),
        _f("dialogue_date", "date", spanish="fecha_dialogo"),
        _f("end_date", "date", spanish="fecha_fin"),
    ),
    geometry=(GeometryColumn("geom", "MULTIPOLYGON"),), kinds=("polygons",),
    tracked_by_analysis=True, closed_index=True, publish=Publication(map_order=1),
)

NETWORKS = Layer(
    name="networks", table="network", key="id",
    title_es="Redes de comunidades", title_en="Community networks", tag_es="redes",
    description_es="Redes de comunidades y sus miembros.",
    description_en="Community networks and their members.",
    aliases=("network", "redes"),
    fields=(
        _f("id", "code", required=True, spanish="codigo", nullable=False),
        _f("name", required=True, spanish="nombre", nullable=False),
        _f("description", spanish="descripcion", free_text=True),
        _f("members", "list", spanish="miembros", references="communities", nullable=False,
           server_default="{}"),
    ),
    publish=Publication(ogc=False, tiles=False),
)

# --- cases (trámites), issue 12 item 4 ---
CASES = Layer(
    name="cases", table="legal_case", key="id",
    title_es="Trámites", title_en="Cases", tag_es="trámites",
    description_es="Trámites legales de las comunidades (personería, estatuto, junta, "
                   "titulación, oposición minera, consulta previa), su etapa y sus plazos. "
                   "Solo para editores.",
    description_en="Communities' legal cases, their stage and deadlines. Editors only.",
    aliases=("case", "tramites", "tramite"),
    fields=(
        _f("id", "code", required=True, spanish="codigo", nullable=False),
        _f("community_id", "code", required=True, spanish="comunidad", filterable=True,
           nullable=False),
        _enum("type", V.CASE_TYPE, required=True, on_unknown="reject", spanish="tipo",
              filterable=True, editable=True, nullable=False),
        _f("authority", spanish="autoridad", editable=True, free_text=True),
        _enum("stage", V.CASE_STAGE, default="intake", on_unknown="reject", spanish="etapa",
              filterable=True, editable=True, nullable=False, server_default="intake"),
        _f("stage_date", "date", spanish="fecha_etapa", editable=True),
        _f("lawyer", spanish="abogado", filterable=True, editable=True),
        _f("opened", "date", spanish="apertura", editable=True),
        _f("closed", "date", spanish="cierre", editable=True),
        _f("intake_who", spanish="solicitante", editable=True, free_text=True),
        _f("intake_need", spanish="necesidad", editable=True, free_text=True),
        _f("rule_id", spanish="alerta", editable=True),
        _f("note", spanish="nota", editable=True, free_text=True),
        # cases are never public: every version is restricted (editors and admins only)
        _enum("sensitivity", V.SENSITIVITY, default="restricted", on_unknown="default",
              spanish="sensibilidad", nullable=False, server_default="restricted"),
        # the rest of the intake record (migration 0009 adds these columns last): who asked
        # (intake_who above), their role, how to reach them, when, by which channel; the
        # need in their words is intake_need. Deadlines are rows of case_deadline and
        # documents rows of case_document (layers/case_deadlines.py, case_documents.py).
        _f("intake_role", spanish="cargo_solicitante", editable=True, free_text=True),
        _f("intake_contact", spanish="contacto", editable=True, free_text=True),
        _f("intake_date", "date", spanish="fecha_solicitud", editable=True),
        _enum("intake_channel", V.CASE_CHANNEL, on_unknown="reject", spanish="canal",
              editable=True),
        # the cadastre alerts (ids of layers.alert_tables.alert) this case answers
        _f("alert_ids", "list", spanish="alertas_catastro", editable=True, nullable=False,
           server_default="{}"),
    ),
    closed_index=True, id_vid_index=True,
    publish=Publication(api=False, ogc=False, tiles=False, exports=False, own_routes=True),
)

# --- actors and social conflicts (issue 14 item 3) ---
ACTORS = Layer(
    name="actors", table="actor", key="id",
    title_es="Actores", title_en="Actors", tag_es="actores",
    description_es="Empresas, entidades del Estado, organizaciones comunales y sociales, ONG: "
                   "sus vínculos con comunidades, concesiones (titulares), consultas y redes.",
    description_en="Companies, state agencies, community and social organisations, NGOs: "
                   "their links to communities, concessions (holders), consultations and "
                   "networks.",
    aliases=("actor", "actores"),
    fields=(
        _f("id", "code", required=True, spanish="codigo", nullable=False),
        _f("name", required=True, spanish="nombre", nullable=False),
        _enum("kind", V.ACTOR_KIND, default="other", on_unknown="default", spanish="tipo",
              filterable=True, nullable=False, server_default="other"),
        _f("role", spanish="rol", free_text=True),
        # the actor (a company) behind this one, e.g. the parent of a concession holder
        _f("company", "code", spanish="empresa", filterable=True),
        # concession holders as the cadastre writes them (``concessions.holder``)
        _f("holders", "list", spanish="titulares", nullable=False, server_default="{}"),
        _f("communities", "list", spanish="comunidades", references="communities",
           nullable=False, server_default="{}"),
        _f("consultations", "list", spanish="consultas", references="consultations",
           nullable=False, server_default="{}"),
        _f("networks", "list", spanish="redes", references="networks", nullable=False,
           server_default="{}"),
        _SENSITIVITY,
    ),
    closed_index=True, id_vid_index=True,
    publish=Publication(ogc=False, tiles=False),
)

#: The three actor columns of the Defensoría's reports (field, Spanish header, level).
CONFLICT_ACTOR_FIELDS = (("actors_primary", "actores_primarios", "primary"),
                         ("actors_secondary", "actores_secundarios", "secondary"),
                         ("actors_tertiary", "actores_terciarios", "tertiary"))

CONFLICTS = Layer(
    name="conflicts", table="social_conflict", key="id",
    title_es="Conflictos sociales", title_en="Social conflicts", tag_es="conflictos",
    description_es="Conflictos sociales como los registra la Defensoría del Pueblo: tipo, "
                   "estado, fase, actores, comunidades, competencia, diálogo y ubicación.",
    description_en="Social conflicts as the Defensoría del Pueblo registers them: type, "
                   "status, phase, actors, communities, competence, dialogue and location.",
    aliases=("conflict", "conflictos", "conflicto"),
    fields=(
        _f("id", "code", required=True, spanish="numero", tile=True, nullable=False),
        _f("name", spanish="nombre", tile=True),
        _enum("type", V.CONFLICT_TYPE, required=True, on_unknown="reject", spanish="tipo",
              filterable=True, tile=True, nullable=False),
        _enum("status", V.CONFLICT_STATUS, required=True, on_unknown="reject",
              spanish="estado", filterable=True, tile=True, nullable=False),
        _enum("phase", V.CONFLICT_PHASE, on_unknown="reject", spanish="fase",
              filterable=True, tile=True),
        _f("department", spanish="departamento"),
        _f("province", spanish="provincia"),
        _f("district", spanish="distrito", tile=True),
        _f("admin_code", "code", pad=6, spanish="ubigeo"),
        _f("description", spanish="descripcion", free_text=True),
        _enum("competence", V.COMPETENCE, spanish="competencia", filterable=True),
        _f("start_date", "date", spanish="fecha_inicio", tile=True),
        _enum("dialogue", V.DIALOGUE, spanish="dialogo", filterable=True, tile=True),
        _f("violence", spanish="acciones_violencia", free_text=True),
        *(_f(name, "list", spanish=es, references="actors", nullable=False,
             server_default="{}") for name, es, _ in CONFLICT_ACTOR_FIELDS),
        _f("communities", "list", spanish="comunidades", references="communities",
           nullable=False, server_default="{}"),
        replace(_SENSITIVITY, tile=True),
    ),
    geometry=(GeometryColumn("location", "POINT", nullable=True),), kinds=("points",),
    location_optional=True, network_scope="territory", prefix_filter="admin_code",
    closed_index=True, id_vid_index=True,
    publish=Publication(map_order=6),
)

POSITIONS = Layer(
    name="positions", table="actor_position", key="id",
    title_es="Posiciones de actores", title_en="Actors' positions", tag_es="posiciones",
    description_es="La posición de un actor en un conflicto. Reservada por defecto: solo "
                   "editores, salvo que se marque pública o de la red.",
    description_en="An actor's position in a conflict. Restricted by default: editors only, "
                   "unless marked public or network.",
    aliases=("position", "posiciones"),
    fields=(
        _f("id", "code", required=True, spanish="codigo", nullable=False),
        _f("conflict_id", "code", required=True, spanish="conflicto", filterable=True,
           nullable=False),
        _f("actor_id", "code", required=True, spanish="actor", filterable=True,
           nullable=False),
        _enum("level", V.ACTOR_LEVEL, on_unknown="reject", spanish="nivel", filterable=True),
        _f("position", spanish="posicion", free_text=True),
        _enum("sensitivity", V.SENSITIVITY, default="restricted", on_unknown="reject",
              spanish="sensibilidad", filterable=True, nullable=False,
              server_default="restricted"),
    ),
    closed_index=True, id_vid_index=True,
    publish=Publication(ogc=False, tiles=False),
)

#: Every layer, in the order commands and listings show them.
CATALOG: dict[str, Layer] = {layer.name: layer for layer in (
    BOUNDARIES, COMMUNITIES, CONCESSIONS, WATER, CONSULTATIONS, NETWORKS,
    CASES, ACTORS, CONFLICTS, POSITIONS)}

#: Other names users type for a layer (Spanish, singular) -> its name.
ALIASES: dict[str, str] = {alias: layer.name for layer in CATALOG.values()
                           for alias in layer.aliases}


#: Table name -> layer.
BY_TABLE: dict[str, Layer] = {layer.table: layer for layer in CATALOG.values()}


def layers() -> Iterator[Layer]:
    return iter(CATALOG.values())


def get(name: str) -> Layer:
    """A layer by name or alias (case-insensitive); ``KeyError`` when there is none."""
    key = ALIASES.get(name.lower(), name.lower())
    return CATALOG[key]
