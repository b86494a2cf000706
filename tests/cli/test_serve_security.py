"""`lineage serve` as a hostile web page, a careless user or a client with a bad token meets it.

The app is the one `lineage serve` runs (`build_root_app`), driven in-process over ASGI with
raw headers; the token issuer is a real HTTP server on a loopback port with real RSA keys.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from oidc_issuer import Issuer, running_issuer
from typer.testing import CliRunner

from lambdas.consumer.static_ui import UI_DIR, VIS_NETWORK
from lineage_cli.commands.serve import build_root_app, is_loopback, trusted_hosts
from lineage_cli.guard import AuthSettings, JwtAuthorizer, RouteScopes, host_of
from lineage_cli.main import app as cli
from local_neptune.ports import free_port

pytestmark = pytest.mark.unit

SAMPLES = Path(__file__).resolve().parents[1] / "events" / "producer"
PLAN = (SAMPLES / "plan-v1.2-orders-daily.json").read_bytes()
V12 = "application/vnd.absa.spline.producer.v1.2+json"
AGENT = "agent-client"
UI_CLIENT = "ui-client"


def _client(tmp_path: Path, **kwargs: Any) -> TestClient:
    return TestClient(
        build_root_app(str(tmp_path / "lake"), fsync=False, **kwargs), base_url="http://localhost"
    )


# ---- Host header (DNS rebinding) ----


@pytest.mark.parametrize(
    "host", ["evil.example", "evil.example:8080", "localhost.evil.example", "127.0.0.1.nip.io", ""]
)
def test_requests_for_other_hosts_are_refused(tmp_path: Path, host: str) -> None:
    client = _client(tmp_path)
    for method, path in (("HEAD", "/producer/status"), ("GET", "/"), ("GET", "/api/jobs")):
        answer = client.request(method, path, headers={"Host": host})
        assert answer.status_code == 400, (method, path)
    posted = client.post(
        "/producer/execution-plans", content=PLAN, headers={"Host": host, "Content-Type": V12}
    )
    assert posted.status_code == 400
    assert posted.json()["error"] == "UntrustedHost"
    assert ("--allowed-host" if host else "no Host header") in posted.json()["message"]
    assert not (tmp_path / "lake").exists() or not list((tmp_path / "lake").rglob("*.json"))


@pytest.mark.parametrize("host", ["localhost:8080", "127.0.0.1:41234", "[::1]:8080", "LOCALHOST"])
def test_loopback_names_are_served(tmp_path: Path, host: str) -> None:
    assert _client(tmp_path).head("/producer/status", headers={"Host": host}).status_code == 200


def test_allowed_hosts_extend_the_defaults(tmp_path: Path) -> None:
    hosts = trusted_hosts("0.0.0.0", ["lineage.internal", "10.0.0.7"])
    client = _client(tmp_path, allowed_hosts=hosts)
    for host in ("lineage.internal:8080", "10.0.0.7", "localhost"):
        assert client.head("/producer/status", headers={"Host": host}).status_code == 200
    assert client.head("/producer/status", headers={"Host": "0.0.0.0"}).status_code == 400
    assert "192.168.1.5" in trusted_hosts("192.168.1.5", None)
    with pytest.raises(Exception, match="not a host name"):
        trusted_hosts("127.0.0.1", ["http://x/"])


_LOOPBACK_HOST = re.compile(r"^(localhost|127\.0\.0\.1)\.?(:[^:]*)?$|^\[::1\](:.*)?$|^::1$")


@given(st.one_of(st.text(max_size=60), st.from_regex(r"\A[a-z0-9.:\[\]-]{0,40}\Z")))
@settings(max_examples=300, deadline=None)
def test_host_of_never_turns_a_foreign_name_into_loopback(header: str) -> None:
    if host_of(header) in ("localhost", "127.0.0.1", "::1"):
        assert _LOOPBACK_HOST.match(header.strip().lower()), header


# ---- the UI's files only ----


@pytest.mark.parametrize(
    "path",
    [
        "/package.json",
        "/package-lock.json",
        "/node_modules/vis-network/package.json",
        "/node_modules/.package-lock.json",
        f"/{VIS_NETWORK.as_posix()}",
        "/../pyproject.toml",
        "/%2e%2e/pyproject.toml",
        "/vendor/../package.json",
        "/app.js.map",
    ],
)
def test_only_the_pages_files_are_served(tmp_path: Path, path: str) -> None:
    answer = _client(tmp_path).get(path)
    assert answer.status_code == 404, answer.text[:200]
    assert str(UI_DIR) not in answer.text


@pytest.mark.parametrize(
    ("path", "media"),
    [
        ("/", "text/html"),
        ("/index.html", "text/html"),
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
        ("/vendor/vis-network.min.js", "text/javascript"),
    ],
)
def test_the_pages_files_are_served(tmp_path: Path, path: str, media: str) -> None:
    answer = _client(tmp_path).get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(media)
    assert answer.headers["x-content-type-options"] == "nosniff"


# ---- --auth ----


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer({AGENT: "agent-secret", UI_CLIENT: "ui-secret"}) as running:
        yield running


def _authorizer(issuer: Issuer, **overrides: Any) -> JwtAuthorizer:
    settings = AuthSettings(
        issuer=issuer.url,
        audiences=(AGENT,),
        routes=(
            RouteScopes("/producer", ("lineage/producer.write",)),
            RouteScopes("/api", ()),
        ),
    )
    for name, value in overrides.items():
        settings = AuthSettings(**{**settings.__dict__, name: value})
    return JwtAuthorizer(settings)


@pytest.fixture(scope="module")
def authorizer(issuer: Issuer) -> JwtAuthorizer:
    return _authorizer(issuer)


def _post(client: TestClient, token: str | None, scheme: str = "Bearer ") -> Any:
    headers = {"Content-Type": V12}
    if token is not None:
        headers["Authorization"] = f"{scheme}{token}"
    return client.post("/producer/execution-plans", content=PLAN, headers=headers)


def test_a_valid_token_lands_the_plan(
    tmp_path: Path, issuer: Issuer, authorizer: JwtAuthorizer
) -> None:
    client = _client(tmp_path, authorizer=authorizer)
    assert _post(client, issuer.token()).status_code == 201
    # API Gateway takes the token with or without the Bearer prefix.
    assert _post(client, issuer.token(), scheme="").status_code == 201
    status = client.head("/producer/status", headers={"Authorization": f"Bearer {issuer.token()}"})
    assert status.status_code == 200
    assert list((tmp_path / "lake").rglob("*.json"))


def _other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "missing bearer token"),
        ("empty", "missing bearer token"),
        ("garbage", "not a JWT"),
        ("hs256 with the public key", "algorithm 'HS256' is not accepted"),
        ("none algorithm", "algorithm 'none' is not accepted"),
        ("no kid", "no kid"),
        ("unknown kid", "no key 'other' in the issuer's key set"),
        ("signed by another key", "signature does not verify"),
        ("other issuer", "issuer 'https://evil.example' is not"),
        ("no issuer", "no 'iss' claim"),
        ("expired", "has expired"),
        ("no exp", "no 'exp' claim"),
        ("not yet valid", "not valid yet"),
        ("wrong client_id", "client_id 'someone-else' is not one"),
        ("wrong aud beats a right client_id", "audience 'someone-else' is not one"),
        ("neither aud nor client_id", "neither an aud nor a client_id"),
    ],
)
def test_bad_tokens_get_401_naming_the_problem(
    tmp_path: Path, issuer: Issuer, authorizer: JwtAuthorizer, case: str, message: str
) -> None:
    now = int(time.time())
    tokens: dict[str, str | None] = {
        "missing": None,
        "empty": "",
        "garbage": "not-a-token",
        "hs256 with the public key": jwt.encode(
            {"iss": issuer.url, "client_id": AGENT, "exp": now + 60},
            "k" * 32,
            algorithm="HS256",
            headers={"kid": issuer.kid},
        ),
        "none algorithm": jwt.encode(
            {"iss": issuer.url, "client_id": AGENT, "exp": now + 60},
            None,
            algorithm="none",
            headers={"kid": issuer.kid},
        ),
        "no kid": issuer.token(kid=None),
        "unknown kid": issuer.token(kid="other"),
        "signed by another key": issuer.token(key=_other_key()),
        "other issuer": issuer.token({"iss": "https://evil.example"}),
        "no issuer": issuer.token({"iss": None}),
        "expired": issuer.token({"exp": now - 5}),
        "no exp": issuer.token({"exp": None}),
        "not yet valid": issuer.token({"nbf": now + 600}),
        "wrong client_id": issuer.token({"client_id": "someone-else"}),
        "wrong aud beats a right client_id": issuer.token({"aud": "someone-else"}),
        "neither aud nor client_id": issuer.token({"client_id": None}),
    }
    client = _client(tmp_path, authorizer=authorizer)
    answer = _post(client, tokens[case])
    assert answer.status_code == 401, answer.text
    assert message in answer.json()["message"]
    assert answer.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert not (tmp_path / "lake").exists() or not list((tmp_path / "lake").rglob("*.json"))


@pytest.mark.parametrize(
    "claims",
    [
        {"scope": "lineage/graph.read"},
        {"scope": ""},
        {"scope": None},
        {"scope": "lineage/producer.write.extra lineage/producer"},
    ],
)
def test_a_token_without_the_scope_gets_403(
    tmp_path: Path, issuer: Issuer, authorizer: JwtAuthorizer, claims: dict[str, Any]
) -> None:
    answer = _post(_client(tmp_path, authorizer=authorizer), issuer.token(claims))
    assert answer.status_code == 403
    assert "include none of lineage/producer.write" in answer.json()["message"]
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]


def test_aud_and_scp_forms_are_accepted(
    tmp_path: Path, issuer: Issuer, authorizer: JwtAuthorizer
) -> None:
    client = _client(tmp_path, authorizer=authorizer)
    token = issuer.token(
        {
            "aud": [AGENT, "other"],
            "client_id": None,
            "scope": None,
            "scp": ["lineage/producer.write"],
        }
    )
    assert _post(client, token).status_code == 201


def test_read_api_needs_a_token_and_the_ui_does_not(
    tmp_path: Path, issuer: Issuer, authorizer: JwtAuthorizer
) -> None:
    client = _client(tmp_path, authorizer=authorizer, graph_url="ws://127.0.0.1:9/gremlin")
    assert client.get("/api/jobs").status_code == 401
    assert client.get("/api/status").headers["www-authenticate"].startswith("Bearer")
    # A valid token passes the guard; the graph behind it is down, which the API says itself.
    passed = client.get("/api/status", headers={"Authorization": f"Bearer {issuer.token()}"})
    assert passed.status_code == 503
    assert client.get("/").status_code == 200
    assert client.get("/app.js").status_code == 200


def test_read_scope_is_enforced_when_configured(tmp_path: Path, issuer: Issuer) -> None:
    authorizer = _authorizer(
        issuer,
        routes=(
            RouteScopes("/producer", ("lineage/producer.write",)),
            RouteScopes("/api", ("lineage/graph.read",)),
        ),
    )
    client = _client(tmp_path, authorizer=authorizer, graph_url="ws://127.0.0.1:9/gremlin")
    writer = client.get("/api/jobs", headers={"Authorization": f"Bearer {issuer.token()}"})
    assert writer.status_code == 403
    reader = issuer.token({"scope": "lineage/graph.read"})
    assert (
        client.get("/api/status", headers={"Authorization": f"Bearer {reader}"}).status_code == 503
    )


# ---- the CLI ----


def test_auth_configuration_errors_exit_2(issuer: Issuer, tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    cases = [
        (["--auth"], "--auth needs --auth-issuer"),
        (["--auth", "--auth-issuer", issuer.url], "at least one --auth-audience"),
        (["--auth-issuer", issuer.url], "need --auth"),
        (
            ["--auth", "--auth-issuer", "http://idp.example.com", "--auth-audience", "a"],
            "plain http",
        ),
        (
            ["--auth", "--auth-issuer", f"http://127.0.0.1:{free_port()}", "--auth-audience", "a"],
            "cannot read the issuer's OpenID configuration",
        ),
    ]
    for args, message in cases:
        result = CliRunner().invoke(
            cli, ["serve", "--lake", lake, "--port", str(free_port()), *args]
        )
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output, (args, result.output)


def test_is_loopback() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.1", "::1", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.5", "example.com"))


def _serve_banner(*args: str, tmp_path: Path) -> str:
    """The start-up lines `lineage serve` prints, then it is stopped."""
    lineage = str(Path(sys.executable).parent / "lineage")
    process = subprocess.Popen(
        [lineage, "serve", "--lake", str(tmp_path / "lake"), "--port", str(free_port()), *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
    )
    lines = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if line.startswith("answers Host:"):
                break
    finally:
        process.terminate()
        process.wait(timeout=30)
    return "".join(lines)


def test_binding_beyond_loopback_without_auth_warns(tmp_path: Path) -> None:
    banner = _serve_banner("--host", "0.0.0.0", tmp_path=tmp_path)
    assert "WARNING: listening on 0.0.0.0 without --auth" in banner
    assert "WARNING" not in _serve_banner(tmp_path=tmp_path)
