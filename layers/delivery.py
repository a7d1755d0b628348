"""Delivering alerts to subscribers: e-mail digests and signed webhooks.

Planning puts every new alert a subscription may see into one ``delivery`` (at most once per
subscription: ``delivery_alert`` is keyed by subscription and alert). Sending tries the due
deliveries; a failure keeps the delivery with its error and a later ``next_attempt_at``
(1 min, 5 min, 25 min, … capped at a day), so a failed delivery is retried and never lost.
Visibility is re-checked when sending, with the same rule as :mod:`layers.alerts`.
Callers pass the clock (``now``), so tests can step through the back-off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import smtplib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo.errors import InputError, NotFoundError, bilingual
from layers import alert_deadlines, communities, networks
from layers.alert_tables import alert
from layers.alerts import AlertFilter, _visible_community, list_alerts
from layers.config import Settings
from layers.delivery_tables import delivery, delivery_alert, subscription
from layers.users import ANONYMOUS, Principal, app_user

CHANNELS = ("email", "webhook")
SCOPES = ("network", "community", "district")
FREQUENCIES = ("immediate", "daily")
BACKOFF_BASE_S = 60
BACKOFF_FACTOR = 5
BACKOFF_MAX = dt.timedelta(days=1)
SIGNATURE_HEADER = "X-Allpa-Signature"
DELIVERY_HEADER = "X-Allpa-Delivery"


@dataclass(frozen=True)
class SendSummary:
    """What one sending run did."""

    sent: int
    failed: int
    emails: int


def _bad(field: str, value: str, allowed: tuple[str, ...]) -> InputError:
    codes = ", ".join(allowed)
    return InputError(bilingual(f"Valor '{value}' no válido para {field}; use {codes}",
                                f"Invalid value '{value}' for {field}; use {codes}"),
                      code="invalid_subscription")


def subscribe(conn: Connection, *, subscriber: str, scope: str, scope_id: str,
              channel: str = "email", email: str | None = None,
              webhook_url: str | None = None, secret: str | None = None,
              frequency: str = "immediate", lang: str = "es") -> int:
    """Add a subscription; checks what a delivery would need, so it cannot fail later."""
    for field, value, allowed in (("scope", scope, SCOPES), ("channel", channel, CHANNELS),
                                  ("frequency", frequency, FREQUENCIES),
                                  ("lang", lang, ("es", "en"))):
        if value not in allowed:
            raise _bad(field, value, allowed)
    if channel == "email" and not (email or "@" in subscriber):
        raise InputError(bilingual("Una suscripción por correo necesita una dirección",
                                   "An e-mail subscription needs an address"),
                         code="invalid_subscription")
    if channel == "webhook" and not (webhook_url and secret):
        raise InputError(bilingual("Un webhook necesita URL y secreto",
                                   "A webhook needs a URL and a secret"),
                         code="invalid_subscription")
    return int(conn.execute(sa.insert(subscription).values(
        subscriber=subscriber, email=email, scope=scope, scope_id=scope_id, channel=channel,
        webhook_url=webhook_url, secret=secret, frequency=frequency, lang=lang)
        .returning(subscription.c.id)).scalar_one())


def principal_of(conn: Connection, subscriber: str) -> Principal:
    """The reader a subscription speaks for: its user, or the public for a bare address."""
    row = conn.execute(sa.select(app_user.c.name, app_user.c.role, app_user.c.networks)
                       .where(app_user.c.name == subscriber,
                              app_user.c.disabled_at.is_(None))).first()
    if row is None:
        return ANONYMOUS
    return Principal(name=row[0], role=row[1], networks=tuple(row[2] or ()))


def _in_scope(sub: dict[str, Any]) -> sa.ColumnElement[bool]:
    if sub["scope"] == "community":
        return alert.c.community_id == sub["scope_id"]
    if sub["scope"] == "district":  # an admin-code (ubigeo) prefix
        c = communities.community
        return sa.exists().where(c.c.id == alert.c.community_id, c.c.valid_to.is_(None),
                                 c.c.admin_code.startswith(sub["scope_id"]))
    n = networks.network
    return sa.exists().where(n.c.id == sub["scope_id"], n.c.valid_to.is_(None),
                             alert.c.community_id == sa.any_(n.c.members))


def plan(conn: Connection, now: dt.datetime) -> int:
    """Put the new alerts each active subscription may see into deliveries; returns how many
    deliveries were created. A daily subscription gets at most one delivery a day."""
    created = 0
    subs = [dict(s) for s in conn.execute(sa.select(subscription).where(subscription.c.active)
                                          .order_by(subscription.c.id)).mappings()]
    for sub in subs:
        if sub["frequency"] == "daily":
            last = conn.execute(sa.select(sa.func.max(delivery.c.created_at))
                                .where(delivery.c.subscription_id == sub["id"])).scalar()
            if last is not None and now - last < dt.timedelta(days=1):
                continue
        principal = principal_of(conn, sub["subscriber"])
        done = sa.exists().where(delivery_alert.c.subscription_id == sub["id"],
                                 delivery_alert.c.alert_id == alert.c.id)
        ids = [int(i) for i in conn.execute(
            sa.select(alert.c.id).where(_visible_community(principal), _in_scope(sub), ~done,
                                        alert.c.created_at >= sub["created_at"])
            .order_by(alert.c.id)).scalars()]
        if not ids:
            continue
        delivery_id = conn.execute(sa.insert(delivery).values(
            subscription_id=sub["id"], alert_ids=ids, next_attempt_at=now, created_at=now)
            .returning(delivery.c.id)).scalar_one()
        conn.execute(sa.insert(delivery_alert), [
            {"subscription_id": sub["id"], "alert_id": i, "delivery_id": delivery_id}
            for i in ids])
        created += 1
    return created


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 1 min, 5 min, 25 min, … at most a day."""
    seconds = BACKOFF_BASE_S * BACKOFF_FACTOR ** min(max(attempts - 1, 0), 10)
    return min(dt.timedelta(seconds=seconds), BACKOFF_MAX)


