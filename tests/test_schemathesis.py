"""Generated requests against /api/v1/openapi.json: no 5xx, answers match the schema.

Schemathesis's pytest plugin does not run under pytest 9 yet, so its strategies
are drawn directly with Hypothesis.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import checks

EXAMPLES = int(os.environ.get("ENGAGEMENT_FUZZ_EXAMPLES", "150"))
# Every conformance check except "schema-valid data must be accepted": a
# category slug or article slug that does not exist is valid by the schema but
# rightly answered 400 / 404.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def quiet_demo(app_factory, redis_server) -> Flask:  # noqa: ANN001
    """The demo without the ranking upkeep thread: on a cluster, redis-py picks
    nodes with the global ``random``, and a thread moving it while Hypothesis draws
    reads as a strategy using ``random`` (a flaky HypothesisDeprecationWarning).
    Reads still bring the windows up to date themselves."""
    app = app_factory(redis_server.url, ENGAGEMENT_RANKING_REFRESHER=False)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


@pytest.fixture
def operations(quiet_demo: Flask) -> list:  # noqa: ANN401
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", quiet_demo)
    return [result.ok() for result in schema.get_all_operations()]


def test_api_conforms_to_its_schema(operations: list) -> None:
    assert len(operations) == 10
    seen: set[int] = set()

    @settings(
        max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    @given(data=st.data())
    def check(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        response = case.call()
        seen.add(response.status_code)
        assert response.status_code < 500, (case.method, case.path, response.text)
        case.validate_response(response, checks=CHECKS)

    check()
    assert seen & {200, 202}, "some generated requests succeed"
