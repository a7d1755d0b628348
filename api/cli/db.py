"""``allpa db up|down|status|migrate``: the private PostGIS cluster."""

from __future__ import annotations

import typer

from api.cli.context import friendly_errors, ready_engine, settings

app = typer.Typer(help="Base de datos PostGIS privada / private PostGIS cluster.")


@app.command()
@friendly_errors
def up() -> None:
    """Crea (una vez), inicia y migra la base / create, start and migrate."""
    from layers import migrate

    s = settings()
    engine = ready_engine(s)
    typer.echo(f"PostGIS listo / ready: {engine.url.render_as_string(hide_password=True)} "
               f"(esquema {migrate.current(engine)})")


@app.command()
@friendly_errors
def down() -> None:
    """Detiene el clúster privado / stop the private cluster."""
    from layers import cluster

    if cluster.stop(settings()):
        typer.echo("PostgreSQL detenido / stopped")
    else:
        typer.echo("PostgreSQL no estaba en marcha / was not running")


@app.command()
@friendly_errors
def status() -> None:
    """Estado del clúster / cluster status."""
    from layers import cluster, migrate
    from layers.db import make_engine

    s = settings()
    st = cluster.status(s)
    typer.echo(f"datos / pgdata: {st.pgdata}")
    typer.echo(f"inicializado / initialised: {st.initialised}")
    typer.echo(f"en marcha / running: {st.running} (puerto {st.port})")
    typer.echo(f"PostGIS: {st.postgis or '-'}")
    if st.running:
        typer.echo(f"esquema / schema: {migrate.current(make_engine(s))}")


@app.command("migrate")
@friendly_errors
def migrate_cmd() -> None:
    """Aplica las migraciones pendientes / apply pending migrations."""
    from layers import migrate

    engine = ready_engine()
    typer.echo(f"esquema / schema: {migrate.current(engine)}")
