"""``allpa alerts [--community ID] [--limit N --offset N] [--format table|json]``: cadastre
alerts in the terminal, newest first, each with its response deadline where a rule gives one.
Heavy libraries are imported inside the command."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine


def _table(rows: list[dict[str, Any]], lang: str) -> str:
    if not rows:
        return ("No hay alertas.\n" if lang != "en" else "No alerts.\n")
    head = (("id", "comunidad", "cambio", "derecho", "ha", "estado", "fecha", "plazo")
            if lang != "en" else
            ("id", "community", "change", "right", "ha", "state", "date", "deadline"))
    body = [(str(r["id"]), r["community_id"], r["kind_label"], r["code"],
             "–" if r["hectares"] is None else f"{r['hectares']:.1f}", r["state_label"],
             str(r["created_at"])[:10], r["deadline"]["due"] if r.get("deadline") else "–")
            for r in rows]
    widths = [max(len(row[k]) for row in [head, *body]) for k in range(len(head))]
    table = "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                      for row in [head, *body]) + "\n"
    # what each deadline asks and its (orientative) reference, once per alert that has one
    notes = [f"{r['id']}: {_deadline_text(r['deadline'], lang)}" for r in rows
             if r.get("deadline")]
    return table + ("\n" + "\n".join(notes) + "\n" if notes else "")


def _deadline_text(deadline: dict[str, Any], lang: str) -> str:
    from layers.alert_deadlines import text

    return text(deadline, lang)


@friendly_errors
def alerts_cmd(
    community: Annotated[str | None, typer.Option(help="id de comunidad")] = None,
    network: Annotated[str | None, typer.Option(help="id de red")] = None,
    state: Annotated[str | None, typer.Option(
        help="nueva|vista|verificada|descartada")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|json")] = "table",
    limit: Annotated[int, typer.Option(min=1, max=1000, help="cuántas (las más recientes)")]
    = 100,
    offset: Annotated[int, typer.Option(min=0, help="saltar las N más recientes")] = 0,
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
) -> None:
    """Alertas del catastro minero por comunidad / mining cadastre alerts per community."""
    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format: table|json")
    from layers import alerts
    from layers.users import Principal

    principal = Principal(name="allpa-cli", role="admin")
    with ready_engine().connect() as conn:
        rows = alerts.list_alerts(conn, principal, alerts.AlertFilter(
            community=community, network=network, state=state), lang=lang, limit=limit,
            offset=offset)
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        typer.echo(_table(rows, lang), nl=False)


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts_cmd)
