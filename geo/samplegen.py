"""Deterministic generator of Allpa's bundled FICTIONAL sample data.

Everything written here is invented by this module (numpy ``default_rng(2106)``): a
Huancané-like province on the north shore of a fictional lake, 8 fictional districts,
~72 communities, ~260 INGEMMET-style mining concessions, ~190 water sources,
3 prior consultations and 3 community networks; ``geo.samplegen_bolivia`` adds the Bolivian
shore (33 communities of La Paz department) with its own random stream.  Only the rough
bounding box of the real province (W -70.09, S -15.54, E -69.12, N -14.76) is used; no real
geometry or attribute is copied.  Every file says so (``nota`` property / column,
``ficticio`` flag).

Geometry is built in UTM 19S (EPSG:32719, metres) and written in EPSG:4326 (GeoJSON,
RFC 7946 style, 6 decimals) except the concession shapefile, which stays in EPSG:32719 as
INGEMMET distributes it.  Output is byte-for-byte reproducible: no clock, no locale, fixed
zip timestamps and a fixed DBF header date.

``python -m geo.samplegen`` rewrites the repository's ``data/boundaries`` and ``data/sample``.
"""

from __future__ import annotations

import csv
import io
import math
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import LineString, MultiPoint, MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry
from shapely.ops import nearest_points, substring

from geo import samplegen_bolivia
from geo.sample_geometry import (
    add_years,
    iso,
    largest_polygon,
    maybe_bool,
    multipolygon,
    pick,
    poisson_points,
    rand_date,
    random_point_in,
    si_no,
    simplified_line,
    star_polygon,
    to_lonlat,
    to_utm,
    write_geojson,
)

SEED = 2106
#: Fixed "today" of the sample: every relative date (board terms, consultations, filings) is
#: chosen around it so the data never depends on the clock.
REFERENCE_DATE = date(2026, 12, 1)

UTM_CRS = "EPSG:32719"
#: Rough extent of the real province (only used as an envelope): W, S, E, N.
BBOX_LONLAT = (-70.09, -15.54, -69.12, -14.76)

NOTA_LIMITES = "Datos FICTICIOS generados por Allpa (geo.samplegen); no son límites oficiales"
NOTA_DATOS = (
    "Datos FICTICIOS generados por Allpa (geo.samplegen); no corresponden a comunidades, "
    "concesiones ni fuentes reales"
)
NOTA_SHP = "Datos FICTICIOS generados por Allpa (geo.samplegen); no son datos de INGEMMET"

PROVINCE_CODE = "2199"  # 21 = Puno, 99 = no real province: cannot be mistaken for a ubigeo
PROVINCE_NAME = "Huancané (ficticia)"
DEPARTMENT_NAME = "Puno"
LAKE_NAME = "Lago (ficticio)"

DISTRICT_NAMES = [
    "Qhapaq Marka",
    "Wila Qullu",
    "Jach'a Pampa",
    "Ch'ojña Uta",
    "Kunturi Jawira",
    "Sullka Uyu",
    "Phaxsi Pata",
    "Laq'a Qucha",
]

ROOTS = [
    "Q'ollpa", "Jach'a", "Wila", "Janq'u", "Ch'ojña", "Qhapaq", "Kunturi", "Phuju",
    "Laq'a", "Jisk'a", "Sullka", "T'ika", "Kallpa", "Wayra", "Phaxsi", "Inti", "Ch'iyara",
    "Uma", "Quri", "Qullqi", "Chaka", "Mallku", "Achachi", "Tunki", "Hatun", "Puka", "Yana",
    "Rumi", "Kimsa", "Ñuñu", "Waylla", "Pirwa",
]  # fmt: skip
SUFFIXES = [
    "Pampa", "Marka", "Jawira", "Qullu", "Uyu", "Kancha", "Pata", "Qhata", "Qucha",
    "Wasi", "Saya", "Apacheta", "K'uchu", "Moqo", "Ch'utu", "Phuju",
]  # fmt: skip

COMMUNITY_COLUMNS = [
    "codigo", "nombre", "tipo", "pais", "ubigeo", "estado_titulo", "fecha_titulo",
    "area_oficial_ha", "sensibilidad", "personeria", "oficina_registral", "partida",
    "fecha_inscripcion", "estatuto_aprobado", "estatuto_modificado", "clausula_territorio",
    "clausula_agua", "clausula_ambiente", "clausula_consulta", "clausula_mujeres",
    "junta_eleccion", "junta_fin_mandato", "junta_inscrita", "tramite", "tramite_etapa",
    "tramite_desde",
]  # fmt: skip

HOLDERS = [
    "COMPAÑÍA MINERA ÑUÑOA S.A.C. (ficticia)",
    "MINERA QORI WASI S.A.C. (ficticia)",
    "CORPORACIÓN AURÍFERA WILA QUCHA S.A. (ficticia)",
    "SOCIEDAD MINERA CH'IYARA QULLU E.I.R.L. (ficticia)",
    "EXPLORACIONES ANDINAS MALLKU S.A.C. (ficticia)",
    "MINERA JACH'A PAMPA S.R.L. (ficticia)",
    "CONSORCIO MINERO PHAXSI S.A.C. (ficticia)",
    "INVERSIONES MINERAS TUNKI S.A.C. (ficticia)",
    "COOPERATIVA MINERA KALLPA LTDA. (ficticia)",
    "AGREGADOS Y CANTERAS RUMI E.I.R.L. (ficticia)",
    "PERSONA NATURAL FICTICIA 01",
    "PERSONA NATURAL FICTICIA 02",
    "PERSONA NATURAL FICTICIA 03",
    "PERSONA NATURAL FICTICIA 04",
]
CLUSTER_HOLDERS = [1, 0, 2, 4, 3, 6]  # dominant holder (index into HOLDERS) of each cluster

# INGEMMET ESTADO code -> D_ESTADO text (empty text = only the code is informative)
ESTADO_TEXT = {
    "T": "TITULADO", "N": "TITULADO", "E": "TITULADO",
    "P": "EN TRAMITE", "D": "EN TRAMITE",
    "F": "EXTINGUIDO", "L": "EXTINGUIDO", "X": "EXTINGUIDO", "Y": "EXTINGUIDO",
    "A": "", "B": "",
}  # fmt: skip

_MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_DAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

Rng = np.random.Generator

_TO_LONLAT = Transformer.from_crs(UTM_CRS, "EPSG:4326", always_xy=True)
_TO_UTM = Transformer.from_crs("EPSG:4326", UTM_CRS, always_xy=True)


# --------------------------------------------------------------------------- helpers


def _js_date(d: date) -> str:
    """Date as JavaScript's Date.toString() prints it in Lima (what INGEMMET exports)."""
    return (
        f"{_DAYS_EN[d.weekday()]} {_MONTHS_EN[d.month - 1]} {d.day:02d} {d.year} "
        "00:00:00 GMT-0500 (hora estándar de Perú)"
    )


def _unique_names(rng: Rng, n: int, prefixes: tuple[str, ...] = ("",)) -> list[str]:
    combos = [
        f"{pre}{a} {b}".strip()
        for pre in prefixes
        for a in ROOTS
        for b in SUFFIXES
        if a != b and not (a.endswith(b) or b.endswith(a))
    ]
    idx = rng.permutation(len(combos))[:n]
    return [combos[int(i)] for i in idx]


# --------------------------------------------------------------------------- model


@dataclass
class District:
    code: str
    name: str
    geom: BaseGeometry  # UTM


@dataclass
class Community:
    code: str
    name: str
    kind: str
    seed: Point
    territory: Polygon | None  # UTM; None = point-only
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> Point:
        if self.territory is None:
            return self.seed
        return self.territory.representative_point()


@dataclass
class Concession:
    code: str
    name: str
    holder: str
    estado: str
    sustancia: str
    filed: date
    geom: BaseGeometry  # UTM, grid aligned
    fec_denu: str = ""
    d_estado: str = ""
    distri: str = ""
    carta: str = ""


@dataclass
class Water:
    id: str
    name: str
    kind: str
    use: str | None
    sensitivity: str
    geom: BaseGeometry  # UTM


@dataclass
class Sample:
    province: Polygon
    lake: Polygon
    districts: list[District]
    communities: list[Community]
    concessions: list[Concession]
    water: list[Water]
    consultations: list[dict[str, Any]]
    networks: list[dict[str, Any]]


# --------------------------------------------------------------------------- geography


def _bbox_utm() -> Polygon:
    w, s, e, n = BBOX_LONLAT
    ring = box(w, s, e, n).segmentize(0.01)
    return Polygon(shapely.get_coordinates(to_utm(ring)))


def _make_province(rng: Rng) -> tuple[Polygon, Polygon]:
    """Province polygon (lake removed) and the fictional lake, both in UTM."""
    cx, cy = _TO_UTM.transform(-69.60, -15.14)
    shape = star_polygon(
        rng,
        cx,
        cy,
        31_000.0,
        n=240,
        roughness=0.16,
        aspect=1.35,
        angle=math.radians(45),
        jitter=0.006,
    )
    envelope = _bbox_utm().buffer(-1500.0)
    shape = largest_polygon(shape.intersection(envelope))
    lake = star_polygon(
        rng,
        cx + 21_000.0,
        cy - 24_000.0,
        16_000.0,
        n=64,
        roughness=0.2,
        aspect=1.5,
        angle=math.radians(35),
    )
    lake = largest_polygon(lake.intersection(_bbox_utm().buffer(15_000.0)))
    province = largest_polygon(shapely.set_precision(shape.difference(lake), 0.01))
    return province, lake


def _make_districts(rng: Rng, province: Polygon) -> list[District]:
    seeds = poisson_points(rng, province.buffer(-4000.0), 8, 13_000.0)
    extent = province.envelope.buffer(20_000.0)
    cells: list[BaseGeometry] = []
    for _ in range(4):  # a few Lloyd iterations for compact districts
        vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=extent, ordered=True)
        cells = [c.intersection(province) for c in vor.geoms]
        seeds = [
            c.centroid if province.contains(c.centroid) else s
            for c, s in zip(cells, seeds, strict=True)
        ]
    vor = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=extent, ordered=True)
    cells = [c.intersection(province) for c in vor.geoms]
    order = sorted(range(8), key=lambda i: (-round(seeds[i].y, -3), seeds[i].x))
    return [
        District(f"{PROVINCE_CODE}{k + 1:02d}", DISTRICT_NAMES[k], cells[i])
        for k, i in enumerate(order)
    ]


def _district_of(districts: list[District], p: Point) -> District:
    for d in districts:
        if d.geom.contains(p):
            return d
    return min(districts, key=lambda d: d.geom.distance(p))


# --------------------------------------------------------------------------- communities


