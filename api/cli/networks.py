"""``allpa networks history ID [--format table|json]``: who joined and who left a network,
derived from its versions. Heavy libraries are imported inside the command."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine

app = typer.Typer(help="Redes de comunidades / community networks", no_args_is_help=True)


def _table(body: dict[str, Any], lang: str) -> str:
    events = body["events"]
    if not events:
        return "Sin cambios de miembros.\n" if lang != "en" else "No membership changes.\n"
    head = (("fecha", "cambio", "comunidad", "por", "fuente", "versión") if lang != "en"
            else ("date", "change", "community", "by", "source", "version"))
    rows = [(e["at"][:19].replace("T", " "), e["change_label"],
             f"{e['community_id']} {e['community_name']}", e["recorded_by"] or "–",
             e["source"] or "–", f"v{e['vid']}") for e in events]
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in [head, *rows]) + "\n"


@friendly_errors
def history_cmd(
    network_id: Annotated[str, typer.Argument(help="id de la red / network id")],
    fmt: Annotated[str, typer.Option("--format", help="table|json")] = "table",
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
) -> None:
    """Quién se unió y quién salió de una red / who joined and left a network."""
    if fmt not in ("table", "json"):
        raise typer.BadParameter("--format: table|json")
    from layers import network_status
    from layers.users import Principal

    principal = Principal(name="allpa-cli", role="admin")
    with ready_engine().connect() as conn:
        body = network_status.membership_history(conn, principal, network_id,
                                                 lang="en" if lang == "en" else "es")
    if fmt == "json":
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        typer.echo(_table(body, lang), nl=False)


app.command("history")(history_cmd)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="networks")
