"""The Spline agent's start-up handshake with a producer, done ahead of the agent.

Once per SparkSession the agent sends `HEAD {producer url}/status` and decides from the reply:
a non-2xx answer (or none) disables lineage for the whole session with one ERROR log line while
the job itself carries on; each `ABSA-Spline-API-Version` header line is one version, the highest
the agent speaks wins, and no such header at all makes it fall back to the old v1.0 layout;
`ABSA-Spline-Accept-Request-Encoding: gzip` lets it gzip bodies over 2,048 characters. Doing the
same request first turns that silent disabling into a one-line cause before any job starts.
"""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from lambdas.producer.app import ACCEPT_ENCODING_HEADER, API_VERSION_HEADER
from lineage.errors import LineageError
from lineage.spline import ApiVersion

# What agent 2.2.0 speaks, best first (observed: 1.2 over 1.1; no header means 1.0's layout).
AGENT_API_VERSIONS: tuple[ApiVersion, ...] = (ApiVersion.V1_2, ApiVersion.V1_1, ApiVersion.V1)
AUTH_PREFIX = "spark.spline.lineageDispatcher.http.authentication."
HANDSHAKE_TIMEOUT_S = 15.0


class ProducerHandshakeError(LineageError):
    """The producer would not get lineage from the agent; the message says why, in one line."""


@dataclass(frozen=True)
class Handshake:
    """The producer's answer to the agent's status request, and what the agent makes of it."""

    status_url: str
    status: int
    versions: tuple[str, ...]
    """Each `ABSA-Spline-API-Version` header line, as sent."""
    gzip: bool
    api_version: ApiVersion
    """The layout the agent will send."""

    @property
    def legacy_layout(self) -> bool:
        """No version header: the agent sends the old v1.0 layout (`application/json`)."""
        return not self.versions

    def summary(self) -> str:
        """One line: status, versions, the layout the agent picks, compression."""
        offered = ", ".join(self.versions) if self.versions else f"no {API_VERSION_HEADER} header"
        layout = f"v{self.api_version.value}"
        if self.legacy_layout:
            layout += " (the old layout: a producer made for v1.1/v1.2 may refuse it)"
        packing = "gzip for bodies over 2 KB" if self.gzip else "no gzip"
        head = f"HEAD {self.status_url} {self.status}"
        return f"{head}: {offered} -> the agent sends {layout}, {packing}"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # The agent's HTTP client does not follow redirects: a 3xx disables it like any non-2xx.
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def status_url_of(producer_url: str) -> str:
    """`{producer url}/status`, the way the agent joins them."""
    return producer_url.rstrip("/") + "/status"


def _version_key(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split(".")
    # isdecimal, not isdigit: superscripts such as "¹" are digits that int() refuses.
    if not all(part.isdecimal() for part in parts):
        return None
    numbers = [int(part) for part in parts]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


_SPOKEN = {_version_key(v.value): v for v in AGENT_API_VERSIONS}


def negotiate(versions: tuple[str, ...]) -> ApiVersion:
    """The version the agent speaks for these header lines; raises when it would disable itself."""
    if not versions:
        return ApiVersion.V1
    matches = [_SPOKEN[key] for key in map(_version_key, versions) if key in _SPOKEN]
    if matches:
        return min(matches, key=AGENT_API_VERSIONS.index)
    spoken = ", ".join(v.value for v in AGENT_API_VERSIONS)
    hint = ""
    if any("," in line for line in versions):
        hint = (
            " (several versions joined into one header line, e.g. by a proxy; the agent reads "
            "each line as one version)"
        )
    raise ProducerHandshakeError(
        f"the producer offers {API_VERSION_HEADER} {', '.join(map(repr, versions))} but the "
        f"agent speaks only {spoken}{hint}: it would disable lineage for the whole job"
    )


def oauth_token(conf: Mapping[str, str], timeout_s: float = HANDSHAKE_TIMEOUT_S) -> str | None:
    """A bearer token fetched as the agent does when its OAuth mode is configured, else None.

    The agent posts `grant_type=client_credentials` with `client_id`, `client_secret` and
    `scope` as a form to `authentication.tokenUrl` and reads `access_token` from the JSON reply.
    """
    if conf.get(AUTH_PREFIX + "type", "").upper() != "OAUTH":
        return None
    token_url = conf.get(AUTH_PREFIX + "tokenUrl", "")
    if not token_url:
        raise ProducerHandshakeError(f"{AUTH_PREFIX}type=OAUTH but no {AUTH_PREFIX}tokenUrl")
    form = {
        "grant_type": conf.get(AUTH_PREFIX + "grantType", "client_credentials"),
        "client_id": conf.get(AUTH_PREFIX + "clientId", ""),
        "client_secret": conf.get(AUTH_PREFIX + "clientSecret", ""),
    }
    if conf.get(AUTH_PREFIX + "scope"):
        form["scope"] = conf[AUTH_PREFIX + "scope"]
    request = urllib.request.Request(
        token_url,
        data=urllib.parse.urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            token = json.loads(answer.read()).get("access_token")
    except urllib.error.HTTPError as exc:
        raise ProducerHandshakeError(
            f"token endpoint {token_url} answered {exc.code} {exc.reason}: the agent would get "
            "no token and send nothing (check clientId, clientSecret and scope)"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise ProducerHandshakeError(f"token endpoint {token_url}: {_reason(exc)}") from None
    if not isinstance(token, str) or not token:
        raise ProducerHandshakeError(f"token endpoint {token_url} answered no access_token")
    return token


def _reason(exc: BaseException) -> str:
    reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.timeout | TimeoutError):
        return "no answer (timed out)"
    if isinstance(reason, socket.gaierror):
        return f"unknown host ({reason.strerror})"
    return str(reason) or type(reason).__name__


def handshake(
    producer_url: str,
    *,
    conf: Mapping[str, str] | None = None,
    timeout_s: float = HANDSHAKE_TIMEOUT_S,
) -> Handshake:
    """Send the agent's `HEAD /status`; raises `ProducerHandshakeError` when lineage would stop.

    `conf` is the job's Spark configuration: an OAuth setup there gets a token first, as the
    agent authenticates its status request too.
    """
    parsed = urllib.parse.urlsplit(producer_url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ProducerHandshakeError(f"producer URL {producer_url!r} is not an http(s) URL")
    url = status_url_of(producer_url)
    headers = {}
    token = oauth_token(conf or {}, timeout_s)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    opener = urllib.request.build_opener(_NoRedirects)
    request = urllib.request.Request(url, headers=headers, method="HEAD")
    try:
        with opener.open(request, timeout=timeout_s) as answer:
            status = answer.status
            versions = tuple(answer.headers.get_all(API_VERSION_HEADER) or ())
            encodings = answer.headers.get_all(ACCEPT_ENCODING_HEADER) or []
    except urllib.error.HTTPError as exc:
        raise ProducerHandshakeError(
            f"HEAD {url} answered {exc.code} {exc.reason}: the agent disables lineage for the "
            "whole job on any non-2xx status (the job itself still runs)"
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        raise ProducerHandshakeError(
            f"producer does not answer: HEAD {url}: {_reason(exc)}; the agent would disable "
            "lineage (start `lineage serve` or pass the right --producer-url)"
        ) from None
    gzip = any("gzip" in value.lower() for value in encodings)
    return Handshake(url, status, versions, gzip, negotiate(versions))


__all__ = [
    "AGENT_API_VERSIONS",
    "Handshake",
    "ProducerHandshakeError",
    "handshake",
    "negotiate",
    "oauth_token",
    "status_url_of",
]
