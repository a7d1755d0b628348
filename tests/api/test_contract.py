"""The API contract: ``/openapi.json`` documents a real schema for every answer and the problem
model for every error; real answers match their models; the two languages of an error stay
separate fields whatever the user typed (`` / `` included)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from api import models
from api.errors import split_bilingual
from tests.api.conftest import ApiWorld, auth

HOSTILE = "a / b / c"


def _resolve(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    node: Any = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    assert isinstance(node, dict)
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_every_operation_documents_its_answers(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    operations = [(method, path, op) for path, item in doc["paths"].items()
                  for method, op in item.items() if isinstance(op, dict) and "responses" in op]
    assert len(operations) >= 30
    empty: set[tuple[str, str]] = set()
    for method, path, op in operations:
        ok_status = "201" if "201" in op["responses"] else "200"
        content = op["responses"][ok_status].get("content", {})
        assert content, f"{method} {path}: no {ok_status} content"
        for media, spec in content.items():
            schema = spec.get("schema") or {}
            if not schema:
                empty.add((method, path))
            elif "json" in media and schema.get("format") != "binary":  # binary: a download
                # a JSON answer is a model, not a bare "object": named fields, or a mapping
                # whose values have a schema (community id -> severity code)
                assert "$ref" in schema, f"{method} {path} {media}: {schema}"
                model = _resolve(doc, schema["$ref"])
                values = model.get("additionalProperties")
                assert model.get("properties") or (isinstance(values, dict) and values), (
                    method, path, media, model)
        # which statuses: per operation (tests/api/test_error_statuses.py); their shape: here
        errors = {s: r for s, r in op["responses"].items() if s[0] in "45"}
        for status, answer in errors.items():
            assert answer["content"] == {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}, (method, path, status)
    assert empty == set()
    ids = [op["operationId"] for _, _, op in operations]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for ref in _refs(doc):  # nothing dangles
        _resolve(doc, ref)
    problem = doc["components"]["schemas"]["Problem"]
    assert {"code", "message_es", "message_en", "detail", "status"} <= set(problem["required"])


def _check(model: type[BaseModel], response: Any, media: str = "application/json") -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    body = response.json()
    model.model_validate(body)
    return body


def test_real_answers_match_their_models(client: TestClient, api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    page = _check(models.layer_page("communities"),
                  client.get("/api/communities", params={"limit": 5}, headers=editor))
    assert page["items"] and page["items"][0]["geometry"]["type"]
    cid = page["items"][0]["id"]
    fc = _check(models.FeatureCollection, client.get(
        "/api/communities", params={"limit": 5, "f": "geojson"}), "application/geo+json")
    assert fc["features"]
    _check(models.CommunityDetail, client.get(f"/api/communities/{cid}", headers=editor))
    _check(models.Feature, client.get(f"/api/communities/{cid}?f=geojson"),
           "application/geo+json")
    _check(models.RecordHistory, client.get(f"/api/communities/{cid}/history"))
    for name in ("concessions", "water", "consultations", "boundaries", "networks"):
        listed = _check(models.layer_page(name), client.get(f"/api/{name}?limit=3"))
        assert listed["items"], name
        key = models.COLLECTIONS[name].key
        item_id = listed["items"][0][key]
        _check(models.LAYER_ITEMS[name], client.get(f"/api/{name}/{item_id}"))
        _check(models.Feature, client.get(f"/api/{name}/{item_id}?f=geojson"),
               "application/geo+json")
    flags = _check(models.FlagPage, client.get("/api/flags?limit=5", headers=editor))
    assert flags["items"]
    batches = _check(models.BatchPage, client.get("/api/batches", headers=editor))
    _check(models.Batch, client.get(f"/api/batches/{batches['items'][0]['id']}",
                                    headers=editor))
    hits = _check(models.SearchResults, client.get("/map/search.json", params={"q": cid},
                                                   headers=editor))
    assert cid in [h["id"] for h in hits["items"]]
    flagged = _check(models.SeverityMap, client.get("/map/severity.json", headers=editor))
    assert flagged, "the API world has flagged communities"
    panel = _check(models.CommunityPanel, client.get(f"/map/panel/{next(iter(flagged))}.json",
                                                     headers=editor))
    assert panel["analysis"]["state"] == "current" and panel["flags"], panel["analysis"]
    _check(models.ServiceIndex, client.get("/"))
    _check(models.Health, client.get("/healthz"))
    _check(models.Ready, client.get("/readyz"))


def test_ogc_answers_match_their_models(client: TestClient) -> None:
    _check(models.OgcLanding, client.get("/ogc?f=json"))
    _check(models.Conformance, client.get("/ogc/conformance?f=json"))
    _check(models.OpenAPIDocument, client.get("/ogc/api"), "application/vnd.oai.openapi+json")
    colls = _check(models.OgcCollections, client.get("/ogc/collections?f=json"))
    cid = colls["collections"][0]["id"]
    _check(models.OgcCollection, client.get(f"/ogc/collections/{cid}?f=json"))
    _check(models.Queryables, client.get(f"/ogc/collections/{cid}/queryables?f=json"))
    items = _check(models.OgcFeatureCollection,
                   client.get(f"/ogc/collections/{cid}/items?limit=2&f=json"),
                   "application/geo+json")
    assert items["numberReturned"] == len(items["features"]) > 0
    fid = items["features"][0]["id"]
    _check(models.Feature, client.get(f"/ogc/collections/{cid}/items/{fid}?f=json"),
           "application/geo+json")


def _halves(response: Any, status: int, es_start: str, en_start: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    models.Problem.model_validate(body)
    es, en = str(body["message_es"]), str(body["message_en"])
    assert es.startswith(es_start), es
    assert en.startswith(en_start), en
    return body


@pytest.mark.parametrize(("path", "params", "es_start", "en_start"), [
    ("/api/communities", {"bbox": HOSTILE}, "bbox no válido", "invalid bbox"),
    ("/api/communities", {"as_of": HOSTILE}, "as_of no válido", "invalid as_of"),
    ("/ogc/collections/communities/items", {"datetime": HOSTILE}, "datetime no válido",
     "invalid datetime"),
    ("/ogc/collections/communities/items", {"filter-crs": HOSTILE}, "filter-crs", "unsupported"),
    ("/ogc/collections", {"f": HOSTILE}, "Formato", "format"),
    ("/ogc/collections/communities/items", {"filter": f"name = '{HOSTILE}' AND"},
     "", ""),
])
def test_user_input_with_slashes_keeps_both_languages(
        client: TestClient, path: str, params: dict[str, str], es_start: str,
        en_start: str) -> None:
    body = _halves(client.get(path, params=params), 400, es_start, en_start)
    # the two fields are the two languages: neither carries the other's text
    assert body["message_es"] != body["message_en"]
    assert body["message_en"] not in body["message_es"]
    assert body["message_es"] not in body["message_en"]


def test_headers_and_body_keys_with_slashes(client: TestClient, api_world: ApiWorld) -> None:
    editor = auth(api_world, "editor")
    body = _halves(client.patch("/api/communities/ZZ-RED-1", json={"change_note": "x"},
                                headers={**editor, "If-Match": HOSTILE}),
                   400, "If-Match no válido", "invalid If-Match")
    assert HOSTILE in body["message_es"] and HOSTILE in body["message_en"]
    body = _halves(client.patch("/api/communities/ZZ-RED-1", json={HOSTILE: 1},
                                headers={**editor, "If-Match": '"1"'}),
                   422, "Parámetros no válidos", "invalid parameters")
    assert body["message_en"] == f"invalid parameters: body.{HOSTILE}"


def test_a_value_that_is_only_the_separator_cannot_hide_it() -> None:
    assert split_bilingual("Fijo 'x' / fixed 'x'", [" / ", "x / fixed"]) == ("Fijo 'x'",
                                                                            "fixed 'x'")


@pytest.mark.parametrize("message", [
    "sin barra", "Fijo / fixed", f"No existe '{HOSTILE}' / '{HOSTILE}' not found",
    f"'{HOSTILE}' no admitido / unsupported"])
def test_split_around_what_the_user_typed(message: str) -> None:
    es, en = split_bilingual(message, [HOSTILE])
    assert f"{es} / {en}" == message or es == en == message
    if " / " in message.replace(HOSTILE, ""):
        assert " / " not in es.replace(HOSTILE, "") and " / " not in en.replace(HOSTILE, "")
