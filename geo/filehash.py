"""SHA-256 of files: the one helper every module uses to fingerprint what it read or wrote.

Import batches, rasters, backups, rule files and evidence all record a file's SHA-256 so a
reader can prove which bytes a figure came from; one implementation keeps them comparable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["sha256_bytes", "sha256_file", "sha256_files", "vector_sha256"]

_CHUNK = 1024 * 1024
#: A Shapefile is several files; these (in this order) are its content.
_SIDECAR_ORDER = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _update(digest: Any, path: Path) -> None:
    with Path(path).open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of bytes already in memory (e.g. a rule file that was also parsed)."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path | str) -> str:
    """Hex SHA-256 of one file, read in 1 MiB chunks (never the whole file in memory)."""
    digest = hashlib.sha256()
    _update(digest, Path(path))
    return digest.hexdigest()


def sha256_files(paths: Iterable[Path | str]) -> str:
    """One hex SHA-256 over several files' bytes concatenated in the given order."""
    digest = hashlib.sha256()
    for path in paths:
        _update(digest, Path(path))
    return digest.hexdigest()


def vector_sha256(path: Path | str) -> str:
    """Content hash of a vector upload; for a .shp, of the .shp and its sidecars in fixed
    order (each prefixed by its extension), so a re-import of the same data is recognised
    whatever the files are called."""
    path = Path(path)
    if path.suffix.lower() != ".shp":
        return sha256_file(path)
    digest = hashlib.sha256()
    for ext in _SIDECAR_ORDER:
        sidecar = next(
            (p for p in (path.with_suffix(ext), path.with_suffix(ext.upper())) if p.is_file()),
            None,
        )
        if sidecar is not None:
            digest.update(ext.encode())
            _update(digest, sidecar)
    return digest.hexdigest()
