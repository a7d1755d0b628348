"""OGC API – Features with OWSLib (the Python OGC client) against a live server: every
collection read completely by paging, CQL2 and datetime filters, queryables, the OpenAPI
description, and sign-in through HTTP Basic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from owslib.ogcapi.features import Features
from owslib.util import Authentication

from layers.ogc_collections import OGC_COLLECTIONS
from tests.api.conftest import ApiWorld
from tests.api.live import Live, uvicorn_server


@pytest.fixture(scope="module")
def live(api_world: ApiWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    log = tmp_path_factory.mktemp("uvicorn-owslib") / "access.log"
    with uvicorn_server(api_world.url, log) as server:
        yield server


def _all_ids(api: Features, collection: str, **params: object) -> list[str]:
    ids: list[str] = []
    offset = 0
    while True:
        page = api.collection_items(collection, limit=100, offset=offset, **params)
        ids += [f["id"] for f in page["features"]]
        offset += page["numberReturned"]
        if page["numberReturned"] == 0 or offset >= page["numberMatched"]:
            assert len(ids) == page["numberMatched"]
            return ids


def test_owslib_reads_filters_and_signs_in(live: Live, api_world: ApiWorld) -> None:
    api = Features(f"{live.base}/ogc")
    assert {c["id"] for c in api.collections()["collections"]} == set(OGC_COLLECTIONS)
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter" in \
        api.conformance()["conformsTo"]
    assert api.api()["openapi"].startswith("3.0")
    for name in ("communities_points", "communities_polygons", "water_lines", "concessions"):
        ids = _all_ids(api, name)
        assert len(ids) == len(set(ids)) > 0, name
    assert len(_all_ids(api, "communities_points")) + \
        len(_all_ids(api, "communities_polygons")) == len(_all_ids(api, "communities"))
    assert "clause_water" in api.collection_queryables("communities")["properties"]
    dry = _all_ids(api, "communities", filter="clause_water = false")
    assert 0 < len(dry) < len(_all_ids(api, "communities"))
    assert _all_ids(api, "communities", datetime_="2000-01-01") == []
    token = api_world.tokens["editor"]
    assert token
    signed = Features(f"{live.base}/ogc", auth=Authentication("abogada", token))
    assert "ZZ-SECRETO-1" in _all_ids(signed, "communities_polygons")
    assert "ZZ-SECRETO-1" not in _all_ids(api, "communities_polygons")
