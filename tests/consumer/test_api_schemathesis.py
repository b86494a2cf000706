"""Schemathesis drives the read API from its own OpenAPI: no 500s, answers match the schema.

Requests hit the app in-process (ASGI) over the fixture lake in a real Gremlin Server. Random
names mostly produce 404s and out-of-range values 400s; both are documented, 500 never is.
"""

from __future__ import annotations

import pytest
import schemathesis
from api_graph import build_lake, load_lake
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation import GenerationMode

from lambdas.consumer.app import create_app

pytestmark = pytest.mark.graph

# Operations come from the app's own OpenAPI (building the app opens no connection); negative
# cases exist only for operations that take parameters.
_OPENAPI = create_app("ws://unused.invalid/gremlin").openapi()["paths"]
CASES = [
    (path, mode)
    for path in sorted(_OPENAPI)
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _OPENAPI[path]["get"].get("parameters")
]


@pytest.fixture(scope="module")
def api_schema(gremlin_server: str) -> schemathesis.schemas.BaseSchema:
    """The app's OpenAPI document, bound to the app itself (requests never leave the process)."""
    load_lake(gremlin_server, build_lake())
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(gremlin_server))


@pytest.mark.parametrize(("path", "mode"), CASES)
def test_api_honours_its_openapi(
    api_schema: schemathesis.schemas.BaseSchema, path: str, mode: GenerationMode
) -> None:
    # schemathesis' own pytest plugin (`from_fixture`) does not run on pytest 9; hypothesis
    # drives each operation's strategy directly instead.
    operation = api_schema[path]["GET"]

    @given(case=operation.as_strategy(mode))
    @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        # A valid but unknown name is a 404 here, not the 2xx "positive data acceptance" wants.
        case.call_and_validate(excluded_checks=[positive_data_acceptance])

    check()
