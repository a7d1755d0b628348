"""Deterministic generator of the Bolivian part of Allpa's FICTIONAL sample.

The Bolivian shore of the lake (department of La Paz: provinces Omasuyos, Camacho, Los Andes
and Manco Kapac) with invented ayllus, comunidades originarias, OTBs (organizaciones
territoriales de base) and one TIOC claim under INRA saneamiento; invented AJAM-style mining
rights on the 25 ha cuadrícula grid, water sources, one prior consultation (Ley 535,
arts. 207-216) and two networks. Written by ``geo.samplegen.write_sample`` next to the
Peruvian files, with its own random stream (``default_rng(SEED)``) so the Peruvian sample
stays as it was.

Only rounded positions of fictional community centres are fixed here (hand-picked on land,
2.9-15 km inland from the real shoreline, inside the municipality whose real INE code they
carry); no real geometry or attribute is copied. Every file says FICTICIOS.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from geo.sample_geometry import (
    Rng,
    add_years,
    iso,
    lonlat_to_utm,
    multipolygon,
    rand_date,
    random_point_in,
    si_no,
    star_polygon,
    to_lonlat,
    write_geojson,
)

SEED = 2002  # 02 = La Paz
REFERENCE_DATE = date(2026, 12, 1)  # the same fixed "today" as geo.samplegen

NOTA = (
    "Datos FICTICIOS generados por Allpa (geo.samplegen_bolivia); no corresponden a "
    "comunidades, derechos mineros, fuentes ni consultas reales"
)
NOTA_AJAM = "Datos FICTICIOS generados por Allpa (geo.samplegen_bolivia); no son datos de la AJAM"

#: Real INE municipal codes (public) -> (municipality, province); the communities are fictional.
MUNICIPALITIES = {
    "020201": ("Achacachi", "Omasuyos"),
    "020202": ("Ancoraimes", "Omasuyos"),
    "020203": ("Huarina", "Omasuyos"),
    "020204": ("Santiago de Huata", "Omasuyos"),
    "020206": ("Chua Cocani", "Omasuyos"),
    "020402": ("Mocomoco", "Camacho"),
    "020403": ("Puerto Carabuco", "Camacho"),
    "020405": ("Escoma", "Camacho"),
    "021201": ("Pucarani", "Los Andes"),
    "021203": ("Batallas", "Los Andes"),
    "021701": ("Copacabana", "Manco Kapac"),
}

GOBERNACION = "Gobernación del Departamento de La Paz – personalidades jurídicas (ficticio)"

#: (municipality, lon, lat, kind, mean radius in m; 0 = point only, no mapped territory)
SITES: tuple[tuple[str, float, float, str, float], ...] = (
    ("020405", -69.153, -15.659, "ayllu", 1100.0),
    ("020405", -69.162, -15.614, "comunidad_campesina", 1500.0),
    ("020403", -69.023, -15.780, "comunidad_campesina", 1100.0),
    ("020403", -69.060, -15.725, "ayllu", 1100.0),
    ("020403", -69.088, -15.689, "comunidad_campesina", 1150.0),
    ("020402", -69.068, -15.636, "comunidad_campesina", 1600.0),
    ("020202", -68.834, -15.899, "ayllu", 1100.0),
    ("020202", -68.880, -15.908, "comunidad_campesina", 1100.0),
    ("020202", -68.927, -15.872, "ayllu", 1100.0),
    ("020201", -68.708, -15.927, "ayllu", 1100.0),
    ("020201", -68.726, -16.036, "comunidad_campesina", 1100.0),
    ("020201", -68.698, -15.973, "ayllu", 1100.0),
    ("020201", -68.682, -15.973, "comunidad_campesina", 1000.0),  # overlaps its neighbour
    ("020201", -68.754, -15.900, "comunidad_campesina", 1200.0),
    ("020201", -68.763, -16.063, "ayllu", 1200.0),
    ("020204", -68.849, -16.102, "comunidad_campesina", 1100.0),
    ("020204", -68.803, -16.065, "comunidad_campesina", 1100.0),
    ("020203", -68.646, -16.177, "comunidad_campesina", 1100.0),
    ("020203", -68.571, -16.195, "ayllu", 1100.0),
    ("020206", -68.759, -16.159, "comunidad_campesina", 1100.0),
    ("021203", -68.542, -16.281, "comunidad_campesina", 1100.0),
    ("021203", -68.542, -16.235, "comunidad_campesina", 1200.0),
    ("021201", -68.648, -16.395, "comunidad_campesina", 1100.0),
    ("021201", -68.695, -16.459, "ayllu", 1100.0),
    ("021701", -69.025, -16.140, "comunidad_campesina", 1100.0),
    ("021701", -69.062, -16.177, "comunidad_campesina", 1100.0),
    ("020201", -68.720, -15.850, "tioc", 3000.0),
    ("020403", -69.000, -15.740, "comunidad_campesina", 0.0),  # not georeferenced
    ("020201", -68.684, -16.047, "junta_vecinal", 0.0),
    ("020201", -68.690, -16.053, "junta_vecinal", 0.0),
    ("020405", -69.128, -15.662, "junta_vecinal", 0.0),
    ("021701", -69.080, -16.163, "junta_vecinal", 0.0),
    ("021201", -68.476, -16.398, "junta_vecinal", 0.0),
)
OVERLAP_PAIR = (11, 12)  # indices into SITES: a boundary conflict between two neighbours

NAMES = (
    "Jach'a Qullu", "Wila Jawira", "Ch'ua Pampa", "Kusi Marka", "Phaxsi Uta", "Janq'u Qala",
    "Qhana Pata", "Sayt'u Uyu", "Khunu Qullu", "Jisk'a Marka", "Tunupa Pampa", "Saxsa Uma",
    "Ch'iar Qala", "Inti Wasi", "Achachila Pata", "Uma Jalsu", "Kimsa Chata", "Wayna Pampa",
    "Suma Qamaña", "Pachamama Uyu", "Qhapaq Uta", "T'ula Pampa", "Ch'alla Marka", "Warawara",
    "Jathun Ayllu", "Quta Pata",
)  # fmt: skip
OTB_NAMES = ("Barrio Central", "Villa Esperanza", "Villa Lago", "Barrio Kasani", "Villa Andina")
TIOC_NAME = "TIOC Marka Jach'a Omasuyos (ficticio, reclamo en saneamiento)"

HOLDERS = (
    "COOPERATIVA MINERA AURÍFERA WILA QULLU LTDA. (ficticia)",
    "COOPERATIVA MINERA PHAXSI JAWIRA LTDA. (ficticia)",
    "EMPRESA MINERA ACHACHILA S.R.L. (ficticia)",
    "SOCIEDAD MINERA JATHUN QULLU S.A. (ficticia)",
)
#: AJAM wording of each state (the AJAM cadastre speaks of ATE and contratos administrativos)
AJAM_STATE = {
    "titled": "Contrato administrativo minero vigente (ex ATE)",
    "in_process": "Solicitud de contrato administrativo minero en trámite",
    "extinguished": "Derecho extinguido (caducidad)",
}
CUADRICULA_M = 500.0  # one cuadrícula = 500 m x 500 m = 25 ha

#: (site index, east km, north km, columns, rows of cuadrículas, state, holder, substance)
CONCESSIONS = (
    (3, 0.4, -0.6, 4, 3, "titled", 0, "M"),
    (5, 0.6, 0.2, 5, 4, "in_process", 0, "M"),
    (2, 1.2, 0.4, 3, 3, "titled", 1, "M"),
    (6, 0.5, 0.6, 4, 4, "in_process", 1, "M"),
    (13, -0.2, 0.8, 6, 3, "in_process", 1, "M"),
    (26, 1.0, 1.0, 8, 6, "titled", 2, "M"),
    (26, -2.6, -1.8, 4, 4, "in_process", 2, "M"),
    (9, 0.8, -0.4, 3, 4, "titled", 3, "M"),
    (27, 0.5, 0.3, 3, 3, "in_process", 1, "M"),
    (20, 0.8, -0.2, 2, 2, "titled", 3, "N"),
    (14, 3.0, 2.0, 4, 2, "extinguished", 2, "M"),
)
CONSULTATION_SITES = (6, 13, 26)  # the consultation's rights lie on these sites' territories


@dataclass
class BoCommunity:
    code: str
    name: str
    kind: str
    admin_code: str
    centre: Point  # UTM
    territory: Polygon | None  # UTM; None = point only
    props: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> Point:
        return self.centre if self.territory is None else self.territory.representative_point()


@dataclass
class BoSample:
    communities: list[BoCommunity]
    concessions: list[dict[str, Any]]
    water: list[dict[str, Any]]
    consultations: list[dict[str, Any]]
    networks: list[dict[str, Any]]


# --------------------------------------------------------------------------- communities


def _territory(rng: Rng, centre: Point, radius: float) -> Polygon:
    poly = star_polygon(
        rng, centre.x, centre.y, radius, n=40, roughness=0.22,
        aspect=float(rng.uniform(1.0, 1.4)), angle=float(rng.uniform(0, math.pi)),
    )
    return Polygon(shapely.get_coordinates(poly.simplify(2.0)))


def _name(kind: str, root: str, i: int) -> str:
    if kind == "ayllu":
        return f"Ayllu {root} (ficticio)"
    if kind == "tioc":
        return TIOC_NAME
    if kind == "junta_vecinal":
        return f"OTB {OTB_NAMES[i % len(OTB_NAMES)]} (ficticia)"
    style = ("Comunidad Originaria", "Comunidad Indígena Originaria Campesina",
             "Comunidad Campesina")[i % 3]
    return f"{style} {root} (ficticia)"


def _make_communities(rng: Rng) -> list[BoCommunity]:
    out: list[BoCommunity] = []
    for i, (mun, lon, lat, kind, radius) in enumerate(SITES):
        centre = Point(*(round(v, 1) for v in lonlat_to_utm(lon, lat)))
        terr = _territory(rng, centre, radius) if radius > 0 else None
        out.append(BoCommunity(f"BF-{i + 1:03d}", _name(kind, NAMES[i % len(NAMES)], i), kind,
                               mun, centre, terr))
    a, b = (out[i].territory for i in OVERLAP_PAIR)
    assert a is not None and b is not None
    overlap = a.intersection(b).area / 1e4
    if not 10.0 < overlap < 80.0:
        raise RuntimeError(f"boundary conflict of {overlap:.1f} ha, expected 10-80")
    for c, d in ((x, y) for k, x in enumerate(out) for y in out[k + 1:]):
        if (c.territory is not None and d.territory is not None
                and {out.index(c), out.index(d)} != set(OVERLAP_PAIR)
                and c.territory.intersects(d.territory)):
            raise RuntimeError(f"{c.code} and {d.code} overlap")
    return out


#: Legal personality by position (cycled): most registered, some in process, some none.
_LEGAL = ("inscrita", "ninguna", "en_tramite", "inscrita", "inscrita", "ninguna", "inscrita",
          "en_tramite")
_TITLE = ("titulada", "reconocida_sin_titulo", "titulada", "no_reconocida", "titulada",
          "reconocida_sin_titulo")


def _props(rng: Rng, i: int, c: BoCommunity, conflict: str | None) -> dict[str, Any]:
    ref = REFERENCE_DATE
    municipality = MUNICIPALITIES[c.admin_code][0]
    if c.kind == "junta_vecinal":
        title, legal = "no_reconocida", ("inscrita", "en_tramite", "ninguna")[i % 3]
        office = f"Gobierno Autónomo Municipal de {municipality} – registro de OTB (ficticio)"
    elif c.kind == "tioc":
        title, legal, office = "reconocida_sin_titulo", "inscrita", GOBERNACION
    else:
        title, legal, office = _TITLE[i % len(_TITLE)], _LEGAL[i % len(_LEGAL)], GOBERNACION
    reg_date = rand_date(rng, date(1996, 1, 1), date(2024, 6, 30)) if legal == "inscrita" else None
    entry = (f"RPJ-{'GAM' if c.kind == 'junta_vecinal' else 'GADLP'}-"
             f"{int(rng.integers(1, 999)):03d}/{reg_date.year}") if reg_date else None
    title_date = rand_date(rng, date(1998, 1, 1), date(2019, 12, 31)) if title == "titulada" \
        else None
    official = round(c.territory.area / 1e4 * float(rng.uniform(0.97, 1.03)), 2) \
        if title == "titulada" and c.territory is not None else None

    adopted = modified = None
    clauses: list[bool | None] = [None] * 5
    if legal != "ninguna":
        adopted = rand_date(rng, date(1995, 1, 1), date(2021, 12, 31))
        if i % 3 == 0:
            modified = rand_date(rng, adopted + timedelta(days=365), date(2026, 6, 30))
        # territory, water, environment, consultation, women: some have them, some do not
        clauses = [i % 4 != 1, i % 3 == 0, i % 5 == 0, i % 4 == 0, i % 2 == 0]
        if i % 7 == 3:
            clauses[1] = None  # the statute says nothing anyone has checked

    bucket = ("expired", "2027", "later", "expired", "2028")[i % 5]
    if bucket == "expired":
        term_end = rand_date(rng, date(2023, 1, 1), ref - timedelta(days=40))
    elif bucket == "2027":
        term_end = rand_date(rng, date(2027, 1, 10), date(2027, 3, 31))
    else:
        term_end = rand_date(rng, date(2028, 1, 1), date(2029, 11, 30))
    years = 2 if c.kind in ("ayllu", "comunidad_campesina") else 3  # rotating authorities
    elected = add_years(term_end, -years) + timedelta(days=1)

    what = stage = None
    if conflict is not None:
        what = f"Conciliación de linderos con {conflict} (saneamiento INRA)"
    elif c.kind == "tioc":
        what = "Saneamiento y titulación como TIOC ante el INRA"
    elif c.kind == "junta_vecinal" and legal != "inscrita":
        what = "Registro de la OTB ante el Gobierno Autónomo Municipal"
    elif legal != "inscrita":
        what = "Otorgamiento de personalidad jurídica (Ley 351, D.S. 1597)"
    elif title != "titulada" and i % 2 == 0:
        what = "Saneamiento de la propiedad comunitaria ante el INRA"
    if what is not None:
        stage = ("Solicitud presentada", "Observado", "Pericias de campo programadas",
                 "En revisión técnico-jurídica")[i % 4]
    since = rand_date(rng, date(2019, 1, 1), ref - timedelta(days=30)) if what else None
    sensitivity = "restringida" if i % 11 == 5 else ("red" if i % 9 == 4 else "publica")
    return {
        "codigo": c.code, "nombre": c.name, "tipo": c.kind, "pais": "BO",
        "ubigeo": c.admin_code, "estado_titulo": title, "fecha_titulo": iso(title_date),
        "area_oficial_ha": official, "sensibilidad": sensitivity, "personeria": legal,
        "oficina_registral": office if legal != "ninguna" else None, "partida": entry,
        "fecha_inscripcion": iso(reg_date), "estatuto_aprobado": iso(adopted),
        "estatuto_modificado": iso(modified),
        "clausula_territorio": si_no(clauses[0]), "clausula_agua": si_no(clauses[1]),
        "clausula_ambiente": si_no(clauses[2]), "clausula_consulta": si_no(clauses[3]),
        "clausula_mujeres": si_no(clauses[4]),
        "junta_eleccion": iso(elected), "junta_fin_mandato": iso(term_end),
        "junta_inscrita": si_no(i % 3 != 2), "tramite": what, "tramite_etapa": stage,
        "tramite_desde": iso(since),
    }


# --------------------------------------------------------------------------- mining rights


def _make_concessions(rng: Rng, communities: list[BoCommunity]) -> list[dict[str, Any]]:
    out = []
    for k, (site, east, north, cols, rows, state, holder, substance) in enumerate(CONCESSIONS):
        c = communities[site].centre
        x0 = math.floor((c.x + east * 1000.0) / CUADRICULA_M) * CUADRICULA_M
        y0 = math.floor((c.y + north * 1000.0) / CUADRICULA_M) * CUADRICULA_M
        geom = box(x0, y0, x0 + cols * CUADRICULA_M, y0 + rows * CUADRICULA_M)
        filed = (rand_date(rng, date(2015, 1, 1), date(2021, 12, 31)) if state != "in_process"
                 else rand_date(rng, date(2023, 1, 1), REFERENCE_DATE - timedelta(days=45)))
        mun, prov = MUNICIPALITIES[communities[site].admin_code]
        out.append({
            "codigo": f"AJAM-{communities[site].admin_code}-{k + 1:03d}",
            "denominacion": f"{NAMES[(k * 7 + 3) % len(NAMES)].upper()} {k + 1} (FICTICIA)",
            "titular": HOLDERS[holder], "estado": AJAM_STATE[state], "estado_allpa": state,
            "sustancia": substance, "cuadriculas": cols * rows,
            "superficie_ha": round(geom.area / 1e4, 2), "fecha_solicitud": filed.isoformat(),
            "departamento": "LA PAZ", "provincia": prov.upper(), "municipio": mun.upper(),
            "geometry": geom,
        })
    return out


# --------------------------------------------------------------------------- water


def _make_water(rng: Rng, communities: list[BoCommunity],
                concessions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    water: list[dict[str, Any]] = []

    def add(kind: str, label: str, geom: BaseGeometry, use: str | None, sens: str) -> None:
        n = len(water) + 1
        water.append({"id": f"AG-BO-{n:03d}",
                      "name": f"{label} {NAMES[(n * 5) % len(NAMES)]} (ficticio)",
                      "kind": kind, "use": use, "sensitivity": sens, "geometry": geom})

    live = shapely.union_all([k["geometry"] for k in concessions
                              if k["estado_allpa"] != "extinguished"])
    for i, c in enumerate(communities):
        if c.territory is None:
            continue
        inside = c.territory.buffer(-150.0)
        risky = inside.intersection(live)
        spot = risky if risky.area > 5e4 else inside
        # a random spot, never the territory's own label point (that would pin the place of
        # a community hidden from the spring's readers)
        p = random_point_in(rng, spot) or spot.representative_point()
        sens = "restricted" if i % 10 == 7 else ("network" if i % 6 == 1 else "public")
        if c.props["sensibilidad"] != "publica" and sens == "public":
            sens = "network"  # a hidden community's spring is not public either
        label = "Manantial sagrado" if sens == "restricted" else "Ojo de agua"
        add("spring", label, Point(round(p.x, 1), round(p.y, 1)),
            ("human", "livestock", "irrigation", "mixed")[i % 4], sens)
    for site in (9, 13, 26, 0):  # bofedales in the uplands of a few territories
        terr = communities[site].territory
        assert terr is not None
        mid = terr.centroid
        bof = star_polygon(rng, mid.x + 300.0, mid.y + 200.0, 260.0, n=24, roughness=0.3,
                           aspect=1.8, angle=float(rng.uniform(0, math.pi)))
        public = communities[site].props["sensibilidad"] == "publica"
        add("wetland", "Bofedal", bof.intersection(terr.buffer(-50.0)), "livestock",
            "public" if public else "network")
    tioc = communities[26].centre
    for dx, dy in ((-1800.0, 2400.0), (2200.0, -600.0)):  # streams down from the TIOC hills
        pts = [(tioc.x + dx + 350.0 * s, tioc.y + dy - 420.0 * s + 120.0 * math.sin(s))
               for s in range(12)]
        add("stream", "Jawira", LineString([(round(x, 1), round(y, 1)) for x, y in pts]),
            "irrigation", "public")
    for site in (28, 30, 32):  # wells of the OTBs' neighbourhoods
        p = communities[site].centre
        add("well", "Pozo", Point(round(p.x + 120.0, 1), round(p.y - 80.0, 1)), "human",
            "public")
    return water


# ------------------------------------------------------------------- consultation / networks


def _make_consultations(concessions: list[dict[str, Any]],
                        communities: list[BoCommunity]) -> list[dict[str, Any]]:
    chosen = [k for k in concessions
              if k["estado_allpa"] != "extinguished"
              and any(k["codigo"].endswith(f"-{j + 1:03d}") for j, spec in enumerate(CONCESSIONS)
                      if spec[0] in CONSULTATION_SITES)]
    area = shapely.union_all([k["geometry"] for k in chosen]).buffer(2500.0, quad_segs=4)
    return [{
        "id": "CP-BO-001",
        "name": "Consulta previa minera Phaxsi Jawira, Omasuyos (ficticia)",
        "measure": "Suscripción de contratos administrativos mineros (AJAM, Ley 535, "
                   "arts. 207-216) (ficticia)",
        "promoter": HOLDERS[1],
        "concession_codes": ";".join(sorted(k["codigo"] for k in chosen)),
        "stage": "planning",
        "start_date": date(2027, 2, 15).isoformat(),
        "dialogue_date": date(2027, 4, 12).isoformat(),
        "end_date": date(2027, 6, 30).isoformat(),
        "geometry": multipolygon(area.simplify(50.0)),
    }]


def _make_networks(communities: list[BoCommunity]) -> list[dict[str, Any]]:
    omasuyos = [c.code for c in communities
                if c.admin_code.startswith("0202") and c.kind in ("ayllu", "comunidad_campesina",
                                                                   "tioc")]
    camacho = [c.code for c in communities if c.admin_code.startswith("0204")]
    lake = [c.code for c in communities
            if c.admin_code.startswith(("0212", "0217", "020203", "020204", "020206"))]
    return [
        {"id": "RED-BO-01", "nombre": "Red de ayllus y comunidades de Omasuyos (ficticia)",
         "descripcion": "Ayllus y comunidades originarias de Omasuyos que defienden su "
                        "territorio ante la minería (ficticia)", "miembros": ";".join(omasuyos)},
        {"id": "RED-BO-02", "nombre": "Consejo de comunidades originarias de Camacho (ficticio)",
         "descripcion": "Comunidades y OTB de Camacho con derechos mineros en la cabecera "
                        "(ficticio)", "miembros": ";".join(camacho)},
        {"id": "RED-BO-03", "nombre": "Comité de agua de la orilla boliviana del lago (ficticio)",
         "descripcion": "Comunidades usuarias de ojos de agua y bofedales cerca del lago "
                        "(ficticio)", "miembros": ";".join(sorted(lake))},
    ]


# --------------------------------------------------------------------------- assembly / writers


def build_sample(seed: int = SEED) -> BoSample:
    """The Bolivian part of the fictional sample in memory (UTM 19S geometries)."""
    rng = np.random.default_rng(seed)
    communities = _make_communities(rng)
    a, b = (communities[i] for i in OVERLAP_PAIR)
    for i, c in enumerate(communities):
        conflict = b.code if c is a else (a.code if c is b else None)
        c.props = _props(rng, i, c, conflict)
    concessions = _make_concessions(rng, communities)
    water = _make_water(rng, communities, concessions)
    consultations = _make_consultations(concessions, communities)
    return BoSample(communities, concessions, water, consultations, _make_networks(communities))


def _features(rows: list[dict[str, Any]], nota: str) -> list[tuple[dict[str, Any], BaseGeometry]]:
    return [({**{k: v for k, v in r.items() if k != "geometry"}, "nota": nota},
             to_lonlat(r["geometry"])) for r in rows]


def write_sample(out_dir: Path) -> dict[str, Path]:
    """Write the Bolivian files into ``out_dir`` (the sample folder)."""
    s = build_sample()
    paths = {
        "bo_comunidades": out_dir / "bolivia_comunidades.geojson",
        "bo_derechos_mineros": out_dir / "bolivia_derechos_mineros_ajam.geojson",
        "bo_fuentes_agua": out_dir / "bolivia_fuentes_agua.geojson",
        "bo_consultas": out_dir / "bolivia_consultas.geojson",
        "bo_redes": out_dir / "bolivia_redes.csv",
    }
    comms = [({**c.props, "nota": NOTA}, to_lonlat(c.territory or c.centre))
             for c in s.communities]
    write_geojson(paths["bo_comunidades"], "bolivia_comunidades", NOTA, comms)
    write_geojson(paths["bo_derechos_mineros"], "bolivia_derechos_mineros_ajam", NOTA_AJAM,
                  [(p, multipolygon(g)) for p, g in _features(s.concessions, NOTA_AJAM)])
    write_geojson(paths["bo_fuentes_agua"], "bolivia_fuentes_agua", NOTA,
                  _features(s.water, NOTA))
    write_geojson(paths["bo_consultas"], "bolivia_consultas", NOTA,
                  _features(s.consultations, NOTA))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["id", "nombre", "descripcion", "miembros", "nota"])
    for n in s.networks:
        w.writerow([n["id"], n["nombre"], n["descripcion"], n["miembros"], NOTA])
    paths["bo_redes"].write_text(buf.getvalue(), encoding="utf-8")
    return paths
