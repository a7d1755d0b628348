"""An in-process, byte-bounded LRU of finished tiles (raw and gzipped bytes).

Keys carry everything a tile depends on — layers, their data versions, the reader's
visibility key, the public grid and z/x/y — so an edit makes new keys (old entries just age
out) and readers of different visibility never share an entry. Used from the event loop
only (no lock needed); a miss renders in PostGIS once and every later reader gets the bytes.
"""

from __future__ import annotations

import gzip
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

#: Below this size gzip does not pay for its header (same rule as the HTTP middleware).
GZIP_MIN_SIZE = 500
#: zlib's default level: within a few percent of 9 on tiles, at a fraction of the CPU.
GZIP_LEVEL = 6


@dataclass(frozen=True)
class CachedTile:
    """One tile: its raw MVT bytes and, when worth it, the same bytes gzipped."""

    raw: bytes
    gz: bytes | None

    @classmethod
    def of(cls, raw: bytes) -> CachedTile:
        gz = gzip.compress(raw, GZIP_LEVEL, mtime=0) if len(raw) >= GZIP_MIN_SIZE else None
        return cls(raw, gz)

    @property
    def size(self) -> int:
        return len(self.raw) + len(self.gz or b"") + 200  # entry and key overhead, roughly


class TileCache:
    """Least-recently-used tiles up to ``max_bytes`` (0 disables the cache)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._items: OrderedDict[Hashable, CachedTile] = OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable) -> CachedTile | None:
        item = self._items.get(key)
        if item is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return item

    def put(self, key: Hashable, item: CachedTile) -> None:
        if item.size > self.max_bytes:
            return
        old = self._items.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._items[key] = item
        self.bytes += item.size
        while self.bytes > self.max_bytes:
            _, dropped = self._items.popitem(last=False)
            self.bytes -= dropped.size

    def clear(self) -> None:
        self._items.clear()
        self.bytes = 0
