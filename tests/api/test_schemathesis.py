"""Schemathesis against ``/openapi.json`` of a live server on the API test database:
bounded generated requests to every operation, none answered with a 5xx, and every answer
as documented (status code, media type, body schema: the contract of ``api.models``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup

from api.app import create_app
from tests.api.conftest import ApiWorld
from tests.maps_world import free_port

COUNTS = {"requests": 0, "5xx": 0, "off-contract": 0}
CONTRACT = [status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_schema(api_world: ApiWorld) -> Iterator[Any]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(api_world.settings), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.05)
    try:
        yield schemathesis.openapi.from_url(f"http://127.0.0.1:{port}/openapi.json")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        print(f"\nschemathesis: {COUNTS['requests']} requests, {COUNTS['5xx']} answers >= 500, "
              f"{COUNTS['off-contract']} off-contract")


def test_no_server_errors(api_schema: Any) -> None:
    """Every operation, up to 12 generated examples each (derandomised: the same run every
    time); schemathesis' pytest plugin is not used (it does not load on this pytest)."""
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 25

    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=12, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case: Any) -> None:
            response = case.call(timeout=60)
            COUNTS["requests"] += 1
            if response.status_code >= 500:
                COUNTS["5xx"] += 1
                failures.append(f"{case.method} {case.formatted_path} {case.query} -> "
                                f"{response.status_code} {response.text[:200]}")
                return
            try:
                case.validate_response(response, checks=CONTRACT)
            except FailureGroup as exc:  # the answer is not what /openapi.json says
                COUNTS["off-contract"] += 1
                failures.append(f"{case.method} {case.formatted_path} {case.query} -> "
                                f"{response.status_code}: {str(exc)[:600]}")

        exercise()
    assert failures == [], "\n".join(failures)
