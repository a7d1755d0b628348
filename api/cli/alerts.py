"""``allpa alerts [--community ID] [--format table|json]``: cadastre alerts in the terminal.
Heavy libraries are imported inside the command."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine


def _table(rows: list[dict[str, Any]], lang: str) -> str:
    if not rows:
        return ("No hay alertas.\n" if lang != "en" else "No alerts.\n")
    head = (("id", "comunidad", "cambio", "derecho", "ha", "estado", "fecha") if lang != "en"
            else ("id", "community", "change", "right", "ha", "state", "date"))
    body = [(str(r["id"]), r["community_id"], r["kind_label"], r["code"],
             "–" if r["hectares"] is None else f"{r['hectares']:.1f}", r["state_label"],
             str(r["created_at"])[:10]) for r in rows]
    widths = [max(len(row[k]) for row in [head, *body]) for k in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()
                     for row in [head, *body]) + "\n"


@friendly_errors
def alerts_cmd(
    community: Annotated[str | None, typer.Option(help="id de comunidad")] = None,
    network: Annotated[str | None, typer.Option(help="id de red")] = None,
    state: Annotated[str | None, typer.Option(
        help="nueva|vista|verificada|descartada")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|json")] = "table",
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
            community=community, network=network, state=state), lang=lang)
    if fmt == "json":
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        typer.echo(_table(rows, lang), nl=False)


def register(app: typer.Typer) -> None:
    app.command("alerts")(alerts_cmd)
