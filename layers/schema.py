"""Import every table so ``layers.db.metadata`` is complete (used by Alembic)."""

from layers import batches, derived_tables, jobs, rasters, registry, users  # noqa: F401
from layers.db import metadata

__all__ = ["metadata"]
