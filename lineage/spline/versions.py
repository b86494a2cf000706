"""The Spline producer API versions and the Content-Type each is sent with."""

from __future__ import annotations

from enum import Enum

from lineage.spline.errors import UnsupportedContentTypeError

__all__ = [
    "SUPPORTED_CONTENT_TYPES",
    "ApiVersion",
    "api_version_from_content_type",
    "content_type_for",
]


class ApiVersion(Enum):
    """A Spline producer API version; the value is how the agent and the status header spell it."""

    V1 = "1"
    V1_1 = "1.1"
    V1_2 = "1.2"


_CONTENT_TYPES: dict[str, ApiVersion] = {
    "application/json": ApiVersion.V1,
    "application/vnd.absa.spline.producer.v1.1+json": ApiVersion.V1_1,
    "application/vnd.absa.spline.producer.v1.2+json": ApiVersion.V1_2,
}
SUPPORTED_CONTENT_TYPES: tuple[str, ...] = tuple(_CONTENT_TYPES)


def api_version_from_content_type(content_type: str | None) -> ApiVersion:
    """Return the API version a request's Content-Type selects (parameters such as charset ignored).

    Raises `UnsupportedContentTypeError` for a missing or unknown media type.
    """
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    try:
        return _CONTENT_TYPES[media_type]
    except KeyError:
        raise UnsupportedContentTypeError(content_type, SUPPORTED_CONTENT_TYPES) from None


def content_type_for(version: ApiVersion) -> str:
    """Return the Content-Type the agent sends for `version`."""
    for media_type, known in _CONTENT_TYPES.items():
        if known is version:
            return media_type
    raise AssertionError(f"no content type for {version}")  # unreachable: every version has one
