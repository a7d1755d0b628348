"""From a new cadastre snapshot to alerts delivered, at national scale.

Usage::

    .venv/bin/python -m benchmarks.bench_watch [--scale 1] [--filings 20] [--keep-db]

On the national-scale data set (``benchmarks.national``; scale 1 = 10,000 communities,
60,000 concessions, 50,000 water points) in a fresh ``allpa_bench_watch`` database, after a
full analysis (the reference), a network holding every community and two subscriptions to
it (an e-mail digest to a real local aiosmtpd server, an HMAC-signed webhook to a local HTTP
receiver), a second snapshot of the cadastre (every right unchanged plus ``--filings`` new
petitions in busy mining districts, as one GeoPackage) goes the way ``allpa watch`` takes it:

1. import: read, check and version the file (``layers.importer.import_file``);
2. change set: what the import did to each right (SQL on the import batch);
3. alerts: the changes that touch communities, with their response deadlines;
4. incremental analysis (``run_analysis``: only the communities the new rights touch);
5. delivered: deliveries planned and sent (SMTP digest, webhook), each committed.

Prints the seconds of each phase, the total, and the alerts delivered (and how many carry a
response deadline). Steps 1-3 run in one transaction, as an import does; 2 and 3 are timed
inside it (``layers.changesets.last_timings``) and taken out of 1.
"""

from __future__ import annotations

import json
import socket
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from shapely.geometry import MultiPolygon, box

from benchmarks.national import (
    SOURCE,
    NationalData,
    new_filings,
    scaled_arguments,
    stored_data_set,
)
from layers import changesets, cluster, delivery, networks, users
from layers.analysis import run_analysis
from layers.concessions import COLUMNS as CONCESSION_COLUMNS
from layers.config import load_settings
from layers.importer import import_file
from layers.versioning import write_snapshot

DB = "allpa_bench_watch"
NETWORK = "RED-BENCH"
SECRET = "secreto-del-benchmark"
#: the file carries the canonical columns (as the first load stored them)
COLUMNS = [c for c in CONCESSION_COLUMNS if c != "geom"]


