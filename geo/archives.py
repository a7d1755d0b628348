"""Untrusted zip archives (zipped Shapefiles, KMZ): checked before anything is extracted.

Uploads come from anyone with an editor account, so the central directory is inspected
first (path traversal, symbolic links, too many entries, decompression bombs) and entries
are extracted with a hard cap on their declared size.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

from geo.errors import InputError, UnreadableFileError, UnsafeArchiveError, bilingual

__all__ = [
    "BOMB_RATIO_MIN_BYTES",
    "MAX_ARCHIVE_ENTRIES",
    "MAX_COMPRESSION_RATIO",
    "MAX_UNCOMPRESSED_BYTES",
    "check_archive",
    "extract_members",
]

MAX_ARCHIVE_ENTRIES = 200
MAX_UNCOMPRESSED_BYTES = 2 * 1024**3
MAX_COMPRESSION_RATIO = 100.0
#: Entries smaller than this are never called bombs: tiny sidecars (.cpg, blank .dbf) compress
#: extremely well and are harmless.
BOMB_RATIO_MIN_BYTES = 8 * 1024**2


def extract_members(archive: Path, members: list[zipfile.ZipInfo], dest: Path, want: str) -> Path:
    """Extract checked members flat into ``dest`` (names reduced to their basename)."""
    found: Path | None = None
    with zipfile.ZipFile(archive) as zf:
        for info in members:
            target = dest / PurePosixPath(info.filename).name
            with zf.open(info) as src, target.open("wb") as out:
                _copy_limited(src, out, info.file_size, archive.name)
            if target.suffix.lower() == want:
                found = target
    if found is None:
        raise InputError(
            bilingual(
                f"No se encontró un archivo {want} utilizable en '{archive.name}'.",
                f"No usable {want} file found in '{archive.name}'.",
            ),
            file=archive.name,
        )
    return found


def _copy_limited(src: io.BufferedIOBase | Any, out: Any, declared: int, name: str) -> None:
    """Copy but stop if an entry inflates beyond its declared size (lying headers)."""
    written = 0
    while chunk := src.read(1024 * 1024):
        written += len(chunk)
        if written > declared:
            raise UnsafeArchiveError(
                bilingual(
                    f"'{name}' contiene una entrada que se descomprime más de lo declarado.",
                    f"'{name}' contains an entry that inflates beyond its declared size.",
                ),
                file=name,
            )
        out.write(chunk)


def check_archive(
    path: Path,
    *,
    max_entries: int = MAX_ARCHIVE_ENTRIES,
    max_total_bytes: int = MAX_UNCOMPRESSED_BYTES,
    max_ratio: float = MAX_COMPRESSION_RATIO,
) -> list[zipfile.ZipInfo]:
    """List a zip's entries and refuse traversal, symlinks, too many entries and bombs.

    Nothing is extracted here: the central directory is enough to decide.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableFileError(
            bilingual(
                f"'{path.name}' no es un archivo zip válido: {exc}.",
                f"'{path.name}' is not a valid zip archive: {exc}.",
            ),
            file=path.name,
            reason=str(exc),
        ) from exc
    if len(infos) > max_entries:
        _unsafe(
            path,
            f"tiene {len(infos)} entradas (máximo {max_entries})",
            f"has {len(infos)} entries (maximum {max_entries})",
            "too_many_entries",
        )
    total = 0
    for info in infos:
        _check_entry(path, info, max_ratio)
        total += info.file_size
    if total > max_total_bytes:
        gb = max_total_bytes / 1024**3
        _unsafe(
            path,
            f"se descomprime a {total:,} bytes (máximo {gb:g} GB)",
            f"inflates to {total:,} bytes (maximum {gb:g} GB)",
            "zip_bomb",
        )
    return infos


def _check_entry(path: Path, info: zipfile.ZipInfo, max_ratio: float) -> None:
    name = info.filename
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        _unsafe(
            path,
            f"contiene una ruta peligrosa '{name}'",
            f"contains a dangerous path '{name}'",
            "path_traversal",
        )
    if stat.S_ISLNK(info.external_attr >> 16):
        _unsafe(
            path,
            f"contiene un enlace simbólico '{name}'",
            f"contains a symbolic link '{name}'",
            "symlink",
        )
    if info.file_size >= BOMB_RATIO_MIN_BYTES:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > max_ratio:
            _unsafe(
                path,
                f"la entrada '{name}' se expande {ratio:,.0f} veces "
                f"(máximo {max_ratio:g}): posible bomba de descompresión",
                f"entry '{name}' expands {ratio:,.0f} times (maximum {max_ratio:g}): "
                "possible decompression bomb",
                "zip_bomb",
            )


def _unsafe(path: Path, es: str, en: str, reason: str) -> None:
    raise UnsafeArchiveError(
        bilingual(f"Archivo rechazado: '{path.name}' {es}.", f"File refused: '{path.name}' {en}."),
        file=path.name,
        reason=reason,
    )
