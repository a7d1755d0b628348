"""Reading user-supplied vector files into a raw GeoDataFrame, safely.

Only this module touches files. It does not reproject or rename anything: it reports what
the file *declares* (``declared_crs``) so that :mod:`geo.crs` can tell a declared CRS from a
format default (GDAL says EPSG:4326 for every GeoJSON, declared or not).

Archives (.zip, .kmz) are inspected entry by entry before anything is extracted, and KML is
refused if it carries a DTD, because user uploads are untrusted.
"""

from __future__ import annotations

import csv
import io
import json
import re
import stat
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geo.errors import (
    InputError,
    UnreadableFileError,
    UnsafeArchiveError,
    UnsupportedFormatError,
    bilingual,
)

__all__ = [
    "MAX_ARCHIVE_ENTRIES",
    "MAX_COMPRESSION_RATIO",
    "MAX_UNCOMPRESSED_BYTES",
    "SUPPORTED_EXTENSIONS",
    "RawRead",
    "check_archive",
    "read_vector",
]

SUPPORTED_EXTENSIONS: dict[str, str] = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GeoPackage",
    ".shp": "Shapefile",
    ".zip": "Shapefile comprimido (zip)",
    ".kml": "KML",
    ".kmz": "KMZ",
    ".csv": "CSV (lon/lat o WKT)",
}

MAX_ARCHIVE_ENTRIES = 200
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 100.0
#: Entries smaller than this are never called bombs: tiny sidecars (.cpg, blank .dbf) compress
#: extremely well and are harmless.
BOMB_RATIO_MIN_BYTES = 8 * 1024**2

SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
LON_NAMES = ("lon", "lng", "long", "longitude", "longitud", "x")
LAT_NAMES = ("lat", "latitude", "latitud", "y")
WKT_NAMES = ("wkt", "geom", "geometry", "the_geom", "geometria")
_GEOJSON_SCAN_LIMIT = 256 * 1024**2


@dataclass
class RawRead:
    """A file as read: untouched columns plus what it declares about itself."""

    frame: gpd.GeoDataFrame
    declared_crs: CRS | None
    driver: str
    encoding: str | None
    layer: str | None
    source_name: str
    warnings: list[str] = field(default_factory=list)


def read_vector(path: Path, *, layer: str | None = None, encoding: str | None = None) -> RawRead:
    """Read any supported vector file; raise an :class:`InputError` subclass on bad input."""
    path = Path(path)
    if not path.is_file():
        raise UnreadableFileError(
            bilingual(
                f"No se encontró el archivo '{path.name}'.",
                f"File '{path.name}' not found.",
            ),
            code="file_not_found",
            file=path.name,
        )
    suffix = path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        supported = ", ".join(f"{ext} ({name})" for ext, name in SUPPORTED_EXTENSIONS.items())
        raise UnsupportedFormatError(
            bilingual(
                f"Formato no soportado para '{path.name}' (extensión '{suffix or '-'}'). "
                f"Formatos aceptados: {supported}.",
                f"Unsupported format for '{path.name}' (extension '{suffix or '-'}'). "
                f"Accepted formats: {supported}.",
            ),
            file=path.name,
            supported=list(SUPPORTED_EXTENSIONS),
        )
    return reader(path, layer, encoding)


# --------------------------------------------------------------------------- OGR helpers


def _read_ogr(path: Path | str, source_name: str, **kwargs: Any) -> gpd.GeoDataFrame:
    """pyogrio read with GDAL failures turned into an UnreadableFileError naming the file."""
    try:
        frame = pyogrio.read_dataframe(path, **kwargs)
    except Exception as exc:  # pyogrio raises several unrelated classes for corrupt data
        reason = str(exc).strip() or type(exc).__name__
        raise UnreadableFileError(
            bilingual(
                f"No se pudo leer '{source_name}': {reason}. "
                "Verifique que el archivo esté completo y corresponda a su extensión.",
                f"Could not read '{source_name}': {reason}. "
                "Check that the file is complete and matches its extension.",
            ),
            file=source_name,
            reason=reason,
        ) from exc
    return _as_geoframe(frame)


def _as_geoframe(frame: pd.DataFrame | gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name == "geometry":
        return frame
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame), index=frame.index))


def _list_layers(path: Path | str, source_name: str) -> list[str]:
    try:
        return [str(name) for name in pyogrio.list_layers(path)[:, 0]]
    except Exception as exc:
        reason = str(exc).strip() or type(exc).__name__
        raise UnreadableFileError(
            bilingual(
                f"No se pudo abrir '{source_name}': {reason}.",
                f"Could not open '{source_name}': {reason}.",
            ),
            file=source_name,
            reason=reason,
        ) from exc


