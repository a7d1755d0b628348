"""Secret keys of the per-user iCalendar feed (``/api/agenda.ics?key=...``).

A calendar application cannot send a token header, so the feed URL itself is the secret.
Only its SHA-256 is stored; issuing a new key revokes the user's previous one (a leaked URL
is shut by issuing another). Keys are for editors: the feed holds cases, which nobody else
may read, and a user whose role is lowered later loses the feed at the next request.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import PermissionDeniedError
from layers.db import metadata
from layers.users import Principal, UserNotFoundError, app_user, hash_token

calendar_key = sa.Table(
    "calendar_key", metadata,
    sa.Column("id", sa.Integer, sa.Identity(), primary_key=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("app_user.id"), nullable=False),
    sa.Column("key_hash", sa.Text, nullable=False, unique=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
              server_default=sa.func.now()),
    sa.Column("revoked_at", sa.DateTime(timezone=True)),
)


def issue_calendar_key(conn: Connection, user_name: str) -> str:
    """A new feed key for an editor (shown once); their earlier keys stop working."""
    user = conn.execute(sa.select(app_user.c.id, app_user.c.role)
                        .where(app_user.c.name == user_name)).first()
    if user is None:
        raise UserNotFoundError(f"Usuario '{user_name}' no existe / user '{user_name}' not "
                                f"found")
    if not Principal(user_name, user[1]).sees_restricted:
        raise PermissionDeniedError(
            f"El calendario de plazos es solo para editores; '{user_name}' tiene rol "
            f"'{user[1]}' / the deadline calendar is for editors only")
    conn.execute(sa.update(calendar_key)
                 .where(calendar_key.c.user_id == user[0], calendar_key.c.revoked_at.is_(None))
                 .values(revoked_at=sa.func.now()))
    key = "cal_" + secrets.token_urlsafe(32)
    conn.execute(sa.insert(calendar_key).values(user_id=user[0], key_hash=hash_token(key)))
    return key


def principal_for_calendar_key(conn: Connection, key: str) -> Principal | None:
    """The (enabled) user a live key belongs to, else None."""
    row = conn.execute(
        sa.select(app_user.c.name, app_user.c.role, app_user.c.networks)
        .join(calendar_key, calendar_key.c.user_id == app_user.c.id)
        .where(calendar_key.c.key_hash == hash_token(key), calendar_key.c.revoked_at.is_(None),
               app_user.c.disabled_at.is_(None))).first()
    if row is None:
        return None
    return Principal(name=row[0], role=row[1], networks=tuple(row[2] or ()))
