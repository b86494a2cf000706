"""What `lineage serve` checks before a request reaches the producer, the read API or the UI.

`hosts` refuses requests whose `Host` header names a host the server was not told it is (so a
DNS-rebinding page cannot talk to it), `jwt_auth` validates bearer tokens the way API Gateway's
JWT authorizer does (`--auth`).
"""

from lineage_cli.guard.errors import AuthConfigError, GuardError, Unauthorized
from lineage_cli.guard.hosts import DEFAULT_HOSTS, TrustedHosts, host_of
from lineage_cli.guard.jwt_auth import AuthSettings, JwtAuthorizer, JwtMiddleware, RouteScopes

__all__ = [
    "DEFAULT_HOSTS",
    "AuthConfigError",
    "AuthSettings",
    "GuardError",
    "JwtAuthorizer",
    "JwtMiddleware",
    "RouteScopes",
    "TrustedHosts",
    "Unauthorized",
    "host_of",
]
