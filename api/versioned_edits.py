"""What every versioned edit route shares: the version the editor read (``If-Match`` or
``expected_vid``), the changes and note of the body, and the answer naming the new version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.errors import ParameterError, PreconditionRequiredError, error

#: Body fields that steer the edit rather than change the record.
CONTROL_FIELDS = ("change_note", "expected_vid")


@dataclass(frozen=True)
class EditRequest:
    expected_vid: int
    changes: dict[str, Any]
    change_note: str | None


def parse_if_match(value: str | None) -> int | None:
    """The version an ``If-Match: "<vid>"`` (or ``W/"<vid>"``) names; ``None`` when absent."""
    if not value:
        return None
    tag = value.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    try:
        return int(tag)
    except ValueError:
        raise error(ParameterError, f"If-Match no válido '{value}'; use la ETag de la ficha",
                    f"invalid If-Match '{value}'; use the detail's ETag",
                    code="invalid_if_match") from None


def edit_request(edit: BaseModel, if_match: str | None) -> EditRequest:
    """The edit as sent; 428 when it names no version (an edit must say what it changed)."""
    body = edit.model_dump(exclude_unset=True)
    expected = parse_if_match(if_match)
    if expected is None:
        expected = body.get("expected_vid")
    if expected is None:
        raise PreconditionRequiredError(
            "Indique la versión que editó (If-Match: \"<vid>\" o expected_vid) / send the "
            "version you edited (If-Match or expected_vid)")
    return EditRequest(int(expected),
                       {k: v for k, v in body.items() if k not in CONTROL_FIELDS},
                       body.get("change_note"))


def edit_answer(record_id: str, old_vid: int, new_vid: int, changed: bool) -> JSONResponse:
    """The new version, also as the ``ETag`` the next edit sends back in ``If-Match``."""
    return JSONResponse({"id": record_id, "old_vid": old_vid, "vid": new_vid,
                         "changed": changed}, headers={"ETag": f'"{new_vid}"'})
