"""``allpa cases`` (trámites; ``attach``, ``documents``, ``download``, ``deadline`` and
``deadlines`` under it), ``allpa agenda`` (deadlines, table or CSV) and
``allpa users calendar-key NAME`` (the secret iCalendar feed URL). The CLI runs as the local
administrator; heavy libraries are imported inside the commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.context import friendly_errors, ready_engine

_ADMIN = ("allpa-cli", "admin")


def _principal(by: str | None = None) -> Any:
    from layers.users import Principal

    return Principal(by or _ADMIN[0], _ADMIN[1])


app = typer.Typer(help="Trámites: lista, documentos y plazos / cases, documents, deadlines",
                  invoke_without_command=True, no_args_is_help=False)


def _table(head: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    cells = [tuple("–" if v is None else str(v) for v in r) for r in [head, *rows]]
    widths = [max(len(r[k]) for r in cells) for k in range(len(head))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
                     for r in cells) + "\n"


@app.callback()
@friendly_errors
def cases_cmd(
    ctx: typer.Context,
    community: Annotated[str | None, typer.Option(
        "--community", help="Código de comunidad / community id")] = None,
    fmt: Annotated[str, typer.Option("--format", help="table|json")] = "table",
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
) -> None:
    """Trámites vigentes, el plazo más cercano primero / current cases."""
    if ctx.invoked_subcommand is not None:
        return
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
    head = ("trámite", "comunidad", "tipo", "etapa", "abogado/a", "próximo plazo") \
        if lang == "es" else ("case", "community", "type", "stage", "lawyer", "next deadline")
    typer.echo(_table(head, [(c["id"], c["community_id"], c["type_label"], c["stage_label"],
                              c["lawyer"], c["next_deadline"]) for c in items]), nl=False)


def _size(n: int) -> str:
    return f"{n / 1024**2:.1f} MB" if n >= 1024**2 else f"{n / 1024:.0f} kB"


@app.command("attach")
@friendly_errors
def attach_cmd(
    case: Annotated[str, typer.Argument(help="Código del trámite / case id")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True,
                                         help="PDF, imagen, ODT o DOCX")],
    note: Annotated[str | None, typer.Option(help="Nota de esta versión / note")] = None,
    title: Annotated[str | None, typer.Option(help="Nombre del documento / title")] = None,
    document: Annotated[int | None, typer.Option(
        help="Documento del que esta es una nueva versión / new version of this document")]
    = None,
    by: Annotated[str | None, typer.Option(help="Quién lo adjunta / uploaded by")] = None,
) -> None:
    """Adjunta un documento al trámite (o una nueva versión: --document N); nada se borra.
    / attach a document (or a new version of one); nothing is ever deleted."""
    from api.cli.context import settings
    from layers import case_documents

    s = settings()
    with ready_engine(s).begin() as conn:
        doc = case_documents.attach(
            conn, _principal(by or s.user), case, file.read_bytes(), file.name,
            limit_bytes=int(s.case_document_max_mb * 1024 * 1024), note=note, title=title,
            document_id=document, source="cli")
    v = doc["latest"]
    typer.echo(f"documento {doc['id']} «{doc['title']}» versión {v['version']}: "
               f"{v['file_name']} {_size(v['size_bytes'])} sha256 {v['sha256']}")


@app.command("documents")
@friendly_errors
def documents_cmd(
    case: Annotated[str, typer.Argument(help="Código del trámite / case id")],
    fmt: Annotated[str, typer.Option("--format", help="table|json")] = "table",
) -> None:
    """Documentos del trámite con todas sus versiones / a case's documents and versions."""
    from layers import case_documents

    if fmt not in ("table", "json"):
        raise typer.BadParameter(f"--format: table|json, no '{fmt}'")
    with ready_engine().connect() as conn:
        docs = case_documents.list_documents(conn, _principal(), case)
    if fmt == "json":
        typer.echo(json.dumps(docs, ensure_ascii=False, indent=2))
        return
    if not docs:
        typer.echo("sin documentos / no documents")
        return
    rows = [(d["id"], d["title"], v["version"], v["file_name"], v["uploaded_at"][:16],
             v["uploaded_by"], _size(v["size_bytes"]), v["sha256"][:12], v["note"])
            for d in docs for v in d["versions"]]
    typer.echo(_table(("doc", "título", "versión", "archivo", "fecha", "quién", "tamaño",
                       "sha256", "nota"), rows), nl=False)


@app.command("download")
@friendly_errors
def download_cmd(
    case: Annotated[str, typer.Argument(help="Código del trámite / case id")],
    document: Annotated[int, typer.Argument(help="Número del documento / document id")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Archivo de salida")],
    version: Annotated[int | None, typer.Option(help="Versión (la última por defecto)")]
    = None,
) -> None:
    """Guarda una versión de un documento / save a document's version to a file."""
    from layers import case_documents

    with ready_engine().connect() as conn:
        stored = case_documents.read_file(conn, _principal(), case, document, version)
    output.write_bytes(stored.content)
    typer.echo(f"{output}: versión {stored.version}, sha256 {stored.sha256}")


@app.command("deadline")
@friendly_errors
def deadline_cmd(
    case: Annotated[str, typer.Argument(help="Código del trámite / case id")],
    due: Annotated[str, typer.Argument(help="Fecha AAAA-MM-DD / due date")],
    what: Annotated[str, typer.Argument(help="Para qué / what is due")],
    kind: Annotated[str, typer.Option(help="legal|authority|internal|community")] = "legal",
    by: Annotated[str | None, typer.Option(help="Quién lo registra / recorded by")] = None,
) -> None:
    """Añade un plazo al trámite (un trámite tiene varios) / add a deadline to a case."""
    from layers import case_deadlines

    with ready_engine().begin() as conn:
        row = case_deadlines.add_deadline(conn, _principal(by), case, due=due, what=what,
                                          kind=kind, source="cli")
    typer.echo(f"plazo {row['id']}: {row['due']} {row['what']} ({row['kind_label']})")


@app.command("deadlines")
@friendly_errors
def deadlines_cmd(
    case: Annotated[str, typer.Argument(help="Código del trámite / case id")],
) -> None:
    """Todos los plazos del trámite, abiertos y cerrados / every deadline of a case."""
    from layers import case_deadlines

    with ready_engine().connect() as conn:
        items = case_deadlines.list_deadlines(conn, _principal(), case)
    if not items:
        typer.echo("sin plazos / no deadlines")
        return
    rows = [(d["id"], d["due"], d["state_label"] + (" · VENCIDO" if d["overdue"] else ""),
             d["kind_label"], d["what"], d["closed_by"]) for d in items]
    typer.echo(_table(("plazo", "fecha", "estado", "tipo", "para qué", "cerrado por"), rows),
               nl=False)


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
             i["community_name"], i["type_label"], i["deadline_what"], i["kind_label"],
             i["lawyer"]) for i in items]
    typer.echo(_table(("plazo", "estado", "comunidad", "trámite", "para qué", "tipo",
                       "abogado/a"), rows), nl=False)


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

    main.add_typer(app, name="cases")
    main.command("agenda")(agenda_cmd)
    users.app.command("calendar-key")(calendar_key_cmd)
