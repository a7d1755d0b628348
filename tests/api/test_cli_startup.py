"""``allpa --help`` answers without loading the heavy libraries: they are imported by the
command that needs them (start-up time itself is measured in ``benchmarks/``, not here)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("geopandas", "sqlalchemy", "alembic", "fastapi", "folium", "rasterio", "pandas",
         "shapely", "psycopg", "pydantic", "rich", "matplotlib")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                         text=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_building_the_command_line_imports_no_heavy_library() -> None:
    loaded = _modules_after("from api.cli.main import app\nimport typer.main\n"
                            "typer.main.get_command(app)")
    assert not [m for m in HEAVY if m in loaded]


def test_a_command_builds_only_itself_and_an_unknown_one_gets_the_full_list() -> None:
    """``main`` hands Typer only the command asked for (building every command's options
    cost ~0.2 s of start-up); a group keeps its sub-commands, a typo sees them all."""
    from typer.main import get_command

    from api.cli.main import app, app_for

    everything = set(get_command(app).commands)  # type: ignore[attr-defined]
    assert {"analyze", "import", "users", "db"} <= everything
    assert set(get_command(app_for(["analyze", "--full"])).commands) == {"analyze"}  # type: ignore[attr-defined]
    users = get_command(app_for(["users", "list"])).commands["users"]  # type: ignore[attr-defined]
    assert {"add", "list", "calendar-key"} <= set(users.commands)
    for args in (["--help"], [], ["analyse"]):
        assert set(get_command(app_for(args)).commands) == everything  # type: ignore[attr-defined]
    typo = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "analyse"],
                          capture_output=True, text=True)
    assert typo.returncode == 2 and "analyse" in typo.stderr


def test_a_command_runs_with_its_options() -> None:
    out = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "analyze",
                          "--help"], capture_output=True, text=True, check=True).stdout
    assert "analyze [OPTIONS]" in out and "--full" in out and "Recalcula todo" in out


def test_help_lists_every_command_group() -> None:
    out = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "--help"],
                         capture_output=True, text=True).stdout
    for command in ("import", "analyze", "flags", "map", "report", "serve", "users", "db",
                    "export", "rasters"):
        assert command in out


def test_database_down_is_a_clear_error_not_a_traceback() -> None:
    """With the database unreachable a command says so in both languages and exits 2."""
    import os

    env = {**os.environ, "ALLPA_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:9/none"}
    proc = subprocess.run([sys.executable, "-c", "from api.cli import main; main()", "flags"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 2
    assert "database_unavailable" in proc.stderr and "base de datos" in proc.stderr
    assert "Traceback" not in proc.stderr