def _make_communities(
    rng: Rng, province: Polygon, districts: list[District]
) -> tuple[list[Community], list[tuple[str, str, float]]]:
    n = 72
    seeds = poisson_points(rng, province.buffer(-1500.0), n, 4200.0)
    seeds.sort(key=lambda p: (-round(p.y, -2), p.x))
    vor = shapely.voronoi_polygons(
        MultiPoint(seeds), extend_to=province.envelope.buffer(20_000.0), ordered=True
    )
    cells = [c.intersection(province) for c in vor.geoms]

    kinds = ["comunidad_campesina"] * 62 + ["asociacion"] * 8 + ["junta_vecinal"] * 2
    kinds = [kinds[int(i)] for i in rng.permutation(n)]
    # juntas vecinales never have a mapped territory; 13 more communities are point-only
    point_only = {i for i in range(n) if kinds[i] == "junta_vecinal"}
    for i in rng.permutation(n):
        if len(point_only) >= 15:
            break
        point_only.add(int(i))

    blobs: dict[int, Polygon] = {}
    territories: dict[int, Polygon] = {}
    for i in range(n):
        if i in point_only:
            continue
        target = float(np.clip(rng.lognormal(math.log(1900.0), 0.75), 350.0, 5600.0))
        base = star_polygon(
            rng,
            seeds[i].x,
            seeds[i].y,
            1.0,
            n=40,
            roughness=0.35,
            aspect=float(rng.uniform(1.0, 1.6)),
            angle=float(rng.uniform(0, math.pi)),
        )
        scale = math.sqrt(target * 1e4 / math.pi) * 1.1
        terr = Polygon()
        for _ in range(14):
            blob = affinity.scale(base, scale, scale, origin=seeds[i])
            terr = largest_polygon(blob.intersection(cells[i]), seeds[i])
            ha = terr.area / 1e4
            if 320.0 <= ha <= 5800.0 and abs(ha - target) / target < 0.25:
                break
            scale *= math.sqrt(target / max(ha, 1.0))
        blobs[i] = blob
        territories[i] = largest_polygon(
            terr.buffer(-10.0, join_style="mitre").simplify(2.0), seeds[i]
        )

    # boundary conflicts: ~4 pairs of neighbours whose titles overlap by a few to tens of ha
    pairs: list[tuple[int, int, float]] = []
    candidates = [
        (i, j)
        for i in sorted(territories)
        for j in sorted(territories)
        if i < j and cells[i].intersection(cells[j]).length > 1500.0
    ]
    used: set[int] = set()
    for k in rng.permutation(len(candidates)):
        if len(pairs) == 4:
            break
        i, j = candidates[int(k)]
        if i in used or j in used:
            continue
        edge = cells[i].intersection(cells[j])
        d = float(rng.uniform(80.0, 320.0))
        allowed = cells[i].union(cells[j].intersection(edge.buffer(d)))
        ext = largest_polygon(blobs[i].intersection(allowed), seeds[i])
        ext = largest_polygon(ext.buffer(-10.0, join_style="mitre").simplify(2.0), seeds[i])
        overlap = ext.intersection(territories[j]).area / 1e4
        if 3.0 <= overlap <= 60.0 and ext.area / 1e4 <= 6000.0:
            territories[i] = ext
            pairs.append((i, j, overlap))
            used.update((i, j))

    names = _unique_names(rng, n)
    communities: list[Community] = []
    for i in range(n):
        code = f"HF-{i + 1:03d}"
        kind = kinds[i]
        if kind == "comunidad_campesina":
            full = f"Comunidad Campesina {names[i]} (ficticia)"
        elif kind == "asociacion":
            full = f"Asociación de Productores {names[i]} (ficticia)"
        else:
            full = f"Junta Vecinal {names[i]} (ficticia)"
        communities.append(Community(code, full, kind, seeds[i], territories.get(i)))

    sens = ["publica"] * 65 + ["red"] * 5 + ["restringida"] * 2
    sens = [sens[int(i)] for i in rng.permutation(n)]
    conflict_with = {i: j for i, j, _ in pairs} | {j: i for i, j, _ in pairs}
    for i, c in enumerate(communities):
        c.props = _community_props(
            rng,
            c,
            _district_of(districts, c.location).code,
            sens[i],
            communities[conflict_with[i]].code if i in conflict_with else None,
        )
    overlap_pairs = [(communities[i].code, communities[j].code, ha) for i, j, ha in pairs]
    return communities, overlap_pairs


def _community_props(
    rng: Rng, c: Community, ubigeo: str, sensitivity: str, conflict: str | None
) -> dict[str, Any]:
    ref = REFERENCE_DATE
    if c.kind == "comunidad_campesina":
        title = pick(
            rng, ["titulada", "reconocida_sin_titulo", "no_reconocida"], [0.56, 0.3, 0.14]
        )
    else:
        title = "no_reconocida"
    if c.kind == "asociacion":
        legal = pick(rng, ["inscrita", "en_tramite", "ninguna"], [0.7, 0.2, 0.1])
    elif c.kind == "junta_vecinal":
        legal = pick(rng, ["en_tramite", "ninguna"], [0.5, 0.5])
    elif title == "titulada":
        legal = pick(rng, ["inscrita", "en_tramite", "ninguna"], [0.86, 0.1, 0.04])
    elif title == "reconocida_sin_titulo":
        legal = pick(rng, ["inscrita", "en_tramite", "ninguna"], [0.6, 0.3, 0.1])
    else:
        legal = pick(rng, ["en_tramite", "ninguna"], [0.5, 0.5])

    title_date = (
        rand_date(rng, date(1976, 1, 1), date(2016, 12, 31)) if title == "titulada" else None
    )
    gis_ha = c.territory.area / 1e4 if c.territory is not None else None
    official: float | None = None
    if title == "titulada" or (title == "reconocida_sin_titulo" and rng.uniform() < 0.3):
        if gis_ha is not None:
            spread = 0.15 if rng.uniform() < 0.25 else 0.03
            official = round(gis_ha * (1.0 + float(rng.normal(0.0, spread))), 2)
        else:
            official = round(float(np.clip(rng.lognormal(math.log(1800), 0.6), 300, 6000)), 2)

    office = partida = None
    reg_date = None
    if legal in ("inscrita", "en_tramite"):
        office = "Oficina Registral Juliaca (Zona Registral N.° XIII)"
    if legal == "inscrita":
        partida = f"9900{int(rng.integers(0, 10_000)):04d}"
        reg_date = rand_date(rng, date(1978, 1, 1), date(2024, 6, 30))

    adopted = modified = None
    clauses: list[bool | None] = [None] * 5
    if legal != "ninguna" and rng.uniform() < 0.8:
        adopted = rand_date(rng, date(1987, 1, 1), date(2022, 12, 31))
        if rng.uniform() < 0.4:
            modified = rand_date(rng, adopted + timedelta(days=365), date(2026, 6, 30))
        clauses = [
            maybe_bool(rng, p) for p in (0.75, 0.5, 0.35, 0.2, 0.3)
        ]  # territory, water, environment, consultation, women

    elected = term_end = None
    board_reg: bool | None = None
    if c.kind != "junta_vecinal" or rng.uniform() < 0.5:
        bucket = pick(rng, ["expired", "2027", "later", "unknown"], [0.3, 0.35, 0.25, 0.1])
        if bucket != "unknown":
            if bucket == "expired":
                term_end = rand_date(rng, date(2021, 3, 1), ref - timedelta(days=10))
            elif bucket == "2027":
                term_end = rand_date(rng, date(2027, 1, 1), date(2027, 12, 31))
            else:
                term_end = rand_date(rng, date(2028, 1, 1), date(2028, 11, 20))
            years = 3 if c.kind == "asociacion" else 2
            elected = add_years(term_end, -years) + timedelta(days=1)
            board_reg = maybe_bool(rng, 0.4 if bucket == "expired" else 0.7)

    what = stage = None
    since = None
    if conflict is not None:
        what = f"Deslinde con la comunidad colindante {conflict}"
    elif rng.uniform() < 0.4:
        if title == "no_reconocida" and c.kind == "comunidad_campesina":
            what = "Reconocimiento como comunidad campesina"
        elif legal != "inscrita" and c.kind != "junta_vecinal":
            what = "Inscripción de personería jurídica"
        elif title == "reconocida_sin_titulo":
            what = "Titulación del territorio comunal"
        else:
            what = pick(
                rng,
                [
                    "Rectificación de área y linderos",
                    "Inscripción de junta directiva",
                    "Adecuación del estatuto",
                    "Inscripción de junta directiva",
                ],
                [1, 1, 1, 1],
            )
    if what is not None:
        stage = pick(
            rng,
            [
                "Solicitud presentada",
                "Observado por registros",
                "Inspección de campo programada",
                "En calificación",
                "Resolución en proyecto",
            ],
            [3, 2, 2, 2, 1],
        )
        since = rand_date(rng, date(2019, 1, 1), ref - timedelta(days=30))

    return {
        "codigo": c.code,
        "nombre": c.name,
        "tipo": c.kind,
        "pais": "PE",
        "ubigeo": ubigeo,
        "estado_titulo": title,
        "fecha_titulo": iso(title_date),
        "area_oficial_ha": official,
        "sensibilidad": sensitivity,
        "personeria": legal,
        "oficina_registral": office,
        "partida": partida,
        "fecha_inscripcion": iso(reg_date),
        "estatuto_aprobado": iso(adopted),
        "estatuto_modificado": iso(modified),
        "clausula_territorio": si_no(clauses[0]),
        "clausula_agua": si_no(clauses[1]),
        "clausula_ambiente": si_no(clauses[2]),
        "clausula_consulta": si_no(clauses[3]),
        "clausula_mujeres": si_no(clauses[4]),
        "junta_eleccion": iso(elected),
        "junta_fin_mandato": iso(term_end),
        "junta_inscrita": si_no(board_reg),
        "tramite": what,
        "tramite_etapa": stage,
        "tramite_desde": iso(since),
    }


