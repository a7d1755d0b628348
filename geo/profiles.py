"""Source profiles: from the columns a source really has to Allpa's canonical layer frames.

A profile only chooses *which* source column feeds each canonical field (plus a few
source-specific rules such as INGEMMET states or INEI levels); value normalisation (dates,
booleans, Spanish enum values, zero-padded codes) is shared per layer, so every source gets
the same treatment. Rows that cannot be used are rejected with a reason naming the feature;
doubtful values become ``None`` (unknown) with an aggregated warning, never a silent guess.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import ProfileError, bilingual
from geo.validity import Rejection, feature_label

__all__ = [
    "CANONICAL_COLUMNS",
    "KEY_COLUMNS",
    "LAYERS",
    "PROFILES",
    "FieldSpec",
    "Profile",
    "ProfileResult",
    "apply_profile",
    "detect_profile",
    "normalise_name",
    "parse_bool",
    "parse_date",
    "parse_float",
]

LAYERS = ("boundaries", "communities", "concessions", "water", "consultations", "networks")


# --------------------------------------------------------------------------- value parsers


def normalise_name(text: str) -> str:
    """Lower-case, accent-free, underscore-separated form used to match names and values."""
    decomposed = unicodedata.normalize("NFKD", str(text).strip().lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s\-/.]+", "_", plain).strip("_")


def _blank(value: Any) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str | None:
    if _blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, np.integer | np.floating):
        return _text(value.item())
    return str(value).strip()


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}
_MONTHS_ES = {"ene": 1, "abr": 4, "ago": 8, "set": 9, "dic": 12}
_JS_DATE = re.compile(r"^(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\w*\.?\s+(\d{1,2}),?\s+(\d{4})\b")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:$|[T\s])")
_DMY_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?:$|\s)")
_YMD_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value: Any) -> dt.date | None:
    """Parse a date as written, in any format Andean sources use; ``ValueError`` if unknown.

    Accepts ``date``/``datetime``/``Timestamp``, ISO ``YYYY-MM-DD[...]``, ``DD/MM/YYYY``,
    ``YYYYMMDD``, JavaScript ``Date.toString()`` output (``Tue Dec 30 2025 00:00:00
    GMT-0500 (hora estándar de Perú)``: the calendar date as written, no time-zone shift) and
    epoch milliseconds (ArcGIS REST), read as UTC dates.
    """
    if _blank(value):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, np.datetime64):
        return pd.Timestamp(value).date()
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return _from_number(float(value))
    text = str(value).strip()
    return _from_text(text)


def _from_number(number: float) -> dt.date:
    if abs(number) >= 1e11:  # epoch milliseconds (ArcGIS REST, JSON exports)
        return dt.datetime.fromtimestamp(number / 1000.0, tz=dt.UTC).date()
    if 1e7 <= number < 1e8 and number.is_integer():  # YYYYMMDD
        return _from_text(str(int(number)))
    raise ValueError(f"unrecognised numeric date {number!r}")


def _from_text(text: str) -> dt.date:
    if m := _ISO_DATE.match(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := _DMY_DATE.match(text):
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    if m := _YMD_COMPACT.match(text):
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    if m := _JS_DATE.match(text):
        month = m[1].lower()
        number = _MONTHS.get(month) or _MONTHS_ES.get(month)
        if number:
            return dt.date(int(m[3]), number, int(m[2]))
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return _from_number(float(text))
    raise ValueError(f"unrecognised date {text!r}")


_TRUE = {"si", "s", "yes", "y", "true", "t", "1", "x", "verdadero", "v"}
_FALSE = {"no", "n", "false", "f", "0", "falso"}


def parse_bool(value: Any) -> bool | None:
    """``si|sí|no|true|false|1|0|x``; empty is unknown (None); ``ValueError`` otherwise."""
    if _blank(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if value in (0, 1):
            return bool(value)
        raise ValueError(f"not a boolean: {value!r}")
    key = normalise_name(str(value))
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def parse_float(value: Any) -> float | None:
    """Number, accepting decimal commas (``1.234,5`` and ``12,5``); ``ValueError`` if not."""
    if _blank(value):
        return None
    if isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if "," in text:
        if "." in text and text.rfind(".") > text.rfind(","):
            text = text.replace(",", "")
        else:
            text = text.replace(".", "").replace(",", ".")
    return float(text)


def _parse_int(value: Any) -> int | None:
    number = parse_float(value)
    if number is None:
        return None
    if not number.is_integer():
        raise ValueError(f"not an integer: {value!r}")
    return int(number)


def _parse_list(value: Any) -> list[str]:
    if _blank(value):
        return []
    if isinstance(value, list | tuple | np.ndarray):
        return [t for v in value if (t := _text(v))]
    text = str(value).strip().strip("[]")
    sep = ";" if ";" in text else ("|" if "|" in text else ",")
    return [p.strip().strip("'\"") for p in text.split(sep) if p.strip().strip("'\"")]


def _pad_digits(value: Any, width: int) -> str | None:
    """Code as text, zero-padded when it is purely numeric (spreadsheets drop leading zeros)."""
    text = _text(value)
    if text is None:
        return None
    if re.fullmatch(r"\d+", text) and len(text) < width:
        return text.zfill(width)
    return text.upper() if re.search(r"[a-z]", text) and re.search(r"\d", text) else text


def _concession_code(value: Any) -> str | None:
    """INGEMMET code: 9 digits with leading zeros; alphanumeric codes (``P0400415``,
    ``010000424L``) exist in the real cadastre and are kept as written (upper-cased)."""
    return _pad_digits(value, 9)


# --------------------------------------------------------------------------- enum tables


def _enum(table: Mapping[str, Iterable[str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for canonical, variants in table.items():
        out[normalise_name(canonical)] = canonical
        for variant in variants:
            out[normalise_name(variant)] = canonical
    return out


KIND = _enum(
    {
        "comunidad_campesina": ["comunidad campesina", "cc", "campesina", "c.c."],
        "comunidad_nativa": ["comunidad nativa", "cn", "nativa", "c.n."],
        "ayllu": ["ayllus"],
        "asociacion": ["asociación", "association"],
        "junta_vecinal": ["junta vecinal", "otb", "organizacion territorial de base"],
        "tioc": ["tco", "territorio indigena originario campesino"],
        "otro": ["otra", "other", "otros"],
    }
)
COUNTRY = _enum({"PE": ["peru", "perú", "per"], "BO": ["bolivia", "bol"]})
TITLE_STATUS = _enum(
    {
        "titled": ["titulada", "titulado", "con titulo", "con título"],
        "recognised_untitled": [
            "recognized_untitled",
            "reconocida_sin_titulo",
            "reconocida sin título",
            "reconocida",
            "reconocido",
            "sin titulo",
            "sin título",
        ],
        "unrecognised": ["unrecognized", "no_reconocida", "no reconocida", "no reconocido"],
    }
)
SENSITIVITY = _enum(
    {
        "public": ["publica", "pública", "publico", "público"],
        "network": ["red", "solo red"],
        "restricted": ["restringida", "restringido", "privada", "reservada"],
    }
)
LEGAL_STATUS = _enum(
    {
        "none": ["ninguna", "sin personeria", "sin personería", "no"],
        "in_process": ["en_tramite", "en trámite", "tramite", "trámite", "in process"],
        "registered": ["inscrita", "inscrito", "registrada", "registrado", "si", "sí"],
    }
)
WATER_KIND = _enum(
    {
        "spring": ["manantial", "ojo de agua", "puquio", "pukio", "naciente", "fuente"],
        "river": ["rio", "río", "mayu"],
        "stream": ["quebrada", "riachuelo", "arroyo", "riachuelo"],
        "lake": ["laguna", "lago", "cocha", "qucha", "represa"],
        "wetland": ["bofedal", "humedal", "oconal", "turbera"],
        "well": ["pozo"],
        "canal": ["acequia", "canal de riego"],
        "glacier": ["glaciar", "nevado"],
    }
)
WATER_USE = _enum(
    {
        "human": [
            "consumo humano",
            "humano",
            "poblacional",
            "domestico",
            "doméstico",
            "agua potable",
        ],
        "irrigation": ["riego", "agricola", "agrícola", "agrario"],
        "livestock": ["ganaderia", "ganadería", "pecuario", "ganado", "abrevadero"],
        "mixed": ["mixto", "multiple", "múltiple", "varios"],
    }
)
STAGE = _enum(
    {
        "announced": ["anunciada", "anuncio", "anunciado"],
        "planning": [
            "planificacion",
            "planificación",
            "identificacion",
            "identificación",
            "publicidad",
            "plan de consulta",
        ],
        "information": ["informacion", "información"],
        "internal_evaluation": [
            "evaluacion interna",
            "evaluación interna",
            "evaluacion_interna",
            "evaluacion",
        ],
        "dialogue": ["dialogo", "diálogo"],
        "decision": ["decisión"],
        "closed": ["cerrada", "concluida", "finalizada", "cerrado", "concluido"],
    }
)
SUBSTANCE = _enum(
    {
        "metallic": ["m", "metalica", "metálica", "metalico", "metálico"],
        "non_metallic": ["n", "no metalica", "no metálica", "no metalico", "no metálico", "nm"],
    }
)
LEVEL = _enum(
    {
        "department": ["departamento", "dpto"],
        "province": ["provincia"],
        "district": ["distrito"],
        "bo_department": ["departamento_bo"],
        "municipality": ["municipio"],
    }
)


# --------------------------------------------------------------------------- field specs


@dataclass(frozen=True)
class FieldSpec:
    """One canonical column: how to parse it and what to do when it is missing or odd.

    ``on_unknown`` for enums: ``"reject"`` the row, ``"default"`` (use ``default``) or
    ``"none"`` (unknown), the last two with a warning.
    """

    name: str
    kind: str  # str|code|date|bool|float|int|list|enum
    required: bool = False
    default: Any = None
    enum: Mapping[str, str] | None = None
    on_unknown: str = "none"
    pad: int = 0


def _community_fields() -> tuple[FieldSpec, ...]:
    """Community fields. Statute adoption/modification and board election are *dates*
    (when it happened; None = unknown or never); only the clauses and board registration
    are booleans, as in CONTRACT.md and the bundled sample."""
    clauses = ("territory", "water", "environment", "consultation", "women")
    return (
        FieldSpec("id", "code", required=True),
        FieldSpec("name", "str", required=True),
        FieldSpec("kind", "enum", default="otro", enum=KIND, on_unknown="default"),
        FieldSpec("country", "enum", enum=COUNTRY, on_unknown="reject"),
        FieldSpec("admin_code", "code", pad=6),
        FieldSpec("title_status", "enum", enum=TITLE_STATUS),
        FieldSpec("title_date", "date"),
        FieldSpec("official_area_ha", "float"),
        FieldSpec("sensitivity", "enum", default="public", enum=SENSITIVITY, on_unknown="reject"),
        FieldSpec("legal_status", "enum", enum=LEGAL_STATUS),
        FieldSpec("registry_office", "str"),
        FieldSpec("registry_entry", "code"),
        FieldSpec("registration_date", "date"),
        FieldSpec("statute_adopted", "date"),
        FieldSpec("statute_modified", "date"),
        *(FieldSpec(f"clause_{c}", "bool") for c in clauses),
        FieldSpec("board_elected", "date"),
        FieldSpec("board_term_end", "date"),
        FieldSpec("board_registered", "bool"),
        FieldSpec("procedure_what", "str"),
        FieldSpec("procedure_stage", "str"),
        FieldSpec("procedure_since", "date"),
    )


FIELDS: dict[str, tuple[FieldSpec, ...]] = {
    "boundaries": (
        FieldSpec("code", "code", required=True),
        FieldSpec("name", "str", required=True),
        FieldSpec("level", "enum", required=True, enum=LEVEL, on_unknown="reject"),
        FieldSpec("parent_code", "code"),
        FieldSpec("country", "enum", required=True, enum=COUNTRY, on_unknown="reject"),
    ),
    "communities": _community_fields(),
    "concessions": (
        FieldSpec("code", "concession_code", required=True),
        FieldSpec("name", "str"),
        FieldSpec("holder", "str"),
        FieldSpec("state", "str"),
        FieldSpec("state_raw", "str"),
        FieldSpec("substance", "enum", enum=SUBSTANCE),
        FieldSpec("filed_on", "date"),
        FieldSpec("official_ha", "float"),
        FieldSpec("zone", "int"),
        FieldSpec("datum", "str"),
    ),
    "water": (
        FieldSpec("id", "code", required=True),
        FieldSpec("name", "str"),
        FieldSpec("kind", "enum", required=True, enum=WATER_KIND, on_unknown="reject"),
        FieldSpec("use", "enum", enum=WATER_USE),
        FieldSpec("sensitivity", "enum", default="public", enum=SENSITIVITY, on_unknown="reject"),
    ),
    "consultations": (
        FieldSpec("id", "code", required=True),
        FieldSpec("name", "str", required=True),
        FieldSpec("measure", "str"),
        FieldSpec("promoter", "str"),
        FieldSpec("concession_codes", "list"),
        FieldSpec("stage", "enum", enum=STAGE),
        FieldSpec("start_date", "date"),
        FieldSpec("dialogue_date", "date"),
        FieldSpec("end_date", "date"),
    ),
    "networks": (
        FieldSpec("id", "code", required=True),
        FieldSpec("name", "str", required=True),
        FieldSpec("description", "str"),
        FieldSpec("members", "list"),
    ),
}
CANONICAL_COLUMNS: dict[str, tuple[str, ...]] = {
    layer: tuple(f.name for f in specs) for layer, specs in FIELDS.items()
}
KEY_COLUMNS = {
    "boundaries": "code",
    "communities": "id",
    "concessions": "code",
    "water": "id",
    "consultations": "id",
    "networks": "id",
}


# --------------------------------------------------------------------------- profiles


@dataclass
class ProfileResult:
    """Canonical frame (index = raw row labels) plus the rows left out and why."""

    frame: gpd.GeoDataFrame
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    profile: str = ""


Hook = Callable[[pd.DataFrame, dict[str, pd.Series], dict[str, Any], list[str]], None]


@dataclass(frozen=True)
class Profile:
    """Where a source keeps each canonical field, and how to recognise the source."""

    name: str
    layers: tuple[str, ...]
    description: str
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    signatures: tuple[frozenset[str], ...] = ()
    hook: Hook | None = None

    def matches(self, columns: Iterable[str]) -> bool:
        names = {normalise_name(c) for c in columns}
        return any(sig <= names for sig in self.signatures)


def _sig(*names: str) -> frozenset[str]:
    return frozenset(normalise_name(n) for n in names)


def _col(raw: pd.DataFrame, *names: str) -> str | None:
    """The raw column matching any of ``names`` (case/accent-insensitive), else None."""
    lookup = {normalise_name(c): c for c in raw.columns if c != "geometry"}
    return next((lookup[normalise_name(n)] for n in names if normalise_name(n) in lookup), None)


def _series(raw: pd.DataFrame, *names: str) -> pd.Series | None:
    col = _col(raw, *names)
    return raw[col] if col is not None else None


# INGEMMET ---------------------------------------------------------------------------------

_STATE_CODES = {
    **dict.fromkeys("TNE", "titled"),
    **dict.fromkeys("PD", "in_process"),
    **dict.fromkeys("FLXY", "extinguished"),
}
_STATE_TEXT = (
    ("extinguished", ("EXTING", "CADUC", "ABANDON", "NULID", "NULO", "RENUNC", "CANCEL")),
    ("in_process", ("TRAMITE", "PETITORIO", "EN TRAM")),
    ("titled", ("TITULAD", "VIGENTE")),
)


def ingemmet_state(text: Any, code: Any) -> str | None:
    """INGEMMET state from ``D_ESTADO`` text, else from the ``ESTADO`` letter code."""
    t = _text(text)
    if t:
        upper = normalise_name(t).upper().replace("_", " ")
        for state, needles in _STATE_TEXT:
            if any(n in upper for n in needles):
                return state
        return "other"
    c = _text(code)
    if c:
        return _STATE_CODES.get(c.upper()[:1], "other")
    return None


def _ingemmet_hook(
    raw: pd.DataFrame, values: dict[str, pd.Series], defaults: dict[str, Any], warn: list[str]
) -> None:
    text = _series(raw, "D_ESTADO", "DESC_ESTADO")
    code = _series(raw, "ESTADO", "COD_ESTADO")
    if "state" not in values and (text is not None or code is not None):
        t = text if text is not None else pd.Series(None, index=raw.index, dtype=object)
        c = code if code is not None else pd.Series(None, index=raw.index, dtype=object)
        values["state"] = pd.Series(
            [ingemmet_state(a, b) for a, b in zip(t, c, strict=True)], index=raw.index
        )
        values["state_raw"] = pd.Series(
            [_text(a) or _text(b) for a, b in zip(t, c, strict=True)], index=raw.index
        )
    hectagis, hasdatum = _series(raw, "HECTAGIS"), _series(raw, "HASDATUM")
    if "official_ha" not in values and (hectagis is not None or hasdatum is not None):
        first = hectagis if hectagis is not None else hasdatum
        assert first is not None
        other = hasdatum if hectagis is not None else None
        values["official_ha"] = first.where(first.notna(), other) if other is not None else first


# INEI / INE boundaries --------------------------------------------------------------------

_INEI_VARIANTS: tuple[tuple[str, str, str, int], ...] = (
    ("ubigeo", "nombre_distrito", "district", 6),
    ("IDDIST", "NOMBDIST", "district", 6),
    ("UBIGEO", "NOMBDIST", "district", 6),
    ("ubigeo", "nombre_provincia", "province", 4),
    ("FIRST_IDPR", "NOMBPROV", "province", 4),
    ("IDPROV", "NOMBPROV", "province", 4),
    ("FIRST_IDDP", "NOMBDEP", "department", 2),
    ("IDDPTO", "NOMBDEP", "department", 2),
    ("CCDD", "NOMBDEP", "department", 2),
    ("ubigeo", "nombre_departamento", "department", 2),
)
_BO_VARIANTS: tuple[tuple[str, str, str, int], ...] = (
    ("municipio", "nombre_municipio", "municipality", 6),
    ("departamento", "nombre_departamento", "bo_department", 2),
)
_PARENT_WIDTH = {"district": 4, "province": 2, "municipality": 2}


def _boundary_hook(variants: tuple[tuple[str, str, str, int], ...], country: str) -> Hook:
    def hook(
        raw: pd.DataFrame,
        values: dict[str, pd.Series],
        defaults: dict[str, Any],
        warn: list[str],
    ) -> None:
        variant = next((v for v in variants if _col(raw, v[0]) and _col(raw, v[1])), None)
        if variant is None:
            return
        code_name, name_name, level, width = variant
        code_col, name_col = _col(raw, code_name), _col(raw, name_name)
        assert code_col is not None and name_col is not None
        level = LEVEL.get(normalise_name(str(defaults.get("level", level))), level)
        codes = raw[code_col].map(lambda v: _pad_digits(v, width))
        values.setdefault("code", codes)
        values.setdefault("name", raw[name_col])
        values.setdefault("level", pd.Series(level, index=raw.index))
        values.setdefault("country", pd.Series(defaults.get("country", country), index=raw.index))
        if "parent_code" not in values:
            values["parent_code"] = _parent_codes(raw, values["code"], level, country)

    return hook


def _parent_codes(raw: pd.DataFrame, codes: pd.Series, level: str, country: str) -> pd.Series:
    if country == "BO" and level == "municipality":
        dept = _series(raw, "departamento")
        if dept is not None:
            return dept.map(lambda v: _pad_digits(v, 2))
    width = _PARENT_WIDTH.get(level)
    if width is None:
        return pd.Series(None, index=raw.index, dtype=object)
    return codes.map(lambda c: c[:width] if isinstance(c, str) and len(c) > width else None)


def _bo_hook(
    raw: pd.DataFrame, values: dict[str, pd.Series], defaults: dict[str, Any], warn: list[str]
) -> None:
    _boundary_hook(_BO_VARIANTS, "BO")(raw, values, defaults, warn)
    nota = _series(raw, "nota")
    if nota is not None and "name" in values:  # lakes, salt flats, units without municipio
        name = values["name"]
        values["name"] = name.where(name.notna() | nota.isna(), None)
        values["_not_unit"] = nota.where(name.isna())


# --------------------------------------------------------------------------- registry

_COMMUNITY_ES = {
    "id": "codigo",
    "name": "nombre",
    "kind": "tipo",
    "country": "pais",
    "admin_code": "ubigeo",
    "title_status": "estado_titulo",
    "title_date": "fecha_titulo",
    "official_area_ha": "area_oficial_ha",
    "sensitivity": "sensibilidad",
    "legal_status": "personeria",
    "registry_office": "oficina_registral",
    "registry_entry": "partida",
    "registration_date": "fecha_inscripcion",
    "statute_adopted": "estatuto_aprobado",
    "statute_modified": "estatuto_modificado",
    "clause_territory": "clausula_territorio",
    "clause_water": "clausula_agua",
    "clause_environment": "clausula_ambiente",
    "clause_consultation": "clausula_consulta",
    "clause_women": "clausula_mujeres",
    "board_elected": "junta_eleccion",
    "board_term_end": "junta_fin_mandato",
    "board_registered": "junta_inscrita",
    "procedure_what": "tramite",
    "procedure_stage": "tramite_etapa",
    "procedure_since": "tramite_desde",
}
_WATER_ES = {
    "id": "codigo",
    "name": "nombre",
    "kind": "tipo",
    "use": "uso",
    "sensitivity": "sensibilidad",
}
_CONSULTATION_ES = {
    "id": "codigo",
    "name": "nombre",
    "measure": "medida",
    "promoter": "promotor",
    "concession_codes": "concesiones",
    "stage": "etapa",
    "start_date": "fecha_inicio",
    "dialogue_date": "fecha_dialogo",
    "end_date": "fecha_fin",
}
_NETWORK_ES = {
    "id": "codigo",
    "name": "nombre",
    "description": "descripcion",
    "members": "miembros",
}


def _template_aliases(spanish: Mapping[str, str]) -> dict[str, tuple[str, ...]]:
    return {en: (en, es) for en, es in spanish.items()}


PROFILES: dict[str, Profile] = {
    "ingemmet": Profile(
        name="ingemmet",
        layers=("concessions",),
        description="INGEMMET mining cadastre (CODIGOU, CONCESION, TIT_CONCES, ...)",
        aliases={
            "code": ("CODIGOU", "CODIGO_U", "CODIGO"),
            "name": ("CONCESION", "NOMBRE"),
            "holder": ("TIT_CONCES", "TITULAR"),
            "substance": ("SUSTANCIA",),
            "filed_on": ("FEC_DENU", "FECHA_DENUNCIO", "FEC_FORMUL"),
            "zone": ("ZONA",),
            "datum": ("DATUM",),
        },
        signatures=(_sig("CODIGOU"), _sig("CONCESION", "TIT_CONCES")),
        hook=_ingemmet_hook,
    ),
    "inei_boundaries": Profile(
        name="inei_boundaries",
        layers=("boundaries",),
        description="INEI limits: ubigeo+nombre_distrito, IDDIST+NOMBDIST, FIRST_IDPR+NOMBPROV,"
        " FIRST_IDDP+NOMBDEP",
        signatures=tuple(_sig(c, n) for c, n, _, _ in _INEI_VARIANTS),
        hook=_boundary_hook(_INEI_VARIANTS, "PE"),
    ),
    "bo_boundaries": Profile(
        name="bo_boundaries",
        layers=("boundaries",),
        description="Bolivian INE units: municipio+nombre_municipio (or departamento)",
        signatures=tuple(_sig(c, n) for c, n, _, _ in _BO_VARIANTS),
        hook=_bo_hook,
    ),
    "allpa_community": Profile(
        name="allpa_community",
        layers=("communities",),
        description="Allpa community template (English or Spanish headers)",
        aliases=_template_aliases(_COMMUNITY_ES),
        signatures=(
            _sig("id", "name", "kind"),
            _sig("codigo", "nombre", "tipo"),
            _sig("id", "name", "title_status"),
            _sig("codigo", "nombre", "personeria"),
            _sig("codigo", "nombre", "estado_titulo"),
        ),
    ),
    "allpa_water": Profile(
        name="allpa_water",
        layers=("water",),
        description="Allpa water-source template (id/codigo, name/nombre, kind/tipo, use/uso)",
        aliases=_template_aliases(_WATER_ES),
        signatures=(_sig("id", "kind"), _sig("codigo", "tipo")),
    ),
    "allpa_consultation": Profile(
        name="allpa_consultation",
        layers=("consultations",),
        description="Allpa consultation template (medida, promotor, etapa, fechas...)",
        aliases=_template_aliases(_CONSULTATION_ES),
        signatures=(
            _sig("id", "name", "stage"),
            _sig("codigo", "nombre", "etapa"),
            _sig("id", "measure"),
            _sig("codigo", "medida"),
        ),
    ),
    "allpa_network": Profile(
        name="allpa_network",
        layers=("networks",),
        description="Allpa network table (id/codigo, nombre, descripcion, miembros)",
        aliases=_template_aliases(_NETWORK_ES),
        signatures=(
            _sig("id", "name", "members"),
            _sig("codigo", "nombre", "miembros"),
            _sig("id", "nombre", "miembros"),
        ),
    ),
    "columns": Profile(
        name="columns",
        layers=LAYERS,
        description="explicit mapping {canonical: source column} given by the caller",
    ),
}


def detect_profile(layer: str, columns: Iterable[str]) -> str:
    """Name of the first profile for ``layer`` whose signature columns are all present."""
    _check_layer(layer)
    cols = [str(c) for c in columns if c != "geometry"]
    for profile in PROFILES.values():
        if layer in profile.layers and profile.signatures and profile.matches(cols):
            return profile.name
    known = "; ".join(
        f"{p.name}: {p.description}"
        for p in PROFILES.values()
        if layer in p.layers and p.signatures
    )
    shown = ", ".join(cols[:30])
    raise ProfileError(
        bilingual(
            f"No se reconoce el formato de las columnas para la capa '{layer}' ({shown}). "
            f"Formatos conocidos: {known}. Indique --profile o un mapeo de columnas "
            "(--map id=COLUMNA ...).",
            f"Columns not recognised for layer '{layer}' ({shown}). Known formats: {known}. "
            "Pass --profile or a column mapping (--map id=COLUMN ...).",
        ),
        code="profile_unknown",
        layer=layer,
        columns=cols,
    )


def _check_layer(layer: str) -> None:
    if layer not in LAYERS:
        raise ProfileError(
            bilingual(
                f"Capa desconocida '{layer}'. Capas: {', '.join(LAYERS)}.",
                f"Unknown layer '{layer}'. Layers: {', '.join(LAYERS)}.",
            ),
            code="layer_unknown",
            layer=layer,
        )


# --------------------------------------------------------------------------- apply


def apply_profile(
    name: str,
    raw_frame: gpd.GeoDataFrame,
    *,
    layer: str,
    mapping: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
) -> ProfileResult:
    """Turn ``raw_frame`` into the canonical frame of ``layer`` using profile ``name``.

    ``mapping`` ({canonical: source column}) overrides the profile's own choices (and is
    the whole definition for the ``columns`` profile); ``defaults`` fills fields missing from
    the source (e.g. ``{"country": "BO"}``, or ``{"level": "province"}`` to force a level).
    """
    _check_layer(layer)
    profile = PROFILES.get(name)
    if profile is None:
        raise ProfileError(
            bilingual(
                f"Perfil desconocido '{name}'. Perfiles: {', '.join(PROFILES)}.",
                f"Unknown profile '{name}'. Profiles: {', '.join(PROFILES)}.",
            ),
            code="profile_unknown",
        )
    if layer not in profile.layers:
        raise ProfileError(
            bilingual(
                f"El perfil '{name}' no sirve para la capa '{layer}' (sirve para "
                f"{', '.join(profile.layers)}).",
                f"Profile '{name}' does not apply to layer '{layer}' (it applies to "
                f"{', '.join(profile.layers)}).",
            ),
            code="profile_layer_mismatch",
        )
    if name == "columns" and not mapping:
        raise ProfileError(
            bilingual(
                "El perfil 'columns' necesita un mapeo {campo: columna}, p. ej. "
                "--map id=inei_ccpp --map name=ccpp.",
                "The 'columns' profile needs a mapping {field: column}, e.g. "
                "--map id=inei_ccpp --map name=ccpp.",
            ),
            code="mapping_required",
        )
    defaults = dict(defaults or {})
    warnings: list[str] = []
    values = _mapped_values(raw_frame, layer, mapping or {})
    if profile.hook is not None:
        profile.hook(raw_frame, values, defaults, warnings)
    for canonical, names in profile.aliases.items():
        if canonical not in values and (series := _series(raw_frame, *names)) is not None:
            values[canonical] = series
    _check_required_columns(layer, values, defaults, raw_frame, name)
    frame, rejections = _build(layer, raw_frame, values, defaults, warnings)
    return ProfileResult(frame=frame, rejections=rejections, warnings=warnings, profile=name)


def _mapped_values(
    raw: pd.DataFrame, layer: str, mapping: Mapping[str, str]
) -> dict[str, pd.Series]:
    canonical = set(CANONICAL_COLUMNS[layer])
    values: dict[str, pd.Series] = {}
    for target, source in mapping.items():
        if target not in canonical:
            raise ProfileError(
                bilingual(
                    f"'{target}' no es un campo de la capa '{layer}'. Campos: "
                    f"{', '.join(CANONICAL_COLUMNS[layer])}.",
                    f"'{target}' is not a field of layer '{layer}'. Fields: "
                    f"{', '.join(CANONICAL_COLUMNS[layer])}.",
                ),
                code="mapping_invalid",
            )
        col = _col(raw, source)
        if col is None:
            raise ProfileError(
                bilingual(
                    f"La columna '{source}' (para '{target}') no existe. Columnas: "
                    f"{', '.join(str(c) for c in raw.columns if c != 'geometry')}.",
                    f"Column '{source}' (for '{target}') does not exist. Columns: "
                    f"{', '.join(str(c) for c in raw.columns if c != 'geometry')}.",
                ),
                code="missing_columns",
                column=source,
            )
        values[target] = raw[col]
    return values


def _check_required_columns(
    layer: str,
    values: Mapping[str, pd.Series],
    defaults: Mapping[str, Any],
    raw: pd.DataFrame,
    profile: str,
) -> None:
    missing = [
        f.name
        for f in FIELDS[layer]
        if f.required and f.name not in values and f.name not in defaults and f.default is None
    ]
    if missing:
        have = ", ".join(str(c) for c in raw.columns if c != "geometry")
        raise ProfileError(
            bilingual(
                f"Faltan columnas obligatorias para '{layer}' con el perfil '{profile}': "
                f"{', '.join(missing)}. Columnas del archivo: {have}. Use --map campo=COLUMNA.",
                f"Required columns missing for '{layer}' with profile '{profile}': "
                f"{', '.join(missing)}. File columns: {have}. Use --map field=COLUMN.",
            ),
            code="missing_columns",
            missing=missing,
        )


def _build(
    layer: str,
    raw: gpd.GeoDataFrame,
    values: dict[str, pd.Series],
    defaults: Mapping[str, Any],
    warnings: list[str],
) -> tuple[gpd.GeoDataFrame, list[Rejection]]:
    index = raw.index
    key = KEY_COLUMNS[layer]
    key_spec = next(f for f in FIELDS[layer] if f.name == key)
    keys = _convert(key_spec, values.get(key), defaults, index, {}, [])[0]
    labels = [feature_label(i, k) for i, k in zip(index, keys, strict=True)]
    problems: dict[Any, list[str]] = {}
    columns: dict[str, Any] = {}
    for spec in FIELDS[layer]:
        converted, _ = _convert(spec, values.get(spec.name), defaults, index, problems, warnings)
        columns[spec.name] = converted
    if layer == "communities":
        _infer_country(columns, index, defaults, problems, warnings)
    not_unit = values.get("_not_unit")
    if not_unit is not None:
        for i, note in not_unit.items():
            if _text(note):
                problems.setdefault(i, []).insert(
                    0,
                    bilingual(
                        f"no es una unidad administrativa ({note})",
                        f"not an administrative unit ({note})",
                    ),
                )
    for spec in FIELDS[layer]:
        if spec.required:
            for pos, value in enumerate(columns[spec.name]):
                if value is None:
                    problems.setdefault(index[pos], []).append(
                        bilingual(f"falta '{spec.name}'", f"missing '{spec.name}'")
                    )
    names = columns.get("name") if layer == "boundaries" else None
    merges = _mark_duplicates(keys, index, key, problems, names)
    rejections = [
        Rejection(i, labels[pos], f"{labels[pos]}: " + "; ".join(problems[i]))
        for pos, i in enumerate(index)
        if i in problems
    ]
    keep = np.array([i not in problems for i in index], dtype=bool)
    frame = gpd.GeoDataFrame(
        {spec.name: _column(spec, columns[spec.name], index) for spec in FIELDS[layer]},
        index=index,
    )
    geoms = np.asarray(raw.geometry.array, dtype=object).copy()
    dropped = _merge_parts(geoms, index, merges, columns.get("name") or [], warnings)
    keep &= np.array([i not in dropped for i in index], dtype=bool)
    frame = gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, index=index, crs=raw.crs))
    return frame.loc[keep], rejections


def _merge_parts(
    geoms: np.ndarray,
    index: pd.Index,
    merges: dict[Any, list[Any]],
    names: list[Any],
    warnings: list[str],
) -> set[Any]:
    """Fold the parts of a unit split over several features into its largest part.

    Simplified national files store a province's detached parts as separate features; the
    largest part keeps its attributes (its name is the likeliest to be right) and receives
    every polygon (validity repair afterwards unions them if they overlap). Returns the
    index labels of the absorbed rows.
    """
    pos = {i: p for p, i in enumerate(index)}
    dropped: set[Any] = set()
    notes: list[str] = []
    for first, later in merges.items():
        group = [i for i in [first, *later] if geoms[pos[i]] is not None]
        if not group:
            continue
        largest = max(group, key=lambda i: float(shapely.area(geoms[pos[i]])))
        polygons = [
            p for i in group for p in shapely.get_parts(geoms[pos[i]]) if p.geom_type == "Polygon"
        ]
        geoms[pos[largest]] = shapely.multipolygons(polygons) if polygons else None
        dropped.update(i for i in [first, *later] if i != largest)
        spellings = sorted({str(names[pos[i]]) for i in [first, *later]} if names else set())
        notes.append(f"#{largest} ({' / '.join(spellings)}, {len(group)})")
    if notes:
        warnings.append(
            bilingual(
                f"{len(notes)} unidades venían en varias partes con el mismo código y se unieron "
                f"en la parte mayor: {'; '.join(notes)}.",
                f"{len(notes)} units came in several features with the same code and were merged "
                f"into the largest part: {'; '.join(notes)}.",
            )
        )
    return dropped


def _column(spec: FieldSpec, values: list[Any], index: pd.Index) -> pd.Series:
    if spec.kind == "float":
        floats = [np.nan if v is None else v for v in values]
        return pd.Series(floats, index=index, dtype="float64")
    if spec.kind == "int":
        return pd.Series(values, index=index, dtype="Int64")
    return pd.Series(values, index=index, dtype=object)


def _convert(
    spec: FieldSpec,
    series: pd.Series | None,
    defaults: Mapping[str, Any],
    index: pd.Index,
    problems: dict[Any, list[str]],
    warnings: list[str],
) -> tuple[list[Any], int]:
    """Parse one column; bad values become None (warning) or row problems (rejection)."""
    default = defaults.get(spec.name, spec.default)
    raw_values: list[Any] = series.tolist() if series is not None else [None] * len(index)
    out: list[Any] = []
    bad: Counter[str] = Counter()
    for i, value in zip(index, raw_values, strict=True):
        if _blank(value):
            out.append(_default_value(spec, default))
            continue
        try:
            out.append(_parse(spec, value))
        except ValueError:
            text = str(value)
            if spec.kind == "enum" and spec.on_unknown == "reject":
                allowed = ", ".join(sorted(set((spec.enum or {}).values())))
                problems.setdefault(i, []).append(
                    bilingual(
                        f"valor '{text}' no válido en '{spec.name}' (válidos: {allowed})",
                        f"invalid value '{text}' in '{spec.name}' (allowed: {allowed})",
                    )
                )
                out.append(None)
                continue
            bad[text] += 1
            out.append(spec.default if spec.on_unknown == "default" else None)
    if bad:
        sample = ", ".join(f"'{v}'" for v, _ in bad.most_common(5))
        fallback = f"'{spec.default}'" if spec.on_unknown == "default" else "desconocido"
        fallback_en = f"'{spec.default}'" if spec.on_unknown == "default" else "unknown"
        warnings.append(
            bilingual(
                f"{bad.total()} valores no reconocidos en '{spec.name}' ({sample}): se usó "
                f"{fallback}.",
                f"{bad.total()} unrecognised values in '{spec.name}' ({sample}): "
                f"used {fallback_en}.",
            )
        )
    return out, bad.total()


def _default_value(spec: FieldSpec, default: Any) -> Any:
    if default is None:
        return [] if spec.kind == "list" else None
    try:
        return _parse(spec, default)
    except ValueError:
        return default


def _parse(spec: FieldSpec, value: Any) -> Any:
    kind = spec.kind
    if kind == "str":
        return _text(value)
    if kind == "code":
        return _pad_digits(value, spec.pad) if spec.pad else _text(value)
    if kind == "concession_code":
        return _concession_code(value)
    if kind == "date":
        return parse_date(value)
    if kind == "bool":
        return parse_bool(value)
    if kind == "float":
        return parse_float(value)
    if kind == "int":
        return _parse_int(value)
    if kind == "list":
        items = _parse_list(value)
        if spec.name == "concession_codes":
            return [c for c in (_concession_code(v) for v in items) if c]
        return items
    if kind == "enum":
        key = normalise_name(str(value))
        if spec.enum is None or key not in spec.enum:
            raise ValueError(key)
        return spec.enum[key]
    raise AssertionError(kind)


def _infer_country(
    columns: dict[str, Any],
    index: pd.Index,
    defaults: Mapping[str, Any],
    problems: dict[Any, list[str]],
    warnings: list[str],
) -> None:
    """Country from a 6-digit ubigeo (Peru) when neither the file nor the caller says it.

    Bolivian municipal codes are also 6 digits, so Bolivian imports must pass
    ``defaults={"country": "BO"}`` or a country column; the warning says so.
    """
    inferred = 0
    for pos, i in enumerate(index):
        if columns["country"][pos] is not None:
            continue
        code = columns["admin_code"][pos]
        if isinstance(code, str) and re.fullmatch(r"\d{6}", code):
            columns["country"][pos] = "PE"
            inferred += 1
        elif not problems.get(i):
            problems.setdefault(i, []).append(
                bilingual(
                    "país desconocido: añada la columna 'pais' o pase el valor por defecto "
                    "country=PE|BO",
                    "unknown country: add a 'country' column or pass the default country=PE|BO",
                )
            )
    if inferred:
        warnings.append(
            bilingual(
                f"País 'PE' deducido del ubigeo de 6 dígitos en {inferred} filas (para Bolivia "
                "pase country=BO).",
                f"Country 'PE' inferred from the 6-digit ubigeo in {inferred} rows (for Bolivia "
                "pass country=BO).",
            )
        )


def _mark_duplicates(
    keys: list[Any],
    index: pd.Index,
    key: str,
    problems: dict[Any, list[str]],
    names: list[Any] | None = None,
) -> dict[Any, list[Any]]:
    """Reject later rows repeating a key: the first occurrence in file order wins.

    With ``names`` (boundaries), a repeat is a detached part of the same unit (real INEI
    files even spell the name differently, e.g. PIURA/PUIRA): it is returned for merging
    instead of rejected.
    """
    first: dict[Any, Any] = {}
    first_pos: dict[Any, int] = {}
    merges: dict[Any, list[Any]] = {}
    for pos, (i, k) in enumerate(zip(index, keys, strict=True)):
        if k is None or i in problems:
            continue
        if k in first and names is not None:
            merges.setdefault(first[k], []).append(i)
        elif k in first:
            problems.setdefault(i, []).append(
                bilingual(
                    f"{key} '{k}' duplicado (ya aparece en el elemento #{first[k]}); se conserva "
                    "el primero",
                    f"duplicate {key} '{k}' (already in feature #{first[k]}); "
                    "the first one is kept",
                )
            )
        else:
            first[k] = i
            first_pos[k] = pos
    return merges
