"""``allpa cases`` (trámites), ``allpa agenda`` (deadlines, table or CSV) and
``allpa users calendar-key NAME`` (the secret iCalendar feed URL). The CLI runs as the local
administrator; heavy libraries are imported inside the commands."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine

_ADMIN = ("allpa-cli", "admin")


def _principal() -> Any:
    from layers.users import Principal

    return Principal(*_ADMIN)


def _table(head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    cells = [tuple("–" if v is None else str(v) for v in r) for r in [head, *rows]]
    widths = [max(len(r[k]) for r in cells) for k in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells) + "\n"


@friendly_errors
def cases_cmd(
    community: Annotated[str | None, typer.Option(
        "--community", help="Código de comunidad / community id")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|json")] = "table",
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
) -> None:
    """Trámites vigentes, el plazo más cercano primero / current cases."""
    from layers import cases

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"--format: table|json, no '{fmt}'")
    with ready_engine().connect() as conn:
        items = cases.list_cases(conn, _principal(), community_id=community, lang=lang)
    if fmt == "json":
        typer.echo(json.dumps(items, ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo("sin trámites / no cases")
        return
    head = ("trámite", "comunidad", "tipo", "etapa", "abogado/a", "plazo") if lang == "es" \
        else ("case", "community", "type", "stage", "lawyer", "deadline")
    typer.echo(_table(head, [(c["id"], c["community_id"], c["type_label"], c["stage_label"],
                              c["lawyer"], c["deadline"]) for c in items]), nl=False)


@friendly_errors
def agenda_cmd(
    lawyer: Annotated[str | None, typer.Option(help="Abogado/a / lawyer")] = None,
    network: Annotated[str | None, typer.Option(help="id de red / network id")] = None,
    district: Annotated[str | None, typer.Option(help="Prefijo de ubigeo")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|csv")] = "table",
) -> None:
    """Mis plazos: los plazos de los trámites abiertos por fecha; vencidos marcados."""
    from layers import agenda

    if fmt not in ("table", "csv"):
        raise typer.BadParameter(f"--format: table|csv, no '{fmt}'")
    with ready_engine().connect() as conn:
        items = agenda.agenda(conn, _principal(), lawyer=lawyer, network=network,
                              district=district)
    if fmt == "csv":
        typer.echo(agenda.to_csv(items), nl=False)
        return
    if not items:
        typer.echo("sin plazos / no deadlines")
        return
    rows = [(i["deadline"], f"VENCIDO {i['days_overdue']} d" if i["overdue"] else "",
             i["community_name"], i["type_label"], i["deadline_what"], i["lawyer"])
            for i in items]
    typer.echo(_table(("plazo", "estado", "comunidad", "trámite", "para qué", "abogado/a"),
                      rows), nl=False)


@friendly_errors
def calendar_key_cmd(
    name: Annotated[str, typer.Argument(help="Nombre de usuario / user name")],
    base_url: Annotated[str, typer.Option(
        help="Dirección pública del servicio / public address of the service")]
    = "http://127.0.0.1:8000",
) -> None:
    """Emite la URL secreta del calendario de plazos (revoca la anterior) / issue the secret
    deadline-feed URL (revokes the previous one)."""
    from layers import calendar_keys

    with ready_engine().begin() as conn:
        key = calendar_keys.issue_calendar_key(conn, name)
    typer.echo(f"{base_url.rstrip('/')}/api/agenda.ics?key={key}")
    typer.echo("Guárdela ahora: no se vuelve a mostrar / store it now: it is not shown again",
               err=True)


def register(main: typer.Typer) -> None:
    from api.cli import users

    main.command("cases")(cases_cmd)
    main.command("agenda")(agenda_cmd)
    users.app.command("calendar-key")(calendar_key_cmd)
