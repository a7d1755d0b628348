"""``allpa import``, ``allpa sample``, ``allpa history``, ``allpa batches``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from api.cli.context import friendly_errors, ready_engine, settings
from geo.errors import InputError

if TYPE_CHECKING:
    from layers.importer import ImportReport


def _print_report(report: ImportReport, lang: str, verbose: bool) -> None:
    typer.echo(report.summary(lang))
    limit = None if verbose else 10
    for label, items in (("reparado/repaired", report.repairs),
                         ("rechazado/rejected", report.rejections)):
        for item in items[:limit]:
            action = item.get("action") or ""
            if item.get("introduced_by_reprojection"):
                action += ", tras reproyectar / after reprojection"
            suffix = f" ({action})" if action else ""
            typer.echo(f"  {label}: {item.get('feature_id')}: {item.get('reason')}{suffix}")
        if limit is not None and len(items) > limit:
            typer.echo(f"  … y {len(items) - limit} más (use --verbose)")
    for label, keys in (("nuevo/added", report.inserted_keys),
                        ("modificado/changed", report.changed_keys),
                        ("cerrado/closed", report.closed_keys),
                        ("conservado (rechazado)/kept (rejected)", report.kept_rejected_keys)):
        if keys:
            shown = keys if verbose else keys[:20]
            more = f" … (+{len(keys) - len(shown)})" if len(keys) > len(shown) else ""
            typer.echo(f"  {label}: {', '.join(shown)}{more}")
    for warning in report.warnings:
        typer.echo(f"  aviso/warning: {warning}")


def _parse_mapping(pairs: list[str]) -> dict[str, str] | None:
    if not pairs:
        return None
    mapping: dict[str, str] = {}
    for pair in pairs:
        if "=" not in pair:
            raise InputError(f"--map espera campo=columna, recibió '{pair}' / "
                             f"--map expects field=column")
        k, v = pair.split("=", 1)
        mapping[k.strip()] = v.strip()
    return mapping


def import_cmd(
    layer: Annotated[str, typer.Argument(help="boundaries|communities|concessions|water|"
                                              "consultations|networks|actors|conflicts|"
                                              "positions|raster")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    crs: Annotated[str | None, typer.Option(help="SRC, p. ej. EPSG:32719")] = None,
    source: Annotated[str | None, typer.Option(help="Fuente / source note")] = None,
    profile: Annotated[str | None, typer.Option(help="ingemmet|inei_boundaries|"
                                                     "allpa_community|columns…")] = None,
    map_: Annotated[list[str], typer.Option("--map", help="campo=columna (perfil columns)")] = [],  # noqa: B006
    level: Annotated[str | None, typer.Option(help="Nivel de límites")] = None,
    encoding: Annotated[str | None, typer.Option(help="Codificación del DBF/CSV")] = None,
    strict: Annotated[bool, typer.Option(help="Rechaza todo si algo se rechaza")] = False,
    by: Annotated[str | None, typer.Option(help="Quién registra / recorded by")] = None,
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Informe en JSON")] = False,
    kind: Annotated[str | None, typer.Option(help="raster: dem|landcover")] = None,
    key: Annotated[str | None, typer.Option(help="raster: clave (por defecto, el tipo)")] = None,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Muestra qué se añadiría/cambiaría/cerraría sin escribir")] = False,
    allow_mass_close: Annotated[bool, typer.Option(
        "--allow-mass-close", help="Permite cerrar más del 20 % de los registros vigentes "
                                   "de la fuente")] = False,
    source_layer: Annotated[str | None, typer.Option(
        help="Capa dentro del archivo (GeoPackage/KML/zip) / layer inside the file")] = None,
    set_: Annotated[list[str], typer.Option(
        "--set", help="CAMPO=VALOR constante para un campo que falta, p. ej. country=BO "
                      "(repetible) / constant FIELD=VALUE for a missing field")] = [],  # noqa: B006
) -> None:
    """Importa un archivo a una capa (atómico) / import a file into a layer (atomic)."""
    friendly_errors(_import)(layer, file, crs, source, profile, map_, level, encoding, strict,
                             by, lang, verbose, as_json, kind, key, dry_run, allow_mass_close,
                             source_layer, set_)


def _import(layer: str, file: Path, crs: str | None, source: str | None, profile: str | None,
            map_: list[str], level: str | None, encoding: str | None, strict: bool,
            by: str | None, lang: str, verbose: bool, as_json: bool,
            kind: str | None = None, key: str | None = None, dry_run: bool = False,
            allow_mass_close: bool = False, source_layer: str | None = None,
            set_: list[str] | None = None) -> None:
    s = settings()
    engine = ready_engine(s)
    defaults = {"level": level} if level else None
    with engine.begin() as conn:
        if layer.lower() in ("raster", "rasters"):
            from layers.rasters import import_raster  # rasterio: only for rasters

            if kind is None:
                raise InputError("Indique --kind dem|landcover para un raster / "
                                 "pass --kind dem|landcover for a raster")
            report = import_raster(conn, file, kind=kind, key=key, source=source, crs=crs,
                                   recorded_by=by or s.user, settings=s)
        else:
            from geo.constants import parse_set
            from layers.importer import import_file

            report = import_file(conn, layer, file, recorded_by=by or s.user, crs=crs,
                                 profile=profile, mapping=_parse_mapping(map_),
                                 defaults=defaults, source=source, encoding=encoding,
                                 strict=strict, dry_run=dry_run,
                                 allow_mass_close=allow_mass_close, source_layer=source_layer,
                                 constants=parse_set(set_ or []) or None)
            if not dry_run:
                from layers import jobs
                from layers.registry import get_layer

                # a running service's worker recalculates the flags this import touches
                jobs.enqueue_import(conn, get_layer(layer).name, report.batch_id,
                                    requested_by=by or s.user)
    if as_json:
        typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, default=str, indent=2))
    else:
        _print_report(report, lang, verbose)


@friendly_errors
def sample_cmd(
    by: Annotated[str | None, typer.Option(help="Quién registra")] = None,
    lang: Annotated[str, typer.Option(help="es|en")] = "es",
) -> None:
    """Carga la muestra FICTICIA incluida / load the bundled FICTIONAL sample."""
    from layers.sample import load_sample

    s = settings()
    engine = ready_engine(s)
    with engine.begin() as conn:
        reports = load_sample(conn, recorded_by=by or s.user, settings=s)
    for report in reports:
        _print_report(report, lang, verbose=False)


@friendly_errors
def history_cmd(
    layer: Annotated[str, typer.Argument()],
    key: Annotated[str, typer.Argument(help="id / código")],
) -> None:
    """Todas las versiones de un registro / every version of a record."""
    from layers.base import history as layer_history
    from layers.registry import get_layer

    spec = get_layer(layer)
    with ready_engine().connect() as conn:
        rows = layer_history(conn, spec, key)
    if not rows:
        typer.echo("sin versiones / no versions")
    for row in rows:
        typer.echo(f"v{row['vid']}  {row['valid_from']:%Y-%m-%d %H:%M:%S} → "
                   f"{row['valid_to'] or 'vigente/current'}  por {row['recorded_by']}  "
                   f"lote {row['import_batch_id']}  fuente {row['source']}")


@friendly_errors
def batches_cmd(layer: Annotated[str | None, typer.Argument()] = None) -> None:
    """Lotes de importación (procedencia) / import batches (provenance)."""
    from layers import batches
    from layers.registry import get_layer

    with ready_engine().connect() as conn:
        name = None if not layer else "raster" if layer.lower() in ("raster", "rasters") \
            else get_layer(layer).name
        rows = batches.list_batches(conn, name)
    for b in rows:
        typer.echo(f"#{b['id']} {b['created_at']:%Y-%m-%d %H:%M} {b['layer']:<13} "
                   f"{b['file_name']} sha256={b['sha256'][:12]} SRC {b['crs_used']} "
                   f"leídos {b['n_read']} guardados {b['n_stored']} reparados "
                   f"{b['n_repaired']} rechazados {b['n_rejected']} por {b['recorded_by']}")
