"""National-scale synthetic layers over southern Peru (deterministic; FICTIONAL data).

``generate()`` builds the canonical frames of ``docs/CONTRACT.md`` (EPSG:4326):

* communities: irregular territories of 500–15,000 ha from a Voronoi diagram of seeds whose
  density varies by 1° block, boundaries wiggled by a smooth displacement field (neighbours
  keep sharing their wiggles), shrunk (gaps) or, for a few, grown (slight overlaps with
  neighbours); about 10 % are known only by a point;
* concessions: unions of 1 km cells snapped to the UTM grid of zone 18S (west of 72° W) or
  19S, 1–10 cells (100–1,000 ha), clustered in mining districts, mostly tiling the grid and
  sometimes superposed on earlier claims as in INGEMMET's cadastre, converted to EPSG:4326;
* water points (springs, wells …) and a few prior consultations around mining districts.

``load()`` stores them in a database through :func:`layers.versioning.write_snapshot`
(COPY), like an import does. ``python -m benchmarks.national`` generates, loads into
``allpa_bench`` and prints the counts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
import shapely.affinity
import sqlalchemy as sa
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon, box
from sqlalchemy.engine import Connection, Engine

from geo.geodesy import geodesic_areas_ha
from layers import cluster, communities, concessions, consultations, migrate, water
from layers.config import Settings, load_settings
from layers.db import make_engine
from layers.versioning import write_snapshot

REGION = (-76.0, -18.3, -68.5, -12.0)  # lon/lat box of southern Peru
SEED = 20261123
BENCH_DB = "allpa_bench"
SOURCE = "Benchmark nacional FICTICIO (benchmarks.national)"
PRESSURE_STATES = ("titled", "in_process", "other", "unknown")

FloatArray = npt.NDArray[np.float64]


@dataclass
class NationalData:
    """The four canonical input frames."""

    communities: gpd.GeoDataFrame
    concessions: gpd.GeoDataFrame
    water: gpd.GeoDataFrame
    consultations: gpd.GeoDataFrame
    districts: list[tuple[int, float, float]]  # mining districts: (zone, x, y) in UTM metres

    def counts(self) -> dict[str, int]:
        n_points = int((self.communities.geom_type == "Point").sum())
        return {"communities": len(self.communities), "point_only": n_points,
                "concessions": len(self.concessions), "water": len(self.water),
                "consultations": len(self.consultations)}


def _zone_of(lon: float) -> int:
    return 18 if lon < -72.0 else 19


def _to_utm(zone: int) -> Transformer:
    return Transformer.from_crs(4326, 32700 + zone, always_xy=True)


def _from_utm(zone: int) -> Transformer:
    return Transformer.from_crs(32700 + zone, 4326, always_xy=True)


def _as_multi(geoms: npt.NDArray[np.object_]) -> list[MultiPolygon]:
    out: list[MultiPolygon] = []
    for g in geoms:
        if g.geom_type == "MultiPolygon":
            out.append(g)
        elif g.geom_type == "Polygon":
            out.append(MultiPolygon([g]))
        else:  # a GeometryCollection from make_valid: keep the polygonal parts
            parts = [p for p in shapely.get_parts(g) if p.geom_type in ("Polygon", "MultiPolygon")]
            merged = shapely.union_all(parts)
            if isinstance(merged, MultiPolygon):
                out.append(merged)
            elif isinstance(merged, Polygon):
                out.append(MultiPolygon([merged]))
    return out


# ----------------------------------------------------------------------------- communities


def _seed_points(rng: np.random.Generator, n: int) -> FloatArray:
    """Seeds whose density varies by 1° block (so cell sizes vary ~10x)."""
    x0, y0, x1, y1 = REGION
    blocks = [(max(float(a), x0), max(float(b), y0), min(a + 1.0, x1), min(b + 1.0, y1))
              for a in range(math.floor(x0), math.ceil(x1))
              for b in range(math.floor(y0), math.ceil(y1))]
    weight = np.array([(c - a) * (d - b) for a, b, c, d in blocks])
    weight = weight * np.exp(rng.uniform(np.log(0.35), np.log(3.0), len(blocks)))
    counts = rng.multinomial(n, weight / weight.sum())
    pts = [np.column_stack([rng.uniform(a, c, k), rng.uniform(b, d, k)])
           for (a, b, c, d), k in zip(blocks, counts, strict=True) if k]
    return np.concatenate(pts)


def _wiggle(rng: np.random.Generator) -> Callable[[FloatArray], FloatArray]:
    """A smooth displacement field (sum of sinusoids): equal points move equally."""
    amp = 0.0025  # ~250 m; wavelengths 5-15 km keep the field's slope well below 1
    waves = [(rng.uniform(2 * np.pi / 0.15, 2 * np.pi / 0.05, 2), rng.uniform(0, 2 * np.pi, 2))
             for _ in range(3)]

    def field(xy: FloatArray) -> FloatArray:
        dx = np.zeros(len(xy))
        dy = np.zeros(len(xy))
        for (kx, ky), (px, py) in waves:
            dx += amp * np.sin(kx * xy[:, 1] + px) * np.cos(ky * xy[:, 0] + py)
            dy += amp * np.cos(kx * xy[:, 0] + py) * np.sin(ky * xy[:, 1] + px)
        return np.column_stack([xy[:, 0] + dx, xy[:, 1] + dy])

    return field


def _community_geometries(rng: np.random.Generator, n: int) -> npt.NDArray[np.object_]:
    seeds = _seed_points(rng, n)
    region = box(*REGION)
    cells = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True)
    cells = np.asarray(shapely.get_parts(cells), dtype=object)
    cells = shapely.intersection(cells, region)
    cells = shapely.segmentize(cells, 0.004)
    cells = np.asarray(shapely.transform(cells, _wiggle(rng)), dtype=object)
    area = geodesic_areas_ha(cells)
    grow = rng.random(len(cells)) < 0.06  # a few claim a strip of their neighbours' land
    factor = np.where(grow, rng.uniform(1.03, 1.12, len(cells)),
                      rng.uniform(0.35, 0.95, len(cells)))
    target = np.clip(area * factor, 520.0, 14_500.0)
    scale = np.sqrt(target / area)
    centre = shapely.get_coordinates(shapely.centroid(cells))
    out = np.empty(len(cells), dtype=object)
    for i, (g, s, (cx, cy)) in enumerate(zip(cells, scale, centre, strict=True)):
        out[i] = shapely.affinity.scale(g, s, s, origin=(cx, cy))
    invalid = ~shapely.is_valid(out)
    if invalid.any():
        out[invalid] = shapely.make_valid(out[invalid])
    return np.asarray(_as_multi(out), dtype=object)


def _dates(rng: np.random.Generator, n: int, start: dt.date, end: dt.date,
           missing: float = 0.0) -> list[dt.date | None]:
    days = rng.integers(0, (end - start).days, n)
    gone = rng.random(n) < missing
    return [None if g else start + dt.timedelta(days=int(d)) for d, g in zip(days, gone,
                                                                             strict=True)]


def _tristate(rng: np.random.Generator, n: int, p_true: float, p_none: float) -> list[bool | None]:
    u = rng.random(n)
    return [None if x < p_none else bool(x < p_none + p_true) for x in u]


def _communities(rng: np.random.Generator, n: int, point_share: float) -> gpd.GeoDataFrame:
    geoms = _community_geometries(rng, n)
    n = len(geoms)
    point = rng.random(n) < point_share
    geoms[point] = shapely.point_on_surface(geoms[point])
    legal = rng.choice(["none", "in_process", "registered"], n, p=[0.2, 0.15, 0.65])
    kinds = rng.choice(["comunidad_campesina", "comunidad_nativa", "asociacion"], n,
                       p=[0.85, 0.1, 0.05])
    title = rng.choice(["titled", "recognised_untitled", "unrecognised"], n, p=[0.6, 0.3, 0.1])
    adopted = _dates(rng, n, dt.date(1975, 1, 1), dt.date(2024, 1, 1), missing=0.15)
    elected = _dates(rng, n, dt.date(2021, 1, 1), dt.date(2026, 10, 1), missing=0.1)
    lon = shapely.get_coordinates(shapely.point_on_surface(geoms))[:, 0]
    admin = [f"{'08' if x < -72.0 else '21'}{int((x + 76) * 4) % 10:02d}{i % 9 + 1:02d}"
             for i, x in enumerate(lon)]
    return gpd.GeoDataFrame({
        "id": [f"BN-{i:05d}" for i in range(n)],
        "name": [f"Comunidad Campesina Ficticia {i}" for i in range(n)],
        "kind": kinds, "country": "PE", "admin_code": admin, "title_status": title,
        "title_date": _dates(rng, n, dt.date(1980, 1, 1), dt.date(2020, 1, 1), missing=0.4),
        "official_area_ha": np.round(rng.uniform(400, 16_000, n), 1),
        "sensitivity": rng.choice(["public", "network", "restricted"], n, p=[0.8, 0.15, 0.05]),
        "legal_status": legal,
        "registry_office": ["Juliaca" if s == "registered" else None for s in legal],
        "registry_entry": [f"{11000000 + i}" if s == "registered" else None
                           for i, s in enumerate(legal)],
        "registration_date": _dates(rng, n, dt.date(1985, 1, 1), dt.date(2024, 1, 1), 0.3),
        "statute_adopted": adopted,
        "statute_modified": _dates(rng, n, dt.date(2000, 1, 1), dt.date(2025, 1, 1), 0.6),
        "clause_territory": _tristate(rng, n, 0.45, 0.2),
        "clause_water": _tristate(rng, n, 0.35, 0.25),
        "clause_environment": _tristate(rng, n, 0.3, 0.3),
        "clause_consultation": _tristate(rng, n, 0.2, 0.3),
        "clause_women": _tristate(rng, n, 0.3, 0.3),
        "board_elected": elected,
        "board_term_end": [None if d is None else d + dt.timedelta(days=730) for d in elected],
        "board_registered": _tristate(rng, n, 0.6, 0.1),
        "procedure_what": None, "procedure_stage": None, "procedure_since": None,
    }, geometry=list(geoms), crs=4326)


# ----------------------------------------------------------------------------- concessions


def _districts(rng: np.random.Generator, n: int) -> list[tuple[int, float, float, float]]:
    """Mining districts: (zone, x, y, sigma) in that zone's UTM metres."""
    x0, y0, x1, y1 = REGION
    out = []
    for _ in range(n):
        lon, lat = rng.uniform(x0 + 0.2, x1 - 0.2), rng.uniform(y0 + 0.2, y1 - 0.2)
        zone = _zone_of(lon)
        x, y = _to_utm(zone).transform(lon, lat)
        out.append((zone, float(x), float(y), float(rng.uniform(6_000, 30_000))))
    return out


