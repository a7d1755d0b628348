"""Per-app caches kept on ``app.state`` (never module globals)."""

from __future__ import annotations

import threading
import time

from sqlalchemy.engine import Engine

from layers.queries import Collection, data_version
from layers.tiles import version_tables


class VersionCache:
    """Per-layer data versions (max vid + closed rows), cached for ``ttl`` seconds.

    Tiles are keyed on it (ETag); edits and uploads through this app invalidate it at once,
    other processes' writes show up within ``ttl``.
    """

    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._values: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()
        self._generation = 0  # bumped by invalidate(): a lookup begun before it is not kept

    def peek(self, coll: Collection) -> str | None:
        """The cached version if still fresh (no database work: safe in the event loop)."""
        with self._lock:
            hit = self._values.get(coll.name)
        if hit is not None and time.monotonic() - hit[0] < self.ttl:
            return hit[1]
        return None

    def last(self, coll: Collection) -> str | None:
        """The last version read, however old (``None`` after :meth:`invalidate`): the tile
        path serves it while one refresh runs, instead of every request querying at once."""
        with self._lock:
            hit = self._values.get(coll.name)
        return hit[1] if hit is not None else None

    def get(self, engine: Engine, coll: Collection) -> str:
        now = time.monotonic()
        with self._lock:
            hit = self._values.get(coll.name)
            generation = self._generation
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        with engine.connect() as conn:
            value = data_version(conn, version_tables(coll))
        with self._lock:
            if generation == self._generation:
                self._values[coll.name] = (now, value)
        return value

    def invalidate(self) -> None:
        with self._lock:
            self._values.clear()
            self._generation += 1
