"""Load the FICTIONAL sample actors, conflicts and positions (``geo.sample_conflicts``) with
the same import as ``allpa import``: actors first, then the conflict report (which links
names and creates the actors it does not know), then the positions."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import Connection

from layers.importer import ImportReport, import_file

#: (layer, file under data/sample), in load order
FILES = (("actors", "actores.csv"), ("conflicts", "conflictos.csv"),
         ("positions", "posiciones.csv"))


def load_sample_conflicts(conn: Connection, *, recorded_by: str, root: Path, source: str
                          ) -> list[ImportReport]:
    return [import_file(conn, layer, root / "data" / "sample" / name, recorded_by=recorded_by,
                        source=f"{source} · {name}") for layer, name in FILES]
