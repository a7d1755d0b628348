"""``allpa map network|community`` (advocacy HTML, or print PNG/PDF) and ``allpa report
community`` (lawyer's dossier HTML/PDF). The CLI is trusted: it sees what an editor sees
unless ``--public`` asks for the public version."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.context import friendly_errors, ready_engine, settings

if TYPE_CHECKING:
    from layers.queries import Viewer

map_app = typer.Typer(help="Mapas para redes y comunidades / advocacy and print maps.",
                      no_args_is_help=True)
report_app = typer.Typer(help="Expedientes para abogados / lawyers' dossiers.",
                         no_args_is_help=True)

Output = Annotated[Path, typer.Option("--output", "-o", help="Archivo de salida / output file")]
Lang = Annotated[str, typer.Option(help="es|en")]
Public = Annotated[bool, typer.Option(
    "--public/--full", help="Versión pública (oculta lo restringido, generaliza manantiales) / "
                            "public version")]
Fmt = Annotated[str | None, typer.Option(
    "--format", help="html | png | pdf (por defecto según la extensión / from the extension)")]
Paper = Annotated[str, typer.Option(help="A4 | A3 (mapas impresos / print maps)")]


def _viewer(public: bool) -> Viewer:
    """The CLI is trusted (an editor) unless ``--public`` asks for the public version."""
    from layers.queries import Viewer
    from layers.users import ANONYMOUS, Principal

    principal = ANONYMOUS if public else Principal(name="allpa-cli", role="editor")
    return Viewer(principal=principal, grid_deg=settings().public_grid_deg)


def _format(fmt: str | None, output: Path, allowed: tuple[str, ...]) -> str:
    value = (fmt or output.suffix.lstrip(".") or "html").lower()
    if value not in allowed:
        raise typer.BadParameter(f"--format: {' | '.join(allowed)}")
    return value


def _map(network: str | None, community: str | None, output: Path, fmt: str | None,
         paper: str, lang: str, public: bool) -> None:
    from api import mapping

    kind = _format(fmt, output, ("html", "png", "pdf"))
    with ready_engine().connect() as conn:
        viewer = _viewer(public)
        if kind == "html":
            out = mapping.advocacy_map(conn, viewer, network=network, community=community,
                                       lang=lang)
        else:
            out = mapping.print_map(conn, viewer, network=network, community=community,
                                    lang=lang, fmt=kind, paper=paper)
    size = mapping.write(out, output)
    typer.echo(f"{output}: {size / 1024:.0f} KiB en/in {out.seconds:.2f} s")


@map_app.command("network")
@friendly_errors
def map_network(name: Annotated[str, typer.Argument(help="id o nombre de la red / id or name")],
                output: Output, fmt: Fmt = None, paper: Paper = "A4", lang: Lang = "es",
                public: Public = False) -> None:
    """Mapa de una red de comunidades / map of a community network."""
    _map(name, None, output, fmt, paper, lang, public)


@map_app.command("community")
@friendly_errors
def map_community(community_id: Annotated[str, typer.Argument(help="id de la comunidad")],
                  output: Output, fmt: Fmt = None, paper: Paper = "A4", lang: Lang = "es",
                  public: Public = False) -> None:
    """Mapa de una comunidad / map of one community."""
    _map(None, community_id, output, fmt, paper, lang, public)


@report_app.command("community")
@friendly_errors
def report_community(community_id: Annotated[str, typer.Argument(help="id de la comunidad")],
                     output: Output, fmt: Fmt = None, lang: Lang = "es",
                     public: Public = False) -> None:
    """Expediente legal de una comunidad (HTML o PDF) / a community's legal dossier."""
    from api import mapping

    kind = _format(fmt, output, ("html", "pdf"))
    with ready_engine().connect() as conn:
        viewer = _viewer(public)
        out = (mapping.dossier_html if kind == "html" else mapping.dossier_pdf)(
            conn, viewer, community_id, lang=lang)
    size = mapping.write(out, output)
    typer.echo(f"{output}: {size / 1024:.0f} KiB en/in {out.seconds:.2f} s")


def register(app: typer.Typer) -> None:
    app.add_typer(map_app, name="map")
    app.add_typer(report_app, name="report")
