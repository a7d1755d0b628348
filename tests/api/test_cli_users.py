"""``allpa users add|token|list|revoke`` and ``allpa serve`` registration."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.cli.main import app
from tests.api.conftest import ApiWorld


def test_users_commands(api_world: ApiWorld, client: TestClient,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    runner = CliRunner()
    added = runner.invoke(app, ["users", "add", "cli-lawyer", "--role", "editor"])
    assert added.exit_code == 0, added.output
    token_run = runner.invoke(app, ["users", "token", "cli-lawyer"])
    assert token_run.exit_code == 0, token_run.output
    token = next(line for line in token_run.output.splitlines() if line.startswith("allpa_"))
    listed = runner.invoke(app, ["users", "list"])
    assert "cli-lawyer" in listed.output and "editor" in listed.output
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/communities/ZZ-SECRETO-1", headers=headers).status_code == 200
    revoked = runner.invoke(app, ["users", "revoke", token[:12]])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/communities", headers=headers).status_code == 401
    bad = runner.invoke(app, ["users", "add", "x", "--role", "king"])
    assert bad.exit_code == 2 and "bad_role" in bad.output
    assert runner.invoke(app, ["serve", "--help"]).exit_code == 0


def test_set_password_then_sign_in(api_world: ApiWorld, monkeypatch: pytest.MonkeyPatch
                                   ) -> None:
    from api.app import create_app
    from tests.api.session_util import sign_in

    monkeypatch.setenv("ALLPA_DATABASE_URL", api_world.url)
    runner = CliRunner()
    assert runner.invoke(app, ["users", "add", "cli-red", "--role", "network",
                               "--network", "RED-01"]).exit_code == 0
    short = runner.invoke(app, ["users", "set-password", "cli-red", "--password-stdin"],
                          input="corta\n")
    assert short.exit_code == 2 and "weak_password" in short.output
    ok = runner.invoke(app, ["users", "set-password", "cli-red", "--password-stdin"],
                       input="una clave bastante larga\n")
    assert ok.exit_code == 0, ok.output
    listed = runner.invoke(app, ["users", "list"]).output
    line = next(x for x in listed.splitlines() if "cli-red" in x)
    assert "contraseña/password" in line and "scrypt" not in listed
    missing = runner.invoke(app, ["users", "set-password", "nadie-aqui", "--password-stdin"],
                            input="una clave bastante larga\n")
    assert missing.exit_code == 2 and "user_not_found" in missing.output
    with TestClient(create_app(api_world.settings)) as browser:
        assert sign_in(browser, "cli-red", "una clave bastante larga")[0] == 303
        assert browser.get("/session").json()["role"] == "network"
    assert runner.invoke(app, ["worker", "--help"]).exit_code == 0