def _with_crs(frame: gpd.GeoDataFrame, crs: CRS | None) -> gpd.GeoDataFrame:
    """Make the frame's CRS say exactly what the file declared (possibly nothing)."""
    geometry = gpd.GeoSeries(
        np.asarray(frame.geometry.array, dtype=object), index=frame.index, crs=crs
    )
    return gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=geometry)


def _frame_crs(frame: gpd.GeoDataFrame) -> CRS | None:
    return CRS.from_user_input(frame.crs) if frame.crs is not None else None


def _encoding_of(path: Path | str, layer: str | None) -> str | None:
    try:
        enc = pyogrio.read_info(path, layer=layer).get("encoding")
    except Exception:
        return None
    return str(enc) if enc else None


# --------------------------------------------------------------------------- GeoJSON


def _read_geojson(path: Path, layer: str | None, encoding: str | None) -> RawRead:
    frame = _read_ogr(path, path.name, encoding=encoding)
    declared = _frame_crs(frame) if _geojson_declares_crs(path) else None
    return RawRead(
        frame=_with_crs(frame, declared),
        declared_crs=declared,
        driver="GeoJSON",
        encoding=encoding or "UTF-8",
        layer=None,
        source_name=path.name,
    )


def _geojson_declares_crs(path: Path) -> bool:
    """True when the JSON has a top-level ``crs`` member (legacy 2008 GeoJSON).

    RFC 7946 dropped ``crs``; without it coordinates *should* be WGS84 but nothing was
    declared, which is exactly the case where UTM data sneaks in unnoticed.
    """
    if path.stat().st_size <= _GEOJSON_SCAN_LIMIT:
        data = path.read_bytes()
        if b'"crs"' not in data:  # a byte scan, not a second parse of what GDAL just read
            return False
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError):
            return False  # GDAL already accepted it; be conservative: nothing declared
        return isinstance(doc, dict) and isinstance(doc.get("crs"), dict)
    with path.open("rb") as fh:  # huge file: the member is conventionally near the top
        head = fh.read(1024 * 1024).decode("utf-8", "replace")
    return re.search(r'"crs"\s*:\s*\{', head) is not None


# --------------------------------------------------------------------------- GeoPackage


def _read_gpkg(path: Path, layer: str | None, encoding: str | None) -> RawRead:
    layer = _pick_layer(_list_layers(path, path.name), layer, path.name)
    frame = _read_ogr(path, path.name, layer=layer)
    crs = _frame_crs(frame)
    return RawRead(_with_crs(frame, crs), crs, "GPKG", "UTF-8", layer, path.name)


def _pick_layer(layers: list[str], wanted: str | None, source_name: str) -> str:
    listed = ", ".join(f"'{name}'" for name in layers)
    if wanted is not None:
        if wanted in layers:
            return wanted
        raise InputError(
            bilingual(
                f"La capa '{wanted}' no existe en '{source_name}'. Capas disponibles: {listed}.",
                f"Layer '{wanted}' does not exist in '{source_name}'. Available layers: {listed}.",
            ),
            code="layer_not_found",
            file=source_name,
            layers=layers,
        )
    if len(layers) == 1:
        return layers[0]
    if not layers:
        raise UnreadableFileError(
            bilingual(
                f"'{source_name}' no contiene capas vectoriales.",
                f"'{source_name}' contains no vector layers.",
            ),
            file=source_name,
        )
    raise InputError(
        bilingual(
            f"'{source_name}' contiene {len(layers)} capas: {listed}. "
            "Indique cuál importar con --source-layer <nombre> (parámetro source_layer).",
            f"'{source_name}' contains {len(layers)} layers: {listed}. "
            "Choose one with --source-layer <name> (parameter source_layer).",
        ),
        code="layer_required",
        file=source_name,
        layers=layers,
    )


# --------------------------------------------------------------------------- Shapefile


def _read_shapefile(
    path: Path, layer: str | None, encoding: str | None, source_name: str | None = None
) -> RawRead:
    """Read a .shp; GDAL honours .cpg (and the DBF LDID), else assumes ISO-8859-1."""
    name = source_name or path.name
    if not path.with_suffix(".dbf").exists() and not path.with_suffix(".DBF").exists():
        raise UnreadableFileError(
            bilingual(
                f"Falta el archivo .dbf de '{name}': suba juntos .shp, .shx, .dbf y .prj "
                "(mejor en un .zip).",
                f"The .dbf of '{name}' is missing: upload .shp, .shx, .dbf and .prj together "
                "(preferably as a .zip).",
            ),
            code="shapefile_incomplete",
            file=name,
        )
    kwargs: dict[str, Any] = {"encoding": encoding} if encoding else {}
    frame = _read_ogr(path, name, **kwargs)
    has_prj = any(path.with_suffix(ext).exists() for ext in (".prj", ".PRJ"))
    declared = _frame_crs(frame) if has_prj else None
    used_encoding = encoding or _encoding_of(path, None)
    return RawRead(
        frame=_with_crs(frame, declared),
        declared_crs=declared,
        driver="ESRI Shapefile",
        encoding=used_encoding,
        layer=path.stem,
        source_name=name,
    )


