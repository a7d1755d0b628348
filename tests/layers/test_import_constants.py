"""``--set FIELD=VALUE`` and ``--source-layer``: real files that lack a field import without
editing, and a multi-layer file imports the layer asked for.

Expected counts are computed here from the files themselves (JSON / DBF read directly), not
copied from a run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyogrio
import pytest
import sqlalchemy as sa
from shapely.geometry import Point, box
from sqlalchemy.engine import Connection, Engine
from typer.testing import CliRunner

from geo.errors import InputError, ProfileError
from layers.config import Settings
from layers.importer import import_file
from tests.conftest import count_current
from tests.dbutil import fresh_database

LAPAZ = Path("bolivia/bolivia_comunidades_censo2024_lapaz.geojson")
ANA = Path("water/ana_lago_titicaca_estaciones.geojson")
TITICACA = Path("water/lago_titicaca_utm19s/lago_titicaca_sideteva_puno.shp")


def _blank(value: Any) -> bool:
    return value is None or not str(value).strip()


def _expected(features: list[dict[str, Any]], key: str, name: str) -> tuple[int, int]:
    """(stored, rejected) the file holds: a feature is unusable without geometry, key or
    name, and a repeated key keeps only its first feature."""
    seen: set[str] = set()
    stored = rejected = 0
    for f in features:
        props = f.get("properties") or {}
        k = props.get(key)
        if f.get("geometry") is None or _blank(k) or _blank(props.get(name)) \
                or str(k).strip() in seen:
            rejected += 1
            continue
        seen.add(str(k).strip())
        stored += 1
    return stored, rejected


def test_lapaz_census_communities_import_with_set_country(
    conn: Connection, shared_data: Path
) -> None:
    path = shared_data / LAPAZ
    features = json.loads(path.read_text(encoding="utf-8"))["features"]
    stored, rejected = _expected(features, "codigo", "nombre")
    assert stored > 5000  # the file is what the README says (5,540 communities)
    without = import_file(conn, "communities", path, recorded_by="t",
                          profile="allpa_community", dry_run=True)
    assert without.n_stored == 0 and len(without.rejections) == len(features)
    report = import_file(conn, "communities", path, recorded_by="t",
                         profile="allpa_community", constants={"country": "BO"},
                         source="INE censo 2024 La Paz")
    assert report.n_read == len(features)
    assert (report.n_stored, len(report.rejections), len(report.repairs)) == \
        (stored, rejected, 0)
    rows = conn.execute(sa.text(
        "SELECT country, count(*) FROM community WHERE valid_to IS NULL GROUP BY country"
    )).all()
    assert rows == [("BO", stored)]
    first = features[0]["properties"]
    name = conn.execute(sa.text("SELECT name FROM community WHERE id = :i"),
                        {"i": first["codigo"]}).scalar_one()
    assert name == first["nombre"]
    batch = conn.execute(sa.text("SELECT report FROM import_batch WHERE id = :i"),
                         {"i": report.batch_id}).scalar_one()
    assert batch["options"]["defaults"] == {"country": "BO"}


def test_set_kind_counts_as_a_column_for_profile_detection(
    conn: Connection, shared_data: Path
) -> None:
    path = shared_data / LAPAZ
    with pytest.raises(ProfileError):  # no profile knows codigo/nombre alone
        import_file(conn, "communities", path, recorded_by="t", constants={"country": "BO"})
    report = import_file(conn, "communities", path, recorded_by="t",
                         constants={"country": "BO", "kind": "comunidad campesina"})
    assert report.profile == "allpa_community" and report.n_stored > 5000
    kinds = conn.execute(sa.text("SELECT DISTINCT kind FROM community")).scalars().all()
    assert kinds == ["comunidad_campesina"]


def test_ana_stations_and_lake_titicaca_import_with_set_kind(
    conn: Connection, shared_data: Path
) -> None:
    ana = shared_data / ANA
    features = json.loads(ana.read_text(encoding="utf-8"))["features"]
    stored, rejected = _expected(features, "station_id", "station_id")
    report = import_file(conn, "water", ana, recorded_by="t",
                         mapping={"id": "station_id", "name": "water_body"},
                         constants={"kind": "lake"}, source="ANA estaciones")
    assert (report.n_read, report.n_stored, len(report.rejections), len(report.repairs)) \
        == (len(features), stored, rejected, 0)

    lake = shared_data / TITICACA
    table = pyogrio.read_dataframe(lake)
    valid = int(table.geometry.is_valid.sum())
    report = import_file(conn, "water", lake, recorded_by="t",
                         mapping={"id": "OBJECTID", "name": "V_NOMB"},
                         constants={"kind": "lago"}, source="Titicaca SIDETEVA")
    assert report.crs_used == "EPSG:32719"
    assert report.n_read == len(table) and report.n_stored == len(table)
    assert not report.rejections
    # every geometry invalid in the file (or once reprojected) is repaired and reported
    assert len(report.repairs) >= len(table) - valid
    kinds = conn.execute(sa.text(
        "SELECT kind, count(*) FROM water_source WHERE valid_to IS NULL GROUP BY kind")).all()
    assert kinds == [("lake", stored + len(table))]
    names = conn.execute(sa.text(
        "SELECT name FROM water_source WHERE source = 'Titicaca SIDETEVA' ORDER BY name"
    )).scalars().all()
    assert names == sorted(table["V_NOMB"].tolist())


@pytest.mark.parametrize(("pairs", "code", "words"), [
    ({"colour": "red"}, "set_field_unknown", ["colour", "kind"]),
    ({"kind": "ocean"}, "set_value_invalid", ["ocean", "lake", "spring"]),
    ({"sensitivity": ""}, "set_value_invalid", ["sensitivity"]),
])
def test_bad_constants_are_refused_bilingually_before_reading(
    conn: Connection, shared_data: Path, pairs: dict[str, str], code: str, words: list[str]
) -> None:
    with pytest.raises(ProfileError) as err:
        import_file(conn, "water", shared_data / ANA, recorded_by="t",
                    mapping={"id": "station_id"}, constants=pairs)
    assert err.value.code == code
    message = str(err.value)
    assert " / " in message  # Spanish / English
    assert ("no válido" in message and "Invalid value" in message) or \
        ("no es un campo" in message and "is not a field" in message)
    assert all(w in message for w in words)
    assert count_current(conn, "water_source") == 0


def _two_layer_gpkg(path: Path) -> tuple[int, int]:
    lakes = gpd.GeoDataFrame({"codigo": ["L1", "L2", "L3"], "nombre": ["A", "B", "C"]},
                             geometry=[box(-69.9 + i * 0.1, -15.9, -69.85 + i * 0.1, -15.85)
                                       for i in range(3)], crs=4326)
    springs = gpd.GeoDataFrame({"codigo": ["S1", "S2"], "nombre": ["Puquio", "Ojo"]},
                               geometry=[Point(-69.5, -15.5), Point(-69.6, -15.6)], crs=4326)
    lakes.to_file(path, layer="lagunas", driver="GPKG")
    springs.to_file(path, layer="manantiales", driver="GPKG", mode="a")
    return len(lakes), len(springs)


def test_multi_layer_geopackage_needs_and_takes_source_layer(
    conn: Connection, tmp_path: Path
) -> None:
    gpkg = tmp_path / "agua.gpkg"
    n_lakes, n_springs = _two_layer_gpkg(gpkg)
    with pytest.raises(InputError) as err:
        import_file(conn, "water", gpkg, recorded_by="t", constants={"kind": "lake"})
    assert err.value.code == "layer_required" and "--source-layer" in str(err.value)
    with pytest.raises(InputError) as err:
        import_file(conn, "water", gpkg, recorded_by="t", source_layer="rios",
                    constants={"kind": "river"})
    assert err.value.code == "layer_not_found" and "manantiales" in str(err.value)
    lakes = import_file(conn, "water", gpkg, recorded_by="t", source_layer="lagunas",
                        constants={"kind": "lake"}, source="gpkg lagunas")
    springs = import_file(conn, "water", gpkg, recorded_by="t", source_layer="manantiales",
                          constants={"kind": "spring"}, source="gpkg manantiales")
    assert (lakes.n_stored, springs.n_stored) == (n_lakes, n_springs)
    assert lakes.sha256 == springs.sha256  # same file, different layers: both stored
    kinds = dict(conn.execute(sa.text(
        "SELECT kind, count(*) FROM water_source GROUP BY kind")).all())
    assert kinds == {"lake": n_lakes, "spring": n_springs}


@pytest.fixture(scope="module")
def cli_engine(settings: Settings) -> Iterator[Engine]:
    with fresh_database(settings, "constants_cli") as engine:
        yield engine


def _cli(engine: Engine, *args: str) -> Any:
    from api.cli.main import app

    env = {"ALLPA_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    return CliRunner().invoke(app, list(args), env=env)


def test_cli_set_and_source_layer(cli_engine: Engine, shared_data: Path,
                                  tmp_path: Path) -> None:
    ana = shared_data / ANA
    n = len(json.loads(ana.read_text(encoding="utf-8"))["features"])
    res = _cli(cli_engine, "import", "water", str(ana), "--map", "id=station_id",
               "--set", "kind=oceano")
    assert res.exit_code == 2 and "Error [set_value_invalid]" in res.output, res.output
    assert "oceano" in res.output and "lake" in res.output
    res = _cli(cli_engine, "import", "water", str(ana), "--set", "kind")
    assert res.exit_code == 2 and "Error [set_invalid]" in res.output, res.output
    res = _cli(cli_engine, "import", "water", str(ana), "--map", "id=station_id",
               "--map", "name=water_body", "--set", "kind=lago", "--set", "use=mixto",
               "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["n_stored"] == n
    gpkg = tmp_path / "agua.gpkg"
    n_lakes, _ = _two_layer_gpkg(gpkg)
    res = _cli(cli_engine, "import", "water", str(gpkg), "--set", "kind=lake")
    assert res.exit_code == 2 and "--source-layer" in res.output
    res = _cli(cli_engine, "import", "water", str(gpkg), "--source-layer", "lagunas",
               "--set", "kind=lake", "--json")
    assert res.exit_code == 0 and json.loads(res.output)["n_stored"] == n_lakes, res.output
    with cli_engine.connect() as c:
        rows = dict(c.execute(sa.text(
            "SELECT use, count(*) FROM water_source WHERE valid_to IS NULL GROUP BY use")).all())
    assert rows == {"mixed": n, None: n_lakes}
