"""`lineage serve --auth`: bearer tokens checked the way API Gateway's HTTP API JWT authorizer does.

For every protected route (AWS documents the same steps for its authorizer):
1. the token comes from `Authorization`, with or without the `Bearer ` prefix;
2. its header names an RSA algorithm (RS256/384/512) and a `kid` found in the issuer's JWKS
   (`jwks_uri` of `{issuer}/.well-known/openid-configuration`);
3. the signature verifies with that key; `exp` is in the future, `nbf` (if any) in the past;
4. `iss` is the configured issuer; `aud`, or `client_id` when there is no `aud` (Cognito access
   tokens carry only `client_id`), is one of the configured audiences;
5. the `scope` (space-separated) or `scp` claim holds at least one of the route's scopes.
Failures of 1-4 answer 401, of 5 answer 403, each with a message naming what was wrong.
"""

from __future__ import annotations

import ipaddress
import json
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import jwt
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from lineage_cli.guard.errors import AuthConfigError, Unauthorized

__all__ = ["AuthSettings", "JwtAuthorizer", "JwtMiddleware", "RouteScopes", "discover_jwks_url"]

RSA_ALGORITHMS = ("RS256", "RS384", "RS512")
# API Gateway caches the issuer's keys for up to two hours.
JWKS_CACHE_S = 7200
_FETCH_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class RouteScopes:
    """Scopes a path prefix requires; an empty tuple accepts any valid token."""

    prefix: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class AuthSettings:
    """What `--auth` was given."""

    issuer: str
    audiences: tuple[str, ...]
    routes: tuple[RouteScopes, ...]
    """Protected path prefixes, most specific first; other paths (the UI's files) are public."""
    jwks_url: str | None = None
    """The issuer's key set; found by OpenID discovery when None."""
    leeway_s: int = field(default=0)


def _check_url(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname:
        try:
            loopback = (
                parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
            )
        except ValueError:
            loopback = False
        if loopback:
            return
        raise AuthConfigError(
            f"{what} {url} is plain http on another host: keys fetched that way can be forged "
            "in transit; use https (plain http is accepted on loopback only)"
        )
    raise AuthConfigError(f"{what} {url!r} is not an http(s) URL")


def _fetch_json(url: str) -> Any:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=_FETCH_TIMEOUT_S) as answer:
        return json.loads(answer.read(1024 * 1024))


def discover_jwks_url(issuer: str) -> str:
    """The `jwks_uri` of the issuer's OpenID configuration; raises AuthConfigError."""
    _check_url(issuer, "--auth-issuer")
    where = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        document = _fetch_json(where)
    except (OSError, ValueError) as exc:
        raise AuthConfigError(
            f"cannot read the issuer's OpenID configuration {where}: {exc}"
        ) from exc
    jwks_uri = document.get("jwks_uri") if isinstance(document, dict) else None
    if not isinstance(jwks_uri, str):
        raise AuthConfigError(f"{where} has no jwks_uri")
    _check_url(jwks_uri, "jwks_uri")
    return jwks_uri


def _scopes_of(claims: Mapping[str, Any]) -> tuple[str, ...]:
    value = claims.get("scope", claims.get("scp"))
    if isinstance(value, str):
        return tuple(value.split())
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return ()


