"""People managing their own alert subscriptions (the ``/api/subscriptions`` routes and the
"Mis avisos" page), on top of :mod:`layers.delivery`.

Who may do what:

- a signed-in reader of role network, editor or admin subscribes to scopes they may see: a
  community visible to them, a district (an admin-code prefix) holding a community visible to
  them, a network (network members: only their own networks); the public cannot subscribe;
- e-mail for everybody who may subscribe; webhooks only for admins, with a secret made here
  and shown once;
- a subscription is stopped, never deleted (its deliveries stay in the log);
- a scope the reader may no longer see (a community reclassified since) is listed without
  its id or name.

Sending re-checks visibility per alert anyway (:mod:`layers.delivery`).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError, NotFoundError, PermissionDeniedError, bilingual
from layers import communities, delivery, districts, networks
from layers.delivery_tables import delivery as delivery_table
from layers.delivery_tables import subscription
from layers.users import Principal
from layers.visibility import visible

STATES = ("pending", "failed", "sent")
EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+$")
URL = re.compile(r"^https?://[^\s<>]+$")
MAX_LOG = 500


def may_subscribe(principal: Principal) -> bool:
    """The public (and anonymous visitors) cannot subscribe."""
    return principal.sees_network


def _refuse_public(principal: Principal) -> None:
    if not may_subscribe(principal):
        raise PermissionDeniedError(bilingual(
            f"El rol '{principal.role}' no puede suscribirse a alertas",
            f"Role '{principal.role}' cannot subscribe to alerts"))


def _community_name(conn: Connection, principal: Principal, cid: str) -> str | None:
    c = communities.community
    return conn.execute(sa.select(c.c.name).where(
        c.c.id == cid, c.c.valid_to.is_(None), visible(c, principal))).scalar()


def _network_name(conn: Connection, principal: Principal, nid: str) -> str | None:
    if not principal.sees_restricted and nid not in principal.networks:
        return None
    n = networks.network
    return conn.execute(sa.select(n.c.name).where(n.c.id == nid, n.c.valid_to.is_(None))
                        ).scalar()


def scope_name(conn: Connection, principal: Principal, scope: str, scope_id: str
               ) -> str | None:
    """What a person calls the scope, or None when ``principal`` may not see it."""
    if scope == "community":
        return _community_name(conn, principal, scope_id)
    if scope == "network":
        return _network_name(conn, principal, scope_id)
    if scope == "district":
        return districts.name_of(conn, principal, scope_id)
    return None


def create(conn: Connection, principal: Principal, *, scope: str, scope_id: str,
           channel: str = "email", address: str | None = None,
           webhook_url: str | None = None, frequency: str = "immediate",
           lang: str = "es") -> dict[str, Any]:
    """Subscribe ``principal``; the answer carries the webhook secret (the only time)."""
    _refuse_public(principal)
    scope_id = scope_id.strip()
    if scope not in delivery.SCOPES:
        raise delivery._bad("scope", scope, delivery.SCOPES)
    if scope_name(conn, principal, scope, scope_id) is None:
        raise NotFoundError(bilingual(
            f"No existe o no puede ver {scope} '{scope_id}'",
            f"{scope} '{scope_id}' does not exist or you may not see it"),
            code="scope_not_found")
    secret = None
    if channel == "webhook":
        if principal.role != "admin":
            raise PermissionDeniedError(bilingual(
                "Solo un administrador puede crear webhooks",
                "Only an administrator can create webhooks"))
        if not webhook_url or not URL.match(webhook_url):
            raise InputError(bilingual("URL de webhook no válida (http:// o https://)",
                                       "Invalid webhook URL (http:// or https://)"),
                             code="invalid_subscription")
        secret = secrets.token_urlsafe(32)
        address = None
    elif channel == "email":
        if not address or not EMAIL.match(address.strip()):
            raise InputError(bilingual("Dirección de correo no válida",
                                       "Invalid e-mail address"),
                             code="invalid_subscription")
        address, webhook_url = address.strip(), None
    sid = delivery.subscribe(conn, subscriber=principal.name, scope=scope, scope_id=scope_id,
                             channel=channel, email=address, webhook_url=webhook_url,
                             secret=secret, frequency=frequency, lang=lang)
    row = get(conn, principal, sid)
    row["secret"] = secret
    return row


def _shape(conn: Connection, principal: Principal, row: dict[str, Any]) -> dict[str, Any]:
    name = scope_name(conn, principal, row["scope"], row["scope_id"])
    return {"id": row["id"], "subscriber": row["subscriber"], "scope": row["scope"],
            "scope_id": row["scope_id"] if name is not None else None,
            "scope_name": name, "scope_visible": name is not None,
            "channel": row["channel"], "email": row["email"],
            "webhook_url": row["webhook_url"], "frequency": row["frequency"],
            "lang": row["lang"], "active": row["active"],
            "created_at": row["created_at"].isoformat()}


def _own(principal: Principal) -> sa.ColumnElement[bool]:
    if principal.role == "admin":
        return sa.true()
    return subscription.c.subscriber == principal.name


def get(conn: Connection, principal: Principal, sid: int) -> dict[str, Any]:
    """One subscription of ``principal`` (admins: any); "not found" for somebody else's."""
    row = conn.execute(sa.select(subscription).where(subscription.c.id == sid,
                                                     _own(principal))).mappings().first()
    if row is None:
        raise NotFoundError(bilingual(f"No existe la suscripción {sid}",
                                      f"Subscription {sid} does not exist"),
                            code="subscription_not_found")
    return _shape(conn, principal, dict(row))