def sign(secret: str, body: bytes) -> str:
    """The ``X-Allpa-Signature`` value of a webhook body."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _alerts_for(conn: Connection, sub: dict[str, Any], ids: list[int]) -> list[dict[str, Any]]:
    principal = principal_of(conn, sub["subscriber"])
    return list_alerts(conn, principal, AlertFilter(ids=tuple(ids)), lang=sub["lang"])


def digest(alerts: list[dict[str, Any]], lang: str) -> tuple[str, str]:
    """Subject and plain-text body of one e-mail digest."""
    n = len(alerts)
    if lang == "en":
        subject = f"Allpa: {n} new mining cadastre alert" + ("s" if n != 1 else "")
        head = "New changes in the mining cadastre touch these communities:"
        foot = "You receive this because you subscribed to Allpa alerts."
    else:
        subject = f"Allpa: {n} alerta" + ("s" if n != 1 else "") + \
            " nueva" + ("s" if n != 1 else "") + " del catastro minero"
        head = "Cambios nuevos en el catastro minero afectan a estas comunidades:"
        foot = "Recibe este correo porque se suscribió a las alertas de Allpa."
    lines = [head, ""]
    for a in alerts:
        lines.append(f"- {a['summary']}")
        if a.get("deadline"):  # the response window a rule gives this change
            lines.append(f"  {alert_deadlines.text(a['deadline'], lang)}")
    lines += ["", foot]
    return subject, "\n".join(lines) + "\n"


def _fail(conn: Connection, row: dict[str, Any], now: dt.datetime, error: str) -> None:
    attempts = row["attempts"] + 1
    conn.execute(sa.update(delivery).where(delivery.c.id == row["id"]).values(
        state="failed", attempts=attempts, last_error=error[:1000],
        next_attempt_at=now + backoff(attempts)))


def _sent(conn: Connection, row: dict[str, Any], now: dt.datetime) -> None:
    conn.execute(sa.update(delivery).where(delivery.c.id == row["id"]).values(
        state="sent", attempts=row["attempts"] + 1, last_error=None, sent_at=now))


def _send_webhook(conn: Connection, row: dict[str, Any], sub: dict[str, Any],
                  now: dt.datetime) -> bool:
    import httpx

    items = _alerts_for(conn, sub, list(row["alert_ids"]))
    body = json.dumps({"delivery_id": row["id"], "subscription_id": sub["id"],
                       "lang": sub["lang"], "alerts": items},
                      ensure_ascii=False, sort_keys=True).encode("utf-8")
    headers = {"Content-Type": "application/json", DELIVERY_HEADER: str(row["id"]),
               SIGNATURE_HEADER: sign(sub["secret"], body)}
    try:
        answer = httpx.post(sub["webhook_url"], content=body, headers=headers, timeout=10.0)
    except httpx.HTTPError as exc:
        _fail(conn, row, now, f"{type(exc).__name__}: {exc}")
        return False
    if 200 <= answer.status_code < 300:
        _sent(conn, row, now)
        return True
    _fail(conn, row, now, f"HTTP {answer.status_code}")
    return False


def _address(sub: dict[str, Any]) -> str:
    return str(sub["email"] or sub["subscriber"])


def _send_emails(conn: Connection, settings: Settings, rows: list[dict[str, Any]],
                 subs: dict[int, dict[str, Any]], now: dt.datetime,
                 done: Callable[[], None]) -> tuple[int, int, int]:
    """One digest per address (all its due deliveries together)."""
    by_address: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        sub = subs[row["subscription_id"]]
        by_address[(_address(sub), sub["lang"])].append(row)
    sent = failed = emails = 0
    for (address, lang), group in by_address.items():
        seen: dict[int, dict[str, Any]] = {}
        for row in group:
            for item in _alerts_for(conn, subs[row["subscription_id"]], list(row["alert_ids"])):
                seen[item["id"]] = item
        items = sorted(seen.values(), key=lambda a: a["id"])
        if not items:  # nothing left the subscriber may see: done, nothing to say
            for row in group:
                _sent(conn, row, now)
            done()
            continue
        subject, text = digest(items, lang)
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = settings.smtp_from, address, subject
        msg["Content-Language"] = lang
        msg.set_content(text)
        try:
            with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            for row in group:
                _fail(conn, row, now, f"{type(exc).__name__}: {exc}")
            failed += len(group)
            done()
            continue
        for row in group:
            _sent(conn, row, now)
        done()
        sent += len(group)
        emails += 1
    return sent, failed, emails


def send_due(conn: Connection, settings: Settings, now: dt.datetime,
             after_each: Callable[[], None] | None = None) -> SendSummary:
    """Try every delivery that is due at ``now`` (pending, or failed and past its back-off).

    ``after_each`` (e.g. ``conn.commit``) runs once each delivery's outcome is recorded, so a
    crash in the middle of a run re-sends at most the message that was in flight."""
    done = after_each or (lambda: None)
    # a stopped subscription's unsent deliveries stay in the log, unsent: whoever removed it
    # gets nothing more
    active = sa.exists().where(subscription.c.id == delivery.c.subscription_id,
                               subscription.c.active)
    rows = [dict(r) for r in conn.execute(
        sa.select(delivery).where(delivery.c.state != "sent", delivery.c.next_attempt_at <= now,
                                  active)
        .order_by(delivery.c.id).with_for_update(skip_locked=True)).mappings()]
    sub_ids = {r["subscription_id"] for r in rows}
    subs = {int(s["id"]): dict(s) for s in conn.execute(
        sa.select(subscription).where(subscription.c.id.in_(sub_ids))).mappings()}
    sent = failed = 0
    for row in (r for r in rows if subs[r["subscription_id"]]["channel"] == "webhook"):
        if _send_webhook(conn, row, subs[row["subscription_id"]], now):
            sent += 1
        else:
            failed += 1
        done()
    mail_rows = [r for r in rows if subs[r["subscription_id"]]["channel"] == "email"]
    m_sent, m_failed, emails = _send_emails(conn, settings, mail_rows, subs, now, done)
    return SendSummary(sent=sent + m_sent, failed=failed + m_failed, emails=emails)


def deliver(conn: Connection, settings: Settings, now: dt.datetime) -> SendSummary:
    """Plan the new alerts, then send what is due."""
    plan(conn, now)
    return send_due(conn, settings, now)


def delivery_log(conn: Connection, limit: int = 200) -> list[dict[str, Any]]:
    """Latest deliveries with their subscription (for admins: it names subscribers)."""
    s = subscription
    rows = conn.execute(
        sa.select(delivery.c.id, delivery.c.subscription_id, s.c.subscriber, s.c.channel,
                  delivery.c.alert_ids, delivery.c.state, delivery.c.attempts,
                  delivery.c.next_attempt_at, delivery.c.last_error, delivery.c.sent_at,
                  delivery.c.created_at)
        .join(s, s.c.id == delivery.c.subscription_id)
        .order_by(delivery.c.id.desc()).limit(limit)).mappings()
    return [dict(r) for r in rows]


def unsubscribe(conn: Connection, subscription_id: int) -> None:
    """Stop a subscription (kept, with its deliveries: history is never destroyed)."""
    done = conn.execute(sa.update(subscription).where(subscription.c.id == subscription_id)
                        .values(active=False)).rowcount
    if not done:
        raise NotFoundError(bilingual(f"No existe la suscripción {subscription_id}",
                                      f"Subscription {subscription_id} does not exist"),
                            code="subscription_not_found")
