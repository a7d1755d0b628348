"""CSV tables with coordinates: lon/lat columns or a WKT column (what Excel users send).

Decoding (UTF-8 with or without BOM, else Windows-1252), delimiter sniffing and Spanish
decimal commas are handled here; :mod:`geo.io` wraps the result in a ``RawRead``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import UnreadableFileError, bilingual

__all__ = ["LAT_NAMES", "LON_NAMES", "WKT_NAMES", "read_csv_table"]

LON_NAMES = ("lon", "lng", "long", "longitude", "longitud", "x")
LAT_NAMES = ("lat", "latitude", "latitud", "y")
WKT_NAMES = ("wkt", "geom", "geometry", "the_geom", "geometria")


def read_csv_table(path: Path, encoding: str | None) -> tuple[gpd.GeoDataFrame, str, list[str]]:
    """The table of a CSV file, its geometries, the encoding used and warnings."""
    data = path.read_bytes()
    text, used = _decode(data, encoding, path.name)
    delimiter = _sniff_delimiter(text)
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skipinitialspace=True,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnreadableFileError(
            bilingual(
                f"No se pudo leer el CSV '{path.name}': {exc}.",
                f"Could not read CSV '{path.name}': {exc}.",
            ),
            file=path.name,
            reason=str(exc),
        ) from exc
    table.columns = [str(c).strip() for c in table.columns]
    geometry, warnings, drop = _csv_geometry(table, delimiter, path.name)
    table = table.drop(columns=drop)
    table = table.astype(object).where(table.notna(), None)
    frame = gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(geometry, index=table.index))
    return frame, used, warnings


def _decode(data: bytes, encoding: str | None, source_name: str) -> tuple[str, str]:
    """Decode with the given encoding, else UTF-8 (with BOM), else Windows-1252 (Excel)."""
    candidates = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except (UnicodeDecodeError, LookupError):
            continue
    raise UnreadableFileError(
        bilingual(
            f"No se pudo decodificar '{source_name}' como {encoding}. Pruebe --encoding latin1 "
            "o utf-8.",
            f"Could not decode '{source_name}' as {encoding}. Try --encoding latin1 or utf-8.",
        ),
        code="bad_encoding",
        file=source_name,
    )


def _sniff_delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return max(",;\t|", key=first.count)


def _find_column(columns: Iterable[str], names: Iterable[str]) -> str | None:
    lowered = {c.lower(): c for c in columns}
    return next((lowered[n] for n in names if n in lowered), None)


def _csv_geometry(
    table: pd.DataFrame, delimiter: str, source_name: str
) -> tuple[np.ndarray, list[str], list[str]]:
    """Build geometries from a WKT column or lon/lat columns (WKT wins when both exist)."""
    n = len(table)
    wkt_col = _find_column(table.columns, WKT_NAMES)
    lon_col = _find_column(table.columns, LON_NAMES)
    lat_col = _find_column(table.columns, LAT_NAMES)
    warnings: list[str] = []
    if wkt_col is not None and table[wkt_col].notna().any():
        values = table[wkt_col].to_numpy(dtype=object)
        geoms = shapely.from_wkt(values, on_invalid="ignore")
        bad = int((pd.notna(values) & shapely.is_missing(geoms)).sum())
        if bad:
            warnings.append(
                bilingual(
                    f"{bad} filas de '{source_name}' tienen WKT ilegible en '{wkt_col}'.",
                    f"{bad} rows of '{source_name}' have unreadable WKT in '{wkt_col}'.",
                )
            )
        return np.asarray(geoms, dtype=object), warnings, [wkt_col]
    if lon_col is not None and lat_col is not None:
        lon = _to_float(table[lon_col], delimiter)
        lat = _to_float(table[lat_col], delimiter)
        ok = np.isfinite(lon) & np.isfinite(lat)
        bad = int((~ok & (table[lon_col].notna() | table[lat_col].notna()).to_numpy()).sum())
        if bad:
            warnings.append(
                bilingual(
                    f"{bad} filas de '{source_name}' tienen coordenadas ilegibles en "
                    f"'{lon_col}'/'{lat_col}'.",
                    f"{bad} rows of '{source_name}' have unreadable coordinates in "
                    f"'{lon_col}'/'{lat_col}'.",
                )
            )
        geoms = np.full(n, None, dtype=object)
        geoms[ok] = shapely.points(lon[ok], lat[ok])
        return geoms, warnings, []
    drop = [wkt_col] if wkt_col is not None else []
    return np.full(n, None, dtype=object), warnings, drop


def _to_float(values: pd.Series, delimiter: str) -> np.ndarray:
    text = values.astype("string").str.strip()
    if delimiter != ",":  # Spanish-locale Excel writes "-69,5" with ';' as separator
        text = text.str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
