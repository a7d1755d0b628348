"""Documents attached to a case: versions kept forever, bytes stored once per SHA-256.

A document (``case_document``: "Acta de asamblea", "Escrito de oposición"…) has versions
(``case_document_version``: file name, type, size, SHA-256, note, who, when). Uploading a new
version keeps the earlier ones; nothing is deleted (triggers of migration 0009 refuse it).
The bytes live in ``document_blob`` keyed by their SHA-256: the same file attached twice,
to one case or to two, is stored once. Cases are editors' work, so every read here goes
through :func:`layers.cases.get_case` (editors and admins only; 404 for an unknown case).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo import documents
from geo.errors import InputError, NotFoundError, PermissionDeniedError, TooLargeError, bilingual
from layers.case_tables import case_document, case_document_version, document_blob
from layers.cases import get_case
from layers.layer_collections import jsonable
from layers.users import Principal

MAX_TITLE = 200


class DocumentNotFoundError(NotFoundError):
    code = "document_not_found"


@dataclass(frozen=True)
class StoredFile:
    """One version's bytes with what a download needs."""

    content: bytes
    sha256: str
    media_type: str
    file_name: str
    version: int


def _require_writer(conn: Connection, principal: Principal, case_id: str) -> dict[str, Any]:
    case = get_case(conn, principal, case_id)
    if not principal.can_edit:
        raise PermissionDeniedError("Se requiere rol de editor / editor role required")
    return case


def check_size(size: int, limit_bytes: int) -> None:
    if size > limit_bytes:
        mb = limit_bytes / 1024**2
        raise TooLargeError(bilingual(f"El documento supera el límite de {mb:.3g} MB",
                                      f"The document exceeds the {mb:.3g} MB limit"),
                            limit_bytes=limit_bytes)


def attach(conn: Connection, principal: Principal, case_id: str, data: bytes, file_name: str,
           *, limit_bytes: int, note: str | None = None, title: str | None = None,
           document_id: int | None = None, source: str = "api") -> dict[str, Any]:
    """Store a file as version 1 of a new document of the case, or as the next version of
    ``document_id``; returns the document with all its versions."""
    _require_writer(conn, principal, case_id)
    check_size(len(data), limit_bytes)
    kind = documents.detect(data, file_name)
    name = documents.download_name(file_name, kind)
    digest = hashlib.sha256(data).hexdigest()
    _store_blob(conn, digest, kind.media_type, data)
    d, v = case_document, case_document_version
    if document_id is None:
        text = (title or "").strip() or name
        if len(text) > MAX_TITLE:
            raise InputError(bilingual(f"El título tiene más de {MAX_TITLE} caracteres",
                                       f"The title is longer than {MAX_TITLE} characters"),
                             field="title")
        document_id = int(conn.execute(sa.insert(d).values(
            case_id=case_id, title=text, created_by=principal.name).returning(d.c.id)
        ).scalar_one())
        version = 1
    else:
        # lock the document so two uploads at once get versions n+1 and n+2
        found = conn.execute(sa.select(d.c.id).where(d.c.id == document_id,
                                                     d.c.case_id == case_id)
                             .with_for_update()).first()
        if found is None:
            raise _not_found(document_id)
        version = int(conn.execute(sa.select(sa.func.coalesce(sa.func.max(v.c.version), 0))
                                   .where(v.c.document_id == document_id)).scalar_one()) + 1
    conn.execute(sa.insert(v).values(
        document_id=document_id, version=version, sha256=digest, file_name=name,
        media_type=kind.media_type, size_bytes=len(data),
        note=(note or "").strip() or None, uploaded_by=principal.name, source=source))
    return get_document(conn, principal, case_id, document_id)


def _driver(conn: Connection) -> Any:
    """The psycopg connection under ``conn`` (same transaction): bytes travel in binary
    format, not as hex text of twice their size."""
    return conn.connection.dbapi_connection


