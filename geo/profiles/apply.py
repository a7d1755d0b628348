"""Applying a source profile: from the columns a source really has to the canonical frame
of a layer, with the rows left out and why.

Value normalisation (dates, booleans, vocabulary values, zero-padded codes) is shared per
layer, so every source gets the same treatment. Rows that cannot be used are rejected with a
reason naming the feature; doubtful values become ``None`` (unknown) with an aggregated
warning, never a silent guess.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.catalog import CATALOG
from geo.errors import ProfileError, bilingual
from geo.profiles.base import ProfileResult, find_column, find_series
from geo.profiles.registry import PROFILES
from geo.profiles.schema import CANONICAL_COLUMNS, FIELDS, KEY_COLUMNS, LAYERS, FieldSpec
from geo.profiles.values import (
    blank,
    concession_code,
    normalise_name,
    pad_digits,
    parse_bool,
    parse_date,
    parse_float,
    parse_int,
    parse_list,
    text_value,
)
from geo.validity import Rejection, feature_label

__all__ = ["apply_profile", "detect_profile", "parse_value"]


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
        if canonical not in values and (series := find_series(raw_frame, *names)) is not None:
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
        col = find_column(raw, source)
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
    problems: dict[Any, list[str]] = {}
    columns: dict[str, Any] = {}
    for spec in FIELDS[layer]:
        converted, _ = _convert(spec, values.get(spec.name), defaults, index, problems, warnings)
        columns[spec.name] = converted
    keys = list(columns[key])
    infer_from = CATALOG[layer].infer_country_from
    if infer_from is not None:
        _infer_country(columns, index, defaults, problems, warnings, infer_from)
    not_unit = values.get("_not_unit")
    if not_unit is not None:
        for i, note in not_unit.items():
            if text_value(note):
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
    names = columns.get("name") if CATALOG[layer].merge_parts else None
    merges = _mark_duplicates(keys, index, key, problems, names)
    rejections = [
        Rejection(i, label, f"{label}: " + "; ".join(problems[i]))
        for pos, i in enumerate(index)
        if i in problems and (label := feature_label(i, keys[pos]))
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
    distinct = _parse_distinct(spec, raw_values, default)
    if distinct is not None and not any(v is _BAD for v in distinct.values()):
        return [distinct[v] for v in raw_values], 0
    out: list[Any] = []
    bad: Counter[str] = Counter()
    for i, value in zip(index, raw_values, strict=True):
        if distinct is not None:
            parsed = distinct[value]
            if parsed is not _BAD:
                out.append(parsed)
                continue
        elif blank(value):
            out.append(_default_value(spec, default))
            continue
        try:
            out.append(parse_value(spec, value) if distinct is None else _reraise(value))
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


#: A value :func:`parse_value` refused (its row goes through the reporting path).
_BAD = object()


def _reraise(value: Any) -> Any:
    raise ValueError(value)


def _parse_distinct(spec: FieldSpec, values: list[Any], default: Any) -> dict[Any, Any] | None:
    """{value: parsed value, or ``_BAD``} over the distinct values of a text column (blanks
    NaN and None included), so each distinct value is parsed once: the columns of a real file
    repeat most values (holders, dates, states) and the per-value Python calls were most of
    an import's mapping time. ``None`` (parse value by value) for list fields, whose parsed
    values are mutable lists, and for columns with values of other types (``1 == 1.0 == True``
    would share one entry)."""
    if spec.kind == "list":
        return None
    for value in set(values) if len(values) > 64 else values:
        if not (type(value) is str or value is None
                or (type(value) is float and value != value)):
            return None
    default_value = _default_value(spec, default)
    pad = spec.pad if spec.kind == "code" else 9 if spec.kind == "concession_code" else 0
    table: dict[Any, Any] = {}
    for value in set(values):
        if value is None or type(value) is float:
            table[value] = default_value
            continue
        text = value.strip()
        if not text:
            table[value] = default_value
        elif pad and text.isdecimal():  # pad_digits' common case, without its regexes
            table[value] = text.zfill(pad) if len(text) < pad else text
        elif spec.kind == "str" or (spec.kind == "code" and not pad):
            table[value] = text  # text_value of a text
        else:
            try:
                table[value] = parse_value(spec, value)
            except ValueError:
                table[value] = _BAD
    return table


def _default_value(spec: FieldSpec, default: Any) -> Any:
    if default is None:
        return [] if spec.kind == "list" else None
    try:
        return parse_value(spec, default)
    except ValueError:
        return default


def parse_value(spec: FieldSpec, value: Any) -> Any:
    """One value read as its field's type (``ValueError`` when it is not one; enums also
    accept their synonyms); used for file cells and ``--set`` constants alike."""
    kind = spec.kind
    if kind == "str":
        return text_value(value)
    if kind == "code":
        return pad_digits(value, spec.pad) if spec.pad else text_value(value)
    if kind == "concession_code":
        return concession_code(value)
    if kind == "date":
        return parse_date(value)
    if kind == "bool":
        return parse_bool(value)
    if kind == "float":
        return parse_float(value)
    if kind == "int":
        return parse_int(value)
    if kind == "list":
        items = parse_list(value)
        if spec.item_kind == "concession_code":
            return [c for c in (concession_code(v) for v in items) if c]
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
    code_field: str,
) -> None:
    """Country from a 6-digit ubigeo (Peru) when neither the file nor the caller says it.

    Bolivian municipal codes are also 6 digits, so Bolivian imports must pass
    ``defaults={"country": "BO"}`` or a country column; the warning says so.
    """
    inferred = 0
    for pos, i in enumerate(index):
        if columns["country"][pos] is not None:
            continue
        code = columns[code_field][pos]
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
