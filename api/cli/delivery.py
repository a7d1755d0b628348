"""``allpa subscribe``, ``allpa subscriptions``, ``allpa deliver``, ``allpa deliveries`` and
``allpa watch``: alert delivery by e-mail digest and signed webhook. Heavy libraries are
imported inside commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine, settings


@friendly_errors
def subscribe_cmd(
    subscriber: Annotated[str, typer.Argument(help="usuario o correo / user or e-mail")],
    network: Annotated[str | None, typer.Option(help="id de red")] = None,
    community: Annotated[str | None, typer.Option(help="id de comunidad")] = None,
    district: Annotated[str | None, typer.Option(
        help="distrito o municipio: código (ubigeo/INE) o nombre / district or municipality: "
             "code or name")] = None,
    email: Annotated[str | None, typer.Option(help="correo (si no es el suscriptor)")] = None,
    webhook: Annotated[str | None, typer.Option(help="URL del webhook")] = None,
    secret: Annotated[str | None, typer.Option(help="secreto HMAC del webhook")] = None,
    frequency: Annotated[str, typer.Option(help="immediate|daily")] = "immediate",
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
) -> None:
    """Suscribe a las alertas de una red, comunidad o distrito / subscribe to alerts."""
    from geo.errors import InputError, bilingual
    from layers import delivery, districts

    chosen = [(scope, value) for scope, value in (
        ("network", network), ("community", community), ("district", district))
        if value is not None]
    if len(chosen) != 1:
        raise InputError(bilingual(
            "Indique --network, --community o --district (uno solo)",
            "Pass exactly one of --network, --community or --district"),
            code="invalid_subscription")
    scope, scope_id = chosen[0]
    with ready_engine().begin() as conn:
        if scope == "district":
            scope_id = districts.resolve(conn, scope_id)
        sid = delivery.subscribe(
            conn, subscriber=subscriber, scope=scope, scope_id=scope_id,
            channel="webhook" if webhook else "email", email=email, webhook_url=webhook,
            secret=secret, frequency=frequency, lang=lang)
        name = districts.name_of(conn, None, scope_id) if scope == "district" else None
    typer.echo(f"suscripción {sid} / subscription {sid}"
               + (f": {name} ({scope_id})" if name else ""))


@friendly_errors
def subscriptions_cmd(
    stopped: Annotated[bool, typer.Option(help="incluir las detenidas / include stopped")]
    = False,
) -> None:
    """Las suscripciones, con el nombre de lo que siguen / subscriptions, with what they
    follow by name (JSON; the webhook secrets are never shown)."""
    from layers import subscriptions
    from layers.users import Principal

    with ready_engine().connect() as conn:
        rows = subscriptions.list_for(conn, Principal(name="allpa-cli", role="admin"),
                                      everyone=True, include_stopped=stopped)
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))


@friendly_errors
def unsubscribe_cmd(subscription_id: Annotated[int, typer.Argument(help="id")]) -> None:
    """Detiene una suscripción (se conserva su historial) / stop a subscription."""
    from layers import delivery

    with ready_engine().begin() as conn:
        delivery.unsubscribe(conn, subscription_id)
    typer.echo(f"suscripción {subscription_id} detenida / subscription {subscription_id} "
               "stopped")


@friendly_errors
def deliver_cmd() -> None:
    """Envía las alertas nuevas y reintenta las fallidas / send new alerts, retry failed."""
    import datetime as dt

    from layers import delivery

    s = settings()
    engine = ready_engine(s)
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        delivery.plan(conn, now)
    with engine.connect() as conn:
        out = delivery.send_due(conn, s, now, after_each=conn.commit)
        conn.commit()
    typer.echo(f"enviadas {out.sent}, fallidas {out.failed}, correos {out.emails} / "
               f"sent {out.sent}, failed {out.failed}, e-mails {out.emails}")


@friendly_errors
def deliveries_cmd(limit: Annotated[int, typer.Option(help="cuántas")] = 50) -> None:
    """Registro de envíos (solo administración) / delivery log (admins)."""
    from layers import delivery
    from layers.layer_collections import jsonable

    with ready_engine().connect() as conn:
        rows: list[dict[str, Any]] = [{k: jsonable(v) for k, v in r.items()}
                                      for r in delivery.delivery_log(conn, limit)]
    typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))


@friendly_errors
def watch_cmd(
    target: Annotated[Path, typer.Argument(exists=True, help="archivo o carpeta / file or dir")],
    layer: Annotated[str, typer.Option(help="capa / layer")] = "concessions",
    source: Annotated[str | None, typer.Option(help="Fuente / source note")] = None,
    profile: Annotated[str | None, typer.Option(help="perfil de importación")] = None,
    by: Annotated[str | None, typer.Option(help="Quién registra / recorded by")] = None,
) -> None:
    """Importa lo nuevo, analiza y envía alertas (idempotente) / import what is new,
    analyse, deliver alerts (idempotent)."""
    from layers.watch import watch

    s = settings()
    report = watch(ready_engine(s), s, target, layer=layer, source=source, profile=profile,
                   recorded_by=by or s.user)
    typer.echo(f"importados {len(report.imported)}, ya conocidos {len(report.skipped)}, "
               f"enviadas {report.sent}, fallidas {report.failed} / imported "
               f"{len(report.imported)}, known {len(report.skipped)}, sent {report.sent}, "
               f"failed {report.failed}")


def register(app: typer.Typer) -> None:
    app.command("subscribe")(subscribe_cmd)
    app.command("unsubscribe")(unsubscribe_cmd)
    app.command("subscriptions")(subscriptions_cmd)
    app.command("deliver")(deliver_cmd)
    app.command("deliveries")(deliveries_cmd)
    app.command("watch")(watch_cmd)
