"""Errors of the read API; `app.py` maps each to one HTTP status in one place."""

from __future__ import annotations

from lineage.errors import LineageError

__all__ = [
    "ConsumerError",
    "GraphQueryFailed",
    "GraphTimeout",
    "GraphUnavailable",
    "InvalidParameter",
    "NotFound",
]


class ConsumerError(LineageError):
    """Base error of the read API."""


class InvalidParameter(ConsumerError):
    """A request parameter is malformed or out of range (HTTP 400)."""


class NotFound(ConsumerError):
    """The job, plan, dataset or column named in the request is not in the graph (HTTP 404)."""


class GraphUnavailable(ConsumerError):
    """The graph database cannot be reached (HTTP 503)."""


class GraphTimeout(ConsumerError):
    """The graph database did not answer within the evaluation timeout (HTTP 504)."""


class GraphQueryFailed(ConsumerError):
    """The graph database rejected a traversal for a reason other than a timeout (HTTP 502)."""
