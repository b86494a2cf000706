"""A local OAuth 2.0 / OpenID issuer for tests: discovery, JWKS and a client-credentials endpoint.

It behaves like a Cognito user pool towards machine clients: `POST /oauth2/token` with
`grant_type=client_credentials`, `client_id`, `client_secret` and `scope` (form fields, as the
Spline agent sends them) returns an RS256 access token whose claims are Cognito's (`iss`,
`client_id`, no `aud`, `scope`, `token_use`, `exp`, `iat`); a wrong secret gets 401
`invalid_client`. It listens on a free loopback port and records every token request.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

__all__ = ["Issuer", "running_issuer"]


@dataclass
class Issuer:
    """Keys, clients and the address of a running issuer."""

    clients: dict[str, str]
    """client id -> secret"""
    url: str = ""
    kid: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )
    token_requests: list[Mapping[str, str]] = field(default_factory=list)

    def jwks(self) -> dict[str, Any]:
        public = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        return {"keys": [{**public, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def token(
        self, claims: Mapping[str, Any] | None = None, *, key: Any = None, **header: Any
    ) -> str:
        """A signed access token with Cognito's claims, overridden by `claims` (None drops one)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.url,
            "client_id": next(iter(self.clients)),
            "token_use": "access",
            "scope": "lineage/producer.write",
            "iat": now,
            "exp": now + 3600,
            "jti": uuid.uuid4().hex,
        }
        for name, value in (claims or {}).items():
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        headers = {
            name: value for name, value in {"kid": self.kid, **header}.items() if value is not None
        }
        algorithm = headers.pop("alg", "RS256")
        return jwt.encode(
            body, key if key is not None else self.key, algorithm=algorithm, headers=headers
        )


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_: Any) -> None:  # keep test output clean
            return

        def _json(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": issuer.url,
                        "jwks_uri": f"{issuer.url}/.well-known/jwks.json",
                        "token_endpoint": f"{issuer.url}/oauth2/token",
                    },
                )
            elif self.path == "/.well-known/jwks.json":
                self._json(200, issuer.jwks())
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            if self.path != "/oauth2/token":
                self._json(404, {"error": "not_found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            issuer.token_requests.append(form)
            if form.get("grant_type") != "client_credentials":
                self._json(400, {"error": "unsupported_grant_type"})
                return
            client_id = form.get("client_id", "")
            if issuer.clients.get(client_id) != form.get("client_secret"):
                self._json(401, {"error": "invalid_client"})
                return
            claims = {"client_id": client_id, "scope": form.get("scope", "")}
            self._json(
                200,
                {
                    "access_token": issuer.token(claims),
                    "token_type": "Bearer",
                    "expires_in": 3600,
                },
            )

    return Handler


@contextmanager
def running_issuer(clients: dict[str, str]) -> Iterator[Issuer]:
    """An issuer on a free loopback port, for the duration of the block."""
    issuer = Issuer(clients=clients)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(issuer))
    issuer.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="oidc-issuer")
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()
