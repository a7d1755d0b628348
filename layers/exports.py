"""Exports of a layer with the same filters and visibility as the API (pyogrio writers).

Formats: GeoJSON, GeoPackage 1.2, zipped Shapefile, KML (libkml) and CSV (geometry as WKT).
The values keep their types: booleans stay booleans and dates stay dates wherever the
format has the type (GeoJSON true/false and ISO dates that GDAL reads back as Date;
GeoPackage BOOLEAN/DATE/DATETIME; Shapefile logical ``L`` and date ``D`` fields; KML
``bool`` schema fields). Written through Arrow so the date type is not widened to
date-time. KML has no date type in its schema, so dates are ISO 8601 text there, and the
Shapefile's DBF has no date-time type, so the provenance instants are ISO text there.

Every export carries the provenance columns of the OGC items (``vid``, ``valid_from``,
``valid_to``, ``recorded_by``, ``import_batch_id``, ``source``, ``change_note``).

Shapefile: one shapefile per geometry type (the format holds a single type), UTF-8
``.cpg``, field names shortened readably to the DBF's 10 characters with a mapping file
``campos_fields.csv`` in the zip. CSV: optional UTF-8 BOM for Excel; text cells that a
spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage return) are
neutralised with a leading single quote.
"""

from __future__ import annotations

import csv
import datetime as dt
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy.engine import Connection

from geo.errors import InputError
from layers.cql import column_kind
from layers.queries import BBox, Collection, Filters, Viewer, frame


@dataclass(frozen=True)
class ExportFormat:
    name: str
    extension: str
    media_type: str
    driver: str


FORMATS: dict[str, ExportFormat] = {
    f.name: f
    for f in (
        ExportFormat("geojson", ".geojson", "application/geo+json", "GeoJSON"),
        ExportFormat("gpkg", ".gpkg", "application/geopackage+sqlite3", "GPKG"),
        ExportFormat("shp", ".zip", "application/zip", "ESRI Shapefile"),
        ExportFormat("kml", ".kml", "application/vnd.google-earth.kml+xml", "LIBKML"),
        ExportFormat("csv", ".csv", "text/csv; charset=utf-8", "CSV"),
    )
}

#: GeoPackage version written: 1.2 opens without warnings in older QGIS/GDAL (1.4 warns).
GPKG_VERSION = "1.2"

_SHP_GROUPS = {"Point": "point", "MultiPoint": "point", "LineString": "line",
               "MultiLineString": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}

#: Readable DBF names (at most 10 characters) for the long column names.
SHP_NAMES: dict[str, str] = {
    "official_area_ha": "offic_ha", "official_ha": "offic_ha", "legal_status": "legal_stat",
    "registry_office": "reg_office", "registry_entry": "reg_entry",
    "registration_date": "reg_date", "statute_adopted": "stat_adopt",
    "statute_modified": "stat_modif", "clause_territory": "cl_territ",
    "clause_water": "cl_water", "clause_environment": "cl_environ",
    "clause_consultation": "cl_consult", "clause_women": "cl_women",
    "board_elected": "board_elec", "board_term_end": "board_end",
    "board_registered": "board_reg", "procedure_what": "proc_what",
    "procedure_stage": "proc_stage", "procedure_since": "proc_since",
    "recorded_by": "rec_by", "import_batch_id": "batch_id", "change_note": "chg_note",
    "title_status": "title_stat", "concession_codes": "conc_codes",
    "dialogue_date": "dialog_dt", "parent_code": "parent_cd", "sensitivity": "sensitiv",
}
SHP_MAPPING_FILE = "campos_fields.csv"

#: First characters that make a spreadsheet evaluate a cell (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class UnknownFormatError(InputError):
    code = "unsupported_format"


def get_format(name: str) -> ExportFormat:
    fmt = FORMATS.get(name.lower())
    if fmt is None:
        raise UnknownFormatError(
            f"Formato de exportación desconocido '{name}'; use {'|'.join(FORMATS)} / "
            f"unknown export format '{name}'; use {'|'.join(FORMATS)}")
    return fmt


def export_filters(coll: Collection, *, bbox: BBox | None = None,
                   as_of: dt.date | dt.datetime | None = None, q: str | None = None,
                   district: str | None = None, network: str | None = None,
                   flagged: bool | None = None, equals: Mapping[str, str | None] | None = None
                   ) -> Filters:
    """The list filters an export accepts (HTTP and CLI alike); filters that do not apply
    to ``coll`` are ignored, as the list endpoints do."""
    chosen = {k: v for k, v in (equals or {}).items() if v and k in coll.equals}
    return Filters(bbox=bbox, as_of=as_of, q=q, equals=chosen,
                   prefix=district if coll.prefix_column else None,
                   network=network if coll.layer.network_scope == "members" else None,
                   flagged=flagged if coll.layer.flagged else None)


def typed_frame(conn: Connection, coll: Collection, viewer: Viewer, filters: Filters
                ) -> gpd.GeoDataFrame:
    """The visible features with provenance, each column in the type of its database
    column (nullable booleans and integers, dates as dates, instants in UTC)."""
    data = frame(conn, coll, viewer, filters, lifespan=True)
    for name in list(data.columns):
        if name == "geometry" or name not in coll.table.c:
            continue
        kind = column_kind(coll.table.c[name])
        if kind == "boolean":
            data[name] = data[name].astype("boolean")
        elif kind == "integer":
            data[name] = data[name].astype("Int64")
        elif kind == "number":
            data[name] = pd.to_numeric(data[name]).astype("float64")
        elif kind == "date-time":
            data[name] = pd.to_datetime(data[name], utc=True)
        elif kind == "date":
            data[name] = data[name].map(lambda v: v if isinstance(v, dt.date) else None
                                        ).astype(object)
    return data


