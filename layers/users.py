"""Users, roles, API tokens (stored as SHA-256 hashes, shown once at creation), passwords
(``hashlib.scrypt``, salted) and browser sessions (a random cookie value stored as a hash,
with its own CSRF token; signing out ends the session on the server)."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection

from geo.errors import InputError, NotFoundError
from layers.db import metadata

ROLES = ("public", "network", "editor", "admin")


class UnknownRoleError(InputError):
    code = "bad_role"


class UserNotFoundError(NotFoundError):
    code = "user_not_found"

app_user = sa.Table(
    "app_user", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("name", sa.Text, nullable=False, unique=True),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("networks", ARRAY(sa.Text), nullable=False, server_default="{}"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("disabled_at", sa.DateTime(timezone=True)),
    sa.Column("password_hash", sa.Text),
)

api_token = sa.Table(
    "api_token", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
    sa.Column("prefix", sa.Text, nullable=False),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
    sa.Column("last_used_at", sa.DateTime(timezone=True)),
)


app_session = sa.Table(
    "app_session", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
    sa.Column("token_hash", sa.Text, nullable=False, unique=True),
    sa.Column("csrf_token", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True)),
)

#: How long a browser session lasts without signing in again.
SESSION_HOURS = 12
MIN_PASSWORD = 10
#: scrypt cost (RFC 7914): 16 MiB and ~50 ms per check, the interactive-login setting.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


class WeakPasswordError(InputError):
    code = "weak_password"


@dataclass(frozen=True)
class Principal:
    """Who is asking: the role decides what is visible and writable."""

    name: str
    role: str
    networks: tuple[str, ...] = ()

    @property
    def can_edit(self) -> bool:
        return self.role in ("editor", "admin")

    @property
    def sees_network(self) -> bool:
        return self.role in ("network", "editor", "admin")

    @property
    def sees_restricted(self) -> bool:
        return self.role in ("editor", "admin")


ANONYMOUS = Principal(name="anónimo", role="public")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_user(conn: Connection, name: str, role: str, networks: list[str] | None = None
                ) -> int:
    if role not in ROLES:
        raise UnknownRoleError(f"Rol desconocido '{role}'; use uno de {', '.join(ROLES)} / "
                               f"unknown role '{role}'; use one of {', '.join(ROLES)}")
    row = conn.execute(sa.insert(app_user).values(name=name, role=role,
                                                  networks=networks or [])
                       .returning(app_user.c.id))
    return int(row.scalar_one())


def issue_token(conn: Connection, user_name: str) -> str:
    """Create a token for a user; only its hash is stored, the clear text is returned once."""
    user = conn.execute(sa.select(app_user.c.id).where(app_user.c.name == user_name)).first()
    if user is None:
        raise UserNotFoundError(f"Usuario '{user_name}' no existe; créelo con 'allpa users add' / "
                                f"user '{user_name}' not found")
    token = "allpa_" + secrets.token_urlsafe(32)
    conn.execute(sa.insert(api_token).values(user_id=user[0], prefix=token[:12],
                                             token_hash=hash_token(token)))
    return token


def revoke_token(conn: Connection, prefix: str) -> int:
    result = conn.execute(sa.update(api_token)
                          .where(api_token.c.prefix == prefix, api_token.c.revoked_at.is_(None))
                          .values(revoked_at=sa.func.now()))
    return int(result.rowcount or 0)


def principal_for_token(conn: Connection, token: str) -> Principal | None:
    row = conn.execute(
        sa.select(app_user.c.name, app_user.c.role, app_user.c.networks, api_token.c.id)
        .join(api_token, api_token.c.user_id == app_user.c.id)
        .where(api_token.c.token_hash == hash_token(token), api_token.c.revoked_at.is_(None),
               app_user.c.disabled_at.is_(None))
    ).first()
    if row is None:
        return None
    conn.execute(sa.update(api_token).where(api_token.c.id == row[3])
                 .values(last_used_at=sa.func.now()))
    return Principal(name=row[0], role=row[1], networks=tuple(row[2] or ()))


def list_users(conn: Connection) -> list[dict[str, Any]]:
    cols = [c for c in app_user.c if c.name != "password_hash"]
    query = sa.select(*cols, app_user.c.password_hash.is_not(None).label("has_password")
                      ).order_by(app_user.c.name)
    return [dict(r) for r in conn.execute(query).mappings()]


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64): a salted, memory-hard hash from the standard
    library, so no extra dependency is needed to check a sign-in."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R,
                            p=SCRYPT_P, dklen=32)
    b64 = base64.b64encode
    return (f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}$"
            f"{b64(digest).decode()}")


def check_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        found = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt),
                               n=int(n), r=int(r), p=int(p), dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, base64.b64decode(digest))


def set_password(conn: Connection, user_name: str, password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WeakPasswordError(
            f"La contraseña debe tener al menos {MIN_PASSWORD} caracteres / the password "
            f"must have at least {MIN_PASSWORD} characters")
    result = conn.execute(sa.update(app_user).where(app_user.c.name == user_name)
                          .values(password_hash=hash_password(password)))
    if not result.rowcount:
        raise UserNotFoundError(f"Usuario '{user_name}' no existe / user '{user_name}' not "
                                f"found")
    # a new password ends the sessions opened with the old one
    conn.execute(sa.update(app_session)
                 .where(app_session.c.user_id == sa.select(app_user.c.id)
                        .where(app_user.c.name == user_name).scalar_subquery(),
                        app_session.c.ended_at.is_(None))
                 .values(ended_at=sa.func.now()))


@functools.cache
def _dummy_hash() -> str:
    """Checked when the user does not exist, so a wrong name costs as long as a wrong
    password; made on first use, not at import (a scrypt hash is ~0.1 s of every CLI
    command's start-up otherwise)."""
    return hash_password(secrets.token_urlsafe(16))


def verify_login(conn: Connection, user_name: str, password: str) -> int | None:
    """The user's id when the name and password match an active account, else None."""
    row = conn.execute(sa.select(app_user.c.id, app_user.c.password_hash)
                       .where(app_user.c.name == user_name,
                              app_user.c.disabled_at.is_(None))).first()
    ok = check_password(password, row[1] if row is not None else _dummy_hash())
    return int(row[0]) if row is not None and row[1] and ok else None


@dataclass(frozen=True)
class Session:
    token: str  # the cookie value (only its hash is stored)
    csrf: str


def open_session(conn: Connection, user_id: int) -> Session:
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    expires = dt.datetime.now(dt.UTC) + dt.timedelta(hours=SESSION_HOURS)
    conn.execute(sa.insert(app_session).values(user_id=user_id, token_hash=hash_token(token),
                                               csrf_token=csrf, expires_at=expires))
    return Session(token=token, csrf=csrf)


def principal_for_session(conn: Connection, token: str) -> tuple[Principal, str] | None:
    """(who, their CSRF token) for a live session cookie; None when unknown, ended or old."""
    row = conn.execute(
        sa.select(app_user.c.name, app_user.c.role, app_user.c.networks,
                  app_session.c.csrf_token)
        .join(app_session, app_session.c.user_id == app_user.c.id)
        .where(app_session.c.token_hash == hash_token(token),
               app_session.c.ended_at.is_(None), app_session.c.expires_at > sa.func.now(),
               app_user.c.disabled_at.is_(None))).first()
    if row is None:
        return None
    return Principal(name=row[0], role=row[1], networks=tuple(row[2] or ())), str(row[3])


def end_session(conn: Connection, token: str) -> bool:
    result = conn.execute(sa.update(app_session)
                          .where(app_session.c.token_hash == hash_token(token),
                                 app_session.c.ended_at.is_(None))
                          .values(ended_at=sa.func.now()))
    return bool(result.rowcount)
