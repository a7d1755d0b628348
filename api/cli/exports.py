"""``allpa export LAYER -o FILE`` for the vector layers: the formats and filters of
``GET /api/{layer}/export``, from the command line (analysts' scripts, cron jobs).

The CLI reads as an editor (everything, exact coordinates) unless ``--public`` asks for
what an anonymous visitor of the API would get.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from api.cli.context import friendly_errors, ready_engine, settings

if TYPE_CHECKING:
    from layers import exports


def _format_for(output: Path, fmt: str | None) -> exports.ExportFormat:
    from layers import exports

    if fmt:
        return exports.get_format(fmt)
    suffix = output.suffix.lower().lstrip(".")
    by_suffix = {"json": "geojson", "geojson": "geojson", "gpkg": "gpkg", "zip": "shp",
                 "shp": "shp", "kml": "kml", "csv": "csv"}
    if suffix not in by_suffix:
        raise exports.UnknownFormatError(
            f"No se deduce el formato de '{output.name}'; use --format "
            f"{'|'.join(exports.FORMATS)} / cannot tell the format of '{output.name}'; "
            f"use --format")
    return exports.get_format(by_suffix[suffix])


def export_layer(layer: str, output: Path, *, fmt: str | None = None, public: bool = False,
                 as_of: str | None = None, bbox: str | None = None, q: str | None = None,
                 district: str | None = None, network: str | None = None,
                 flagged: bool | None = None, equals: dict[str, str | None] | None = None,
                 bom: bool = False) -> tuple[Path, int]:
    """Write ``layer`` to ``output``; returns the path written and the feature count."""
    from api.dependencies import bbox_param, parse_as_of
    from layers import exports
    from layers.queries import Viewer, get_collection
    from layers.users import ANONYMOUS, Principal

    coll = get_collection(layer)
    export_format = _format_for(output, fmt)
    s = settings()
    principal = ANONYMOUS if public else Principal(name="allpa-cli", role="editor")
    viewer = Viewer(principal=principal, grid_deg=s.public_grid_deg)
    when: dt.date | dt.datetime | None = parse_as_of(as_of)
    filters = exports.export_filters(coll, bbox=bbox_param(bbox), as_of=when, q=q,
                                     district=district, network=network, flagged=flagged,
                                     equals=equals)
    engine = ready_engine(s)
    tmp = Path(tempfile.mkdtemp(prefix="allpa-export-"))
    try:
        with engine.connect() as conn:
            data = exports.typed_frame(conn, coll, viewer, filters)
        written = exports.write_frame(data, coll.name, export_format, tmp, bom=bom)
        output.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(written), output)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        engine.dispose()
    return output, len(data)


def _command(layer: str) -> Callable[..., None]:
    @friendly_errors
    def command(
        output: Annotated[Path, typer.Option("--output", "-o", help="Archivo de salida / "
                                             "output file (.geojson .gpkg .zip .kml .csv)")],
        fmt: Annotated[str | None, typer.Option("--format", "-f",
                                                help="geojson|gpkg|shp|kml|csv")] = None,
        public: Annotated[bool, typer.Option("--public/--full", help="Solo lo público / "
                                             "public version")] = False,
        as_of: Annotated[str | None, typer.Option("--as-of", help="AAAA-MM-DD")] = None,
        bbox: Annotated[str | None, typer.Option(help="minlon,minlat,maxlon,maxlat")] = None,
        q: Annotated[str | None, typer.Option("--q", help="Buscar / search")] = None,
        district: Annotated[str | None, typer.Option(help="Ubigeo (prefijo)")] = None,
        network: Annotated[str | None, typer.Option(help="Red / network id")] = None,
        flagged: Annotated[bool | None, typer.Option("--flagged/--not-flagged")] = None,
        legal_status: Annotated[str | None, typer.Option("--legal-status")] = None,
        state: Annotated[str | None, typer.Option()] = None,
        kind: Annotated[str | None, typer.Option()] = None,
        stage: Annotated[str | None, typer.Option()] = None,
        level: Annotated[str | None, typer.Option()] = None,
        bom: Annotated[bool, typer.Option("--bom", help="CSV con BOM para Excel")] = False,
    ) -> None:
        path, n = export_layer(
            layer, output, fmt=fmt, public=public, as_of=as_of, bbox=bbox, q=q,
            district=district, network=network, flagged=flagged, bom=bom,
            equals={"legal_status": legal_status, "state": state, "kind": kind,
                    "stage": stage, "level": level})
        typer.echo(f"{path}: {n} entidades / features ({layer})")

    command.__doc__ = f"Exporta la capa {layer} / export the {layer} layer."
    return command


class LayerExportGroup(TyperGroup):
    """The ``export`` group. ``export raster`` is registered as usual; one ``export LAYER``
    per published layer is added when the group is first listed or used, so that building
    the command line does not import the layer definitions (start-up time)."""

    _layers_added = False

    def _add_layers(self) -> None:
        if self._layers_added:
            return
        self._layers_added = True
        from layers.queries import COLLECTIONS

        layers_app = typer.Typer()
        for layer in COLLECTIONS:
            layers_app.command(layer)(_command(layer))
        built = typer.main.get_command(layers_app)
        for name, command in getattr(built, "commands", {}).items():
            self.add_command(command, name)

    def list_commands(self, ctx: Any) -> list[str]:
        self._add_layers()
        return super().list_commands(ctx)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        self._add_layers()
        return super().get_command(ctx, cmd_name)


def export_group(app: typer.Typer) -> typer.Typer:
    """The ``export`` group of ``app`` (created once; ``export raster`` joins it too)."""
    for info in app.registered_groups:
        if info.name == "export" and info.typer_instance is not None:
            return info.typer_instance
    group = typer.Typer(cls=LayerExportGroup, help="Exporta capas / export layers.",
                        no_args_is_help=True)
    app.add_typer(group, name="export")
    return group


def register(app: typer.Typer) -> None:
    """The ``export`` group, with a command per layer (added when the group is used)."""
    export_group(app)
