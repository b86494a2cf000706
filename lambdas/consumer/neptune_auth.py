"""SigV4 headers for Neptune IAM authentication of the Gremlin WebSocket handshake.

Neptune checks the signature once, when the WebSocket opens, so the headers are computed for each
new connection (a reconnect after a failure signs again with the role's current credentials).
botocore is imported only when IAM authentication is on: the local Gremlin Server needs none.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from lambdas.consumer.errors import GraphUnavailable

__all__ = ["sigv4_headers"]

SERVICE = "neptune-db"


def sigv4_headers(url: str, region: str) -> dict[str, str]:
    """Headers signing `GET <url>` (ws/wss read as http/https) for Neptune in `region`."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.session import Session

    credentials = Session().get_credentials()
    if credentials is None:
        raise GraphUnavailable(
            f"Neptune IAM authentication for {url} needs AWS credentials, and none were found"
        )
    parts = urlsplit(url)
    scheme = {"wss": "https", "ws": "http"}.get(parts.scheme, parts.scheme)
    request = AWSRequest(method="GET", url=parts._replace(scheme=scheme).geturl())
    SigV4Auth(credentials, SERVICE, region).add_auth(request)
    return {key: str(value) for key, value in request.headers.items()}
