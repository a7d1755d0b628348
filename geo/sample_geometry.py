"""Geometry, date and writer helpers shared by the fictional sample generators
(``geo.samplegen`` for the Peruvian province, ``geo.samplegen_bolivia`` for the Bolivian
shore): UTM 19S <-> EPSG:4326, irregular polygons, compact GeoJSON, dates as text.

Pure functions of their arguments (and of the ``numpy`` generator passed in), so both
generators stay byte-for-byte reproducible.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

UTM_CRS = "EPSG:32719"

Rng = np.random.Generator

_TO_LONLAT = Transformer.from_crs(UTM_CRS, "EPSG:4326", always_xy=True)
_TO_UTM = Transformer.from_crs("EPSG:4326", UTM_CRS, always_xy=True)


def lonlat_to_utm(lon: float, lat: float) -> tuple[float, float]:
    """One EPSG:4326 position in UTM 19S metres."""
    x, y = _TO_UTM.transform(lon, lat)
    return float(x), float(y)


def utm_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """One UTM 19S position in EPSG:4326 degrees."""
    lon, lat = _TO_LONLAT.transform(x, y)
    return float(lon), float(lat)


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """UTM 19S -> EPSG:4326, snapped to a 1e-6 degree grid, polygons oriented CCW."""

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = _TO_LONLAT.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = shapely.transform(geom, fn)
    out = shapely.set_precision(out, 1e-6)
    return shapely.orient_polygons(out, exterior_cw=False)


def to_utm(geom: BaseGeometry) -> BaseGeometry:
    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = _TO_UTM.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, fn)


def round_coords(obj: Any) -> Any:
    if isinstance(obj, (list, tuple)):
        if obj and isinstance(obj[0], float | int):
            return [round(float(v), 6) for v in obj]
        return [round_coords(o) for o in obj]
    return obj


def geometry_json(geom: BaseGeometry) -> dict[str, Any]:
    gj = shapely.geometry.mapping(geom)
    return {"type": gj["type"], "coordinates": round_coords(gj["coordinates"])}


def write_geojson(
    path: Path, name: str, nota: str, features: Sequence[tuple[dict[str, Any], BaseGeometry]]
) -> None:
    """Compact, one-feature-per-line GeoJSON (EPSG:4326, RFC 7946 orientation)."""
    head = json.dumps(
        {"type": "FeatureCollection", "name": name, "nota": nota}, ensure_ascii=False
    )[:-1]
    lines = []
    for props, geom in features:
        feat = {"type": "Feature", "properties": props, "geometry": geometry_json(geom)}
        lines.append(json.dumps(feat, ensure_ascii=False, separators=(",", ":")))
    text = head + ', "features": [\n' + ",\n".join(lines) + "\n]}\n"
    path.write_text(text, encoding="utf-8")


def iso(d: date | None) -> str | None:
    return d.isoformat() if d is not None else None


def si_no(v: bool | None) -> str | None:
    return None if v is None else ("si" if v else "no")


def rand_date(rng: Rng, start: date, end: date) -> date:
    span = (end - start).days
    return start + timedelta(days=int(rng.integers(0, span + 1)))


def add_years(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year + years)
    except ValueError:  # 29 February
        return d.replace(year=d.year + years, day=28)


def star_polygon(
    rng: Rng,
    cx: float,
    cy: float,
    radius: float,
    n: int = 48,
    roughness: float = 0.25,
    aspect: float = 1.0,
    angle: float = 0.0,
    jitter: float | None = None,
) -> Polygon:
    """Irregular star-shaped polygon (always simple) of mean radius ``radius``."""
    theta = np.linspace(0.0, 2.0 * math.pi, n, endpoint=False)
    r = np.ones(n)
    for k in range(2, 8):
        r += rng.uniform(0.0, roughness) / (k - 0.5) * np.sin(k * theta + rng.uniform(0, 6.3))
    r *= 1.0 + rng.normal(0.0, roughness / 8.0 if jitter is None else jitter, n)
    r = np.clip(r, 0.3, None) * radius
    x = r * np.cos(theta) * aspect
    y = r * np.sin(theta) / aspect
    ca, sa = math.cos(angle), math.sin(angle)
    xs = cx + x * ca - y * sa
    ys = cy + x * sa + y * ca
    return Polygon(np.column_stack([np.round(xs, 2), np.round(ys, 2)]))


def largest_polygon(geom: BaseGeometry, near: Point | None = None) -> Polygon:
    """The part of ``geom`` containing ``near`` (else the largest polygonal part)."""
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and g.area > 0]
    if not parts:
        return Polygon()
    if near is not None:
        for p in parts:
            if p.contains(near):
                return p
    return max(parts, key=lambda p: p.area)


def random_point_in(rng: Rng, poly: BaseGeometry, tries: int = 2000) -> Point | None:
    minx, miny, maxx, maxy = poly.bounds
    for _ in range(tries):
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if poly.contains(p):
            return p
    return None


def poisson_points(rng: Rng, area: BaseGeometry, n: int, min_dist: float) -> list[Point]:
    pts: list[Point] = []
    for _ in range(200_000):
        if len(pts) == n:
            break
        p = random_point_in(rng, area)
        if p is None:
            continue
        if all(p.distance(q) >= min_dist for q in pts):
            pts.append(p)
    if len(pts) < n:
        raise RuntimeError(f"could only place {len(pts)} of {n} points")
    return pts


def simplified_line(pts: list[tuple[float, float]], tolerance: float) -> LineString:
    return LineString(shapely.get_coordinates(LineString(pts).simplify(tolerance)))


def multipolygon(geom: BaseGeometry) -> MultiPolygon:
    parts = [g for g in shapely.get_parts(geom) if isinstance(g, Polygon) and not g.is_empty]
    return MultiPolygon(parts)


def pick(rng: Rng, options: list[str], weights: list[float]) -> str:
    w = np.asarray(weights, dtype=float)
    return options[int(rng.choice(len(options), p=w / w.sum()))]


def maybe_bool(rng: Rng, p_true: float, p_unknown: float = 0.15) -> bool | None:
    u = float(rng.uniform())
    if u < p_unknown:
        return None
    return bool(rng.uniform() < p_true)