class _Inbox:
    """aiosmtpd handler counting what it accepts."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        self.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _prepare(engine: sa.Engine, community_ids: list[str], hook_url: str) -> None:
    """A network of every community, an admin reader and its two subscriptions."""
    frame = pd.DataFrame({"id": [NETWORK], "name": ["Red del benchmark (ficticia)"],
                          "description": [None], "members": [community_ids]})
    with engine.begin() as conn:
        write_snapshot(conn, networks.SPEC.table, networks.SPEC.key,
                       networks.SPEC.to_rows(frame), recorded_by="benchmark", batch_id=None,
                       source=SOURCE, close_missing=False)
        users.create_user(conn, "bench-admin", "admin")
        delivery.subscribe(conn, subscriber="bench-admin", scope="network",
                           scope_id=NETWORK, email="equipo@example.org")
        delivery.subscribe(conn, subscriber="bench-admin", scope="network",
                           scope_id=NETWORK, channel="webhook", webhook_url=hook_url,
                           secret=SECRET)


def _over_communities(data: NationalData, filings: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The new petitions moved onto communities spread over the data set: each a ~1 km
    square at the inner point of a different community territory."""
    polys = data.communities[data.communities.geom_type != "Point"]
    step = max(len(polys) // len(filings), 1)
    spots = shapely.point_on_surface(polys.geometry.values[::step][:len(filings)])
    squares = [MultiPolygon([box(p.x - 0.005, p.y - 0.005, p.x + 0.005, p.y + 0.005)])
               for p in spots]
    return filings.set_geometry(squares, crs=4326)


def main(argv: list[str] | None = None) -> int:
    ap = scaled_arguments(__doc__.splitlines()[0])
    ap.add_argument("--filings", type=int, default=20)
    args = ap.parse_args(argv)
    settings = load_settings()
    started = time.perf_counter()
    data, engine = stored_data_set(settings, DB, args.scale)

    inbox, smtp_port = _Inbox(), _free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    handler = type("Receiver", (_Receiver,), {"bodies": []})
    hooks = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=hooks.serve_forever, daemon=True).start()
    db_settings = load_settings(database_url=settings.url(DB), smtp_host="127.0.0.1",
                                smtp_port=smtp_port)
    tmp = tempfile.TemporaryDirectory(prefix="bench_watch_")
    try:
        with engine.begin() as conn:
            full = run_analysis(conn, db_settings, recorded_by="benchmark", full=True)
        print(f"reference: full analysis {full.seconds:.2f} s, {full.flags} flags", flush=True)
        _prepare(engine, [str(i) for i in data.communities["id"]],
                 f"http://127.0.0.1:{hooks.server_address[1]}/alertas")
        filings = _over_communities(data, new_filings(data, n=args.filings))
        snapshot = gpd.GeoDataFrame(pd.concat([data.concessions, filings], ignore_index=True),
                                    geometry="geometry", crs=4326)
        path = Path(tmp.name) / "catastro_2.gpkg"
        snapshot.to_file(path, driver="GPKG")
        print(f"second snapshot: {len(snapshot)} rights ({len(filings)} new petitions) in "
              f"{path.name}", flush=True)

        phases: dict[str, float] = {}
        t0 = time.perf_counter()
        with engine.begin() as conn:
            report = import_file(conn, "concessions", path, recorded_by="benchmark",
                                 source=SOURCE, mapping={c: c for c in COLUMNS})
        wall = time.perf_counter() - t0
        inner = dict(changesets.last_timings)
        phases["import"] = wall - sum(inner.values())
        phases["change set"] = inner.get("change_set", 0.0)
        phases["alerts (+ deadlines)"] = inner.get("alerts", 0.0) + inner.get("deadlines", 0.0)
        t = time.perf_counter()
        with engine.begin() as conn:
            inc = run_analysis(conn, db_settings, recorded_by="benchmark")
        phases["incremental analysis"] = time.perf_counter() - t
        t = time.perf_counter()
        now = pd.Timestamp.now(tz="UTC").to_pydatetime()
        with engine.begin() as conn:
            delivery.plan(conn, now)
        with engine.connect() as conn:
            sent = delivery.send_due(conn, db_settings, now, after_each=conn.commit)
            conn.commit()
        phases["delivered"] = time.perf_counter() - t

        with engine.connect() as conn:
            n_alerts, n_due = conn.execute(sa.text(
                "SELECT count(*), count(response_due) FROM alert")).one()
            changes = conn.execute(sa.text(
                "SELECT kind, count(*) FROM concession_change GROUP BY 1 ORDER BY 1")).all()
        hooked = [a for body in handler.bodies for a in body["alerts"]]
        print(f"import report: {report.n_read} read, {report.n_stored} stored, "
              f"{report.n_unchanged} unchanged; change set {dict(changes)}; "
              f"incremental run: {inc.mode}, {inc.communities} communities", flush=True)
        for name, seconds in phases.items():
            print(f"{name:<24}{seconds:8.2f} s")
        print(f"{'total':<24}{sum(phases.values()):8.2f} s")
        print(f"alerts raised: {n_alerts} ({n_due} with a response deadline); delivered: "
              f"{sent.sent} deliveries, {inbox.messages.__len__()} e-mail digest(s) over SMTP, "
              f"{len(handler.bodies)} webhook call(s) carrying {len(hooked)} alerts "
              f"({sum(1 for a in hooked if a.get('deadline'))} with a deadline)")
    finally:
        smtp.stop()
        hooks.shutdown()
        hooks.server_close()
        tmp.cleanup()
        engine.dispose()
        if not args.keep_db:
            cluster.drop_database(settings, DB)
    print(f"whole benchmark: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
