"""Administrative boundaries as INEI (Peru) and INE (Bolivia) publish them: their naming
variants, levels, zero-padded codes and parent codes."""

from __future__ import annotations

from typing import Any

import pandas as pd

from geo.profiles.base import Hook, Profile, find_column, find_series, signature
from geo.profiles.values import normalise_name, pad_digits
from geo.vocabulary import LEVEL

__all__ = ["BO_PROFILE", "INEI_PROFILE"]

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
        variant = next(
            (v for v in variants if find_column(raw, v[0]) and find_column(raw, v[1])), None)
        if variant is None:
            return
        code_name, name_name, level, width = variant
        code_col, name_col = find_column(raw, code_name), find_column(raw, name_name)
        assert code_col is not None and name_col is not None
        level = LEVEL.synonyms.get(normalise_name(str(defaults.get("level", level))), level)
        codes = raw[code_col].map(lambda v: pad_digits(v, width))
        values.setdefault("code", codes)
        values.setdefault("name", raw[name_col])
        values.setdefault("level", pd.Series(level, index=raw.index))
        values.setdefault("country", pd.Series(defaults.get("country", country), index=raw.index))
        if "parent_code" not in values:
            values["parent_code"] = _parent_codes(raw, values["code"], level, country)

    return hook


def _parent_codes(raw: pd.DataFrame, codes: pd.Series, level: str, country: str) -> pd.Series:
    if country == "BO" and level == "municipality":
        dept = find_series(raw, "departamento")
        if dept is not None:
            return dept.map(lambda v: pad_digits(v, 2))
    width = _PARENT_WIDTH.get(level)
    if width is None:
        return pd.Series(None, index=raw.index, dtype=object)
    return codes.map(lambda c: c[:width] if isinstance(c, str) and len(c) > width else None)


def _bo_hook(
    raw: pd.DataFrame, values: dict[str, pd.Series], defaults: dict[str, Any], warn: list[str]
) -> None:
    _boundary_hook(_BO_VARIANTS, "BO")(raw, values, defaults, warn)
    nota = find_series(raw, "nota")
    if nota is not None and "name" in values:  # lakes, salt flats, units without municipio
        name = values["name"]
        values["name"] = name.where(name.notna() | nota.isna(), None)
        values["_not_unit"] = nota.where(name.isna())



INEI_PROFILE = Profile(
    name="inei_boundaries",
    layers=("boundaries",),
    description="INEI limits: ubigeo+nombre_distrito, IDDIST+NOMBDIST, FIRST_IDPR+NOMBPROV,"
    " FIRST_IDDP+NOMBDEP",
    signatures=tuple(signature(c, n) for c, n, _, _ in _INEI_VARIANTS),
    hook=_boundary_hook(_INEI_VARIANTS, "PE"),
)
BO_PROFILE = Profile(
    name="bo_boundaries",
    layers=("boundaries",),
    description="Bolivian INE units: municipio+nombre_municipio (or departamento)",
    signatures=tuple(signature(c, n) for c, n, _, _ in _BO_VARIANTS),
    hook=_bo_hook,
)
