"""The README's configuration table lists every setting of ``layers.config.Settings`` with
its environment variable and default, and nothing else (one fact in one place: the class;
the table must not drift from it)."""

from __future__ import annotations

import dataclasses
import re

import pytest

from geo.errors import InputError
from layers.config import PROJECT_ROOT, Settings, load_settings

SECTION = "## Configuration (`ALLPA_` environment variables)"


def _table() -> dict[str, tuple[str, str, str]]:
    text = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0].startswith("`ALLPA_"):
            rows[cells[0].strip("`")] = (cells[1].strip("`"), cells[2], cells[3])
    return rows


def test_readme_lists_every_setting_and_only_those() -> None:
    rows = _table()
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    assert set(rows) == {f"ALLPA_{name.upper()}" for name in fields}
    for variable, (setting, default, meaning) in rows.items():
        assert variable == f"ALLPA_{setting.upper()}", variable
        assert meaning and default, variable
        value = fields[setting].default
        if isinstance(value, (int, float, str)) and not isinstance(value, bool):
            assert re.search(rf"(^|[`\s]){re.escape(str(value))}($|[`\s])", default), \
                (variable, value, default)
        elif value is None:
            assert default in ("unset", "private cluster") or "derived" in default \
                or "<home>" in default, (variable, default)


def test_each_variable_reaches_its_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    """The table's variables really set the fields (prefix and spelling)."""
    monkeypatch.setenv("ALLPA_POINT_RADIUS_M", "1234.5")
    monkeypatch.setenv("ALLPA_DB_NAME", "otra")
    monkeypatch.setenv("allpa_worker", "false")
    monkeypatch.setenv("ALLPA_DB_PORT", "")
    s = load_settings(user="prueba")
    assert s.point_radius_m == 1234.5 and s.db_name == "otra" and s.worker is False
    assert s.db_port is None and s.user == "prueba"


@pytest.mark.parametrize(("variable", "value"), [
    ("ALLPA_DB_PORT", "cinco"), ("ALLPA_WORKER", "quizás"), ("ALLPA_ANALYSIS_BACKEND", "spark"),
    ("ALLPA_POINT_RADIUS_M", "5 km")])
def test_a_bad_value_is_a_clear_bilingual_error(monkeypatch: pytest.MonkeyPatch,
                                                variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(InputError) as caught:
        load_settings()
    assert variable in caught.value.message and "no es válido" in caught.value.message
    assert "is not valid" in caught.value.message
