"""The errors of reading a Spline payload: one family under `PayloadError`, plus the media type.

`PayloadError.path` is the JSON path of the offending part (`$.operations.write.append`),
`problem` what is wrong with it; the message is both.
"""

from __future__ import annotations

from collections.abc import Sequence

from lineage.errors import LineageError

__all__ = [
    "DanglingReferenceError",
    "DuplicateIdError",
    "EncodeError",
    "InvalidValueError",
    "LimitExceededError",
    "MalformedJsonError",
    "MissingFieldError",
    "PayloadError",
    "UnsupportedContentTypeError",
    "WrongTypeError",
]


class UnsupportedContentTypeError(LineageError):
    """The Content-Type names no producer API version this model understands."""

    def __init__(self, content_type: str | None, supported: Sequence[str]) -> None:
        self.content_type = content_type
        shown = "no Content-Type" if not content_type else f"Content-Type {content_type!r}"
        super().__init__(f"unsupported {shown}; expected one of: {', '.join(supported)}")


class PayloadError(LineageError):
    """A body is not a valid Spline payload; `path` is the JSON path of the offending part."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class MalformedJsonError(PayloadError):
    """The body is not JSON at all (or not UTF-8)."""


class MissingFieldError(PayloadError):
    """A required field is absent (or null)."""


class WrongTypeError(PayloadError):
    """A field has the wrong JSON type, e.g. an array where one write operation is expected."""


class InvalidValueError(PayloadError):
    """A field has the right type but an unusable value, e.g. a plan id that is not a UUID."""


class LimitExceededError(PayloadError):
    """Well-formed, but beyond a limit of `lineage.limits` (nesting, integer or time range)."""


class DuplicateIdError(PayloadError):
    """Two operations, attributes or expressions of one plan share an id."""


class DanglingReferenceError(PayloadError):
    """A reference names an operation, attribute or expression the plan does not define.

    Raised by the reference check of the parser and by the column-lineage walk alike.
    """


class EncodeError(LineageError):
    """The model holds something this package does not write as a payload (a v1 plan)."""