def _read_zip(path: Path, layer: str | None, encoding: str | None) -> RawRead:
    infos = check_archive(path)
    shps = [i for i in infos if i.filename.lower().endswith(".shp") and not i.is_dir()]
    if not shps:
        names = ", ".join(i.filename for i in infos[:20])
        raise InputError(
            bilingual(
                f"'{path.name}' no contiene ningún Shapefile (.shp). Contenido: {names}.",
                f"'{path.name}' contains no Shapefile (.shp). Contents: {names}.",
            ),
            code="zip_without_shapefile",
            file=path.name,
        )
    stems = [PurePosixPath(i.filename).with_suffix("").as_posix() for i in shps]
    wanted = _pick_zip_member(stems, layer, path.name)
    members = [
        i
        for i in infos
        if PurePosixPath(i.filename).with_suffix("").as_posix() == wanted
        and PurePosixPath(i.filename).suffix.lower() in SHAPEFILE_SIDECARS
    ]
    with tempfile.TemporaryDirectory(prefix="allpa-zip-") as tmp:
        shp = _extract(path, members, Path(tmp), ".shp")
        raw = _read_shapefile(shp, None, encoding, source_name=path.name)
    raw.driver = "ESRI Shapefile (zip)"
    raw.layer = PurePosixPath(wanted).name
    return raw


def _pick_zip_member(stems: list[str], layer: str | None, source_name: str) -> str:
    if layer is not None:
        for stem in stems:
            if layer in (stem, PurePosixPath(stem).name):
                return stem
    elif len(stems) == 1:
        return stems[0]
    return _pick_layer(stems, layer, source_name)  # raises with the list


def _extract(archive: Path, members: list[zipfile.ZipInfo], dest: Path, want: str) -> Path:
    """Extract checked members flat into ``dest`` (names reduced to their basename)."""
    found: Path | None = None
    with zipfile.ZipFile(archive) as zf:
        for info in members:
            target = dest / PurePosixPath(info.filename).name
            with zf.open(info) as src, target.open("wb") as out:
                _copy_limited(src, out, info.file_size, archive.name)
            if target.suffix.lower() == want:
                found = target
    if found is None:
        raise InputError(
            bilingual(
                f"No se encontró un archivo {want} utilizable en '{archive.name}'.",
                f"No usable {want} file found in '{archive.name}'.",
            ),
            file=archive.name,
        )
    return found


def _copy_limited(src: io.BufferedIOBase | Any, out: Any, declared: int, name: str) -> None:
    """Copy but stop if an entry inflates beyond its declared size (lying headers)."""
    written = 0
    while chunk := src.read(1024 * 1024):
        written += len(chunk)
        if written > declared:
            raise UnsafeArchiveError(
                bilingual(
                    f"'{name}' contiene una entrada que se descomprime más de lo declarado.",
                    f"'{name}' contains an entry that inflates beyond its declared size.",
                ),
                file=name,
            )
        out.write(chunk)