# --------------------------------------------------------------------------- concessions


def _grid_rect(x0: float, y0: float, w: float, h: float) -> Polygon:
    return box(x0, y0, x0 + w, y0 + h)


def _carta(p: Point) -> str:
    lon, lat = _TO_LONLAT.transform(p.x, p.y)
    row = int(-lat // 0.5) + 1
    col = "w" if lon < -70.0 else ("x" if lon < -69.5 else "y")
    return f"{row}-{col}"


# (columns, rows) of 1 km cells: petitions are mostly small, a few reach the 1,000 ha cap
_GRID_SHAPES = [
    (1, 1),
    (2, 1),
    (1, 2),
    (2, 2),
    (3, 1),
    (3, 2),
    (2, 3),
    (3, 3),
    (4, 2),
    (5, 2),
    (2, 5),
]
_GRID_WEIGHTS = [3.0, 3.0, 2.0, 3.0, 1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 0.5]


def _pick_index(rng: Rng, weights: list[float]) -> int:
    w = np.asarray(weights, dtype=float)
    return int(rng.choice(len(w), p=w / w.sum()))


def _make_concessions(
    rng: Rng, province: Polygon, districts: list[District]
) -> tuple[list[Concession], list[Point]]:
    inner = province.buffer(-3000.0)
    centres = poisson_points(rng, inner, len(CLUSTER_HOLDERS), 20_000.0)
    spreads = rng.uniform(2500.0, 4500.0, len(centres))
    shapely.prepare(province)
    minx, miny, maxx, maxy = province.bounds

    concessions: list[Concession] = []
    active: list[BaseGeometry] = []  # titled / in-process grid concessions: never overlap
    extinct: list[int] = []
    n_multi = 0
    target = 260
    categories = ["titled", "process", "extinct", "petition", "old", "quarry"]
    weights = [0.48, 0.15, 0.18, 0.08, 0.08, 0.03]
    for _ in range(40_000):
        if len(concessions) >= target:
            break
        cat = pick(rng, categories, weights)
        if cat == "petition" and not extinct:
            continue
        cluster = -1
        if rng.uniform() < 0.88:
            cluster = int(rng.integers(0, len(centres)))
            x = centres[cluster].x + rng.normal(0.0, spreads[cluster])
            y = centres[cluster].y + rng.normal(0.0, spreads[cluster])
        else:
            x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)

        geom: BaseGeometry
        if cat == "petition":
            base = concessions[extinct[int(rng.integers(0, len(extinct)))]].geom
            bx0, by0, bx1, by1 = base.bounds
            x = math.floor((bx0 + rng.uniform(-1500, max(bx1 - bx0 - 500, -1000))) / 1000) * 1000
            y = math.floor((by0 + rng.uniform(-1500, max(by1 - by0 - 500, -1000))) / 1000) * 1000
            w, h = int(rng.integers(1, 4)), int(rng.integers(1, 4))
            geom = _grid_rect(x, y, w * 1000.0, h * 1000.0)
            if geom.intersection(base).area < 1.0:
                continue
            if any(geom.intersection(a).area > 1.0 for a in active):
                continue
        elif cat == "old":
            w_m = float(rng.integers(6, 31)) * 100.0
            area = float(rng.uniform(150.0, 950.0)) * 1e4
            h_m = float(np.clip(round(area / w_m / 100.0) * 100.0, 500.0, 4000.0))
            geom = _grid_rect(math.floor(x / 100) * 100, math.floor(y / 100) * 100, w_m, h_m)
        elif cat == "quarry":
            geom = _grid_rect(math.floor(x / 1000) * 1000, math.floor(y / 1000) * 1000, 1000, 1000)
        else:
            x0, y0 = math.floor(x / 1000) * 1000, math.floor(y / 1000) * 1000
            shape_kind = pick(
                rng, ["rect", "L", "multi"], [0.82, 0.15, 0.03 if n_multi < 2 else 0]
            )
            w, h = _GRID_SHAPES[_pick_index(rng, _GRID_WEIGHTS)]
            geom = _grid_rect(x0, y0, w * 1000.0, h * 1000.0)
            if shape_kind == "L" and w * h <= 6:
                ew, eh = int(rng.integers(1, 3)), int(rng.integers(1, 3))
                geom = geom.union(_grid_rect(x0 + w * 1000.0, y0, ew * 1000.0, eh * 1000.0))
            elif shape_kind == "multi":
                gap = float(rng.integers(1, 3)) * 1000.0
                geom = MultiPolygon(
                    [
                        _grid_rect(x0, y0, 2000.0, 1000.0),
                        _grid_rect(x0 + 2000.0 + gap, y0 + 1000.0, 2000.0, 2000.0),
                    ]
                )
        ha = geom.area / 1e4
        if not (100.0 - 1e-6 <= ha <= 1000.0 + 1e-6) or not province.contains(geom):
            continue
        is_active = cat in ("titled", "process", "quarry")
        # titled / in-process grid rights never overlap each other; extinguished rights and
        # old claims only sometimes overlap anything; petitions always overlap an extinct one
        exclusive = is_active or (cat in ("extinct", "old") and rng.uniform() < 0.85)
        others = active if is_active else [k.geom for k in concessions]
        if exclusive and any(geom.intersection(a).area > 1.0 for a in others):
            continue
        if isinstance(geom, MultiPolygon):
            n_multi += 1

        # attributes
        if cluster >= 0 and rng.uniform() < 0.6:
            holder = HOLDERS[CLUSTER_HOLDERS[cluster]]
        else:
            holder = HOLDERS[int(rng.integers(0, len(HOLDERS)))]
        if cat == "titled":
            estado = pick(rng, ["T", "N", "E"], [0.85, 0.08, 0.07])
            filed = rand_date(rng, date(1992, 1, 1), date(2018, 12, 31))
        elif cat == "process":
            estado = pick(rng, ["P", "D"], [0.8, 0.2])
            filed = rand_date(rng, date(2019, 1, 1), REFERENCE_DATE - timedelta(days=20))
        elif cat == "extinct":
            estado = pick(rng, ["F", "L", "X", "Y"], [0.4, 0.2, 0.3, 0.1])
            filed = rand_date(rng, date(1995, 1, 1), date(2020, 12, 31))
        elif cat == "petition":
            estado = "P"
            filed = rand_date(rng, date(2021, 1, 1), REFERENCE_DATE - timedelta(days=20))
        elif cat == "old":
            estado = "T"
            filed = rand_date(rng, date(1972, 1, 1), date(1991, 12, 31))
        else:
            estado = pick(rng, ["A", "B"], [0.85, 0.15])
            holder = HOLDERS[9] if rng.uniform() < 0.6 else holder
            filed = rand_date(rng, date(2005, 1, 1), date(2024, 12, 31))
        sustancia = "N" if cat == "quarry" or rng.uniform() < 0.06 else "M"
        seq = len(concessions) * 311 + int(rng.integers(0, 300)) + 1000
        code = f"01{seq % 100000:05d}{filed.year % 100:02d}"
        name = _concession_name(rng, filed.year)
        c = Concession(code, name, holder, estado, sustancia, filed, geom)
        fmt = float(rng.uniform())
        if fmt < 0.45:
            c.fec_denu = _js_date(filed)
        elif fmt < 0.8:
            c.fec_denu = filed.isoformat()
        else:
            c.fec_denu = filed.strftime("%d/%m/%Y")
        c.d_estado = ESTADO_TEXT[estado] if rng.uniform() > 0.08 else ""
        rep = geom.representative_point()
        c.distri = _district_of(districts, rep).name.upper()
        c.carta = _carta(rep)
        concessions.append(c)
        if is_active or cat == "petition" or (cat == "old" and exclusive):
            active.append(geom)
        if cat == "extinct":
            extinct.append(len(concessions) - 1)
    if len(concessions) < target:
        raise RuntimeError(f"only {len(concessions)} concessions placed")
    return concessions, centres


