"""``allpa backup`` and ``allpa restore``: the database and every stored file, verified."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.context import friendly_errors, settings


@friendly_errors
def backup_cmd(
    output: Annotated[Path, typer.Option("-o", "--output", help="Archivo .tar.gz de salida")],
) -> None:
    """Copia de seguridad: base de datos + archivos guardados + manifiesto SHA-256 / backup."""
    from layers import backup as backups

    report = backups.backup(settings(), output)
    typer.echo(f"copia/backup {report.path}: base {report.bytes_dump / 1e6:.1f} MB, "
               f"{report.n_files} archivos/files ({report.bytes_files / 1e6:.1f} MB), "
               f"{report.seconds:.1f} s")


@friendly_errors
def restore_cmd(
    archive: Annotated[Path, typer.Argument(help="Copia hecha con 'allpa backup'")],
) -> None:
    """Restaura una copia en una base vacía (clúster privado nuevo o ALLPA_DATABASE_URL)."""
    from layers import backup as backups

    report = backups.restore(settings(), archive)
    typer.echo(f"restaurado/restored: {report.n_tables} tablas/tables, {report.n_files} "
               f"archivos/files, {report.seconds:.1f} s")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
