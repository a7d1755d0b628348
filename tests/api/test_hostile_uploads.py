"""The hostile-upload corpus (tests/api/hostile_corpus.py, generated here, ≥ 60 files): each
file gets its specific 4xx (or, when it is importable, a dry-run report saying what it is),
never a 5xx; no layer changes; nothing is written outside ``var/``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from layers.config import PROJECT_ROOT
from tests.api.conftest import ApiWorld, auth
from tests.api.hostile_corpus import MARK, Case, corpus

CASES = corpus()
TABLES = ("community", "concession", "water_source", "consultation", "boundary", "network",
          "import_batch", "raster_layer")


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)


def _counts(world: ApiWorld) -> dict[str, int]:
    with world.engine.connect() as conn:
        return {t: int(conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one())
                for t in TABLES}


def _planted() -> list[str]:
    """Files the payloads try to create, wherever they could have landed."""
    places = {Path(tempfile.gettempdir()), PROJECT_ROOT, PROJECT_ROOT.parent, Path("/"),
              Path.cwd(), Path.cwd().parent, Path("/tmp")}
    found: list[str] = []
    for place in places:
        try:
            found += [str(place / n) for n in os.listdir(place) if n.startswith(MARK)]
        except OSError:
            continue
    return found


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_upload(client: TestClient, api_world: ApiWorld, case: Case) -> None:
    before = _counts(api_world)
    r = client.post(f"/api/layers/{case.layer}/imports", headers=auth(api_world, "editor"),
                    files={"file": (case.filename, case.data, "application/octet-stream")},
                    data={"dry_run": "true", **case.fields})  # nothing written, even by mistake
    assert r.status_code < 500, (r.status_code, r.text[:400])
    assert r.status_code == case.status, (r.status_code, r.text[:400])
    body = r.json()
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
        assert body["message_es"] and body["message_en"]
        assert "Traceback" not in r.text and "psycopg" not in r.text
        if case.code:
            assert body["code"] == case.code, body
    else:
        assert case.check is not None and case.check(body), body
    assert _counts(api_world) == before
    assert _planted() == []
