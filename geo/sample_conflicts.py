"""FICTIONAL actors, social conflicts and positions for the bundled sample (not Defensoría
data): a conflict CSV in the Defensoría report's columns (the Allpa conflict template), the
actors it names, and two positions (one restricted).

Written to ``data/sample/actores.csv``, ``conflictos.csv`` and ``posiciones.csv`` by
``python -m geo.sample_conflicts``; the tests check the committed files are what this writes.
The conflicts name sample communities by id or by name and leave some actors unknown, so
loading them exercises the linking (and the creation of actors) of ``allpa import
conflicts``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from geo.profiles.defensoria import TEMPLATE_COLUMNS

NOTE = "Datos FICTICIOS generados por Allpa (geo.sample_conflicts); no son casos reales"
ACTOR_COLUMNS = ("codigo", "nombre", "tipo", "rol", "empresa", "titulares", "comunidades",
                 "consultas", "redes", "sensibilidad")
POSITION_COLUMNS = ("codigo", "conflicto", "actor", "nivel", "posicion", "sensibilidad")

ACTORS = (
    ("ACT-GRUPO", "Grupo Minero Andino Holding (ficticio)", "empresa",
     "Matriz de Minera Qori Wasi (ficticia)", "", "", "", "", "", "publica"),
    ("ACT-QORI", "Minera Qori Wasi S.A.C. (ficticia)", "empresa", "Titular minero", "ACT-GRUPO",
     "MINERA QORI WASI S.A.C. (ficticia)", "", "CP-001", "", "publica"),
    ("ACT-NUNOA", "Compañía Minera Ñuñoa S.A.C. (ficticia)", "empresa", "Titular minero", "",
     "COMPAÑÍA MINERA ÑUÑOA S.A.C. (ficticia)", "", "CP-003", "", "publica"),
    ("ACT-MUNI-QM", "Municipalidad Distrital de Qhapaq Marka (ficticia)", "estado",
     "Gobierno local", "", "", "", "", "", "publica"),
    ("ACT-ALA", "Autoridad Local del Agua Huancané (ficticia)", "estado",
     "Autoridad del agua", "", "", "", "", "", "publica"),
    ("ACT-FRENTE", "Frente de Defensa del Agua de la Cuenca (ficticio)", "frente de defensa",
     "Organización de base", "", "", "HF-001;HF-002;HF-004", "", "RED-01", "publica"),
    ("ACT-ONG", "Centro Andino de Derechos (ONG ficticia)", "ong",
     "Acompañamiento legal", "", "", "HF-001;HF-004", "CP-001", "RED-01;RED-02", "publica"),
    ("ACT-DIRIGENTE", "Dirigente comunal amenazado (ficticio)", "organizacion comunal",
     "Informante; identidad protegida", "", "", "HF-004", "", "", "restringida"),
)

#: One dict per conflict: template column -> value (columns left out are blank).
CONFLICTS: tuple[dict[str, str], ...] = (
    {"numero": "CS-0001", "nombre": "Agua y exploración minera en Wayra Uyu (ficticio)",
     "tipo": "Socioambiental", "estado": "Activo", "fase": "Diálogo",
     "departamento": "Puno", "provincia": "Huancané (ficticia)", "distrito": "Qhapaq Marka",
     "ubigeo": "219901",
     "descripcion": "Las comunidades temen que la exploración afecte los manantiales que "
                    "abastecen de agua a sus familias (caso ficticio).",
     "competencia": "Gobierno Nacional, Gobierno Regional", "fecha_inicio": "14/03/2025",
     "dialogo": "Hay diálogo", "acciones_violencia": "Ninguna registrada (ficticio)",
     "actores_primarios": "Comunidad Campesina Wayra Uyu (ficticia); Comunidad Campesina "
                          "Kallpa Kancha (ficticia); Minera Qori Wasi S.A.C. (ficticia)",
     "actores_secundarios": "Frente de Defensa del Agua de la Cuenca (ficticio); "
                            "Municipalidad Distrital de Qhapaq Marka (ficticia)",
     "actores_terciarios": "Autoridad Local del Agua Huancané (ficticia); Defensoría del "
                           "Pueblo (oficina ficticia)",
     "comunidades": "HF-001;HF-002", "sensibilidad": "publica",
     # the report's place, given as coordinates (1 km from the community's point)
     "lon": "-69.3627", "lat": "-14.8536"},
    {"numero": "CS-0002", "nombre": "Linderos entre Phaxsi Pampa y Jach'a Saya (ficticio)",
     "tipo": "Comunal", "estado": "Latente", "fase": "Temprana",
     "departamento": "Puno", "provincia": "Huancané (ficticia)", "distrito": "Qhapaq Marka",
     "ubigeo": "219901",
     "descripcion": "Desacuerdo sobre los linderos de pastoreo entre dos comunidades "
                    "(caso ficticio).",
     "competencia": "Gobierno Regional", "fecha_inicio": "2024-08-02",
     "dialogo": "No hay", "actores_primarios": "Comunidad Campesina Phaxsi Pampa (ficticia); "
                                               "Comunidad Campesina Jach'a Saya (ficticia)",
     "comunidades": "Comunidad Campesina Phaxsi Pampa (ficticia);HF-008",
     "sensibilidad": "publica"},
    {"numero": "CS-0003", "nombre": "Demarcación Wila Qullu – Jach'a Pampa (ficticio)",
     "tipo": "Demarcación territorial", "estado": "Activo", "fase": "Escalamiento",
     "departamento": "Puno", "provincia": "Huancané (ficticia)", "distrito": "Wila Qullu",
     "descripcion": "Dos municipalidades reclaman el mismo centro poblado (caso ficticio).",
     "competencia": "Gobierno Nacional", "fecha_inicio": "2023-11-20", "dialogo": "Hay",
     "acciones_violencia": "Enfrentamiento con heridos leves (ficticio)",
     "actores_primarios": "Municipalidad Distrital de Wila Qullu (ficticia); Municipalidad "
                          "Distrital de Jach'a Pampa (ficticia)",
     "actores_terciarios": "Gobierno Regional de Puno (ficticio)", "sensibilidad": "publica"},
    {"numero": "CS-0004", "nombre": "Planta de beneficio Ñuñu Qullu (ficticio)",
     "tipo": "Socioambiental", "estado": "Resuelto",
     "departamento": "Puno", "provincia": "Huancané (ficticia)", "distrito": "Jach'a Pampa",
     "ubigeo": "219903",
     "descripcion": "Acuerdo de monitoreo ambiental participativo firmado (caso ficticio).",
     "competencia": "Gobierno Nacional", "fecha_inicio": "2022-05-09", "dialogo": "Hay",
     "actores_primarios": "Compañía Minera Ñuñoa S.A.C. (ficticia); Comunidad Campesina "
                          "Tunki Kancha (ficticia)",
     "comunidades": "HF-010", "sensibilidad": "publica"},
    {"numero": "CS-0005", "nombre": "Hostigamiento a dirigentes de Jach'a Qullu (ficticio)",
     "tipo": "Socioambiental", "estado": "Activo", "fase": "Crisis",
     "departamento": "Puno", "provincia": "Huancané (ficticia)", "distrito": "Qhapaq Marka",
     "ubigeo": "219901",
     "descripcion": "Denuncias de amenazas a dirigentes; solo para la red (caso ficticio).",
     "competencia": "Gobierno Nacional", "fecha_inicio": "2026-06-01", "dialogo": "No hay",
     "actores_primarios": "Comunidad Campesina Jach'a Qullu (ficticia); Minera Qori Wasi "
                          "S.A.C. (ficticia)",
     "comunidades": "HF-005", "sensibilidad": "red"},
)

POSITIONS = (
    ("POS-0001", "CS-0001", "ACT-QORI", "primario",
     "Propone una mesa técnica sobre el agua (ficticio)", "restringida"),
    ("POS-0002", "CS-0001", "ACT-FRENTE", "secundario",
     "Exige un estudio hidrogeológico independiente (ficticio)", "publica"),
)


def _csv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*header, "nota"])
    for row in rows:
        w.writerow([*row, NOTE])
    return buf.getvalue()


def actors_csv() -> str:
    return _csv(ACTOR_COLUMNS, list(ACTORS))


def conflicts_csv() -> str:
    """The sample conflicts with the template's columns (one with coordinates; the import
    places the others on their first community's point or inside their district)."""
    return _csv(TEMPLATE_COLUMNS, [tuple(c.get(col, "") for col in TEMPLATE_COLUMNS)
                                   for c in CONFLICTS])


def positions_csv() -> str:
    return _csv(POSITION_COLUMNS, list(POSITIONS))


#: file name -> its content
FILES = {"actores.csv": actors_csv, "conflictos.csv": conflicts_csv,
         "posiciones.csv": positions_csv}


def write(out_dir: Path) -> dict[str, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, content in FILES.items():
        path = out_dir / name
        path.write_text(content(), encoding="utf-8")
        paths[name] = path
    return paths


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent / "data" / "sample"
    for name, path in write(root).items():
        print(f"{name:16s} {path.stat().st_size:>7,d} bytes")
