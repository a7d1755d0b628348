"""OGC API – Features with a real client: GDAL's OAPIF driver (pyogrio's GDAL) against uvicorn.

Every collection is read completely; layers that mix geometry types are also read one type
per collection and the parts add up to the whole; CQL2 filters set as OGR attribute filters
are sent to the server (seen in the access log) and match the server's own counts; GDAL
signs in with HTTP Basic (the token as password) and sees what the token's role sees.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyogrio
import pytest

from layers.ogc_collections import OGC_COLLECTIONS
from tests.api.conftest import ApiWorld
from tests.api.live import Live, uvicorn_server

FAMILY = {"Point": {"Point", "MultiPoint"}, "LineString": {"LineString", "MultiLineString"},
          "Polygon": {"Polygon", "MultiPolygon"}}


@pytest.fixture(scope="module")
def live(api_world: ApiWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    log = tmp_path_factory.mktemp("uvicorn") / "access.log"
    with uvicorn_server(api_world.url, log) as server:
        yield server


def _matched(base: str, collection: str, **params: str) -> int:
    r = httpx.get(f"{base}/ogc/collections/{collection}/items", params={"limit": "1", **params})
    assert r.status_code == 200, r.text
    return int(r.json()["numberMatched"])


def test_gdal_reads_every_collection_completely(live: Live) -> None:
    url = f"OAPIF:{live.base}/ogc"
    layers = dict(pyogrio.list_layers(url).tolist())
    assert set(layers) == set(OGC_COLLECTIONS)
    counts: dict[str, int] = {}
    for layer in layers:
        df = pyogrio.read_dataframe(url, layer=layer)
        counts[layer] = len(df)
        assert len(df) == _matched(live.base, layer) > 0, layer
        expected = OGC_COLLECTIONS[layer].geometry_type
        if expected is not None:  # one geometry type: what QGIS needs to draw every feature
            assert set(df.geometry.geom_type) <= FAMILY[expected], layer
    for name, coll in OGC_COLLECTIONS.items():
        if coll.kind is None and coll.siblings:
            assert sum(counts[v] for v in coll.siblings) == counts[name], name
    assert counts["communities_points"] > 0 and counts["water_points"] > 0
    concessions = pyogrio.read_dataframe(url, layer="concessions")
    assert {"code", "name", "holder", "state", "official_ha", "valid_from",
            "recorded_by"} <= set(concessions.columns)
    codes = concessions["code"]
    assert codes.is_unique
    # INGEMMET codes keep their leading zeros (9 digits); the sample's Bolivian AJAM-style
    # rights have alphanumeric codes, kept as written
    ingemmet = codes[codes.str.fullmatch(r"\d+")]
    assert len(ingemmet) >= 200 and ingemmet.str.len().eq(9).all()
    assert codes[~codes.isin(ingemmet)].str.startswith("AJAM-").all()
    bounds = concessions.total_bounds
    assert -71 < bounds[0] < bounds[2] < -68 and -17 < bounds[1] < bounds[3] < -14


def test_gdal_pages_with_next_links(live: Live) -> None:
    url = f"OAPIF:{live.base}/ogc"
    total = _matched(live.base, "concessions")
    mark = live.mark()
    df = pyogrio.read_dataframe(url, layer="concessions", PAGE_SIZE=50)
    assert len(df) == total > 100
    assert df["code"].is_unique
    requests = live.requests_since(mark)
    assert "offset=50" in requests and "offset=100" in requests


@pytest.mark.parametrize(("where", "cql"), [
    ("legal_status = 'registered'", "legal_status = 'registered'"),
    ("clause_water = 0", "clause_water = false"),
    ("kind <> 'ayllu' AND official_area_ha > 100", "kind <> 'ayllu' AND official_area_ha > 100"),
    ("statute_adopted >= '2010-01-01'", "statute_adopted >= DATE('2010-01-01')"),
])
def test_gdal_filters_on_the_server_with_cql2(live: Live, where: str, cql: str) -> None:
    url = f"OAPIF:{live.base}/ogc"
    expected = _matched(live.base, "communities", filter=cql)
    everything = _matched(live.base, "communities")
    assert 0 < expected < everything
    mark = live.mark()
    df = pyogrio.read_dataframe(url, layer="communities", where=where)
    assert len(df) == expected
    assert "filter=" in live.requests_since(mark)  # evaluated by the server, not by GDAL


def test_gdal_signs_in_with_basic_auth(live: Live, api_world: ApiWorld) -> None:
    url = f"OAPIF:{live.base}/ogc"
    public = len(pyogrio.read_dataframe(url, layer="communities"))
    token = api_world.tokens["editor"]
    assert token
    pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": f"abogada:{token}",
                                     "GDAL_HTTP_AUTH": "BASIC"})
    try:
        editor = pyogrio.read_dataframe(url, layer="communities")
    finally:
        pyogrio.set_gdal_config_options({"GDAL_HTTP_USERPWD": None, "GDAL_HTTP_AUTH": None})
    assert len(editor) > public
    assert "ZZ-SECRETO-1" in set(editor["id"])
