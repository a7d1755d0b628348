"""The pure import pipeline: file on disk -> canonical, valid EPSG:4326 frame + report.

No database, no HTTP: ``layers`` stores what :func:`prepare` returns and ``api`` shows its
report. Everything the importer changed or dropped is listed, feature by feature.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.catalog import CATALOG
from geo.constants import check_constants, detection_columns
from geo.crs import CRSDecision, decide_crs, to_wgs84
from geo.errors import ProfileError, bilingual
from geo.filehash import vector_sha256 as file_sha256
from geo.io import LAT_NAMES, LON_NAMES, RawRead, read_vector
from geo.profiles import KEY_COLUMNS, LAYERS, apply_profile, detect_profile
from geo.validity import Expected, Rejection, Repair, repair_geometries

__all__ = ["EXPECTED_GEOMETRY", "Prepared", "file_sha256", "prepare"]

#: Geometry each layer accepts; ``None``: the layer has no geometry.
EXPECTED_GEOMETRY: dict[str, Expected | None] = {
    layer.name: cast("Expected | None", layer.expected_geometry)
    for layer in CATALOG.values()
}


@dataclass
class Prepared:
    """Result of :func:`prepare`: what to store, and the report to show the user."""

    frame: gpd.GeoDataFrame
    crs_decision: CRSDecision
    profile: str
    n_read: int
    repairs: list[Repair] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""
    source_name: str = ""
    driver: str = ""

    @property
    def n_prepared(self) -> int:
        return len(self.frame)


def prepare(
    path: Path,
    *,
    layer: str,
    crs: str | None = None,
    profile: str | None = None,
    mapping: dict[str, str] | None = None,
    defaults: dict[str, Any] | None = None,
    encoding: str | None = None,
    source_layer: str | None = None,
    constants: dict[str, Any] | None = None,
) -> Prepared:
    """Read, map, reproject and repair one file for ``layer``.

    Order matters:

    1. read, and map attributes with the profile (the profile may supply a zone hint, e.g.
       INGEMMET ``ZONA``, for the CRS message);
    2. decide the CRS *before* any reprojection, on the raw coordinates: only they show
       whether "degrees" are really UTM metres;
    3. reproject to EPSG:4326 (with a real datum shift, see :mod:`geo.crs`);
    4. check and repair geometries *after* reprojection: reprojection moves vertices
       non-linearly and can make a valid ring self-intersect (and a ring repaired in UTM is
       not guaranteed valid in degrees); what is stored is the 4326 geometry, so that is
       the one that must be valid.

    ``constants`` ({field: value}, ``--set``) fill fields the file lacks or leaves blank; they
    are checked before the file is read (:mod:`geo.constants`) and count as present columns
    when the profile is recognised.
    """
    path = Path(path)
    if layer not in LAYERS:
        raise ProfileError(
            bilingual(
                f"Capa desconocida '{layer}'. Capas: {', '.join(LAYERS)}.",
                f"Unknown layer '{layer}'. Layers: {', '.join(LAYERS)}.",
            ),
            code="layer_unknown",
        )
    fixed = check_constants(layer, constants or {})
    defaults = {**fixed, **(defaults or {})}
    raw = read_vector(path, layer=source_layer, encoding=encoding)
    warnings = list(raw.warnings)
    frame = _fill_points_from_lonlat(raw, layer, warnings)
    name = profile or ("columns" if mapping else _detect(layer, frame.columns, fixed))
    mapped = apply_profile(name, frame, layer=layer, mapping=mapping, defaults=defaults)
    warnings.extend(mapped.warnings)
    rejections = list(mapped.rejections)
    decision = decide_crs(
        frame,
        raw.declared_crs,
        crs,
        source_name=raw.source_name,
        zone_hint=_zone_hint(mapped.frame),
    )
    if decision.defaulted and _has_geometry(frame):
        warnings.append(
            bilingual(
                f"'{raw.source_name}' no declara CRS: se asumió EPSG:4326 (WGS 84 lon/lat), el "
                "valor por defecto de GeoJSON, KML y CSV.",
                f"'{raw.source_name}' declares no CRS: EPSG:4326 (WGS 84 lon/lat) was assumed, the "
                "GeoJSON, KML and CSV default.",
            )
        )
    result, repairs = _geometry_stage(mapped.frame, layer, decision.crs, rejections)
    induced = [r.feature_id for r in repairs if r.introduced_by_reprojection]
    if induced:
        warnings.append(
            bilingual(
                f"{len(induced)} geometrías válidas en el CRS de origen quedaron inválidas al "
                f"reproyectar a EPSG:4326 y se repararon: {', '.join(induced[:20])}.",
                f"{len(induced)} geometries valid in the source CRS became invalid when "
                f"reprojected to EPSG:4326 and were repaired: {', '.join(induced[:20])}.",
            )
        )
    if layer == "concessions":
        _fill_zone_datum(result, decision.crs)
    return Prepared(
        frame=result,
        crs_decision=decision,
        profile=name,
        n_read=len(raw.frame),
        repairs=repairs,
        rejections=sorted(rejections, key=_row_order),
        warnings=warnings,
        sha256=file_sha256(path),
        source_name=raw.source_name,
        driver=raw.driver,
    )


def _detect(layer: str, columns: Any, constants: dict[str, str]) -> str:
    """The profile the file's columns match, else the one they match once the constants
    count as columns; the error names the file's own columns."""
    try:
        return detect_profile(layer, columns)
    except ProfileError:
        if not constants:
            raise
        try:
            return detect_profile(layer, detection_columns(layer, columns, constants))
        except ProfileError:
            pass
        raise


