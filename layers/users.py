"""Users, roles and API tokens (stored as SHA-256 hashes, shown once at creation)."""

from __future__ import annotations

import hashlib
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
    query = sa.select(app_user).order_by(app_user.c.name)
    return [dict(r) for r in conn.execute(query).mappings()]
