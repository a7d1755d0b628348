"""Every analyst notebook in ``notebooks/`` runs top to bottom against the sample database.

Notebooks import ``geo`` and ``layers`` (no copied logic); executing them here keeps them
working as those modules change. The kernel is the ``python3`` spec, which jupyter_client
resolves to this interpreter (the project's venv); ``ALLPA_DATABASE_URL`` points it at the
test run's sample database.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
import sqlalchemy as sa
from nbclient import NotebookClient
from sqlalchemy.engine import Engine

from layers.analysis import run_analysis
from layers.config import Settings

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_notebooks_are_there() -> None:
    assert any(p.name == "01_overlaps.ipynb" for p in NOTEBOOKS)


def test_notebooks_are_committed_clean() -> None:
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.get("outputs") and cell.get("execution_count") is None, path


@pytest.fixture
def sample_db_env(sample_engine: Engine) -> Iterator[None]:
    """ALLPA_DATABASE_URL of the sample database for the kernel (inherits os.environ)."""
    old = os.environ.get("ALLPA_DATABASE_URL")
    os.environ["ALLPA_DATABASE_URL"] = sample_engine.url.render_as_string(hide_password=False)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("ALLPA_DATABASE_URL", None)
        else:
            os.environ["ALLPA_DATABASE_URL"] = old


def _run(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="python3", timeout=300,
                            resources={"metadata": {"path": str(ROOT)}})
    client.execute()
    return nb


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path: Path, sample_db_env: None, sample_engine: Engine,
                       settings: Settings) -> None:
    nb = _run(path)  # raises CellExecutionError on any error
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.get("output_type") != "error", (path.name, out.get("ename"))
    if path.name == "01_overlaps.ipynb":
        _check_overlaps(nb, sample_engine, settings)


def _stored_severities(engine: Engine, settings: Settings, today: dt.date) -> dict[str, int]:
    """Flags per severity that ``allpa analyze`` stores for the sample on ``today`` (the run
    is rolled back: the sample database stays unanalysed for the other tests)."""
    with engine.connect() as conn, conn.begin() as trans:
        summary = run_analysis(conn, settings, recorded_by="pytest", full=True, today=today)
        counts = {str(sev): int(n) for sev, n in conn.execute(sa.text(
            "SELECT severity, count(*) FROM flag WHERE valid_to IS NULL GROUP BY severity"))}
        trans.rollback()
    assert sum(counts.values()) == summary.flags
    return counts


def _check_overlaps(nb: nbformat.NotebookNode, engine: Engine, settings: Settings) -> None:
    headings = [c.source.splitlines()[0] for c in nb.cells if c.cell_type == "markdown"]
    assert headings[0] == "# Superposición de concesiones mineras con territorios comunales"
    for h in ("## Cargar la muestra", "## Calcular superposiciones", "## Alertas",
              "## Porcentaje del territorio bajo concesiones", "## Mapa"):
        assert h in headings
    flags_cell = next(c for c in nb.cells if "alertas" in c.metadata.get("tags", []))
    shown = [o for o in flags_cell.outputs if o.get("output_type") == "execute_result"]
    assert shown, "the flags table must be displayed"
    html = shown[0]["data"]["text/html"]
    assert html.count("<tr>") > 5 and "PE-" in html
    printed = "".join(o.get("text", "") for o in flags_cell.outputs if o.get("name") == "stdout")
    n = int(printed.split()[0])
    assert n > 0
    # the notebook's flags are those allpa analyze stores on the same data and day (the
    # raster rules included), severity by severity
    day = dt.date.fromisoformat(printed.splitlines()[0].split()[-1])
    shown = {w[0]: int(w[1]) for w in map(str.split, printed.splitlines()[1:])
             if len(w) == 2 and w[1].isdigit()}
    stored = _stored_severities(engine, settings, day)
    assert n == sum(stored.values()) and shown == stored, (n, shown, stored)
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert images, "the bar chart must be drawn"
    maps = [o for o in nb.cells[-2].outputs if "text/html" in o.get("data", {})]
    assert maps and "Territorios comunales" in maps[0]["data"]["text/html"]
