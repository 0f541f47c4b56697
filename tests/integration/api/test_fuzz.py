"""Property-based fuzzing of the whole OpenAPI document with schemathesis.

Every operation gets generated requests (bodies, queries, path parameters), sent with a
credential that passes the role check where one does, half of them aimed at objects that
exist. Whatever comes in: no 5xx, no stack trace in a body, answers that match the schema.
AIDREC_FUZZ_EXAMPLES sets the examples per operation (default 12).
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive.evidence.vocabulary import Role
from tests.integration.api.conftest import World

EXAMPLES = int(os.environ.get("AIDREC_FUZZ_EXAMPLES", "12"))
TRACE = re.compile(r"Traceback \(most recent call last\)|File \"/|\.py\", line \d+")


def credential(world: World, path: str) -> dict[str, str]:
    if path.startswith(("/api/v1/ingest", "/api/v1/live")):
        return {"Authorization": f"Bearer {world.tree.token}"}
    role = (Role.ADMIN if path.startswith("/api/v1/admin") else
            Role.AUDITOR if path.startswith("/api/v1/audit") else
            Role.INSPECTOR if path.startswith("/api/v1/retention") else Role.SUPERVISOR)
    return world.bearer(role)


def real_ids(world: World) -> dict[str, str]:
    ev = world.wh
    return {"session_id": ev.session_id, "recording_id": ev.recording_id,
            "complaint_id": ev.complaint_id, "case_id": ev.case_id, "window_id": ev.window_id,
            "user_id": world.people[Role.AUDITOR].id, "device_id": "gd-rec1", "seq": "0"}


def fuzz(operation: Any, headers: dict[str, str], known: dict[str, str],
         failures: list[str]) -> None:
    """Run one operation's generated cases; failures are collected, not raised."""

    @given(case=operation.as_strategy(), aim=st.booleans())
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: Any, aim: bool) -> None:
        if aim and case.path_parameters:
            for name in case.path_parameters:
                if name in known:
                    case.path_parameters[name] = known[name]
        response = case.call(headers=headers)
        where = f"{operation.label} {case.path_parameters} {response.status_code}"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.text[:300]}")
        elif TRACE.search(response.text):
            failures.append(f"{where}: a stack trace leaked")
        else:
            try:
                case.validate_response(response, checks=[
                    schemathesis.checks.not_a_server_error,
                    schemathesis.checks.response_schema_conformance])
            except AssertionError as exc:
                failures.append(f"{where}: {str(exc)[:400]}")

    run()


@pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
def test_no_server_errors_and_no_traces(world: World) -> None:
    app = world.app()
    with TestClient(app):  # runs the lifespan
        schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app,
                                                headers=world.bearer(Role.SUPERVISOR))
        known = real_ids(world)
        failures: list[str] = []
        results = list(schema.get_all_operations())
        operations = [result.ok() for result in results]  # type: ignore[union-attr]
        assert len(operations) > 40
        for operation in operations:
            fuzz(operation, credential(world, operation.path), known, failures)
    assert not failures, "\n".join(failures[:30])