def _flatten(df: gpd.GeoDataFrame, *, lists_as_text: bool) -> gpd.GeoDataFrame:
    """Lists (members, concession codes) as ``;``-joined text for formats without lists."""
    out = df.copy()
    if not lists_as_text:
        return out
    for col in out.columns:
        if col == "geometry" or out[col].dtype != object:
            continue
        if out[col].map(lambda v: isinstance(v, list)).any():
            out[col] = out[col].map(lambda v: ";".join(map(str, v))
                                    if isinstance(v, list) else v)
    return out


def _has_geometry(data: pd.DataFrame) -> bool:
    return isinstance(data, gpd.GeoDataFrame) and "geometry" in data.columns \
        and data.geometry.name == "geometry"


def write_export(conn: Connection, coll: Collection, viewer: Viewer, filters: Filters,
                 fmt: ExportFormat, directory: Path, *, bom: bool = False) -> Path:
    """Write the export file into ``directory`` and return its path (``bom``: CSV only)."""
    data = typed_frame(conn, coll, viewer, filters)
    return write_frame(data, coll.name, fmt, directory, bom=bom)


def write_frame(data: gpd.GeoDataFrame, name: str, fmt: ExportFormat, directory: Path, *,
                bom: bool = False) -> Path:
    has_geometry = _has_geometry(data)
    if not has_geometry and fmt.name not in ("csv", "geojson"):
        raise InputError(f"{name} no tiene geometría: exporte en csv o geojson / "
                         f"{name} has no geometry: export as csv or geojson")
    path = directory / f"{name}{fmt.extension}"
    if fmt.name == "csv":
        return _write_csv(data, path, has_geometry=has_geometry, bom=bom)
    if fmt.name == "shp":
        return _write_shapefile_zip(data, name, directory)
    flat = _flatten(data, lists_as_text=fmt.name in ("kml", "gpkg"))
    if fmt.name == "kml":  # KML schema integers are 32-bit; 64-bit ones would become text
        for col in flat.columns:
            if str(flat[col].dtype) == "Int64":
                flat[col] = flat[col].astype("Int32")
    if not has_geometry:
        flat = gpd.GeoDataFrame(flat, geometry=gpd.GeoSeries([None] * len(flat), crs=4326))
    options: dict[str, Any] = {"VERSION": GPKG_VERSION} if fmt.name == "gpkg" else {}
    pyogrio.write_dataframe(flat, path, driver=fmt.driver, layer=name, use_arrow=True,
                            dataset_options=options or None)
    return path


def neutralise(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula, made inert with a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _write_csv(data: gpd.GeoDataFrame, path: Path, *, has_geometry: bool, bom: bool) -> Path:
    table = pd.DataFrame(_flatten(data, lists_as_text=True))
    if has_geometry:
        table["geometry"] = shapely.to_wkt(data.geometry.values, rounding_precision=7)
        table = table.rename(columns={"geometry": "wkt"})
    for col in table.columns:
        if str(table[col].dtype).startswith("datetime64"):
            table[col] = table[col].map(lambda v: v.isoformat() if pd.notna(v) else None)
        elif col != "wkt" and (pd.api.types.is_object_dtype(table[col])
                               or pd.api.types.is_string_dtype(table[col])):
            table[col] = table[col].map(neutralise)
    table.to_csv(path, index=False, encoding="utf-8-sig" if bom else "utf-8")
    return path


def shapefile_names(columns: list[str]) -> dict[str, str]:
    """Full column name → DBF field name (≤ 10 characters, unique, readable)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        short = SHP_NAMES.get(col, col)[:10]
        base, n = short, 1
        while short.lower() in used:
            n += 1
            short = f"{base[:10 - len(str(n))]}{n}"
        used.add(short.lower())
        out[col] = short
    return out


def _write_shapefile_zip(data: gpd.GeoDataFrame, name: str, directory: Path) -> Path:
    flat = _flatten(data, lists_as_text=True)
    names = shapefile_names([c for c in flat.columns if c != "geometry"])
    flat = flat.rename(columns=names)
    types = flat.geometry.geom_type.map(lambda t: _SHP_GROUPS.get(str(t), "other"))
    groups = sorted(set(types)) or ["polygon"]
    shp_dir = directory / "shp"
    shp_dir.mkdir()
    for group in groups:
        part = flat[types == group] if len(flat) else flat
        stem = name if len(groups) == 1 else f"{name}_{group}"
        pyogrio.write_dataframe(part, shp_dir / f"{stem}.shp", driver="ESRI Shapefile",
                                encoding="UTF-8", use_arrow=True)
        cpg = shp_dir / f"{stem}.cpg"
        if not cpg.exists():
            cpg.write_text("UTF-8\n")
    with (shp_dir / SHP_MAPPING_FILE).open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["campo_shp / shp_field", "nombre_completo / full_name"])
        writer.writerows((short, full) for full, short in names.items())
    path = directory / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in sorted(shp_dir.iterdir()):
            zf.write(item, item.name)
    return path
