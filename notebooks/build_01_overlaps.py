"""Write ``notebooks/01_overlaps.ipynb`` (clean: no outputs) with nbformat.

    .venv/bin/python notebooks/build_01_overlaps.py

The notebook loads the layers with ``layers`` and computes with ``geo.overlay.analyse`` and
``layers.analysis.flags_for`` (the rules and raster facts of ``allpa analyze``, flags in the
one ranking of ``geo.flag_rank``): the same functions the service runs, no copied logic.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

CELLS = [
    new_markdown_cell("""\
# Superposición de concesiones mineras con territorios comunales

Qué comunidades tienen concesiones mineras sobre su territorio, qué parte de su territorio
cubren (la **unión** de las concesiones, nunca la suma de pares: las concesiones se
superponen entre sí) y qué alertas legales se derivan antes de una consulta previa.

*Mining concessions over community territories: overlaps, share of territory under the
union of concessions, and the legal flags they raise.*

> Los datos de la muestra incluida son **FICTICIOS** (generados por `geo.samplegen`)."""),
    new_markdown_cell("""\
## Cargar la muestra

Se usa `ALLPA_DATABASE_URL` si está definida; si no, el clúster privado del proyecto. Si la
base está vacía, se carga la muestra con `layers.sample.load_sample`."""),
    new_code_cell("""\
import datetime as dt
import io

import matplotlib

matplotlib.use("Agg")  # sin pantalla / headless
import folium
import matplotlib.pyplot as plt
import pandas as pd
import sqlalchemy as sa
from branca.colormap import LinearColormap
from IPython.display import Image, display

from geo import flags
from geo.overlay import PRESSURE_STATES, analyse
from layers import cluster, migrate
from layers.analysis import flags_for, load_inputs
from layers.config import load_settings
from layers.db import make_engine
from layers.sample import load_sample

settings = load_settings()  # lee ALLPA_DATABASE_URL y las demás variables ALLPA_
cluster.up(settings)  # no hace nada con una base externa
engine = make_engine(settings)
migrate.upgrade(engine)
with engine.begin() as conn:
    n = conn.execute(sa.text("SELECT count(*) FROM community WHERE valid_to IS NULL")).scalar_one()
    if n == 0:
        load_sample(conn, recorded_by="notebook 01_overlaps", settings=settings)
with engine.connect() as conn:
    inputs = load_inputs(conn)

comunidades = inputs.communities
concesiones = inputs.concessions
print(f"{len(comunidades)} comunidades "
      f"({int(comunidades.geom_type.isin(['Polygon', 'MultiPolygon']).sum())} con territorio), "
      f"{len(concesiones)} concesiones, {len(inputs.water)} fuentes de agua, "
      f"{len(inputs.consultations)} consultas previas")"""),
    new_markdown_cell("""\
## Calcular superposiciones

`geo.overlay.analyse`: pares comunidad × concesión con hectáreas geodésicas (WGS84, como
`ST_Area(geography)` de PostGIS), la presión sobre cada territorio (unión de concesiones no
extinguidas), superposiciones entre comunidades vecinas, agua dentro de territorios y de
concesiones, concesiones cercanas a comunidades conocidas sólo por un punto y consultas."""),
    new_code_cell("""\
resultado = analyse(
    comunidades, concesiones, inputs.water, inputs.consultations,
    radius_m=settings.point_radius_m, neighbour_min_ha=settings.neighbour_overlap_min_ha,
)
for nombre, tabla in resultado.tables().items():
    print(f"{nombre:25s} {len(tabla):6d} filas")
nombres = comunidades.set_index("id")["name"]
pares = resultado.concession_overlaps.assign(comunidad=lambda d: d["community_id"].map(nombres))
pares.sort_values("intersection_ha", ascending=False).head(10).round(3)"""),
    new_markdown_cell("""\
## Alertas

Reglas de `geo/rules/peru.toml` y `geo/rules/bolivia.toml` (editables por el equipo legal),
evaluadas con `layers.analysis.flags_for`, la misma evaluación que `allpa analyze` (con los
datos de los rásteres: elevación, bofedales, glaciares), ordenadas como en la API y en
`allpa flags` (severidad, fecha límite, parte del territorio bajo concesiones): cada alerta
trae su mensaje, la acción recomendada, la referencia legal, la evidencia y, si hay
consulta, la fecha límite."""),
    new_code_cell("""\
hoy = dt.date.today()
with engine.connect() as conn:
    encontradas = flags_for(conn, inputs, resultado, settings, today=hoy)
