"""QGIS itself (PyQGIS 3.22, Debian 12's ``python3-qgis``, headless) reads the OGC API.

QGIS types an OGC API layer from its first feature; the per-geometry-type collections must
come out whole and drawable, QGIS's subset strings must select what the server selects, and
QGIS's Basic authentication method must sign in with a token.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from layers.ogc_collections import OGC_COLLECTIONS
from tests.api.conftest import ApiWorld, auth
from tests.api.live import Live, uvicorn_server

SYSTEM_PYTHON = "/usr/bin/python3"
CLIENT = Path(__file__).with_name("qgis_client.py")
TYPED = [name for name, c in OGC_COLLECTIONS.items() if c.geometry_type is not None]


@pytest.fixture(scope="module")
def live(api_world: ApiWorld, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    log = tmp_path_factory.mktemp("uvicorn-qgis") / "access.log"
    with uvicorn_server(api_world.url, log) as server:
        yield server


def _matched(base: str, collection: str, headers: dict[str, str] | None = None,
             **params: str) -> int:
    r = httpx.get(f"{base}/ogc/collections/{collection}/items",
                  params={"limit": "1", **params}, headers=headers)
    return int(r.json()["numberMatched"])


def test_qgis_draws_every_feature_filters_and_signs_in(live: Live, api_world: ApiWorld,
                                                       tmp_path: Path) -> None:
    probe = subprocess.run([SYSTEM_PYTHON, "-c", "import qgis.core"], capture_output=True)
    if probe.returncode != 0:
        pytest.fail("PyQGIS is required (scripts/setup.sh --test installs python3-qgis): "
                    + probe.stderr.decode()[-300:])
    token = api_world.tokens["editor"]
    assert token
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_RUNTIME_DIR": str(tmp_path)}
    run = subprocess.run([SYSTEM_PYTHON, str(CLIENT), live.base, "abogada", token, *TYPED],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["version"].startswith("3.")
    for name in TYPED:
        layer = result[name]
        expected = _matched(live.base, name)
        assert layer["valid"], name
        assert layer["features"] == layer["drawable"] == expected > 0, (name, layer)
        assert OGC_COLLECTIONS[name].geometry_type in layer["type"], (name, layer["type"])
    subset = result["subset"]
    assert subset["features"] == _matched(live.base, "communities_polygons",
                                          filter="legal_status = 'registered'") > 0
    signed = result["signed_in"]
    editor = _matched(live.base, "communities_polygons", auth(api_world, "editor"))
    assert signed["features"] == editor > result["communities_polygons"]["features"]
    assert "ZZ-SECRETO-1" in signed["ids"]