def _concession_name(rng: Rng, year: int) -> str:
    a = ROOTS[int(rng.integers(0, len(ROOTS)))].upper()
    b = SUFFIXES[int(rng.integers(0, len(SUFFIXES)))].upper()
    style = int(rng.integers(0, 5))
    if style == 0:
        return f"{a} {b} {int(rng.integers(1, 12))}"
    if style == 1:
        return f"ACUMULACIÓN {a} {b}"
    if style == 2:
        return f"SAN ANTONIO DE {a} {b}"
    if style == 3:
        return f"{a} {b} {year}"
    return f"{a} {b}"


# --------------------------------------------------------------------------- water


def _flow(
    rng: Rng,
    start: Point,
    target: Any,
    step: float,
    max_steps: int,
    inside: BaseGeometry,
    stop: Any,
) -> list[tuple[float, float]] | None:
    """March from ``start`` towards ``target(p)`` with a meander; stop when ``stop(p)``."""
    pts = [(start.x, start.y)]
    dev = 0.0
    p = start
    for _ in range(max_steps):
        tx, ty = target(p)
        heading = math.atan2(ty - p.y, tx - p.x)
        dev = float(np.clip(0.8 * dev + rng.normal(0.0, 0.35), -1.1, 1.1))
        p = Point(p.x + step * math.cos(heading + dev), p.y + step * math.sin(heading + dev))
        pts.append((round(p.x, 1), round(p.y, 1)))
        end = stop(p)
        if end is not None:
            pts[-1] = end
            return pts
        if not inside.contains(p):
            return None
    return None