alertas = flags.flags_frame(encontradas)
alertas.insert(1, "comunidad", alertas["community_id"].map(nombres))
print(f"{len(alertas)} alertas en {alertas['community_id'].nunique()} comunidades "
      f"al {hoy.isoformat()}")
print(alertas["severity"].value_counts().to_string())
assert len(alertas) > 0, "la muestra debe producir alertas"
alertas[["comunidad", "rule_id", "severity", "message_es", "action_es", "due_date"]].head(20)""",
                  metadata={"tags": ["alertas"]}),
    new_markdown_cell("""\
## Porcentaje del territorio bajo concesiones

`share_union`: hectáreas del territorio bajo la **unión** de concesiones no extinguidas,
dividido por el área geodésica del territorio. Se compara con la suma de pares para ver
cuánto sobrecontaría sumar."""),
    new_code_cell("""\
presion = resultado.pressure.assign(comunidad=lambda d: d["community_id"].map(nombres))
vivos = pares[pares["state"].isin(PRESSURE_STATES)]
presion["suma_pares"] = presion["community_id"].map(vivos.groupby("community_id")["share"].sum())
top = presion[presion["share_union"] > 0].nlargest(25, "share_union")

fig, ax = plt.subplots(figsize=(9, 8))
ax.barh(top["comunidad"], 100 * top["share_union"], color="#b2182b")
ax.invert_yaxis()
ax.set_xlabel("% del territorio bajo concesiones mineras (unión)")
ax.set_title("Porcentaje del territorio comunal bajo concesiones mineras\\n"
             "(25 comunidades más afectadas; datos ficticios)")
ax.grid(axis="x", alpha=0.3)
fig.tight_layout()
png = io.BytesIO()
fig.savefig(png, format="png", dpi=100)
plt.close(fig)
display(Image(png.getvalue()))
top[["comunidad", "territory_ha", "concession_ha_union", "share_union", "suma_pares",
     "n_concessions"]].round(3).head(10)"""),
    new_markdown_cell("""\
## Mapa

Territorios coloreados por el porcentaje bajo concesiones y las concesiones no extinguidas
encima. Sin mapa base salvo que `ALLPA_BASEMAP` lo indique (funciona sin conexión)."""),
    new_code_cell("""\
territorios = comunidades[comunidades.geom_type.isin(["Polygon", "MultiPolygon"])]
capa = territorios[["id", "name", "geometry"]].merge(
    presion[["community_id", "share_union"]], left_on="id", right_on="community_id")
capa["porcentaje"] = (100 * capa["share_union"]).round(1)
colores = LinearColormap(["#fff5f0", "#fb6a4a", "#67000d"], vmin=0, vmax=100,
                         caption="% del territorio bajo concesiones")
oeste, sur, este, norte = capa.total_bounds
mapa = folium.Map(tiles=None, control_scale=True)
if settings.basemap and settings.basemap != "none":
    folium.TileLayer(settings.basemap, attr="basemap").add_to(mapa)
folium.GeoJson(
    capa[["name", "porcentaje", "geometry"]], name="Territorios comunales",
    style_function=lambda f: {"fillColor": colores(f["properties"]["porcentaje"]),
                              "color": "#333333", "weight": 1, "fillOpacity": 0.7},
    tooltip=folium.GeoJsonTooltip(["name", "porcentaje"], aliases=["Comunidad", "% bajo concesiones"]),
).add_to(mapa)
vigentes = concesiones[concesiones["state"].isin(PRESSURE_STATES)]
folium.GeoJson(
    vigentes[["code", "name", "state", "geometry"]], name="Concesiones mineras",
    style_function=lambda f: {"color": "#08306b", "weight": 1, "fill": False},
    tooltip=folium.GeoJsonTooltip(["code", "name", "state"], aliases=["Código", "Nombre", "Estado"]),
).add_to(mapa)
colores.add_to(mapa)
folium.LayerControl().add_to(mapa)
mapa.fit_bounds([[sur, oeste], [norte, este]])
mapa"""),
    new_code_cell("engine.dispose()"),
]


def build() -> nbformat.NotebookNode:
    nb = new_notebook(cells=CELLS)
    for n, cell in enumerate(nb.cells):
        cell.id = f"overlaps-{n:02d}"  # stable ids: rebuilding gives the same file
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


if __name__ == "__main__":
    nb = build()
    nbformat.validate(nb)
    nbformat.write(nb, HERE / "01_overlaps.ipynb")
    print(f"wrote {HERE / '01_overlaps.ipynb'}")
