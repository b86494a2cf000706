"""The producer's exception family; `http_errors` maps each one to an HTTP status.

A raw zone that cannot be read or written raises `lineage.store.StorageError`, the one error
of every store backend (`stores`).
"""

from lineage.errors import LineageError


class ProducerError(LineageError):
    """Base of every error the producer raises itself."""


class RequestTooLargeError(ProducerError):
    """The body, as sent or after decompression, exceeds the configured limit."""


class BrokenGzipError(ProducerError):
    """`Content-Encoding: gzip` was declared but the body is not a complete gzip stream."""


class UnsupportedEncodingError(ProducerError):
    """The body uses a Content-Encoding other than gzip or identity."""
