"""``allpa users add|token|revoke|list|set-password``: accounts, roles, API tokens and the
passwords of the browser sign-in."""

from __future__ import annotations

from typing import Annotated

import typer

from api.cli.context import friendly_errors, ready_engine

app = typer.Typer(help="Usuarios, roles y tokens / users, roles and tokens.",
                  no_args_is_help=True)


@app.command("add")
@friendly_errors
def add(
    name: Annotated[str, typer.Argument(help="Nombre de usuario / user name")],
    role: Annotated[str, typer.Option(help="public|network|editor|admin")] = "network",
    network: Annotated[list[str], typer.Option(
        "--network", help="Red(es) del usuario / the user's network id(s)")] = [],  # noqa: B006
) -> None:
    """Crea un usuario con un rol / create a user with a role."""
    from layers import users as user_store

    with ready_engine().begin() as conn:
        user_id = user_store.create_user(conn, name, role, list(network))
    typer.echo(f"Usuario / user #{user_id} '{name}' rol/role {role}"
               + (f" redes/networks {', '.join(network)}" if network else ""))


@app.command("token")
@friendly_errors
def token(name: Annotated[str, typer.Argument(help="Nombre de usuario / user name")]) -> None:
    """Emite un token nuevo (se muestra una sola vez) / issue a new token (shown once)."""
    from layers import users as user_store

    with ready_engine().begin() as conn:
        value = user_store.issue_token(conn, name)
    typer.echo(value)
    typer.echo("Guárdelo ahora: no se vuelve a mostrar / store it now: it is not shown again",
               err=True)


@app.command("revoke")
@friendly_errors
def revoke(prefix: Annotated[str, typer.Argument(
        help="Primeros 12 caracteres del token / the token's first 12 characters")]) -> None:
    """Revoca un token por su prefijo / revoke a token by its prefix."""
    from layers import users as user_store

    with ready_engine().begin() as conn:
        n = user_store.revoke_token(conn, prefix)
    if n == 0:
        typer.secho(f"Ningún token activo con prefijo '{prefix}' / no active token with that "
                    f"prefix", fg=typer.colors.YELLOW, err=True)
        raise typer.Exit(1)
    typer.echo(f"Revocados / revoked: {n}")


@app.command("set-password")
@friendly_errors
def set_password(
    name: Annotated[str, typer.Argument(help="Nombre de usuario / user name")],
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="Lee la contraseña de la entrada estándar / read the "
        "password from standard input")] = False,
) -> None:
    """Fija la contraseña para iniciar sesión en el navegador (cierra sus sesiones) / set
    the browser sign-in password (ends the user's sessions)."""
    import sys

    from layers import users as user_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Contraseña / password", hide_input=True,
                                confirmation_prompt=True)
    with ready_engine().begin() as conn:
        user_store.set_password(conn, name, password)
    typer.echo(f"Contraseña fijada para / password set for '{name}'")


@app.command("list")
@friendly_errors
def list_cmd() -> None:
    """Lista usuarios y roles / list users and roles."""
    from layers import users as user_store

    with ready_engine().connect() as conn:
        rows = user_store.list_users(conn)
    if not rows:
        typer.echo("sin usuarios / no users")
    for row in rows:
        state = "deshabilitado/disabled" if row.get("disabled_at") else "activo/active"
        nets = ",".join(row.get("networks") or []) or "-"
        pwd = "contraseña/password" if row.get("has_password") else "-"
        typer.echo(f"#{row['id']:<4} {row['name']:<24} {row['role']:<8} redes/networks {nets:<20}"
                   f" {state} {pwd}")


def register(main: typer.Typer) -> None:
    main.add_typer(app, name="users")
