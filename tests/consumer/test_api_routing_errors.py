"""Answers the routes themselves give (no route, wrong method) keep the API's one error body."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from lambdas.consumer.app import create_app
from local_neptune.ports import free_port

pytestmark = pytest.mark.unit

# The graph is never reached: routing answers before any traversal.
API = TestClient(create_app(f"ws://127.0.0.1:{free_port()}/gremlin"))


@settings(max_examples=60, deadline=None)
@given(st.builds(lambda a, b: a + "\n" + b, st.text(max_size=20), st.text(max_size=20)))
def test_a_job_name_the_routes_cannot_match_is_a_404_with_the_error_body(name: str) -> None:
    response = API.get("/jobs/" + quote(name, safe=""))  # a line break never matches a route
    body = response.json()
    assert set(body) == {"error", "detail"}
    # A lone line break reaches the route as an empty name (400); any other name is no route.
    if name != "\n":
        assert (response.status_code, body["error"]) == (404, "NotFound")
        assert repr("/jobs/" + name) in body["detail"]
    else:
        assert (response.status_code, body["error"]) == (400, "InvalidParameter")


def test_an_unknown_path_is_a_404_with_the_error_body() -> None:
    response = API.get("/no-such-view")
    assert response.status_code == 404
    assert response.json() == {"error": "NotFound", "detail": "GET '/no-such-view': Not Found"}


def test_a_wrong_method_is_a_405_naming_the_allowed_one() -> None:
    response = API.post("/jobs")
    assert response.status_code == 405
    assert response.json()["error"] == "MethodNotAllowed"
    assert "GET" in response.headers["allow"]
