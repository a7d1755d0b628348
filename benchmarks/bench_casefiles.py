"""Case files: the agenda over many deadlines and a large document's round trip, each as a
ratio to a baseline measured in the same run.

Usage::

    .venv/bin/python -m benchmarks.bench_casefiles [--cases 5000] [--per-case 3] [--mb 20]

In a fresh ``allpa_bench_casefiles`` database with the sample loaded:

1. ``--cases`` cases over the sample communities, ``--per-case`` open deadlines each; the
   agenda (``layers.agenda.agenda``: every open deadline of every open case, with its case,
   community, labels and overdue marks) against the baseline of reading the same deadline
   rows alone (``SELECT * FROM case_deadline WHERE state = 'open' ORDER BY due``).
   Target: agenda ≤ 8 × baseline.
2. a ``--mb`` MB PDF attached through the API (multipart upload, type check, SHA-256,
   content-addressed store) and downloaded (hash checked), against the baseline of writing
   the same bytes to a file, reading them back and hashing them. Target: ≤ 15 × baseline.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from benchmarks.national import create_database
from layers import agenda, users
from layers.config import load_settings

DB = "allpa_bench_casefiles"
AGENDA_TARGET, DOCUMENT_TARGET = 8.0, 15.0


def _best(fn: object, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _fill(engine: sa.Engine, cases: int, per_case: int) -> int:
    today = dt.date.today()
    with engine.begin() as conn:
        ids = [r[0] for r in conn.execute(sa.text(
            "SELECT id FROM community WHERE valid_to IS NULL ORDER BY id"))]
        conn.execute(sa.text(
            "INSERT INTO legal_case (recorded_by, row_hash, id, community_id, type, stage, "
            "lawyer, sensitivity) SELECT 'bench', md5(g::text), 'TR-B-' || g, "
            "(CAST(:ids AS text[]))[1 + g % cardinality(CAST(:ids AS text[]))], 'titling', "
            "'filed', 'abogada' || (g % 7), 'restricted' FROM generate_series(1, :n) g"),
            {"ids": ids, "n": cases})
        conn.execute(sa.text(
            "INSERT INTO case_deadline (case_id, due, what, kind, created_by) "
            "SELECT 'TR-B-' || g, CAST(:d AS date) + ((g * 7 + k * 13) % 200 - 60), "
            "'Plazo ' || k, 'legal', 'bench' FROM generate_series(1, :n) g, "
            "generate_series(1, :k) k"), {"d": today, "n": cases, "k": per_case})
        n = int(conn.execute(sa.text(
            "SELECT count(*) FROM case_deadline WHERE state = 'open'")).scalar_one())
    with engine.begin() as conn:  # what autovacuum does after a bulk load
        conn.execute(sa.text("ANALYZE legal_case, case_deadline, community"))
    return n


def _pdf(mb: float) -> bytes:
    return b"%PDF-1.4\n" + hashlib.sha256(b"x").digest() * int(mb * 1024 * 1024 / 32)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=5000)
    ap.add_argument("--per-case", type=int, default=3)
    ap.add_argument("--mb", type=float, default=20.0)
    args = ap.parse_args(argv)
    settings = load_settings()
    engine = create_database(settings, DB)
    from fastapi.testclient import TestClient

    from api.app import create_app
    from layers.sample import load_sample

    with engine.begin() as conn:
        load_sample(conn, recorded_by="bench")
        users.create_user(conn, "abogada", "editor")
        token = users.issue_token(conn, "abogada")
    n = _fill(engine, args.cases, args.per_case)
    editor = users.Principal("abogada", "editor")
    with engine.connect() as conn:
        items = agenda.agenda(conn, editor)
        assert len(items) == n, (len(items), n)
        base = _best(lambda: conn.execute(sa.text(
            "SELECT * FROM case_deadline WHERE state = 'open' ORDER BY due")).all())
        full = _best(lambda: agenda.agenda(conn, editor))
    ratio = full / base
    print(f"agenda: {n} open deadlines in {full * 1000:.0f} ms; baseline (deadline rows "
          f"alone) {base * 1000:.0f} ms; ratio {ratio:.1f} (target ≤ {AGENDA_TARGET:g}) "
          f"{'OK' if ratio <= AGENDA_TARGET else 'MISSED'}")

    data = _pdf(args.mb)
    url = engine.url.render_as_string(hide_password=False)
    app_settings = load_settings(database_url=url, worker=False,
                                 case_document_max_mb=args.mb + 1)
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(app_settings)) as client, \
            tempfile.TemporaryDirectory() as tmp:
        sent: list[bytes] = []

        def round_trip() -> None:  # new bytes every time: each upload stores its file
            body = data + str(len(sent)).encode()
            sent.append(body)
            r = client.post("/api/cases/TR-B-1/documents", headers=headers,
                            files={"file": ("grande.pdf", body, "application/pdf")})
            assert r.status_code == 201, r.text
            doc = r.json()["id"]
            got = client.get(f"/api/cases/TR-B-1/documents/{doc}/file", headers=headers)
            assert got.content == body

        def baseline() -> None:
            path = Path(tmp) / "grande.pdf"
            path.write_bytes(data)
            hashlib.sha256(path.read_bytes()).hexdigest()

        trip, plain = _best(round_trip, 3), _best(baseline, 3)
        again = client.post("/api/cases/TR-B-2/documents", headers=headers,
                            files={"file": ("copia.pdf", sent[0], "application/pdf")})
        assert again.status_code == 201
    ratio = trip / plain
    print(f"document {args.mb:g} MB: upload + download {trip * 1000:.0f} ms; baseline (file "
          f"write, read, SHA-256) {plain * 1000:.0f} ms; ratio {ratio:.1f} "
          f"(target ≤ {DOCUMENT_TARGET:g}) {'OK' if ratio <= DOCUMENT_TARGET else 'MISSED'}")
    with engine.connect() as conn:
        blobs = conn.execute(sa.text("SELECT count(*) FROM document_blob")).scalar_one()
    print(f"documents: {len(sent) + 1} uploads ({len(sent)} different files, one of them "
          f"twice): {blobs} stored copies (content-addressed)")
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