def list_for(conn: Connection, principal: Principal, *, everyone: bool = False,
             include_stopped: bool = False) -> list[dict[str, Any]]:
    """The reader's own subscriptions (``everyone``: all of them, admins only)."""
    if everyone and principal.role != "admin":
        raise PermissionDeniedError(bilingual(
            "Solo un administrador ve las suscripciones de todos",
            "Only an administrator sees everybody's subscriptions"))
    query = sa.select(subscription).order_by(subscription.c.id)
    if not everyone:
        query = query.where(subscription.c.subscriber == principal.name)
    if not include_stopped:
        query = query.where(subscription.c.active)
    return [_shape(conn, principal, dict(r)) for r in conn.execute(query).mappings()]


def stop(conn: Connection, principal: Principal, sid: int) -> dict[str, Any]:
    """Stop one's own subscription (admins: any). The row and its deliveries are kept."""
    get(conn, principal, sid)  # "not found" for somebody else's
    delivery.unsubscribe(conn, sid)
    return get(conn, principal, sid)


def delivery_log(conn: Connection, principal: Principal, *, subscription_id: int | None = None,
                 state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The delivery log, newest first (admins only: it names subscribers and addresses)."""
    if principal.role != "admin":
        raise PermissionDeniedError(bilingual(
            "Solo un administrador ve el registro de envíos",
            "Only an administrator sees the delivery log"))
    if state is not None and state not in STATES:
        raise delivery._bad("status", state, STATES)
    d, s = delivery_table, subscription
    query = (sa.select(d.c.id, d.c.subscription_id, s.c.subscriber, s.c.channel, s.c.scope,
                       s.c.scope_id, d.c.alert_ids, d.c.state, d.c.attempts,
                       d.c.next_attempt_at, d.c.last_error, d.c.sent_at, d.c.created_at)
             .join(s, s.c.id == d.c.subscription_id)
             .order_by(d.c.id.desc()).limit(min(max(limit, 1), MAX_LOG)))
    if subscription_id is not None:
        query = query.where(d.c.subscription_id == subscription_id)
    if state is not None:
        query = query.where(d.c.state == state)
    out = []
    for r in conn.execute(query).mappings():
        row = dict(r)
        row["alert_ids"] = [int(i) for i in row["alert_ids"]]
        row["alerts"] = len(row["alert_ids"])
        for key in ("next_attempt_at", "sent_at", "created_at"):
            row[key] = row[key].isoformat() if row[key] is not None else None
        row["status"] = row.pop("state")
        out.append(row)
    return out


def choices(conn: Connection, principal: Principal) -> dict[str, list[dict[str, str]]]:
    """What the page's form offers: the networks, communities and districts ``principal``
    may follow (districts by the same rule as :func:`scope_name`, so the form never offers
    one that would answer "not found")."""
    if not may_subscribe(principal):
        return {"networks": [], "communities": [], "districts": []}
    n, c = networks.network, communities.community
    nets = sa.select(n.c.id, n.c.name).where(n.c.valid_to.is_(None)).order_by(n.c.name)
    if not principal.sees_restricted:
        nets = nets.where(n.c.id.in_(principal.networks))
    comms = sa.select(c.c.id, c.c.name).where(c.c.valid_to.is_(None), visible(c, principal)) \
        .order_by(c.c.name, c.c.id)
    return {"networks": [{"id": str(i), "name": str(nm)} for i, nm in conn.execute(nets)],
            "communities": [{"id": str(i), "name": str(nm)} for i, nm in conn.execute(comms)],
            "districts": districts.visible_districts(conn, principal)}
