"""Exports of a layer with the same filters and visibility as the API (pyogrio writers).

GeoJSON, GeoPackage, zipped Shapefile (UTF-8 ``.cpg``; one shapefile per geometry type
because the format holds a single type), KML and CSV (geometry as WKT).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
from sqlalchemy.engine import Connection

from geo.errors import InputError
from layers.queries import Collection, Filters, Viewer, frame


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
        ExportFormat("kml", ".kml", "application/vnd.google-earth.kml+xml", "KML"),
        ExportFormat("csv", ".csv", "text/csv; charset=utf-8", "CSV"),
    )
}

_SHP_GROUPS = {"Point": "point", "MultiPoint": "point", "LineString": "line",
               "MultiLineString": "line", "Polygon": "polygon", "MultiPolygon": "polygon"}


class UnknownFormatError(InputError):
    code = "unsupported_format"


def get_format(name: str) -> ExportFormat:
    fmt = FORMATS.get(name.lower())
    if fmt is None:
        raise UnknownFormatError(
            f"Formato de exportación desconocido '{name}'; use {'|'.join(FORMATS)} / "
            f"unknown export format '{name}'; use {'|'.join(FORMATS)}")
    return fmt


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


def write_export(conn: Connection, coll: Collection, viewer: Viewer, filters: Filters,
                 fmt: ExportFormat, directory: Path) -> Path:
    """Write the export file into ``directory`` and return its path."""
    data = frame(conn, coll, viewer, filters)
    has_geometry = "geometry" in data.columns and isinstance(data, gpd.GeoDataFrame) \
        and data.geometry.name == "geometry"
    if not has_geometry and fmt.name not in ("csv", "geojson"):
        raise InputError(f"{coll.name} no tiene geometría: exporte en csv o geojson / "
                         f"{coll.name} has no geometry: export as csv or geojson")
    path = directory / f"{coll.name}{fmt.extension}"
    if fmt.name == "csv":
        table = pd.DataFrame(_flatten(data, lists_as_text=True))
        if has_geometry:
            table["geometry"] = shapely.to_wkt(data.geometry.values, rounding_precision=7)
            table = table.rename(columns={"geometry": "wkt"})
        table.to_csv(path, index=False, encoding="utf-8")
        return path
    if fmt.name == "shp":
        return _write_shapefile_zip(data, coll.name, directory)
    flat = _flatten(data, lists_as_text=fmt.name == "kml")
    if not has_geometry:
        flat = gpd.GeoDataFrame(flat, geometry=gpd.GeoSeries([None] * len(flat), crs=4326))
    pyogrio.write_dataframe(flat, path, driver=fmt.driver, layer=coll.name)
    return path


def _write_shapefile_zip(data: gpd.GeoDataFrame, name: str, directory: Path) -> Path:
    flat = _flatten(data, lists_as_text=True)
    types = flat.geometry.geom_type.map(lambda t: _SHP_GROUPS.get(str(t), "other"))
    groups = sorted(set(types)) or ["polygon"]
    shp_dir = directory / "shp"
    shp_dir.mkdir()
    for group in groups:
        part = flat[types == group] if len(flat) else flat
        stem = name if len(groups) == 1 else f"{name}_{group}"
        pyogrio.write_dataframe(part, shp_dir / f"{stem}.shp", driver="ESRI Shapefile",
                                encoding="UTF-8")
        cpg = shp_dir / f"{stem}.cpg"
        if not cpg.exists():
            cpg.write_text("UTF-8\n")
    path = directory / f"{name}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for item in sorted(shp_dir.iterdir()):
            zf.write(item, item.name)
    return path
