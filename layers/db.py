"""Engine, shared metadata and the lifespan (versioning) columns every land record carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from layers.config import Settings

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

SRID = 4326


def lifespan_columns() -> list[sa.Column[object]]:
    """Columns of a versioned row: closed rows are kept forever (LADM-style lifespan)."""
    return [
        sa.Column("vid", sa.BigInteger, sa.Identity(), primary_key=True),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("import_batch_id", sa.Integer, sa.ForeignKey("import_batch.id"), nullable=True),
        sa.Column("source", sa.Text, nullable=True),
        sa.Column("change_note", sa.Text, nullable=True),
        sa.Column("row_hash", sa.Text, nullable=False),
    ]


def current_key_index(table_name: str, key: str) -> sa.Index:
    """At most one current version per key."""
    return sa.Index(
        f"uq_{table_name}_current_{key}", key, unique=True,
        postgresql_where=sa.text("valid_to IS NULL"),
    )


def closed_index(table_name: str) -> sa.Index:
    """Closed versions by closing time: what ``layers.analysis`` scans for changes since its
    last run (partial, so the current rows, the vast majority, cost nothing)."""
    return sa.Index(
        f"ix_{table_name}_closed", "valid_to",
        postgresql_where=sa.text("valid_to IS NOT NULL"),
    )


def make_engine(settings: Settings, db_name: str | None = None) -> Engine:
    return sa.create_engine(settings.url(db_name), pool_pre_ping=True, future=True)


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One atomic unit of work: commit on success, roll back on any error."""
    with engine.begin() as conn:
        yield conn


def as_of_clause(table: sa.Table, as_of: dt.datetime | dt.date | None) -> sa.ColumnElement[bool]:
    """Rows alive at ``as_of`` (a date means the end of that day, UTC); None means current."""
    if as_of is None:
        return table.c.valid_to.is_(None)
    if not isinstance(as_of, dt.datetime):
        as_of = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
        upper = sa.literal(as_of)
        return sa.and_(table.c.valid_from < upper,
                       sa.or_(table.c.valid_to.is_(None), table.c.valid_to >= upper))
    if as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=dt.UTC)
    moment = sa.literal(as_of)
    return sa.and_(table.c.valid_from <= moment,
                   sa.or_(table.c.valid_to.is_(None), table.c.valid_to > moment))