class JwtAuthorizer:
    """Validates one token for one route; `check` raises Unauthorized (401/403)."""

    def __init__(self, settings: AuthSettings) -> None:
        if not settings.audiences:
            raise AuthConfigError("--auth needs at least one --auth-audience (the app client id)")
        _check_url(settings.issuer, "--auth-issuer")
        jwks_url = settings.jwks_url or discover_jwks_url(settings.issuer)
        _check_url(jwks_url, "--auth-jwks-url")
        self.settings = settings
        self.jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=JWKS_CACHE_S, timeout=10)
        try:
            self.jwks.get_jwk_set()  # fail at start, not on the first agent's request
        except jwt.PyJWKClientError as exc:
            raise AuthConfigError(f"cannot read the issuer's keys at {jwks_url}: {exc}") from exc

    def route_scopes(self, path: str) -> tuple[str, ...] | None:
        """The scopes `path` requires, or None when the path is not protected."""
        for route in self.settings.routes:
            if path == route.prefix or path.startswith(route.prefix.rstrip("/") + "/"):
                return route.scopes
        return None

    def check(self, authorization: str | None, scopes: tuple[str, ...]) -> Mapping[str, Any]:
        """The token's claims when it may use a route requiring `scopes`."""
        token = (authorization or "").strip()
        if token[:6].lower() == "bearer" and (len(token) == 6 or token[6].isspace()):
            token = token[6:].strip()
        if not token:
            raise Unauthorized("missing bearer token: send Authorization: Bearer <JWT>")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.DecodeError as exc:
            raise Unauthorized(f"the bearer token is not a JWT: {exc}") from None
        algorithm = header.get("alg")
        if algorithm not in RSA_ALGORITHMS:
            raise Unauthorized(
                f"token algorithm {algorithm!r} is not accepted (only {', '.join(RSA_ALGORITHMS)})"
            )
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("the token header has no kid naming the issuer's signing key")
        try:
            key = self.jwks.get_signing_key(kid)
        except jwt.PyJWKClientError as exc:
            raise Unauthorized(f"no key {kid!r} in the issuer's key set ({exc})") from None
        claims = self._decode(token, key.key, algorithm)
        self._check_audience(claims)
        if scopes:
            held = _scopes_of(claims)
            if not set(held) & set(scopes):
                raise Unauthorized(
                    f"the token's scopes ({' '.join(held) or 'none'}) include none of "
                    f"{' '.join(scopes)} that this route requires",
                    status=403,
                    scopes=scopes,
                )
        return claims

    def _decode(self, token: str, key: Any, algorithm: str) -> Mapping[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                issuer=self.settings.issuer,
                leeway=self.settings.leeway_s,
                options={"require": ["exp", "iss"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise Unauthorized("the token has expired (exp is in the past)") from None
        except jwt.ImmatureSignatureError as exc:
            raise Unauthorized(f"the token is not valid yet: {exc}") from None
        except jwt.InvalidIssuerError:
            issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
            raise Unauthorized(
                f"the token's issuer {issuer!r} is not {self.settings.issuer!r}"
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise Unauthorized(f"the token has no {exc.claim!r} claim") from None
        except jwt.InvalidSignatureError:
            raise Unauthorized(
                "the token's signature does not verify with the issuer's key"
            ) from None
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"the token is invalid: {exc}") from None
        return claims

    def _check_audience(self, claims: Mapping[str, Any]) -> None:
        # API Gateway checks `client_id` only when there is no `aud`.
        if "aud" in claims:
            aud = claims["aud"]
            values = [aud] if isinstance(aud, str) else list(aud) if isinstance(aud, list) else []
            if not set(map(str, values)) & set(self.settings.audiences):
                raise Unauthorized(f"the token's audience {aud!r} is not one this server accepts")
            return
        client_id = claims.get("client_id")
        if client_id is None:
            raise Unauthorized("the token has neither an aud nor a client_id claim")
        if str(client_id) not in self.settings.audiences:
            raise Unauthorized(
                f"the token's client_id {client_id!r} is not one this server accepts"
            )


def _challenge(error: Unauthorized) -> bytes:
    description = str(error).replace("\\", "\\\\").replace('"', "'")
    if error.status == 403:
        scope = " ".join(error.scopes)
        challenge = f'Bearer error="insufficient_scope", scope="{scope}", '
        return f'{challenge}error_description="{description}"'.encode("ascii", errors="replace")
    return f'Bearer error="invalid_token", error_description="{description}"'.encode(
        "ascii", errors="replace"
    )


class JwtMiddleware:
    """ASGI middleware applying `authorizer` to every protected path."""

    def __init__(
        self,
        app: ASGIApp,
        authorizer: JwtAuthorizer,
        on_refusal: Callable[[str, Unauthorized], None] | None = None,
    ) -> None:
        self.app = app
        self.authorizer = authorizer
        self.on_refusal = on_refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        scopes = self.authorizer.route_scopes(path)
        if scopes is None:
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or ())
        raw = headers.get(b"authorization")
        try:
            await run_in_threadpool(
                self.authorizer.check, raw.decode("latin-1") if raw else None, scopes
            )
        except Unauthorized as refused:
            if self.on_refusal is not None:
                self.on_refusal(path, refused)
            name = "Unauthorized" if refused.status == 401 else "Forbidden"
            body = json.dumps({"error": name, "message": str(refused)}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": refused.status,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", _challenge(refused)),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)
