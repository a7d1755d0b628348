"""The import's column-wise shortcuts give what the value-by-value definitions give.

Profile mapping parses each distinct value of a column once, concessions go from the frame
to ``write_columns`` column by column (no dict per record) and ``write_snapshot`` hashes and
copies column by column (all for speed, ``benchmarks/bench_import.py``). Here the real
INGEMMET file goes through them and the value-by-value definitions are recomputed beside
them: every parsed value, warning and rejection of every column read as every field type,
every concession record, and every stored row's hash and geometry.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.ingest import prepare
from geo.io import read_vector
from geo.profiles import FIELDS, FieldSpec, parse_value
from geo.profiles.apply import _convert, _default_value
from geo.profiles.values import blank
from layers.concessions import COLUMNS, to_columns, to_rows
from layers.importer import import_file
from layers.versioning import row_hash

INGEMMET = Path("peru/mining/ingemmet_17s_100326.geojson")


def _one_by_one(spec: FieldSpec, values: list[Any], default: Any
                ) -> tuple[list[Any], dict[int, list[str]], Counter[str]]:
    """The definition: each value blank -> default, else ``parse_value``, else refused."""
    out: list[Any] = []
    problems: dict[int, list[str]] = {}
    bad: Counter[str] = Counter()
    for i, value in enumerate(values):
        if blank(value):
            out.append(_default_value(spec, default))
            continue
        try:
            out.append(parse_value(spec, value))
        except ValueError:
            if spec.kind == "enum" and spec.on_unknown == "reject":
                problems.setdefault(i, []).append(str(value))
                out.append(None)
            else:
                bad[str(value)] += 1
                out.append(spec.default if spec.on_unknown == "default" else None)
    return out, problems, bad


def _same(a: list[Any], b: list[Any]) -> bool:
    return len(a) == len(b) and all(
        (x == y and type(x) is type(y)) or (isinstance(x, float) and math.isnan(x)
                                          and isinstance(y, float) and math.isnan(y))
        for x, y in zip(a, b, strict=True))


TRICKY = ["  0123 ", "p0400415", "010000424L", "", "   ", None, float("nan"), "０１２",
          "Tue Dec 30 2025 00:00:00 GMT-0500", "30/12/2025", "2025-12-30", "si", "No",
          "1.234,5", "12,5", "TITULADO", "extinguida", "x", "0123", "0123"]


@pytest.mark.parametrize("extra", [[], TRICKY, [*TRICKY, 7, 7.0, True]])
def test_every_column_as_every_field_type_parses_as_value_by_value(
    shared_data: Path, extra: list[Any]
) -> None:
    raw = read_vector(shared_data / INGEMMET).frame
    columns = [c for c in raw.columns if c != "geometry"]
    assert columns, "the INGEMMET file has attribute columns"
    # one field of each parsing behaviour (the whole file for the INGEMMET fields, the first
    # 1,000 rows for the others: the value-by-value definition is slow on text it refuses)
    specs = {(spec.kind, spec.pad, spec.on_unknown, id(spec.enum)): spec
             for layer in FIELDS.values() for spec in layer if spec.kind != "list"}
    own = {spec.name for spec in FIELDS["concessions"]}
    compared = 0
    for column in columns:
        for spec in specs.values():
            whole = raw[column].tolist()
            values = [*(whole if spec.name in own else whole[:1000]), *extra]
            series = pd.Series(values, dtype=object)
            problems: dict[Any, list[str]] = {}
            warnings: list[str] = []
            got, n_bad = _convert(spec, series, {}, series.index, problems, warnings)
            want, want_problems, bad = _one_by_one(spec, values, spec.default)
            assert _same(got, want), (column, spec.name, spec.kind)
            assert n_bad == bad.total(), (column, spec.name)
            assert sorted(problems) == sorted(want_problems), (column, spec.name)
            assert bool(warnings) == bool(bad), (column, spec.name)
            if bad:
                assert warnings[0].startswith(
                    f"{bad.total()} valores no reconocidos en '{spec.name}'")
            compared += 1
    assert compared >= 4 * 8


def test_stored_hashes_and_geometries_are_those_of_each_row(
    conn: Connection, shared_data: Path
) -> None:
    report = import_file(conn, "concessions", shared_data / INGEMMET, crs="EPSG:32717",
                         recorded_by="t", source="INGEMMET 17S")
    assert report.n_inserted == 9025
    cols = ", ".join(c for c in COLUMNS if c != "geom")
    rows = conn.execute(sa.text(
        f"SELECT {cols}, ST_AsEWKB(geom) AS ewkb, row_hash, source, recorded_by, "
        f"import_batch_id FROM concession ORDER BY code")).mappings().all()
    assert len(rows) == 9025
    for row in rows:
        record = {c: row[c] for c in COLUMNS if c != "geom"}
        record["geom"] = shapely.from_wkb(bytes(row["ewkb"]))
        assert row_hash(record) == row["row_hash"], row["code"]
        assert (row["source"], row["recorded_by"], row["import_batch_id"]) == (
            "INGEMMET 17S", "t", report.batch_id)
    repaired = {r["feature_id"] for r in report.repairs}
    assert len(repaired) == 8
    stored = {r["code"]: r for r in rows}
    for code in repaired:
        geom = shapely.from_wkb(bytes(stored[code]["ewkb"]))
        assert geom.is_valid and geom.geom_type == "MultiPolygon"


def test_concession_columns_are_the_records_column_by_column(shared_data: Path) -> None:
    frame = prepare(shared_data / INGEMMET, layer="concessions", crs="EPSG:32717").frame
    # blanks and odd values the file itself lacks: no state, a blank state, no zone, a
    # float zone, no geometry
    odd = frame.iloc[:6].copy()
    odd["state"] = [None, "", "titled", None, "other", ""]
    odd["zone"] = pd.array([None, 17, None, 18, 19, None], dtype="Int64")
    odd["official_ha"] = [np.nan, 1.5, None, 0.0, 2.0, np.nan]
    odd.loc[odd.index[2], "geometry"] = None
    for part in (frame, odd, frame.iloc[:0]):
        rows = to_rows(part)
        columns = to_columns(part)
        assert list(columns) == COLUMNS
        for name, values in columns.items():
            assert _same(values, [row[name] for row in rows]), name
    assert to_columns(odd)["state"][:2] == ["unknown", "unknown"]
