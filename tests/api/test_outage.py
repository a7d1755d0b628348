"""A database outage under a running app: /healthz stays alive, /readyz, the API and tiles
answer 503 with Retry-After within about 2 s, and everything recovers without a restart.
Tiles already in the in-process cache keep being served (the empty database's tiles: 204);
a tile that needs the database answers 503 like the rest.

The outage is real: a spare private cluster is stopped with ``pg_ctl`` and started again.
"""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from api.app import create_app
from layers import cluster, migrate
from layers.db import make_engine
from tests.spare_cluster import spare_cluster

TILE = "/tiles/communities/5/9/16.pbf"
PATHS = ("/readyz", "/api/communities?limit=5", "/api/flags", TILE,
         "/ogc/collections/communities/items?limit=2")
OK = (200, 204)  # 204: an empty tile


def test_outage_gives_503_then_recovers_without_restart() -> None:
    with spare_cluster("outage") as settings:
        migrate.upgrade(make_engine(settings))
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            for path in PATHS:
                assert client.get(path).status_code in OK, path
            cluster.stop(settings)
            assert client.get(TILE).status_code == 204  # from the cache
            worst = 0.0
            for path in PATHS:
                path = path.replace(TILE, "/tiles/communities/5/9/17.pbf")  # not cached
                t0 = time.perf_counter()
                r = client.get(path)
                took = time.perf_counter() - t0
                worst = max(worst, took)
                assert r.status_code == 503, (path, r.status_code, r.text[:200])
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["code"] == "database_unavailable"
                assert int(r.headers["retry-after"]) > 0
                assert took < 4.0, (path, took)
            assert client.get("/healthz").status_code == 200  # alive, only not ready
            t_restart = time.perf_counter()
            cluster.start(settings)
            recovered = None
            while time.perf_counter() - t_restart < 30:
                if all(client.get(p).status_code in OK for p in PATHS):
                    recovered = time.perf_counter() - t_restart
                    break
                time.sleep(0.2)
            assert recovered is not None, "the app did not recover after the database came back"
            print(f"\noutage: slowest 503 {worst:.2f} s; recovered {recovered:.2f} s after "
                  f"the database restarted")
