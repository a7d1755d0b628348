"""Social conflicts with the columns of the Defensoría del Pueblo's monthly *Reporte de
Conflictos Sociales*: número de caso, lugar (departamento, provincia, distrito), tipo,
estado, fase actual, actores primarios / secundarios / terciarios, caso (descripción),
competencia, fecha de inicio, diálogo (hay / no hay), acciones de violencia.

The report's own spellings are read under every header a spreadsheet copy of it uses; the
Allpa template (``TEMPLATE_COLUMNS``, the catalog's Spanish headers plus ``lon``/``lat``) is
one of them. Names of actors and communities stay names here: ``layers.conflicts`` links
them to stored records (pure code cannot see the database).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.catalog import CONFLICTS
from geo.profiles.base import Profile, find_series, signature
from geo.profiles.values import text_value
from geo.vocabulary import normalise_name

__all__ = ["PROFILE", "TEMPLATE_COLUMNS"]

#: The columns of the downloadable template, in the order of the Defensoría's reports.
TEMPLATE_COLUMNS: tuple[str, ...] = (
    *(f.spanish for f in CONFLICTS.fields if f.spanish and f.name != "sensitivity"),
    "sensibilidad", "lon", "lat")

#: canonical field -> headers it appears under (English, the template's Spanish, the
#: report's own wording as spreadsheet copies spell it)
_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "numero", "numero_de_caso", "n_caso", "nro", "n", "n°", "codigo",
           "codigo_caso"),
    "name": ("name", "nombre", "nombre_del_caso", "titulo"),
    "type": ("type", "tipo", "tipo_de_conflicto", "tipologia"),
    "status": ("status", "estado", "estado_del_conflicto"),
    "phase": ("phase", "fase", "fase_actual"),
    "department": ("department", "departamento", "region"),
    "province": ("province", "provincia"),
    "district": ("district", "distrito"),
    "admin_code": ("admin_code", "ubigeo"),
    "description": ("description", "descripcion", "caso", "descripcion_del_caso"),
    "competence": ("competence", "competencia"),
    "start_date": ("start_date", "fecha_inicio", "fecha_de_inicio", "inicio"),
    "dialogue": ("dialogue", "dialogo", "hay_dialogo"),
    "violence": ("violence", "acciones_violencia", "acciones_de_violencia", "violencia"),
    "actors_primary": ("actors_primary", "actores_primarios"),
    "actors_secondary": ("actors_secondary", "actores_secundarios"),
    "actors_tertiary": ("actors_tertiary", "actores_terciarios"),
    "communities": ("communities", "comunidades"),
    "sensitivity": ("sensitivity", "sensibilidad"),
}
_LEVELS = {"national": ("nacional", "ejecutivo", "ministerio"),
           "regional": ("regional",), "local": ("local", "municipal", "municipalidad")}


def _competence(value: Any) -> Any:
    """"Gobierno Nacional, Gobierno Regional" names several levels: ``shared``."""
    text = text_value(value)
    if text is None:
        return None
    words = normalise_name(text)
    hits = [level for level, needles in _LEVELS.items() if any(n in words for n in needles)]
    return "shared" if len(hits) > 1 else value


def _hook(raw: pd.DataFrame, values: dict[str, pd.Series], defaults: dict[str, Any],
          warn: list[str]) -> None:
    place = find_series(raw, "lugar", "ubicacion")
    if place is not None and "district" not in values \
            and find_series(raw, *_ALIASES["district"]) is None:
        parts = place.map(lambda v: [p.strip() for p in str(v).replace("/", ",").split(",")]
                          if text_value(v) else [])
        for pos, name in enumerate(("department", "province", "district")):
            values.setdefault(name, parts.map(
                lambda p, pos=pos: p[pos] if len(p) > pos and p[pos] else None))
    competence = find_series(raw, *_ALIASES["competence"])
    if competence is not None:
        values["competence"] = competence.map(_competence)


PROFILE = Profile(
    name="defensoria_conflicts",
    layers=("conflicts",),
    description="Reporte de Conflictos Sociales (Defensoría del Pueblo) or the Allpa conflict "
                "template: numero/caso, lugar or departamento/provincia/distrito, tipo, estado, "
                "fase, actores_primarios/secundarios/terciarios, competencia, fecha_inicio, "
                "dialogo, acciones_violencia",
    aliases=_ALIASES,
    signatures=(signature("tipo", "estado", "actores_primarios"),
                signature("type", "status", "actors_primary"),
                signature("numero", "tipo", "estado"),
                signature("id", "type", "status")),
    hook=_hook,
)
