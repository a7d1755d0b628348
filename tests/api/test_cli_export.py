"""``allpa export LAYER -o FILE``: the HTTP export's formats and filters from the CLI."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import app
from tests.api.conftest import ApiWorld, auth


@pytest.fixture()
def runner(api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    return CliRunner()


def test_cli_export_matches_http_export(runner: CliRunner, client: TestClient,
                                        api_world: ApiWorld, tmp_path: Path) -> None:
    out = tmp_path / "registradas.gpkg"
    run = runner.invoke(app, ["export", "communities", "-o", str(out),
                              "--legal-status", "registered"])
    assert run.exit_code == 0, run.output
    cli = pyogrio.read_dataframe(out)
    http = client.get("/api/communities/export?format=geojson&legal_status=registered",
                      headers=auth(api_world, "editor")).json()
    assert len(cli) == len(http["features"]) > 0
    assert set(cli["legal_status"]) == {"registered"}
    assert f"{len(cli)} entidades" in run.output
    info = pyogrio.read_info(out)
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["clause_water"] == "bool"


def test_cli_export_public_and_formats(runner: CliRunner, client: TestClient,
                                       tmp_path: Path) -> None:
    full = tmp_path / "agua.csv"
    public = tmp_path / "agua_publica.zip"
    assert runner.invoke(app, ["export", "water", "-o", str(full), "--bom"]).exit_code == 0
    assert full.read_bytes().startswith(b"\xef\xbb\xbf")
    run = runner.invoke(app, ["export", "water", "-o", str(public), "--public"])
    assert run.exit_code == 0, run.output
    public_total = client.get("/api/water?limit=1").json()["total"]
    assert f"{public_total} entidades" in run.output
    assert "ZZ-AGUA-SECRETA" in full.read_text(encoding="utf-8-sig")
    kml = tmp_path / "c.kml"
    assert runner.invoke(app, ["export", "concessions", "-o", str(kml),
                               "--bbox", "-70.5,-15.6,-69.3,-14.8"]).exit_code == 0
    assert len(pyogrio.read_dataframe(kml)) > 0
    bad = runner.invoke(app, ["export", "water", "-o", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and "unsupported_format" in bad.output
    nogeo = runner.invoke(app, ["export", "networks", "-o", str(tmp_path / "n.gpkg")])
    assert nogeo.exit_code == 2
    assert runner.invoke(app, ["export", "networks", "-o",
                               str(tmp_path / "n.csv")]).exit_code == 0
