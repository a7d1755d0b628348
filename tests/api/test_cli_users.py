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
