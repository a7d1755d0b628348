"""``allpa serve``: the HTTP service (uvicorn running ``api.app.create_app``)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.context import friendly_errors, ready_engine, settings


def serve(
    host: Annotated[str, typer.Option(help="Dirección / address")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Puerto / port")] = 8000,
    workers: Annotated[int, typer.Option(help="Procesos / worker processes")] = 1,
    log_level: Annotated[str, typer.Option(help="debug|info|warning")] = "info",
) -> None:
    """Sirve la API, OGC API Features y teselas / serve the API, OGC API and tiles."""
    friendly_errors(_serve)(host, port, workers, log_level)


def _serve(host: str, port: int, workers: int, log_level: str) -> None:
    import uvicorn

    s = settings()
    ready_engine(s).dispose()  # start the private cluster and migrate before serving
    typer.echo(f"Allpa en / at http://{host}:{port}  (documentación /docs, OGC /ogc)")
    if workers > 1:
        uvicorn.run("api.app:create_app", factory=True, host=host, port=port,
                    workers=workers, log_level=log_level)
    else:
        from api.app import create_app

        uvicorn.run(create_app(s), host=host, port=port, log_level=log_level)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