_STEPS = ((1, 0), (-1, 0), (0, 1), (0, -1))
_STATES = [("titled", "T", "TITULADO"), ("in_process", "P", "EN TRAMITE"),
           ("extinguished", "F", "EXTINGUIDO"), ("other", "R", "RESERVA")]


def _concessions(rng: np.random.Generator, n: int, districts: list[tuple[int, float, float, float]]
                 ) -> gpd.GeoDataFrame:
    py = random.Random(int(rng.integers(0, 2**31)))
    weights = np.exp(rng.normal(0, 0.8, len(districts)))
    which = rng.choice(len(districts), n, p=weights / weights.sum())
    sizes = rng.integers(1, 11, n)  # 1 km cells: 100-1,000 ha
    superposed = rng.random(n) < 0.05  # claims drawn over earlier ones
    occupied: dict[int, set[tuple[int, int]]] = {18: set(), 19: set()}
    cells_of: list[list[tuple[int, int]]] = []
    zones: list[int] = []
    for k in range(n):
        zone, cx, cy, sigma = districts[int(which[k])]
        occ = occupied[zone]
        free_only = not superposed[k]
        start = (0, 0)
        for _ in range(30):
            start = (int((cx + py.gauss(0, sigma)) // 1000), int((cy + py.gauss(0, sigma)) // 1000))
            if not free_only or start not in occ:
                break
        cells = [start]
        chosen = {start}
        for _ in range(60):
            if len(cells) >= sizes[k]:
                break
            bx, by = cells[py.randrange(len(cells))]
            sx, sy = _STEPS[py.randrange(4)]
            nb = (bx + sx, by + sy)
            if nb in chosen or (free_only and nb in occ):
                continue
            cells.append(nb)
            chosen.add(nb)
        occ.update(cells)
        cells_of.append(cells)
        zones.append(zone)
    geoms = np.empty(n, dtype=object)
    zone_arr = np.asarray(zones)
    for zone in (18, 19):
        idx = np.flatnonzero(zone_arr == zone)
        if not len(idx):
            continue
        utm = [shapely.union_all(shapely.box(
            [1000.0 * i for i, _ in cells_of[k]], [1000.0 * j for _, j in cells_of[k]],
            [1000.0 * (i + 1) for i, _ in cells_of[k]], [1000.0 * (j + 1) for _, j in cells_of[k]]))
            for k in idx]
        tr = _from_utm(zone)

        def to_lonlat(xy: FloatArray, tr: Transformer = tr) -> FloatArray:
            lon, lat = tr.transform(xy[:, 0], xy[:, 1])
            return np.column_stack([lon, lat])

        geoms[idx] = shapely.transform(np.asarray(utm, dtype=object), to_lonlat)
    state_idx = rng.choice(len(_STATES), n, p=[0.55, 0.25, 0.12, 0.08])
    return gpd.GeoDataFrame({
        "code": [f"01{k:07d}" for k in range(n)],
        "name": [f"DERECHO FICTICIO {k}" for k in range(n)],
        "holder": [f"MINERA FICTICIA {k % 997} S.A.C." for k in range(n)],
        "state": [_STATES[s][0] for s in state_idx],
        "state_raw": [_STATES[s][1] for s in state_idx],
        "substance": rng.choice(["metallic", "non_metallic"], n, p=[0.85, 0.15]),
        "filed_on": _dates(rng, n, dt.date(1990, 1, 1), dt.date(2026, 10, 1)),
        "official_ha": [100.0 * len(c) for c in cells_of],
        "zone": zones, "datum": "WGS84",
    }, geometry=_as_multi(geoms), crs=4326)


# ------------------------------------------------------------------- water, consultations


def _water(rng: np.random.Generator, n: int) -> gpd.GeoDataFrame:
    x0, y0, x1, y1 = REGION
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    return gpd.GeoDataFrame({
        "id": [f"AG-{i:06d}" for i in range(n)],
        "name": [f"Ojo de agua ficticio {i}" for i in range(n)],
        "kind": rng.choice(["spring", "well", "lake", "wetland"], n, p=[0.7, 0.15, 0.1, 0.05]),
        "use": rng.choice(["human", "irrigation", "livestock", "mixed"], n),
        "sensitivity": rng.choice(["public", "network", "restricted"], n, p=[0.7, 0.2, 0.1]),
    }, geometry=np.asarray(pts, dtype=object).tolist(), crs=4326)


def _consultations(rng: np.random.Generator, n: int,
                   districts: list[tuple[int, float, float, float]],
                   concession_frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    stages = ["announced", "planning", "information", "internal_evaluation", "dialogue",
              "planning"]
    rows = []
    geoms = []
    for k in range(n):
        zone, cx, cy, _sigma = districts[k]
        area = shapely.buffer(shapely.Point(cx, cy), float(rng.uniform(12_000, 30_000)),
                              quad_segs=16)
        tr = _from_utm(zone)
        ring = np.asarray(area.exterior.coords)
        lon, lat = tr.transform(ring[:, 0], ring[:, 1])
        poly = shapely.Polygon(np.column_stack([lon, lat]))
        inside = concession_frame.sindex.query(poly, predicate="intersects")[:5]
        start = dt.date(2026, 12, 1) + dt.timedelta(days=int(rng.integers(0, 400)))
        rows.append({
            "id": f"CPN-{k:03d}", "name": f"Consulta previa ficticia {k}",
            "measure": "Concesión de beneficio / exploración (ficticia)",
            "promoter": f"MINERA FICTICIA {k} S.A.C.",
            "concession_codes": [str(c) for c in concession_frame["code"].iloc[inside]],
            "stage": stages[k % len(stages)], "start_date": start,
            "dialogue_date": start + dt.timedelta(days=60), "end_date": None,
        })
        geoms.append(MultiPolygon([poly]))
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=4326)


def generate(*, seed: int = SEED, n_communities: int = 10_000, n_concessions: int = 60_000,
             n_water: int = 50_000, n_consultations: int = 6, point_share: float = 0.10
             ) -> NationalData:
    """The national-scale layers (same seed, same data)."""
    rng = np.random.default_rng(seed)
    comms = _communities(rng, n_communities, point_share)
    districts = _districts(rng, max(40, n_concessions // 200))
    concs = _concessions(rng, n_concessions, districts)
    wat = _water(rng, n_water)
    cons = _consultations(rng, n_consultations, districts, concs)
    return NationalData(comms, concs, wat, cons, [(z, x, y) for z, x, y, _ in districts])


def new_filings(data: NationalData, n: int = 20, seed: int = SEED + 1) -> gpd.GeoDataFrame:
    """One day of filings: ``n`` new grid-aligned concessions in busy mining districts."""
    rng = np.random.default_rng(seed)
    districts = [(z, x, y, 8_000.0) for z, x, y in data.districts[:n]]
    frame = _concessions(rng, n, districts)
    frame["code"] = [f"09{k:07d}" for k in range(n)]
    frame["state"] = "in_process"
    frame["state_raw"] = "P"
    frame["filed_on"] = dt.date(2026, 11, 22)
    return frame


# ----------------------------------------------------------------------------- loading


def create_database(settings: Settings, name: str = BENCH_DB) -> Engine:
    """A fresh, migrated benchmark database in the private cluster (dropped first)."""
    cluster.up(settings)
    cluster.drop_database(settings, name)
    cluster.ensure_database(settings, name)
    engine = make_engine(settings, name)
    migrate.upgrade(engine)
    return engine


def scaled_arguments(description: str) -> argparse.ArgumentParser:
    """The options every scaled benchmark takes: --scale and --keep-db."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--keep-db", action="store_true")
    return ap


def stored_data_set(settings: Settings, name: str, scale: float) -> tuple[NationalData, Engine]:
    """The data set at `scale` (every count times it), loaded into a fresh database `name`."""
    started = time.perf_counter()
    data = generate(n_communities=int(10_000 * scale), n_concessions=int(60_000 * scale),
                    n_water=int(50_000 * scale))
    engine = create_database(settings, name)
    load(engine, data)
    print(f"data set {data.counts()} stored in {time.perf_counter() - started:.0f} s",
          flush=True)
    return data, engine


def store(conn: Connection, layer: str, frame: gpd.GeoDataFrame) -> int:
    """Write a canonical frame as new versions (COPY), like an import without a file."""
    spec = {"communities": communities.SPEC, "concessions": concessions.SPEC,
            "water": water.SPEC, "consultations": consultations.SPEC}[layer]
    counts = write_snapshot(conn, spec.table, spec.key, spec.to_rows(frame),
                            recorded_by="benchmark", batch_id=None, source=SOURCE,
                            close_missing=False)
    return len(counts.inserted) + len(counts.changed)


def load(engine: Engine, data: NationalData) -> dict[str, int]:
    """Store every layer in one transaction, then VACUUM ANALYZE."""
    stored: dict[str, int] = {}
    with engine.begin() as conn:
        for layer, frame in (("communities", data.communities),
                             ("concessions", data.concessions), ("water", data.water),
                             ("consultations", data.consultations)):
            stored[layer] = store(conn, layer, frame)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    return stored


def frame_summary(data: NationalData) -> pd.DataFrame:
    """Sizes (ha) of what was generated, for a sanity print."""
    poly = data.communities[data.communities.geom_type != "Point"]
    ha_c = geodesic_areas_ha(poly.geometry.values)
    ha_k = geodesic_areas_ha(data.concessions.geometry.values)
    return pd.DataFrame({
        "layer": ["communities", "concessions"],
        "n": [len(poly), len(ha_k)],
        "min_ha": [ha_c.min(), ha_k.min()], "median_ha": [np.median(ha_c), np.median(ha_k)],
        "max_ha": [ha_c.max(), ha_k.max()],
    })


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="fraction of the national size")
    ap.add_argument("--database", default=BENCH_DB)
    ap.add_argument("--no-load", action="store_true")
    args = ap.parse_args(argv)
    t = time.perf_counter()
    data = generate(n_communities=int(10_000 * args.scale),
                    n_concessions=int(60_000 * args.scale), n_water=int(50_000 * args.scale))
    print(f"generated {data.counts()} in {time.perf_counter() - t:.1f} s")
    print(frame_summary(data).to_string(index=False))
    if not args.no_load:
        t = time.perf_counter()
        engine = create_database(load_settings(), args.database)
        print(f"stored {load(engine, data)} in {args.database} in "
              f"{time.perf_counter() - t:.1f} s")
        engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
