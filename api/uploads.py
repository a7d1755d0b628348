"""Streaming multipart reception with a hard size cap (HTTP-only plumbing for uploads).

The cap is checked against ``Content-Length`` first (413 before reading anything) and again
while the body streams into a temporary file (413 as soon as it is passed), so an upload never
costs more than the cap in memory or on disk.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from api.errors import ParameterError
from geo.errors import InputError, TooLargeError


@dataclass
class ReceivedUpload:
    path: Path
    fields: dict[str, str]
    #: Every value of a repeatable text field (``set``), in order.
    lists: dict[str, list[str]] = field(default_factory=dict)


def _too_large(cap: int) -> TooLargeError:
    mb = cap / 1024**2
    return TooLargeError(f"El archivo supera el límite de {mb:g} MB / the upload exceeds the "
                         f"{mb:g} MB limit", limit_bytes=cap)


def safe_name(name: str | None) -> str:
    """The base name of the client's file name, reduced to harmless characters."""
    base = Path((name or "upload").replace("\\", "/")).name
    base = re.sub(r"[^\w.\-]+", "_", base, flags=re.UNICODE).lstrip(".")
    return base[:120] or "upload"


async def receive_upload(request: Request, directory: Path, cap: int) -> ReceivedUpload:
    """Stream ``multipart/form-data`` into ``directory``; one ``file`` part plus text fields."""
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith("multipart/form-data"):
        raise InputError("Envíe el archivo como multipart/form-data (campo 'file') / send the "
                         "file as multipart/form-data (field 'file')", code="bad_upload")
    length = request.headers.get("content-length")
    if length is not None:
        try:
            declared = int(length)
        except ValueError:
            raise ParameterError("Content-Length no válido / invalid Content-Length") from None
        if declared > cap:
            raise _too_large(cap)

    async def limited() -> AsyncGenerator[bytes, None]:
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > cap:
                raise _too_large(cap)
            yield chunk

    parser = MultiPartParser(request.headers, limited(), max_files=1, max_fields=20,
                             max_part_size=64 * 1024)
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise InputError(f"Formulario multipart no válido: {exc.message} / invalid multipart "
                         f"form", code="bad_upload") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InputError("Falta el archivo (campo 'file') / missing file (field 'file')",
                             code="bad_upload")
        target = directory / safe_name(upload.filename)
        with target.open("wb") as out:
            shutil.copyfileobj(upload.file, out, 1024 * 1024)
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        lists: dict[str, list[str]] = {}
        for k, v in form.multi_items():
            if isinstance(v, str):
                lists.setdefault(k, []).append(v)
        return ReceivedUpload(path=target, fields=fields, lists=lists)
    finally:
        await form.close()
