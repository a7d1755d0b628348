"""How long the service waits for the database before it answers 503 (see ``api.errors``).

Without limits a dead or hung database makes each request wait for the driver's defaults
(tiles blocked 30 s on the pool). These are the limits the app's engines and pools use.
"""

from __future__ import annotations

from typing import Any

#: Seconds to wait for a new database connection.
CONNECT_TIMEOUT_S = 2
#: Seconds a request waits for a free pooled connection.
POOL_TIMEOUT_S = 2.0
#: Longest statement of an API request (exports of a large layer included), milliseconds.
STATEMENT_TIMEOUT_MS = 60_000
#: Longest tile query, milliseconds (a tile that takes longer is a 503, retried later).
TILE_STATEMENT_TIMEOUT_MS = 15_000


def engine_options() -> dict[str, Any]:
    """Keyword arguments for ``sqlalchemy.create_engine`` of the HTTP service."""
    return {"pool_timeout": POOL_TIMEOUT_S, "connect_args": {
        "connect_timeout": CONNECT_TIMEOUT_S,
        "options": f"-c statement_timeout={STATEMENT_TIMEOUT_MS}"}}


def tile_pool_options() -> dict[str, Any]:
    """Keyword arguments for the async tile pool (``psycopg_pool.AsyncConnectionPool``)."""
    return {"timeout": POOL_TIMEOUT_S, "reconnect_timeout": 24 * 3600.0,
            "kwargs": {"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_S,
                       "options": f"-c statement_timeout={TILE_STATEMENT_TIMEOUT_MS}"}}
