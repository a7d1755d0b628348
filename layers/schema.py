"""Import every table so ``layers.db.metadata`` is complete (used by Alembic)."""

from layers import (  # noqa: F401
    alert_tables,
    batches,
    calendar_keys,
    case_tables,
    cases,
    delivery_tables,
    derived_tables,
    jobs,
    programme,
    rasters,
    registry,
    users,
)
from layers.db import metadata

__all__ = ["metadata"]
