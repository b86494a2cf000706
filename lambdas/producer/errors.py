"""The producer's exception family; `http_errors` maps each one to an HTTP status."""

from lineage.errors import LineageError


class ProducerError(LineageError):
    """Base of every error the producer raises itself."""


class RequestTooLargeError(ProducerError):
    """The body, as sent or after decompression, exceeds the configured limit."""


class BrokenGzipError(ProducerError):
    """`Content-Encoding: gzip` was declared but the body is not a complete gzip stream."""


class UnsupportedEncodingError(ProducerError):
    """The body uses a Content-Encoding other than gzip or identity."""


class StoreError(ProducerError):
    """The raw zone could not be read or written (S3 or the local directory failed).

    The message names the location (for the operator's log); `cause` is the failure alone
    (an S3 error code, an OS error text), without paths, fit for an HTTP answer.
    """

    def __init__(self, message: str, *, cause: str = "unavailable") -> None:
        super().__init__(message)
        self.cause = cause
