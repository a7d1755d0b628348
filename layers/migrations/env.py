"""Alembic environment: the URL comes from the caller (``layers.migrate``), never a file."""

from __future__ import annotations

from alembic import context
from geoalchemy2 import alembic_helpers

from layers.schema import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("layers.migrate passes an open connection to Alembic")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_object=alembic_helpers.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