def _make_water(
    rng: Rng,
    province: Polygon,
    lake: Polygon,
    communities: list[Community],
    concessions: list[Concession],
) -> list[Water]:
    water: list[Water] = []
    names = iter(_unique_names(rng, 300))
    shapely.prepare(province)
    near_lake = lake.buffer(8000.0)

    def add(kind: str, label: str, geom: BaseGeometry, use: str | None, sens: str) -> None:
        water.append(
            Water(
                f"AG-{len(water) + 1:03d}",
                f"{label} {next(names)} (ficticio)",
                kind,
                use,
                sens,
                geom,
            )
        )

    add("lake", "Lago", lake, "mixed", "public")
    water[-1].name = LAKE_NAME

    # rivers: from the uplands down to the lake shore
    rivers: list[LineString] = []
    upland = province.difference(lake.buffer(30_000.0))
    shore = province.boundary.intersection(lake.buffer(1.0))
    shore_mid = shore.interpolate(0.5, normalized=True)

    def to_lake(p: Point) -> tuple[float, float]:
        q = nearest_points(shore, p)[0]
        return (0.5 * q.x + 0.5 * shore_mid.x, 0.5 * q.y + 0.5 * shore_mid.y)

    def at_lake(p: Point) -> tuple[float, float] | None:
        if lake.distance(p) < 400.0:
            q = nearest_points(shore, p)[0]
            return (round(q.x, 1), round(q.y, 1))
        return None

    for _ in range(5000):
        if len(rivers) == 6:
            break
        s = random_point_in(rng, upland)
        if s is None or any(r.distance(s) < 9000.0 for r in rivers):
            continue
        pts = _flow(rng, s, to_lake, 700.0, 200, province.buffer(1.0), at_lake)
        if pts is None:
            continue
        line = simplified_line(pts, 40.0)
        if not line.is_simple:
            continue
        hits = [Point(xy) for r in rivers for xy in shapely.get_coordinates(line.intersection(r))]
        if hits:  # joins an earlier river: stop at the confluence
            cut = min(line.project(h) for h in hits)
            if cut < 15_000.0:
                continue
            line = LineString(shapely.get_coordinates(substring(line, 0.0, cut)))
        rivers.append(line)
        add("river", "Río", line, "mixed", "public")
    if len(rivers) < 6:
        raise RuntimeError("could not route the rivers")
    river_net = shapely.union_all(rivers)

    # streams: tributaries of the rivers, some born at a spring
    streams: list[LineString] = []
    stream_heads: list[Point] = []
    for _ in range(20_000):
        if len(streams) == 30:
            break
        s = random_point_in(rng, province)
        if s is None or not (2500.0 <= river_net.distance(s) <= 11_000.0):
            continue
        if near_lake.contains(s) or any(t.distance(s) < 2500.0 for t in streams):
            continue

        def to_river(p: Point) -> tuple[float, float]:
            q = nearest_points(river_net, p)[0]
            return (q.x, q.y)

        def at_river(p: Point) -> tuple[float, float] | None:
            if river_net.distance(p) < 300.0:
                q = nearest_points(river_net, p)[0]
                return (round(q.x, 1), round(q.y, 1))
            return None

        pts = _flow(rng, s, to_river, 300.0, 60, province, at_river)
        if pts is None or len(pts) < 6:
            continue
        line = simplified_line(pts, 20.0)
        if not line.is_simple:
            continue
        streams.append(line)
        stream_heads.append(s)
        use = pick(rng, ["irrigation", "livestock", "mixed"], [0.4, 0.3, 0.3])
        add("stream", "Riachuelo", line, use, "public")

    # lagunas and bofedales (polygons, no overlaps)
    polys: list[BaseGeometry] = [w.geom for w in water if w.kind in ("river", "stream")]
    n_laguna = 0
    for _ in range(20_000):
        if n_laguna == 10:
            break
        c = random_point_in(rng, province.difference(lake.buffer(6000.0)))
        if c is None:
            continue
        ha = float(rng.uniform(5.0, 120.0))
        g = star_polygon(rng, c.x, c.y, math.sqrt(ha * 1e4 / math.pi), n=24, roughness=0.2)
        if not province.contains(g) or any(g.distance(p) < 300.0 for p in polys):
            continue
        polys.append(g)
        n_laguna += 1
        add("lake", "Laguna", g, pick(rng, ["livestock", "mixed"], [0.5, 0.5]), "public")
    n_bof = 0
    all_lines = rivers + streams
    for _ in range(20_000):
        if n_bof == 25:
            break
        if rng.uniform() < 0.6:
            line = all_lines[int(rng.integers(0, len(all_lines)))]
            c = line.interpolate(float(rng.uniform(0.1, 0.7)), normalized=True)
        else:
            c0 = random_point_in(rng, province)
            if c0 is None:
                continue
            c = c0
        if lake.distance(c) < 8000.0:
            continue
        ha = float(rng.uniform(10.0, 300.0))
        g = star_polygon(
            rng,
            c.x,
            c.y,
            math.sqrt(ha * 1e4 / math.pi),
            n=28,
            roughness=0.3,
            aspect=float(rng.uniform(1.4, 2.4)),
            angle=float(rng.uniform(0, math.pi)),
        )
        others = [p for p in polys if p.geom_type == "Polygon"]
        if not province.contains(g) or any(g.intersects(p) for p in others):
            continue
        polys.append(g)
        n_bof += 1
        sens = "network" if rng.uniform() < 0.1 else "public"
        add("wetland", "Bofedal", g, "livestock", sens)

    # springs: sources of some streams, some inside community + concession, the rest scattered
    springs: list[Point] = [stream_heads[int(i)] for i in rng.permutation(30)[:15]]
    conflict_zones = []
    for com in communities:
        if com.territory is None:
            continue
        for k in concessions:
            if ESTADO_TEXT[k.estado] == "EXTINGUIDO":
                continue
            inter = com.territory.intersection(k.geom)
            if inter.area > 20e4:
                conflict_zones.append(inter)
    for k in rng.permutation(len(conflict_zones))[:10]:
        p = random_point_in(rng, conflict_zones[int(k)])
        if p is not None:
            springs.append(p)
    for _ in range(20_000):
        if len(springs) >= 110:
            break
        p = random_point_in(rng, province)
        if p is not None and all(p.distance(q) > 700.0 for q in springs):
            springs.append(p)
    springs = springs[:110]
    spring_sens = ["restricted"] * 6 + ["network"] * 10 + ["public"] * 94
    spring_sens = [spring_sens[int(i)] for i in rng.permutation(110)]
    for p, sens in zip(springs, spring_sens, strict=True):
        use = pick(
            rng, ["human", "livestock", "irrigation", "mixed", "none"], [0.35, 0.2, 0.15, 0.2, 0.1]
        )
        label = "Manantial sagrado" if sens == "restricted" else "Manantial"
        add(
            "spring",
            label,
            Point(round(p.x, 1), round(p.y, 1)),
            None if use == "none" else use,
            sens,
        )

    # wells next to villages, canals taking water off the rivers
    village = [c for c in communities if c.territory is not None]
    for k in rng.permutation(len(village))[:5]:
        s = village[int(k)].location
        p = Point(round(s.x + rng.uniform(-300, 300), 1), round(s.y + rng.uniform(-300, 300), 1))
        add("well", "Pozo", p, "human", "public")
    n_canal = 0
    for _ in range(20_000):
        if n_canal == 4:
            break
        r = rivers[int(rng.integers(0, len(rivers)))]
        f = float(rng.uniform(0.35, 0.85))
        a = r.interpolate(f, normalized=True)
        b = r.interpolate(min(f + 0.01, 1.0), normalized=True)
        heading = math.atan2(b.y - a.y, b.x - a.x) + (math.pi / 2) * (
            1 if rng.uniform() < 0.5 else -1
        )
        pts = [(round(a.x, 1), round(a.y, 1))]
        length = float(rng.uniform(2000.0, 6000.0))
        steps = int(length // 400)
        x, y = a.x, a.y
        for _ in range(steps):
            heading += float(rng.normal(0.0, 0.15))
            x, y = x + 400.0 * math.cos(heading), y + 400.0 * math.sin(heading)
            pts.append((round(x, 1), round(y, 1)))
        line = LineString(pts)
        if not province.contains(line) or not line.is_simple:
            continue
        n_canal += 1
        add("canal", "Canal", line, "irrigation", "public")
    return water


# ------------------------------------------------------------------- consultations / networks


def _make_consultations(
    rng: Rng, province: Polygon, concessions: list[Concession], centres: list[Point]
) -> list[dict[str, Any]]:
    specs = [
        (
            "CP-001",
            "Consulta previa Proyecto minero Qori Wasi (ficticio)",
            "Autorización de inicio de actividades de exploración minera (ficticia)",
            0,
            "announced",
            date(2027, 3, 1),
            date(2027, 5, 17),
            date(2027, 7, 30),
        ),
        (
            "CP-002",
            "Consulta previa Proyecto minero Wila Qucha (ficticio)",
            "Aprobación del estudio de impacto ambiental semidetallado (ficticio)",
            2,
            "announced",
            date(2027, 9, 15),
            date(2027, 12, 1),
            date(2028, 2, 29),
        ),
        (
            "CP-003",
            "Consulta previa Proyecto Ñuñu Qullu (ficticio)",
            "Otorgamiento de concesión de beneficio (ficticia)",
            1,
            "closed",
            date(2024, 10, 1),
            date(2025, 3, 12),
            date(2025, 6, 30),
        ),
    ]
    out = []
    for cid, name, measure, cluster, stage, start, dialogue, end in specs:
        holder = HOLDERS[CLUSTER_HOLDERS[cluster]]
        centre = centres[cluster]
        own = [
            k for k in concessions if k.holder == holder and k.estado in ("T", "N", "E", "P", "D")
        ]
        own.sort(key=lambda k: k.geom.distance(centre))
        chosen = own[: int(rng.integers(3, 6))]
        if len(chosen) < 2:
            raise RuntimeError(f"not enough concessions for {cid}")
        buffered = shapely.union_all([k.geom for k in chosen]).buffer(3000.0, quad_segs=4)
        area = buffered.intersection(province).simplify(50.0)
        out.append(
            {
                "id": cid,
                "name": name,
                "measure": measure,
                "promoter": holder,
                "concession_codes": ";".join(sorted(k.code for k in chosen)),
                "stage": stage,
                "start_date": start.isoformat(),
                "dialogue_date": dialogue.isoformat(),
                "end_date": end.isoformat(),
                "geometry": multipolygon(area),
            }
        )
    return out


def _make_networks(rng: Rng, communities: list[Community]) -> list[dict[str, Any]]:
    codes = [c.code for c in communities]
    specs = [
        (
            "RED-01",
            "Red de comunidades de la cuenca (ficticia)",
            "Red amplia de defensa territorial e hídrica de la cuenca (ficticia)",
            50,
        ),
        (
            "RED-02",
            "Red de mujeres lideresas (ficticia)",
            "Lideresas comunales que acompañan trámites de titulación (ficticia)",
            16,
        ),
        (
            "RED-03",
            "Comité de regantes del río alto (ficticio)",
            "Comunidades usuarias de manantiales y canales de la parte alta (ficticio)",
            12,
        ),
    ]
    out = []
    for nid, name, desc, n in specs:
        members = sorted(codes[int(i)] for i in rng.permutation(len(codes))[:n])
        out.append({"id": nid, "nombre": name, "descripcion": desc, "miembros": ";".join(members)})
    return out


# --------------------------------------------------------------------------- assembly / writers


def build_sample(seed: int = SEED) -> Sample:
    """Generate the whole fictional sample in memory (UTM 19S geometries)."""
    rng = np.random.default_rng(seed)
    province, lake = _make_province(rng)
    districts = _make_districts(rng, province)
    communities, _pairs = _make_communities(rng, province, districts)
    concessions, centres = _make_concessions(rng, province, districts)
    water = _make_water(rng, province, lake, communities, concessions)
    consultations = _make_consultations(rng, province, concessions, centres)
    networks = _make_networks(rng, communities)
    return Sample(
        province, lake, districts, communities, concessions, water, consultations, networks
    )


def _write_boundaries(sample: Sample, out_dir: Path) -> tuple[Path, Path]:
    feats: list[tuple[dict[str, Any], BaseGeometry]] = []
    geoms = []
    for d in sample.districts:
        g = to_lonlat(d.geom)
        geoms.append(g)
        props = {
            "ubigeo": d.code,
            "nombre_distrito": d.name,
            "nombre_provincia": PROVINCE_NAME,
            "nombre_departamento": DEPARTMENT_NAME,
            "capital": d.name,
            "ficticio": True,
            "nota": NOTA_LIMITES,
        }
        feats.append((props, multipolygon(g)))
    dist_path = out_dir / "huancane_ficticio_distritos.geojson"
    write_geojson(dist_path, "huancane_ficticio_distritos", NOTA_LIMITES, feats)
    prov = shapely.orient_polygons(
        shapely.set_precision(shapely.union_all(geoms), 1e-6), exterior_cw=False
    )
    prov_props = {
        "ubigeo": PROVINCE_CODE,
        "nombre_provincia": PROVINCE_NAME,
        "nombre_departamento": DEPARTMENT_NAME,
        "ficticio": True,
        "nota": NOTA_LIMITES,
    }
    prov_path = out_dir / "huancane_ficticio_provincia.geojson"
    write_geojson(
        prov_path, "huancane_ficticio_provincia", NOTA_LIMITES, [(prov_props, multipolygon(prov))]
    )
    return dist_path, prov_path


def _write_communities(sample: Sample, out_dir: Path) -> tuple[Path, Path]:
    feats: list[tuple[dict[str, Any], BaseGeometry]] = []
    rows: list[list[str]] = []
    for c in sample.communities:
        geom = to_lonlat(c.territory if c.territory is not None else c.seed)
        props = dict(c.props)
        props["nota"] = NOTA_DATOS
        feats.append((props, geom))
        row = []
        for col in COMMUNITY_COLUMNS:
            v = c.props[col]
            row.append("" if v is None else (f"{v:.2f}" if isinstance(v, float) else str(v)))
        row.append(shapely.to_wkt(geom, rounding_precision=6, trim=True))
        row.append(NOTA_DATOS)
        rows.append(row)
    gj = out_dir / "comunidades.geojson"
    write_geojson(gj, "comunidades", NOTA_DATOS, feats)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*COMMUNITY_COLUMNS, "wkt", "nota"])
    w.writerows(rows)
    csv_path = out_dir / "comunidades.csv"
    csv_path.write_text(buf.getvalue(), encoding="utf-8")
    return gj, csv_path


