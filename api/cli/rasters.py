"""``allpa export raster KEY --community ID -o FILE.tif`` and ``allpa rasters``.

Raster import goes through ``allpa import raster FILE --kind dem|landcover`` (api/cli/data.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from api.cli.context import friendly_errors, ready_engine
from geo.errors import InputError, NotFoundError, bilingual


@friendly_errors
def export_raster_cmd(
    key: Annotated[str, typer.Argument(help="Clave del raster (o tipo: dem|landcover)")],
    community_id: Annotated[str, typer.Option("--community", help="Id de la comunidad")],
    output: Annotated[Path, typer.Option("--output", "-o", help="GeoTIFF de salida")],
) -> None:
    """Recorta un raster al territorio de una comunidad / clip a raster to a territory."""
    import shapely
    import sqlalchemy as sa

    from geo.raster import clip_raster
    from layers.communities import community
    from layers.rasters import get_raster

    with ready_engine().connect() as conn:
        raster = get_raster(conn, key)
        row = conn.execute(sa.select(sa.func.ST_AsBinary(community.c.territory)).where(
            community.c.id == community_id, community.c.valid_to.is_(None))).first()
    if row is None:
        raise NotFoundError(bilingual(f"No existe la comunidad «{community_id}»",
                                      f"No community '{community_id}'"), id=community_id)
    if row[0] is None:
        raise InputError(bilingual(
            f"La comunidad «{community_id}» sólo tiene ubicación (punto), no territorio: no hay "
            "nada que recortar.",
            f"Community '{community_id}' has only a location (point), no territory: nothing "
            "to clip."), code="no_territory")
    territory = shapely.from_wkb(bytes(row[0]))
    out = clip_raster(str(raster["file_path"]), territory, output)
    typer.echo(f"{out} ← {raster['key']} v{raster['vid']} ({raster['kind']}), "
               f"comunidad/community {community_id}")


@friendly_errors
def rasters_cmd() -> None:
    """Rasters vigentes / current raster layers."""
    from layers.rasters import current_rasters

    with ready_engine().connect() as conn:
        rows = current_rasters(conn)
    if not rows:
        typer.echo("sin rasters / no rasters (allpa import raster FILE --kind dem|landcover)")
    for r in rows:
        typer.echo(f"{r['key']:<14} {r['kind']:<10} v{r['vid']} {r['width']}×{r['height']} px "
                   f"{r['crs']} sha256={str(r['sha256'])[:12]} {r['file_path']}")


def register(app: typer.Typer) -> None:
    """Add ``export raster`` to the shared ``export`` group and ``rasters``."""
    from api.cli.exports import export_group

    export_group(app).command("raster")(export_raster_cmd)
    app.command("rasters")(rasters_cmd)