def _store_blob(conn: Connection, digest: str, media_type: str, data: bytes) -> None:
    """The bytes once per SHA-256 (a second upload of the same file stores nothing)."""
    exists = conn.execute(sa.select(document_blob.c.sha256)
                          .where(document_blob.c.sha256 == digest)).first()
    if exists is not None:
        return
    with _driver(conn).cursor() as cur:
        cur.execute("INSERT INTO document_blob (sha256, size_bytes, media_type, content) "
                    "VALUES (%s, %s, %s, %b) ON CONFLICT (sha256) DO NOTHING",
                    (digest, len(data), media_type, data))


def _blob(conn: Connection, digest: str) -> bytes:
    with _driver(conn).cursor(binary=True) as cur:
        cur.execute("SELECT content FROM document_blob WHERE sha256 = %s", (digest,))
        row = cur.fetchone()
    return bytes(row[0])


def _not_found(document_id: int, version: int | None = None) -> DocumentNotFoundError:
    what = f"{document_id}" + (f" (versión {version})" if version else "")
    what_en = f"{document_id}" + (f" (version {version})" if version else "")
    return DocumentNotFoundError(bilingual(f"No existe el documento {what} en este trámite",
                                           f"Document {what_en} not found in this case"))


def _versions(conn: Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    v = case_document_version
    out: dict[int, list[dict[str, Any]]] = {}
    cols = [c for c in v.c if c.name != "id"]
    for r in conn.execute(sa.select(*cols).where(v.c.document_id.in_(ids))
                          .order_by(v.c.document_id, v.c.version.desc())).mappings():
        out.setdefault(int(r["document_id"]), []).append({k: jsonable(x) for k, x in r.items()})
    return out


def list_documents(conn: Connection, principal: Principal, case_id: str
                   ) -> list[dict[str, Any]]:
    """The case's documents, newest first, each with every version (newest first)."""
    get_case(conn, principal, case_id)
    d = case_document
    docs = [dict(r) for r in conn.execute(sa.select(d).where(d.c.case_id == case_id)
                                          .order_by(d.c.id.desc())).mappings()]
    versions = _versions(conn, [int(x["id"]) for x in docs])
    return [_document(doc, versions.get(int(doc["id"]), [])) for doc in docs]


def _document(doc: dict[str, Any], versions: list[dict[str, Any]]) -> dict[str, Any]:
    out = {k: jsonable(x) for k, x in doc.items()}
    out["versions"] = versions
    out["latest"] = versions[0] if versions else None
    return out


def get_document(conn: Connection, principal: Principal, case_id: str, document_id: int
                 ) -> dict[str, Any]:
    get_case(conn, principal, case_id)
    d = case_document
    row = conn.execute(sa.select(d).where(d.c.id == document_id, d.c.case_id == case_id)
                       ).mappings().first()
    if row is None:
        raise _not_found(document_id)
    return _document(dict(row), _versions(conn, [document_id]).get(document_id, []))


def read_file(conn: Connection, principal: Principal, case_id: str, document_id: int,
              version: int | None = None) -> StoredFile:
    """A version's bytes (the latest when ``version`` is None), checked against its hash."""
    get_case(conn, principal, case_id)
    d, v = case_document, case_document_version
    query = (sa.select(v.c.version, v.c.file_name, v.c.media_type, v.c.sha256)
             .select_from(v.join(d, d.c.id == v.c.document_id))
             .where(d.c.id == document_id, d.c.case_id == case_id))
    query = (query.where(v.c.version == version) if version is not None
             else query.order_by(v.c.version.desc()).limit(1))
    row = conn.execute(query).mappings().first()
    if row is None:
        raise _not_found(document_id, version)
    content = _blob(conn, row["sha256"])
    if hashlib.sha256(content).hexdigest() != row["sha256"]:  # never serve altered bytes
        raise RuntimeError(f"stored bytes of {row['sha256']} do not match their hash")
    return StoredFile(content, row["sha256"], row["media_type"], row["file_name"],
                      int(row["version"]))


def count_documents(conn: Connection, principal: Principal, case_id: str) -> int:
    get_case(conn, principal, case_id)
    d = case_document
    return int(conn.execute(sa.select(sa.func.count()).where(d.c.case_id == case_id))
               .scalar_one())
