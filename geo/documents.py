"""Which files a case may hold (PDF, images, ODT, DOCX), told by their content, not by the
name or the type the client claims.

Pure: bytes in, a :class:`DocumentType` out, or an :class:`~geo.errors.InputError` with a
bilingual message saying what is accepted. Office files are ZIP packages: their manifest is
read (never extracted), and macro-enabled Word files are refused.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from geo.errors import InputError, bilingual

__all__ = ["ACCEPTED", "DocumentType", "UnsupportedDocumentError", "detect", "download_name"]


@dataclass(frozen=True)
class DocumentType:
    media_type: str
    label_es: str
    label_en: str
    extensions: tuple[str, ...]  # first = the one a download name gets when it has none


PDF = DocumentType("application/pdf", "PDF", "PDF", (".pdf",))
PNG = DocumentType("image/png", "imagen PNG", "PNG image", (".png",))
JPEG = DocumentType("image/jpeg", "imagen JPEG", "JPEG image", (".jpg", ".jpeg"))
TIFF = DocumentType("image/tiff", "imagen TIFF", "TIFF image", (".tif", ".tiff"))
WEBP = DocumentType("image/webp", "imagen WebP", "WebP image", (".webp",))
ODT = DocumentType("application/vnd.oasis.opendocument.text", "documento ODT",
                   "ODT document", (".odt",))
DOCX = DocumentType("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                    "documento Word (DOCX)", "Word document (DOCX)", (".docx",))
#: Every accepted kind of file, in the order error messages list them.
ACCEPTED = (PDF, PNG, JPEG, TIFF, WEBP, ODT, DOCX)

_ACCEPTED_ES = "PDF, imágenes (PNG, JPEG, TIFF, WebP), ODT o DOCX"
_ACCEPTED_EN = "PDF, images (PNG, JPEG, TIFF, WebP), ODT or DOCX"
_DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"


class UnsupportedDocumentError(InputError):
    code = "unsupported_document"


def _refuse(name: str, why_es: str, why_en: str) -> UnsupportedDocumentError:
    return UnsupportedDocumentError(bilingual(
        f"El archivo «{name}» no se puede adjuntar: {why_es}. Se aceptan {_ACCEPTED_ES}",
        f"The file '{name}' cannot be attached: {why_en}. Accepted: {_ACCEPTED_EN}"),
        field="file")


def _office(data: bytes, name: str) -> DocumentType | None:
    macros = False
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
        names = package.namelist()
        if "mimetype" in names:
            if package.getinfo("mimetype").file_size > 200:  # never inflate a bomb
                return None
            kind = package.read("mimetype").decode("ascii", "replace").strip()
            if kind == ODT.media_type:
                return ODT
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            info = package.getinfo("[Content_Types].xml")
            if info.file_size > 1_000_000:
                return None
            manifest = package.read(info).decode("utf-8", "replace")
            if _DOCX_MAIN in manifest and "vbaProject" not in manifest \
                    and not any(n.lower().endswith("vbaproject.bin") for n in names):
                return DOCX
            macros = "macroEnabled" in manifest or "vbaProject" in manifest
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return None
    if macros:
        raise _refuse(name, "es un documento de Word con macros",
                      "it is a Word document with macros")
    return None


def detect(data: bytes, name: str) -> DocumentType:
    """The type of a file from its first bytes (and, for office files, its manifest); an
    extension that contradicts the content is refused, so a download name never lies."""
    if not data:
        raise _refuse(name, "está vacío", "it is empty")
    found: DocumentType | None = None
    if data.startswith(b"%PDF-"):
        found = PDF
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        found = PNG
    elif data.startswith(b"\xff\xd8\xff"):
        found = JPEG
    elif data[:4] in (b"II*\x00", b"MM\x00*"):
        found = TIFF
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        found = WEBP
    elif data.startswith(b"PK\x03\x04"):
        found = _office(data, name)
    if found is None:
        raise _refuse(name, "su contenido no es de un tipo aceptado",
                      "its content is not an accepted type")
    suffix = PurePath(name).suffix.lower()
    if suffix and suffix not in found.extensions:
        raise _refuse(name, f"su nombre termina en «{suffix}» pero es {found.label_es}",
                      f"its name ends in '{suffix}' but it is a {found.label_en}")
    return found


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\"]+")


def download_name(name: str, kind: DocumentType) -> str:
    """A file name safe to send in Content-Disposition, with the type's extension."""
    base = _UNSAFE.sub("_", PurePath(name.replace("\\", "/")).name).strip(" .") or "documento"
    base = base[:150]
    if PurePath(base).suffix.lower() not in kind.extensions:
        base += kind.extensions[0]
    return base