def _row_order(rejection: Rejection) -> tuple[int, str]:
    index = rejection.index
    return (int(index), "") if isinstance(index, int | np.integer) else (0, str(index))


def _has_geometry(frame: gpd.GeoDataFrame) -> bool:
    return bool((~shapely.is_missing(np.asarray(frame.geometry.array, dtype=object))).any())


def _geometry_stage(
    frame: gpd.GeoDataFrame, layer: str, crs: CRS, rejections: list[Rejection]
) -> tuple[gpd.GeoDataFrame, list[Repair]]:
    expected = EXPECTED_GEOMETRY[layer]
    if expected is None:  # networks: attributes only
        out = frame.copy()
        out = out.set_geometry(gpd.GeoSeries([None] * len(out), index=out.index, crs=4326))
        return out, []
    projected = to_wgs84(frame, crs)
    repaired, repairs, geo_rejections = repair_geometries(
        projected, expected=expected, id_column=KEY_COLUMNS[layer],
        allow_missing=CATALOG[layer].location_optional,
    )
    rejections.extend(geo_rejections)
    valid_in_source = _valid_in_source(
        frame, [r.index for r in repairs if r.action.startswith("make_valid")])
    repairs = [
        replace(r, introduced_by_reprojection=True)
        if r.action.startswith("make_valid") and valid_in_source.get(r.index, False)
        else r
        for r in repairs
    ]
    return repaired, repairs


def _valid_in_source(frame: gpd.GeoDataFrame, labels: list[Any]) -> dict[Any, bool]:
    """{row label: its geometry was valid before reprojection}, for the rows made valid
    after it: a handful of rows, not a second validity check of the whole file."""
    if not labels:
        return {}
    source = np.asarray(frame.geometry.array, dtype=object)
    if not frame.index.is_unique:  # a label names several rows: the last one counts
        return dict(zip(frame.index, shapely.is_valid(source), strict=True))
    positions = frame.index.get_indexer(labels)
    return dict(zip(labels, shapely.is_valid(source[positions]).tolist(), strict=True))


def _zone_hint(frame: pd.DataFrame) -> int | None:
    """The UTM zone most rows state (INGEMMET ``ZONA``), if any."""
    if "zone" not in frame.columns:
        return None
    zones = Counter(int(z) for z in frame["zone"].dropna() if int(z) in (17, 18, 19))
    return zones.most_common(1)[0][0] if zones else None


def _fill_zone_datum(frame: gpd.GeoDataFrame, crs: CRS) -> None:
    """Concession ``zone``/``datum`` default to what the source CRS says (report only)."""
    zone = crs.utm_zone
    if zone and zone.upper().endswith("S") and "zone" in frame.columns:
        frame["zone"] = frame["zone"].fillna(int(zone[:-1])).astype("Int64")
    datum_name = crs.datum.name if crs.datum is not None else ""
    label = (
        "PSAD56"
        if "Provisional South American" in datum_name
        else ("WGS84" if "World Geodetic System 1984" in datum_name else datum_name or None)
    )
    if "datum" in frame.columns and label:
        frame["datum"] = frame["datum"].where(frame["datum"].notna(), label)


def _fill_points_from_lonlat(raw: RawRead, layer: str, warnings: list[str]) -> gpd.GeoDataFrame:
    """Template files (GeoJSON/GPKG/SHP) may carry lon/lat columns instead of a geometry."""
    frame = raw.frame
    if layer not in ("communities", "water") or raw.driver == "CSV":
        return frame
    lower = {str(c).lower(): c for c in frame.columns}
    lon = next((lower[n] for n in LON_NAMES if n in lower and n not in ("x",)), None)
    lat = next((lower[n] for n in LAT_NAMES if n in lower and n not in ("y",)), None)
    if lon is None or lat is None:
        return frame
    if raw.declared_crs is not None and not raw.declared_crs.is_geographic:
        return frame  # lon/lat degrees cannot fill a projected layer safely
    geoms = np.asarray(frame.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms)
    x = pd.to_numeric(frame[lon], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame[lat], errors="coerce").to_numpy(dtype=float)
    fill = missing & np.isfinite(x) & np.isfinite(y)
    if not fill.any():
        return frame
    geoms = geoms.copy()
    geoms[fill] = shapely.points(x[fill], y[fill])
    warnings.append(
        bilingual(
            f"{int(fill.sum())} elementos sin geometría se ubicaron con las columnas "
            f"'{lon}'/'{lat}'.",
            f"{int(fill.sum())} features without geometry were located from columns "
            f"'{lon}'/'{lat}'.",
        )
    )
    out = frame.copy()
    return out.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=frame.crs))