def check_archive(
    path: Path,
    *,
    max_entries: int = MAX_ARCHIVE_ENTRIES,
    max_total_bytes: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: float = MAX_COMPRESSION_RATIO,
) -> list[zipfile.ZipInfo]:
    """List a zip's entries and refuse traversal, symlinks, too many entries and bombs.

    Nothing is extracted here: the central directory is enough to decide.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFileError(
            bilingual(
                f"'{path.name}' no es un archivo zip válido: {exc}.",
                f"'{path.name}' is not a valid zip archive: {exc}.",
            ),
            file=path.name,
            reason=str(exc),
        ) from exc
    if len(infos) > max_entries:
        _unsafe(
            path,
            f"tiene {len(infos)} entradas (máximo {max_entries})",
            f"has {len(infos)} entries (maximum {max_entries})",
            "too_many_entries",
        )
    total = 0
    for info in infos:
        _check_entry(path, info, max_ratio)
        total += info.file_size
    if total > max_total_bytes:
        gb = max_total_bytes / 1024**3
        _unsafe(
            path,
            f"se descomprime a {total:,} bytes (máximo {gb:g} GB)",
            f"inflates to {total:,} bytes (maximum {gb:g} GB)",
            "zip_bomb",
        )
    return infos


def _check_entry(path: Path, info: zipfile.ZipInfo, max_ratio: float) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        _unsafe(
            path,
            f"contiene una ruta peligrosa '{name}'",
            f"contains a dangerous path '{name}'",
            "path_traversal",
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        _unsafe(
            path,
            f"contiene un enlace simbólico '{name}'",
            f"contains a symbolic link '{name}'",
            "symlink",
        )
    if info.file_size >= BOMB_RATIO_MIN_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > max_ratio:
            _unsafe(
                path,
                f"la entrada '{name}' se expande {ratio:,.0f} veces "
                f"(máximo {max_ratio:g}): posible bomba de descompresión",
                f"entry '{name}' expands {ratio:,.0f} times (maximum {max_ratio:g}): "
                "possible decompression bomb",
                "zip_bomb",
            )


def _unsafe(path: Path, es: str, en: str, reason: str) -> None:
    raise UnsafeArchiveError(
        bilingual(f"Archivo rechazado: '{path.name}' {es}.", f"File refused: '{path.name}' {en}."),
        file=path.name,
        reason=reason,
    )


# --------------------------------------------------------------------------- KML / KMZ

_DTD_PATTERN = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _check_kml_bytes(data: bytes, source_name: str) -> None:
    """Refuse DTDs before GDAL's XML parser sees them (entity expansion, XXE)."""
    if _DTD_PATTERN.search(data):
        raise UnsafeArchiveError(
            bilingual(
                f"'{source_name}' contiene una declaración <!DOCTYPE> o <!ENTITY>, que no se "
                "admite por seguridad. Exporte el KML de nuevo sin DTD (Google Earth no la usa).",
                f"'{source_name}' contains a <!DOCTYPE> or <!ENTITY> declaration, refused for "
                "security. Re-export the KML without a DTD (Google Earth does not use one).",
            ),
            code="unsafe_xml",
            file=source_name,
        )


def _read_kml(path: Path, layer: str | None, encoding: str | None) -> RawRead:
    _check_kml_bytes(path.read_bytes(), path.name)
    return _read_kml_checked(path, layer, path.name, "KML")


def _read_kmz(path: Path, layer: str | None, encoding: str | None) -> RawRead:
    infos = check_archive(path)
    kmls = [i for i in infos if i.filename.lower().endswith(".kml") and not i.is_dir()]
    if not kmls:
        raise InputError(
            bilingual(
                f"'{path.name}' no contiene ningún documento .kml.",
                f"'{path.name}' contains no .kml document.",
            ),
            code="kmz_without_kml",
            file=path.name,
        )
    doc = next((i for i in kmls if i.filename.lower() == "doc.kml"), kmls[0])
    with tempfile.TemporaryDirectory(prefix="allpa-kmz-") as tmp:
        kml = _extract(path, [doc], Path(tmp), ".kml")
        _check_kml_bytes(kml.read_bytes(), path.name)
        return _read_kml_checked(kml, layer, path.name, "KMZ")


def _read_kml_checked(path: Path, layer: str | None, source_name: str, driver: str) -> RawRead:
    """Read one or all KML folders; Google Earth files often spread features over folders."""
    layers = _list_layers(path, source_name)
    chosen = [_pick_layer(layers, layer, source_name)] if layer is not None else layers
    frames = []
    for name in chosen:
        part = _read_ogr(path, source_name, layer=name)
        if len(part):
            if len(chosen) > 1:
                part["kml_folder"] = name
            frames.append(part)
    if frames:
        frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry")
    else:
        frame = _as_geoframe(pd.DataFrame())
    # KML is WGS84 by specification; like GeoJSON, that is a default, not a declaration.
    return RawRead(
        frame=_with_crs(frame, None),
        declared_crs=None,
        driver=driver,
        encoding="UTF-8",
        layer=layer if layer is not None else (chosen[0] if len(chosen) == 1 else None),
        source_name=source_name,
    )


# --------------------------------------------------------------------------- CSV


def _read_csv(path: Path, layer: str | None, encoding: str | None) -> RawRead:
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
    return RawRead(frame, None, "CSV", used, None, path.name, warnings)


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


_READERS: dict[str, Callable[[Path, str | None, str | None], RawRead]] = {
    ".geojson": _read_geojson,
    ".json": _read_geojson,
    ".gpkg": _read_gpkg,
    ".shp": _read_shapefile,
    ".zip": _read_zip,
    ".kml": _read_kml,
    ".kmz": _read_kmz,
    ".csv": _read_csv,
}
