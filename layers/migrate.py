"""Schema migrations with Alembic (GeoAlchemy2 helpers), driven from code, not alembic.ini."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r'^(down_revision|revision)\b[^=]*=\s*["\']?([^"\'\s]+)', re.M)


def head_revision() -> str:
    """The newest migration, read from the scripts' ``revision``/``down_revision`` lines
    (without loading Alembic: a cheap check that the schema is current)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in _REVISION.findall(script.read_text(encoding="utf-8")):
            (revisions if name == "revision" else parents).add(value)
    heads = sorted(revisions - parents)
    if len(heads) != 1:
        raise RuntimeError(f"migrations must form one line, heads: {heads}")
    return heads[0]


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database schema to ``revision`` in one transaction.

    A database already at the head revision returns after one query, without loading
    Alembic (about a second of every CLI command's start-up otherwise)."""
    if revision == "head" and _stored_revision(engine) == head_revision():
        return
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _stored_revision(engine: Engine) -> str | None:
    """The revision recorded in ``alembic_version`` (None when there is none yet)."""
    import sqlalchemy as sa

    with engine.connect() as conn:
        if not conn.execute(sa.text("SELECT to_regclass('alembic_version') IS NOT NULL"
                                    )).scalar():
            return None
        rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    return str(rows[0][0]) if len(rows) == 1 else None


def autogenerate(engine: Engine, message: str) -> None:
    """Developer helper: write a new migration from the table definitions."""
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def current(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