def _write_concessions(sample: Sample, out_dir: Path) -> Path:
    records = []
    for k in sample.concessions:
        records.append(
            {
                "CODIGOU": k.code,
                "CONCESION": k.name,
                "TIT_CONCES": k.holder,
                "D_ESTADO": k.d_estado,
                "ESTADO": k.estado,
                "SUSTANCIA": k.sustancia,
                "HECTAGIS": round(k.geom.area / 1e4, 4),
                "FEC_DENU": k.fec_denu,
                "ZONA": 19,
                "CARTA": k.carta,
                "DEPA": "PUNO",
                "PROVI": PROVINCE_NAME.upper(),
                "DISTRI": k.distri,
                "NOTA": NOTA_SHP,
            }
        )
    gdf = gpd.GeoDataFrame(records, geometry=[k.geom for k in sample.concessions], crs=UTM_CRS)
    gdf["ZONA"] = gdf["ZONA"].astype("int32")
    stem = "concesiones_ingemmet_19s"
    zip_path = out_dir / f"{stem}.zip"
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{stem}.shp"
        gdf.to_file(
            shp,
            driver="ESRI Shapefile",
            engine="pyogrio",
            encoding="ISO-8859-1",
            layer_options={"RESIZE": "YES"},
        )
        dbf = shp.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        # DBF header bytes 1-3 hold the "last update" date: pin it for reproducibility
        raw[1:4] = bytes([REFERENCE_DATE.year - 1900, REFERENCE_DATE.month, REFERENCE_DATE.day])
        dbf.write_bytes(bytes(raw))
        shp.with_suffix(".cpg").write_bytes(b"ISO-8859-1")
        stamp = (REFERENCE_DATE.year, REFERENCE_DATE.month, REFERENCE_DATE.day, 0, 0, 0)
        with zipfile.ZipFile(zip_path, "w") as zf:
            for ext in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                info = zipfile.ZipInfo(f"{stem}{ext}", date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.create_system = 3
                info.external_attr = 0o644 << 16
                zf.writestr(info, shp.with_suffix(ext).read_bytes(), compresslevel=9)
    return zip_path


def _write_water(sample: Sample, out_dir: Path) -> Path:
    feats = [
        (
            {
                "id": w.id,
                "name": w.name,
                "kind": w.kind,
                "use": w.use,
                "sensitivity": w.sensitivity,
                "nota": NOTA_DATOS,
            },
            to_lonlat(w.geom),
        )
        for w in sample.water
    ]
    path = out_dir / "fuentes_agua.geojson"
    write_geojson(path, "fuentes_agua", NOTA_DATOS, feats)
    return path


def _write_consultations(sample: Sample, out_dir: Path) -> Path:
    feats = []
    for c in sample.consultations:
        props = {k: v for k, v in c.items() if k != "geometry"}
        props["nota"] = NOTA_DATOS
        feats.append((props, multipolygon(to_lonlat(c["geometry"]))))
    path = out_dir / "consultas.geojson"
    write_geojson(path, "consultas", NOTA_DATOS, feats)
    return path


def _write_networks(sample: Sample, out_dir: Path) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "nombre", "descripcion", "miembros", "nota"])
    for n in sample.networks:
        w.writerow([n["id"], n["nombre"], n["descripcion"], n["miembros"], NOTA_DATOS])
    path = out_dir / "redes.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def write_sample(out_root: Path) -> dict[str, Path]:
    """Write the fictional sample under ``out_root/boundaries`` and ``out_root/sample``."""
    sample = build_sample()
    bdir = out_root / "boundaries"
    sdir = out_root / "sample"
    bdir.mkdir(parents=True, exist_ok=True)
    sdir.mkdir(parents=True, exist_ok=True)
    districts, province = _write_boundaries(sample, bdir)
    com_gj, com_csv = _write_communities(sample, sdir)
    return samplegen_bolivia.write_sample(sdir) | {
        "distritos": districts,
        "provincia": province,
        "comunidades": com_gj,
        "comunidades_csv": com_csv,
        "concesiones": _write_concessions(sample, sdir),
        "fuentes_agua": _write_water(sample, sdir),
        "consultas": _write_consultations(sample, sdir),
        "redes": _write_networks(sample, sdir),
    }


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent / "data"
    for key, path in write_sample(root).items():
        print(f"{key:16s} {path.relative_to(root.parent)}  {path.stat().st_size:>9,d} bytes")
