"""Reading user-supplied vector files into a raw GeoDataFrame, safely.

Only this module (with :mod:`geo.archives` for zip/KMZ safety and :mod:`geo.io_csv` for
CSV tables) touches files. It does not reproject or rename anything: it reports what
the file *declares* (``declared_crs``) so that :mod:`geo.crs` can tell a declared CRS from a
format default (GDAL says EPSG:4326 for every GeoJSON, declared or not).

Archives (.zip, .kmz) are inspected entry by entry before anything is extracted, and KML is
refused if it carries a DTD, because user uploads are untrusted.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyproj import CRS

from geo.archives import (
    MAX_ARCHIVE_ENTRIES,
    MAX_COMPRESSION_RATIO,
    MAX_UNCOMPRESSED_BYTES,
    check_archive,
    extract_members,
)
from geo.errors import (
    InputError,
    UnreadableFileError,
    UnsafeArchiveError,
    UnsupportedFormatError,
    bilingual,
)
from geo.io_csv import LAT_NAMES, LON_NAMES, read_csv_table

__all__ = [
    "LAT_NAMES",
    "LON_NAMES",
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

SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx")
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
        shp = extract_members(path, members, Path(tmp), ".shp")
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
        kml = extract_members(path, [doc], Path(tmp), ".kml")
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

# --------------------------------------------------------------------------- CSV


def _read_csv(path: Path, layer: str | None, encoding: str | None) -> RawRead:
    frame, used, warnings = read_csv_table(path, encoding)
    return RawRead(frame, None, "CSV", used, None, path.name, warnings)


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
