"""Domain errors of Allpa.

Each error carries a stable machine ``code`` (for the API and the CLI exit messages) and a
human message written Spanish first, then `` / `` and English. The classes also inherit
from the matching built-in (``ValueError``, ``LookupError``, ``PermissionError``) so that
generic callers and libraries that only know the built-ins still catch them, as
``rasterio.errors`` does.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AllpaError",
    "Bilingual",
    "CRSError",
    "ConflictError",
    "InputError",
    "InvalidGeometryError",
    "NotFoundError",
    "PermissionDeniedError",
    "ProfileError",
    "TooLargeError",
    "UnreadableFileError",
    "UnsafeArchiveError",
    "UnsupportedFormatError",
    "bilingual",
]


class Bilingual(str):
    """A ``"español / English"`` message that still knows its two halves, so a value quoted
    inside one (a column name, a file's text) can never move the split between them."""

    es: str
    en: str

    def __new__(cls, es: str, en: str) -> Bilingual:
        joined = super().__new__(cls, f"{es} / {en}")
        joined.es, joined.en = es, en
        return joined

    def __reduce__(self) -> tuple[type[Bilingual], tuple[str, str]]:
        return (Bilingual, (self.es, self.en))


def bilingual(es: str, en: str) -> str:
    """Join the Spanish and English versions of a message the way every Allpa message is."""
    return Bilingual(es, en)


class AllpaError(Exception):
    """Base of every Allpa error: a message plus a stable ``code`` and optional details."""

    code: str = "allpa_error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if isinstance(message, Bilingual):
            self.message_es, self.message_en = message.es, message.en
        if code is not None:
            self.code = code
        self.details: dict[str, Any] = details

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, Any]:
        """Serialisable form for API error bodies and import reports."""
        return {"code": self.code, "message": self.message, "details": self.details}


class InputError(AllpaError, ValueError):
    """The user's input cannot be used as given; re-submitting it unchanged will fail again."""

    code = "invalid_input"


class UnreadableFileError(InputError):
    """The file is corrupt, truncated or not what its extension says."""

    code = "unreadable_file"


class UnsupportedFormatError(InputError):
    """The file extension or driver is not one Allpa imports."""

    code = "unsupported_format"


class CRSError(InputError):
    """The coordinate reference system is missing, invalid or contradicts the coordinates."""

    code = "crs_missing"


class InvalidGeometryError(InputError):
    """A geometry is invalid and cannot be repaired."""

    code = "invalid_geometry"


class ProfileError(InputError):
    """The columns do not match the source profile (e.g. required columns are missing)."""

    code = "profile_mismatch"


class TooLargeError(InputError):
    """The input exceeds a size limit."""

    code = "too_large"


class UnsafeArchiveError(InputError):
    """An archive or XML document could harm the server (traversal, bomb, entities...)."""

    code = "unsafe_archive"


class NotFoundError(AllpaError, LookupError):
    """A referenced record does not exist."""

    code = "not_found"


class ConflictError(AllpaError):
    """The operation conflicts with the current state (duplicate key, stale version...)."""

    code = "conflict"


class PermissionDeniedError(AllpaError, PermissionError):
    """The caller may not see or change this record (e.g. restricted community data)."""

    code = "permission_denied"
